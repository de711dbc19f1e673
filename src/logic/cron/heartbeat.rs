//! The heartbeat sender (SPEC 3.1, seed 001): "À chaque fois que OP terminera l'exécution de la
//! tâche planifiée, si celle-ci s'est terminée sans erreur, OP fera un appel sur l'URL de la
//! sonde". Builds the push request; the caller sends it through its transport and retry policy.

use crate::net::{Method, Request};
use crate::time::Duration;

/// What to push after a run. Sans-IO and stateless: it never sends anything itself and has no
/// timer, so there is no `poll_timeout`; the caller hands the request to its transport and
/// retries it with a `logic::retry::RetryState`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatSender {
    /// The push token from the monitor's URL `<kuma>/api/push/<token>`.
    pub token: String,
    /// *(option)* push `status=down` after a run that ended in error, instead of nothing.
    pub push_on_error: bool,
}

impl HeartbeatSender {
    /// The push to send after a run that took `duration` and succeeded or not; `None` when the
    /// seed's rule says nothing is sent (an error, without `push_on_error`).
    ///
    /// Pure: changes nothing (the sender has no state).
    pub fn after_run(&self, succeeded: bool, duration: Duration) -> Option<Request> {
        let path = format!("/api/push/{}", self.token);
        let ping = duration.as_ms().max(0).to_string();
        if succeeded {
            Some(Request::new(Method::Get, path).query_param("status", "up").query_param("msg", "OK").query_param("ping", ping))
        } else if self.push_on_error {
            Some(
                Request::new(Method::Get, path)
                    .query_param("status", "down")
                    .query_param("msg", "job ended in error")
                    .query_param("ping", ping),
            )
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_successful_run_pushes_up_with_its_duration_as_ping() {
        let s = HeartbeatSender { token: "abc".into(), push_on_error: false };
        let r = s.after_run(true, Duration::from_secs(61)).unwrap();
        assert_eq!(r.path, "/api/push/abc");
        assert_eq!((r.query_value("status"), r.query_value("msg"), r.query_value("ping")), (Some("up"), Some("OK"), Some("61000")));
    }

    #[test]
    fn a_failed_run_pushes_nothing_unless_asked_to_push_down() {
        let quiet = HeartbeatSender { token: "abc".into(), push_on_error: false };
        assert_eq!(quiet.after_run(false, Duration::SECOND), None);
        let loud = HeartbeatSender { token: "abc".into(), push_on_error: true };
        assert_eq!(loud.after_run(false, Duration::SECOND).unwrap().query_value("status"), Some("down"));
    }
}

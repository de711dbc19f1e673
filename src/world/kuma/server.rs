//! The Kuma server as the ERP sees it: push monitors by token behind `GET /api/push/<token>`
//! (public source: Kuma 2.x `server/routers/api-router.js`), answering 200 `{"ok":true}` or
//! 404 `{"ok":false,"msg":...}`. Stamps every push with its own (virtual) time.

use serde_json::json;

use super::monitor::{KumaVersion, MonitorEvent, PushMonitor, PushReply, unknown_token_reply_for};
use crate::net::{Request, Response, Service};
use crate::time::Instant;

pub struct KumaServer {
    /// (token, monitor), in the scenario's order; looked up by token.
    monitors: Vec<(String, PushMonitor)>,
    up: bool,
    /// The push route differs between versions (1.23 has no ping check).
    version: KumaVersion,
    /// Monitors paused in Kuma (`monitor.active = 0`), by index: [`start`](Self::start) leaves
    /// them inactive, as Kuma's `startMonitors()` starts only `active = 1` rows.
    paused: Vec<bool>,
}

impl KumaServer {
    pub fn new(monitors: Vec<(String, PushMonitor)>, version: KumaVersion) -> Self {
        let paused = vec![false; monitors.len()];
        KumaServer { monitors, up: false, version, paused }
    }
    /// Marks the monitor at `index` paused (`active = 0`) or not, before the server starts: a
    /// paused monitor stays inactive, so its pushes get 404 ("Monitor not found or not active.",
    /// `api-router.js`: `push_token = ? AND active = 1`) and it never checks or notifies.
    pub fn set_paused(&mut self, index: usize, paused: bool) {
        if let Some(p) = self.paused.get_mut(index) {
            *p = paused;
        }
    }
    /// The server starts: every active monitor's check chain starts a full interval later;
    /// paused monitors stay inactive.
    pub fn start(&mut self, now: Instant) {
        self.up = true;
        for ((_, m), paused) in self.monitors.iter_mut().zip(&self.paused) {
            if !paused {
                m.start(now);
            }
        }
    }
    pub fn stop(&mut self, now: Instant) {
        self.up = false;
        for (_, m) in &mut self.monitors {
            m.stop_server(now);
        }
    }
    pub fn restart(&mut self, now: Instant) {
        self.up = true;
        for (_, m) in &mut self.monitors {
            m.restart_server(now);
        }
    }
    pub fn is_up(&self) -> bool {
        self.up
    }
    pub fn monitor_mut(&mut self, index: usize) -> &mut PushMonitor {
        &mut self.monitors[index].1
    }
    pub fn monitor(&self, index: usize) -> &PushMonitor {
        &self.monitors[index].1
    }
    pub fn len(&self) -> usize {
        self.monitors.len()
    }
    pub fn is_empty(&self) -> bool {
        self.monitors.is_empty()
    }
    /// The earliest check timer of any monitor, with the monitor's index.
    pub fn next_timeout(&self) -> Option<(Instant, usize)> {
        self.monitors.iter().enumerate().filter_map(|(i, (_, m))| m.poll_timeout().map(|t| (t, i))).min()
    }
    /// Drain every monitor's stored beats and notifications, with the monitor's index.
    pub fn drain_events(&mut self) -> Vec<(usize, MonitorEvent)> {
        let mut out = Vec::new();
        for (i, (_, m)) in self.monitors.iter_mut().enumerate() {
            while let Some(e) = m.poll_event() {
                out.push((i, e));
            }
        }
        out
    }
}

impl Service for KumaServer {
    /// `/api/push/:pushToken` with any method; anything else is 404 as in Kuma's router.
    fn handle(&mut self, now: Instant, request: &Request) -> Response {
        let ping = request.query_value("ping");
        let reply = match request.path.strip_prefix("/api/push/") {
            Some(token) => match self.monitors.iter_mut().find(|(t, _)| t == token) {
                Some((_, m)) => m.handle_push(now, request.query_value("status"), request.query_value("msg"), ping),
                None => unknown_token_reply_for(self.version, ping),
            },
            None => PushReply::NotFound { msg: "Not Found" },
        };
        match reply {
            PushReply::Ok => Response::json(200, &json!({ "ok": true })),
            PushReply::NotFound { msg } => Response::json(404, &json!({ "ok": false, "msg": msg })),
            // The engine refuses the connection before calling us while the server is down.
            PushReply::Unreachable => Response::json(503, &json!({ "ok": false, "msg": "Kuma is not running" })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Method;
    use crate::world::kuma::monitor::MonitorSettings;

    #[test]
    fn a_paused_monitor_answers_404_never_checks_and_stays_paused_across_a_restart() {
        let monitors = vec![
            ("on".to_string(), PushMonitor::new(MonitorSettings::new(60))),
            ("off".to_string(), PushMonitor::new(MonitorSettings::new(60))),
        ];
        let mut kuma = KumaServer::new(monitors, KumaVersion::V2);
        kuma.set_paused(1, true);
        kuma.start(Instant::from_ms(0));
        let push = |token: &str| Request::new(Method::Get, format!("/api/push/{token}")).query_param("status", "up");
        assert_eq!(kuma.handle(Instant::from_ms(1_000), &push("on")).status, 200);
        assert_eq!(kuma.handle(Instant::from_ms(1_000), &push("off")).status, 404);
        assert!(kuma.monitor(1).poll_timeout().is_none(), "a paused monitor has no check timer");
        assert!(!kuma.monitor(1).is_active());
        kuma.restart(Instant::from_ms(2_000));
        assert!(!kuma.monitor(1).is_active(), "a restart keeps it paused");
        assert!(kuma.monitor(0).is_active());
    }
}

//! The push route's parsing (Kuma 2.x `server/routers/api-router.js`,
//! `router.all("/api/push/:pushToken")`): the `status`, `msg` and `ping` query parameters become
//! what the monitor is told ([`PushedBeat`]), or the route answers before reaching the monitor
//! (an invalid `ping`, an unknown token). What the monitor then stores is
//! [`PushMonitor::handle_push`](super::PushMonitor::handle_push)'s business.

use super::beat::Status;
use super::parse_float::{PingClass, classify_ping};
use super::version::KumaVersion;

/// 404 message for an unknown or paused token (`api-router.js`).
pub const MSG_NOT_FOUND: &str = "Monitor not found or not active.";
/// 404 message for a numeric `ping` outside `[0, MAX_PING_MS]` (`api-router.js`).
pub const MSG_INVALID_PING: &str = "Invalid ping value. Must be between 0 and 100000000000 ms.";
/// Default push message (`api-router.js`: `request.query.msg || "OK"`).
pub const MSG_DEFAULT_PUSH: &str = "OK";

/// The push endpoint's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushReply {
    /// 200 `{"ok":true}`.
    Ok,
    /// 404 `{"ok":false,"msg":msg}`.
    NotFound { msg: &'static str },
    /// The Kuma server is not running (see
    /// [`PushMonitor::handle_server_stop`](super::PushMonitor::handle_server_stop)): the HTTP request fails
    /// before reaching Kuma (connection refused). Not in Kuma's source; a model state.
    Unreachable,
}

/// What one push tells the monitor, read from the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushedBeat<'a> {
    /// `(statusString === "up") ? UP : DOWN`, before any flip, retry or maintenance.
    pub status: Status,
    /// The row's `msg`: the query's, or [`MSG_DEFAULT_PUSH`].
    pub msg: &'a str,
}

/// Reads a push's query as Kuma `version` does (`None` = parameter absent). `Err` is the route's
/// answer when it rejects the push before looking the token up: a numeric `ping` outside
/// `[0, 1e11]` → 404 [`MSG_INVALID_PING`] (2.x only, [`KumaVersion::validates_ping`]; a
/// non-numeric or zero `ping` is just stored as null). Otherwise `status` (empty or absent =
/// "up") is UP iff it is exactly `"up"`, else DOWN, and `msg` empty or absent is "OK".
pub fn read_push_query<'a>(
    version: KumaVersion,
    status: Option<&str>,
    msg: Option<&'a str>,
    ping: Option<&str>,
) -> Result<PushedBeat<'a>, PushReply> {
    // api-router.js (2.x): ping validated before the monitor lookup. 1.23: `parseInt` /
    // `parseFloat(request.query.ping) || null`, never rejected.
    if version.validates_ping()
        && let Some(reply) = ping_rejection(ping)
    {
        return Err(reply);
    }
    // api-router.js: `request.query.status || "up"`, then `(statusString === "up") ? UP : DOWN`.
    let status_string = match status {
        Some(s) if !s.is_empty() => s,
        _ => "up",
    };
    let status = if status_string == "up" { Status::Up } else { Status::Down };
    // api-router.js: `request.query.msg || "OK"` (in 2.x the later `msg = "Monitor under
    // maintenance"` assignment does not reach `bean.msg`, already set).
    let msg = match msg {
        Some(m) if !m.is_empty() => m,
        _ => MSG_DEFAULT_PUSH,
    };
    Ok(PushedBeat { status, msg })
}

/// The reply of the push endpoint to a token no monitor has (`api-router.js`): the `ping` check
/// comes first, so an invalid `ping` gets [`MSG_INVALID_PING`], anything else 404
/// [`MSG_NOT_FOUND`].
pub fn unknown_token_reply(ping: Option<&str>) -> PushReply {
    ping_rejection(ping).unwrap_or(PushReply::NotFound { msg: MSG_NOT_FOUND })
}

/// [`unknown_token_reply`] for a given Kuma version: 1.23 has no `ping` check, so an unknown
/// token always gets 404 [`MSG_NOT_FOUND`] there.
pub fn unknown_token_reply_for(version: KumaVersion, ping: Option<&str>) -> PushReply {
    if version.validates_ping() { unknown_token_reply(ping) } else { PushReply::NotFound { msg: MSG_NOT_FOUND } }
}

fn ping_rejection(ping: Option<&str>) -> Option<PushReply> {
    match classify_ping(ping) {
        PingClass::OutOfRange => Some(PushReply::NotFound { msg: MSG_INVALID_PING }),
        PingClass::Null | PingClass::InRange => None,
    }
}

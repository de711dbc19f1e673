//! The jobs loop's trace lines (their fields are documented in docs/trace.md).

use serde::Serialize;

use crate::sim::loops::jobs::log::RunFate;

/// `cron` / `run`: a run ended.
#[derive(Serialize)]
pub struct RunLine<'a> {
    pub job: u32,
    pub label: &'a str,
    pub slot: String,
    pub fate: RunFate,
    pub duration_ms: i64,
}

/// `heartbeat` / `push`: a push attempt came back.
#[derive(Serialize)]
pub struct PushLine<'a> {
    pub job: u32,
    pub monitor: &'a str,
    pub attempt: u32,
    pub wire: &'a str,
    pub status: Option<u16>,
    pub next: &'a str,
}

/// `scenario` / `kuma_push`: a scripted push's answer came back (one attempt, no retry).
#[derive(Serialize)]
pub struct ScriptedPushLine<'a> {
    pub monitor: &'a str,
    /// The push URL's parameters as sent, in order.
    pub query: &'a [(String, String)],
    pub wire: &'a str,
    pub status: Option<u16>,
}

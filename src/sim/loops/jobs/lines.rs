//! The jobs loop's trace lines (their fields are documented in docs/trace.md).

use serde::Serialize;

use crate::sim::loops::jobs::log::RunFate;
use crate::world::kuma::monitor::{NotificationKind, Status};

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

/// `kuma` / `beat` and `kuma` / `notification`.
#[derive(Serialize)]
pub struct BeatLine<'a> {
    pub monitor: &'a str,
    pub status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<&'a str>,
}

pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Up => "UP",
        Status::Down => "DOWN",
        Status::Pending => "PENDING",
        Status::Maintenance => "MAINTENANCE",
    }
}

pub fn notification_name(k: NotificationKind) -> &'static str {
    match k {
        NotificationKind::Down => "down",
        NotificationKind::Up => "up",
        NotificationKind::DownReminder => "down_reminder",
    }
}

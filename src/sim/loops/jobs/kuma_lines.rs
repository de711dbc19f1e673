//! Kuma's trace lines (component `kuma`; fields documented in docs/trace.md): with them a
//! checker can verify every beat and notification from the trace alone (issue #14, item 6).

use serde::Serialize;
use serde_json::{Value, json};

use crate::time::Instant;
use crate::world::kuma::monitor::{BeatSource, KumaVersion, MonitorSettings, NotificationKind, Status, TimerLateness};
use crate::world::kuma::server_log::{MonitorChange, ServerChange};

/// `kuma` / `beat`: a stored heartbeat row.
#[derive(Serialize)]
pub struct BeatLine<'a> {
    pub monitor: &'a str,
    pub status: &'a str,
    /// The row's `retries` (Kuma 1.23: the chain's in-memory count just after the beat).
    pub retries: u32,
    /// The row's `important` flag.
    pub important: bool,
    pub msg: &'a str,
    /// `push` (the push route stored it) or `check` (the check chain did).
    pub by: &'static str,
}

/// `kuma` / `notification`: Kuma notified for the beat just before.
#[derive(Serialize)]
pub struct NotificationLine<'a> {
    pub monitor: &'a str,
    pub status: &'a str,
    pub notification: &'static str,
}

/// `kuma` / `server`: the Kuma process started, stopped or started again.
#[derive(Serialize)]
pub struct ServerLine {
    pub change: &'static str,
    /// `2` or `1.23`, on the first start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
}

/// `kuma` / `monitor`: a monitor's row or check chain changed; its settings after the change.
#[derive(Serialize)]
pub struct MonitorLine<'a> {
    pub monitor: &'a str,
    pub change: &'static str,
    pub active: bool,
    pub interval_s: u32,
    pub retry_interval_s: u32,
    pub max_retries: u32,
    pub resend_interval: u32,
    pub upside_down: bool,
    /// As the scenario writes it: a number, `{"uniform": [lo, hi]}` or `{"table": [[ms, weight], ...]}`
    /// (a preset is written as its table).
    pub timer_lateness_ms: Value,
    pub chain_start_ms: Option<i64>,
    pub chain_start: Option<String>,
    pub next_check_ms: Option<i64>,
    pub next_check: Option<String>,
}

impl<'a> MonitorLine<'a> {
    pub fn new(
        monitor: &'a str,
        change: MonitorChange,
        active: bool,
        s: &MonitorSettings,
        chain_start: Option<Instant>,
        next_check: Option<Instant>,
    ) -> Self {
        MonitorLine {
            monitor,
            change: monitor_change_name(change),
            active,
            interval_s: s.interval_s,
            retry_interval_s: s.retry_interval_s,
            max_retries: s.max_retries,
            resend_interval: s.resend_interval,
            upside_down: s.upside_down,
            timer_lateness_ms: lateness_json(&s.timer_lateness),
            chain_start_ms: chain_start.map(Instant::as_ms),
            chain_start: chain_start.map(Instant::to_rfc3339),
            next_check_ms: next_check.map(Instant::as_ms),
            next_check: next_check.map(Instant::to_rfc3339),
        }
    }
}

/// `kuma` / `maintenance`: a window covering the monitor begins or ends.
#[derive(Serialize)]
pub struct MaintenanceLine<'a> {
    pub monitor: &'a str,
    pub change: &'static str,
}

/// `kuma` / `push_received`: a request reached Kuma's push route.
#[derive(Serialize)]
pub struct PushReceivedLine<'a> {
    /// The monitor whose token the URL names; `null` when it names no monitor's.
    pub monitor: Option<&'a str>,
    pub query: &'a [(String, String)],
    /// The HTTP status Kuma answered.
    pub answer: u16,
}

/// `kuma` / `check` (with `--trace-silent-checks`): a check found a fresh healthy row and stored nothing.
#[derive(Serialize)]
pub struct SilentCheckLine<'a> {
    pub monitor: &'a str,
    pub last_beat_ms: i64,
    pub next_check_ms: i64,
    pub next_check: String,
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

pub fn source_name(s: BeatSource) -> &'static str {
    match s {
        BeatSource::Push => "push",
        BeatSource::Check => "check",
    }
}

pub fn version_name(v: KumaVersion) -> &'static str {
    match v {
        KumaVersion::V2 => "2",
        KumaVersion::V1_23 => "1.23",
    }
}

pub fn server_change_name(c: ServerChange) -> &'static str {
    match c {
        ServerChange::Start => "start",
        ServerChange::Stop => "stop",
        ServerChange::Restart => "restart",
    }
}

fn monitor_change_name(c: MonitorChange) -> &'static str {
    match c {
        MonitorChange::Start => "start",
        MonitorChange::Create => "create",
        MonitorChange::Resume => "resume",
        MonitorChange::Edit => "edit",
        MonitorChange::Pause => "pause",
        MonitorChange::Delete => "delete",
    }
}

fn lateness_json(l: &TimerLateness) -> Value {
    match l {
        TimerLateness::Constant(ms) => json!(ms),
        TimerLateness::Uniform { lo_ms, hi_ms } => json!({ "uniform": [lo_ms, hi_ms] }),
        TimerLateness::Table(rows) => json!({ "table": rows.iter().map(|(ms, w)| json!([ms, w])).collect::<Vec<_>>() }),
    }
}

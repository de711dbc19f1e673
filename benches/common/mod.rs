//! Shared by the benches: the workload of issue #7.

#![allow(dead_code)] // each bench uses part of it

use syncsim::sim::scenario;

/// The success path of rule A: every connection syncs daily with `random-hours`, creation spread
/// over the first day (the workload of issue "Scale and speed").
pub fn daily_population(connections: u64, days: u32) -> scenario::Scenario {
    let text = format!(
        r#"{{"name": "bench", "seed": 1, "start": "2026-01-01T00:00:00Z", "duration": "{days}d",
  "sync": {{"connectors": [{{"id": "a", "weight": 3}}, {{"id": "b", "weight": 1}}],
           "populations": [{{"name": "p", "count": {connections}, "created": {{"between": ["+0s", "+1d"]}}}}]}},
  "report": {{"freshness_sample_every": "6h"}}}}"#
    );
    scenario::load_str("bench.json", &text).expect("valid bench scenario")
}

/// A day of the ERP's life over the transports: 300 invoices paid by Bridge links, their
/// webhooks (2 % lost), an hourly recovery job and its Kuma heartbeat. No faults, so every call
/// is one request to a mock.
pub fn payments_day() -> scenario::Scenario {
    let text = r#"{"name": "bench-payments", "seed": 3, "start": "2026-03-02T00:00:00Z", "duration": "1d",
  "cron": {"tick": "1m", "jobs": [{"id": 1, "label": "recovery", "frequency": "1h", "first_run": "+5m",
    "duration": {"uniform": ["1s", "3s"]}, "heartbeat": {"monitor": "recovery"}}]},
  "kuma": {"monitors": [{"id": "recovery", "interval_s": 3720}]},
  "payments": {"recovery_job": 1, "invoices_per_day": 300, "webhooks": {"loss": 0.02}}}"#;
    scenario::load_str("bench-payments.json", text).expect("valid bench scenario")
}

/// Reset the process's peak resident set (Linux); harmless elsewhere.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident set since the last [`reset_peak`], in KiB (Linux `VmHWM`).
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

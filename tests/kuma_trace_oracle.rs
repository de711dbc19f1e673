//! The trace is complete enough to check Kuma from it alone (issue #14, item 6): an independent
//! reading of Kuma 2.x's push check (`server/model/monitor.js`, `beat()`, push branch and
//! `catch`), fed with nothing but the trace's lines — the server's starts and stops, each
//! monitor's settings and first check, maintenance windows, every stored beat and, with
//! `--trace-silent-checks`, every check that stored nothing — predicts the instant, status and
//! `retries` of every check over generated scenarios with job pushes, scripted up and down
//! pushes, monitors created late and deleted, edits, pauses, resumes, restarts and maintenance
//! windows. The scenario file is never read.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;

mod support;

use support::scenario_file::{Event, Job, Monitor, ScenarioFile, seconds, uniform};

const START_MS: i64 = 1_777_852_800_000; // 2026-05-04T00:00:00Z
const END_MS: i64 = START_MS + 2 * 86_400_000;

#[derive(Debug, Clone)]
struct Gen {
    frequency_s: u32,
    interval_s: u32,
    max_retries: u32,
    retry_interval_s: u32,
    lateness_ms: i64,
    errors: Vec<(u32, u32)>,
    edit: Option<(u32, u32)>,
    pause: Option<(u32, u32)>,
    restart: Option<(u32, u32)>,
    maintenance: Option<(u32, u32)>,
    /// Scripted pushes to m: (minute, second, status=down).
    pushes: Vec<(u32, u32, bool)>,
    /// When the never-pushed monitor is created, and deleted.
    silent_life: (Option<u32>, Option<u32>),
    seed: u64,
}

fn any_case() -> impl Strategy<Value = Gen> {
    let life = (
        prop::option::of((10u32..2500, 20u32..1200)),
        prop::option::of((10u32..2200, 1u32..600)),
        prop::option::of((10u32..2500, 1u32..30)),
        prop::option::of((10u32..2500, 1u32..120)),
    );
    let scripted = (
        prop::collection::vec((10u32..2800, 0u32..60, any::<bool>()), 0..6),
        prop::option::of(1u32..1400),
        prop::option::of(1400u32..2800),
    );
    (
        prop_oneof![Just(60u32), Just(300), Just(900)],
        (0u32..120, 0u32..=3, prop_oneof![Just(0u32), Just(20), Just(60)], 0i64..=2),
        prop::collection::vec((10u32..2500, 1u32..4), 0..3),
        life,
        scripted,
        any::<u64>(),
    )
        .prop_map(
            |(
                frequency_s,
                (margin_s, max_retries, retry_interval_s, lateness_ms),
                errors,
                (edit, pause, restart, maintenance),
                (pushes, created, deleted),
                seed,
            )| Gen {
                frequency_s,
                interval_s: frequency_s + 30 + margin_s,
                max_retries,
                retry_interval_s,
                lateness_ms,
                errors,
                edit,
                pause,
                restart,
                maintenance,
                pushes,
                silent_life: (created, deleted),
                seed,
            },
        )
}

fn text(g: &Gen) -> String {
    let job = Job::new(1, "job", &seconds(g.frequency_s)).first_run("+2m").duration(uniform("5s", "30s")).heartbeat("m");
    let m =
        Monitor::new("m", g.interval_s).max_retries(g.max_retries).retry_interval_s(g.retry_interval_s).timer_lateness_ms(g.lateness_ms);
    // Never pushed: its chain fails from its first check on, behind m in Kuma's start order.
    let mut silent = Monitor::new("silent", 300).max_retries(1).retry_interval_s(60).timer_lateness_ms(g.lateness_ms);
    if let Some(at) = g.silent_life.0 {
        silent = silent.created(at);
    }
    let mut file = ScenarioFile::new("kuma-oracle", "2026-05-04T00:00:00Z", "2d")
        .seed(g.seed)
        .time_zone("UTC")
        .cron(Some("1m"), vec![job])
        .kuma(vec![m, silent])
        .no_faults()
        .timeline();
    for &(at, n) in &g.errors {
        file = file.at(at, Event::JobError { job: 1, count: Some(n) });
    }
    if let Some((at, interval_s)) = g.edit {
        file = file.at(at, Event::KumaMonitorEdit { monitor: "m".into(), interval_s });
    }
    if let Some((at, len)) = g.pause {
        file = file.at(at, Event::KumaMonitorPause { monitor: "m".into() }).at(at + len, Event::KumaMonitorResume { monitor: "m".into() });
    }
    if let Some((at, len)) = g.restart {
        file = file.at(at, Event::KumaRestart { duration: format!("{len}m") });
    }
    if let Some((at, len)) = g.maintenance {
        file = file.at(at, Event::KumaMaintenance { monitor: "m".into(), duration: format!("{len}m") });
    }
    for &(minute, second, down) in &g.pushes {
        file = file.at(format!("+{minute}m{second}s").as_str(), Event::KumaPush { monitor: "m".into(), down });
    }
    if let Some(at) = g.silent_life.1 {
        file = file.at(at, Event::KumaMonitorDelete { monitor: "silent".into() });
    }
    file.text()
}

/// Kuma's `bufferTime` (`monitor.js`, `beat()`).
const BUFFER_MS: i64 = 1_000;

/// One monitor as the oracle knows it from the trace.
#[derive(Default, Debug)]
struct Seen {
    interval_s: i64,
    retry_interval_s: i64,
    max_retries: i64,
    lateness_ms: i64,
    /// When the next check must fire; `None` while no chain runs.
    armed: Option<i64>,
    /// The latest row: time, status, retries.
    last: Option<(i64, String, i64)>,
    maintenance: i64,
}

impl Seen {
    fn beat_interval_ms(&self) -> i64 {
        self.interval_s.max(1) * 1_000
    }
    /// `monitor.js`: UP within `beatInterval * 1000 + bufferTime` of the check.
    fn fresh_up_at(&self, t: i64) -> Option<i64> {
        match &self.last {
            Some((at, status, _)) if status == "UP" && t - at <= self.beat_interval_ms() + BUFFER_MS => Some(t - at),
            _ => None,
        }
    }
}

/// Replays the trace's Kuma lines; the first disagreement with Kuma's rules, if any.
fn disagreement(lines: &[Value]) -> Option<String> {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for l in lines.iter().filter(|l| l["component"] == "kuma") {
        let t = l["t_ms"].as_i64()?;
        let id = l["monitor"].as_str().unwrap_or("").to_string();
        match l["kind"].as_str()? {
            "server" if l["change"] == "stop" => seen.values_mut().for_each(|m| m.armed = None),
            "monitor" => {
                let m = seen.entry(id).or_default();
                m.interval_s = l["interval_s"].as_i64()?;
                m.retry_interval_s = l["retry_interval_s"].as_i64()?;
                m.max_retries = l["max_retries"].as_i64()?;
                m.lateness_ms = l["timer_lateness_ms"].as_i64()?;
                m.armed = l["next_check_ms"].as_i64();
                if let (Some(start), Some(next)) = (l["chain_start_ms"].as_i64(), m.armed) {
                    // `start()`: "Delay Push Type", the first check a full interval after the start.
                    if next != start + m.beat_interval_ms() + m.lateness_ms {
                        return Some(format!("first check at {next}, not start + I + lateness: {l}"));
                    }
                }
            }
            "maintenance" => seen.entry(id).or_default().maintenance += if l["change"] == "begin" { 1 } else { -1 },
            "check" => {
                let m = seen.get_mut(&id)?;
                if m.armed != Some(t) {
                    return Some(format!("a check at {t}, armed for {:?}: {l}", m.armed));
                }
                if m.maintenance > 0 {
                    return Some(format!("a silent check during maintenance: {l}"));
                }
                let Some(since) = m.fresh_up_at(t) else { return Some(format!("a silent check without a fresh UP: {l}")) };
                // `timeout = beatInterval * 1000 - msSinceLastBeat`, `bufferTime` when negative,
                // else `+ bufferTime`.
                let timeout = m.beat_interval_ms() - since;
                let next = t + if timeout < 0 { BUFFER_MS } else { timeout + BUFFER_MS } + m.lateness_ms;
                if l["next_check_ms"].as_i64() != Some(next) {
                    return Some(format!("silent check re-armed for {}, expected {next}: {l}", l["next_check_ms"]));
                }
                m.armed = Some(next);
            }
            "beat" if l["by"] == "push" => {
                let m = seen.get_mut(&id)?;
                m.last = Some((t, l["status"].as_str()?.to_string(), l["retries"].as_i64()?));
            }
            "beat" => {
                let m = seen.get_mut(&id)?;
                if m.armed != Some(t) {
                    return Some(format!("a check beat at {t}, armed for {:?}: {l}", m.armed));
                }
                let (status, retries) = if m.maintenance > 0 {
                    ("MAINTENANCE", 0)
                } else if m.fresh_up_at(t).is_some() {
                    return Some(format!("a check stored a beat although the last UP was fresh: {l}"));
                } else {
                    // `retries = previousBeat.retries` (0 after an UP row), then the `catch`.
                    let before = match &m.last {
                        Some((_, s, r)) if s != "UP" => *r,
                        _ => 0,
                    };
                    if m.max_retries > 0 && before < m.max_retries { ("PENDING", before + 1) } else { ("DOWN", before + 1) }
                };
                if l["status"] != status || l["retries"].as_i64() != Some(retries) {
                    return Some(format!("expected {status} with retries {retries}: {l}"));
                }
                let next_s = if status == "PENDING" && m.retry_interval_s > 0 { m.retry_interval_s } else { m.interval_s.max(1) };
                m.armed = Some(t + next_s * 1_000 + m.lateness_ms);
                m.last = Some((t, status.to_string(), retries));
            }
            _ => {}
        }
    }
    seen.iter()
        .find(|(_, m)| m.armed.is_some_and(|a| a < END_MS))
        .map(|(id, m)| format!("{id}: a check armed for {:?} never came", m.armed))
}

proptest! {
    #![proptest_config(support::properties::config(64))]

    #[test]
    fn kuma_every_check_comes_when_the_trace_armed_it_and_stores_what_the_trace_alone_predicts(g in any_case()) {
        let t = text(&g);
        let lines = support::trace_with_silent_checks(&t);
        let problem = disagreement(&lines);
        prop_assert!(problem.is_none(), "{}\n{}", problem.unwrap_or_default(), support::keep_failure(&t, "kuma_trace_oracle"));
    }
}

/// The oracle is not vacuous: on a fixed sample it sees silent checks, PENDING and DOWN checks,
/// maintenance beats, and every life-cycle line.
#[test]
fn the_oracle_sees_silent_checks_failures_maintenance_and_every_life_cycle_line() {
    use proptest::strategy::ValueTree;
    let mut runner = support::properties::coverage_runner();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for _ in 0..24 {
        let g = any_case().new_tree(&mut runner).unwrap().current();
        for l in support::trace_with_silent_checks(&text(&g)).iter().filter(|l| l["component"] == "kuma") {
            let what = match (l["kind"].as_str(), l["by"].as_str()) {
                (Some("beat"), Some(by)) => format!("{by} beat {}", l["status"].as_str().unwrap_or("")),
                (Some("monitor"), _) => format!("monitor {}", l["change"].as_str().unwrap_or("")),
                (Some(kind), _) => kind.to_string(),
                _ => continue,
            };
            *seen.entry(what).or_default() += 1;
        }
    }
    for what in [
        "check",
        "check beat PENDING",
        "check beat DOWN",
        "check beat MAINTENANCE",
        "monitor start",
        "monitor edit",
        "monitor pause",
        "monitor resume",
        "push_received",
        "server",
    ] {
        assert!(seen.get(what).copied().unwrap_or(0) > 0, "never seen: {what}; seen: {seen:?}");
    }
}

/// A wrong trace is caught: the oracle flags a check beat moved by one millisecond.
#[test]
fn the_oracle_flags_a_check_one_millisecond_off() {
    let g = Gen {
        frequency_s: 300,
        interval_s: 400,
        max_retries: 1,
        retry_interval_s: 20,
        lateness_ms: 1,
        errors: vec![(30, 3)],
        edit: None,
        pause: None,
        restart: None,
        maintenance: None,
        pushes: vec![],
        silent_life: (None, None),
        seed: 7,
    };
    let mut lines = support::trace_with_silent_checks(&text(&g));
    assert_eq!(disagreement(&lines), None);
    let beat = lines.iter_mut().find(|l| l["kind"] == "beat" && l["by"] == "check").expect("a check beat");
    beat["t_ms"] = Value::from(beat["t_ms"].as_i64().unwrap() + 1);
    assert!(disagreement(&lines).is_some_and(|p| p.contains("armed for")));
}

//! Every documented limit of the scenario format (`sim/scenario/validate.rs`), run at the limit:
//! the time and the peak memory of each, against the budget README.md states ("What syncsim
//! guarantees"). A scenario over its budget makes the bench fail, so a limit that the machine
//! cannot keep is seen before a user meets it. Each limit runs in a process of its own (the
//! bench runs itself with `LIMITS_CHILD=<name>`), so its peak is its own, not what an earlier one
//! left in the allocator. One-shot, minutes long: `cargo bench --bench limits`
//! (`LIMITS_ONLY=connections,timeline,...` for some). Numbers go to benches/README.md.

use std::time::Instant as WallClock;

use serde_json::{Value, json};
use syncsim::sim::commands::ci::ScenarioVerdict;
use syncsim::sim::commands::run::{self, RunOptions, TransportChoice};
use syncsim::sim::scenario;

mod common;
use common::peak_rss_kb;

/// One limit: its name, the scenario at the limit (built when run), and the memory budget
/// README.md states.
struct Limit {
    name: &'static str,
    scenario: fn() -> String,
    budget_mb: u64,
    /// The file at the limit with one fault: the loader must refuse it, locating the problem,
    /// within the budget (the slow path that finds every problem).
    refused: bool,
}

fn base(name: &str) -> serde_json::Map<String, Value> {
    let Value::Object(m) = json!({"name": name, "seed": 1, "start": "2026-01-01T00:00:00Z", "duration": "400d",
        "report": {"freshness_sample_every": "6h"}})
    else {
        unreachable!()
    };
    m
}

/// The scenario's text: the common head and `extra`'s sections.
fn with(name: &str, extra: Value) -> String {
    let mut m = base(name);
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    Value::Object(m).to_string()
}

fn limits() -> Vec<Limit> {
    vec![
        // MAX_CONNECTIONS: 2 000 000.
        Limit {
            name: "connections",
            scenario: || {
                with(
                    "connections",
                    json!({"sync": {"connectors": [{"id": "a", "weight": 3}, {"id": "b", "weight": 1}],
                    "populations": [{"name": "p", "count": 2_000_000, "created": {"between": ["+0s", "+1d"]}}]}}),
                )
            },
            budget_mb: 400,
            refused: false,
        },
        // MAX_TIMELINE_EVENTS: 1 000 000.
        Limit { name: "timeline", scenario: || timeline(false), budget_mb: 300, refused: false },
        // The same file with one misspelt event: the loader's slow path, which locates every
        // problem (a tree of the file, the repaired copy, the positions of the problems).
        Limit { name: "timeline-refused", scenario: || timeline(true), budget_mb: 1200, refused: true },
        // MAX_GENERATED_EVENTS: 5 000 000 (100 000 × 0.125 a day × 400 days).
        Limit {
            name: "generated",
            scenario: || {
                with(
                    "generated",
                    json!({"sync": {"connectors": [{"id": "a"}],
                    "populations": [{"name": "p", "count": 100_000, "created": {"between": ["+0s", "+1d"]},
                      "incidents": [{"state": "SCARequired", "per_day": 0.125, "user_fixes_after": {"uniform": ["1m", "2d"]}}]}]}}),
                )
            },
            budget_mb: 1000,
            refused: false,
        },
        // MAX_CRON_TICKS: 2 000 000 (400 days / 18 s = 1 920 000).
        Limit {
            name: "ticks",
            scenario: || {
                with(
                    "ticks",
                    json!({"cron": {"tick": "18s", "jobs": [{"id": 1, "label": "j", "frequency": "5m", "heartbeat": {"monitor": "m"}}]},
                    "kuma": {"monitors": [{"id": "m", "interval_s": 360}]}}),
                )
            },
            budget_mb: 200,
            refused: false,
        },
        // MAX_INVOICES: 500 000 (1 250 a day × 400 days).
        Limit {
            name: "invoices",
            scenario: || {
                with(
                    "invoices",
                    json!({"cron": {"tick": "1m", "jobs": [{"id": 1, "label": "recovery", "frequency": "1h", "first_run": "+5m",
                    "duration": {"uniform": ["1s", "3s"]}}]},
                    "payments": {"recovery_job": 1, "invoices_per_day": 1250}}),
                )
            },
            budget_mb: 1500,
            refused: false,
        },
    ]
}

/// 1 000 000 user actions on 1 000 connections over 400 days, compact (62 MB), with an
/// expectation (a run points at it in the file); with `bad`, the first event is misspelt.
fn timeline(bad: bool) -> String {
    // Written as text: a million `Value`s would weigh more than the run itself.
    let head = with(
        "timeline",
        json!({"sync": {"connectors": [{"id": "a"}],
        "populations": [{"name": "p", "count": 1000, "created": {"at": "+0s"}}]},
        "expect": [{"metric": "sync.attempts", "op": ">", "value": 0}]}),
    );
    let mut text = head[..head.len() - 1].to_string() + ",\"timeline\":[";
    for i in 0..1_000_000u64 {
        let sep = if i == 0 { "" } else { "," };
        let event = if bad && i == 0 { "user_actio" } else { "user_action" };
        text += &format!("{sep}{{\"at\":\"+{}s\",\"event\":\"{event}\",\"connection\":\"p#{}\"}}", i * 34, i % 1000);
    }
    text + "]}"
}

/// In the child: run one limit, print "seconds peak_mb".
fn child(limit: &Limit) {
    let text = (limit.scenario)();
    let file = format!("{}.json", limit.name);
    let wall = WallClock::now();
    if limit.refused {
        let problems = scenario::load_str(&file, &text).expect_err("one bad event is refused");
        assert!(problems.iter().all(|p| p.line >= 1), "every problem located: {problems:?}");
    } else {
        let s = scenario::load_str(&file, &text).expect("the scenario at the limit is valid");
        let (output, result) = run::run(
            &s,
            RunOptions {
                seed: None,
                transport: TransportChoice::InProcess,
                trace: None,
                trace_silent_checks: false,
                progress: &mut |_| {},
            },
        );
        result.expect("no trace, no error");
        // As the command line does after a run: where each expectation is in the file.
        let verdict = ScenarioVerdict::ran(std::path::Path::new(&file), &text, &output);
        assert!(verdict.failures().is_empty());
    }
    println!("{:.1} {}", wall.elapsed().as_secs_f64(), peak_rss_kb().map_or(0, |kb| kb / 1024));
}

fn main() {
    if let Ok(name) = std::env::var("LIMITS_CHILD") {
        let limit = limits().into_iter().find(|l| l.name == name).expect("a known limit");
        return child(&limit);
    }
    let only: Option<Vec<String>> = std::env::var("LIMITS_ONLY").ok().map(|v| v.split(',').map(str::to_string).collect());
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut over = Vec::new();
    println!("{:<18} {:>10} {:>12} {:>12}", "limit", "seconds", "peak MB", "budget MB");
    for limit in limits() {
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == limit.name)) {
            continue;
        }
        let out = std::process::Command::new(&exe).env("LIMITS_CHILD", limit.name).arg("--bench").output().expect("the bench runs itself");
        assert!(out.status.success(), "{} failed: {}", limit.name, String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_string();
        let (seconds, peak_mb) = line.split_once(' ').expect("seconds and peak");
        let peak_mb: u64 = peak_mb.parse().expect("a peak in MB");
        println!("{:<18} {:>10} {:>12} {:>12}", limit.name, seconds, peak_mb, limit.budget_mb);
        if peak_mb > limit.budget_mb {
            over.push(format!("{}: {peak_mb} MB, budget {} MB", limit.name, limit.budget_mb));
        }
    }
    assert!(over.is_empty(), "over the stated memory budget: {}", over.join("; "));
}

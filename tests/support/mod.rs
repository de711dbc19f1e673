//! Shared by the integration tests: build a scenario file ([`scenario_file`]), run it and read its
//! trace, keep a failing generated scenario as a file that `syncsim run` replays, configure every
//! property the same way ([`properties`]), and the rule checkers several property files share.

#![allow(dead_code)] // each test file uses part of it

pub mod properties;
pub mod scenario_file;

use std::collections::BTreeMap;

use syncsim::sim::commands::run::{self, RunOptions, TransportChoice};
use syncsim::sim::scenario;

/// Run a scenario given as text over `transport` and return its trace lines.
pub fn trace_over(text: &str, transport: TransportChoice) -> Vec<serde_json::Value> {
    let s = scenario::load_str("generated.json", text).unwrap_or_else(|p| panic!("invalid scenario: {p:#?}\n{text}"));
    let mut buf = Vec::new();
    let (_, result) =
        run::run(&s, RunOptions { seed: None, transport, trace: Some(&mut buf), trace_silent_checks: false, progress: &mut |_| {} });
    result.unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8(buf).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Run a scenario given as text in-process with `--trace-silent-checks`: its trace lines, every
/// Kuma check among them.
pub fn trace_with_silent_checks(text: &str) -> Vec<serde_json::Value> {
    let s = scenario::load_str("generated.json", text).unwrap_or_else(|p| panic!("invalid scenario: {p:#?}\n{text}"));
    let mut buf = Vec::new();
    let options = RunOptions {
        seed: None,
        transport: TransportChoice::InProcess,
        trace: Some(&mut buf),
        trace_silent_checks: true,
        progress: &mut |_| {},
    };
    let (_, result) = run::run(&s, options);
    result.unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8(buf).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Run a scenario given as text in-process: its report and its trace lines.
pub fn report_and_trace(text: &str) -> (syncsim::sim::analysis::report::Report, Vec<serde_json::Value>) {
    let (out, lines) = output_and_trace(text);
    (out.report, lines)
}

/// Run a scenario given as text in-process: the whole output (the report, and what the plots and
/// `payments.csv` are drawn from: the ledger's truth per payment) and the trace lines.
pub fn output_and_trace(text: &str) -> (run::RunOutput, Vec<serde_json::Value>) {
    let s = scenario::load_str("generated.json", text).unwrap_or_else(|p| panic!("invalid scenario: {p:#?}\n{text}"));
    let mut buf = Vec::new();
    let (out, result) = run::run(
        &s,
        RunOptions {
            seed: None,
            transport: TransportChoice::InProcess,
            trace: Some(&mut buf),
            trace_silent_checks: false,
            progress: &mut |_| {},
        },
    );
    result.unwrap_or_else(|e| panic!("{e}"));
    (out, String::from_utf8(buf).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect())
}

/// Run a scenario given as text over `transport` and keep the bytes: every report file
/// (`report.json`, `report.md`, the plots, `payments.csv`) as (name, contents), the raw trace, and
/// the transport that carried the calls. For byte-for-byte comparisons (determinism, HTTP against
/// in-process).
pub fn files_and_trace(text: &str, transport: TransportChoice) -> (Vec<(String, String)>, Vec<u8>, &'static str) {
    let s = scenario::load_str("generated.json", text).unwrap_or_else(|p| panic!("invalid scenario: {p:#?}\n{text}"));
    let mut buf = Vec::new();
    let (out, result) =
        run::run(&s, RunOptions { seed: None, transport, trace: Some(&mut buf), trace_silent_checks: false, progress: &mut |_| {} });
    result.unwrap_or_else(|e| panic!("{e}"));
    let files = syncsim::sim::commands::output::files(&out).unwrap_or_else(|e| panic!("{e}"));
    (files, buf, out.transport)
}

/// The same, in-process.
pub fn trace(text: &str) -> Vec<serde_json::Value> {
    trace_over(text, TransportChoice::InProcess)
}

/// Write a failing case under `target/syncsim-failures/<property>.json` and say how to replay it.
pub fn keep_failure(text: &str, property: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("../syncsim-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{property}.json"));
    let _ = std::fs::write(&path, text);
    format!("replay with: cargo run -- run {} --trace trace.jsonl", path.display())
}

// ---- rule checkers shared by the sync-engine and whole-system properties (SPEC 1) ----------

const DAY: i64 = 86_400_000;

fn is(l: &serde_json::Value, component: &str, kind: &str) -> bool {
    l["component"] == component && l["kind"] == kind
}

fn conn(l: &serde_json::Value) -> String {
    l["connection"].as_str().unwrap_or("").to_string()
}

fn ms(l: &serde_json::Value) -> i64 {
    l["t_ms"].as_i64().unwrap_or(0)
}

/// Rule B: no attempt on a connection from the moment the bank said it needs its user (a
/// user-action state, or a second wrongpass in a row with `retry_wrongpass = 0`) until the user
/// acts. Waiting is decided from the bank's answers, not from the engine's rule codes. The row of
/// wrongpass answers goes on across a user action unless `row_resets_on_user_action`.
pub fn rule_b(lines: &[serde_json::Value], retry_wrongpass: bool, row_resets_on_user_action: bool) -> Result<(), String> {
    let mut waiting: BTreeMap<String, i64> = BTreeMap::new();
    let mut wrongpass_row: BTreeMap<String, u32> = BTreeMap::new();
    for l in lines {
        let c = conn(l);
        if is(l, "scenario", "user_action") {
            waiting.remove(&c);
            if row_resets_on_user_action {
                wrongpass_row.remove(&c);
            }
        } else if is(l, "sync", "attempt") {
            if let Some(since) = waiting.get(&c) {
                return Err(format!("{c} attempted at {} while waiting for its user since {since}", l["t"]));
            }
            let state = l["state"].as_str().unwrap_or("");
            let row = wrongpass_row.entry(c.clone()).or_insert(0);
            *row = if state == "wrongpass" { *row + 1 } else { 0 };
            let needs_user = matches!(
                state,
                "SCARequired" | "webauthRequired" | "additionalInformationNeeded" | "decoupled" | "actionNeeded" | "passwordExpired"
            );
            if needs_user || (state == "wrongpass" && *row >= 2 && !retry_wrongpass) {
                waiting.insert(c, ms(l));
            }
        }
    }
    Ok(())
}

/// Rule C, checked on every wrongpass answer: the 1st in a row → C-first at `t + 12 h`; the 2nd or
/// later → C-repeat at `t + 7 days` (`retry_wrongpass = 1`) or C-wait with no next try. The row is
/// counted from the bank's answers; a user action breaks it only when `row_resets_on_user_action`.
pub fn rule_c(lines: &[serde_json::Value], retry_wrongpass: bool, row_resets_on_user_action: bool) -> Result<(), String> {
    const HOUR: i64 = 3_600_000;
    let mut wrongpass_row: BTreeMap<String, i64> = BTreeMap::new();
    for l in lines {
        let c = conn(l);
        if is(l, "scenario", "user_action") {
            if row_resets_on_user_action {
                wrongpass_row.remove(&c);
            }
        } else if is(l, "sync", "attempt") {
            let row = wrongpass_row.entry(c.clone()).or_insert(0);
            *row = if l["state"] == "wrongpass" { *row + 1 } else { 0 };
            if *row == 0 {
                continue;
            }
            let (t, next) = (ms(l), l["next_try_ms"].as_i64());
            let expected = match *row {
                1 => ("C-first", Some(t + 12 * HOUR)),
                _ if retry_wrongpass => ("C-repeat", Some(t + 7 * 24 * HOUR)),
                _ => ("C-wait", None),
            };
            let found = (l["rule"].as_str().unwrap_or(""), next);
            if found != expected || l["wrongpass_in_a_row"].as_i64() != Some(*row) {
                return Err(format!("{c} at {}: wrongpass #{row} in a row gave {found:?}, expected {expected:?} ({l})", l["t"]));
            }
        }
    }
    Ok(())
}

/// Rule C's limit: within any closed 24 h window, at most two wrongpass attempts per connection,
/// plus one for each user action in the window (the user's action brings an attempt at once).
pub fn wrongpass_limit(lines: &[serde_json::Value]) -> Result<(), String> {
    let mut per: BTreeMap<String, Vec<(i64, bool)>> = BTreeMap::new(); // (t, is_user_action)
    for l in lines {
        if is(l, "sync", "attempt") && l["state"] == "wrongpass" {
            per.entry(conn(l)).or_default().push((ms(l), false));
        } else if is(l, "scenario", "user_action") {
            per.entry(conn(l)).or_default().push((ms(l), true));
        }
    }
    for (c, items) in per {
        for (i, &(t0, _)) in items.iter().enumerate() {
            let window = items[i..].iter().take_while(|(t, _)| *t <= t0 + DAY);
            let (wrong, actions) = window.fold((0, 0), |(w, a), (_, user)| if *user { (w, a + 1) } else { (w + 1, a) });
            if wrong > 2 + actions {
                return Err(format!("{c}: {wrong} wrongpass attempts within 24 h of {t0} with {actions} user actions"));
            }
        }
    }
    Ok(())
}

//! Shared by the engine-level tests: run a scenario given as text and read its trace, and keep a
//! failing generated scenario as a file that `syncsim run` replays.

#![allow(dead_code)] // each test file uses part of it

use syncsim::sim::run::{self, RunOptions, TransportChoice};
use syncsim::sim::scenario;

/// Run a scenario given as text over `transport` and return its trace lines.
pub fn trace_over(text: &str, transport: TransportChoice) -> Vec<serde_json::Value> {
    let s = scenario::load_str("generated.json", text).unwrap_or_else(|p| panic!("invalid scenario: {p:#?}\n{text}"));
    let mut buf = Vec::new();
    let (_, result) = run::run(&s, RunOptions { seed: None, transport, trace: Some(&mut buf), progress: &mut |_| {} });
    result.unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8(buf).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Run a scenario given as text in-process: its report and its trace lines.
pub fn report_and_trace(text: &str) -> (syncsim::sim::report::Report, Vec<serde_json::Value>) {
    let (out, lines) = output_and_trace(text);
    (out.report, lines)
}

/// Run a scenario given as text in-process: the whole output (the report, and what the plots and
/// `payments.csv` are drawn from: the ledger's truth per payment) and the trace lines.
pub fn output_and_trace(text: &str) -> (run::RunOutput, Vec<serde_json::Value>) {
    let s = scenario::load_str("generated.json", text).unwrap_or_else(|p| panic!("invalid scenario: {p:#?}\n{text}"));
    let mut buf = Vec::new();
    let (out, result) =
        run::run(&s, RunOptions { seed: None, transport: TransportChoice::InProcess, trace: Some(&mut buf), progress: &mut |_| {} });
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
    let (out, result) = run::run(&s, RunOptions { seed: None, transport, trace: Some(&mut buf), progress: &mut |_| {} });
    result.unwrap_or_else(|e| panic!("{e}"));
    let files = syncsim::sim::output::files(&out).unwrap_or_else(|e| panic!("{e}"));
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

/// How many cases a whole-engine property runs: `PROPTEST_CASES` when set (the nightly deeper
/// run), else `default`, chosen per file so that `cargo test` stays fast.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

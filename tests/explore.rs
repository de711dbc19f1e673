//! `syncsim explore` end to end (issue #18): the budget's rule, a single known culprit found and
//! kept alone, the same bytes whatever the thread count, exit codes 0 / 1 / 2, and the written
//! case replaying to the figure the search found. `SYNCSIM_EXPLORE_RUNS` sets the search budget
//! of these tests (default 48; the nightly run uses 2000).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use syncsim::sim::commands::explore::command::{ExploreArgs, run_command};
use syncsim::sim::commands::explore::faults::{Budget, DAY_MS, Fault, FaultKind};
use syncsim::sim::commands::explore::search::Strategy;
use syncsim::sim::scenario::{self, Scenario};

mod support;

use support::scenario_file::{Job, Monitor, ScenarioFile, uniform};

fn runs() -> usize {
    std::env::var("SYNCSIM_EXPLORE_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("syncsim-explore-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An hourly job pushing to monitor `m` (I = 3720 s, two retries a minute apart), three days.
fn setup(dir: &Path) -> (PathBuf, Scenario) {
    let path = dir.join("hourly.json");
    let job = Job::new(1, "hourly", "1h").first_run("+5m").duration(uniform("20s", "90s")).heartbeat("m");
    let text = ScenarioFile::new("hourly", "2026-03-02T00:00:00Z", "3d")
        .seed(3)
        .time_zone("UTC")
        .cron(Some("1m"), vec![job])
        .kuma(vec![Monitor::new("m", 3720).max_retries(2).retry_interval_s(60)])
        .no_faults()
        .text();
    std::fs::write(&path, text).unwrap();
    let s = scenario::load_file(&path).unwrap();
    (path, s)
}

fn args(file: &Path, out: &Path) -> ExploreArgs {
    ExploreArgs {
        file: file.to_path_buf(),
        faults: Vec::new(),
        objective: None,
        minimize: false,
        asserts: Vec::new(),
        runs: runs(),
        seed: 1,
        threads: 1,
        strategy: Strategy::Evolve,
        out: Some(out.to_path_buf()),
    }
}

fn syncsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_syncsim"))
}

fn fault(kind: FaultKind, at_ms: i64) -> Fault {
    Fault { kind, at_ms, duration_ms: 0, target: 0, failure: None }
}

#[test]
fn the_budget_allows_at_most_its_rate_of_each_kind_in_any_day_and_nothing_past_the_end() {
    let (_, s) = setup(&temp_dir("budget"));
    let budget = Budget::new(&s.file, 3 * DAY_MS, BTreeMap::from([(FaultKind::JobError, 2)])).unwrap();
    let two = vec![fault(FaultKind::JobError, 1_000), fault(FaultKind::JobError, DAY_MS - 1)];
    assert!(budget.allows(&two));
    let mut three = two.clone();
    three.push(fault(FaultKind::JobError, 5_000));
    assert!(!budget.allows(&three), "a third on day 0");
    three[2].at_ms = DAY_MS;
    assert!(budget.allows(&three), "the third on day 1");
    assert!(!budget.allows(&[fault(FaultKind::JobError, 3 * DAY_MS)]), "past the end");
    assert!(!budget.allows(&[fault(FaultKind::JobCrash, 0)]), "a kind outside the budget");
    let why = Budget::new(&s.file, 3 * DAY_MS, BTreeMap::from([(FaultKind::ApiOutage, 1)])).unwrap_err();
    assert!(why.contains("needs a payments section"), "{why}");
}

/// Only a job error makes `jobs.1.errors` non-zero: whatever else the search threw in, the
/// case written holds exactly one job error, and without it the assertion holds.
#[test]
fn a_single_fault_that_breaks_the_assertion_is_found_and_kept_alone_and_the_case_replays_with_exit_1() {
    let dir = temp_dir("culprit");
    let (file, s) = setup(&dir);
    let out = dir.join("out");
    let a = ExploreArgs {
        faults: vec!["job_error:2".into(), "kuma_maintenance".into(), "push_outage:2".into(), "kuma_restart".into()],
        asserts: vec!["jobs.1.errors == 0".into()],
        ..args(&file, &out)
    };
    let done = run_command(&s, &a, &mut |_, _| {}).unwrap();
    assert!(done.violated, "{}", done.summary);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("explore.json")).unwrap()).unwrap();
    let faults = report["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(faults[0]["kind"], "job_error");
    assert_eq!(faults[0]["result_without"], false, "without it the assertion holds");
    assert_eq!(report["shrunk"]["value"], 1.0);

    let case = out.join("hourly-counterexample.json");
    let replayed = syncsim().args(["run", case.to_str().unwrap(), "--out", dir.join("replay").to_str().unwrap()]).output().unwrap();
    assert_eq!(replayed.status.code(), Some(1), "its expect line fails: {}", String::from_utf8_lossy(&replayed.stderr));
    let figures: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("replay/hourly-counterexample/report.json")).unwrap()).unwrap();
    assert_eq!(figures["variants"][0]["jobs"]["1"]["errors"], 1);
}

#[test]
fn the_worst_case_and_every_file_are_the_same_bytes_whatever_the_thread_count() {
    let dir = temp_dir("threads");
    let (file, s) = setup(&dir);
    let files = |threads: usize| {
        let out = dir.join(format!("out-{threads}"));
        let a = ExploreArgs { objective: Some("monitors.m.ttd_down_max_s".into()), threads, ..args(&file, &out) };
        run_command(&s, &a, &mut |_, _| {}).unwrap();
        ["hourly-worst.json", "explore.md", "explore.json", "report/report.json"]
            .map(|name| std::fs::read_to_string(out.join(name)).unwrap().replace(&format!("out-{threads}"), "out"))
    };
    assert_eq!(files(1), files(4));
}

#[test]
fn the_worst_case_written_replays_to_the_figure_the_search_found_and_beats_the_scenario_alone() {
    let dir = temp_dir("replay");
    let (file, s) = setup(&dir);
    let out = dir.join("out");
    let a = ExploreArgs { objective: Some("monitors.m.ttd_down_max_s".into()), ..args(&file, &out) };
    let done = run_command(&s, &a, &mut |_, _| {}).unwrap();
    assert!(!done.violated);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("explore.json")).unwrap()).unwrap();
    let worst = report["shrunk"]["value"].as_f64().unwrap();
    assert!(worst > report["baseline"]["value"].as_f64().unwrap_or(0.0), "faults make detection later: {report}");
    let case = scenario::load_file(&out.join("hourly-worst.json")).unwrap();
    let (run, _) = syncsim::sim::commands::run::run(
        &case,
        syncsim::sim::commands::run::RunOptions {
            seed: None,
            transport: syncsim::sim::commands::run::TransportChoice::InProcess,
            trace: None,
            trace_silent_checks: false,
            progress: &mut |_| {},
        },
    );
    assert_eq!(run.report.variants[0].monitors["m"].ttd_down_max_s as f64, worst);
    assert!(!run.report.passed, "its expect line pins the worst case");
}

#[test]
fn explore_exits_0_when_the_assertions_hold_and_2_on_bad_input_with_the_reason() {
    let dir = temp_dir("exits");
    let (file, _) = setup(&dir);
    let explore = |extra: &[&str]| {
        let out = syncsim()
            .args(["explore", file.to_str().unwrap(), "--runs", "16", "--out", dir.join("out").to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    assert_eq!(explore(&["--assert", "jobs.1.errors >= 0"]).0, Some(0));
    let (code, err) = explore(&["--assert", "monitors.m.ttd_max <= 600"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("did you mean `monitors.m.ttd_down_max_s`"), "{err}");
    let (code, err) = explore(&["--objective", "jobs.1.errors", "--fault", "job_eror"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("did you mean job_error"), "{err}");
    assert_eq!(explore(&["--objective", "jobs.1.errors", "--fault", "job_error:0"]).0, Some(2));
    assert_eq!(explore(&["--objective", "jobs.1.errors", "--fault", "webhook_outage"]).0, Some(2));
    assert_eq!(explore(&["--objective", "jobs.1.errors", "--assert", "jobs.1.errors == 0"]).0, Some(2));
    assert_eq!(explore(&[]).0, Some(2));
    let beside = syncsim()
        .args(["explore", file.to_str().unwrap(), "--runs", "16", "--objective", "jobs.1.errors", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(beside.status.code(), Some(0), "an --out beside the input is fine: {}", String::from_utf8_lossy(&beside.stderr));
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let own = input.join("hourly-worst.json");
    std::fs::copy(&file, &own).unwrap();
    let out = syncsim()
        .args(["explore", own.to_str().unwrap(), "--runs", "16", "--objective", "jobs.1.errors", "--out", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "explore never overwrites its input");
    assert_eq!(std::fs::read_to_string(&own).unwrap(), std::fs::read_to_string(&file).unwrap());
}

//! The command line, end to end: exit codes 0 / 1 / 2, what it prints, what it writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use support::scenario_file::{ScenarioFile, Sync, policy};

mod support;

fn syncsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_syncsim"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("syncsim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn scenario(dir: &Path, name: &str, bound: u32) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    let text = ScenarioFile::new(name, "2026-01-05T00:00:00+01:00", "3d")
        .seed(4)
        .sync(Sync::new().spreading(policy("fixed")).connector("bnp", None).connection("a", "bnp", None))
        .expect("sync.attempts", "==", json!(bound))
        .text();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn run_exits_0_when_every_expectation_holds_and_writes_the_report() {
    let dir = temp_dir("pass");
    // Created at the start, daily, fixed spreading, 3 days: attempts at +0, +1d, +2d.
    let file = scenario(&dir, "three-days", 3);
    let out = syncsim().args(["run", file.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("PASS three-days"), "{stdout}");
    for f in ["report.json", "report.md", "attempts_by_hour.svg", "freshness.svg", "load_timeline.svg"] {
        assert!(dir.join("out/three-days").join(f).is_file(), "{f} written");
    }
    let md = std::fs::read_to_string(dir.join("out/three-days/report.md")).unwrap();
    assert!(md.starts_with("# three-days — PASSED\n"), "expectations come first: {md}");
}

#[test]
fn run_exits_1_when_an_expectation_fails() {
    let dir = temp_dir("fail");
    let file = scenario(&dir, "wrong-bound", 4);
    let out = syncsim().args(["run", file.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("FAIL wrong-bound"));
}

#[test]
fn check_exits_2_and_prints_every_problem_with_its_position() {
    let dir = temp_dir("check");
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"name\": \"x\",\n  \"start\": \"2026-01-01T00:00:00Z\",\n  \"duration\": \"3 days\",\n  \"colour\": 1\n}\n",
    )
    .unwrap();
    let out = syncsim().args(["check", bad.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&format!("{}:4:3: duration: expected a duration", bad.display())), "{stderr}");
    assert!(stderr.contains(&format!("{}:5:3: colour: expected one of `$schema`, `name`", bad.display())), "{stderr}");
    assert!(stderr.contains("2 problem(s) found"), "{stderr}");
}

#[test]
fn run_with_trace_writes_one_json_object_per_line() {
    let dir = temp_dir("trace");
    let file = scenario(&dir, "traced", 3);
    let trace = dir.join("trace.jsonl");
    let out = syncsim()
        .args(["run", file.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap(), "--trace", trace.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "three attempts: {text}");
    assert_eq!(lines[0]["kind"], "attempt");
    assert_eq!(lines[0]["t"], "2026-01-04T23:00:00.000Z");
    assert_eq!(lines[0]["rule"], "A");
    assert_eq!(lines[0]["next_try"], "2026-01-05T23:00:00.000Z");
}

/// `--trace-silent-checks` adds one `kuma` / `check` line per check that stored nothing: a
/// monitor with I = 90 s pushed every 60 s from +30 s first checks at +90 s + 1 ms (lateness),
/// then 91 001 ms after each push it read (`monitor.js`: `timeout = I·1000 − msSinceLastBeat +
/// 1000`, plus 1 ms).
#[test]
fn trace_silent_checks_adds_the_checks_that_stored_nothing_and_needs_a_trace() {
    use support::scenario_file::{Event, Monitor};
    let dir = temp_dir("silent");
    let path = dir.join("silent.json");
    let mut file = ScenarioFile::new("silent", "2026-01-05T00:00:00Z", "5m").seed(1).kuma(vec![Monitor::new("m", 90)]);
    for second in [30u32, 90, 150, 210, 270] {
        file = file.at(format!("+{second}s").as_str(), Event::KumaPush { monitor: "m".into(), down: false });
    }
    std::fs::write(&path, file.text()).unwrap();
    let checks = |extra: &[&str]| {
        let trace = dir.join("t.jsonl");
        let out = syncsim()
            .args(["run", path.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap(), "--trace", trace.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&trace).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|l| l["kind"] == "check")
            .map(|l| (l["t"].as_str().unwrap()[14..23].to_string(), l["last_beat_ms"].as_i64().unwrap() % 60_000))
            .collect::<Vec<_>>()
    };
    assert_eq!(checks(&[]), vec![]);
    // 01:30.001 reads the push of 01:30.000 (1 ms old): next at 01:30.000 + 91.001 = 03:01.001,
    // which reads the push of 02:30: next at 04:01.001, which reads 03:30's: next at 05:01.001,
    // after the end. Each push read is at :30 of its minute.
    let expected: Vec<(String, i64)> =
        [("01:30.001", 30_000), ("03:01.001", 30_000), ("04:01.001", 30_000)].iter().map(|(t, ms)| (t.to_string(), *ms)).collect();
    assert_eq!(checks(&["--trace-silent-checks"]), expected);
    let refused = syncsim()
        .args(["run", path.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap(), "--trace-silent-checks"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "the option needs --trace");
}

#[test]
fn no_argument_runs_every_scenario_of_the_folder() {
    let dir = temp_dir("all");
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    scenario(&dir.join("scenarios"), "one", 3);
    scenario(&dir.join("scenarios"), "two", 3);
    let out = syncsim().current_dir(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("PASS one") && stdout.contains("PASS two") && stdout.contains("All expectations hold."), "{stdout}");
    assert!(dir.join("reports/one/report.json").is_file() && dir.join("reports/two/report.json").is_file());
}

#[test]
fn schema_prints_a_json_schema() {
    let out = syncsim().arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "ScenarioFile");
    assert!(schema["properties"]["sync"].is_object());
}

#[test]
fn advise_recommends_settings_within_the_false_alert_target_and_marks_the_seed_rule() {
    let out = syncsim().args(["advise", "scenarios/job-duration-beyond-margin.json", "--false-alerts-per-month", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("the usual rule (frequency + duration + 60 s)") && text.contains("as configured"), "{text}");
    let advised = text.lines().find(|l| l.contains("**advised**")).expect("an advised row");
    let cells: Vec<&str> = advised.split('|').map(str::trim).collect();
    assert_eq!(cells[5], "0", "the advised row has no false alert: {advised}");
    // The configured 3720 s interval has false alerts on this scenario (its durations exceed the margin).
    let configured = text.lines().find(|l| l.contains("as configured")).unwrap();
    let fa: f64 = configured.split('|').map(str::trim).nth(5).unwrap().parse().unwrap();
    assert!(fa > 0.0, "{configured}");
}

#[test]
fn advise_on_a_scenario_without_monitors_is_an_error() {
    let out = syncsim().args(["advise", "scenarios/wrongpass-lifecycle.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Kuma monitor"));
}

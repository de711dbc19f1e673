//! What CI reads from `syncsim run`: the failed expectations on stderr, the JUnit file, and on
//! GitHub Actions the annotations and the job summary. The child process gets a relative file
//! name and its own environment, so the snapshots hold no machine's path.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("syncsim-ci-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Three days of one daily connection: 3 attempts. The second and fourth expectations fail.
const SCENARIO: &str = r#"{
  "name": "three-days",
  "start": "2026-01-05T00:00:00+01:00",
  "duration": "3d",
  "seed": 4,
  "sync": {"spreading": {"policy": "fixed"}, "connectors": [{"id": "bnp"}],
           "connections": [{"id": "a", "connector": "bnp"}]},
  "expect": [
    {"metric": "sync.attempts", "op": "==", "value": 3},
    {"metric": "sync.attempts", "op": ">=", "value": 5},
    {"metric": "sync.overall.rate_limited", "op": "==", "value": 0},
    {"metric": "sync.freshness.p95_minutes", "op": "<", "value": 60}
  ]
}
"#;

/// Run `syncsim run three-days.json` in a fresh folder with `env` set (and GitHub's variables
/// cleared, in case the tests themselves run on GitHub Actions).
fn run(name: &str, extra: &[&str], env: &[(&str, &Path)]) -> (PathBuf, Output) {
    let dir = temp_dir(name);
    std::fs::write(dir.join("three-days.json"), SCENARIO).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_syncsim"));
    cmd.current_dir(&dir).args(["run", "three-days.json", "--out", "out"]).args(extra);
    cmd.env_remove("GITHUB_ACTIONS").env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (dir, out)
}

#[test]
fn a_failing_run_prints_each_failed_expectation_on_stderr_with_its_line_and_writes_junit() {
    let (dir, out) = run("junit", &["--junit", "results/junit.xml"], &[]);
    // The JUnit folder does not exist: the write must fail cleanly, before we create it.
    assert_eq!(out.status.code(), Some(2), "a JUnit file that cannot be written is an I/O error");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("cannot write results/junit.xml: "), "{stderr}");

    std::fs::create_dir_all(dir.join("results")).unwrap();
    let (dir, out) = {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_syncsim"));
        cmd.current_dir(&dir).args(["run", "three-days.json", "--out", "out", "--junit", "results/junit.xml"]);
        cmd.env_remove("GITHUB_ACTIONS").env_remove("GITHUB_STEP_SUMMARY");
        (dir.clone(), cmd.output().unwrap())
    };
    assert_eq!(out.status.code(), Some(1), "a failed expectation exits 1");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("::error"), "no GitHub annotation off GitHub");
    insta::assert_snapshot!("failing_run_stderr", String::from_utf8(out.stderr).unwrap());
    let xml = std::fs::read_to_string(dir.join("results/junit.xml")).unwrap();
    insta::assert_snapshot!("failing_run_junit", xml);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("results")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left beside the JUnit file: {leftovers:?}");
}

#[test]
fn on_github_actions_each_failed_expectation_is_an_error_annotation_on_its_line_and_the_verdict_goes_to_the_summary() {
    let summary_dir = temp_dir("summary");
    let summary = summary_dir.join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let (_, out) = run("github", &[], &[("GITHUB_ACTIONS", Path::new("true")), ("GITHUB_STEP_SUMMARY", &summary)]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        annotations,
        vec![
            "::error file=three-days.json,line=10,col=5,title=expectation failed%3A three-days (baseline)::expected sync.attempts >= 5, measured 3 (2 below the bound)",
            "::error file=three-days.json,line=12,col=5,title=expectation failed%3A three-days (baseline)::expected sync.freshness.p95_minutes < 60, measured 1320 (1260 above the bound)",
        ]
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n# three-days — FAILED\n"), "appended, not replaced: {text}");
    assert!(text.contains("| **FAIL** | baseline | `sync.attempts` | >= 5 | 3 |"), "{text}");
}

#[test]
fn a_passing_run_prints_nothing_on_stderr_and_no_annotation() {
    let dir = temp_dir("pass");
    std::fs::write(
        dir.join("ok.json"),
        SCENARIO
            .replace(r#""op": ">=", "value": 5"#, r#""op": "<=", "value": 5"#)
            .replace(r#""op": "<", "value": 60"#, r#""op": ">", "value": 60"#),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_syncsim"))
        .current_dir(&dir)
        .args(["run", "ok.json", "--out", "out", "--junit", "junit.xml"])
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
    assert!(!String::from_utf8(out.stdout).unwrap().contains("::error"));
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(xml.contains(r#"tests="4" skipped="0" failures="0" errors="0""#), "{xml}");
}

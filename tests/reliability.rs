//! What syncsim promises whatever it is given (README, "What syncsim guarantees"): no panic on any
//! input or output fault, every problem located on one line, nothing lost or overwritten, and
//! outputs that are whole or absent. Each test is one item of issue #17 and failed before its fix.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::scenario_file::{Job, ScenarioFile, fixed};

mod support;

fn syncsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_syncsim"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("syncsim-reliability-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A valid one-day scenario with one job, named `name`.
fn small_file(name: &str) -> ScenarioFile {
    ScenarioFile::new(name, "2026-01-05T00:00:00Z", "1d").seed(1).cron(None, vec![Job::new(1, "j", "1h").duration(fixed("10s"))])
}

fn small(name: &str) -> String {
    small_file(name).text()
}

fn no_panic(out: &Output) {
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert_ne!(out.status.code(), Some(101), "exit 101 is a panic: {stderr}");
}

#[test]
fn a_map_key_holding_a_bracket_with_another_error_is_two_located_problems_not_a_panic() {
    let dir = temp_dir("bracket");
    let file = write(
        &dir,
        "s.json",
        r#"{"name":"x","start":"2026-01-01T00:00:00Z","duration":"1d","seed":"x","sync":{"connectors":[{"id":"a"}],"populations":[{"name":"p","count":1,"connectors":{"[":1}}]}}"#,
    );
    let out = syncsim().args(["check", file.to_str().unwrap()]).output().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("s.json:1:60: seed: expected u64"), "{stderr}");
    assert!(stderr.contains("sync.populations[0].connectors[\"[\"]: expected a declared connector"), "{stderr}");
}

#[test]
fn a_key_with_a_line_break_or_an_escape_code_is_one_escaped_line_at_its_place() {
    let dir = temp_dir("escape");
    let file =
        write(&dir, "s.json", "{\"name\": \"x\", \"start\": \"2026-01-01T00:00:00Z\", \"duration\": \"1d\",\n \"a\\u001b[31m\\r\\nb\": 1}");
    let out = syncsim().args(["check", file.to_str().unwrap()]).output().unwrap();
    no_panic(&out);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains('\u{1b}'), "an escape code reached the terminal: {stderr:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one problem, one summary line: {stderr:?}");
    assert!(lines[0].contains("s.json:2:2: "), "{stderr}");
}

#[test]
fn a_key_given_twice_in_one_object_is_refused_at_its_second_place() {
    let dir = temp_dir("dupkey");
    let file = write(&dir, "s.json", "{\"name\": \"a\",\n \"name\": \"b\", \"start\": \"2026-01-01T00:00:00Z\", \"duration\": \"1d\"}");
    let out = syncsim().args(["check", file.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("s.json:2:2: name: expected each key once in its object"), "{}", text(&out.stderr));
}

#[test]
fn a_missing_file_is_named_with_the_os_reason_and_no_position() {
    let out = syncsim().args(["check", "/nonexistent/none.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("/nonexistent/none.json: expected a readable scenario file, found No such file or directory"), "{stderr}");
    assert!(!stderr.contains(":0:0"), "{stderr}");
}

#[test]
fn special_files_and_folders_are_refused_without_reading_them() {
    // /dev/zero never ends; reading it would exhaust memory.
    for (path, found) in [("/dev/zero", "a special file"), ("/tmp", "a directory")] {
        let out = syncsim().args(["check", path]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains(&format!("expected a regular file, found {found}")), "{}", text(&out.stderr));
    }
}

#[test]
fn a_file_over_the_cap_is_refused_with_its_size_and_how_a_large_timeline_fits() {
    let dir = temp_dir("too-big");
    let file = dir.join("big.json");
    // A sparse file: 65 MiB to the reader, nothing on the disk.
    std::fs::File::create(&file).unwrap().set_len(65 << 20).unwrap();
    let out = syncsim().args(["check", file.to_str().unwrap()]).output().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "expected a file of at most 64 MiB (1 000 000 timeline events fit when written one compact event a line), found 68157440 bytes"
        ),
        "{stderr}"
    );
}

#[test]
fn a_byte_order_mark_before_the_json_is_accepted() {
    let dir = temp_dir("bom");
    let file = write(&dir, "s.json", &format!("\u{feff}{}", small("bom")));
    let out = syncsim().args(["check", file.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn check_refuses_a_run_that_would_end_past_what_rfc_3339_can_write() {
    // Before: `check` said ok, `run` simulated and failed writing year 10000 after the trace.
    let dir = temp_dir("late");
    let late = small_file("late").start("9999-12-01T00:00:00Z").text();
    let file = write(&dir, "s.json", &late);
    let out = syncsim().args(["check", file.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("start: expected a run that ends before 9999-01-01"), "{}", text(&out.stderr));
}

#[test]
fn a_trace_that_names_the_scenario_file_is_refused_and_the_file_is_untouched() {
    let dir = temp_dir("trace-input");
    let source = small("t");
    let file = write(&dir, "s.json", &source);
    let f = file.to_str().unwrap();
    let out = syncsim().args(["run", f, "--trace", f, "--out", dir.join("out").to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("would be overwritten"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), source);
    assert!(!dir.join("out").exists(), "nothing runs");
}

#[test]
fn a_refused_trace_is_a_failing_test_case_in_the_junit_file_not_an_empty_one() {
    // Before: `run --trace S --junit J` refused to run and wrote J with no test at all, which a
    // CI dashboard reads as green. Also with two files and one --trace.
    let dir = temp_dir("trace-junit");
    let file = write(&dir, "s.json", &small("t"));
    let other = write(&dir, "o.json", &small("o"));
    let junit = dir.join("junit.xml");
    let f = file.to_str().unwrap();
    let trace = dir.join("t.jsonl");
    let cases: [(&[&str], usize); 2] = [(&[f, "--trace", f], 1), (&[f, other.to_str().unwrap(), "--trace", trace.to_str().unwrap()], 2)];
    for (args, files) in cases {
        let _ = std::fs::remove_file(&junit);
        let out = syncsim()
            .arg("run")
            .args(args)
            .args(["--out", dir.join("out").to_str().unwrap(), "--junit", junit.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains(&format!("tests=\"{files}\"")), "one case a file: {xml}");
        assert!(xml.contains(&format!("errors=\"{files}\"")), "each an error: {xml}");
        assert!(xml.contains("nothing was run"), "the reason is in the file: {xml}");
        assert!(!dir.join("out").exists(), "nothing runs");
    }
}

#[test]
fn two_scenarios_with_one_name_do_not_share_a_report_folder() {
    let dir = temp_dir("same-name");
    let a = write(&dir, "a.json", &small("same"));
    let b = write(&dir, "b.json", &small("same"));
    let out_dir = dir.join("out");
    let out = syncsim().args(["run", a.to_str().unwrap(), b.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("PASS same"), "the first runs: {stdout}");
    assert!(stdout.contains(&format!("INVALID {}", b.display())), "the second is refused: {stdout}");
    assert!(text(&out.stderr).contains("is also"), "{}", text(&out.stderr));
}

#[test]
fn a_trace_that_cannot_be_finished_leaves_no_partial_trace_and_the_reports_are_written() {
    let dir = temp_dir("trace-fails");
    let file = write(&dir, "s.json", &small("tf"));
    // A folder where the trace should go: the trace is written to its temporary name, and the
    // final rename fails, as a full disk would fail the last write.
    let trace = dir.join("trace.jsonl");
    std::fs::create_dir_all(trace.join("occupied")).unwrap();
    let out_dir = dir.join("out");
    let out = syncsim()
        .args(["run", file.to_str().unwrap(), "--trace", trace.to_str().unwrap(), "--out", out_dir.to_str().unwrap()])
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("writing the trace failed"), "{}", text(&out.stderr));
    assert!(out_dir.join("tf/report.json").is_file(), "the finished simulation's report is kept");
    assert!(!dir.join(".trace.jsonl.partial").exists(), "no partial trace is left");
    let leftovers: Vec<_> = std::fs::read_dir(out_dir.join("tf"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_full_disk_on_standard_output_is_an_error_not_a_panic() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = syncsim().arg("schema").stdout(Stdio::from(full)).output().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot write to standard output"), "{}", text(&out.stderr));
}

#[test]
fn a_reader_that_closes_the_pipe_ends_the_command_quietly() {
    let mut child = syncsim().arg("schema").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    // 141 when the write met the closed pipe; 0 when it fitted in the pipe before the close.
    assert!(matches!(out.status.code(), Some(0) | Some(141)), "{:?} {}", out.status, text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn numbers_that_are_not_budgets_are_refused_by_the_command_line() {
    let dir = temp_dir("cli-numbers");
    let file = write(&dir, "s.json", &small("n"));
    let f = file.to_str().unwrap();
    for bad in ["NaN", "inf", "-1"] {
        let out = syncsim().args(["advise", f, "--false-alerts-per-month", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out.stderr));
    }
    let out = syncsim().args(["compare", f, "--threads", "10000"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("10000"), "{}", text(&out.stderr));
}

#[test]
fn an_interrupted_run_exits_with_the_signal_code_leaves_no_partial_file_and_marks_the_earlier_report_stale() {
    let dir = temp_dir("interrupt");
    let out_dir = dir.join("out");
    let o = out_dir.to_str().unwrap();
    let quick = write(&dir, "quick.json", &small("long"));
    assert_eq!(syncsim().args(["run", quick.to_str().unwrap(), "--out", o]).output().unwrap().status.code(), Some(0));
    let earlier = std::fs::read(out_dir.join("long/report.json")).unwrap();
    // The same name, now a year of 100 000 daily connections: many seconds of work, traced.
    let long = write(
        &dir,
        "long.json",
        r#"{"name": "long", "start": "2026-01-05T00:00:00Z", "duration": "365d", "seed": 1,
  "sync": {"connectors": [{"id": "b"}], "populations": [{"name": "p", "count": 100000, "connectors": {"b": 1}}]}}"#,
    );
    let trace = dir.join("trace.jsonl");
    let child = syncsim()
        .args(["run", long.to_str().unwrap(), "--out", o, "--trace", trace.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Signal once the trace is being written: the simulation is under way.
    let partial = dir.join(".trace.jsonl.partial");
    while !partial.exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(130), "128 + SIGINT: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("interrupted by signal 2"), "{}", text(&out.stderr));
    assert!(!partial.exists() && !trace.exists(), "no trace, whole or partial, is left");
    assert_eq!(std::fs::read(out_dir.join("long/report.json")).unwrap(), earlier, "the earlier report is untouched");
    assert!(out_dir.join("long/STALE.txt").is_file(), "and marked as an earlier run's");
    // The next complete run removes the mark.
    assert_eq!(syncsim().args(["run", quick.to_str().unwrap(), "--out", o]).output().unwrap().status.code(), Some(0));
    assert!(!out_dir.join("long/STALE.txt").exists());
}

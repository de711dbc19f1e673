//! Report details (issue 14, item 7): an empty median is "—" in Markdown and HTML and `null` in
//! JSON, never "0 s"; an expectation on such a figure fails with a clear message, not a panic.

mod support;

use support::scenario_file::{Job, Monitor, ScenarioFile, fixed};

/// A job that never fails, pushing to a Kuma monitor: no incident, so no PENDING and no DOWN.
fn quiet_job() -> ScenarioFile {
    ScenarioFile::new("quiet", "2026-01-01T00:00:00Z", "1d")
        .time_zone("Europe/Paris")
        .cron(Some("1m"), vec![Job::new(1, "job", "1h").duration(fixed("10s")).heartbeat("m")])
        .kuma(vec![Monitor::new("m", 3720)])
}

#[test]
fn an_empty_median_is_a_dash_in_markdown_and_html_and_null_in_json() {
    let (files, _, _) = support::files_and_trace(&quiet_job().text(), syncsim::sim::commands::run::TransportChoice::InProcess);
    let file = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, c)| c.clone()).unwrap_or_else(|| panic!("no {name}"));
    let json: serde_json::Value = serde_json::from_str(&file("report.json")).unwrap();
    let m = &json["variants"][0]["monitors"]["m"];
    assert_eq!(m["incidents"], 0, "{m}");
    assert!(m["first_pending_median_s"].is_null() && m["ttd_down_median_s"].is_null(), "{m}");
    assert!(m["healthchecks_simple"]["ttd_median_s"].is_null(), "{m}");
    let md = file("report.md");
    let row = md.lines().find(|l| l.starts_with("| m | job |")).unwrap_or_else(|| panic!("no row for m in\n{md}"));
    // time to DOWN (median / max), then first PENDING (median): the medians are dashes.
    assert!(row.contains("| — / 0 s | — |"), "{row}");
    assert!(!md.contains("median wait 0 min"), "no wait was resolved: {md}");
    assert!(file("report.html").contains("— / 0 s"), "the HTML shows the same dash");
}

#[test]
fn an_expectation_on_an_empty_median_fails_clearly_and_the_name_stays_valid() {
    let text = quiet_job().expect("monitors.m.first_pending_median_s", "<=", serde_json::json!(60)).text();
    let (report, _) = support::report_and_trace(&text);
    let e = &report.expectations[0];
    assert_eq!((e.actual, e.passed), (None, false));
    let words = syncsim::sim::analysis::summary::expectation_text(e);
    assert!(words.ends_with("measured nothing: the figure is not a number in this report"), "{words}");
}

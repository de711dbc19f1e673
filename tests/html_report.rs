//! `report.html`: one bundled report as an insta snapshot, and the rules every page keeps —
//! self-contained (no script, nothing fetched), verdict first, long tables folded.

use std::path::Path;

use syncsim::sim::commands::output;
use syncsim::sim::commands::run::{self, RunOptions, TransportChoice};
use syncsim::sim::scenario;

fn html_of(file: &str) -> String {
    let s = scenario::load_file(Path::new(file)).unwrap_or_else(|p| panic!("{file}: {p:#?}"));
    let (out, result) = run::run(
        &s,
        RunOptions { seed: None, transport: TransportChoice::InProcess, trace: None, trace_silent_checks: false, progress: &mut |_| {} },
    );
    result.unwrap();
    output::files(&out).unwrap().into_iter().find(|(n, _)| n == "report.html").expect("report.html is written").1
}

#[test]
fn the_false_alert_report_renders_as_its_snapshot() {
    insta::assert_snapshot!("job_duration_beyond_margin_html", html_of("scenarios/job-duration-beyond-margin.json"));
}

#[test]
fn a_report_page_fetches_nothing_runs_no_script_and_puts_the_verdict_before_the_expectations() {
    for file in ["scenarios/job-duration-beyond-margin.json", "scenarios/bank-flaky.json"] {
        let html = html_of(file);
        for banned in
            ["<script", "src=\"http", "href=\"http", "@import", "url(", "@font-face", "<link", "<img", "&lt;table", "&lt;div", "&lt;svg"]
        {
            assert!(!html.contains(banned), "{file}: {banned} found");
        }
        let verdict = html.find("class=\"verdict").expect("a verdict");
        let expectations = html.find("<h2>Expectations</h2>").expect("an expectations heading");
        assert!(verdict < expectations, "{file}: the verdict comes first");
        assert!(html.contains("<svg "), "{file}: the plots are inline");
    }
}

#[test]
fn a_table_longer_than_the_fold_starts_folded() {
    // bank-outage-30h states 20 expectations (5 figures x 4 variants).
    let html = html_of("scenarios/bank-outage-30h.json");
    assert!(html.contains("<details><summary>Table of 20 rows"), "the expectations table is folded");
    let short = html_of("scenarios/job-duration-beyond-margin.json");
    assert!(!short.contains("<details>"), "no table of that report is longer than the fold");
}

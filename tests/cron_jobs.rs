//! The runner driven by the engine (SPEC 2.2), read from the trace: calendar months, the grid and
//! skip rule across a long outage, the 600 s time limit, and a DST change.

mod support;

use support::scenario_file::{Event, Job, ScenarioFile, fixed};

/// (start of the run, slot it served, fate) of every run.
fn runs(text: &str) -> Vec<(String, String, String)> {
    support::trace(text)
        .into_iter()
        .filter(|l| l["kind"] == "run")
        .map(|l| {
            let end_ms = l["t_ms"].as_i64().unwrap();
            let start = syncsim::time::Instant(end_ms - l["duration_ms"].as_i64().unwrap()).to_rfc3339();
            (start[..16].to_string(), l["slot"].as_str().unwrap()[..16].to_string(), l["fate"].as_str().unwrap().to_string())
        })
        .collect()
}

/// One job processing `duration` per run, on a one-minute tick, in Paris, for `length`.
fn job(frequency: &str, first_run: &str, duration: &str, length: &str) -> ScenarioFile {
    ScenarioFile::new("jobs", "2026-01-01T00:00:00Z", length)
        .time_zone("Europe/Paris")
        .cron(Some("1m"), vec![Job::new(1, "job", frequency).first_run(first_run).duration(fixed(duration))])
}

#[test]
fn monthly_jobs_add_calendar_months_and_overflow_like_php() {
    let got = runs(&job("1mo", "2026-01-31T08:00:00Z", "10s", "100d").text());
    let slots: Vec<&str> = got.iter().map(|r| r.1.as_str()).collect();
    // Jan 31 + 1 month = "Feb 31" = Mar 3 (PHP DateInterval), then Apr 3 by repeated addition.
    assert_eq!(slots, ["2026-01-31T08:00", "2026-03-03T08:00", "2026-04-03T08:00"]);
    assert!(got.iter().all(|r| r.2 == "success"));
}

#[test]
fn a_10h_cet_monthly_job_runs_at_11h_cest_in_april_with_months_in_utc_and_10h_cest_with_zone() {
    // 2026-03-10 10:00 CET = 09:00Z; Paris springs forward on 2026-03-29.
    // utc (Dolibarr's default, dol_time_plus_duree in UTC): 09:00Z + 1 month = 2026-04-10 09:00Z = 11:00 CEST.
    // zone: 10:00 local + 1 month = 2026-04-10 10:00 CEST = 08:00Z.
    let file = job("1mo", "2026-03-10T09:00:00Z", "10s", "120d");
    let slots = |f: ScenarioFile| runs(&f.text()).into_iter().map(|r| r.1).collect::<Vec<_>>();
    assert_eq!(slots(file.clone())[..2], ["2026-03-10T09:00", "2026-04-10T09:00"]);
    assert_eq!(slots(file.clone().months_in("utc"))[..2], ["2026-03-10T09:00", "2026-04-10T09:00"]);
    assert_eq!(slots(file.months_in("zone"))[..2], ["2026-03-10T09:00", "2026-04-10T08:00"]);
}

#[test]
fn a_bad_months_in_is_a_located_error() {
    let text = job("1mo", "2026-03-10T09:00:00Z", "10s", "40d").months_in("local").text();
    let problems = syncsim::sim::scenario::load_str("months.json", &text).expect_err("months_in \"local\" is invalid");
    let p = problems.iter().find(|p| p.path == "cron.months_in").unwrap_or_else(|| panic!("{problems:#?}"));
    assert!(p.expected.contains("utc") && p.expected.contains("zone") && p.found.contains("local"), "{p:?}");
    assert!(p.line > 0 && p.column > 0, "{p:?}");
}

#[test]
fn after_a_three_day_outage_the_job_runs_once_then_goes_back_on_the_grid() {
    let text = job("6h", "2026-01-01T00:00:00Z", "10s", "6d").at("+1d1h", Event::CronStop).at("+4d2h30m", Event::CronStart).text();
    let got = runs(&text);
    let around: Vec<(&str, &str)> =
        got.iter().filter(|r| r.0.as_str() >= "2026-01-01T18:00").take(4).map(|r| (r.0.as_str(), r.1.as_str())).collect();
    // Slots run at the tick after them (the due test is strict). Cron stops at 01:00 on day 2,
    // after the 00:00 slot ran; the 06:00, 12:00, ... slots are missed. Cron is back at 02:30 on
    // day 5 (a tick; scenario events run before timers): one run, for the first missed slot
    // (datenextrun never moved), then the grid again from 06:00.
    assert_eq!(
        around,
        [
            ("2026-01-01T18:01", "2026-01-01T18:00"),
            ("2026-01-02T00:01", "2026-01-02T00:00"),
            ("2026-01-05T02:30", "2026-01-02T06:00"),
            ("2026-01-05T06:01", "2026-01-05T06:00")
        ]
    );
}

#[test]
fn a_run_over_600_s_of_processing_is_killed_and_the_job_stays_stuck() {
    let got = runs(&job("1h", "2026-01-01T00:00:00Z", "15m", "1d").text());
    assert_eq!(got.len(), 1, "stuck after the first run: {got:?}");
    assert_eq!(got[0].2, "time_limit");
}

#[test]
fn a_daily_grid_keeps_utc_time_across_the_paris_spring_change() {
    // Dolibarr adds 86 400 s: 07:00 UTC every day, so 08:00 CET before and 09:00 CEST after.
    let text = ScenarioFile::new("jobs", "2026-03-27T00:00:00Z", "4d")
        .time_zone("Europe/Paris")
        .cron(Some("1m"), vec![Job::new(1, "job", "1d").first_run("2026-03-27T07:00:00Z")])
        .text();
    let slots: Vec<String> = runs(&text).into_iter().map(|r| r.1).collect();
    assert_eq!(slots, ["2026-03-27T07:00", "2026-03-28T07:00", "2026-03-29T07:00", "2026-03-30T07:00"]);
}

#[test]
fn run_now_runs_at_once_with_pending_faults_and_leaves_a_future_slot_on_the_grid() {
    let text = job("1h", "2026-01-01T00:00:00Z", "10s", "2h")
        .at(10, Event::JobError { job: 1, count: None })
        .at(20, Event::RunNow { job: 1 })
        .text();
    let got = runs(&text);
    let got: Vec<(&str, &str, &str)> = got.iter().map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str())).collect();
    // "Exécuter maintenant" at 00:20 runs at once (the pending error applies to it); datenextrun
    // (01:00) is not before the click, so it stays and the 01:00 slot still runs at 01:01.
    assert_eq!(
        got,
        [
            ("2026-01-01T00:01", "2026-01-01T00:00", "success"),
            ("2026-01-01T00:20", "2026-01-01T01:00", "error"),
            ("2026-01-01T01:01", "2026-01-01T01:00", "success")
        ]
    );
}

//! Schedule arithmetic: the grid, skipped slots, calendar months, daylight saving.

use chrono::Timelike;

use super::*;

#[test]
fn next_run_stays_on_the_grid_and_missed_slots_are_skipped_across_a_3_day_outage() {
    let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Hour), t("2026-03-02T10:00:00Z"))]);
    let min = Duration::MINUTE;
    assert_eq!(run_pass(&mut r, t("2026-03-02T10:01:00Z"), min), vec![1]);
    assert_eq!(next(&r, 1), t("2026-03-02T11:00:00Z"));
    // No pass for 3 days (cron stopped), then one pass: one run, not 72.
    assert_eq!(run_pass(&mut r, t("2026-03-05T10:31:00Z"), min), vec![1]);
    assert_eq!(r.view(1).unwrap().nbrun, 2);
    assert_eq!(next(&r, 1), t("2026-03-05T11:00:00Z"));
    assert!(run_pass(&mut r, t("2026-03-05T10:36:00Z"), min).is_empty());
    assert_eq!(run_pass(&mut r, t("2026-03-05T11:01:00Z"), min), vec![1]);
    assert_eq!(next(&r, 1), t("2026-03-05T12:00:00Z"));
    assert_eq!(r.view(1).unwrap().nbrun, 3);
}

#[test]
fn reprogram_lands_on_now_when_now_is_on_the_grid() {
    // while (datenextrun < now): the loop stops at datenextrun == now, which is due next pass.
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T09:55:00Z"))]);
    run_pass(&mut r, t("2026-03-02T10:00:00Z"), Duration::from_secs(20));
    assert_eq!(next(&r, 1), t("2026-03-02T10:00:00Z"));
}

#[test]
fn calendar_months_overflow_like_php_from_jan_31_in_utc() {
    let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Month), t("2026-01-31T08:00:00Z"))]);
    let s = Duration::SECOND;
    run_pass(&mut r, t("2026-01-31T08:05:00Z"), s);
    assert_eq!(next(&r, 1), t("2026-03-03T08:00:00Z")); // "Feb 31" = Mar 3
    run_pass(&mut r, t("2026-03-03T08:05:00Z"), s);
    assert_eq!(next(&r, 1), t("2026-04-03T08:00:00Z")); // the drift stays: iterated grid
    // Missed months are skipped one month at a time: May 3, Jun 3, Jul 3 < now, Aug 3.
    run_pass(&mut r, t("2026-07-15T00:00:00Z"), s);
    assert_eq!(next(&r, 1), t("2026-08-03T08:00:00Z"));

    let z = paris();
    let utc = MonthCalendar::Utc;
    assert_eq!(add_months(t("2028-01-31T08:00:00Z"), 1, utc, z), t("2028-03-02T08:00:00Z")); // leap year
    assert_eq!(add_months(t("2026-11-30T08:00:00Z"), 3, utc, z), t("2027-03-02T08:00:00Z")); // "Feb 30"
    assert_eq!(add_months(t("2026-12-15T23:59:59.250Z"), 1, utc, z), t("2027-01-15T23:59:59.250Z"));
    assert_eq!(add_months(t("2026-05-31T00:00:00Z"), 12, utc, z), t("2027-05-31T00:00:00Z"));
}

#[test]
fn calendar_months_in_the_scenario_zone_keep_the_local_wall_time() {
    let config = RunnerConfig { month_calendar: MonthCalendar::ScenarioZone, ..RunnerConfig::default() };
    let spec = job(1, 0, every(1, FrequencyUnit::Month), t("2026-01-31T08:00:00Z")); // 09:00 CET
    let mut r = Runner::with_config(vec![spec], paris(), config).unwrap();
    run_pass(&mut r, t("2026-01-31T08:05:00Z"), Duration::SECOND);
    assert_eq!(next(&r, 1), t("2026-03-03T08:00:00Z")); // Mar 3 09:00 CET
    run_pass(&mut r, t("2026-03-03T08:05:00Z"), Duration::SECOND);
    assert_eq!(next(&r, 1), t("2026-04-03T07:00:00Z")); // Apr 3 09:00 CEST (UTC calendar: 08:00Z)
    let z = paris();
    let local = MonthCalendar::ScenarioZone;
    // Jan 29 02:30 CET + 2 months = Mar 29 02:30, which does not exist: 03:30 CEST (01:30Z).
    assert_eq!(add_months(t("2026-01-29T01:30:00Z"), 2, local, z), t("2026-03-29T01:30:00Z"));
    // Sep 25 02:30 CEST + 1 month = Oct 25 02:30, which happens twice: the earlier (CEST, 00:30Z).
    assert_eq!(add_months(t("2026-09-25T00:30:00Z"), 1, local, z), t("2026-10-25T00:30:00Z"));
    // Jan 31 overflows in local time too.
    assert_eq!(add_months(t("2026-01-30T23:30:00Z"), 1, local, z), t("2026-03-02T23:30:00Z")); // Jan 31 00:30 CET -> Mar 3 00:30 CET
}

#[test]
fn daily_grid_adds_86400_s_so_the_paris_hour_moves_across_both_2026_dst_changes() {
    let z = paris();
    let hour = |i: Instant| z.local(i).hour();
    // Spring: 03:00 CET on Mar 27, then 86 400 s steps: 04:00 CEST from Mar 29 on.
    let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Day), t("2026-03-27T02:00:00Z"))]);
    let mut seen = Vec::new();
    for day in ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30"] {
        run_pass(&mut r, t(&format!("{day}T02:01:00Z")), Duration::MINUTE);
        seen.push((next(&r, 1), hour(next(&r, 1))));
    }
    assert_eq!(
        seen,
        vec![
            (t("2026-03-28T02:00:00Z"), 3),
            (t("2026-03-29T02:00:00Z"), 4),
            (t("2026-03-30T02:00:00Z"), 4),
            (t("2026-03-31T02:00:00Z"), 4)
        ]
    );
    // Autumn: 04:00 CEST, back to 03:00 CET from Oct 25 on.
    let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Day), t("2026-10-23T02:00:00Z"))]);
    let mut seen = Vec::new();
    for day in ["2026-10-23", "2026-10-24", "2026-10-25"] {
        run_pass(&mut r, t(&format!("{day}T02:01:00Z")), Duration::MINUTE);
        seen.push((next(&r, 1), hour(next(&r, 1))));
    }
    assert_eq!(seen, vec![(t("2026-10-24T02:00:00Z"), 4), (t("2026-10-25T02:00:00Z"), 3), (t("2026-10-26T02:00:00Z"), 3)]);
}

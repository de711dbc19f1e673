//! Each Healthchecks rule at hand-computed instants (seconds unless the name says otherwise).

use super::*;
use crate::time::{Duration, Instant, Zone};

fn s(secs: i64) -> Instant {
    Instant(secs * 1_000)
}

fn at(text: &str) -> Instant {
    Instant::parse_rfc3339(text).unwrap()
}

fn simple(timeout_s: i64, grace_s: i64) -> Check {
    let settings =
        CheckSettings { kind: CheckKind::Simple { timeout: Duration::from_secs(timeout_s) }, grace: Duration::from_secs(grace_s) };
    Check::new(settings, AlertLoop::default())
}

fn cron(expr: &str, tz: &str, grace_s: i64) -> Check {
    let kind = CheckKind::Cron { schedule: CronExpr::parse(expr).unwrap(), tz: Zone::parse(tz).unwrap() };
    Check::new(CheckSettings { kind, grace: Duration::from_secs(grace_s) }, AlertLoop::default())
}

/// Runs every pass due up to `until` and returns the notifications sent.
fn run_until(c: &mut Check, until: Instant) -> Vec<Notification> {
    while let Some(t) = c.poll_timeout() {
        if t > until {
            break;
        }
        c.handle_timeout(t);
    }
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn down(flip_at: Instant, sent_at: Instant) -> Notification {
    Notification { status: Status::Down, flip_at, sent_at }
}

#[test]
fn simple_check_goes_down_at_last_ping_plus_timeout_plus_grace_sent_by_the_next_pass() {
    let mut c = simple(300, 120);
    c.handle_ping(s(1001), PingKind::Success);
    // The new → up flip is processed (silently) by the pass at 1002.
    assert_eq!(c.poll_timeout(), Some(s(1002)));
    assert!(run_until(&mut c, s(1002)).is_empty());
    // alert_after = 1001 + 300 + 120 = 1421; the 2 s grid's first pass after it is 1422.
    assert_eq!(c.going_down_after(), Some(s(1421)));
    assert_eq!(c.poll_timeout(), Some(s(1422)));
    assert_eq!(run_until(&mut c, s(5000)), vec![down(s(1421), s(1422))]);
    assert_eq!(c.status(), Status::Down);
    assert_eq!(c.poll_timeout(), None, "a down check waits for the next ping");
}

#[test]
fn a_deadline_on_a_pass_is_sent_by_the_following_pass_since_alert_after_lt_now_is_strict() {
    let mut c = simple(300, 120);
    c.handle_ping(s(1000), PingKind::Success);
    assert_eq!(run_until(&mut c, s(5000)), vec![down(s(1420), s(1422))]);
}

#[test]
fn the_alert_loop_passes_every_2_s_from_its_phase() {
    let grid = AlertLoop { every: SENDALERTS_PASS, phase: s(1) };
    assert_eq!(grid.after(s(1421)), s(1423));
    assert_eq!(grid.after(s(1420)), s(1421));
    assert_eq!(grid.at_or_after(s(1421)), s(1421));
    assert_eq!(grid.at_or_after(Instant(1_421_001)), s(1423));
}

#[test]
fn a_ping_before_the_deadline_moves_it() {
    let mut c = simple(300, 120);
    c.handle_ping(s(0), PingKind::Success);
    assert!(run_until(&mut c, s(400)).is_empty());
    c.handle_ping(s(400), PingKind::Success);
    assert_eq!(c.going_down_after(), Some(s(820)));
    assert!(run_until(&mut c, s(821)).is_empty());
    assert_eq!(run_until(&mut c, s(822)), vec![down(s(820), s(822))]);
}

#[test]
fn status_is_up_then_grace_from_timeout_then_down_from_timeout_plus_grace() {
    let mut c = simple(300, 120);
    c.handle_ping(s(0), PingKind::Success);
    assert_eq!(c.status_at(s(299)), Status::Up);
    assert_eq!(c.status_at(s(300)), Status::Grace);
    assert_eq!(c.status_at(s(419)), Status::Grace);
    assert_eq!(c.status_at(s(420)), Status::Down);
}

#[test]
fn fail_makes_the_check_down_at_once_sent_by_the_first_pass_at_or_after_it() {
    let mut c = simple(86_400, 3_600);
    c.handle_ping(s(0), PingKind::Success);
    assert!(run_until(&mut c, s(0)).is_empty());
    c.handle_ping(s(2001), PingKind::Fail);
    assert_eq!(c.status(), Status::Down);
    assert_eq!(c.poll_timeout(), Some(s(2002)));
    assert_eq!(run_until(&mut c, s(200_000)), vec![down(s(2001), s(2002))]);
    // A second fail while down is no new flip.
    c.handle_ping(s(3000), PingKind::Fail);
    assert!(run_until(&mut c, s(200_000)).is_empty());
    // A success brings it up, and that is notified (down → up).
    c.handle_ping(s(4000), PingKind::Success);
    assert_eq!(run_until(&mut c, s(4000)), vec![Notification { status: Status::Up, flip_at: s(4000), sent_at: s(4000) }]);
}

#[test]
fn a_fail_on_a_new_check_is_notified_but_a_first_success_is_not() {
    let mut c = simple(300, 60);
    c.handle_ping(s(10), PingKind::Fail);
    assert_eq!(run_until(&mut c, s(20)), vec![down(s(10), s(10))]);
    let mut c = simple(300, 60);
    c.handle_ping(s(10), PingKind::Success);
    assert!(run_until(&mut c, s(20)).is_empty(), "new → up sends nothing");
}

#[test]
fn a_start_without_success_goes_down_at_start_plus_grace() {
    let mut c = simple(86_400, 60);
    c.handle_ping(s(0), PingKind::Success);
    c.handle_ping(s(3600), PingKind::Start);
    // grace start = min(0 + 86 400, 3 600) = 3 600; down at 3 660, the pass after is 3 662.
    assert_eq!(c.going_down_after(), Some(s(3660)));
    assert_eq!(c.status_at(s(3659)), Status::Up);
    assert_eq!(c.status_at(s(3660)), Status::Down);
    assert_eq!(run_until(&mut c, s(90_000)), vec![down(s(3660), s(3662))]);
}

#[test]
fn a_start_then_success_within_the_grace_ends_the_run_and_counts_from_the_success() {
    let mut c = simple(86_400, 60);
    c.handle_ping(s(0), PingKind::Success);
    c.handle_ping(s(3600), PingKind::Start);
    c.handle_ping(s(3650), PingKind::Success);
    assert!(!c.is_started());
    assert_eq!(c.going_down_after(), Some(s(3650 + 86_400 + 60)));
    assert!(run_until(&mut c, s(90_000)).is_empty());
}

#[test]
fn a_run_longer_than_the_grace_alerts_even_though_it_succeeds_later() {
    let mut c = cron("*/5 * * * *", "UTC", 120);
    c.handle_ping(s(0), PingKind::Success);
    c.handle_ping(s(300), PingKind::Start);
    // Started at 300, grace 120: down at 420 although the cron deadline is 600 + 120.
    assert_eq!(run_until(&mut c, s(430)), vec![down(s(420), s(422))]);
    c.handle_ping(s(500), PingKind::Success);
    assert_eq!(c.status(), Status::Up);
}

#[test]
fn a_start_on_a_new_check_also_goes_down_after_the_grace() {
    let mut c = simple(300, 60);
    c.handle_ping(s(100), PingKind::Start);
    assert_eq!(run_until(&mut c, s(1000)), vec![down(s(160), s(162))]);
}

#[test]
fn pause_clears_the_deadline_and_resume_makes_the_check_new() {
    let mut c = simple(300, 120);
    c.handle_ping(s(0), PingKind::Success);
    assert!(run_until(&mut c, s(0)).is_empty());
    c.handle_ping(s(50), PingKind::Start);
    c.handle_pause(s(100));
    assert_eq!(c.status(), Status::Paused);
    assert!(!c.is_started(), "pause clears last_start");
    assert_eq!(c.poll_timeout(), None);
    assert!(run_until(&mut c, s(10_000)).is_empty());
    assert!(c.handle_resume(s(10_000)));
    assert_eq!(c.status(), Status::New);
    assert_eq!(c.poll_timeout(), None, "a resumed check waits for its first ping");
    assert!(!c.handle_resume(s(10_001)), "resume on a check that is not paused is refused");
    c.handle_ping(s(10_100), PingKind::Success);
    // new → up: sent nothing; then down at 10 100 + 420 = 10 520, pass 10 522.
    assert_eq!(run_until(&mut c, s(20_000)), vec![down(s(10_520), s(10_522))]);
}

#[test]
fn a_ping_on_a_paused_check_brings_it_up_silently() {
    let mut c = simple(300, 120);
    c.handle_ping(s(0), PingKind::Success);
    c.handle_pause(s(10));
    c.handle_ping(s(20), PingKind::Success);
    assert_eq!(c.status(), Status::Up);
    assert_eq!(run_until(&mut c, s(20)), vec![]);
    assert_eq!(c.going_down_after(), Some(s(440)));
}

#[test]
fn settings_outside_60_s_to_365_days_are_refused() {
    assert!(CheckSettings::simple_defaults().validate().is_ok());
    let short = CheckSettings { kind: CheckKind::Simple { timeout: Duration::from_secs(300) }, grace: Duration::from_secs(59) };
    assert_eq!(short.validate(), Err(SettingsError { what: "grace", value: Duration::from_secs(59) }));
    let long = CheckSettings { kind: CheckKind::Simple { timeout: Duration::from_days(366) }, grace: Duration::HOUR };
    assert_eq!(long.validate().unwrap_err().what, "timeout");
}

#[test]
fn cron_check_goes_down_at_the_next_scheduled_time_after_the_last_ping_plus_grace() {
    let mut c = cron("3,8,13,18,23,28,33,38,43,48,53,58 * * * *", "UTC", 180);
    c.handle_ping(at("2026-06-01T10:04:20Z"), PingKind::Success);
    assert_eq!(c.grace_start(true), Some(at("2026-06-01T10:08:00Z")));
    assert_eq!(run_until(&mut c, at("2026-06-01T12:00:00Z")), vec![down(at("2026-06-01T10:11:00Z"), at("2026-06-01T10:11:02Z"))]);
}

#[test]
fn cron_next_is_strictly_after_the_minute_of_the_ping() {
    let e = CronExpr::parse("0 * * * *").unwrap();
    let utc = Zone::parse("UTC").unwrap();
    // A ping at 10:00:30 is in the 10:00 minute: the next time is 11:00.
    assert_eq!(e.next_after(at("2026-06-01T10:00:30Z"), utc), Some(at("2026-06-01T11:00:00Z")));
    assert_eq!(e.next_after(at("2026-06-01T09:59:59Z"), utc), Some(at("2026-06-01T10:00:00Z")));
}

#[test]
fn dst_paris_spring_a_time_in_the_gap_fires_at_the_gap_end_then_the_wall_clock_time_is_an_hour_earlier_in_utc() {
    let e = CronExpr::parse("0 2 * * *").unwrap();
    let paris = Zone::parse("Europe/Paris").unwrap();
    // 02:00 does not exist on 2026-03-29 in Paris: cronsim fires at 03:00 CEST = 01:00 UTC.
    assert_eq!(e.next_after(at("2026-03-28T01:01:00Z"), paris), Some(at("2026-03-29T01:00:00Z")));
    // From then on 02:00 CEST is 00:00 UTC.
    assert_eq!(e.next_after(at("2026-03-29T01:01:00Z"), paris), Some(at("2026-03-30T00:00:00Z")));
}

#[test]
fn dst_paris_spring_a_daily_job_on_utc_time_gives_a_false_alert_every_summer_day_with_a_paris_cron() {
    // Dolibarr runs the job at 01:00 UTC every day (fixed seconds); the user wrote 0 2 * * *
    // in Europe/Paris, right in winter. Pings at 01:01 UTC.
    let mut c = cron("0 2 * * *", "Europe/Paris", 180);
    let mut sent = Vec::new();
    for day in ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31"] {
        let ping = at(&format!("{day}T01:01:00Z"));
        sent.extend(run_until(&mut c, ping));
        c.handle_ping(ping, PingKind::Success);
    }
    sent.extend(run_until(&mut c, at("2026-03-31T23:00:00Z")));
    let downs: Vec<_> = sent.iter().filter(|n| n.status == Status::Down).map(|n| n.sent_at).collect();
    // Due 02:00 CEST = 00:00 UTC + 180 s: down at 00:03:00, sent at 00:03:02.
    assert_eq!(downs, vec![at("2026-03-30T00:03:02Z"), at("2026-03-31T00:03:02Z")]);
}

#[test]
fn dst_paris_autumn_a_time_in_the_fold_fires_once_at_its_first_occurrence() {
    let e = CronExpr::parse("30 2 * * *").unwrap();
    let paris = Zone::parse("Europe/Paris").unwrap();
    // 02:30 happens twice on 2026-10-25: first at 00:30 UTC (CEST), again at 01:30 UTC (CET).
    assert_eq!(e.next_after(at("2026-10-24T01:00:00Z"), paris), Some(at("2026-10-25T00:30:00Z")));
    assert_eq!(e.next_after(at("2026-10-25T00:31:00Z"), paris), Some(at("2026-10-26T01:30:00Z")));
}

#[test]
fn dst_paris_spring_minute_schedules_step_through_real_minutes() {
    let e = CronExpr::parse("*/15 * * * *").unwrap();
    let paris = Zone::parse("Europe/Paris").unwrap();
    // 01:50 CET → the next quarter is 03:00 CEST, ten real minutes later.
    assert_eq!(e.next_after(at("2026-03-29T00:50:00Z"), paris), Some(at("2026-03-29T01:00:00Z")));
}

#[test]
fn cron_fields_read_lists_ranges_steps_and_day_rules() {
    let utc = Zone::parse("UTC").unwrap();
    let e = CronExpr::parse("5-20/5 9 * * 1-5").unwrap();
    // 2026-06-06 is a Saturday: the next weekday 09:05 is Monday 2026-06-08.
    assert_eq!(e.next_after(at("2026-06-05T09:20:00Z"), utc), Some(at("2026-06-08T09:05:00Z")));
    assert_eq!(e.next_after(at("2026-06-08T09:05:00Z"), utc), Some(at("2026-06-08T09:10:00Z")));
    // Both day fields restricted: either matches (Debian cron): the 1st or any Sunday.
    let or = CronExpr::parse("0 0 1 * 0").unwrap();
    assert_eq!(or.next_after(at("2026-06-02T00:00:00Z"), utc), Some(at("2026-06-07T00:00:00Z")));
    // 7 is Sunday too.
    assert_eq!(CronExpr::parse("0 0 * * 7").unwrap().next_after(at("2026-06-02T00:00:00Z"), utc), Some(at("2026-06-07T00:00:00Z")));
    // Never (Feb 30): no next time, as cronsim's StopIteration.
    assert_eq!(CronExpr::parse("0 0 30 2 *").unwrap().next_after(at("2026-06-02T00:00:00Z"), utc), None);
}

#[test]
fn bad_cron_expressions_name_their_field() {
    assert_eq!(CronExpr::parse("61 * * * *").unwrap_err().field, "minute");
    assert_eq!(CronExpr::parse("* 24 * * *").unwrap_err().field, "hour");
    assert_eq!(CronExpr::parse("* * * * MON#2").unwrap_err().field, "day-of-week");
    assert_eq!(CronExpr::parse("* * * *").unwrap_err().field, "count of");
    assert_eq!(CronExpr::parse("*/0 * * * *").unwrap_err().field, "minute");
}

#[test]
fn for_grid_writes_the_expression_a_user_would_enter_or_says_why_not() {
    let paris = Zone::parse("Europe/Paris").unwrap();
    let utc = Zone::parse("UTC").unwrap();
    let e = |first: &str, period: Duration, z: Zone| for_grid(at(first), period, z).map(|e| e.to_string());
    assert_eq!(e("2026-03-02T01:00:00Z", Duration::DAY, paris), Ok("0 2 * * *".into()));
    assert_eq!(e("2026-06-01T00:03:30Z", Duration::from_secs(300), utc), Ok("3,8,13,18,23,28,33,38,43,48,53,58 * * * *".into()));
    assert_eq!(e("2026-06-01T00:00:00Z", Duration::MINUTE, utc), Ok("* * * * *".into()));
    assert_eq!(e("2026-06-01T07:10:00Z", Duration::from_hours(6), utc), Ok("10 1,7,13,19 * * *".into()));
    // 2026-06-01 is a Monday.
    assert_eq!(e("2026-06-01T07:10:00Z", Duration::from_days(7), utc), Ok("10 7 * * 1".into()));
    assert_eq!(e("2026-06-01T00:00:00Z", Duration::from_mins(90), utc), Err(NotACron::NoCronGrid));
    assert_eq!(e("2026-06-01T00:00:00Z", Duration::from_secs(30), utc), Err(NotACron::BelowAMinute));
    assert_eq!(e("2026-06-01T00:00:00Z", Duration::from_secs(150), utc), Err(NotACron::NotWholeMinutes));
    assert!(NotACron::CalendarMonths.to_string().contains("Jan 31 + 1 month = Mar 3"));
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Success pings at `pings` (seconds, sorted), passes in between; notifications up to `end`.
    fn play(c: &mut Check, pings: &[(i64, PingKind)], end: i64) -> Vec<Notification> {
        let mut out = Vec::new();
        for &(t, kind) in pings {
            // Passes strictly before the ping: at one instant the ping comes first.
            while let Some(p) = c.poll_timeout().filter(|&p| p < s(t)) {
                c.handle_timeout(p);
            }
            c.handle_ping(s(t), kind);
        }
        while let Some(p) = c.poll_timeout().filter(|&p| p < s(end)) {
            c.handle_timeout(p);
        }
        out.extend(std::iter::from_fn(|| c.poll_event()));
        out
    }

    fn arb_pings() -> impl Strategy<Value = Vec<i64>> {
        prop::collection::vec(1i64..20_000, 1..40).prop_map(|gaps| {
            gaps.iter()
                .scan(0i64, |t, g| {
                    *t += g;
                    Some(*t)
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn a_simple_check_alerts_once_for_each_silence_whose_deadline_passes_before_the_next_ping_sent_by_the_first_pass_after_it(
            pings in arb_pings(), timeout_s in 60i64..7_200, grace_s in 60i64..3_600, tail in 0i64..20_000,
        ) {
            let mut c = simple(timeout_s, grace_s);
            let end = pings.last().copied().unwrap_or(0) + tail;
            let got: Vec<_> = play(&mut c, &pings.iter().map(|&t| (t, PingKind::Success)).collect::<Vec<_>>(), end)
                .into_iter().filter(|n| n.status == Status::Down).map(|n| n.sent_at).collect();
            let grid = AlertLoop::default();
            let mut expected = Vec::new();
            for (i, &p) in pings.iter().enumerate() {
                let next = pings.get(i + 1).copied().unwrap_or(end);
                let sent = grid.after(s(p + timeout_s + grace_s));
                if sent < s(next) {
                    expected.push(sent);
                }
            }
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn every_fail_after_an_up_ping_is_notified_at_the_first_pass_at_or_after_it_and_nothing_else_while_pings_are_on_time(
            steps in prop::collection::vec((1i64..300, any::<bool>()), 1..40),
        ) {
            // Pings at most 300 s apart on a 300 s + 60 s check: only the fails alert.
            let mut c = simple(300, 60);
            let mut t = 0;
            let mut pings = vec![(0, PingKind::Success)];
            for (gap, fail) in steps {
                t += gap;
                pings.push((t, if fail { PingKind::Fail } else { PingKind::Success }));
            }
            let got: Vec<_> = play(&mut c, &pings, t + 1).into_iter().filter(|n| n.status == Status::Down).collect();
            let grid = AlertLoop::default();
            let expected: Vec<_> = pings.windows(2)
                .filter(|w| w[1].1 == PingKind::Fail && w[0].1 == PingKind::Success)
                .map(|w| down(s(w[1].0), grid.at_or_after(s(w[1].0))))
                .filter(|n| n.sent_at < s(t + 1))
                .collect();
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn a_cron_check_never_alerts_while_every_scheduled_time_is_pinged_within_the_grace_dst_included(
            step in prop::sample::select(vec![5u32, 10, 15, 20, 30]), delays in prop::collection::vec(0i64..170, 1..400),
            start_day in 0i64..3,
        ) {
            // Europe/Paris from 2026-03-28 or 2026-10-24 (a DST change inside), `*/step`, grace 180 s.
            let origin = if start_day == 0 { at("2026-03-28T22:00:00Z") } else { at("2026-10-24T22:00:00Z") } + Duration::from_days(start_day % 2);
            let mut c = cron(&format!("*/{step} * * * *"), "Europe/Paris", 180);
            let paris = Zone::parse("Europe/Paris").unwrap();
            let schedule = CronExpr::parse(&format!("*/{step} * * * *")).unwrap();
            let mut slot = schedule.next_after(origin, paris).unwrap();
            let mut pings = Vec::new();
            for d in &delays {
                pings.push(((slot + Duration::from_secs(*d)).as_ms() / 1000, PingKind::Success));
                slot = schedule.next_after(slot, paris).unwrap();
            }
            let end = pings.last().unwrap().0 + 1;
            let downs: Vec<_> = play(&mut c, &pings, end).into_iter().filter(|n| n.status == Status::Down).collect();
            prop_assert!(downs.is_empty(), "{:?}", downs);
        }
    }
}

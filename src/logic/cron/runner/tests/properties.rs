//! Properties: the next run is on the grid and not before the pass's `now`; one run per pass.

use proptest::prelude::*;

use super::*;

fn unit_strategy() -> impl Strategy<Value = FrequencyUnit> {
    prop_oneof![
        Just(FrequencyUnit::Second),
        Just(FrequencyUnit::Minute),
        Just(FrequencyUnit::Hour),
        Just(FrequencyUnit::Day),
        Just(FrequencyUnit::Week),
    ]
}

proptest! {
    /// SPEC 2.2 "next run": after every run, `datenextrun >= now` of the reprogram (strictly
    /// greater unless `now` is itself a grid instant), it is on `origin + k·period`, and no
    /// earlier grid instant was >= now (missed slots are skipped, never replayed).
    #[test]
    fn prop_next_run_is_at_or_after_reprogram_now_and_on_the_grid(
        origin in 1_767_225_600_000i64..1_798_761_600_000,
        count in 1u32..=60,
        unit in unit_strategy(),
        steps in prop::collection::vec((0u32..100, 0u32..200, any::<bool>(), 0u8..20), 1..40),
    ) {
        let freq = Frequency::new(count, unit);
        let period = freq.fixed_period().unwrap().as_ms();
        let origin = Instant(origin);
        let mut r = runner(vec![job(1, 0, freq, origin)]);
        let mut now = origin - Duration(period / 2);
        for (gap_pct, dur_pct, ok, outage) in steps {
            // gaps of 0..1 period, sometimes a long outage of up to 19 days
            now += Duration(period * i64::from(gap_pct) / 100 + 1 + i64::from(outage / 18) * 86_400_000 * i64::from(outage));
            let pass = r.begin_pass(now);
            let before = next(&r, 1);
            prop_assert_eq!(pass.due.len(), usize::from(before < now));
            for &id in &pass.due {
                let run = r.start_job(pass.id, id, now).unwrap();
                let end = now + Duration(period * i64::from(dur_pct) / 100);
                let result = if ok { RunResult::Success } else { RunResult::Error { output: "x".into() } };
                r.finish_job(run, end, result).unwrap();
                let after = next(&r, 1);
                prop_assert!(after >= pass.now);
                prop_assert_eq!((after - origin).as_ms().rem_euclid(period), 0);
                prop_assert!(after - Duration(period) < pass.now);
                now = end;
            }
        }
    }

    /// Months: the next run is on the iterated calendar grid from the origin, at or after the
    /// reprogram's now, and the grid instant before it is before now.
    #[test]
    fn prop_monthly_next_run_is_at_or_after_reprogram_now_and_on_the_iterated_calendar_grid(
        origin in 1_577_836_800_000i64..1_893_456_000_000,
        count in 1u32..=13,
        zone_calendar in any::<bool>(),
        gaps_days in prop::collection::vec(0i64..120, 1..15),
    ) {
        let calendar = if zone_calendar { MonthCalendar::ScenarioZone } else { MonthCalendar::Utc };
        let config = RunnerConfig { month_calendar: calendar, ..RunnerConfig::default() };
        let freq = Frequency::new(count, FrequencyUnit::Month);
        let origin = Instant(origin);
        let mut r = Runner::with_config(vec![job(1, 0, freq, origin)], paris(), config).unwrap();
        let mut now = origin;
        for gap in gaps_days {
            now += Duration::from_days(gap) + Duration::from_mins(7);
            let due = run_pass(&mut r, now, Duration::MINUTE);
            if due.is_empty() {
                continue;
            }
            let after = next(&r, 1);
            prop_assert!(after >= now);
            let mut g = origin;
            let mut prev = g;
            while g < after {
                prev = g;
                g = add_months(g, count, calendar, paris());
            }
            prop_assert_eq!(g, after);
            prop_assert!(prev < now);
            now += Duration::MINUTE;
        }
    }

    /// SPEC 2.2 "runs the due ones one after another": a pass lists each job at most once,
    /// ordered by (priority, id), and refuses a second start of the same job.
    #[test]
    fn prop_at_most_one_run_per_pass_per_job(
        jobs in prop::collection::vec((-3i32..3, 1u32..30, 0i64..3_600_000), 1..7),
        passes in prop::collection::vec((1i64..1_200_000, 0i64..900_000, 0u8..10), 1..30),
    ) {
        let origin = t("2026-03-02T10:00:00Z");
        let specs: Vec<JobSpec> = jobs
            .iter()
            .enumerate()
            .map(|(i, &(prio, mins, off))| job(i as u32 + 1, prio, every(mins, FrequencyUnit::Minute), origin + Duration(off)))
            .collect();
        let mut r = runner(specs.clone());
        let mut now = origin;
        for (gap, dur, fate) in passes {
            now += Duration(gap);
            if fate == 9 {
                r.cleanup_dead();
            }
            let pass = r.begin_pass(now);
            let mut keys: Vec<(i32, u32)> = pass.due.iter().map(|&id| (specs[id as usize - 1].priority, id)).collect();
            let sorted = { let mut k = keys.clone(); k.sort(); k.dedup(); k };
            prop_assert_eq!(&keys, &sorted);
            keys.clear();
            let mut at = now;
            let mut started = Vec::new();
            for &id in &pass.due {
                let run = r.start_job(pass.id, id, at).unwrap();
                started.push(id);
                for &again in &started {
                    prop_assert!(r.start_job(pass.id, again, at).is_err());
                }
                at += Duration(dur);
                if fate == 0 {
                    r.process_died(run).unwrap();
                    break;
                }
                r.finish_job(run, at, RunResult::Success).unwrap();
            }
            for &again in &started {
                prop_assert!(r.start_job(pass.id, again, at).is_err());
            }
            now = at;
        }
    }
}

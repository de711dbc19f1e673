//! Properties over generated push traces (SPEC 3.3): the DOWN deadline, the worst case over
//! any trace, 1.23 = 2.x with UP pushes only, no DOWN while pushes are on time.

use proptest::prelude::*;

use super::*;

/// Plays UP pushes at `pushes` (sorted) and restarts at `restarts` (sorted) from a start at
/// 0, up to `end`; checks due at an instant run before a push or restart at that instant.
fn play(s: &MonitorSettings, pushes: &[i64], restarts: &[i64], end: i64) -> Vec<MonitorEvent> {
    let mut m = PushMonitor::new(s.clone());
    m.handle_start(at(0));
    let mut inputs: Vec<(i64, bool)> = pushes.iter().map(|&t| (t, true)).collect();
    inputs.extend(restarts.iter().map(|&t| (t, false)));
    inputs.sort();
    for (t, is_push) in inputs {
        advance(&mut m, at(t));
        if is_push {
            assert_eq!(m.handle_push(at(t), Some("up"), None, None), PushReply::Ok);
        } else {
            m.handle_server_restart(at(t));
        }
    }
    advance(&mut m, at(end));
    drain(&mut m)
}

fn effective_retry_ms(s: &MonitorSettings) -> i64 {
    let r = if s.retry_interval_s > 0 { s.retry_interval_s } else { s.interval_s };
    i64::from(r) * 1_000
}

fn arb_settings() -> impl Strategy<Value = MonitorSettings> {
    (20u32..=7_200, 0u32..=3, 0u32..=3, 0u32..=3, 0i64..=3, 0u32..=3).prop_map(|(i, r_factor, n, k, lateness, r_div)| {
        // R from 0 (= use I) up to 3·I, sometimes below I.
        let r = if r_factor == 0 { 0 } else { (i * r_factor / (r_div + 1)).max(1) };
        settings(i, r, n, k, lateness)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// Rule (SPEC 3.3): after the last UP push p, with no further push, the DOWN notification
    /// comes at exactly p + I + 1 s + N·R + (N + 1)·lateness (lateness ≥ 1), or
    /// p + I + 2 s + N·R with lateness 0 (the equality re-arm). Pushes are on time before the
    /// silence (gaps in [1 s + lateness, I], first push ≥ lateness after start), so the
    /// chain is aligned on the pushes.
    #[test]
    fn prop_down_notification_follows_gap_longer_than_i_plus_1s_plus_n_r_plus_lateness(
        s in arb_settings(),
        first in 0i64..=1_000_000,
        gaps in prop::collection::vec(0i64..=1_000_000, 0..12),
    ) {
        let i_ms = i64::from(s.interval_s) * 1_000;
        let lat = s.timer_lateness.max_ms();
        let span = i_ms - (1_000 + lat);
        let mut pushes = vec![lat + first % (i_ms - lat)];
        for g in gaps {
            let last = *pushes.last().unwrap();
            pushes.push(last + 1_000 + lat + g % (span + 1));
        }
        let p = *pushes.last().unwrap();
        let n = i64::from(s.max_retries);
        let r_ms = effective_retry_ms(&s);
        let first_fail = if lat >= 1 { p + i_ms + 1_000 + lat } else { p + i_ms + 2_000 };
        // The model's own answer; the beats below check it one timer at a time.
        let expected_down = p + s.silence_to_down().aligned().as_ms();
        let ev = play(&s, &pushes, &[], expected_down + 1);
        let non_up: Vec<(i64, Status, BeatSource)> =
            beats(&ev).into_iter().filter(|b| b.1 != Status::Up).collect();
        let expected_beats: Vec<(i64, Status, BeatSource)> = (0..=n)
            .map(|k| {
                let st = if k < n { Status::Pending } else { Status::Down };
                (first_fail + k * (r_ms + lat), st, BeatSource::Check)
            })
            .collect();
        prop_assert_eq!(non_up, expected_beats);
        let downs: Vec<(i64, NotificationKind)> = notifications(&ev)
            .into_iter()
            .filter(|x| x.1 == NotificationKind::Down)
            .collect();
        prop_assert_eq!(downs, vec![(expected_down, NotificationKind::Down)]);
    }

    /// Same rule for any push trace (any gaps, R above or below I): every silence after an
    /// UP push longer than the worst case W = max(I + 2 s + lat, R + lat) + N·(R + lat) holds
    /// a DOWN notification, never before p + I + 1 s + N·(R + lat). The extra second over
    /// SPEC's bound is the source's `timeout < 0 → bufferTime` re-arm.
    #[test]
    fn prop_down_notification_follows_any_gap_longer_than_the_worst_case_bound(
        s in arb_settings(),
        first in 0i64..=20_000_000,
        gaps in prop::collection::vec(0i64..=40_000_000, 1..15),
    ) {
        let i_ms = i64::from(s.interval_s) * 1_000;
        let lat = s.timer_lateness.max_ms();
        let n = i64::from(s.max_retries);
        let r_ms = effective_retry_ms(&s);
        let worst = s.silence_to_down().worst_case().as_ms();
        let mut pushes = vec![first];
        for g in gaps {
            let last = *pushes.last().unwrap();
            pushes.push(last + g % (2 * worst));
        }
        let end = *pushes.last().unwrap() + worst + 1;
        let ev = play(&s, &pushes, &[], end);
        let downs: Vec<i64> = notifications(&ev)
            .into_iter()
            .filter(|x| x.1 == NotificationKind::Down)
            .map(|x| x.0)
            .collect();
        let bad_beats: Vec<i64> = beats(&ev)
            .into_iter()
            .filter(|b| b.1 != Status::Up && b.2 == BeatSource::Check)
            .map(|b| b.0)
            .collect();
        for (idx, &p) in pushes.iter().enumerate() {
            let next = pushes.get(idx + 1).copied().unwrap_or(end);
            // Never a failure in (p, p + I + 1 s]: the latest row is this UP push.
            prop_assert!(
                !bad_beats.iter().any(|&b| b > p && b <= p + i_ms + 1_000 && b < next),
                "failure too early after push {}", p
            );
            if next - p > worst {
                let down = downs.iter().copied().find(|&d| d > p && d < next);
                prop_assert!(down.is_some(), "no DOWN after push {} (silence {} ms)", p, next - p);
                let d = down.unwrap();
                prop_assert!(d > p + i_ms + 1_000 + n * (r_ms + lat), "DOWN at {} too early", d);
                prop_assert!(d <= p + worst, "DOWN at {} later than {}", d, p + worst);
            }
        }
    }

    /// Rule: with UP pushes only (any gaps) and R ≤ I, Kuma 1.23 and 2.x store the same
    /// beats (instant, status, source, important, msg) and send the same notifications: the
    /// in-memory counter is 0 whenever an outage starts, as 2.x's count read from an UP row;
    /// only the `retries` reported while DOWN differ. In particular, with on-time pushes (first
    /// within I, every gap within I + 1 s) both versions stay UP.
    #[test]
    fn prop_with_up_pushes_only_both_versions_store_the_same_beats_and_on_time_pushes_stay_up(
        s in arb_settings(),
        first in 0i64..=20_000_000,
        gaps in prop::collection::vec(0i64..=40_000_000, 0..15),
    ) {
        let i_ms = i64::from(s.interval_s) * 1_000;
        let r = if s.retry_interval_s > s.interval_s { s.interval_s } else { s.retry_interval_s };
        let v2 = MonitorSettings { retry_interval_s: r, version: KumaVersion::V2, ..s };
        let v1 = MonitorSettings { version: KumaVersion::V1_23, ..v2.clone() };
        let n = i64::from(v2.max_retries);
        let worst = i_ms + 2_000 + 3 + n * (effective_retry_ms(&v2) + 3);
        // Half the traces on time, half with gaps up to twice the worst DOWN delay.
        let on_time = first % 2 == 0;
        let span = if on_time { i_ms + 1_000 + 1 } else { 2 * worst };
        let mut pushes = vec![if on_time { first % i_ms } else { first }];
        for g in gaps {
            let last = *pushes.last().unwrap();
            pushes.push(last + g % span);
        }
        let end = *pushes.last().unwrap() + worst + 1;
        let ev1 = play(&v1, &pushes, &[], end);
        let ev2 = play(&v2, &pushes, &[], end);
        let key = |ev: &[MonitorEvent]| -> Vec<(i64, Status, BeatSource, bool, String)> {
            ev.iter()
                .filter_map(|e| match e {
                    MonitorEvent::Beat { at, status, source, important, msg, .. } => {
                        Some((at.0, *status, *source, *important, msg.clone()))
                    }
                    _ => None,
                })
                .collect()
        };
        prop_assert_eq!(key(&ev1), key(&ev2));
        prop_assert_eq!(notifications(&ev1), notifications(&ev2));
        if on_time {
            // Up to I after the last push (the trace then goes silent on purpose), nothing
            // but the UP pushes is stored and nothing is notified.
            let last = *pushes.last().unwrap();
            let early: Vec<(i64, Status, BeatSource)> = beats(&ev1).into_iter().filter(|b| b.0 <= last + i_ms).collect();
            let up_pushes: Vec<(i64, Status, BeatSource)> = pushes.iter().map(|&t| (t, Status::Up, BeatSource::Push)).collect();
            prop_assert_eq!(early, up_pushes);
            prop_assert!(notifications(&ev1).iter().all(|x| x.0 > last + i_ms));
        }
    }

    /// Rule (SPEC 3.3): no PENDING, no DOWN and no notification when the first push comes
    /// within I of the start and every push gap is within I + 1 s, whatever the restarts.
    #[test]
    fn prop_no_down_when_every_push_gap_is_within_i_plus_1s(
        s in arb_settings(),
        first in 0i64..=10_000_000,
        gaps in prop::collection::vec(0i64..=10_000_000, 0..30),
        restarts in prop::collection::vec(0i64..=100_000_000, 0..6),
    ) {
        let i_ms = i64::from(s.interval_s) * 1_000;
        let mut pushes = vec![first % i_ms];
        for g in gaps {
            let last = *pushes.last().unwrap();
            pushes.push(last + g % (i_ms + 1_000 + 1));
        }
        let last = *pushes.last().unwrap();
        let mut restarts: Vec<i64> = restarts.into_iter().map(|r| r % (last + 1)).collect();
        restarts.sort();
        let ev = play(&s, &pushes, &restarts, last + i_ms);
        prop_assert!(beats(&ev).iter().all(|b| b.1 == Status::Up), "{:?}", beats(&ev));
        prop_assert!(notifications(&ev).is_empty());
    }
}

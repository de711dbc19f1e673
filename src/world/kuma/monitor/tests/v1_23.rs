//! Kuma 1.23 ([`KumaVersion::V1_23`]): in-memory retries, `status=down` pushes DOWN at once, the
//! push route without a ping check (see `monitor::version`).

use super::*;

/// (instant, status, source, retries) of every beat.
fn beat_rows(events: &[MonitorEvent]) -> Vec<(i64, Status, BeatSource, u32)> {
    events
        .iter()
        .filter_map(|e| match e {
            MonitorEvent::Beat { at, status, source, retries, .. } => Some((at.0, *status, *source, *retries)),
            _ => None,
        })
        .collect()
}

#[test]
fn default_settings_are_kuma_2() {
    assert_eq!(KumaVersion::default(), KumaVersion::V2);
    assert_eq!(MonitorSettings::new(60).version, KumaVersion::V2);
    assert_eq!(settings(60, 60, 0, 0, 1), MonitorSettings::new(60));
}

#[test]
fn v1_23_first_down_at_p_plus_61_001_then_every_60_001_drifting_until_an_up_push_realigns() {
    // I = 60, N = 0, lateness 1; one UP push at 10 s. First check 60_001 sees it 50_001 ms
    // old: re-armed on the push, 10_999 + 1 ms later = 71_001 = p + I + 1 s + 1 ms.
    let (mut v1, mut v2) =
        (started_with_push_at(settings_v1(60, 20, 0, 0, 1), 10_000), started_with_push_at(settings(60, 20, 0, 0, 1), 10_000));
    for m in [&mut v1, &mut v2] {
        advance(m, at(60_001));
        assert_eq!(m.poll_timeout(), Some(at(71_001)));
        advance(m, at(251_004));
    }
    // Each failure re-arms a full I after itself (not on the push): +60_001 each, the 1 ms
    // lateness accumulating (71_001, 131_002, 191_003, 251_004 instead of a 60 s grid).
    // 1.23 leaves the in-memory counter at N = 0 while DOWN; 2.x counts 1, 2, 3, 4.
    let ev1 = drain(&mut v1);
    let down = |r: [u32; 4]| {
        vec![
            (10_000, Status::Up, BeatSource::Push, 0),
            (71_001, Status::Down, BeatSource::Check, r[0]),
            (131_002, Status::Down, BeatSource::Check, r[1]),
            (191_003, Status::Down, BeatSource::Check, r[2]),
            (251_004, Status::Down, BeatSource::Check, r[3]),
        ]
    };
    assert_eq!(beat_rows(&ev1), down([0, 0, 0, 0]));
    assert_eq!(beat_rows(&drain(&mut v2)), down([1, 2, 3, 4]));
    assert_eq!(notifications(&ev1), vec![(71_001, NotificationKind::Down)]);
    assert!(ev1.iter().all(|e| !matches!(e, MonitorEvent::Beat { source: BeatSource::Check, msg, .. } if msg != MSG_NO_HEARTBEAT)));
    // An UP push at 260 s (DOWN→UP, notified); the check at 311_005 sees it 51_005 ms old
    // and re-arms on it: 260_000 + 61_001.
    push_up(&mut v1, 260_000);
    advance(&mut v1, at(311_005));
    assert_eq!(m_status_and_timeout(&v1), (Some(Status::Up), Some(at(321_001))));
    assert_eq!(notifications(&drain(&mut v1)), vec![(260_000, NotificationKind::Up)]);
}

fn m_status_and_timeout(m: &PushMonitor) -> (Option<Status>, Option<Instant>) {
    (m.status(), m.poll_timeout())
}

#[test]
fn v1_23_retries_pending_at_71_001_and_91_002_down_at_111_003_counter_reset_by_a_healthy_check() {
    // I = 60, R = 20, N = 2, lateness 1; UP push at 10 s, chain re-armed on it (71_001).
    let mut m = started_with_push_at(settings_v1(60, 20, 2, 0, 1), 10_000);
    advance(&mut m, at(111_003));
    assert_eq!(m.poll_timeout(), Some(at(171_004))); // DOWN: a full I later
    // UP push while DOWN: the counter (2) is untouched by the push...
    push_up(&mut m, 120_000);
    // ...and reset by the check at 171_004, which sees the push 51_004 ms old and re-arms
    // on it (9_996 + 1 ms later = 181_001 = 120_000 + 61_001). At 181_001 the push is
    // 61_001 ms old: a new outage starts from retries 0 (PENDING 1).
    advance(&mut m, at(181_001));
    let ev = drain(&mut m);
    assert_eq!(
        beat_rows(&ev),
        vec![
            (10_000, Status::Up, BeatSource::Push, 0),
            (71_001, Status::Pending, BeatSource::Check, 1),
            (91_002, Status::Pending, BeatSource::Check, 2),
            (111_003, Status::Down, BeatSource::Check, 2),
            (120_000, Status::Up, BeatSource::Push, 2),
            (181_001, Status::Pending, BeatSource::Check, 1),
        ]
    );
    // PENDING is silent; PENDING→DOWN and DOWN→UP notify.
    assert_eq!(notifications(&ev), vec![(111_003, NotificationKind::Down), (120_000, NotificationKind::Up)]);
    assert_eq!(m.poll_timeout(), Some(at(201_002)));
}

#[test]
fn v1_23_status_down_push_is_down_at_once_then_the_chain_pends_and_notifies_down_again() {
    // I = 60, R = 20, N = 2. 2.x would store the down push as PENDING.
    let mut v2 = started_with_push_at(settings(60, 20, 2, 0, 1), 10_000);
    push_down(&mut v2, 30_000);
    assert_eq!(v2.status(), Some(Status::Pending));

    let mut m = started_with_push_at(settings_v1(60, 20, 2, 0, 1), 10_000);
    assert_eq!(push_down(&mut m, 30_000), PushReply::Ok);
    assert_eq!(m.status(), Some(Status::Down));
    assert_eq!(m.poll_timeout(), Some(at(60_001))); // pushes never move the timer
    // The chain's counter is still 0: the DOWN row fails the check at 60_001 → PENDING 1
    // (DOWN→PENDING, not important), PENDING 2 at 80_002, DOWN at 100_003 (PENDING→DOWN,
    // notified again: issue #3787's duplicate DOWN).
    advance(&mut m, at(100_003));
    let ev = drain(&mut m);
    assert_eq!(
        beat_rows(&ev),
        vec![
            (10_000, Status::Up, BeatSource::Push, 0),
            (30_000, Status::Down, BeatSource::Push, 0),
            (60_001, Status::Pending, BeatSource::Check, 1),
            (80_002, Status::Pending, BeatSource::Check, 2),
            (100_003, Status::Down, BeatSource::Check, 2),
        ]
    );
    assert!(matches!(&ev[1], MonitorEvent::Beat { important: true, msg, .. } if msg == "job failed"));
    assert!(matches!(ev[3], MonitorEvent::Beat { important: false, .. }));
    assert_eq!(notifications(&ev), vec![(30_000, NotificationKind::Down), (100_003, NotificationKind::Down)]);

    // N = 0: DOWN at once, and the next check's DOWN→DOWN is not notified.
    let mut z = started_with_push_at(settings_v1(60, 20, 0, 0, 1), 10_000);
    push_down(&mut z, 30_000);
    advance(&mut z, at(60_001));
    let ev = drain(&mut z);
    assert_eq!(beats(&ev)[1..], [(30_000, Status::Down, BeatSource::Push), (60_001, Status::Down, BeatSource::Check)]);
    assert_eq!(notifications(&ev), vec![(30_000, NotificationKind::Down)]);
}

#[test]
fn v1_23_restart_loses_the_in_memory_retries_and_pends_again() {
    // I = 60, R = 20, N = 2: PENDING 1 at 71_001, PENDING 2 at 91_002, then Kuma restarts
    // at 100 s: first check a full interval later, 160_001.
    let run = |s: MonitorSettings| {
        let mut m = started_with_push_at(s, 10_000);
        advance(&mut m, at(100_000));
        m.handle_server_restart(at(100_000));
        assert_eq!(m.poll_timeout(), Some(at(160_001)));
        advance(&mut m, at(200_003));
        drain(&mut m)
    };
    // 1.23: the counter restarts at 0, so the outage pends again: PENDING 1, PENDING 2, DOWN.
    let ev = run(settings_v1(60, 20, 2, 0, 1));
    assert_eq!(
        beat_rows(&ev)[1..],
        [
            (71_001, Status::Pending, BeatSource::Check, 1),
            (91_002, Status::Pending, BeatSource::Check, 2),
            (160_001, Status::Pending, BeatSource::Check, 1),
            (180_002, Status::Pending, BeatSource::Check, 2),
            (200_003, Status::Down, BeatSource::Check, 2),
        ]
    );
    assert_eq!(notifications(&ev), vec![(200_003, NotificationKind::Down)]);
    // 2.x reads retries = 2 from the PENDING row: DOWN at the first check after the restart.
    let ev = run(settings(60, 20, 2, 0, 1));
    assert_eq!(beat_rows(&ev)[3], (160_001, Status::Down, BeatSource::Check, 3));
    assert_eq!(notifications(&ev), vec![(160_001, NotificationKind::Down)]);

    // Pause/resume and edit are start() too: the counter is lost the same way.
    let mut m = started_with_push_at(settings_v1(60, 20, 2, 0, 1), 10_000);
    advance(&mut m, at(91_002));
    m.handle_pause(at(95_000));
    m.handle_start(at(96_000));
    advance(&mut m, at(156_001));
    assert_eq!(beat_rows(&drain(&mut m)).last(), Some(&(156_001, Status::Pending, BeatSource::Check, 1)));
}

#[test]
fn v1_23_push_route_has_no_ping_check_no_down_count_and_stores_the_maintenance_message() {
    let mut m = started_with_push_at(settings_v1(60, 20, 0, 2, 1), 10_000);
    // No `ping` range check in 1.23.
    for ping in ["-1", "1e12", "Infinity"] {
        assert_eq!(m.handle_push(at(20_000), None, None, Some(ping)), PushReply::Ok, "{ping:?}");
    }
    assert_eq!(unknown_token_reply_for(KumaVersion::V1_23, Some("-1")), PushReply::NotFound { msg: MSG_NOT_FOUND });
    assert_eq!(unknown_token_reply_for(KumaVersion::V2, Some("-1")), PushReply::NotFound { msg: MSG_INVALID_PING });
    drain(&mut m);
    // K = 2. DOWN at 81_001 (last push at 20 s), 141_002 (downCount 1); a down push at
    // 150 s is stored with downCount 0 and reminds nothing (2.x: downCount 2 → reminder);
    // so 201_003 counts 1 and 261_004 counts 2: reminder.
    advance(&mut m, at(141_002));
    push_down(&mut m, 150_000);
    advance(&mut m, at(261_004));
    let ev = drain(&mut m);
    let downs: Vec<i64> = beats(&ev).iter().filter(|b| b.1 == Status::Down).map(|b| b.0).collect();
    assert_eq!(downs, vec![81_001, 141_002, 150_000, 201_003, 261_004]);
    assert_eq!(notifications(&ev), vec![(81_001, NotificationKind::Down), (261_004, NotificationKind::DownReminder)]);
    // Under maintenance a push is MAINTENANCE with msg "Monitor under maintenance".
    m.handle_maintenance_begin(at(270_000));
    push_up(&mut m, 271_000);
    let ev = drain(&mut m);
    assert!(matches!(&ev[0], MonitorEvent::Beat { status: Status::Maintenance, msg, important: true, .. } if msg == MSG_MAINTENANCE));
    assert!(notifications(&ev).is_empty());
}

#[test]
fn v1_23_upside_down_up_push_is_down_at_once_without_retries() {
    // 2.x runs the flipped DOWN through the retries (PENDING with N = 2); 1.23 does not
    // (issue #1863).
    let mut s = settings_v1(60, 20, 2, 0, 1);
    s.upside_down = true;
    let mut m = PushMonitor::new(s);
    m.handle_start(at(0));
    push_up(&mut m, 1_000); // first beat, flipped: DOWN (healthy when upside down), notified
    m.handle_push(at(2_000), Some("down"), None, None); // flipped: UP, DOWN→UP notified
    push_up(&mut m, 3_000); // flipped: DOWN at once
    let ev = drain(&mut m);
    assert_eq!(
        beats(&ev),
        vec![(1_000, Status::Down, BeatSource::Push), (2_000, Status::Up, BeatSource::Push), (3_000, Status::Down, BeatSource::Push)]
    );
    assert_eq!(notifications(&ev), vec![(1_000, NotificationKind::Down), (2_000, NotificationKind::Up), (3_000, NotificationKind::Down)]);
}

//! The check chain (SPEC 3.3): when checks fire, what a failure stores, retries, lateness, the
//! life cycle (start, edit, restart, stop).

use super::*;

#[test]
fn down_and_its_notification_at_t_plus_3_721_001_when_n_is_0() {
    let t = 1_000_000;
    let mut m = started_with_push_at(settings(I_3720, 60, 0, 0, 1), t);
    // First check at 0 + 3_720_000 + 1 sees the push 2_720_001 ms old: re-arms on t.
    advance(&mut m, at(t + 3_721_000));
    assert_eq!(m.poll_timeout(), Some(at(t + 3_721_001)));
    advance(&mut m, at(t + 3_721_001));
    let ev = drain(&mut m);
    assert_eq!(beats(&ev), vec![(t, Status::Up, BeatSource::Push), (t + 3_721_001, Status::Down, BeatSource::Check)]);
    assert_eq!(notifications(&ev), vec![(t + 3_721_001, NotificationKind::Down)]);
    assert_eq!(m.status(), Some(Status::Down));
}

#[test]
fn retries_pending_at_3_721_001_and_3_781_002_then_down_at_3_841_003() {
    let t = 1_000_000;
    let mut m = started_with_push_at(settings(I_3720, 60, 2, 0, 1), t);
    advance(&mut m, at(t + 3_841_003));
    let ev = drain(&mut m);
    assert_eq!(
        beats(&ev),
        vec![
            (t, Status::Up, BeatSource::Push),
            (t + 3_721_001, Status::Pending, BeatSource::Check),
            (t + 3_781_002, Status::Pending, BeatSource::Check),
            (t + 3_841_003, Status::Down, BeatSource::Check),
        ]
    );
    // PENDING never notifies; PENDING→DOWN does.
    assert_eq!(notifications(&ev), vec![(t + 3_841_003, NotificationKind::Down)]);
    let retries: Vec<u32> = ev
        .iter()
        .filter_map(|e| match e {
            MonitorEvent::Beat { retries, .. } => Some(*retries),
            _ => None,
        })
        .collect();
    assert_eq!(retries, vec![0, 1, 2, 3]);
}

#[test]
fn lateness_0_equality_is_not_late_and_rearms_one_second_later() {
    let t = 1_000_000;
    let mut m = started_with_push_at(settings(I_3720, 60, 0, 0, 0), t);
    advance(&mut m, at(t + 3_721_000));
    // The check at exactly t + I + 1 s saw msSince == I·1000 + 1000: re-armed 1 s later.
    assert!(beats(&drain(&mut m)).iter().all(|b| b.1 == Status::Up));
    assert_eq!(m.poll_timeout(), Some(at(t + 3_722_000)));
    advance(&mut m, at(t + 3_722_000));
    let ev = drain(&mut m);
    assert_eq!(beats(&ev), vec![(t + 3_722_000, Status::Down, BeatSource::Check)]);
    assert_eq!(notifications(&ev), vec![(t + 3_722_000, NotificationKind::Down)]);
}

#[test]
fn check_chain_starts_a_full_interval_after_start_and_after_every_edit() {
    let mut m = PushMonitor::new(settings(60, 20, 0, 0, 1));
    assert_eq!(m.poll_timeout(), None);
    m.handle_start(at(5_000));
    assert_eq!(m.poll_timeout(), Some(at(65_001)));
    // An edit at 40 s restarts the chain with the new interval.
    m.handle_edit(at(40_000), settings(120, 20, 0, 0, 1));
    assert_eq!(m.poll_timeout(), Some(at(160_001)));
    // No push at all: the first check stores a first beat, DOWN, which notifies.
    advance(&mut m, at(160_001));
    let ev = drain(&mut m);
    assert_eq!(beats(&ev), vec![(160_001, Status::Down, BeatSource::Check)]);
    assert_eq!(notifications(&ev), vec![(160_001, NotificationKind::Down)]);
    // A paused monitor is edited without being resumed.
    m.handle_pause(at(170_000));
    m.handle_edit(at(171_000), settings(60, 20, 0, 0, 1));
    assert_eq!(m.poll_timeout(), None);
    assert!(!m.is_active());
}

#[test]
fn first_failure_without_any_row_is_pending_and_silent_when_n_above_0() {
    let mut m = PushMonitor::new(settings(60, 20, 1, 0, 1));
    m.handle_start(at(0));
    advance(&mut m, at(60_001 + 20_001));
    let ev = drain(&mut m);
    assert_eq!(beats(&ev), vec![(60_001, Status::Pending, BeatSource::Check), (80_002, Status::Down, BeatSource::Check)]);
    assert_eq!(notifications(&ev), vec![(80_002, NotificationKind::Down)]);
}

#[test]
fn pushes_never_move_the_timer() {
    let mut m = PushMonitor::new(settings(60, 20, 2, 0, 1));
    m.handle_start(at(0));
    let before = m.poll_timeout();
    for t in [1_000, 2_000, 30_000, 59_999] {
        assert_eq!(m.handle_push(at(t), Some("up"), None, None), PushReply::Ok);
        assert_eq!(m.poll_timeout(), before);
    }
    assert_eq!(m.handle_push(at(60_000), Some("down"), None, None), PushReply::Ok);
    assert_eq!(m.poll_timeout(), before);
    m.handle_maintenance_begin(at(60_000));
    m.handle_maintenance_end(at(60_000));
    assert_eq!(m.poll_timeout(), Some(at(60_001)));
}

#[test]
fn last_beat_pending_or_down_fails_the_check_however_recent() {
    // N = 0: a down push 1 ms before the check; the check still fails (DOWN, not important).
    let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
    assert_eq!(m.poll_timeout(), Some(at(60_001)));
    advance(&mut m, at(60_001));
    assert_eq!(m.poll_timeout(), Some(at(71_001)));
    push_down(&mut m, 71_000);
    advance(&mut m, at(71_001));
    let ev = drain(&mut m);
    assert_eq!(beats(&ev)[1..], [(71_000, Status::Down, BeatSource::Push), (71_001, Status::Down, BeatSource::Check)]);
    assert_eq!(notifications(&ev), vec![(71_000, NotificationKind::Down)]);
    assert_eq!(m.poll_timeout(), Some(at(131_002)));
}

#[test]
fn kuma_restart_more_often_than_the_interval_never_yields_down() {
    // I = 3720 s, no push at all, Kuma restarts every 30 min for 10 days.
    let mut m = PushMonitor::new(settings(I_3720, 60, 0, 0, 1));
    m.handle_start(at(0));
    m.handle_push(at(1_000), None, None, None);
    let mut t = 0;
    while t < 10 * 86_400_000 {
        t += 1_800_000;
        advance(&mut m, at(t));
        m.handle_server_restart(at(t));
    }
    let ev = drain(&mut m);
    assert_eq!(beats(&ev), vec![(1_000, Status::Up, BeatSource::Push)]);
    assert_eq!(m.status(), Some(Status::Up));
    // One restart gap longer than I + 1 s: the check finally fails.
    advance(&mut m, at(t + 3_720_001));
    assert_eq!(m.status(), Some(Status::Down));
}

#[test]
fn stopped_server_is_unreachable_and_keeps_active_flag() {
    let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
    m.handle_server_stop(at(20_000));
    assert_eq!(m.poll_timeout(), None);
    assert_eq!(m.handle_push(at(30_000), None, None, None), PushReply::Unreachable);
    m.handle_server_restart(at(40_000));
    assert_eq!(m.poll_timeout(), Some(at(100_001)));
    // At 100_001 the latest row (10 s) is 90 s old: fails at once.
    advance(&mut m, at(100_001));
    assert_eq!(m.status(), Some(Status::Down));
    // A paused monitor stays paused across a server restart.
    m.handle_pause(at(110_000));
    m.handle_server_restart(at(120_000));
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn retry_interval_zero_uses_the_interval() {
    let mut m = started_with_push_at(settings(60, 0, 1, 0, 1), 10_000);
    advance(&mut m, at(71_001));
    assert_eq!(m.status(), Some(Status::Pending));
    assert_eq!(m.poll_timeout(), Some(at(131_002)));
}

#[test]
fn check_inside_the_last_second_rearms_one_second_later() {
    // msSince in (I·1000, I·1000 + 1000]: timeout < 0 → bufferTime, i.e. now + 1 s.
    // Push at -500, restart at 0, first check at 60_001: msSince 60_501.
    let mut m = PushMonitor::new(settings(60, 20, 0, 0, 1));
    m.handle_start(at(-10_000));
    m.handle_push(at(-500), None, None, None);
    m.handle_server_restart(at(0));
    advance(&mut m, at(60_001));
    assert_eq!(m.poll_timeout(), Some(at(61_002)));
    advance(&mut m, at(61_002));
    assert_eq!(m.status(), Some(Status::Down));
}

#[test]
fn handle_timeout_before_due_is_a_no_op() {
    let mut m = PushMonitor::new(settings(60, 20, 0, 0, 1));
    m.handle_start(at(0));
    m.handle_timeout(at(60_000));
    assert_eq!(m.poll_timeout(), Some(at(60_001)));
    assert!(drain(&mut m).is_empty());
}

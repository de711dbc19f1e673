//! Maintenance windows (SPEC 3.3): MAINTENANCE rows, and the first check after a window.

use super::*;

#[test]
fn after_maintenance_the_first_check_fails_at_once_without_an_up_push_after_it() {
    // I = 60, N = 0. Up push at 10 s → chain at 71_001.
    let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
    advance(&mut m, at(60_001)); // re-arms on the push: 71_001
    m.handle_maintenance_begin(at(65_000));
    advance(&mut m, at(71_001)); // MAINTENANCE beat, next check 131_002
    assert_eq!(m.poll_timeout(), Some(at(131_002)));
    push_up(&mut m, 100_000); // stored as MAINTENANCE
    m.handle_maintenance_end(at(120_000));
    advance(&mut m, at(131_002)); // latest row MAINTENANCE: fails at once
    let ev = drain(&mut m);
    assert_eq!(
        beats(&ev),
        vec![
            (10_000, Status::Up, BeatSource::Push),
            (71_001, Status::Maintenance, BeatSource::Check),
            (100_000, Status::Maintenance, BeatSource::Push),
            (131_002, Status::Down, BeatSource::Check),
        ]
    );
    // UP→MAINTENANCE is important but not notified; MAINTENANCE→DOWN is notified.
    assert!(matches!(ev[1], MonitorEvent::Beat { important: true, .. }));
    assert_eq!(notifications(&ev), vec![(131_002, NotificationKind::Down)]);
}

#[test]
fn overlapping_maintenance_windows_act_as_their_union() {
    // Window A 65 s → 140 s, window B 100 s → 200 s: A's end must not end B.
    let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
    advance(&mut m, at(60_001));
    m.handle_maintenance_begin(at(65_000));
    m.handle_maintenance_begin(at(100_000));
    m.handle_maintenance_end(at(140_000));
    assert!(m.in_maintenance());
    advance(&mut m, at(191_003)); // checks at 71_001, 131_002 and 191_003: all MAINTENANCE
    m.handle_maintenance_end(at(200_000));
    assert!(!m.in_maintenance());
    let ev = drain(&mut m);
    let statuses: Vec<Status> = beats(&ev).iter().map(|b| b.1).collect();
    assert_eq!(statuses, [Status::Up, Status::Maintenance, Status::Maintenance, Status::Maintenance]);
}

#[test]
fn after_maintenance_an_up_push_after_it_keeps_the_monitor_up() {
    let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
    advance(&mut m, at(60_001)); // re-arms on the push: 71_001
    m.handle_maintenance_begin(at(65_000));
    advance(&mut m, at(71_001));
    m.handle_maintenance_end(at(120_000));
    push_up(&mut m, 125_000); // MAINTENANCE→UP: important, not notified
    advance(&mut m, at(131_002)); // re-arms on the push
    assert_eq!(m.poll_timeout(), Some(at(125_000 + 61_001)));
    let ev = drain(&mut m);
    assert_eq!(beats(&ev).last(), Some(&(125_000, Status::Up, BeatSource::Push)));
    assert!(matches!(ev.last(), Some(MonitorEvent::Beat { important: true, .. })));
    assert!(notifications(&ev).is_empty());
}

#[test]
fn after_maintenance_with_retries_the_failure_is_pending_and_silent_first() {
    // MAINTENANCE→PENDING is not important (not in isImportantBeat's list).
    let mut m = started_with_push_at(settings(60, 20, 1, 0, 1), 10_000);
    advance(&mut m, at(60_001)); // re-arms on the push: 71_001
    m.handle_maintenance_begin(at(65_000));
    advance(&mut m, at(71_001));
    m.handle_maintenance_end(at(120_000));
    advance(&mut m, at(131_002 + 20_001));
    let ev = drain(&mut m);
    assert_eq!(beats(&ev)[2..], [(131_002, Status::Pending, BeatSource::Check), (151_003, Status::Down, BeatSource::Check)]);
    assert!(matches!(ev[2], MonitorEvent::Beat { important: false, .. }));
    assert_eq!(notifications(&ev), vec![(151_003, NotificationKind::Down)]);
}

#[test]
fn down_push_right_after_maintenance_skips_the_retries() {
    // determineStatus: previous MAINTENANCE + down → DOWN at once, even with N = 2.
    let mut m = started_with_push_at(settings(60, 20, 2, 0, 1), 10_000);
    advance(&mut m, at(60_001)); // re-arms on the push: 71_001
    m.handle_maintenance_begin(at(65_000));
    advance(&mut m, at(71_001));
    m.handle_maintenance_end(at(80_000));
    push_down(&mut m, 90_000);
    let ev = drain(&mut m);
    assert_eq!(beats(&ev).last(), Some(&(90_000, Status::Down, BeatSource::Push)));
    assert_eq!(notifications(&ev), vec![(90_000, NotificationKind::Down)]);
}

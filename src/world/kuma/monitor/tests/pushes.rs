//! The push route and what a push stores (SPEC 3.2, 3.3): statuses, notifications, reminders,
//! 404s, upside-down mode, and the importance tables.

use super::*;

#[test]
fn pending_that_recovers_on_an_up_push_sends_no_up_notification() {
    let t = 1_000_000;
    let mut m = started_with_push_at(settings(I_3720, 60, 2, 0, 1), t);
    advance(&mut m, at(t + 3_721_001));
    assert_eq!(m.status(), Some(Status::Pending));
    assert_eq!(push_up(&mut m, t + 3_730_000), PushReply::Ok);
    let ev = drain(&mut m);
    let last = ev.last().cloned();
    assert!(matches!(last, Some(MonitorEvent::Beat { status: Status::Up, important: false, retries: 0, .. })));
    assert!(notifications(&ev).is_empty());
    // The PENDING-timed check (R later) sees the fresh UP push and re-arms on it.
    advance(&mut m, at(t + 3_781_002));
    assert!(drain(&mut m).is_empty());
    assert_eq!(m.poll_timeout(), Some(at(t + 3_730_000 + 3_721_001)));
}

#[test]
fn down_then_up_push_sends_up_notification() {
    let t = 1_000_000;
    let mut m = started_with_push_at(settings(I_3720, 60, 0, 0, 1), t);
    advance(&mut m, at(t + 3_721_001));
    assert_eq!(m.status(), Some(Status::Down));
    drain(&mut m);
    push_up(&mut m, t + 4_000_000);
    let ev = drain(&mut m);
    assert!(matches!(ev[0], MonitorEvent::Beat { status: Status::Up, important: true, .. }));
    assert_eq!(notifications(&ev), vec![(t + 4_000_000, NotificationKind::Up)]);
}

#[test]
fn reminder_every_k_down_beats() {
    // N = 0, K = 2, I = 60: DOWN at 71_001 (notified), then a DOWN beat every 60_001 ms;
    // the 2nd and 4th non-important DOWN beats remind.
    let mut m = started_with_push_at(settings(60, 20, 0, 2, 1), 10_000);
    advance(&mut m, at(71_001 + 4 * 60_001));
    let ev = drain(&mut m);
    let down_beats: Vec<i64> = beats(&ev).iter().filter(|b| b.1 == Status::Down).map(|b| b.0).collect();
    assert_eq!(down_beats, vec![71_001, 131_002, 191_003, 251_004, 311_005]);
    assert_eq!(
        notifications(&ev),
        vec![(71_001, NotificationKind::Down), (191_003, NotificationKind::DownReminder), (311_005, NotificationKind::DownReminder),]
    );
}

#[test]
fn down_pushes_count_towards_the_reminder() {
    let mut m = started_with_push_at(settings(60, 20, 0, 2, 1), 10_000);
    push_down(&mut m, 20_000); // UP→DOWN: notified, downCount 0
    push_down(&mut m, 21_000); // downCount 1
    push_down(&mut m, 22_000); // downCount 2: reminder
    let ev = drain(&mut m);
    assert_eq!(notifications(&ev), vec![(20_000, NotificationKind::Down), (22_000, NotificationKind::DownReminder)]);
}

#[test]
fn status_down_push_goes_through_the_retries_pending_first() {
    // I = 60, R = 20, N = 2, lateness 1. Up push at 10 s: chain re-armed for 71_001.
    let mut m = started_with_push_at(settings(60, 20, 2, 0, 1), 10_000);
    advance(&mut m, at(60_001)); // first check re-arms on the push: 71_001
    assert_eq!(push_down(&mut m, 65_000), PushReply::Ok);
    assert_eq!(m.status(), Some(Status::Pending));
    // The chain is not moved: at 71_001 the latest row is PENDING, so the check fails
    // at once (retries 1 → 2, PENDING), then R later it is DOWN.
    advance(&mut m, at(91_002));
    let ev = drain(&mut m);
    assert_eq!(
        beats(&ev),
        vec![
            (10_000, Status::Up, BeatSource::Push),
            (65_000, Status::Pending, BeatSource::Push),
            (71_001, Status::Pending, BeatSource::Check),
            (91_002, Status::Down, BeatSource::Check),
        ]
    );
    assert_eq!(notifications(&ev), vec![(91_002, NotificationKind::Down)]);
}

#[test]
fn status_down_push_is_down_at_once_when_n_is_0() {
    let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
    push_down(&mut m, 30_000);
    let ev = drain(&mut m);
    assert_eq!(beats(&ev)[1], (30_000, Status::Down, BeatSource::Push));
    assert_eq!(notifications(&ev), vec![(30_000, NotificationKind::Down)]);
}

#[test]
fn any_status_other_than_exactly_up_is_down_and_empty_means_up() {
    let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
    m.handle_push(at(11_000), Some("UP"), None, None);
    assert_eq!(m.status(), Some(Status::Down));
    m.handle_push(at(12_000), Some(""), Some(""), None);
    assert_eq!(m.status(), Some(Status::Up));
    let ev = drain(&mut m);
    assert!(matches!(&ev[ev.len() - 2], MonitorEvent::Beat { msg, .. } if msg == "OK"));
}

#[test]
fn paused_token_gets_404_and_stores_nothing() {
    let mut m = PushMonitor::new(settings(60, 20, 0, 0, 1));
    // Never started: inactive.
    assert_eq!(m.handle_push(at(1), None, None, None), PushReply::NotFound { msg: MSG_NOT_FOUND });
    m.handle_start(at(0));
    assert_eq!(m.handle_push(at(2), None, None, None), PushReply::Ok);
    m.handle_pause(at(3));
    assert_eq!(m.poll_timeout(), None);
    assert_eq!(m.handle_push(at(4), Some("up"), None, None), PushReply::NotFound { msg: MSG_NOT_FOUND });
    assert_eq!(beats(&drain(&mut m)), vec![(2, Status::Up, BeatSource::Push)]);
    // Resume: chain a full interval later.
    m.handle_start(at(10));
    assert_eq!(m.poll_timeout(), Some(at(60_011)));
}

#[test]
fn unknown_token_gets_404() {
    assert_eq!(unknown_token_reply(None), PushReply::NotFound { msg: MSG_NOT_FOUND });
    assert_eq!(unknown_token_reply(Some("5")), PushReply::NotFound { msg: MSG_NOT_FOUND });
    assert_eq!(unknown_token_reply(Some("-5")), PushReply::NotFound { msg: MSG_INVALID_PING });
}

#[test]
fn invalid_ping_gets_404_before_the_token_lookup_and_non_numeric_ping_is_accepted() {
    let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
    let invalid = PushReply::NotFound { msg: MSG_INVALID_PING };
    for bad in ["-1", "-0.5", "100000000000.5", "1e12", "Infinity", "-Infinity", " 2e11ms"] {
        assert_eq!(m.handle_push(at(20_000), None, None, Some(bad)), invalid, "{bad:?}");
    }
    for ok in ["", "abc", "0", "-0", "12.5", "100000000000", "1e11", "0x10", ".5", "7ms", "1e-400"] {
        assert_eq!(m.handle_push(at(20_000), None, None, Some(ok)), PushReply::Ok, "{ok:?}");
    }
    m.handle_pause(at(30_000));
    assert_eq!(m.handle_push(at(31_000), None, None, Some("-3")), invalid);
    assert_eq!(m.handle_push(at(31_000), None, None, Some("3")), PushReply::NotFound { msg: MSG_NOT_FOUND });
}

#[test]
fn upside_down_up_push_is_down_and_silence_is_up() {
    let mut s = settings(60, 20, 0, 0, 1);
    s.upside_down = true;
    let mut m = PushMonitor::new(s);
    m.handle_start(at(0));
    push_up(&mut m, 10_000); // flipped: first beat DOWN → notified
    advance(&mut m, at(60_001)); // latest row DOWN (healthy when upside down), 50 s old: re-arm
    assert_eq!(m.poll_timeout(), Some(at(71_001)));
    advance(&mut m, at(71_001 + 60_001));
    let ev = drain(&mut m);
    assert_eq!(
        beats(&ev),
        vec![(10_000, Status::Down, BeatSource::Push), (71_001, Status::Up, BeatSource::Check), (131_002, Status::Up, BeatSource::Check),]
    );
    assert_eq!(notifications(&ev), vec![(10_000, NotificationKind::Down), (71_001, NotificationKind::Up)]);
    // A status=down push is stored as UP.
    m.handle_push(at(140_000), Some("down"), None, None);
    assert_eq!(m.status(), Some(Status::Up));
}

#[test]
fn upside_down_up_push_goes_through_retries_then_silence_is_up_without_pending() {
    let mut s = settings(60, 20, 2, 0, 1);
    s.upside_down = true;
    let mut m = PushMonitor::new(s);
    m.handle_start(at(0));
    m.handle_push(at(1_000), Some("down"), None, None); // flipped: UP
    push_up(&mut m, 2_000); // flipped DOWN after UP, N = 2: PENDING
    assert_eq!(m.status(), Some(Status::Pending));
    advance(&mut m, at(60_001)); // PENDING is not healthy: fails, and fails as UP
    let ev = drain(&mut m);
    assert_eq!(beats(&ev).last(), Some(&(60_001, Status::Up, BeatSource::Check)));
    assert!(matches!(ev.last(), Some(MonitorEvent::Beat { retries: 0, important: false, .. })));
}

#[test]
fn importance_and_notification_tables_match_the_source() {
    use Status::*;
    let all = [Down, Up, Pending, Maintenance];
    let important =
        [(Down, Maintenance), (Up, Maintenance), (Maintenance, Down), (Maintenance, Up), (Up, Down), (Down, Up), (Pending, Down)];
    let notify = [(Maintenance, Down), (Up, Down), (Down, Up), (Pending, Down)];
    for p in all {
        for c in all {
            assert_eq!(is_important_beat(false, Some(p), c), important.contains(&(p, c)), "{p:?}->{c:?}");
            assert_eq!(is_important_for_notification(false, Some(p), c), notify.contains(&(p, c)));
        }
        assert!(is_important_beat(true, None, p));
    }
    assert_eq!(send_notification(true, Up, false), None);
    assert_eq!(send_notification(true, Down, false), Some(NotificationKind::Down));
}

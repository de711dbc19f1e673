//! The server's verbs: timers across monitors, events in monitor order, pushes by token.

use super::monitor::{BeatSource, MonitorEvent, MonitorSettings, PushMonitor, Status};
use super::server::{KumaEvent, KumaServer, MonitorIndex, TokenMonitor};
use crate::net::{Method, Request, Service};
use crate::time::Instant;

fn server(intervals_s: &[u32]) -> KumaServer {
    let monitors = intervals_s
        .iter()
        .enumerate()
        .map(|(i, &s)| TokenMonitor { push_token: format!("t{i}"), monitor: PushMonitor::new(MonitorSettings::new(s)) })
        .collect();
    KumaServer::new(monitors, Default::default(), crate::rng::stream(1, "kuma.start"))
}

fn push(k: &mut KumaServer, at_ms: i64, token: &str) -> u16 {
    let request = Request::new(Method::Get, format!("/api/push/{token}")).query_param("status", "up").query_param("msg", "OK");
    k.handle(Instant(at_ms), &request).status
}

fn drain(k: &mut KumaServer) -> Vec<(usize, i64, Status, BeatSource)> {
    std::iter::from_fn(|| k.poll_event())
        .filter_map(|KumaEvent { monitor: MonitorIndex(m), event }| match event {
            MonitorEvent::Beat { at, status, source, .. } => Some((m, at.0, status, source)),
            MonitorEvent::Notification { .. } | MonitorEvent::SilentCheck { .. } => None,
        })
        .collect()
}

#[test]
fn poll_timeout_is_the_earliest_monitor_timer_and_none_before_start_or_after_stop() {
    // Monitor 0 starts first, at the server's start: its chain is the earliest.
    let mut k = server(&[20, 60]);
    assert_eq!(k.poll_timeout(), None);
    k.handle_start(Instant(0));
    assert_eq!(k.poll_timeout(), Some(Instant(20_001)));
    k.handle_stop(Instant(5_000));
    assert_eq!(k.poll_timeout(), None);
    k.handle_restart(Instant(10_000));
    assert_eq!(k.poll_timeout(), Some(Instant(30_001)));
}

#[test]
fn handle_timeout_fires_only_the_due_monitors() {
    let mut k = server(&[20, 60]);
    k.handle_start(Instant(0));
    let later = k.monitor(MonitorIndex(1)).poll_timeout();
    k.handle_timeout(Instant(20_001));
    assert_eq!(drain(&mut k), vec![(0, 20_001, Status::Down, BeatSource::Check)]);
    assert_eq!(k.poll_timeout(), Some(Instant(40_002)));
    assert_eq!(k.monitor(MonitorIndex(1)).poll_timeout(), later, "not due: untouched");
}

#[test]
fn active_monitors_start_one_after_the_other_with_a_pause_of_300_to_1000_ms_and_a_paused_one_takes_none() {
    // server.js startMonitors(): `await monitor.start(io); await sleep(getRandomInt(300, 1000))`.
    let mut k = server(&[60; 6]);
    k.set_paused(MonitorIndex(2), true);
    for start_ms in [0, 500_000] {
        if start_ms == 0 {
            k.handle_start(Instant(0));
        } else {
            k.handle_stop(Instant(start_ms - 1_000));
            k.handle_restart(Instant(start_ms));
        }
        let first_checks: Vec<i64> = [0, 1, 3, 4, 5].iter().map(|&m| k.monitor(MonitorIndex(m)).poll_timeout().unwrap().as_ms()).collect();
        assert_eq!(first_checks[0], start_ms + 60_001, "the first monitor starts with the server");
        let gaps: Vec<i64> = first_checks.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| (300..=1_000).contains(g)), "gaps {gaps:?}");
        assert!(k.monitor(MonitorIndex(2)).poll_timeout().is_none());
    }
}

#[test]
fn the_start_pauses_come_from_the_servers_own_stream() {
    let starts = |seed: u64| {
        let monitors =
            (0..8).map(|i| TokenMonitor { push_token: format!("t{i}"), monitor: PushMonitor::new(MonitorSettings::new(60)) }).collect();
        let mut k = KumaServer::new(monitors, Default::default(), crate::rng::stream(seed, "kuma.start"));
        k.handle_start(Instant(0));
        (0..8).map(|m| k.monitor(MonitorIndex(m)).poll_timeout().unwrap().as_ms()).collect::<Vec<_>>()
    };
    assert_eq!(starts(1), starts(1), "the same seed gives the same starts");
    assert_ne!(starts(1), starts(2), "another seed, other pauses");
}

#[test]
fn poll_event_gives_all_of_monitor_0_then_monitor_1_whatever_the_order_they_happened_in() {
    let mut k = server(&[60, 60]);
    k.handle_start(Instant(0));
    assert_eq!(push(&mut k, 1_000, "t1"), 200);
    assert_eq!(push(&mut k, 2_000, "t0"), 200);
    assert_eq!(push(&mut k, 3_000, "t1"), 200);
    assert_eq!(push(&mut k, 4_000, "nobody"), 404);
    assert_eq!(
        drain(&mut k),
        vec![(0, 2_000, Status::Up, BeatSource::Push), (1, 1_000, Status::Up, BeatSource::Push), (1, 3_000, Status::Up, BeatSource::Push)]
    );
    assert_eq!(k.poll_event(), None);
}

#[test]
fn maintenance_verbs_reach_only_their_monitor() {
    let mut k = server(&[60, 60]);
    k.handle_start(Instant(0));
    k.handle_maintenance_begin(Instant(1_000), MonitorIndex(1));
    assert!(!k.monitor(MonitorIndex(0)).in_maintenance());
    assert!(k.monitor(MonitorIndex(1)).in_maintenance());
    k.handle_maintenance_end(Instant(2_000), MonitorIndex(1));
    assert!(!k.monitor(MonitorIndex(1)).in_maintenance());
}

#[test]
fn a_paused_monitor_answers_404_never_checks_and_stays_paused_across_a_restart() {
    let mut kuma = server(&[60, 60]);
    kuma.set_paused(MonitorIndex(1), true);
    kuma.handle_start(Instant(0));
    assert_eq!(push(&mut kuma, 1_000, "t0"), 200);
    assert_eq!(push(&mut kuma, 1_000, "t1"), 404);
    assert!(kuma.monitor(MonitorIndex(1)).poll_timeout().is_none(), "a paused monitor has no check timer");
    assert!(!kuma.monitor(MonitorIndex(1)).is_active());
    kuma.handle_restart(Instant(2_000));
    assert!(!kuma.monitor(MonitorIndex(1)).is_active(), "a restart keeps it paused");
    assert!(kuma.monitor(MonitorIndex(0)).is_active());
}

#[test]
fn an_edit_cancels_the_pending_check_and_the_next_comes_a_full_new_interval_after_the_save() {
    // Measured on Kuma 2.5.3 (I = 20 s): DOWN 20.0 s after the edit, not 21 s after the last push.
    let mut k = server(&[20]);
    k.handle_start(Instant(0));
    assert_eq!(push(&mut k, 5_000, "t0"), 200);
    k.handle_edit(Instant(10_000), MonitorIndex(0), MonitorSettings::new(20));
    assert_eq!(k.poll_timeout(), Some(Instant(30_001)), "save + I + 1 ms lateness");
    k.handle_timeout(Instant(30_001));
    assert_eq!(drain(&mut k), vec![(0, 5_000, Status::Up, BeatSource::Push), (0, 30_001, Status::Down, BeatSource::Check)]);
}

#[test]
fn a_paused_monitor_answers_404_until_resumed_and_its_chain_restarts_a_full_interval_after_the_resume() {
    let mut k = server(&[60]);
    k.handle_start(Instant(0));
    k.handle_pause(Instant(10_000), MonitorIndex(0));
    assert_eq!(k.poll_timeout(), None, "the pending check is cancelled");
    assert_eq!(push(&mut k, 11_000, "t0"), 404);
    k.handle_restart(Instant(12_000));
    assert_eq!(k.poll_timeout(), None, "a restart keeps it paused");
    k.handle_resume(Instant(20_000), MonitorIndex(0));
    assert_eq!(k.poll_timeout(), Some(Instant(80_001)));
    assert_eq!(push(&mut k, 21_000, "t0"), 200);
}

#[test]
fn a_deleted_monitor_is_gone_for_good_its_token_unknown_and_no_restart_or_resume_brings_it_back() {
    let mut k = server(&[60, 60]);
    k.handle_start(Instant(0));
    k.handle_delete(Instant(10_000), MonitorIndex(1));
    assert!(k.is_absent(MonitorIndex(1)));
    assert_eq!(push(&mut k, 11_000, "t1"), 404);
    k.handle_resume(Instant(12_000), MonitorIndex(1));
    k.handle_stop(Instant(13_000));
    k.handle_restart(Instant(14_000));
    assert!(k.monitor(MonitorIndex(1)).poll_timeout().is_none());
    assert_eq!(push(&mut k, 15_000, "t1"), 404);
    assert_eq!(push(&mut k, 15_000, "t0"), 200, "the other monitor is untouched");
}

#[test]
fn a_life_cycle_action_while_kuma_is_down_does_nothing() {
    // The UI is Kuma's own server: nobody can pause, edit or delete while it is down.
    let mut k = server(&[60]);
    k.handle_start(Instant(0));
    k.handle_stop(Instant(1_000));
    k.handle_pause(Instant(2_000), MonitorIndex(0));
    k.handle_delete(Instant(2_000), MonitorIndex(0));
    k.handle_restart(Instant(3_000));
    assert!(!k.is_absent(MonitorIndex(0)));
    assert_eq!(k.poll_timeout(), Some(Instant(63_001)));
}

#[test]
fn a_monitor_created_later_is_unknown_until_then_and_its_chain_starts_a_full_interval_after_its_creation() {
    let mut k = server(&[60, 60]);
    k.set_absent(MonitorIndex(1));
    k.handle_start(Instant(0));
    assert_eq!(push(&mut k, 1_000, "t1"), 404, "no such token yet");
    assert!(k.monitor(MonitorIndex(1)).poll_timeout().is_none());
    assert_eq!(k.monitor(MonitorIndex(0)).poll_timeout(), Some(Instant(60_001)), "the first monitor takes no pause for it");
    k.handle_create(Instant(30_000), MonitorIndex(1));
    assert!(!k.is_absent(MonitorIndex(1)));
    assert_eq!(k.monitor(MonitorIndex(1)).poll_timeout(), Some(Instant(90_001)));
    assert_eq!(push(&mut k, 31_000, "t1"), 200);
}

#[test]
fn the_server_log_is_empty_unless_asked() {
    let mut k = server(&[20]);
    k.handle_start(Instant(0));
    push(&mut k, 1_000, "t0");
    k.handle_timeout(Instant(20_001));
    assert_eq!(k.poll_log(), None);
    assert!(std::iter::from_fn(|| k.poll_event()).all(|e| !matches!(e.event, MonitorEvent::SilentCheck { .. })));
}

#[test]
fn the_server_log_gives_each_start_with_its_chain_and_first_check_then_each_push_as_received() {
    use super::server_log::{MonitorChange, ServerChange, ServerEvent};
    let mut k = server(&[20, 60]);
    k.set_logging(true, false);
    k.handle_start(Instant(0));
    assert_eq!(k.poll_log(), Some(ServerEvent::Server { at: Instant(0), change: ServerChange::Start }));
    let chain_starts: Vec<(usize, i64, i64)> = std::iter::from_fn(|| k.poll_log())
        .map(|e| match e {
            ServerEvent::Monitor {
                at,
                monitor,
                change: MonitorChange::Start,
                active: true,
                chain_start: Some(c),
                next_check: Some(n),
                ..
            } => {
                assert_eq!(at, Instant(0), "the line is written when Kuma starts them all");
                (monitor.0, c.0, n.0)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    // Monitor 0 at once, first check I + 1 ms later; monitor 1 after a 300-1000 ms pause.
    assert_eq!(chain_starts[0], (0, 0, 20_001));
    let (m, start, next) = chain_starts[1];
    assert_eq!(m, 1);
    assert!((300..=1_000).contains(&start), "{start}");
    assert_eq!(next, start + 60_001);

    k.handle_delete(Instant(5_000), MonitorIndex(1));
    assert!(matches!(
        k.poll_log(),
        Some(ServerEvent::Monitor { change: MonitorChange::Delete, active: false, chain_start: None, next_check: None, .. })
    ));
    assert_eq!(push(&mut k, 6_000, "t1"), 404);
    assert_eq!(push(&mut k, 7_000, "nobody"), 404);
    assert_eq!(push(&mut k, 8_000, "t0"), 200);
    let received: Vec<(i64, Option<usize>, u16)> = std::iter::from_fn(|| k.poll_log())
        .map(|e| match e {
            ServerEvent::PushReceived { at, monitor, query, answer } => {
                assert_eq!(query, vec![("status".to_string(), "up".to_string()), ("msg".to_string(), "OK".to_string())]);
                (at.0, monitor.map(|m| m.0), answer)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    // A deleted monitor's token is still named (404); a token of no monitor is not.
    assert_eq!(received, vec![(6_000, Some(1), 404), (7_000, None, 404), (8_000, Some(0), 200)]);

    k.handle_maintenance_begin(Instant(9_000), MonitorIndex(0));
    k.handle_stop(Instant(9_500));
    k.handle_restart(Instant(10_000));
    let rest: Vec<ServerEvent> = std::iter::from_fn(|| k.poll_log()).collect();
    assert_eq!(rest[0], ServerEvent::Maintenance { at: Instant(9_000), monitor: MonitorIndex(0), begins: true });
    assert_eq!(rest[1], ServerEvent::Server { at: Instant(9_500), change: ServerChange::Stop });
    assert_eq!(rest[2], ServerEvent::Server { at: Instant(10_000), change: ServerChange::Restart });
    assert!(matches!(rest[3], ServerEvent::Monitor { monitor: MonitorIndex(0), change: MonitorChange::Start, .. }));
    assert_eq!(rest.len(), 4, "the deleted monitor does not start again: {rest:?}");
}

#[test]
fn a_check_that_finds_a_fresh_up_is_reported_only_when_asked_with_the_instant_it_re_arms_for() {
    let mut k = server(&[60]);
    k.set_logging(true, true);
    k.handle_start(Instant(0));
    push(&mut k, 30_000, "t0");
    // First check at 60 001: the UP is 30 001 ms old; timeout 60 000 - 30 001 + 1 000 = 30 999,
    // plus 1 ms lateness: 91 001 (`monitor.js`, push branch).
    k.handle_timeout(Instant(60_001));
    let silent: Vec<MonitorEvent> =
        std::iter::from_fn(|| k.poll_event()).map(|e| e.event).filter(|e| matches!(e, MonitorEvent::SilentCheck { .. })).collect();
    assert_eq!(silent, vec![MonitorEvent::SilentCheck { at: Instant(60_001), last_beat: Instant(30_000), next_check: Instant(91_001) }]);
    assert_eq!(k.poll_timeout(), Some(Instant(91_001)));
}

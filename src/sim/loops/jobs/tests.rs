//! Unit tests of the jobs loop: one scenario each, the loop run in-process, the log read back.

use std::sync::{Arc, Mutex};

use super::*;
use crate::sim::engine::transport::{InProcess, SharedService};
use crate::sim::scenario::load_str;
use crate::world::kuma::monitor::{NotificationKind, Status};

/// One hourly-monitored job every 5 minutes (runs take 2 s, the tick is 1 minute), plus the
/// scenario's own `timeline` and `duration`.
fn plan(duration: &str, timeline: &str) -> JobsPlan {
    let text = format!(
        r#"{{"name": "t", "seed": 7, "start": "2026-03-02T00:00:00Z", "duration": "{duration}",
  "cron": {{"tick": "1m", "jobs": [{{"id": 1, "label": "recovery", "frequency": "5m", "duration": {{"fixed": "2s"}},
    "heartbeat": {{"monitor": "m"}}}}]}},
  "kuma": {{"monitors": [{{"id": "m", "interval_s": 320}}]}},
  "timeline": [{timeline}]}}"#
    );
    let scenario = load_str("t.json", &text).expect("valid test scenario");
    JobsPlan::new(&scenario, None, scenario.file.seed)
}

fn run_loop(plan: &JobsPlan) -> CronLog {
    let kuma = Arc::new(Mutex::new(plan.kuma.server(plan.seed)));
    let service: SharedService = kuma.clone();
    let mut transport = InProcess::new([(Link::KumaPush, service)]);
    run(plan, &kuma, &mut transport, None, &mut Trace::off())
}

fn minutes(plan: &JobsPlan, m: i64) -> Instant {
    plan.start + Duration::from_mins(m)
}

#[test]
fn every_slot_of_the_grid_is_served_by_one_run_whose_push_is_delivered() {
    let plan = plan("1h", "");
    let log = run_loop(&plan);
    let slots: Vec<Instant> = log.runs.iter().map(|r| r.slot).collect();
    assert_eq!(slots, (0..12).map(|k| minutes(&plan, 5 * k)).collect::<Vec<_>>());
    assert!(log.runs.iter().all(|r| r.fate == RunFate::Success && r.push_delivered.is_some() && r.push_attempts == 1));
    assert_eq!(log.passes, 60, "one pass per tick");
    assert_eq!(log.monitors[0].pushes.answers.get(&200), Some(&12));
    assert!(log.monitors[0].beats.iter().all(|&(_, s)| s == Status::Up));
    assert!(log.monitors[0].notifications.is_empty());
}

#[test]
fn a_crashed_run_leaves_the_job_stuck_and_kuma_notifies_down_by_its_own_deadline() {
    let plan = plan("2h", r#"{"event": "job_crash", "at": "+20m", "job": 1}"#);
    let log = run_loop(&plan);
    let crashed: Vec<&RunRecord> = log.runs.iter().filter(|r| r.fate == RunFate::Crashed).collect();
    assert_eq!(crashed.len(), 1);
    assert_eq!(crashed[0].slot, minutes(&plan, 20));
    assert_eq!(log.runs.last().map(|r| r.slot), Some(minutes(&plan, 20)), "no run after the crash: the job stays processing");
    assert!(log.views[0].is_some_and(|v| v.processing));
    let last_push = log.runs.iter().filter_map(|r| r.push_delivered).max().expect("pushes before the crash");
    let down = log.monitors[0].notifications.iter().find(|n| n.1 == NotificationKind::Down).expect("a DOWN notification").0;
    let deadline = plan.kuma.monitors[0].settings.silence_to_down().worst_case();
    assert!(down > last_push + plan.kuma.monitors[0].settings.silence_to_down().window, "not before the window ends");
    assert!(down <= last_push + deadline, "DOWN at {down:?}, later than the model's deadline {deadline:?} after {last_push:?}");
}

#[test]
fn no_pass_runs_while_the_host_cron_is_stopped() {
    let plan = plan("1h", r#"{"event": "cron_stop", "at": "+10m"}, {"event": "cron_start", "at": "+30m"}"#);
    let log = run_loop(&plan);
    assert_eq!(log.passes, 40, "60 ticks, 20 of them while stopped");
    assert!(log.runs.iter().all(|r| r.start < minutes(&plan, 10) || r.start >= minutes(&plan, 30)));
    // The slots missed while stopped are served once, late, by the first pass after the stop.
    assert!(log.runs.iter().any(|r| r.start == minutes(&plan, 30) && r.slot == minutes(&plan, 10)));
}

#[test]
fn run_now_runs_the_job_at_once_in_a_process_of_its_own() {
    let plan = plan("30m", r#"{"event": "run_now", "at": "+7m30s", "job": 1}"#);
    let log = run_loop(&plan);
    let manual = log.runs.iter().find(|r| r.start == minutes(&plan, 7) + Duration::from_secs(30)).expect("the manual run");
    assert_eq!(manual.fate, RunFate::Success);
    assert!(manual.push_delivered.is_some());
}

#[test]
fn a_run_still_going_at_the_end_is_unfinished() {
    // The runner starts a slot at the first tick after it (`datenextrun < now`): slot 5 at
    // minute 6, for 2 s, past the end.
    let plan = plan("6m1s", "");
    let log = run_loop(&plan);
    assert_eq!(log.runs.iter().map(|r| r.fate).collect::<Vec<_>>(), vec![RunFate::Success, RunFate::Unfinished]);
}

#[test]
fn kuma_down_for_a_restart_refuses_the_pushes_that_reach_it() {
    let plan = plan("1h", r#"{"event": "kuma_restart", "at": "+14m", "duration": "3m"}"#);
    let log = run_loop(&plan);
    assert!(log.monitors[0].pushes.refused > 0, "the slot-15 push arrives while Kuma is down");
    let slot_15 = log.runs.iter().find(|r| r.slot == minutes(&plan, 15)).expect("the run of slot 15");
    assert!(slot_15.push_attempts > 1, "the push is retried");
}

#[test]
fn the_same_plan_gives_the_same_log() {
    let plan = plan("3h", r#"{"event": "job_error", "at": "+1h", "job": 1, "count": 2}"#);
    let (a, b) = (run_loop(&plan), run_loop(&plan));
    let key = |l: &CronLog| l.runs.iter().map(|r| (r.slot, r.start, r.end, r.fate, r.push_delivered)).collect::<Vec<_>>();
    assert_eq!(key(&a), key(&b));
    assert_eq!(a.runs.iter().filter(|r| r.fate == RunFate::Error).count(), 2);
}

#[test]
fn a_scripted_push_reaches_kuma_at_its_instant_with_its_status_and_message_and_one_attempt() {
    // Monitor "script" has no job: only the timeline pushes to it. UP at 30 s, DOWN ("disk
    // full") at 40 s — an important beat, so notified at once — and UP again at 100 s (notified:
    // DOWN → UP); each a beat at the push's own instant (no latency), none retried. The push at
    // 50 s is refused by an outage of the push link: one attempt, lost, no beat.
    let text = r#"{"name": "t", "seed": 7, "start": "2026-03-02T00:00:00Z", "duration": "2m",
      "kuma": {"monitors": [{"id": "script", "interval_s": 60}]},
      "faults": {"kuma_push": {"outages": [{"at": "+49s", "duration": "2s", "kind": "refused"}]}},
      "timeline": [
        {"event": "kuma_push", "at": "+30s", "monitor": "script"},
        {"event": "kuma_push", "at": "+40s", "monitor": "script", "status": "down", "msg": "disk full", "ping": 12.5},
        {"event": "kuma_push", "at": "+50s", "monitor": "script"},
        {"event": "kuma_push", "at": "+100s", "monitor": "script", "status": "up"}]}"#;
    let scenario = load_str("t.json", text).expect("valid test scenario");
    let plan = JobsPlan::new(&scenario, None, scenario.file.seed);
    assert_eq!(
        plan.pushes[1].request.query,
        vec![("status".to_string(), "down".to_string()), ("msg".into(), "disk full".into()), ("ping".into(), "12.5".into())]
    );
    let log = run_loop(&plan);
    let at = |s: i64| plan.start + Duration::from_secs(s);
    // The chain's first check, I + 1 ms after Kuma's start, finds a DOWN row (not a fresh UP):
    // it stores DOWN again, not important, so not notified.
    let check = plan.start + Duration::from_ms(60_001);
    assert_eq!(log.monitors[0].beats, vec![(at(30), Status::Up), (at(40), Status::Down), (check, Status::Down), (at(100), Status::Up)]);
    assert_eq!(log.monitors[0].notifications, vec![(at(40), NotificationKind::Down), (at(100), NotificationKind::Up)]);
    assert_eq!(log.monitors[0].pushes.answers.get(&200), Some(&3));
    assert_eq!(log.monitors[0].pushes.refused, 1);
    assert_eq!(log.pushes_sent, 0, "no job pushed");
}

#[test]
fn monitor_life_cycle_events_pause_edit_resume_and_delete_act_at_their_instants() {
    // Monitor "m" (I = 60 s) gets one push at 10 s. Edited at 30 s to I = 20 s: the pending
    // check (70.001 s) is cancelled and the next comes at 30 + 20 s + 1 ms = 50.001 s, finding
    // the push 40 s old: DOWN. Paused at 60 s (no check, pushes 404), resumed at 100 s (first
    // check at 120.001 s: DOWN, not important), deleted at 130 s (no check ever after; the push
    // at 140 s gets 404).
    let text = r#"{"name": "t", "seed": 7, "start": "2026-03-02T00:00:00Z", "duration": "5m",
      "kuma": {"monitors": [{"id": "m", "interval_s": 60}]},
      "timeline": [
        {"event": "kuma_push", "at": "+10s", "monitor": "m"},
        {"event": "kuma_monitor_edit", "at": "+30s", "monitor": "m", "interval_s": 20},
        {"event": "kuma_monitor_pause", "at": "+60s", "monitor": "m"},
        {"event": "kuma_push", "at": "+70s", "monitor": "m"},
        {"event": "kuma_monitor_resume", "at": "+100s", "monitor": "m"},
        {"event": "kuma_monitor_delete", "at": "+130s", "monitor": "m"},
        {"event": "kuma_push", "at": "+140s", "monitor": "m"}]}"#;
    let scenario = load_str("t.json", text).expect("valid test scenario");
    let plan = JobsPlan::new(&scenario, None, scenario.file.seed);
    assert_eq!(plan.edits[0].interval_s, 20);
    let log = run_loop(&plan);
    let at_ms = |ms: i64| plan.start + Duration::from_ms(ms);
    assert_eq!(log.monitors[0].beats, vec![(at_ms(10_000), Status::Up), (at_ms(50_001), Status::Down), (at_ms(120_001), Status::Down)]);
    assert_eq!(log.monitors[0].notifications, vec![(at_ms(50_001), NotificationKind::Down)]);
    assert_eq!(log.monitors[0].pushes.answers.get(&200), Some(&1));
    assert_eq!(log.monitors[0].pushes.answers.get(&404), Some(&2), "paused, then deleted");
}

#[test]
fn a_monitor_created_during_the_run_gets_404_before_and_checks_a_full_interval_after_its_creation() {
    // Created at 60 s (I = 60 s): the push at 30 s gets 404 (no beat), the first check comes at
    // 120.001 s and, with no push since, stores DOWN.
    let text = r#"{"name": "t", "seed": 7, "start": "2026-03-02T00:00:00Z", "duration": "3m",
      "kuma": {"monitors": [{"id": "m", "interval_s": 60, "created": "+60s"}]},
      "timeline": [{"event": "kuma_push", "at": "+30s", "monitor": "m"}]}"#;
    let scenario = load_str("t.json", text).expect("valid test scenario");
    let plan = JobsPlan::new(&scenario, None, scenario.file.seed);
    let log = run_loop(&plan);
    let at_ms = |ms: i64| plan.start + Duration::from_ms(ms);
    assert_eq!(log.monitors[0].beats, vec![(at_ms(120_001), Status::Down)]);
    assert_eq!(log.monitors[0].pushes.answers.get(&404), Some(&1));
}

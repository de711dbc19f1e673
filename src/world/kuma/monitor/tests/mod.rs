//! The push monitor's rules, one test each (SPEC 3.2, 3.3), and properties over generated push
//! traces. Shared helpers live here; the tests are in the files below, by topic.

mod check_chain;
mod deadline;
mod maintenance;
mod properties;
mod pushes;
mod v1_23;

use super::importance::send_notification;
use super::*;
use crate::time::Instant;

const I_3720: u32 = 3_720;

fn settings(i: u32, r: u32, n: u32, k: u32, lateness: i64) -> MonitorSettings {
    MonitorSettings {
        interval_s: i,
        retry_interval_s: r,
        max_retries: n,
        resend_interval: k,
        upside_down: false,
        timer_lateness: TimerLateness::Constant(lateness),
        version: KumaVersion::V2,
    }
}

/// [`settings`] with [`KumaVersion::V1_23`].
fn settings_v1(i: u32, r: u32, n: u32, k: u32, lateness: i64) -> MonitorSettings {
    MonitorSettings { version: KumaVersion::V1_23, ..settings(i, r, n, k, lateness) }
}

fn at(ms: i64) -> Instant {
    Instant(ms)
}

/// Runs every check due at or before `until` (checks before a push at the same instant).
fn advance(m: &mut PushMonitor, until: Instant) {
    while let Some(t) = m.poll_timeout() {
        if t > until {
            break;
        }
        m.handle_timeout(t);
    }
}

fn push_up(m: &mut PushMonitor, t: i64) -> PushReply {
    advance(m, at(t));
    m.handle_push(at(t), Some("up"), Some("OK"), Some("12"))
}

fn push_down(m: &mut PushMonitor, t: i64) -> PushReply {
    advance(m, at(t));
    m.handle_push(at(t), Some("down"), Some("job failed"), None)
}

fn drain(m: &mut PushMonitor) -> Vec<MonitorEvent> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

/// (instant, status, source) of every beat.
fn beats(events: &[MonitorEvent]) -> Vec<(i64, Status, BeatSource)> {
    events
        .iter()
        .filter_map(|e| match e {
            MonitorEvent::Beat { at, status, source, .. } => Some((at.0, *status, *source)),
            _ => None,
        })
        .collect()
}

fn notifications(events: &[MonitorEvent]) -> Vec<(i64, NotificationKind)> {
    events
        .iter()
        .filter_map(|e| match e {
            MonitorEvent::Notification { at, kind } => Some((at.0, *kind)),
            _ => None,
        })
        .collect()
}

/// A monitor started at 0 with one UP push at `t` (the chain then re-arms on `t`).
fn started_with_push_at(s: MonitorSettings, t: i64) -> PushMonitor {
    let mut m = PushMonitor::new(s);
    m.handle_start(at(0));
    assert_eq!(push_up(&mut m, t), PushReply::Ok);
    m
}

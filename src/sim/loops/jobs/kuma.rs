//! Driving the Kuma model from the jobs loop: one check event in the queue at the earliest
//! monitor timer (re-armed after every input), and Kuma's beats and notifications drained into
//! the log and the trace after every input.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::sim::engine::queue::{Class, EventQueue};
use crate::sim::engine::trace::Trace;
use crate::sim::loops::jobs::kuma_lines::{
    BeatLine, MaintenanceLine, MonitorLine, NotificationLine, PushReceivedLine, ServerLine, SilentCheckLine, notification_name,
    server_change_name, source_name, status_name, version_name,
};
use crate::sim::loops::jobs::log::MonitorLog;
use crate::time::Instant;
use crate::world::kuma::monitor::{MonitorEvent, NotificationKind};
use crate::world::kuma::server::{KumaEvent, KumaServer, MonitorIndex};
use crate::world::kuma::server_log::{ServerChange, ServerEvent};

/// The Kuma server as the loop sees it: shared with the transport, which carries pushes to it.
pub struct KumaSide<'a> {
    server: &'a Arc<Mutex<KumaServer>>,
    ids: Vec<String>,
    started: bool,
    /// The instant the queued check event is for, if one is queued.
    scheduled: Option<Instant>,
    /// Bumped whenever the queued check is replaced: an older check event is stale.
    generation: u32,
}

impl<'a> KumaSide<'a> {
    pub fn new(server: &'a Arc<Mutex<KumaServer>>, ids: Vec<String>) -> Self {
        KumaSide { server, ids, started: false, scheduled: None, generation: 0 }
    }

    /// A poisoned lock means a service panicked earlier: a bug, not data.
    pub fn lock(&self) -> MutexGuard<'_, KumaServer> {
        self.server.lock().expect("kuma lock")
    }

    pub fn has_monitors(&self) -> bool {
        !self.ids.is_empty()
    }

    pub fn monitor_id(&self, m: usize) -> &str {
        &self.ids[m]
    }

    /// Kuma starts (the first time) or starts again after a stop.
    pub fn handle_up(&mut self, now: Instant) {
        if self.started {
            self.lock().handle_restart(now);
        } else {
            self.lock().handle_start(now);
            self.started = true;
        }
    }

    /// Whether a check event of `generation` is still the one queued; if so it is consumed.
    pub fn take_check(&mut self, generation: u32) -> bool {
        if generation != self.generation {
            return false;
        }
        self.scheduled = None;
        true
    }

    /// Re-arm the single check event at the earliest monitor timer: `event(generation)` is what
    /// the loop queues for it.
    pub fn rearm<E: Copy>(&mut self, now: Instant, queue: &mut EventQueue<E>, event: impl FnOnce(u32) -> E) {
        let next = self.lock().poll_timeout().map(|t| t.max(now));
        if next != self.scheduled {
            self.generation = self.generation.wrapping_add(1);
            self.scheduled = next;
            if let Some(t) = next {
                queue.push(t, Class::Timer, event(self.generation));
            }
        }
    }

    /// Have Kuma log what it does for the trace (and its silent checks, if asked): only when
    /// the trace is on, since nothing else reads it.
    pub fn set_tracing(&mut self, trace: &Trace<'_>) {
        self.lock().set_logging(trace.enabled(), trace.silent_checks());
    }

    /// Move what Kuma did, stored and notified into the log and the trace: the server's own
    /// entries first (an action comes before the beats it caused), then each monitor's.
    pub fn drain(&mut self, monitors: &mut [MonitorLog], trace: &mut Trace<'_>) {
        let mut server = self.lock();
        while let Some(entry) = server.poll_log() {
            self.trace_server(&server, entry, trace);
        }
        while let Some(KumaEvent { monitor: MonitorIndex(m), event }) = server.poll_event() {
            let id = self.ids[m].as_str();
            match event {
                MonitorEvent::Beat { at, status, msg, important, retries, source } => {
                    monitors[m].beats.push((at, status));
                    if trace.enabled() {
                        let line =
                            BeatLine { monitor: id, status: status_name(status), retries, important, msg: &msg, by: source_name(source) };
                        trace.record(at, "kuma", "beat", &line);
                    }
                }
                MonitorEvent::Notification { at, kind } => {
                    monitors[m].notifications.push((at, kind));
                    if trace.enabled() {
                        let status = if kind == NotificationKind::Up { "UP" } else { "DOWN" };
                        let line = NotificationLine { monitor: id, status, notification: notification_name(kind) };
                        trace.record(at, "kuma", "notification", &line);
                    }
                }
                MonitorEvent::SilentCheck { at, last_beat, next_check } => {
                    let line = SilentCheckLine {
                        monitor: id,
                        last_beat_ms: last_beat.as_ms(),
                        next_check_ms: next_check.as_ms(),
                        next_check: next_check.to_rfc3339(),
                    };
                    trace.record(at, "kuma", "check", &line);
                }
            }
        }
    }

    fn trace_server(&self, server: &KumaServer, entry: ServerEvent, trace: &mut Trace<'_>) {
        match entry {
            ServerEvent::Server { at, change } => {
                let version = (change == ServerChange::Start).then(|| version_name(server.version()));
                trace.record(at, "kuma", "server", &ServerLine { change: server_change_name(change), version });
            }
            ServerEvent::Monitor { at, monitor, change, active, settings, chain_start, next_check } => {
                let line = MonitorLine::new(&self.ids[monitor.0], change, active, &settings, chain_start, next_check);
                trace.record(at, "kuma", "monitor", &line);
            }
            ServerEvent::Maintenance { at, monitor, begins } => {
                let line = MaintenanceLine { monitor: &self.ids[monitor.0], change: if begins { "begin" } else { "end" } };
                trace.record(at, "kuma", "maintenance", &line);
            }
            ServerEvent::PushReceived { at, monitor, query, answer } => {
                let line = PushReceivedLine { monitor: monitor.map(|m| self.ids[m.0].as_str()), query: &query, answer };
                trace.record(at, "kuma", "push_received", &line);
            }
        }
    }
}

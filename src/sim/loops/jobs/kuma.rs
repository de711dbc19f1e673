//! Driving the Kuma model from the jobs loop: one check event in the queue at the earliest
//! monitor timer (re-armed after every input), and Kuma's beats and notifications drained into
//! the log and the trace after every input.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::sim::engine::queue::{Class, EventQueue};
use crate::sim::engine::trace::Trace;
use crate::sim::loops::jobs::lines::{BeatLine, notification_name, status_name};
use crate::sim::loops::jobs::log::MonitorLog;
use crate::time::Instant;
use crate::world::kuma::monitor::{MonitorEvent, NotificationKind};
use crate::world::kuma::server::{KumaEvent, KumaServer, MonitorIndex};

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

    /// Move what Kuma stored and notified into the log and the trace.
    pub fn drain(&mut self, monitors: &mut [MonitorLog], trace: &mut Trace<'_>) {
        while let Some(KumaEvent { monitor: MonitorIndex(m), event }) = self.lock().poll_event() {
            match event {
                MonitorEvent::Beat { at, status, .. } => {
                    monitors[m].beats.push((at, status));
                    if trace.enabled() {
                        let line = BeatLine { monitor: &self.ids[m], status: status_name(status), notification: None };
                        trace.record(at, "kuma", "beat", &line);
                    }
                }
                MonitorEvent::Notification { at, kind } => {
                    monitors[m].notifications.push((at, kind));
                    if trace.enabled() {
                        let status = if kind == NotificationKind::Up { "UP" } else { "DOWN" };
                        let line = BeatLine { monitor: &self.ids[m], status, notification: Some(notification_name(kind)) };
                        trace.record(at, "kuma", "notification", &line);
                    }
                }
            }
        }
    }
}

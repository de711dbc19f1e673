//! The push monitor's state machine ([`PushMonitor`]): its life cycle, the check chain with its
//! one timer (Kuma 2.x `server/model/monitor.js`, `beat()`), and what a push stores
//! (`server/routers/api-router.js`, `determineStatus`). What differs in Kuma 1.23 is asked of
//! [`KumaVersion`]; the query's parsing is in [`push`](super::push).

use std::collections::VecDeque;

use rand_chacha::ChaCha8Rng;

use super::beat::{BeatSource, MSG_MAINTENANCE, MSG_NO_HEARTBEAT, MonitorEvent, NotificationKind, Status, StoredBeat};
use super::importance::{is_important_beat, is_important_for_notification, send_notification};
use super::push::{MSG_NOT_FOUND, PushReply, PushedBeat, read_push_query};
use super::settings::{BUFFER_TIME_MS, MonitorSettings};
#[cfg(doc)]
use super::version::KumaVersion;
use super::version::{PushRoute, RetriesStore};
use crate::time::{Duration, Instant};

/// Node.js `setTimeout` replaces a delay above this (or below 1) with 1 ms.
pub const NODE_TIMEOUT_MAX_MS: i64 = 2_147_483_647;

/// One Uptime Kuma 2.x push monitor.
///
/// Life cycle: [`new`](Self::new) (inactive: pushes get 404) →
/// [`handle_start`](Self::handle_start) (active, first check one full interval later) → pushes,
/// timeouts, maintenance → [`handle_pause`](Self::handle_pause) /
/// [`handle_start`](Self::handle_start) / [`handle_edit`](Self::handle_edit) /
/// [`handle_server_stop`](Self::handle_server_stop) /
/// [`handle_server_restart`](Self::handle_server_restart).
///
/// Only [`handle_start`](Self::handle_start), [`handle_edit`](Self::handle_edit),
/// [`handle_pause`](Self::handle_pause), [`handle_server_stop`](Self::handle_server_stop),
/// [`handle_server_restart`](Self::handle_server_restart) and
/// [`handle_timeout`](Self::handle_timeout) change what [`poll_timeout`](Self::poll_timeout)
/// answers. Pushes and maintenance never move the timer.
///
/// Upside-down mode (`upsideDown`): a push's status is flipped before anything else
/// (`determineStatus`), so `status=up` is stored as DOWN (through the retries); the check
/// treats a recent DOWN row as healthy and re-arms; otherwise it stores **UP** (the flipped
/// failure status) with `retries = 0`, never PENDING (`monitor.js`, `catch`:
/// "If UP come in here, it must be upside down mode").
///
/// [`MonitorSettings::version`] selects Kuma 2.x (default) or 1.23.x; the differences are listed
/// in the module docs ("Kuma 1.23.x") and on the methods.
#[derive(Clone, Debug)]
pub struct PushMonitor {
    settings: MonitorSettings,
    /// `monitor.active = 1`: the push endpoint finds the token.
    active: bool,
    /// The Kuma process is running.
    server_up: bool,
    /// When the one pending `setTimeout` of the check chain fires (lateness included).
    next_check: Option<Instant>,
    /// `Monitor.isUnderMaintenance(id)` would answer true.
    /// Maintenance windows on now. Kuma's `Monitor.isUnderMaintenance` is true while *any*
    /// linked maintenance is active, so overlapping or back-to-back windows act as their union.
    maintenance_windows: u32,
    /// Latest `heartbeat` row (`ORDER BY time DESC` / `MAX(id)`: the same row here).
    last_beat: Option<StoredBeat>,
    /// [`KumaVersion::V1_23`] only: the `let retries = 0;` closure variable of `Monitor#start()`,
    /// reset by every [`handle_start`](Self::handle_start). Unused by [`KumaVersion::V2`].
    chain_retries: u32,
    events: VecDeque<MonitorEvent>,
    /// The monitor's own random stream: one draw per timer when the lateness is drawn.
    timers: ChaCha8Rng,
    /// Whether checks that store nothing are reported ([`MonitorEvent::SilentCheck`]).
    report_silent_checks: bool,
}

impl PushMonitor {
    /// A monitor that exists but is not active: pushes get 404 [`MSG_NOT_FOUND`], no timer
    /// (`poll_timeout` is `None`), no heartbeat yet, server running, no maintenance.
    pub fn new(settings: MonitorSettings) -> Self {
        Self::with_stream(settings, crate::rng::stream(0, "kuma.monitor"))
    }

    /// A monitor whose timer lateness is drawn from `timers`, its own random stream (a
    /// constant lateness never draws).
    pub fn with_stream(settings: MonitorSettings, timers: ChaCha8Rng) -> Self {
        PushMonitor {
            timers,
            settings,
            active: false,
            server_up: true,
            next_check: None,
            maintenance_windows: 0,
            last_beat: None,
            chain_retries: 0,
            events: VecDeque::new(),
            report_silent_checks: false,
        }
    }

    /// Report every check that stores nothing as a [`MonitorEvent::SilentCheck`] (off by
    /// default: the model's figures never need them, a trace checker may).
    ///
    /// Does not change `poll_timeout`.
    pub fn set_report_silent_checks(&mut self, on: bool) {
        self.report_silent_checks = on;
    }

    /// The current settings.
    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// Status of the latest heartbeat row, `None` before the first one.
    pub fn status(&self) -> Option<Status> {
        self.last_beat.map(|b| b.status)
    }

    /// Whether the monitor is active (its token is found by the push endpoint).
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Whether a maintenance window is on.
    pub fn in_maintenance(&self) -> bool {
        self.maintenance_windows > 0
    }

    /// Whether the Kuma server is running.
    pub fn server_up(&self) -> bool {
        self.server_up
    }

    /// Makes the monitor active and (re)starts its check chain at `now`: creation, resume, or
    /// Kuma's `restartMonitor` (server start of an active monitor). Also marks the server as
    /// running. Any pending check is dropped; the first check fires one full interval later:
    /// `poll_timeout() = now + I·1000 + lateness` (`monitor.js`, `start()`: "Delay Push Type",
    /// `setTimeout(safeBeat, this.interval * 1000)`). Stores nothing, emits nothing.
    ///
    /// [`KumaVersion::V1_23`]: also resets the in-memory retries counter to 0 (`start()`:
    /// `let retries = 0;`), so a restart, resume or edit forgets the PENDING count.
    ///
    /// Changes `poll_timeout`.
    pub fn handle_start(&mut self, now: Instant) {
        self.active = true;
        self.server_up = true;
        // 1.23 monitor.js, start(): `let retries = 0;` (a new closure per start()).
        self.chain_retries = 0;
        let delay = i64::from(self.settings.interval_s) * 1_000;
        self.arm(now, delay);
    }

    /// Replaces the settings (the user saved the monitor). If the monitor is active and the
    /// server runs, the chain restarts as in [`handle_start`](Self::handle_start) (`server.js`, `editMonitor`:
    /// `if (await Monitor.isActive(...)) await restartMonitor(...)`); a paused monitor stays
    /// paused. The heartbeat rows are kept.
    ///
    /// Changes `poll_timeout` when the monitor is active and the server runs.
    pub fn handle_edit(&mut self, now: Instant, settings: MonitorSettings) {
        self.settings = settings;
        if self.active && self.server_up {
            self.handle_start(now);
        }
    }

    /// Pauses the monitor (`active = 0`, `monitor.stop()`): the pending check is cancelled
    /// (`poll_timeout()` becomes `None`) and pushes get 404 [`MSG_NOT_FOUND`]. Stores nothing.
    ///
    /// Changes `poll_timeout`.
    pub fn handle_pause(&mut self, _now: Instant) {
        self.active = false;
        self.next_check = None;
    }

    /// The Kuma process stops (crash, upgrade, host reboot): the check chain is gone
    /// (`poll_timeout()` becomes `None`) and pushes answer [`PushReply::Unreachable`] until
    /// [`handle_server_restart`](Self::handle_server_restart) or [`handle_start`](Self::handle_start). The `active` flag and
    /// the heartbeat rows persist (they are in the database).
    ///
    /// Changes `poll_timeout`.
    pub fn handle_server_stop(&mut self, _now: Instant) {
        self.server_up = false;
        self.next_check = None;
    }

    /// The Kuma process (re)starts at `now`: if the monitor is active its chain restarts as in
    /// [`handle_start`](Self::handle_start) (first check a full interval later), otherwise it stays paused
    /// with no timer. Calling it while the server runs is an instant restart.
    ///
    /// Changes `poll_timeout`.
    pub fn handle_server_restart(&mut self, now: Instant) {
        self.server_up = true;
        if self.active {
            self.handle_start(now);
        } else {
            self.next_check = None;
        }
    }

    /// A maintenance window covering this monitor begins. Nothing is stored now: the next
    /// check stores a MAINTENANCE beat ([`MSG_MAINTENANCE`]) instead of checking pushes, and
    /// pushes are stored as MAINTENANCE whatever their `status` (`Monitor.isUnderMaintenance`,
    /// read by `beat()` and by the push route).
    ///
    /// Does not change `poll_timeout`.
    pub fn handle_maintenance_begin(&mut self, _now: Instant) {
        self.maintenance_windows += 1;
    }

    /// A maintenance window ends. When it was the last one on, nothing is stored now; the next
    /// check reads the latest row again, and since a MAINTENANCE row is not UP it fails at once
    /// unless an UP push arrived after this call (SPEC 3.3).
    ///
    /// Does not change `poll_timeout`.
    pub fn handle_maintenance_end(&mut self, _now: Instant) {
        self.maintenance_windows = self.maintenance_windows.saturating_sub(1);
    }

    /// When the pending check fires, lateness included; `None` when no chain runs (never
    /// started, paused, server stopped). Changed only by the verbs whose contract line says so.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_check
    }

    /// Runs the check if one is due (`poll_timeout() <= now`), as Kuma's `beat()` for a push
    /// monitor, reading the clock as `now`; otherwise does nothing.
    ///
    /// The check re-reads the latest row. If it is healthy (UP, or DOWN in upside-down mode)
    /// and `now − row.time <= I·1000 + 1000`, it stores nothing and re-arms after
    /// `I·1000 − msSince + 1000`, or after 1000 ms when that is below 1000 (the source's
    /// `if (timeout < 0) timeout = bufferTime; else timeout += bufferTime`). Otherwise (no
    /// row, a stale row, or a PENDING/DOWN/MAINTENANCE row however recent) it fails:
    /// PENDING with `retries + 1` while `N > 0 && retries < N`, else DOWN with `retries + 1`
    /// (upside-down: UP with `retries = 0`); the row is stored, notified as described on
    /// [`MonitorEvent`], and the next check fires `R·1000` (PENDING, R > 0) or `I·1000` later.
    /// During maintenance it stores a MAINTENANCE beat and re-arms after `I·1000`.
    ///
    /// [`KumaVersion::V1_23`]: same timing and statuses, but `retries` is the in-memory counter
    /// (0 after a healthy check, a maintenance beat or a `start()`), not the row's, and a DOWN
    /// failure leaves it at N instead of adding 1.
    ///
    /// Changes `poll_timeout` when a check ran.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.next_check {
            Some(due) if due <= now => {
                self.next_check = None;
                self.check(now);
            }
            _ => {}
        }
    }

    /// Next recorded event (beats and notifications, in order), or `None`.
    ///
    /// Does not change `poll_timeout`.
    pub fn poll_event(&mut self) -> Option<MonitorEvent> {
        self.events.pop_front()
    }

    /// `GET|POST|… /api/push/<token>?status=…&msg=…&ping=…` reaching this monitor's token at
    /// `now` (the row is stamped with the server's clock, `now`). `None` means the query
    /// parameter is absent.
    ///
    /// In the source's order (`api-router.js`): a numeric `ping` outside `[0, 1e11]` →
    /// 404 [`MSG_INVALID_PING`](super::MSG_INVALID_PING) (checked before the token; a non-numeric or zero `ping` is just
    /// stored as null); monitor not active → 404 [`MSG_NOT_FOUND`]. Otherwise `status` (empty
    /// or absent = "up") is UP iff it is exactly `"up"`, else DOWN; `msg` empty or absent =
    /// "OK". Under maintenance the row is MAINTENANCE; else `determineStatus` applies (flip
    /// when upside down, then the retries: see [`PushMonitor`]). The row
    /// is stored, notifications follow `isImportantForNotification` and the `downCount`
    /// reminder, and 200 is returned. Server stopped → [`PushReply::Unreachable`].
    ///
    /// [`KumaVersion::V1_23`] (`router.get("/api/push/:pushToken")`, [`PushRoute::StoreAsIs`]):
    /// no `ping` check (never [`MSG_INVALID_PING`](super::MSG_INVALID_PING)); the status (flipped
    /// when upside down, MAINTENANCE with msg [`MSG_MAINTENANCE`] under maintenance) is stored as
    /// is, so `status=down` is DOWN at once
    /// whatever N; notification iff `isImportantForNotification`; `downCount` 0; the in-memory
    /// retries counter is untouched.
    ///
    /// Does not change `poll_timeout` ("pushes never move the timer").
    pub fn handle_push(&mut self, now: Instant, status: Option<&str>, msg: Option<&str>, ping: Option<&str>) -> PushReply {
        if !self.server_up {
            return PushReply::Unreachable;
        }
        // The query first: an invalid `ping` (2.x) is answered before the token lookup.
        let pushed = match read_push_query(self.settings.version, status, msg, ping) {
            Ok(pushed) => pushed,
            Err(reply) => return reply,
        };
        // api-router.js: R.findOne("monitor", " push_token = ? AND active = 1 ").
        if !self.active {
            return PushReply::NotFound { msg: MSG_NOT_FOUND };
        }
        match self.settings.version.push_route() {
            PushRoute::DetermineStatus => self.push_determine_status(now, pushed),
            PushRoute::StoreAsIs => self.push_store_as_is(now, pushed),
        }
        PushReply::Ok
    }

    /// Kuma 2.x `api-router.js`, `router.all("/api/push/:pushToken")`, after the token lookup:
    /// `determineStatus`, then the notification and `downCount` rules of the push route.
    fn push_determine_status(&mut self, now: Instant, pushed: PushedBeat<'_>) {
        let PushedBeat { status: status_from_param, msg } = pushed;
        let previous = self.last_beat;
        let is_first_beat = previous.is_none();
        // api-router.js: `bean.downCount = previousHeartbeat?.downCount || 0`.
        let mut down_count = previous.map_or(0, |p| p.down_count);

        let (status, retries) = if self.in_maintenance() {
            // `bean.retries` is not set: the column's default, 0.
            (Status::Maintenance, 0)
        } else {
            determine_status(status_from_param, previous, &self.settings)
        };

        let previous_status = previous.map(|p| p.status);
        let important = is_important_beat(is_first_beat, previous_status, status);
        let mut notification = None;
        // api-router.js: the push route resets `downCount` only when the beat is important
        // *for notification* (monitor.js resets it on any important beat).
        if is_important_for_notification(is_first_beat, previous_status, status) {
            down_count = 0;
            notification = send_notification(is_first_beat, status, false);
        } else if status == Status::Down && self.settings.resend_interval > 0 {
            down_count += 1;
            if down_count >= self.settings.resend_interval {
                notification = send_notification(is_first_beat, status, true);
                down_count = 0;
            }
        }

        self.store(StoredBeat { time: now, status, retries, down_count }, retries, msg, important, BeatSource::Push, notification);
    }

    /// Kuma 1.23 `api-router.js`, `router.get("/api/push/:pushToken")`, after the token lookup:
    /// the status from the query, stored without any retry logic.
    fn push_store_as_is(&mut self, now: Instant, pushed: PushedBeat<'_>) {
        let PushedBeat { status: status_from_param, msg } = pushed;
        let previous = self.last_beat;
        // `let isFirstBeat = true; let previousStatus = status;` then overwritten from the
        // previous heartbeat when there is one (isFirstBeat makes previousStatus irrelevant).
        let is_first_beat = previous.is_none();
        // `if (monitor.isUpsideDown()) status = flipStatus(status);`
        let mut status = if self.settings.upside_down { status_from_param.flipped() } else { status_from_param };
        let mut msg = msg;
        // `if (await Monitor.isUnderMaintenance(monitor.id)) { msg = "Monitor under maintenance";
        // status = MAINTENANCE; }`: here `bean.msg = msg` comes after, so the message is stored.
        if self.in_maintenance() {
            msg = MSG_MAINTENANCE;
            status = Status::Maintenance;
        }
        let previous_status = previous.map(|p| p.status);
        // `bean.important = Monitor.isImportantBeat(isFirstBeat, previousStatus, status);`
        let important = is_important_beat(is_first_beat, previous_status, status);
        // After `R.store(bean)` and the 200: `if (Monitor.isImportantForNotification(...))
        // await Monitor.sendNotification(isFirstBeat, monitor, bean);` (no downCount reminder).
        let notification = if is_important_for_notification(is_first_beat, previous_status, status) {
            send_notification(is_first_beat, status, false)
        } else {
            None
        };
        // Neither `bean.retries` (no column in 1.23) nor `bean.downCount` is set: down_count gets
        // its column default 0. The check chain's in-memory `retries` is not touched.
        let beat = StoredBeat { time: now, status, retries: 0, down_count: 0 };
        self.store(beat, self.chain_retries, msg, important, BeatSource::Push, notification);
    }

    /// Arms the chain's single timer: `now + node_delay(delay_ms) + lateness`.
    fn arm(&mut self, now: Instant, delay_ms: i64) {
        let lateness = self.settings.timer_lateness.draw(&mut self.timers);
        self.next_check = Some(now + Duration::from_ms(node_delay(delay_ms) + lateness));
    }

    /// `monitor.js`, `beat()`, for `this.type === "push"`, at `now` (2.x, or 1.23 where noted).
    fn check(&mut self, now: Instant) {
        let s = self.settings.clone();
        let retries_store = s.version.retries_store();
        // beat(): `let beatInterval = this.interval; if (!beatInterval) beatInterval = 1;`
        let beat_interval_s = i64::from(s.interval_s.max(1));

        // beat(): for push, previousBeat is re-read every time (1.23 and 2.x:
        // `if (!previousBeat || this.type === "push") previousBeat = await R.findOne(...)`).
        let previous = self.last_beat;
        let is_first_beat = previous.is_none();
        let mut retries = match retries_store {
            // 1.23: the closure variable `retries` of start(), whatever the row says.
            RetriesStore::Chain => self.chain_retries,
            // 2.x: `retries = previousBeat.retries` (2.x stores retries in the row; recent 2.x
            // also forces 0 when that row is UP).
            RetriesStore::Row => match previous {
                Some(p) if p.status == Status::Up => 0,
                Some(p) => p.retries,
                None => 0,
            },
        };
        // beat(): `bean.status = DOWN; bean.downCount = previousBeat?.downCount || 0;`
        // then `if (this.isUpsideDown()) bean.status = flipStatus(bean.status);`
        let mut status = if s.upside_down { Status::Up } else { Status::Down };
        let mut down_count = previous.map_or(0, |p| p.down_count);

        let msg = if self.in_maintenance() {
            // beat(): `if (await Monitor.isUnderMaintenance(this.id))` comes before the type
            // branches; flipStatus leaves MAINTENANCE alone; then `retries = 0`.
            status = Status::Maintenance;
            retries = 0;
            MSG_MAINTENANCE
        } else {
            if let Some(p) = previous {
                // beat(), push branch.
                let ms_since_last_beat = (now - p.time).as_ms();
                let healthy = if s.upside_down { Status::Down } else { Status::Up };
                if p.status == healthy && ms_since_last_beat <= beat_interval_s * 1_000 + BUFFER_TIME_MS {
                    let mut timeout = beat_interval_s * 1_000 - ms_since_last_beat;
                    if timeout < 0 {
                        timeout = BUFFER_TIME_MS;
                    } else {
                        timeout += BUFFER_TIME_MS;
                    }
                    // "No need to insert successful heartbeat for push type, so end here", after
                    // `retries = 0;` (only the 1.23 closure variable matters: 2.x re-reads the row).
                    if retries_store == RetriesStore::Chain {
                        self.chain_retries = 0;
                    }
                    self.arm(now, timeout);
                    if let (true, Some(next_check)) = (self.report_silent_checks, self.next_check) {
                        self.events.push_back(MonitorEvent::SilentCheck { at: now, last_beat: p.time, next_check });
                    }
                    return;
                }
            }
            // throw new Error("No heartbeat in the time window") → catch block.
            if s.upside_down && status == Status::Up {
                // "If UP come in here, it must be upside down mode. Just reset the retries".
                retries = 0;
            } else if s.max_retries > 0 && retries < s.max_retries {
                retries += 1;
                status = Status::Pending;
            } else if s.version.counts_retries_while_down() {
                // 2.x: "Continue counting retries during DOWN". 1.23 has no `else`: the
                // counter stays at N while DOWN.
                retries = retries.saturating_add(1);
            }
            MSG_NO_HEARTBEAT
        };
        if retries_store == RetriesStore::Chain {
            // 1.23: `retries` stays in the closure for the next beat (reset by start()).
            self.chain_retries = retries;
        }

        let previous_status = previous.map(|p| p.status);
        let important = is_important_beat(is_first_beat, previous_status, status);
        let mut notification = None;
        if important {
            if is_important_for_notification(is_first_beat, previous_status, status) {
                notification = send_notification(is_first_beat, status, false);
            }
            // beat(): "Reset down count" on every important beat.
            down_count = 0;
        } else if status == Status::Down && s.resend_interval > 0 {
            down_count += 1;
            if down_count >= s.resend_interval {
                // "Send notification again, because we are still DOWN".
                notification = send_notification(is_first_beat, status, true);
                down_count = 0;
            }
        }

        // 1.23 has no `heartbeat.retries` column: its rows carry 0 (what a 2.x upgrade would read).
        let row_retries = match retries_store {
            RetriesStore::Row => retries,
            RetriesStore::Chain => 0,
        };
        self.store(
            StoredBeat { time: now, status, retries: row_retries, down_count },
            retries,
            msg,
            important,
            BeatSource::Check,
            notification,
        );

        // beat(): `if (bean.status === PENDING && this.retryInterval > 0) beatInterval = this.retryInterval`,
        // then `setTimeout(safeBeat, Math.max(1, beatInterval * 1000 - elapsed))`, elapsed = 0 here
        // (1.23: `setTimeout(safeBeat, beatInterval * 1000)`, no elapsed; the same with elapsed 0).
        let mut next_s = beat_interval_s;
        if status == Status::Pending && s.retry_interval_s > 0 {
            next_s = i64::from(s.retry_interval_s);
        }
        self.arm(now, (next_s * 1_000).max(1));
    }

    /// Stores the row (it becomes the latest) and emits the beat (with `event_retries`, see
    /// [`MonitorEvent::Beat`]), then its notification.
    fn store(
        &mut self,
        beat: StoredBeat,
        event_retries: u32,
        msg: &str,
        important: bool,
        source: BeatSource,
        notification: Option<NotificationKind>,
    ) {
        self.last_beat = Some(beat);
        self.events.push_back(MonitorEvent::Beat {
            at: beat.time,
            status: beat.status,
            msg: msg.to_string(),
            important,
            retries: event_retries,
            source,
        });
        if let Some(kind) = notification {
            self.events.push_back(MonitorEvent::Notification { at: beat.time, kind });
        }
    }
}

/// Node.js `setTimeout` delay: below 1 or above 2³¹−1 ms becomes 1 ms (Node docs, `setTimeout`).
fn node_delay(ms: i64) -> i64 {
    if !(1..=NODE_TIMEOUT_MAX_MS).contains(&ms) { 1 } else { ms }
}

/// `api-router.js`, `function determineStatus(status, previousHeartbeat, maxretries, isUpsideDown, bean)`:
/// returns `(bean.status, bean.retries)`.
fn determine_status(param: Status, previous: Option<StoredBeat>, s: &MonitorSettings) -> (Status, u32) {
    let status = if s.upside_down { param.flipped() } else { param };
    let n = s.max_retries;
    match previous {
        Some(p) => {
            if p.status == Status::Up && status == Status::Down {
                // "Going Down"
                if n > 0 && p.retries < n {
                    (Status::Pending, p.retries + 1)
                } else {
                    // "No more retries": note retries = 0 here, not previous + 1.
                    (Status::Down, 0)
                }
            } else if p.status == Status::Pending && status == Status::Down && p.retries < n {
                (Status::Pending, p.retries + 1)
            } else if status == Status::Down {
                // "No more retries or not pending": also a down push after MAINTENANCE or DOWN.
                (Status::Down, p.retries.saturating_add(1))
            } else {
                (status, 0)
            }
        }
        None => {
            // "First beat?"
            if status == Status::Down && n > 0 { (Status::Pending, 1) } else { (status, 0) }
        }
    }
}

//! Sans-IO model of an **Uptime Kuma 2.x push monitor** (SPEC 3.2, 3.3), driven in virtual time;
//! [`KumaVersion::V1_23`] opts into Kuma 1.23.x's behaviour (see "Kuma 1.23.x" below).
//!
//! The model owns no clock and never sleeps: the harness tells it what happens and when
//! ([`PushMonitor::handle_push`], [`PushMonitor::handle_timeout`], [`PushMonitor::start`], ...),
//! asks when it next needs to run ([`PushMonitor::poll_timeout`]) and drains what it recorded
//! ([`PushMonitor::poll_event`]). All instants are integer milliseconds.
//!
//! # What is modelled, and from where
//!
//! Kuma keeps no push-monitor state in memory that matters: every decision re-reads the latest
//! row of the `heartbeat` table (its `time`, `status`, `retries`, `downCount`). The model keeps
//! exactly that row ([`PushMonitor::status`] shows its status), plus the one timer of the check
//! chain, the `active` flag of the `monitor` row and whether a maintenance window is on.
//!
//! Sources (Uptime Kuma 2.x, `louislam/uptime-kuma`):
//! - `server/model/monitor.js`, `Monitor#start()`: the `beat()` closure (push branch,
//!   retry logic, `isImportantBeat`, notification and `downCount`), the timer that re-arms
//!   `beat()` (`intervalRemainingMs`), and the "Delay Push Type" first timer.
//! - `server/model/monitor.js`: `static isImportantBeat`, `static isImportantForNotification`,
//!   `static sendNotification`.
//! - `server/routers/api-router.js`: `router.all("/api/push/:pushToken")` and
//!   `function determineStatus`.
//! - `src/util.ts`: `flipStatus` (UP <-> DOWN, every other status unchanged).
//! - `server/server.js`, `editMonitor`: `if (await Monitor.isActive(...)) restartMonitor(...)`.
//! - Node.js `setTimeout`: never fires early; a delay below 1 or above 2 147 483 647 ms is
//!   replaced by 1 ms. Lateness is our model choice (`timer_lateness_ms`, SPEC 3.3).
//!
//! # Not modelled
//!
//! - The time a check takes (DB queries): a check stores its row at the instant it fires and
//!   its next timer counts from there (`Math.max(1, beatInterval * 1000 - elapsed)`, elapsed 0).
//! - The 300–1000 ms random stagger between monitors at server start (`server.js`,
//!   `startMonitors`): the harness picks the instant it calls [`PushMonitor::restart_server`].
//! - The "ghost" first timer: `start()` does not keep the handle of its delayed first
//!   `setTimeout`, so `stop()` within the first interval cannot cancel it, and the push
//!   branch re-arms without checking `isStop`. Pause/edit during the first interval can leave
//!   a second chain running in Kuma until its first failure; the model has one chain only.
//! - For [`KumaVersion::V1_23`]: the check's duration (1.23 re-arms `beatInterval * 1000` after
//!   the stored beat without subtracting it, so in Kuma the DOWN chain also drifts by the DB time
//!   of each check; here only `timer_lateness_ms` accumulates), and the HTTP method (1.23 routes
//!   only `GET`, 2.x `router.all`).
//!
//! # Kuma 1.23.x ([`KumaVersion::V1_23`], opt-in; 2.x stays the default)
//!
//! Read in `louislam/uptime-kuma` `server/model/monitor.js` and `server/routers/api-router.js`
//! of the 1.x line. The stored index holds no file tagged 1.23.x, so the code was read in the
//! versions that bracket 1.23.0: a ~1.21 `monitor.js` (with `UptimeCacheList`) and a 2.0-dev one
//! (with `UptimeCalculator`, before `heartbeat.retries` existed) have the same push branch, retry
//! logic, notification tables and "Delay Push Type" start, and a 1.21–1.23 `api-router.js` the
//! same push route. Later 1.23.x backports were not checked. (A check of the form
//! `if (time - previousBeat.time > this.interval)` re-armed a full interval after every check was
//! not found in any 1.x version read; pre-#1428 versions (~1.18) counted heartbeats newer than
//! `now - interval` and re-armed `beatInterval * 1000` after each check.) What differs from 2.x:
//!
//! - **Retries live in memory.** `Monitor#start()`: `let retries = 0;` is a closure variable of
//!   `start()`, never read from or written to the `heartbeat` table (1.23 has no `retries`
//!   column). So every `start()` — server start, resume, edit (`restartMonitor`) — resets it to
//!   0 ("retries lost on restart"; issue #3208: retries in the push route "would persist across
//!   restart, which would be different to other monitors"). It is reset to 0 by a check that
//!   finds a recent healthy push (`retries = 0;` before the re-arm) and by a maintenance check
//!   (`retries = 0;` after the `try`). On failure (`catch`): upside-down with status UP →
//!   `retries = 0`; else `if ((this.maxretries > 0) && (retries < this.maxretries)) { retries++;
//!   bean.status = PENDING; }`; there is **no** `else` branch, so while DOWN it stays at N
//!   (2.x keeps counting).
//! - **A `status=down` push is DOWN at once** (`api-router.js`, `router.get("/api/push/:pushToken")`):
//!   `status = (statusString === "up") ? UP : DOWN`, flipped when upside down, MAINTENANCE under
//!   maintenance, then stored as is: no `determineStatus`, no retries, no PENDING (issue #3208,
//!   "this will ignore the Retry option and immediately mark the monitor as Down"). It notifies
//!   when `isImportantForNotification` (UP→DOWN does). The check chain does not know about it:
//!   its next failure reads a DOWN row, and with N > 0 the in-memory counter (0) gives DOWN→PENDING
//!   (not important), PENDING…, then PENDING→DOWN, a second "Down" notification: the duplicate
//!   DOWN that the maintainer called "by our design" (issue #3787, Kuma 1.23.1).
//! - The push route sets neither `retries` nor `downCount`: the row gets `down_count` 0, the
//!   column default (`db/patch-monitor-add-resend-interval.sql`: `ADD down_count INTEGER default
//!   0 not null`), so a push restarts the `resendInterval` count and never sends a reminder
//!   itself. Under maintenance the stored `msg` is "Monitor under maintenance" (`msg = ...` comes
//!   before `bean.msg = msg` in 1.23). `ping` is `parseInt`/`parseFloat(...) || null` with no
//!   range check: no [`MSG_INVALID_PING`] 404.
//! - **Same as 2.x** (the model shares the code): first check one full interval after `start()`
//!   ("Delay Push Type"); the check re-reads the latest row and fails unless it is healthy and
//!   `msSinceLastBeat <= beatInterval * 1000 + bufferTime` (milliseconds, strict `>` fails,
//!   `bufferTime = 1000`, PR #1428 "Synchronize push monitor heartbeats to api calls"); a
//!   healthy check re-arms relative to the last push (`beatInterval * 1000 - msSinceLastBeat`,
//!   plus 1000, or 1000 when negative), a failing one a full `beatInterval` (R when PENDING and
//!   R > 0) after itself, not relative to the last push: that is the drift while PENDING/DOWN.
//!   Pushes never move the timer. `isImportantBeat`, `isImportantForNotification`,
//!   `sendNotification` and the check's `downCount` logic are the same tables as 2.x.
//!
//! # Ordering
//!
//! Events come out of [`PushMonitor::poll_event`] in the order they were produced; for one
//! heartbeat, the `Beat` comes first and its `Notification` (if any) right after, at the same
//! instant. Nothing here iterates a hash map.

use std::collections::VecDeque;

use crate::time::{Duration, Instant};

/// Kuma's hard-coded grace added to the interval by the push check
/// (`monitor.js`, `beat()`: `const bufferTime = 1000; // 1s buffer to accommodate clock differences`).
pub const BUFFER_TIME_MS: i64 = 1_000;

/// Largest `ping` the push endpoint accepts (`api-router.js`: `const MAX_PING_MS = 100000000000;`).
pub const MAX_PING_MS: i64 = 100_000_000_000;

/// Node.js `setTimeout` replaces a delay above this (or below 1) with 1 ms.
pub const NODE_TIMEOUT_MAX_MS: i64 = 2_147_483_647;

/// 404 message for an unknown or paused token (`api-router.js`).
pub const MSG_NOT_FOUND: &str = "Monitor not found or not active.";
/// 404 message for a numeric `ping` outside `[0, MAX_PING_MS]` (`api-router.js`).
pub const MSG_INVALID_PING: &str = "Invalid ping value. Must be between 0 and 100000000000 ms.";
/// Message of a failed push check (`monitor.js`, `beat()`, push branch).
pub const MSG_NO_HEARTBEAT: &str = "No heartbeat in the time window";
/// Message of a check during maintenance (`monitor.js`, `beat()`).
pub const MSG_MAINTENANCE: &str = "Monitor under maintenance";
/// Default push message (`api-router.js`: `request.query.msg || "OK"`).
pub const MSG_DEFAULT_PUSH: &str = "OK";

/// The monitor's settings, as Kuma stores them on the `monitor` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorSettings {
    /// `interval` I, seconds. `0` is read as 1 s by `beat()` (`if (!beatInterval) beatInterval = 1`).
    pub interval_s: u32,
    /// `retryInterval` R, seconds, used after a PENDING beat; `0` means "use I"
    /// (`monitor.js`: `if (this.retryInterval > 0) beatInterval = this.retryInterval`).
    pub retry_interval_s: u32,
    /// `maxretries` N: failures shown as PENDING before DOWN.
    pub max_retries: u32,
    /// `resendInterval` K: a reminder every K non-important DOWN beats; `0` = never.
    pub resend_interval: u32,
    /// `upsideDown`: statuses UP and DOWN are swapped (see [`PushMonitor`]).
    pub upside_down: bool,
    /// Added to every timer of the check chain *(model choice, SPEC 3.3; default 1 ms)*.
    /// Negative values are treated as 0 (Node timers never fire early).
    pub timer_lateness_ms: i64,
    /// Which Kuma release is modelled; [`KumaVersion::V2`] by default.
    pub version: KumaVersion,
}

/// The Kuma release whose push-monitor behaviour is modelled (SPEC: "Kuma 1.23 differs (down
/// pushes skip retries, in-memory retries, drift): a `kuma_version` switch may model it, 2.x is
/// the default").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KumaVersion {
    /// Uptime Kuma 2.x: retries stored in the `heartbeat` row, `status=down` pushes go through
    /// the retries (`determineStatus`).
    #[default]
    V2,
    /// Uptime Kuma 1.23.x: retries held in memory by the check chain (lost on every `start()`),
    /// `status=down` pushes stored as DOWN at once (see the module docs, "Kuma 1.23.x").
    V1_23,
}

impl MonitorSettings {
    /// Settings with interval `interval_s` and the model defaults: R = I, N = 0, K = 0,
    /// not upside down, 1 ms timer lateness, Kuma 2.x ([`KumaVersion::V2`]).
    pub fn new(interval_s: u32) -> Self {
        MonitorSettings {
            interval_s,
            retry_interval_s: interval_s,
            max_retries: 0,
            resend_interval: 0,
            upside_down: false,
            timer_lateness_ms: 1,
            version: KumaVersion::V2,
        }
    }
}

/// A heartbeat status (Kuma codes: DOWN 0, UP 1, PENDING 2, MAINTENANCE 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Down,
    Up,
    Pending,
    Maintenance,
}

impl Status {
    /// Kuma's numeric code (`src/util.ts`: DOWN = 0, UP = 1, PENDING = 2, MAINTENANCE = 3).
    pub fn code(self) -> u8 {
        match self {
            Status::Down => 0,
            Status::Up => 1,
            Status::Pending => 2,
            Status::Maintenance => 3,
        }
    }

    /// `flipStatus` (`src/util.ts`): UP <-> DOWN, any other status unchanged.
    fn flipped(self) -> Status {
        match self {
            Status::Up => Status::Down,
            Status::Down => Status::Up,
            other => other,
        }
    }
}

/// What a notification says (`sendNotification`: "✅ Up" when the beat is UP, "🔴 Down" otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NotificationKind {
    /// A status change to DOWN (UP→DOWN, PENDING→DOWN, MAINTENANCE→DOWN, or a first beat DOWN).
    Down,
    /// DOWN→UP.
    Up,
    /// The `resendInterval` reminder while DOWN (same "🔴 Down" text in Kuma).
    DownReminder,
}

/// Who wrote a heartbeat row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BeatSource {
    /// The push endpoint (`api-router.js`).
    Push,
    /// The monitor's check chain (`monitor.js`, `beat()`).
    Check,
}

/// Something the monitor recorded, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonitorEvent {
    /// A heartbeat row was stored.
    Beat {
        at: Instant,
        status: Status,
        /// The row's `msg`: the pushed `msg` (default "OK"), [`MSG_NO_HEARTBEAT`] or
        /// [`MSG_MAINTENANCE`].
        msg: String,
        /// The row's `important` flag (`isImportantBeat`).
        important: bool,
        /// The row's `retries` ([`KumaVersion::V2`]). With [`KumaVersion::V1_23`], which has no
        /// such column, the check chain's in-memory `retries` counter just after this beat (what
        /// 1.23 logs as `Retry:`; a push leaves it unchanged).
        retries: u32,
        source: BeatSource,
    },
    /// Notifications were sent (to every provider of the monitor) for the beat just before.
    Notification { at: Instant, kind: NotificationKind },
}

/// The push endpoint's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushReply {
    /// 200 `{"ok":true}`.
    Ok,
    /// 404 `{"ok":false,"msg":msg}`.
    NotFound { msg: &'static str },
    /// The Kuma server is not running (see [`PushMonitor::stop_server`]): the HTTP request
    /// fails before reaching Kuma (connection refused). Not in Kuma's source; a model state.
    Unreachable,
}

/// The latest `heartbeat` row: all the state Kuma's decisions read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoredBeat {
    time: Instant,
    status: Status,
    /// 0 for rows written by [`KumaVersion::V1_23`] (no such column in 1.23).
    retries: u32,
    down_count: u32,
}

/// One Uptime Kuma 2.x push monitor.
///
/// Life cycle: [`new`](Self::new) (inactive: pushes get 404) → [`start`](Self::start) (active,
/// first check one full interval later) → pushes, timeouts, maintenance → [`pause`](Self::pause)
/// / [`start`](Self::start) / [`edit`](Self::edit) / [`stop_server`](Self::stop_server) /
/// [`restart_server`](Self::restart_server).
///
/// Only [`start`](Self::start), [`edit`](Self::edit), [`pause`](Self::pause),
/// [`stop_server`](Self::stop_server), [`restart_server`](Self::restart_server) and
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
    /// reset by every [`start`](Self::start). Unused by [`KumaVersion::V2`].
    chain_retries: u32,
    events: VecDeque<MonitorEvent>,
}

impl PushMonitor {
    /// A monitor that exists but is not active: pushes get 404 [`MSG_NOT_FOUND`], no timer
    /// (`poll_timeout` is `None`), no heartbeat yet, server running, no maintenance.
    pub fn new(settings: MonitorSettings) -> Self {
        PushMonitor {
            settings,
            active: false,
            server_up: true,
            next_check: None,
            maintenance_windows: 0,
            last_beat: None,
            chain_retries: 0,
            events: VecDeque::new(),
        }
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
    pub fn start(&mut self, now: Instant) {
        self.active = true;
        self.server_up = true;
        // 1.23 monitor.js, start(): `let retries = 0;` (a new closure per start()).
        self.chain_retries = 0;
        let delay = i64::from(self.settings.interval_s) * 1_000;
        self.arm(now, delay);
    }

    /// Replaces the settings (the user saved the monitor). If the monitor is active and the
    /// server runs, the chain restarts as in [`start`](Self::start) (`server.js`, `editMonitor`:
    /// `if (await Monitor.isActive(...)) await restartMonitor(...)`); a paused monitor stays
    /// paused. The heartbeat rows are kept.
    ///
    /// Changes `poll_timeout` when the monitor is active and the server runs.
    pub fn edit(&mut self, now: Instant, settings: MonitorSettings) {
        self.settings = settings;
        if self.active && self.server_up {
            self.start(now);
        }
    }

    /// Pauses the monitor (`active = 0`, `monitor.stop()`): the pending check is cancelled
    /// (`poll_timeout()` becomes `None`) and pushes get 404 [`MSG_NOT_FOUND`]. Stores nothing.
    ///
    /// Changes `poll_timeout`.
    pub fn pause(&mut self, _now: Instant) {
        self.active = false;
        self.next_check = None;
    }

    /// The Kuma process stops (crash, upgrade, host reboot): the check chain is gone
    /// (`poll_timeout()` becomes `None`) and pushes answer [`PushReply::Unreachable`] until
    /// [`restart_server`](Self::restart_server) or [`start`](Self::start). The `active` flag and
    /// the heartbeat rows persist (they are in the database).
    ///
    /// Changes `poll_timeout`.
    pub fn stop_server(&mut self, _now: Instant) {
        self.server_up = false;
        self.next_check = None;
    }

    /// The Kuma process (re)starts at `now`: if the monitor is active its chain restarts as in
    /// [`start`](Self::start) (first check a full interval later), otherwise it stays paused
    /// with no timer. Calling it while the server runs is an instant restart.
    ///
    /// Changes `poll_timeout`.
    pub fn restart_server(&mut self, now: Instant) {
        self.server_up = true;
        if self.active {
            self.start(now);
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
    pub fn begin_maintenance(&mut self, _now: Instant) {
        self.maintenance_windows += 1;
    }

    /// A maintenance window ends. When it was the last one on, nothing is stored now; the next
    /// check reads the latest row again, and since a MAINTENANCE row is not UP it fails at once
    /// unless an UP push arrived after this call (SPEC 3.3).
    ///
    /// Does not change `poll_timeout`.
    pub fn end_maintenance(&mut self, _now: Instant) {
        self.maintenance_windows = self.maintenance_windows.saturating_sub(1);
    }

    /// When the pending check fires, lateness included; `None` when no chain runs (never
    /// started, paused, server stopped).
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
    pub fn poll_event(&mut self) -> Option<MonitorEvent> {
        self.events.pop_front()
    }

    /// `GET|POST|… /api/push/<token>?status=…&msg=…&ping=…` reaching this monitor's token at
    /// `now` (the row is stamped with the server's clock, `now`). `None` means the query
    /// parameter is absent.
    ///
    /// In the source's order (`api-router.js`): a numeric `ping` outside `[0, 1e11]` →
    /// 404 [`MSG_INVALID_PING`] (checked before the token; a non-numeric or zero `ping` is just
    /// stored as null); monitor not active → 404 [`MSG_NOT_FOUND`]. Otherwise `status` (empty
    /// or absent = "up") is UP iff it is exactly `"up"`, else DOWN; `msg` empty or absent =
    /// "OK". Under maintenance the row is MAINTENANCE; else `determineStatus` applies (flip
    /// when upside down, then the retries: see [`PushMonitor`]). The row
    /// is stored, notifications follow `isImportantForNotification` and the `downCount`
    /// reminder, and 200 is returned. Server stopped → [`PushReply::Unreachable`].
    ///
    /// [`KumaVersion::V1_23`] (`router.get("/api/push/:pushToken")`): no `ping` check (never
    /// [`MSG_INVALID_PING`]); the status (flipped when upside down, MAINTENANCE with msg
    /// [`MSG_MAINTENANCE`] under maintenance) is stored as is, so `status=down` is DOWN at once
    /// whatever N; notification iff `isImportantForNotification`; `downCount` 0; the in-memory
    /// retries counter is untouched.
    ///
    /// Does not change `poll_timeout` ("pushes never move the timer").
    pub fn handle_push(&mut self, now: Instant, status: Option<&str>, msg: Option<&str>, ping: Option<&str>) -> PushReply {
        if !self.server_up {
            return PushReply::Unreachable;
        }
        let v1_23 = self.settings.version == KumaVersion::V1_23;
        // api-router.js (2.x): ping validated before the monitor lookup. 1.23: `parseInt` /
        // `parseFloat(request.query.ping) || null`, never rejected.
        if !v1_23 && let Some(reply) = ping_rejection(ping) {
            return reply;
        }
        // api-router.js: R.findOne("monitor", " push_token = ? AND active = 1 ").
        if !self.active {
            return PushReply::NotFound { msg: MSG_NOT_FOUND };
        }
        // api-router.js: `request.query.status || "up"`, then `(statusString === "up") ? UP : DOWN`.
        let status_string = match status {
            Some(s) if !s.is_empty() => s,
            _ => "up",
        };
        let status_from_param = if status_string == "up" { Status::Up } else { Status::Down };
        // api-router.js: `request.query.msg || "OK"` (the later `msg = "Monitor under
        // maintenance"` assignment does not reach `bean.msg`, already set).
        let msg = match msg {
            Some(m) if !m.is_empty() => m,
            _ => MSG_DEFAULT_PUSH,
        };
        if v1_23 {
            return self.push_v1_23(now, status_from_param, msg);
        }

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
        PushReply::Ok
    }

    /// Kuma 1.23 `api-router.js`, `router.get("/api/push/:pushToken")`, after the token lookup:
    /// the status from the query, stored without any retry logic.
    fn push_v1_23(&mut self, now: Instant, status_from_param: Status, msg: &str) -> PushReply {
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
        PushReply::Ok
    }

    /// Arms the chain's single timer: `now + node_delay(delay_ms) + lateness`.
    fn arm(&mut self, now: Instant, delay_ms: i64) {
        let lateness = self.settings.timer_lateness_ms.max(0);
        self.next_check = Some(now + Duration::from_ms(node_delay(delay_ms) + lateness));
    }

    /// `monitor.js`, `beat()`, for `this.type === "push"`, at `now` (2.x, or 1.23 where noted).
    fn check(&mut self, now: Instant) {
        let s = self.settings.clone();
        let v1_23 = s.version == KumaVersion::V1_23;
        // beat(): `let beatInterval = this.interval; if (!beatInterval) beatInterval = 1;`
        let beat_interval_s = i64::from(s.interval_s.max(1));

        // beat(): for push, previousBeat is re-read every time (1.23 and 2.x:
        // `if (!previousBeat || this.type === "push") previousBeat = await R.findOne(...)`).
        let previous = self.last_beat;
        let is_first_beat = previous.is_none();
        let mut retries = if v1_23 {
            // 1.23: the closure variable `retries` of start(), whatever the row says.
            self.chain_retries
        } else {
            // 2.x: `retries = previousBeat.retries` (2.x stores retries in the row; recent 2.x
            // also forces 0 when that row is UP).
            match previous {
                Some(p) if p.status == Status::Up => 0,
                Some(p) => p.retries,
                None => 0,
            }
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
                    if v1_23 {
                        self.chain_retries = 0;
                    }
                    self.arm(now, timeout);
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
            } else if !v1_23 {
                // 2.x: "Continue counting retries during DOWN". 1.23 has no `else`: the
                // counter stays at N while DOWN.
                retries = retries.saturating_add(1);
            }
            MSG_NO_HEARTBEAT
        };
        if v1_23 {
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
        let row_retries = if v1_23 { 0 } else { retries };
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

/// The reply of the push endpoint to a token no monitor has (`api-router.js`): the `ping` check
/// comes first, so an invalid `ping` gets [`MSG_INVALID_PING`], anything else 404
/// [`MSG_NOT_FOUND`].
pub fn unknown_token_reply(ping: Option<&str>) -> PushReply {
    ping_rejection(ping).unwrap_or(PushReply::NotFound { msg: MSG_NOT_FOUND })
}

/// [`unknown_token_reply`] for a given Kuma version: 1.23 has no `ping` check, so an unknown
/// token always gets 404 [`MSG_NOT_FOUND`] there.
pub fn unknown_token_reply_for(version: KumaVersion, ping: Option<&str>) -> PushReply {
    match version {
        KumaVersion::V2 => unknown_token_reply(ping),
        KumaVersion::V1_23 => PushReply::NotFound { msg: MSG_NOT_FOUND },
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

/// `monitor.js`, `static isImportantBeat(isFirstBeat, previousBeatStatus, currentBeatStatus)`.
pub fn is_important_beat(is_first_beat: bool, previous: Option<Status>, current: Status) -> bool {
    use Status::*;
    is_first_beat
        || matches!(
            (previous, current),
            (Some(Down), Maintenance)
                | (Some(Up), Maintenance)
                | (Some(Maintenance), Down)
                | (Some(Maintenance), Up)
                | (Some(Up), Down)
                | (Some(Down), Up)
                | (Some(Pending), Down)
        )
}

/// `monitor.js`, `static isImportantForNotification(isFirstBeat, previousBeatStatus, currentBeatStatus)`.
pub fn is_important_for_notification(is_first_beat: bool, previous: Option<Status>, current: Status) -> bool {
    use Status::*;
    is_first_beat || matches!((previous, current), (Some(Maintenance), Down) | (Some(Up), Down) | (Some(Down), Up) | (Some(Pending), Down))
}

/// `monitor.js`, `static sendNotification(isFirstBeat, monitor, bean)`: sends only when
/// `!isFirstBeat || bean.status === DOWN`; the text is "Up" for an UP beat, "Down" otherwise.
fn send_notification(is_first_beat: bool, status: Status, reminder: bool) -> Option<NotificationKind> {
    if is_first_beat && status != Status::Down {
        return None;
    }
    Some(match (status, reminder) {
        (Status::Up, _) => NotificationKind::Up,
        (_, true) => NotificationKind::DownReminder,
        (_, false) => NotificationKind::Down,
    })
}

/// How `parseFloat(request.query.ping) || null` then the range check classify a `ping`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PingClass {
    /// NaN or 0 (or -0): stored as null, accepted.
    Null,
    /// In `(0, MAX_PING_MS]`: accepted.
    InRange,
    /// Negative or above `MAX_PING_MS` (Infinity included): 404.
    OutOfRange,
}

fn ping_rejection(ping: Option<&str>) -> Option<PushReply> {
    match classify_ping(ping) {
        PingClass::OutOfRange => Some(PushReply::NotFound { msg: MSG_INVALID_PING }),
        PingClass::Null | PingClass::InRange => None,
    }
}

/// JavaScript `parseFloat` on the longest decimal prefix, without floating point: leading
/// white space, an optional sign, then `Infinity` or digits with an optional fraction and an
/// optional exponent. The value is compared exactly as a decimal with `0` and `1e11`; it can
/// differ from JavaScript's double only within one ulp of those bounds and below ~1e-323
/// (treated as 0, as JavaScript underflows there).
fn classify_ping(ping: Option<&str>) -> PingClass {
    let Some(raw) = ping else {
        return PingClass::Null;
    };
    // ECMAScript StrWhiteSpaceChar: Unicode white space and line terminators, plus BOM, minus NEL.
    let text = raw.trim_start_matches(|c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}');
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.starts_with("Infinity") {
        return PingClass::OutOfRange;
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut digits: Vec<u8> = Vec::new();
    let mut int_len: i64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        digits.push(bytes[i] - b'0');
        int_len += 1;
        i += 1;
    }
    let mut frac_len: i64 = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        let mut j = i + 1;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            digits.push(bytes[j] - b'0');
            frac_len += 1;
            j += 1;
        }
        if int_len > 0 || frac_len > 0 {
            i = j;
        }
    }
    if int_len + frac_len == 0 {
        return PingClass::Null; // NaN || null
    }
    let mut exponent: i64 = 0;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        let mut exp_negative = false;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            exp_negative = bytes[j] == b'-';
            j += 1;
        }
        let start = j;
        let mut e: i64 = 0;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            e = (e * 10 + i64::from(bytes[j] - b'0')).min(1_000_000);
            j += 1;
        }
        if j > start {
            exponent = if exp_negative { -e } else { e };
        }
    }
    let Some(first_nonzero) = digits.iter().position(|&d| d != 0) else {
        return PingClass::Null; // 0 || null
    };
    // Decimal exponent of the leading non-zero digit.
    let lead = int_len - 1 - first_nonzero as i64 + exponent;
    if lead <= -324 {
        return PingClass::Null; // underflows to (-)0 in a double
    }
    if negative {
        return PingClass::OutOfRange;
    }
    // MAX_PING_MS = 1e11: leading digit at 10^11 and nothing after it is exactly 1e11.
    match lead.cmp(&11) {
        std::cmp::Ordering::Less => PingClass::InRange,
        std::cmp::Ordering::Greater => PingClass::OutOfRange,
        std::cmp::Ordering::Equal => {
            let rest_nonzero = digits[first_nonzero + 1..].iter().any(|&d| d != 0);
            if digits[first_nonzero] == 1 && !rest_nonzero { PingClass::InRange } else { PingClass::OutOfRange }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const I_3720: u32 = 3_720;

    fn settings(i: u32, r: u32, n: u32, k: u32, lateness: i64) -> MonitorSettings {
        MonitorSettings {
            interval_s: i,
            retry_interval_s: r,
            max_retries: n,
            resend_interval: k,
            upside_down: false,
            timer_lateness_ms: lateness,
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
        m.start(at(0));
        assert_eq!(push_up(&mut m, t), PushReply::Ok);
        m
    }

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
        m.start(at(5_000));
        assert_eq!(m.poll_timeout(), Some(at(65_001)));
        // An edit at 40 s restarts the chain with the new interval.
        m.edit(at(40_000), settings(120, 20, 0, 0, 1));
        assert_eq!(m.poll_timeout(), Some(at(160_001)));
        // No push at all: the first check stores a first beat, DOWN, which notifies.
        advance(&mut m, at(160_001));
        let ev = drain(&mut m);
        assert_eq!(beats(&ev), vec![(160_001, Status::Down, BeatSource::Check)]);
        assert_eq!(notifications(&ev), vec![(160_001, NotificationKind::Down)]);
        // A paused monitor is edited without being resumed.
        m.pause(at(170_000));
        m.edit(at(171_000), settings(60, 20, 0, 0, 1));
        assert_eq!(m.poll_timeout(), None);
        assert!(!m.is_active());
    }

    #[test]
    fn first_failure_without_any_row_is_pending_and_silent_when_n_above_0() {
        let mut m = PushMonitor::new(settings(60, 20, 1, 0, 1));
        m.start(at(0));
        advance(&mut m, at(60_001 + 20_001));
        let ev = drain(&mut m);
        assert_eq!(beats(&ev), vec![(60_001, Status::Pending, BeatSource::Check), (80_002, Status::Down, BeatSource::Check)]);
        assert_eq!(notifications(&ev), vec![(80_002, NotificationKind::Down)]);
    }

    #[test]
    fn pushes_never_move_the_timer() {
        let mut m = PushMonitor::new(settings(60, 20, 2, 0, 1));
        m.start(at(0));
        let before = m.poll_timeout();
        for t in [1_000, 2_000, 30_000, 59_999] {
            assert_eq!(m.handle_push(at(t), Some("up"), None, None), PushReply::Ok);
            assert_eq!(m.poll_timeout(), before);
        }
        assert_eq!(m.handle_push(at(60_000), Some("down"), None, None), PushReply::Ok);
        assert_eq!(m.poll_timeout(), before);
        m.begin_maintenance(at(60_000));
        m.end_maintenance(at(60_000));
        assert_eq!(m.poll_timeout(), Some(at(60_001)));
    }

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
    fn after_maintenance_the_first_check_fails_at_once_without_an_up_push_after_it() {
        // I = 60, N = 0. Up push at 10 s → chain at 71_001.
        let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
        advance(&mut m, at(60_001)); // re-arms on the push: 71_001
        m.begin_maintenance(at(65_000));
        advance(&mut m, at(71_001)); // MAINTENANCE beat, next check 131_002
        assert_eq!(m.poll_timeout(), Some(at(131_002)));
        push_up(&mut m, 100_000); // stored as MAINTENANCE
        m.end_maintenance(at(120_000));
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
        m.begin_maintenance(at(65_000));
        m.begin_maintenance(at(100_000));
        m.end_maintenance(at(140_000));
        assert!(m.in_maintenance());
        advance(&mut m, at(191_003)); // checks at 71_001, 131_002 and 191_003: all MAINTENANCE
        m.end_maintenance(at(200_000));
        assert!(!m.in_maintenance());
        let ev = drain(&mut m);
        let statuses: Vec<Status> = beats(&ev).iter().map(|b| b.1).collect();
        assert_eq!(statuses, [Status::Up, Status::Maintenance, Status::Maintenance, Status::Maintenance]);
    }

    #[test]
    fn after_maintenance_an_up_push_after_it_keeps_the_monitor_up() {
        let mut m = started_with_push_at(settings(60, 20, 0, 0, 1), 10_000);
        advance(&mut m, at(60_001)); // re-arms on the push: 71_001
        m.begin_maintenance(at(65_000));
        advance(&mut m, at(71_001));
        m.end_maintenance(at(120_000));
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
        m.begin_maintenance(at(65_000));
        advance(&mut m, at(71_001));
        m.end_maintenance(at(120_000));
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
        m.begin_maintenance(at(65_000));
        advance(&mut m, at(71_001));
        m.end_maintenance(at(80_000));
        push_down(&mut m, 90_000);
        let ev = drain(&mut m);
        assert_eq!(beats(&ev).last(), Some(&(90_000, Status::Down, BeatSource::Push)));
        assert_eq!(notifications(&ev), vec![(90_000, NotificationKind::Down)]);
    }

    #[test]
    fn paused_token_gets_404_and_stores_nothing() {
        let mut m = PushMonitor::new(settings(60, 20, 0, 0, 1));
        // Never started: inactive.
        assert_eq!(m.handle_push(at(1), None, None, None), PushReply::NotFound { msg: MSG_NOT_FOUND });
        m.start(at(0));
        assert_eq!(m.handle_push(at(2), None, None, None), PushReply::Ok);
        m.pause(at(3));
        assert_eq!(m.poll_timeout(), None);
        assert_eq!(m.handle_push(at(4), Some("up"), None, None), PushReply::NotFound { msg: MSG_NOT_FOUND });
        assert_eq!(beats(&drain(&mut m)), vec![(2, Status::Up, BeatSource::Push)]);
        // Resume: chain a full interval later.
        m.start(at(10));
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
        m.pause(at(30_000));
        assert_eq!(m.handle_push(at(31_000), None, None, Some("-3")), invalid);
        assert_eq!(m.handle_push(at(31_000), None, None, Some("3")), PushReply::NotFound { msg: MSG_NOT_FOUND });
    }

    #[test]
    fn upside_down_up_push_is_down_and_silence_is_up() {
        let mut s = settings(60, 20, 0, 0, 1);
        s.upside_down = true;
        let mut m = PushMonitor::new(s);
        m.start(at(0));
        push_up(&mut m, 10_000); // flipped: first beat DOWN → notified
        advance(&mut m, at(60_001)); // latest row DOWN (healthy when upside down), 50 s old: re-arm
        assert_eq!(m.poll_timeout(), Some(at(71_001)));
        advance(&mut m, at(71_001 + 60_001));
        let ev = drain(&mut m);
        assert_eq!(
            beats(&ev),
            vec![
                (10_000, Status::Down, BeatSource::Push),
                (71_001, Status::Up, BeatSource::Check),
                (131_002, Status::Up, BeatSource::Check),
            ]
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
        m.start(at(0));
        m.handle_push(at(1_000), Some("down"), None, None); // flipped: UP
        push_up(&mut m, 2_000); // flipped DOWN after UP, N = 2: PENDING
        assert_eq!(m.status(), Some(Status::Pending));
        advance(&mut m, at(60_001)); // PENDING is not healthy: fails, and fails as UP
        let ev = drain(&mut m);
        assert_eq!(beats(&ev).last(), Some(&(60_001, Status::Up, BeatSource::Check)));
        assert!(matches!(ev.last(), Some(MonitorEvent::Beat { retries: 0, important: false, .. })));
    }

    #[test]
    fn kuma_restart_more_often_than_the_interval_never_yields_down() {
        // I = 3720 s, no push at all, Kuma restarts every 30 min for 10 days.
        let mut m = PushMonitor::new(settings(I_3720, 60, 0, 0, 1));
        m.start(at(0));
        m.handle_push(at(1_000), None, None, None);
        let mut t = 0;
        while t < 10 * 86_400_000 {
            t += 1_800_000;
            advance(&mut m, at(t));
            m.restart_server(at(t));
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
        m.stop_server(at(20_000));
        assert_eq!(m.poll_timeout(), None);
        assert_eq!(m.handle_push(at(30_000), None, None, None), PushReply::Unreachable);
        m.restart_server(at(40_000));
        assert_eq!(m.poll_timeout(), Some(at(100_001)));
        // At 100_001 the latest row (10 s) is 90 s old: fails at once.
        advance(&mut m, at(100_001));
        assert_eq!(m.status(), Some(Status::Down));
        // A paused monitor stays paused across a server restart.
        m.pause(at(110_000));
        m.restart_server(at(120_000));
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
        m.start(at(-10_000));
        m.handle_push(at(-500), None, None, None);
        m.restart_server(at(0));
        advance(&mut m, at(60_001));
        assert_eq!(m.poll_timeout(), Some(at(61_002)));
        advance(&mut m, at(61_002));
        assert_eq!(m.status(), Some(Status::Down));
    }

    #[test]
    fn handle_timeout_before_due_is_a_no_op() {
        let mut m = PushMonitor::new(settings(60, 20, 0, 0, 1));
        m.start(at(0));
        m.handle_timeout(at(60_000));
        assert_eq!(m.poll_timeout(), Some(at(60_001)));
        assert!(drain(&mut m).is_empty());
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

    // ---- Kuma 1.23 (KumaVersion::V1_23) -------------------------------------------------

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
            m.restart_server(at(100_000));
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
        m.pause(at(95_000));
        m.start(at(96_000));
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
        m.begin_maintenance(at(270_000));
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
        m.start(at(0));
        push_up(&mut m, 1_000); // first beat, flipped: DOWN (healthy when upside down), notified
        m.handle_push(at(2_000), Some("down"), None, None); // flipped: UP, DOWN→UP notified
        push_up(&mut m, 3_000); // flipped: DOWN at once
        let ev = drain(&mut m);
        assert_eq!(
            beats(&ev),
            vec![(1_000, Status::Down, BeatSource::Push), (2_000, Status::Up, BeatSource::Push), (3_000, Status::Down, BeatSource::Push)]
        );
        assert_eq!(
            notifications(&ev),
            vec![(1_000, NotificationKind::Down), (2_000, NotificationKind::Up), (3_000, NotificationKind::Down)]
        );
    }

    // ---- properties ---------------------------------------------------------------------

    /// Plays UP pushes at `pushes` (sorted) and restarts at `restarts` (sorted) from a start at
    /// 0, up to `end`; checks due at an instant run before a push or restart at that instant.
    fn play(s: &MonitorSettings, pushes: &[i64], restarts: &[i64], end: i64) -> Vec<MonitorEvent> {
        let mut m = PushMonitor::new(s.clone());
        m.start(at(0));
        let mut inputs: Vec<(i64, bool)> = pushes.iter().map(|&t| (t, true)).collect();
        inputs.extend(restarts.iter().map(|&t| (t, false)));
        inputs.sort();
        for (t, is_push) in inputs {
            advance(&mut m, at(t));
            if is_push {
                assert_eq!(m.handle_push(at(t), Some("up"), None, None), PushReply::Ok);
            } else {
                m.restart_server(at(t));
            }
        }
        advance(&mut m, at(end));
        drain(&mut m)
    }

    fn effective_retry_ms(s: &MonitorSettings) -> i64 {
        let r = if s.retry_interval_s > 0 { s.retry_interval_s } else { s.interval_s };
        i64::from(r) * 1_000
    }

    fn arb_settings() -> impl Strategy<Value = MonitorSettings> {
        (20u32..=7_200, 0u32..=3, 0u32..=3, 0u32..=3, 0i64..=3, 0u32..=3).prop_map(|(i, r_factor, n, k, lateness, r_div)| {
            // R from 0 (= use I) up to 3·I, sometimes below I.
            let r = if r_factor == 0 { 0 } else { (i * r_factor / (r_div + 1)).max(1) };
            settings(i, r, n, k, lateness)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

        /// Rule (SPEC 3.3): after the last UP push p, with no further push, the DOWN notification
        /// comes at exactly p + I + 1 s + N·R + (N + 1)·lateness (lateness ≥ 1), or
        /// p + I + 2 s + N·R with lateness 0 (the equality re-arm). Pushes are on time before the
        /// silence (gaps in [1 s + lateness, I], first push ≥ lateness after start), so the
        /// chain is aligned on the pushes.
        #[test]
        fn prop_down_notification_follows_gap_longer_than_i_plus_1s_plus_n_r_plus_lateness(
            s in arb_settings(),
            first in 0i64..=1_000_000,
            gaps in prop::collection::vec(0i64..=1_000_000, 0..12),
        ) {
            let i_ms = i64::from(s.interval_s) * 1_000;
            let lat = s.timer_lateness_ms;
            let span = i_ms - (1_000 + lat);
            let mut pushes = vec![lat + first % (i_ms - lat)];
            for g in gaps {
                let last = *pushes.last().unwrap();
                pushes.push(last + 1_000 + lat + g % (span + 1));
            }
            let p = *pushes.last().unwrap();
            let n = i64::from(s.max_retries);
            let r_ms = effective_retry_ms(&s);
            let first_fail = if lat >= 1 { p + i_ms + 1_000 + lat } else { p + i_ms + 2_000 };
            let expected_down = first_fail + n * (r_ms + lat);
            let ev = play(&s, &pushes, &[], expected_down + 1);
            let non_up: Vec<(i64, Status, BeatSource)> =
                beats(&ev).into_iter().filter(|b| b.1 != Status::Up).collect();
            let expected_beats: Vec<(i64, Status, BeatSource)> = (0..=n)
                .map(|k| {
                    let st = if k < n { Status::Pending } else { Status::Down };
                    (first_fail + k * (r_ms + lat), st, BeatSource::Check)
                })
                .collect();
            prop_assert_eq!(non_up, expected_beats);
            let downs: Vec<(i64, NotificationKind)> = notifications(&ev)
                .into_iter()
                .filter(|x| x.1 == NotificationKind::Down)
                .collect();
            prop_assert_eq!(downs, vec![(expected_down, NotificationKind::Down)]);
        }

        /// Same rule for any push trace (any gaps, R above or below I): every silence after an
        /// UP push longer than the worst case W = max(I + 2 s + lat, R + lat) + N·(R + lat) holds
        /// a DOWN notification, never before p + I + 1 s + N·(R + lat). The extra second over
        /// SPEC's bound is the source's `timeout < 0 → bufferTime` re-arm.
        #[test]
        fn prop_down_notification_follows_any_gap_longer_than_the_worst_case_bound(
            s in arb_settings(),
            first in 0i64..=20_000_000,
            gaps in prop::collection::vec(0i64..=40_000_000, 1..15),
        ) {
            let i_ms = i64::from(s.interval_s) * 1_000;
            let lat = s.timer_lateness_ms;
            let n = i64::from(s.max_retries);
            let r_ms = effective_retry_ms(&s);
            let worst = (i_ms + 2_000 + lat).max(r_ms + lat) + n * (r_ms + lat);
            let mut pushes = vec![first];
            for g in gaps {
                let last = *pushes.last().unwrap();
                pushes.push(last + g % (2 * worst));
            }
            let end = *pushes.last().unwrap() + worst + 1;
            let ev = play(&s, &pushes, &[], end);
            let downs: Vec<i64> = notifications(&ev)
                .into_iter()
                .filter(|x| x.1 == NotificationKind::Down)
                .map(|x| x.0)
                .collect();
            let bad_beats: Vec<i64> = beats(&ev)
                .into_iter()
                .filter(|b| b.1 != Status::Up && b.2 == BeatSource::Check)
                .map(|b| b.0)
                .collect();
            for (idx, &p) in pushes.iter().enumerate() {
                let next = pushes.get(idx + 1).copied().unwrap_or(end);
                // Never a failure in (p, p + I + 1 s]: the latest row is this UP push.
                prop_assert!(
                    !bad_beats.iter().any(|&b| b > p && b <= p + i_ms + 1_000 && b < next),
                    "failure too early after push {}", p
                );
                if next - p > worst {
                    let down = downs.iter().copied().find(|&d| d > p && d < next);
                    prop_assert!(down.is_some(), "no DOWN after push {} (silence {} ms)", p, next - p);
                    let d = down.unwrap();
                    prop_assert!(d > p + i_ms + 1_000 + n * (r_ms + lat), "DOWN at {} too early", d);
                    prop_assert!(d <= p + worst, "DOWN at {} later than {}", d, p + worst);
                }
            }
        }

        /// Rule: with UP pushes only (any gaps) and R ≤ I, Kuma 1.23 and 2.x store the same
        /// beats (instant, status, source, important, msg) and send the same notifications: the
        /// in-memory counter is 0 whenever an outage starts, as 2.x's count read from an UP row;
        /// only the `retries` reported while DOWN differ. In particular, with on-time pushes (first
        /// within I, every gap within I + 1 s) both versions stay UP.
        #[test]
        fn prop_with_up_pushes_only_both_versions_store_the_same_beats_and_on_time_pushes_stay_up(
            s in arb_settings(),
            first in 0i64..=20_000_000,
            gaps in prop::collection::vec(0i64..=40_000_000, 0..15),
        ) {
            let i_ms = i64::from(s.interval_s) * 1_000;
            let r = if s.retry_interval_s > s.interval_s { s.interval_s } else { s.retry_interval_s };
            let v2 = MonitorSettings { retry_interval_s: r, version: KumaVersion::V2, ..s };
            let v1 = MonitorSettings { version: KumaVersion::V1_23, ..v2.clone() };
            let n = i64::from(v2.max_retries);
            let worst = i_ms + 2_000 + 3 + n * (effective_retry_ms(&v2) + 3);
            // Half the traces on time, half with gaps up to twice the worst DOWN delay.
            let on_time = first % 2 == 0;
            let span = if on_time { i_ms + 1_000 + 1 } else { 2 * worst };
            let mut pushes = vec![if on_time { first % i_ms } else { first }];
            for g in gaps {
                let last = *pushes.last().unwrap();
                pushes.push(last + g % span);
            }
            let end = *pushes.last().unwrap() + worst + 1;
            let ev1 = play(&v1, &pushes, &[], end);
            let ev2 = play(&v2, &pushes, &[], end);
            let key = |ev: &[MonitorEvent]| -> Vec<(i64, Status, BeatSource, bool, String)> {
                ev.iter()
                    .filter_map(|e| match e {
                        MonitorEvent::Beat { at, status, source, important, msg, .. } => {
                            Some((at.0, *status, *source, *important, msg.clone()))
                        }
                        _ => None,
                    })
                    .collect()
            };
            prop_assert_eq!(key(&ev1), key(&ev2));
            prop_assert_eq!(notifications(&ev1), notifications(&ev2));
            if on_time {
                // Up to I after the last push (the trace then goes silent on purpose), nothing
                // but the UP pushes is stored and nothing is notified.
                let last = *pushes.last().unwrap();
                let early: Vec<(i64, Status, BeatSource)> = beats(&ev1).into_iter().filter(|b| b.0 <= last + i_ms).collect();
                let up_pushes: Vec<(i64, Status, BeatSource)> = pushes.iter().map(|&t| (t, Status::Up, BeatSource::Push)).collect();
                prop_assert_eq!(early, up_pushes);
                prop_assert!(notifications(&ev1).iter().all(|x| x.0 > last + i_ms));
            }
        }

        /// Rule (SPEC 3.3): no PENDING, no DOWN and no notification when the first push comes
        /// within I of the start and every push gap is within I + 1 s, whatever the restarts.
        #[test]
        fn prop_no_down_when_every_push_gap_is_within_i_plus_1s(
            s in arb_settings(),
            first in 0i64..=10_000_000,
            gaps in prop::collection::vec(0i64..=10_000_000, 0..30),
            restarts in prop::collection::vec(0i64..=100_000_000, 0..6),
        ) {
            let i_ms = i64::from(s.interval_s) * 1_000;
            let mut pushes = vec![first % i_ms];
            for g in gaps {
                let last = *pushes.last().unwrap();
                pushes.push(last + g % (i_ms + 1_000 + 1));
            }
            let last = *pushes.last().unwrap();
            let mut restarts: Vec<i64> = restarts.into_iter().map(|r| r % (last + 1)).collect();
            restarts.sort();
            let ev = play(&s, &pushes, &restarts, last + i_ms);
            prop_assert!(beats(&ev).iter().all(|b| b.1 == Status::Up), "{:?}", beats(&ev));
            prop_assert!(notifications(&ev).is_empty());
        }
    }
}

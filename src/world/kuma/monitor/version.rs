//! Which Kuma release is modelled, and everything Kuma 1.23.x does differently from 2.x, in one
//! place: the state machine and the push route ask [`KumaVersion`]'s methods instead of testing
//! the version themselves.
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
//! - **Retries live in memory** ([`KumaVersion::retries_store`]). `Monitor#start()`:
//!   `let retries = 0;` is a closure variable of `start()`, never read from or written to the
//!   `heartbeat` table (1.23 has no `retries` column). So every `start()` — server start, resume,
//!   edit (`restartMonitor`) — resets it to 0 ("retries lost on restart"; issue #3208: retries in
//!   the push route "would persist across restart, which would be different to other monitors").
//!   It is reset to 0 by a check that finds a recent healthy push (`retries = 0;` before the
//!   re-arm) and by a maintenance check (`retries = 0;` after the `try`). On failure (`catch`):
//!   upside-down with status UP → `retries = 0`; else `if ((this.maxretries > 0) && (retries <
//!   this.maxretries)) { retries++; bean.status = PENDING; }`; there is **no** `else` branch, so
//!   while DOWN it stays at N (2.x keeps counting: [`KumaVersion::counts_retries_while_down`]).
//! - **A `status=down` push is DOWN at once** ([`KumaVersion::push_route`];
//!   `api-router.js`, `router.get("/api/push/:pushToken")`): `status = (statusString === "up") ?
//!   UP : DOWN`, flipped when upside down, MAINTENANCE under maintenance, then stored as is: no
//!   `determineStatus`, no retries, no PENDING (issue #3208, "this will ignore the Retry option
//!   and immediately mark the monitor as Down"). It notifies when `isImportantForNotification`
//!   (UP→DOWN does). The check chain does not know about it: its next failure reads a DOWN row,
//!   and with N > 0 the in-memory counter (0) gives DOWN→PENDING (not important), PENDING…, then
//!   PENDING→DOWN, a second "Down" notification: the duplicate DOWN that the maintainer called
//!   "by our design" (issue #3787, Kuma 1.23.1).
//! - The push route sets neither `retries` nor `downCount`: the row gets `down_count` 0, the
//!   column default (`db/patch-monitor-add-resend-interval.sql`: `ADD down_count INTEGER default
//!   0 not null`), so a push restarts the `resendInterval` count and never sends a reminder
//!   itself. Under maintenance the stored `msg` is "Monitor under maintenance" (`msg = ...` comes
//!   before `bean.msg = msg` in 1.23). `ping` is `parseInt`/`parseFloat(...) || null` with no
//!   range check ([`KumaVersion::validates_ping`]): no
//!   [`MSG_INVALID_PING`](super::MSG_INVALID_PING) 404.
//! - **Same as 2.x** (the model shares the code): first check one full interval after `start()`
//!   ("Delay Push Type"); the check re-reads the latest row and fails unless it is healthy and
//!   `msSinceLastBeat <= beatInterval * 1000 + bufferTime` (milliseconds, strict `>` fails,
//!   `bufferTime = 1000`, PR #1428 "Synchronize push monitor heartbeats to api calls"); a
//!   healthy check re-arms relative to the last push (`beatInterval * 1000 - msSinceLastBeat`,
//!   plus 1000, or 1000 when negative), a failing one a full `beatInterval` (R when PENDING and
//!   R > 0) after itself, not relative to the last push: that is the drift while PENDING/DOWN.
//!   Pushes never move the timer. `isImportantBeat`, `isImportantForNotification`,
//!   `sendNotification` and the check's `downCount` logic are the same tables as 2.x.

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

/// Where the check chain's `retries` count lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetriesStore {
    /// 2.x: the `heartbeat.retries` column; the check reads it from the latest row
    /// (`retries = previousBeat.retries`, 0 when that row is UP) and stores it in the new row.
    Row,
    /// 1.23: the `let retries = 0;` closure variable of `Monitor#start()`: reset by every
    /// `start()`, by a healthy check and by a maintenance check; rows carry 0.
    Chain,
}

/// How the push route turns a query's status into the stored row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushRoute {
    /// 2.x `router.all("/api/push/:pushToken")`: `determineStatus` (flip, then the retries, so a
    /// `status=down` push goes PENDING first), `downCount` carried over and counted towards the
    /// `resendInterval` reminder, the pushed `msg` stored even under maintenance.
    DetermineStatus,
    /// 1.23 `router.get("/api/push/:pushToken")`: the status (flipped when upside down,
    /// MAINTENANCE with msg "Monitor under maintenance" under maintenance) stored as is, no
    /// retries, `downCount` 0, no reminder; the chain's in-memory retries untouched.
    StoreAsIs,
}

impl KumaVersion {
    /// Where the check chain counts its retries (see [`RetriesStore`]).
    pub fn retries_store(self) -> RetriesStore {
        match self {
            KumaVersion::V2 => RetriesStore::Row,
            KumaVersion::V1_23 => RetriesStore::Chain,
        }
    }

    /// Whether a failing check while DOWN still adds 1 to `retries`: 2.x `monitor.js`, `catch`:
    /// `else { retries++ }` ("Continue counting retries during DOWN"); 1.23 has no `else`, the
    /// counter stays at N.
    pub fn counts_retries_while_down(self) -> bool {
        match self {
            KumaVersion::V2 => true,
            KumaVersion::V1_23 => false,
        }
    }

    /// What the push route does with a query's status (see [`PushRoute`]).
    pub fn push_route(self) -> PushRoute {
        match self {
            KumaVersion::V2 => PushRoute::DetermineStatus,
            KumaVersion::V1_23 => PushRoute::StoreAsIs,
        }
    }

    /// Whether the push route rejects a numeric `ping` outside `[0, MAX_PING_MS]` with 404, before
    /// looking the token up: 2.x `api-router.js` does; 1.23 stores `parseInt`/`parseFloat(...) ||
    /// null` unchecked.
    pub fn validates_ping(self) -> bool {
        match self {
            KumaVersion::V2 => true,
            KumaVersion::V1_23 => false,
        }
    }
}

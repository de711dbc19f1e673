//! The vocabulary of heartbeats: statuses, the latest `heartbeat` row the monitor keeps, and the
//! events it emits (a beat was stored, notifications were sent).

use crate::time::Instant;

/// Message of a failed push check (`monitor.js`, `beat()`, push branch).
pub const MSG_NO_HEARTBEAT: &str = "No heartbeat in the time window";
/// Message of a check during maintenance (`monitor.js`, `beat()`).
pub const MSG_MAINTENANCE: &str = "Monitor under maintenance";

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
    pub(super) fn flipped(self) -> Status {
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
        /// The row's `retries` ([`KumaVersion::V2`](super::KumaVersion::V2)). With
        /// [`KumaVersion::V1_23`](super::KumaVersion::V1_23), which has no such column, the check
        /// chain's in-memory `retries` counter just after this beat (what 1.23 logs as `Retry:`;
        /// a push leaves it unchanged).
        retries: u32,
        source: BeatSource,
    },
    /// Notifications were sent (to every provider of the monitor) for the beat just before.
    Notification { at: Instant, kind: NotificationKind },
    /// A check found a fresh healthy row and stored nothing ("No need to insert successful
    /// heartbeat for push type"): `last_beat` is that row's time, `next_check` when the chain
    /// checks again. Emitted only when asked
    /// ([`PushMonitor::set_report_silent_checks`](super::PushMonitor::set_report_silent_checks)).
    SilentCheck { at: Instant, last_beat: Instant, next_check: Instant },
}

/// The latest `heartbeat` row: all the state Kuma's decisions read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct StoredBeat {
    pub(super) time: Instant,
    pub(super) status: Status,
    /// 0 for rows written by [`KumaVersion::V1_23`](super::KumaVersion::V1_23) (no such column
    /// in 1.23).
    pub(super) retries: u32,
    pub(super) down_count: u32,
}

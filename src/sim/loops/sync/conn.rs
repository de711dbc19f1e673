//! The sync loop's compact state: the 8-byte queued event, the 40-byte connection record and
//! local days as small numbers (the hot path reads them millions of times).

use crate::logic::sync::SyncCounters;
use crate::time::{Instant, LocalClock};

pub const NONE: Instant = Instant(i64::MIN);

/// A queued event, 8 bytes: a sync attempt, stale when `generation` no longer matches the
/// connection's; or the freshness sample ([`Event::SAMPLE`]).
#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub connection: u32,
    pub generation: u32,
}

impl Event {
    /// Sample every connection's freshness (no connection has this index: at most 2 million).
    pub const SAMPLE: Event = Event { connection: u32::MAX, generation: 0 };
    pub fn is_sample(self) -> bool {
        self.connection == u32::MAX
    }
}

/// The harness's view of one connection: the logic's counters, what the report needs, and a copy
/// of the plan's `key` and `connector`, so that an attempt reads 40 bytes in one place (at 10^6
/// connections each attempt's state is a random access that misses the cache; one such access
/// instead of two measured 2.8 s → 2.4 s, benches/README.md).
#[derive(Clone, Copy, Debug)]
pub struct Conn {
    /// The pending attempt, or `NONE`.
    pub next_try: Instant,
    pub counters: SyncCounters,
    /// The plan's key (FNV-1a of the id).
    pub key: u64,
    pub generation: u32,
    /// The freshness key of its last success or creation (`SinceCounts::key`), when counted.
    pub since_key: u32,
    /// The local day of its last attempt ([`DayCodes`]).
    pub day: u16,
    pub attempts_today: u16,
    /// The local day of its first success that day (bits 0–8), that success's local hour (bits
    /// 9–13), and whether it waits for its user (bit 15; since when: in `waiting_since`).
    pub first_success: u16,
    pub connector: u16,
}

const _: () = assert!(std::mem::size_of::<Conn>() == 40);

impl Conn {
    pub const DAY: u16 = 0x1ff;
    const HOUR_SHIFT: u32 = 9;
    const WAITING: u16 = 0x8000;

    pub fn first_success_day(&self) -> u16 {
        self.first_success & Self::DAY
    }
    pub fn first_success_hour(&self) -> u8 {
        ((self.first_success >> Self::HOUR_SHIFT) & 0x1f) as u8
    }
    pub fn set_first_success(&mut self, day: u16, hour: u8) {
        debug_assert!(day <= Self::DAY && hour < 24);
        self.first_success = (self.first_success & Self::WAITING) | day | (hour as u16) << Self::HOUR_SHIFT;
    }
    pub fn waiting(&self) -> bool {
        self.first_success & Self::WAITING != 0
    }
    pub fn set_waiting(&mut self, waiting: bool) {
        self.first_success = (self.first_success & !Self::WAITING) | if waiting { Self::WAITING } else { 0 };
    }
}

/// Local days as small numbers: 0 is "none", a day of the run is at least 2 (so `day − 1` is
/// never "none"). Runs last at most 400 days, so 9 bits hold them.
pub struct DayCodes {
    origin: i32,
}

impl DayCodes {
    pub fn new(clock: &LocalClock, start: Instant) -> Self {
        // A DST change at local midnight can put an instant after the start on the day before.
        DayCodes { origin: clock.day(start) - 3 }
    }
    #[inline]
    pub fn code(&self, day: i32) -> u16 {
        let code = u16::try_from(day - self.origin).expect("validated: every attempt is within the run, at most 400 days");
        assert!(code <= Conn::DAY, "validated: at most 400 days");
        code
    }
}

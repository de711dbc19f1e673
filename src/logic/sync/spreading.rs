//! Spreading policies: rule A's term `J` (SPEC 1.4). seed 002: "un nombre d'heures est ajouté de
//! façon aléatoire afin de ne pas lancer toutes les synchronisations au même moment".
//!
//! A policy sees the connection's hash, its connector and, if it wants, the load already scheduled
//! (the scheduler reports every attempt it schedules or drops through `on_scheduled` /
//! `on_unscheduled`). Users add their own policies by implementing [`SpreadingPolicy`].

use std::collections::HashMap;

use rand_core::RngCore;
use serde::{Deserialize, Serialize};

use crate::logic::uniform;
use crate::time::{Duration, Instant};

/// What a policy may look at when it chooses `J`.
#[derive(Clone, Copy, Debug)]
pub struct SpreadInput {
    /// The instant of the successful attempt.
    pub now: Instant,
    /// `now + F`: `J` is added to this.
    pub base: Instant,
    pub frequency: Duration,
    pub connection_key: u64,
    pub connector: u32,
}

pub trait SpreadingPolicy {
    /// The name used in reports and traces.
    fn name(&self) -> &'static str;
    /// The largest `J` this policy may return for frequency `F` (rule A's invariant checks
    /// `0 <= J <= max_jitter(F)`).
    fn max_jitter(&self, frequency: Duration) -> Duration;
    /// Choose `J`. Must stay inside `[0, max_jitter(F)]`.
    fn jitter(&mut self, input: &SpreadInput, rng: &mut dyn RngCore) -> Duration;
    /// An attempt was scheduled on `connector` at `at` (by any rule).
    fn on_scheduled(&mut self, _connector: u32, _at: Instant) {}
    /// A scheduled attempt was made or cancelled.
    fn on_unscheduled(&mut self, _connector: u32, _at: Instant) {}
}

/// The scenario's choice of policy. Defaults are model choices (whole hours in
/// `[0, 6]` for the seed's rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SpreadingSettings {
    /// `J = 0`: what is created together stays together (the worst case).
    Fixed,
    /// The seed's rule: uniform whole hours in `[0, max_hours]`.
    RandomHours {
        #[serde(default = "default_max_hours")]
        max_hours: u32,
    },
    /// Uniform milliseconds in `[0, max]`.
    UniformJitter {
        #[serde(default = "default_max")]
        max: Duration,
    },
    /// A per-connection phase from a hash of its id: the next attempt lands on the connection's
    /// own time of the period (same hour every day, but spread). `J` is in `[0, F)`.
    StableOffset,
    /// The least-loaded whole `slot` of the connector inside `[0, max]` (ties at random), then a
    /// uniform instant inside that slot.
    LoadAware {
        #[serde(default = "default_max")]
        max: Duration,
        #[serde(default = "default_slot")]
        slot: Duration,
    },
}

fn default_max_hours() -> u32 {
    6
}
fn default_max() -> Duration {
    Duration::from_hours(6)
}
fn default_slot() -> Duration {
    Duration::from_mins(10)
}

impl Default for SpreadingSettings {
    fn default() -> Self {
        SpreadingSettings::RandomHours { max_hours: default_max_hours() }
    }
}

impl SpreadingSettings {
    pub fn build(&self) -> Box<dyn SpreadingPolicy + Send> {
        match *self {
            SpreadingSettings::Fixed => Box::new(Fixed),
            SpreadingSettings::RandomHours { max_hours } => Box::new(RandomHours { max_hours }),
            SpreadingSettings::UniformJitter { max } => Box::new(UniformJitter { max }),
            SpreadingSettings::StableOffset => Box::new(StableOffset),
            SpreadingSettings::LoadAware { max, slot } => Box::new(LoadAware::new(max, slot)),
        }
    }
    /// A one-line description for reports, e.g. `random-hours(max_hours=6)`.
    pub fn describe(&self) -> String {
        match self {
            SpreadingSettings::Fixed => "fixed".into(),
            SpreadingSettings::RandomHours { max_hours } => format!("random-hours(max_hours={max_hours})"),
            SpreadingSettings::UniformJitter { max } => format!("uniform-jitter(max={max})"),
            SpreadingSettings::StableOffset => "stable-offset".into(),
            SpreadingSettings::LoadAware { max, slot } => format!("load-aware(max={max}, slot={slot})"),
        }
    }
}

pub struct Fixed;
impl SpreadingPolicy for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }
    fn max_jitter(&self, _: Duration) -> Duration {
        Duration::ZERO
    }
    fn jitter(&mut self, _: &SpreadInput, _: &mut dyn RngCore) -> Duration {
        Duration::ZERO
    }
}

pub struct RandomHours {
    pub max_hours: u32,
}
impl SpreadingPolicy for RandomHours {
    fn name(&self) -> &'static str {
        "random-hours"
    }
    fn max_jitter(&self, _: Duration) -> Duration {
        Duration::from_hours(self.max_hours as i64)
    }
    fn jitter(&mut self, _: &SpreadInput, rng: &mut dyn RngCore) -> Duration {
        Duration::from_hours(uniform::below(rng, self.max_hours as u64 + 1) as i64)
    }
}

pub struct UniformJitter {
    pub max: Duration,
}
impl SpreadingPolicy for UniformJitter {
    fn name(&self) -> &'static str {
        "uniform-jitter"
    }
    fn max_jitter(&self, _: Duration) -> Duration {
        self.max
    }
    fn jitter(&mut self, _: &SpreadInput, rng: &mut dyn RngCore) -> Duration {
        Duration::from_ms(uniform::between(rng, 0, self.max.as_ms()))
    }
}

pub struct StableOffset;
impl SpreadingPolicy for StableOffset {
    fn name(&self) -> &'static str {
        "stable-offset"
    }
    fn max_jitter(&self, frequency: Duration) -> Duration {
        Duration::from_ms((frequency.as_ms() - 1).max(0))
    }
    fn jitter(&mut self, input: &SpreadInput, _: &mut dyn RngCore) -> Duration {
        let period = input.frequency.as_ms();
        if period <= 0 {
            return Duration::ZERO;
        }
        let phase = (input.connection_key % period as u64) as i64;
        Duration::from_ms((phase - input.base.as_ms()).rem_euclid(period))
    }
}

/// Keeps, per connector and slot, how many attempts are scheduled there.
pub struct LoadAware {
    max: Duration,
    slot_ms: i64,
    load: HashMap<(u32, i64), u32>,
}

impl LoadAware {
    pub fn new(max: Duration, slot: Duration) -> Self {
        LoadAware { max, slot_ms: slot.as_ms().max(1), load: HashMap::new() }
    }
}

impl SpreadingPolicy for LoadAware {
    fn name(&self) -> &'static str {
        "load-aware"
    }
    fn max_jitter(&self, _: Duration) -> Duration {
        self.max
    }
    fn jitter(&mut self, input: &SpreadInput, rng: &mut dyn RngCore) -> Duration {
        let lo = input.base.as_ms();
        let hi = lo + self.max.as_ms();
        // Only whole slots inside [lo, hi]: a partial slot at either end can be a few ms wide,
        // and filling it would pile attempts into one minute.
        let first = lo.div_euclid(self.slot_ms) + if lo.rem_euclid(self.slot_ms) == 0 { 0 } else { 1 };
        let last = (hi + 1).div_euclid(self.slot_ms) - 1;
        if last < first {
            return Duration::from_ms(uniform::between(rng, 0, self.max.as_ms()));
        }
        // Only lookups, never iteration: the map's order cannot reach the output. Ties are broken
        // uniformly at random (reservoir sampling), so equal slots fill evenly.
        let (mut best_load, mut best, mut ties) = (u32::MAX, first, 0u64);
        for k in first..=last {
            let n = self.load.get(&(input.connector, k)).copied().unwrap_or(0);
            if n < best_load {
                (best_load, best, ties) = (n, k, 1);
            } else if n == best_load {
                ties += 1;
                if uniform::below(rng, ties) == 0 {
                    best = k;
                }
            }
        }
        let slot_lo = best * self.slot_ms;
        let slot_hi = slot_lo + self.slot_ms - 1;
        Duration::from_ms(uniform::between(rng, slot_lo, slot_hi) - lo)
    }
    fn on_scheduled(&mut self, connector: u32, at: Instant) {
        *self.load.entry((connector, at.as_ms().div_euclid(self.slot_ms))).or_insert(0) += 1;
    }
    fn on_unscheduled(&mut self, connector: u32, at: Instant) {
        let key = (connector, at.as_ms().div_euclid(self.slot_ms));
        if let Some(n) = self.load.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.load.remove(&key);
            }
        }
    }
}

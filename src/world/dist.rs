//! Distributions of durations the world draws from (a job's run time, a payer's delay, a link's
//! latency), and their one pinned draw, so every component draws the same way.

use rand_core::RngCore;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::logic::uniform;
use crate::time::Duration;

/// A distribution of durations.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DurationDist {
    Fixed(Duration),
    /// Uniform between two durations (inclusive).
    Uniform([Duration; 2]),
}

impl DurationDist {
    /// One draw: a fixed duration draws nothing; a uniform one draws one pinned uniform integer
    /// (Lemire's method, `logic::uniform`), so the stream advances the same way on every platform.
    pub fn draw(self, rng: &mut dyn RngCore) -> Duration {
        match self {
            DurationDist::Fixed(x) => x,
            DurationDist::Uniform([a, b]) => Duration::from_ms(uniform::between(rng, a.as_ms(), b.as_ms())),
        }
    }
}

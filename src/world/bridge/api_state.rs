//! The API's own state inside the world (the rate window and the call counters), apart from the
//! routes so that the model can own it without importing the HTTP face.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::time::Instant;

/// What the API answered, for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApiStats {
    /// Every call answered.
    pub calls: u64,
    /// Calls answered per HTTP status.
    pub by_status: BTreeMap<u16, u64>,
    /// Calls refused by the rate limit (also counted under 429).
    pub rate_limited: u64,
}

/// The API's own state inside the world: the rate window and the counters.
#[derive(Clone, Debug, Default)]
pub(crate) struct ApiState {
    /// Instants of the calls holding a slot, oldest first.
    pub(super) window: VecDeque<Instant>,
    pub(super) stats: ApiStats,
}

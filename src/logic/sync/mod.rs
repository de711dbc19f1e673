//! Bank-connection synchronisation scheduling (SPEC 1, seed 002): when to try a connection next.
//!
//! - [`state`]: the connection states the aggregator reports, and their classes (SPEC 1.2).
//! - [`rules`]: rules A–D, turning the outcome of an attempt into the next attempt (SPEC 1.3).
//! - [`spreading`]: the policies that choose rule A's spreading term `J` (SPEC 1.4).
//! - [`backoff`]: the policies that place rule D's repeated-failure retry in `[2 h, 5 days]`.

pub mod backoff;
pub mod rules;
pub mod spreading;
pub mod state;

pub use backoff::{BackoffPolicy, BackoffSettings};
pub use rules::{Decision, Rule, SyncCounters, SyncRules};
pub use spreading::{SpreadInput, SpreadingPolicy, SpreadingSettings};
pub use state::{ConnectionState, StateClass};

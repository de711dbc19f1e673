//! Scheduled jobs (SPEC 2, seed 000): the Dolibarr-style runner, its monitoring view and health.
//! Driven by `sim::loops::jobs`.

pub mod heartbeat;
pub mod runner;

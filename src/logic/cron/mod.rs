//! Scheduled jobs (SPEC 2, seed 000): the Dolibarr-style runner, its monitoring view and health.
//! Driven by `sim::cron_run`.

pub mod heartbeat;
pub mod runner;

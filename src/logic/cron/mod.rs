//! Scheduled jobs (SPEC 2, seed 000): the Dolibarr-style runner, its monitoring view and health.
//! Not yet driven by the harness: see issue "Scheduled jobs and Uptime Kuma heartbeats".

pub mod heartbeat;
pub mod runner;

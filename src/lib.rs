//! syncsim: a deterministic, virtual-time simulation and test harness for an ERP's bank-sync
//! scheduling, its scheduled jobs and their Uptime Kuma heartbeats, and Bridge payment recovery.
//!
//! The crate has three layers, and the line between them is the point (see ARCHITECTURE.md):
//! - [`logic`]: the code under test. Sans-IO, clock-free, production-usable.
//! - [`world`]: the simulated counterparts the logic talks to (banks, and later Bridge and Kuma).
//! - [`sim`]: the harness: virtual time, event queue, seeded RNG streams, scenarios, trace, reports.
//!
//! [`import`] reads a real Kuma and Dolibarr setup into a scenario (`syncsim import`).
//!
//! [`time`] is the shared vocabulary (integer milliseconds, UTC) that all three use.

pub mod hint;
pub mod import;
pub mod logic;
pub mod net;
pub mod rng;
pub mod sim;
pub mod time;
pub mod world;

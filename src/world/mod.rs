//! The simulated counterparts the logic talks to. Not the code under test: models of other
//! people's systems, faithful to their public behaviour, driven in virtual time by the harness.

pub mod bank;
pub mod bridge;
pub mod dist;
pub mod healthchecks;
pub mod kuma;
pub mod network;

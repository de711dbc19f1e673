//! The event loops: each pops events in virtual time and hands them to the logic and the world.
//! [`sync`] drives bank-connection scheduling; [`jobs`] drives the cron runner, the heartbeats,
//! Kuma, and (through [`payments`]) the Bridge payments side.

pub mod jobs;
pub mod payments;
pub mod sync;

//! The code under test: sans-IO, clock-free, production-usable.
//!
//! Nothing here reads a clock, sleeps, opens a socket or draws from a global RNG. Every verb takes
//! the current instant and its inputs and returns a decision; randomness arrives as a
//! `&mut dyn RngCore` the caller owns. `logic` depends on nothing in `world` or `sim`.

pub mod bridge;
pub mod cron;
pub mod retry;
pub mod sync;
pub mod uniform;

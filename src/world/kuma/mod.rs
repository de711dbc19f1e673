//! Uptime Kuma (SPEC 3): the push monitor, modelled on Kuma 2.x `server/model/monitor.js` and
//! `server/routers/api-router.js`, and its push endpoint. Driven by `sim::loops::jobs`.

pub mod monitor;
pub mod server;
pub mod server_log;

#[cfg(test)]
mod tests;

/// A monitor's position in the server's table: the scenario's `kuma.monitors` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonitorIndex(pub usize);

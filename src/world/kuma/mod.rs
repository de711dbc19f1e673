//! Uptime Kuma (SPEC 3): the push monitor, modelled on Kuma 2.x `server/model/monitor.js` and
//! `server/routers/api-router.js`, and its push endpoint. Driven by `sim::loops::jobs`.

pub mod monitor;
pub mod server;

#[cfg(test)]
mod tests;

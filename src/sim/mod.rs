//! The harness: virtual time and the event queue, seeded random streams, scenario files, the
//! event loops, metrics, traces, reports and their renderings.

pub mod advise;
pub mod alerts;
pub mod calls;
pub mod compare;
pub mod cron_run;
pub mod metrics;
pub mod output;
pub mod pay_run;
pub mod payments_report;
pub mod plots;
pub mod queue;
pub mod render;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sync_run;
pub mod trace;
pub mod transport;

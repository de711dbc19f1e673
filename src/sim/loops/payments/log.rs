//! What the payments side counts on the way, for the report (what the world and the ledger
//! hold at the end is read there, in `sim::analysis::payments`).

use std::collections::BTreeMap;

pub use crate::sim::engine::calls::CallCounters;
use crate::time::Instant;

/// One recovery run, for the report.
#[derive(Clone, Debug)]
pub struct RecoveryRunLog {
    pub start: Instant,
    pub end: Instant,
    pub ok: bool,
    pub calls: u32,
    pub failed_calls: u32,
    pub recorded: u32,
    pub revoked: u32,
}

/// What happened, for the report.
#[derive(Clone, Debug, Default)]
pub struct PayLog {
    pub invoices: u64,
    pub links_created: u64,
    pub links_not_created: u64,
    /// New links the ERP created for invoices whose link was rejected after completion.
    pub replacement_links: u64,
    /// Links the recovery job found rejected after completion (each needed a new link).
    pub rejected_after_completion: u64,
    pub payer_attempts: u64,
    pub payer_refused: BTreeMap<&'static str, u64>,
    /// Events Bridge emitted (delivered or not).
    pub events: u64,
    pub webhooks_lost: u64,
    pub webhooks_duplicated: u64,
    /// Deliveries that left Bridge (a duplicate's copy counts apart).
    pub deliveries: u64,
    /// Attempts of every webhook call (deliveries, forged and replayed ones); `given_up` counts
    /// the deliveries only (forged and replayed ones are single attempts).
    pub webhook_calls: CallCounters,
    pub forged_sent: u64,
    pub replayed_sent: u64,
    /// Attempts of every API call (link creation and the recovery job).
    pub api_calls: CallCounters,
    pub runs: Vec<RecoveryRunLog>,
}

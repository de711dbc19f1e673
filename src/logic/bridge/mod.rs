//! The ERP side of Bridge payments (SPEC 4.2), the code under test: the ledger and its
//! idempotency rules, the webhook receiver with its signature check, and the recovery job's four
//! duties as a sans-IO state machine that asks for one API call at a time.

pub mod ledger;
pub mod receiver;
pub mod recovery;
pub mod signature;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::time::Instant;
use ledger::{Applied, Ledger};

/// What a webhook delivery did at the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookOutcome {
    /// No signature matched: 401, recorded (SPEC 4.2).
    BadSignature,
    /// Signed, but not an envelope we understand: 400.
    Malformed,
    /// A type the ERP does not handle: ignored with 200.
    UnknownType,
    Applied(Applied),
}

impl WebhookOutcome {
    pub fn name(self) -> &'static str {
        match self {
            WebhookOutcome::BadSignature => "bad_signature",
            WebhookOutcome::Malformed => "malformed",
            WebhookOutcome::UnknownType => "unknown_type",
            WebhookOutcome::Applied(a) => match a {
                Applied::Recorded => "recorded",
                Applied::Updated => "updated",
                Applied::Duplicate => "already_known",
                Applied::Stale => "stale",
                Applied::FinalKept => "final_kept",
                Applied::UnknownLink => "unknown_link",
            },
        }
    }
}

/// A delivery the receiver handled: what the trace and the report read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedWebhook {
    pub at: Instant,
    pub outcome: WebhookOutcome,
    /// The payment request or link it was about, when it could be read.
    pub subject: Option<String>,
}

/// The ERP: its ledger and webhook secrets. Shared by the receiver (a server, possibly on a
/// mock server's thread) and the recovery job (driven by the runner).
#[derive(Debug, Default)]
pub struct Erp {
    pub ledger: Ledger,
    /// The webhook secrets the ERP accepts (one, or two while an operator rotates them).
    pub secrets: Vec<Vec<u8>>,
    /// Every delivery handled, in order.
    pub received: Vec<ReceivedWebhook>,
    /// Counts by outcome.
    pub outcomes: BTreeMap<WebhookOutcome, u64>,
}

impl Erp {
    pub fn new(secret: Vec<u8>) -> Self {
        Erp { secrets: vec![secret], ..Default::default() }
    }
    fn note(&mut self, at: Instant, outcome: WebhookOutcome, subject: Option<&str>) {
        *self.outcomes.entry(outcome).or_insert(0) += 1;
        self.received.push(ReceivedWebhook { at, outcome, subject: subject.map(str::to_string) });
    }
}

impl crate::net::Service for Erp {
    fn handle(&mut self, now: Instant, request: &crate::net::Request) -> crate::net::Response {
        self.receive(now, request)
    }
}

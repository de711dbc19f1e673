//! The ERP side of Bridge payments (SPEC 4.2), the code under test: the ledger and its
//! idempotency rules, the webhook receiver with its signature check, and the recovery job's four
//! duties as a sans-IO state machine that asks for one API call at a time.

pub mod ledger;
pub mod receiver;
pub mod recovery;
pub mod signature;

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::time::Instant;
use ledger::{Applied, InvoiceId, Ledger};

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

/// Deliveries the ERP remembers one by one; older ones live on in the counts by outcome only, so
/// memory does not grow with the run's history.
pub const RECEIVED_MEMORY: usize = 1024;

/// The ERP: its ledger and webhook secrets. Shared by the receiver (a server, possibly on a
/// mock server's thread) and the recovery job (driven by the runner). Its fields are private:
/// the harness issues invoices, installs secrets and reads what happened through the verbs
/// below, and every write to the ledger goes through the ledger's own verbs.
///
/// No timers: nothing here has a `poll_timeout`, and no verb changes one.
#[derive(Debug, Default)]
pub struct Erp {
    ledger: Ledger,
    /// The webhook secrets the ERP accepts (one, or two while an operator rotates them).
    secrets: Vec<Vec<u8>>,
    /// The last deliveries handled (at most `RECEIVED_MEMORY`), oldest first.
    received: VecDeque<ReceivedWebhook>,
    /// Counts by outcome.
    outcomes: BTreeMap<WebhookOutcome, u64>,
}

impl Erp {
    /// An ERP with an empty ledger that accepts webhooks signed with `secret`.
    pub fn new(secret: Vec<u8>) -> Self {
        Erp { secrets: vec![secret], ..Default::default() }
    }

    /// The ERP issues an invoice at `now` (see [`Ledger::issue_invoice`]).
    pub fn issue_invoice(&mut self, reference: String, amount_cents: i64, now: Instant) -> InvoiceId {
        self.ledger.issue_invoice(reference, amount_cents, now)
    }

    /// Bridge answered the create call: the invoice has its link (see [`Ledger::link_created`]).
    pub fn link_created(&mut self, invoice: InvoiceId, link_id: String, now: Instant, expires_at: Instant) {
        self.ledger.link_created(invoice, link_id, now, expires_at);
    }

    /// The operator installs `secret` as the only webhook secret the ERP accepts (the end of a
    /// rotation): deliveries signed with any other secret are refused from now on.
    pub fn install_secret(&mut self, secret: Vec<u8>) {
        self.secrets = vec![secret];
    }

    /// The ledger, to read.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The ledger, for the recovery job: writes go through the ledger's verbs, which keep its
    /// idempotency rules.
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    /// The last deliveries handled, oldest first: all of them up to `RECEIVED_MEMORY`, then
    /// the latest ones only (the counts by outcome cover every delivery, see [`Self::outcomes`]).
    pub fn received(&self) -> &VecDeque<ReceivedWebhook> {
        &self.received
    }

    /// The last delivery handled.
    pub fn last_received(&self) -> Option<&ReceivedWebhook> {
        self.received.back()
    }

    /// Deliveries handled, counted by outcome.
    pub fn outcomes(&self) -> &BTreeMap<WebhookOutcome, u64> {
        &self.outcomes
    }

    /// How many deliveries ended with `outcome`.
    pub fn outcome_count(&self, outcome: WebhookOutcome) -> u64 {
        self.outcomes.get(&outcome).copied().unwrap_or(0)
    }

    fn note(&mut self, at: Instant, outcome: WebhookOutcome, subject: Option<&str>) {
        *self.outcomes.entry(outcome).or_insert(0) += 1;
        if self.received.len() == RECEIVED_MEMORY {
            self.received.pop_front();
        }
        self.received.push_back(ReceivedWebhook { at, outcome, subject: subject.map(str::to_string) });
    }
}

impl crate::net::Service for Erp {
    fn handle(&mut self, now: Instant, request: &crate::net::Request) -> crate::net::Response {
        self.handle_webhook(now, request)
    }
}

#[cfg(test)]
mod tests;

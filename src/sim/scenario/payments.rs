//! The scenario's `payments` section (SPEC 4): the invoices the ERP issues, how payers behave,
//! the recovery job's settings, Bridge's API limits and what happens to webhook deliveries.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::retry_spec::{JitterSpec, RetrySpec};
use crate::time::Duration;
use crate::world::dist::DurationDist;

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentsSection {
    /// The cron job (by id) that is the recovery job "Récupération des paiements Bridge".
    pub recovery_job: u32,
    /// Invoices issued per day, at uniform random instants; each gets a payment link.
    pub invoices_per_day: f64,
    /// Invoice amounts (euros), uniform between the two bounds.
    #[serde(default = "default_amounts")]
    pub amount_eur: [f64; 2],
    /// The link's validity asked from Bridge (`expired_date` = creation + this; at most 90 d).
    #[serde(default = "default_validity")]
    pub link_validity: Duration,
    #[serde(default)]
    pub payers: PayersSpec,
    /// The recovery job revokes links still unpaid this long after creation (Dolibarr
    /// "Révocation automatique ... selon le délai configuré").
    #[serde(default = "default_revoke_after")]
    pub revoke_after: Duration,
    /// Settled records untouched this long are archived (Dolibarr: "Nettoyage").
    #[serde(default = "default_archive_after")]
    pub archive_after: Duration,
    /// `limit` of each payment-requests page the job asks for.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// The ERP's retry policy for API calls (link creation and the recovery job).
    #[serde(default = "default_api_retry")]
    pub api_retry: RetrySpec,
    /// Bridge's API rate limit: requests per window (2000 per 5 minutes).
    #[serde(default = "default_rate_limit")]
    pub rate_limit: u32,
    #[serde(default = "default_rate_window")]
    pub rate_window: Duration,
    #[serde(default)]
    pub webhooks: WebhooksSpec,
    /// What the ERP does when the recovery job finds a completed link whose confirmed payment
    /// the bank rejected (docs.bridgeapi.io "Payment links statuses": the link stays
    /// `completed`, "you have to create a new payment link to get paid"): `new_link` (default)
    /// asks Bridge for a new link for the invoice; `report` only reports the invoice as
    /// "rejected — a new link is needed" (`payments.links.rejected_after_completion`).
    #[serde(default)]
    pub on_rejected_after_completion: RejectedPolicy,
    /// What Bridge answers to a revoke *(model choice: the body of API version 2025-01-15 is
    /// not documented, the older version's example is empty, and revoking a completed link is
    /// reported to give a 4xx)*: `link` (default: 200 with the link), `empty` (200, empty body),
    /// `empty_or_400` (200 empty for a valid link, 400 for a final one). The recovery job
    /// confirms with a read whenever the answer does not say what became of the link.
    #[serde(default)]
    pub bridge_revoke_answer: RevokeAnswerSpec,
    /// Whether Bridge's 429 (its rate limit) carries `Retry-After` *(model choice: not in the
    /// docs; default false, so the ERP's own backoff spaces its retries)*.
    #[serde(default)]
    pub bridge_retry_after: bool,
}

/// The scenario's spelling of [`crate::world::bridge::RevokeAnswer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevokeAnswerSpec {
    #[default]
    Link,
    Empty,
    #[serde(rename = "empty_or_400")]
    EmptyOr400,
}

/// The ERP's policy for an invoice whose link was rejected after completion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectedPolicy {
    #[default]
    NewLink,
    Report,
}

impl RejectedPolicy {
    pub fn name(self) -> &'static str {
        match self {
            RejectedPolicy::NewLink => "new_link",
            RejectedPolicy::Report => "report",
        }
    }
}

/// How the invoices' payers behave.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PayersSpec {
    /// Share of invoices whose payer opens the link and pays.
    #[serde(default = "default_pay_share")]
    pub pay_share: f64,
    /// From the link's creation to the payer's first attempt.
    #[serde(default = "default_pay_delay")]
    pub pay_delay: DurationDist,
    /// From the attempt (CREA) to its final status at the bank.
    #[serde(default = "default_settle_delay")]
    pub settle_delay: DurationDist,
    /// Share of attempts the bank rejects (RJCT) after the payer confirmed them: the link is
    /// completed and stays so (docs.bridgeapi.io "Payment links statuses"), no new attempt can
    /// be made on it.
    #[serde(default)]
    pub reject_share: f64,
    /// Share of attempts the payer abandons at the bank before confirming: the request ends
    /// `RJCT` and the link stays `valid` (it completes only on a confirmation), so it can be
    /// tried again (`retry_share`), expire, or be revoked.
    #[serde(default)]
    pub abandon_share: f64,
    /// Share of attempts that wait in `PDNG` (pending, e.g. a SEPA transfer that is not instant)
    /// before their final status: `ACTC`, then `PDNG` after `settle_delay`, then the final
    /// status `pending_delay` later (CREA, ACTC, PDNG in progress).
    #[serde(default)]
    pub pending_share: f64,
    #[serde(default = "default_pending_delay")]
    pub pending_delay: DurationDist,
    /// Share of payers who abandoned at the bank and try again on the same link.
    #[serde(default)]
    pub retry_share: f64,
    #[serde(default = "default_retry_delay")]
    pub retry_delay: DurationDist,
    /// Share of non-paying payers who try anyway after the link expired or was revoked.
    #[serde(default)]
    pub late_share: f64,
}

impl Default for PayersSpec {
    fn default() -> Self {
        PayersSpec {
            pay_share: default_pay_share(),
            pay_delay: default_pay_delay(),
            settle_delay: default_settle_delay(),
            reject_share: 0.0,
            abandon_share: 0.0,
            pending_share: 0.0,
            pending_delay: default_pending_delay(),
            retry_share: 0.0,
            retry_delay: default_retry_delay(),
            late_share: 0.0,
        }
    }
}

/// What happens to Bridge's webhook deliveries (at least once; lost, delayed,
/// duplicated, reordered). A receiver that is down is a `faults.webhooks` outage.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhooksSpec {
    /// Whether Bridge has a webhook configured at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Share of events never delivered at all (lost before the first attempt).
    #[serde(default)]
    pub loss: f64,
    /// Share of events delivered twice (the copy leaves `duplicate_after` later).
    #[serde(default)]
    pub duplicate: f64,
    #[serde(default = "default_duplicate_after")]
    pub duplicate_after: DurationDist,
    /// Delay between the event and its first attempt; varied delays reorder deliveries.
    #[serde(default = "default_webhook_delay")]
    pub delay: DurationDist,
    /// Bridge's retry schedule for failed deliveries *(model choice: the public source says
    /// "1–2 days")*: exponential from 1 min, capped at 12 h, 12 attempts within 48 h.
    #[serde(default = "default_webhook_retry")]
    pub retry: RetrySpec,
    /// The signing secret both sides start with.
    #[serde(default = "default_secret")]
    pub secret: String,
}

impl Default for WebhooksSpec {
    fn default() -> Self {
        WebhooksSpec {
            enabled: true,
            loss: 0.0,
            duplicate: 0.0,
            duplicate_after: default_duplicate_after(),
            delay: default_webhook_delay(),
            retry: default_webhook_retry(),
            secret: default_secret(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_amounts() -> [f64; 2] {
    [20.0, 900.0]
}
fn default_validity() -> Duration {
    Duration::from_days(7)
}
fn default_revoke_after() -> Duration {
    Duration::from_days(3)
}
fn default_archive_after() -> Duration {
    Duration::from_days(30)
}
fn default_page_size() -> u32 {
    50
}
fn default_rate_limit() -> u32 {
    2000
}
fn default_rate_window() -> Duration {
    Duration::from_mins(5)
}
fn default_pay_share() -> f64 {
    0.9
}
fn default_pay_delay() -> DurationDist {
    DurationDist::Uniform([Duration::from_mins(5), Duration::from_days(2)])
}
fn default_settle_delay() -> DurationDist {
    DurationDist::Uniform([Duration::from_secs(5), Duration::from_mins(30)])
}
/// *(model choice)* a non-instant SEPA credit transfer settles within a business day or two.
fn default_pending_delay() -> DurationDist {
    DurationDist::Uniform([Duration::from_hours(1), Duration::from_days(2)])
}
fn default_retry_delay() -> DurationDist {
    DurationDist::Uniform([Duration::from_mins(10), Duration::from_hours(2)])
}
fn default_duplicate_after() -> DurationDist {
    DurationDist::Uniform([Duration::from_secs(1), Duration::from_mins(10)])
}
fn default_webhook_delay() -> DurationDist {
    DurationDist::Uniform([Duration::from_ms(200), Duration::from_secs(3)])
}
fn default_secret() -> String {
    "whsec_syncsim".into()
}
/// *(model choice)* 3 attempts, base 2 s, cap 30 s, full jitter, Retry-After honoured, 10 s per
/// attempt, 2 min in all: a run does not wait longer than that on one call.
pub fn default_api_retry() -> RetrySpec {
    RetrySpec {
        max_attempts: 3,
        base: Duration::from_secs(2),
        cap: Duration::from_secs(30),
        jitter: JitterSpec::Full,
        honour_retry_after: true,
        attempt_timeout: Duration::from_secs(10),
        deadline: Some(Duration::from_mins(2)),
    }
}
pub fn default_webhook_retry() -> RetrySpec {
    RetrySpec {
        max_attempts: 12,
        base: Duration::MINUTE,
        cap: Duration::from_hours(12),
        jitter: JitterSpec::None,
        honour_retry_after: false,
        attempt_timeout: Duration::from_secs(30),
        deadline: Some(Duration::from_days(2)),
    }
}

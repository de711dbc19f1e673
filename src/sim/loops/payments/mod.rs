//! Bridge payments in the jobs loop (SPEC 4): invoices get links through the API, payers pay
//! (or not) at Bridge, Bridge's events go out as signed webhook deliveries that the network may
//! lose, delay, duplicate or reorder, and the recovery job (`logic::bridge::recovery`) runs under
//! the cron runner, one API call at a time.
//!
//! [`PaySim`] is the harness between the parts: the world (`world::bridge`: Bridge, its payers,
//! its webhook deliveries), the code under test (`logic::bridge`: the ERP's ledger, receiver and
//! recovery job) and the jobs loop. It never touches the event queue or the network itself: its
//! verbs return [`Out`]s (schedule this, make that call, this run is finished) that
//! `sim::loops::jobs` carries out, so every call goes through the same fault plan, transport and
//! retry code as the heartbeats.
//!
//! - [`invoices`]: an invoice's journey: issued, its link created, its payer's attempts, the
//!   bank's moves.
//! - [`deliveries`]: Bridge's events to webhook deliveries; forged and replayed ones; rotation.
//! - [`recovery`]: the recovery job's runs, one call at a time.
//! - [`calls`]: what came of each call (counted once, in [`crate::sim::engine::calls::CallCounters`]), and the trace of
//!   the ledger's records.

mod calls;
mod deliveries;
mod invoices;
mod lines;
pub mod log;
mod recovery;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::logic::bridge::Erp;
use crate::logic::bridge::recovery::{ApiAuth, RecoveryRun};
use crate::logic::retry::{RetryPolicy, RetryState};
use crate::logic::uniform;
use crate::net::Request;
use crate::rng;
use crate::sim::engine::trace::Trace;
use crate::sim::engine::transport::Link;
use crate::sim::scenario::jobs_plan::JobsPlan;
use crate::sim::scenario::payments::{PaymentsSection, RevokeAnswerSpec};
use crate::time::{Duration, Instant};
use crate::world::bridge::{
    BridgeConfig, BridgeWorld, DeliveryId, DeliverySettings, PayerBehaviour, Payers, RequestStatus, RevokeAnswer, Webhooks,
};

pub use log::{CallCounters, PayLog, RecoveryRunLog};

/// The path the ERP's receiver listens on.
pub use crate::logic::bridge::receiver::PATH as WEBHOOK_PATH;

/// Events of the payments world, scheduled in the jobs loop's queue.
#[derive(Clone, Copy, Debug)]
pub enum PayEv {
    /// The ERP issues invoice n and asks Bridge for its link.
    Invoice(u32),
    /// The invoice's payer opens the link and tries to pay (attempt 0, 1 for a second try...).
    Attempt { invoice: u32, attempt: u8 },
    /// A payer who did not pay tries after the link expired or was revoked.
    LateAttempt { invoice: u32 },
    /// The bank moves request n (index in `PaySim::requests`) on.
    Advance { request: u32, status: RequestStatus, reason: Option<&'static str>, attempt: u8 },
    /// Bridge notices expired links.
    Expiry,
    /// A webhook delivery leaves Bridge (its index in `Webhooks`).
    Deliver(DeliveryId),
    /// Bridge stops signing with the old secret.
    RotationEnd,
    /// The ERP's operator installs the new secret.
    ErpSecretUpdate,
}

/// What a call is for.
#[derive(Clone, Debug)]
pub enum PayCall {
    /// `replacement`: a new link for an invoice whose earlier link was rejected after completion.
    CreateLink {
        invoice: u32,
        replacement: bool,
    },
    Recovery {
        process: u32,
    },
    Webhook {
        delivery: DeliveryId,
    },
    Forged,
    Replay,
}

/// What [`PaySim`] asks the loop to do.
pub enum Out {
    At(Instant, PayEv),
    Call {
        link: Link,
        request: Request,
        retry: RetryState,
        purpose: PayCall,
    },
    /// The recovery run of `process` made its last call: end the job `after` its own processing.
    Finished {
        process: u32,
        ok: bool,
        after: Duration,
    },
}

/// An invoice the ERP will issue.
#[derive(Clone, Copy, Debug)]
struct PlannedInvoice {
    at: Instant,
    amount_cents: i64,
}

/// A payment request a payer started (events name it by its index).
#[derive(Clone, Debug)]
struct StartedRequest {
    id: String,
    invoice: u32,
}

/// A recovery run in progress, in the cron process that runs it.
struct Active {
    run: RecoveryRun,
    /// The job's own processing after its last call.
    after: Duration,
    started: Instant,
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a service panicked earlier: a bug, not data.
    m.lock().expect("payments lock")
}

/// The invoice's reference, which is the link's `client_reference`.
pub fn invoice_reference(n: u32) -> String {
    format!("INV-{:06}", n + 1)
}

pub struct PaySim {
    spec: PaymentsSection,
    pub bridge: Arc<Mutex<BridgeWorld>>,
    pub erp: Arc<Mutex<Erp>>,
    auth: ApiAuth,
    api_policy: RetryPolicy,
    payers: Payers,
    /// The payers of replacement links draw from their own stream, so a variant that issues new
    /// links leaves every other payer's draws where they were (common random numbers).
    replacement_payers: Payers,
    webhooks: Webhooks,
    invoices: Vec<PlannedInvoice>,
    /// Each invoice's link, once the create call answered (the latest, after a replacement).
    links: Vec<Option<String>>,
    /// Whether the invoice's current link is a replacement (its payer draws from
    /// `replacement_payers`).
    replaced: Vec<bool>,
    requests: Vec<StartedRequest>,
    /// What the receiver did with the last attempt of each delivery that reached it.
    receivers: BTreeMap<DeliveryId, &'static str>,
    scheduled_expiry: Option<Instant>,
    /// Recovery runs in progress, by cron process.
    active: BTreeMap<u32, Active>,
    /// How many of the ledger's records the trace has told.
    traced_records: usize,
    pub log: PayLog,
}

impl PaySim {
    /// The payments side of `plan`, or `None` when it has no payments.
    pub fn new(plan: &JobsPlan) -> Option<Self> {
        let (spec, seed) = (plan.payments.as_ref()?, plan.seed);
        let revoke_answer = match spec.bridge_revoke_answer {
            RevokeAnswerSpec::Link => RevokeAnswer::Link,
            RevokeAnswerSpec::Empty => RevokeAnswer::Empty,
            RevokeAnswerSpec::EmptyOr400 => RevokeAnswer::EmptyOr400,
        };
        let bridge_config = BridgeConfig {
            rate_limit: spec.rate_limit,
            rate_window: spec.rate_window,
            revoke_answer,
            retry_after_on_429: spec.bridge_retry_after,
            ..BridgeConfig::default()
        };
        let auth = ApiAuth {
            client_id: bridge_config.client_id.clone(),
            client_secret: bridge_config.client_secret.clone(),
            version: bridge_config.api_version.clone(),
        };
        let secret = spec.webhooks.secret.as_bytes().to_vec();
        let p = &spec.payers;
        let behaviour = PayerBehaviour {
            pay_share: p.pay_share,
            pay_delay: p.pay_delay,
            settle_delay: p.settle_delay,
            reject_share: p.reject_share,
            abandon_share: p.abandon_share,
            pending_share: p.pending_share,
            pending_delay: p.pending_delay,
            retry_share: p.retry_share,
            retry_delay: p.retry_delay,
            late_share: p.late_share,
        };
        let w = &spec.webhooks;
        let delivery = DeliverySettings {
            enabled: w.enabled,
            loss: w.loss,
            duplicate: w.duplicate,
            duplicate_after: w.duplicate_after,
            delay: w.delay,
            retry: w.retry.policy(),
            secret: secret.clone(),
        };
        let invoices = plan_invoices(plan.start, plan.end, spec, seed);
        Some(PaySim {
            spec: spec.clone(),
            bridge: Arc::new(Mutex::new(BridgeWorld::new(bridge_config))),
            erp: Arc::new(Mutex::new(Erp::new(secret))),
            auth,
            api_policy: spec.api_retry.policy(),
            payers: Payers::new(behaviour, rng::stream(seed, "payments.payers")),
            replacement_payers: Payers::new(behaviour, rng::stream(seed, "payments.payers.replacements")),
            webhooks: Webhooks::new(delivery, rng::stream(seed, "payments.webhooks")),
            links: vec![None; invoices.len()],
            replaced: vec![false; invoices.len()],
            invoices,
            requests: Vec::new(),
            receivers: BTreeMap::new(),
            scheduled_expiry: None,
            active: BTreeMap::new(),
            traced_records: 0,
            log: PayLog::default(),
        })
    }

    pub fn revoke_after(&self) -> Duration {
        self.spec.revoke_after
    }

    pub fn recovery_job(&self) -> u32 {
        self.spec.recovery_job
    }

    /// The events to schedule before the loop starts.
    pub fn initial(&self) -> Vec<Out> {
        self.invoices.iter().enumerate().map(|(i, inv)| Out::At(inv.at, PayEv::Invoice(i as u32))).collect()
    }

    fn api_call(&self, request: Request, now: Instant, purpose: PayCall) -> Out {
        Out::Call { link: Link::BridgeApi, request: self.auth.sign(request), retry: RetryState::new(&self.api_policy, now), purpose }
    }

    /// Handle one of this module's events at `now`.
    pub fn handle(&mut self, now: Instant, ev: PayEv, trace: &mut Trace<'_>) -> Vec<Out> {
        let mut out = Vec::new();
        match ev {
            PayEv::Invoice(i) => out.push(self.issue_invoice(now, i, trace)),
            PayEv::Attempt { invoice, attempt } => self.attempt(now, invoice, attempt, false, &mut out, trace),
            PayEv::LateAttempt { invoice } => self.attempt(now, invoice, 0, true, &mut out, trace),
            PayEv::Advance { request, status, reason, attempt } => self.advance(now, request, status, reason, attempt, &mut out, trace),
            PayEv::Expiry => {
                self.scheduled_expiry = None;
                lock(&self.bridge).handle_timeout(now);
            }
            PayEv::Deliver(d) => out.push(self.deliver(now, d)),
            PayEv::RotationEnd => self.end_rotation(now, trace),
            PayEv::ErpSecretUpdate => self.install_rotated_secret(now, trace),
        }
        self.after_world_change(now, &mut out, trace);
        out
    }
}

/// Invoices at uniform instants over the run, with uniform amounts, from their own stream,
/// sorted by instant.
fn plan_invoices(start: Instant, end: Instant, spec: &PaymentsSection, seed: u64) -> Vec<PlannedInvoice> {
    let mut plan = rng::stream(seed, "payments.invoices");
    let span = (end - start).as_ms();
    let n = (spec.invoices_per_day * span as f64 / Duration::DAY.as_ms() as f64).round().max(0.0) as u64;
    let [lo, hi] = spec.amount_eur;
    let (lo_c, hi_c) = ((lo * 100.0).round() as i64, (hi * 100.0).round() as i64);
    let mut invoices: Vec<PlannedInvoice> = (0..n)
        .map(|_| {
            let at = start + Duration::from_ms(uniform::between(&mut plan, 0, span.max(1) - 1));
            PlannedInvoice { at, amount_cents: uniform::between(&mut plan, lo_c, hi_c.max(lo_c)) }
        })
        .collect();
    invoices.sort_by_key(|inv| inv.at);
    invoices
}

//! Bridge payments in the jobs loop (SPEC 4): invoices get links through the API, payers pay
//! (or not) at Bridge, Bridge's events go out as signed webhook deliveries that the network may
//! lose, delay, duplicate or reorder, and the recovery job (`logic::bridge::recovery`) runs under
//! the cron runner, one API call at a time.
//!
//! [`PaySim`] never touches the event queue or the network itself: its verbs return [`Out`]s
//! (schedule this, make that call, this run is finished) that `sim::loops::jobs` carries out, so
//! every call goes through the same fault plan, transport and retry code as the heartbeats.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::logic::bridge::Erp;
use crate::logic::bridge::recovery::{ApiAuth, CallResult, Duty, RecoveryRun, RecoverySettings, RunNote};
use crate::logic::bridge::signature;
use crate::logic::retry::{AttemptOutcome, Next, RetryPolicy, RetryState};
use crate::logic::uniform::{self, Probability};
use crate::net::{Method, Request, Response};
use crate::rng;
use crate::sim::engine::calls::{next_word, wire_words};
use crate::sim::engine::trace::Trace;
use crate::sim::engine::transport::Link;
use crate::sim::scenario::Scenario;
use crate::sim::scenario::payments::PaymentsSection;
use crate::time::{Duration, Instant};
use crate::world::bridge::{BridgeConfig, BridgeEvent, BridgeWorld, EventType, PayRefused, RequestStatus};

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
    Advance { request: u32, status: RequestStatus, attempt: u8 },
    /// Bridge notices expired links.
    Expiry,
    /// A webhook delivery leaves Bridge (index in `PaySim::deliveries`).
    Deliver(u32),
    /// Bridge stops signing with the old secret.
    RotationEnd,
    /// The ERP's operator installs the new secret.
    ErpSecretUpdate,
}

/// What a call is for.
#[derive(Clone, Debug)]
pub enum PayCall {
    CreateLink { invoice: u32 },
    Recovery { process: u32 },
    Webhook { delivery: u32 },
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

/// One webhook delivery: the event's bytes and what the trace says of it.
struct Delivery {
    body: Vec<u8>,
    signature: String,
    kind: EventType,
    subject: String,
    copy: bool,
    /// What the receiver did with the last attempt that reached it.
    receiver: Option<&'static str>,
}

struct Active {
    run: RecoveryRun,
    after: Duration,
    started: Instant,
}

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

/// What happened, for the report (what the world and the ledger hold at the end is read there).
#[derive(Clone, Debug, Default)]
pub struct PayLog {
    pub invoices: u64,
    pub links_created: u64,
    pub links_not_created: u64,
    pub payer_attempts: u64,
    pub payer_refused: BTreeMap<&'static str, u64>,
    pub events: u64,
    pub webhooks_lost: u64,
    pub webhooks_duplicated: u64,
    pub deliveries: u64,
    pub delivery_attempts: u64,
    pub deliveries_given_up: u64,
    pub delivery_answers: BTreeMap<u16, u64>,
    pub delivery_refused: u64,
    pub delivery_timed_out: u64,
    pub forged_sent: u64,
    pub replayed_sent: u64,
    pub api_attempts: u64,
    pub api_answers: BTreeMap<u16, u64>,
    pub api_refused: u64,
    pub api_timed_out: u64,
    pub api_given_up: u64,
    pub runs: Vec<RecoveryRunLog>,
}

#[derive(Serialize)]
struct InvoiceLine<'a> {
    invoice: &'a str,
    amount_cents: i64,
}

#[derive(Serialize)]
struct LinkLine<'a> {
    invoice: &'a str,
    link: Option<&'a str>,
    expires_at: Option<String>,
}

#[derive(Serialize)]
struct PayerLine<'a> {
    invoice: &'a str,
    link: &'a str,
    attempt: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<&'static str>,
}

#[derive(Serialize)]
struct RequestLine<'a> {
    request: &'a str,
    link: &'a str,
    status: &'static str,
}

#[derive(Serialize)]
struct WebhookLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    subject: &'a str,
    copy: bool,
    attempt: u32,
    wire: &'static str,
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver: Option<&'static str>,
    next: &'static str,
}

#[derive(Serialize)]
struct LostLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    subject: &'a str,
}

#[derive(Serialize)]
struct ApiLine<'a> {
    caller: &'static str,
    method: &'static str,
    path: &'a str,
    #[serde(skip_serializing_if = "String::is_empty")]
    query: String,
    attempt: u32,
    wire: &'static str,
    status: Option<u16>,
    next: &'static str,
}

#[derive(Serialize)]
struct RecordLine<'a> {
    request: &'a str,
    link: &'a str,
    invoice: Option<&'a str>,
    path: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    acsc_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_ms: Option<i64>,
}

#[derive(Serialize)]
struct RevokeLine<'a> {
    link: &'a str,
    outcome: &'static str,
}

#[derive(Serialize)]
struct RunLine {
    ok: bool,
    calls: u32,
    failed_calls: u32,
    pages: u32,
    recorded: u32,
    refreshed: u32,
    revoked: u32,
    archived: u64,
}

#[derive(Serialize)]
struct SecretLine {
    change: &'static str,
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a service panicked earlier: a bug, not data.
    m.lock().expect("payments lock")
}

fn refused_name(r: PayRefused) -> &'static str {
    match r {
        PayRefused::UnknownLink => "unknown_link",
        PayRefused::Expired => "expired",
        PayRefused::Revoked => "revoked",
        PayRefused::AlreadyPaid => "already_paid",
        PayRefused::InProgress => "in_progress",
    }
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
    webhook_policy: RetryPolicy,
    payers: ChaCha8Rng,
    hooks: ChaCha8Rng,
    invoices: Vec<(Instant, i64)>,
    links: Vec<Option<String>>,
    /// Payment requests by index (events carry the index): (id, invoice).
    requests: Vec<(String, u32)>,
    deliveries: Vec<Delivery>,
    signing: Vec<Vec<u8>>,
    rotated: Option<Vec<u8>>,
    accepted: VecDeque<u32>,
    scheduled_expiry: Option<Instant>,
    active: BTreeMap<u32, Active>,
    traced_records: usize,
    pub log: PayLog,
}

/// Deliveries kept for `webhook_replay` events.
const REPLAY_MEMORY: usize = 256;

impl PaySim {
    pub fn new(scenario: &Scenario, spec: &PaymentsSection, seed: u64) -> Self {
        let bridge_config = BridgeConfig { rate_limit: spec.rate_limit, rate_window: spec.rate_window, ..BridgeConfig::default() };
        let auth = ApiAuth {
            client_id: bridge_config.client_id.clone(),
            client_secret: bridge_config.client_secret.clone(),
            version: bridge_config.api_version.clone(),
        };
        let secret = spec.webhooks.secret.as_bytes().to_vec();
        // Invoices at uniform instants over the run, from their own stream.
        let mut plan = rng::stream(seed, "payments.invoices");
        let span = (scenario.end - scenario.start).as_ms();
        let n = (spec.invoices_per_day * span as f64 / Duration::DAY.as_ms() as f64).round().max(0.0) as u64;
        let [lo, hi] = spec.amount_eur;
        let (lo_c, hi_c) = ((lo * 100.0).round() as i64, (hi * 100.0).round() as i64);
        let mut invoices: Vec<(Instant, i64)> = (0..n)
            .map(|_| {
                let at = scenario.start + Duration::from_ms(uniform::between(&mut plan, 0, span.max(1) - 1));
                (at, uniform::between(&mut plan, lo_c, hi_c.max(lo_c)))
            })
            .collect();
        invoices.sort_by_key(|(at, _)| *at);
        PaySim {
            spec: spec.clone(),
            bridge: Arc::new(Mutex::new(BridgeWorld::new(bridge_config))),
            erp: Arc::new(Mutex::new(Erp::new(secret.clone()))),
            auth,
            api_policy: spec.api_retry.policy(),
            webhook_policy: spec.webhooks.retry.policy(),
            payers: rng::stream(seed, "payments.payers"),
            hooks: rng::stream(seed, "payments.webhooks"),
            links: vec![None; invoices.len()],
            invoices,
            requests: Vec::new(),
            deliveries: Vec::new(),
            signing: vec![secret],
            rotated: None,
            accepted: VecDeque::new(),
            scheduled_expiry: None,
            active: BTreeMap::new(),
            traced_records: 0,
            log: PayLog::default(),
        }
    }

    pub fn revoke_after(&self) -> Duration {
        self.spec.revoke_after
    }

    pub fn recovery_job(&self) -> u32 {
        self.spec.recovery_job
    }

    /// The events to schedule before the loop starts.
    pub fn initial(&self) -> Vec<Out> {
        self.invoices.iter().enumerate().map(|(i, (at, _))| Out::At(*at, PayEv::Invoice(i as u32))).collect()
    }

    fn api_call(&self, request: Request, now: Instant, purpose: PayCall) -> Out {
        Out::Call { link: Link::BridgeApi, request: self.auth.sign(request), retry: RetryState::new(&self.api_policy, now), purpose }
    }

    /// Handle one of this module's events at `now`.
    pub fn handle(&mut self, now: Instant, ev: PayEv, trace: &mut Trace<'_>) -> Vec<Out> {
        let mut out = Vec::new();
        match ev {
            PayEv::Invoice(i) => {
                let (_, amount) = self.invoices[i as usize];
                let reference = invoice_reference(i);
                lock(&self.erp).ledger.add_invoice(reference.clone(), amount, now);
                self.log.invoices += 1;
                if trace.enabled() {
                    trace.record(now, "erp", "invoice", &InvoiceLine { invoice: &reference, amount_cents: amount });
                }
                let body = serde_json::json!({
                    "client_reference": reference,
                    "transactions": [{"amount": amount as f64 / 100.0, "currency": "EUR", "label": format!("Invoice {reference}")}],
                    "expired_date": (now + self.spec.link_validity).to_rfc3339(),
                });
                let request = Request::new(Method::Post, "/v3/payment/payment-links")
                    .header("content-type", "application/json")
                    .body(serde_json::to_vec(&body).unwrap_or_default());
                out.push(self.api_call(request, now, PayCall::CreateLink { invoice: i }));
            }
            PayEv::Attempt { invoice, attempt } => self.attempt(now, invoice, attempt, false, &mut out, trace),
            PayEv::LateAttempt { invoice } => self.attempt(now, invoice, 0, true, &mut out, trace),
            PayEv::Advance { request, status, attempt } => {
                let (id, invoice) = self.requests[request as usize].clone();
                let reason = (status == RequestStatus::Rjct).then_some("AM04");
                let moved = lock(&self.bridge).advance_request(now, &id, status, reason);
                if moved && trace.enabled() {
                    let link = lock(&self.bridge).request(&id).map(|r| r.link_id.clone()).unwrap_or_default();
                    trace.record(now, "bridge", "request", &RequestLine { request: &id, link: &link, status: status.as_str() });
                }
                if moved && status == RequestStatus::Rjct && attempt == 0 {
                    // A rejected payer may try again on the same link (SPEC 4.1: several requests per link).
                    let again = Probability::from_f64(self.spec.payers.retry_share).chance(&mut self.payers);
                    let wait = self.spec.payers.retry_delay.draw(&mut self.payers);
                    if again {
                        out.push(Out::At(now + wait, PayEv::Attempt { invoice, attempt: 1 }));
                    }
                }
            }
            PayEv::Expiry => {
                self.scheduled_expiry = None;
                lock(&self.bridge).expire_due(now);
            }
            PayEv::Deliver(d) => {
                let delivery = &self.deliveries[d as usize];
                let request = Request::new(Method::Post, WEBHOOK_PATH)
                    .header("content-type", "application/json")
                    .header(signature::HEADER, delivery.signature.clone())
                    .body(delivery.body.clone());
                self.log.deliveries += 1;
                out.push(Out::Call {
                    link: Link::Webhooks,
                    request,
                    retry: RetryState::new(&self.webhook_policy, now).retrying_every_failure(),
                    purpose: PayCall::Webhook { delivery: d },
                });
            }
            PayEv::RotationEnd => {
                if let Some(new) = self.rotated.clone() {
                    self.signing = vec![new];
                    if trace.enabled() {
                        trace.record(now, "bridge", "secret", &SecretLine { change: "old secret retired" });
                    }
                }
            }
            PayEv::ErpSecretUpdate => {
                if let Some(new) = self.rotated.clone() {
                    lock(&self.erp).secrets = vec![new];
                    if trace.enabled() {
                        trace.record(now, "erp", "secret", &SecretLine { change: "new secret installed" });
                    }
                }
            }
        }
        self.after_world_change(now, &mut out, trace);
        out
    }

    fn attempt(&mut self, now: Instant, invoice: u32, attempt: u8, late: bool, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        let Some(link) = self.links[invoice as usize].clone() else { return };
        self.log.payer_attempts += 1;
        let result = lock(&self.bridge).initiate_payment(now, &link);
        let reference = invoice_reference(invoice);
        match result {
            Ok(request) => {
                let index = self.requests.len() as u32;
                self.requests.push((request.clone(), invoice));
                if trace.enabled() {
                    trace.record(
                        now,
                        "payer",
                        "attempt",
                        &PayerLine { invoice: &reference, link: &link, attempt, request: Some(&request), refused: None },
                    );
                }
                // Draws in a fixed order: reject, settle delay, then pending and its delay only
                // when the scenario has pending payments (so adding the rule changed no report).
                let p = &self.spec.payers;
                let reject = Probability::from_f64(p.reject_share).chance(&mut self.payers);
                let settle = p.settle_delay.draw(&mut self.payers);
                let pending = p.pending_share > 0.0 && Probability::from_f64(p.pending_share).chance(&mut self.payers);
                let status = if reject { RequestStatus::Rjct } else { RequestStatus::Acsc };
                // The bank accepts the initiation first (ACTC), then settles, or first waits in
                // PDNG for `pending_delay`.
                out.push(Out::At(
                    now + Duration::from_ms(settle.as_ms() / 2),
                    PayEv::Advance { request: index, status: RequestStatus::Actc, attempt },
                ));
                let settled_at = if pending {
                    out.push(Out::At(now + settle, PayEv::Advance { request: index, status: RequestStatus::Pdng, attempt }));
                    now + settle + p.pending_delay.draw(&mut self.payers)
                } else {
                    now + settle
                };
                out.push(Out::At(settled_at, PayEv::Advance { request: index, status, attempt }));
            }
            Err(r) => {
                *self.log.payer_refused.entry(refused_name(r)).or_insert(0) += 1;
                if trace.enabled() {
                    trace.record(
                        now,
                        "payer",
                        if late { "late_attempt" } else { "attempt" },
                        &PayerLine { invoice: &reference, link: &link, attempt, request: None, refused: Some(refused_name(r)) },
                    );
                }
            }
        }
    }

    /// Bridge may have emitted events and changed its next expiry: turn events into deliveries
    /// and keep one expiry event scheduled.
    fn after_world_change(&mut self, now: Instant, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        let (events, next_expiry) = {
            let mut b = lock(&self.bridge);
            (b.drain_events(), b.poll_timeout())
        };
        for e in events {
            self.emit(now, e, out, trace);
        }
        if let Some(t) = next_expiry {
            if self.scheduled_expiry.is_none_or(|s| t < s) {
                self.scheduled_expiry = Some(t);
                out.push(Out::At(t.max(now), PayEv::Expiry));
            }
        }
    }

    fn emit(&mut self, now: Instant, e: BridgeEvent, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        self.log.events += 1;
        if !self.spec.webhooks.enabled {
            return;
        }
        let subject = ["payment_request_id", "payment_link_id"]
            .iter()
            .find_map(|k| e.content.get(*k).and_then(|v| v.as_str()))
            .unwrap_or("")
            .to_string();
        // Draws in a fixed order: lost, delay, duplicate, duplicate's delay.
        let w = &self.spec.webhooks;
        let lost = Probability::from_f64(w.loss).chance(&mut self.hooks);
        let delay = w.delay.draw(&mut self.hooks);
        let duplicate = Probability::from_f64(w.duplicate).chance(&mut self.hooks);
        let copy_after = w.duplicate_after.draw(&mut self.hooks);
        if lost {
            self.log.webhooks_lost += 1;
            if trace.enabled() {
                trace.record(now, "webhook", "lost", &LostLine { kind: e.kind.name(), subject: &subject });
            }
            return;
        }
        let body = e.body();
        let secrets: Vec<&[u8]> = self.signing.iter().map(|s| s.as_slice()).collect();
        let sig = signature::header_value(&secrets, &body);
        let copies = if duplicate { 2 } else { 1 };
        for c in 0..copies {
            let d = self.deliveries.len() as u32;
            self.deliveries.push(Delivery {
                body: body.clone(),
                signature: sig.clone(),
                kind: e.kind,
                subject: subject.clone(),
                copy: c == 1,
                receiver: None,
            });
            let at = if c == 0 { now + delay } else { now + delay + copy_after };
            out.push(Out::At(at, PayEv::Deliver(d)));
        }
        if duplicate {
            self.log.webhooks_duplicated += 1;
        }
    }

    /// A timeline event about webhooks (forged, replayed, secret rotation).
    pub fn forge(&mut self, now: Instant, count: u32, trace: &mut Trace<'_>) -> Vec<Out> {
        let mut out = Vec::new();
        for _ in 0..count {
            // Claim ACSC for a real request when there is one (the worst case), else a made-up one.
            let (request, link) = {
                let b = lock(&self.bridge);
                let rs = b.requests();
                if rs.is_empty() {
                    ("00000000-0000-4000-8000-000000000000".to_string(), "00000000-0000-4000-8000-000000000000".to_string())
                } else {
                    let k = uniform::below(&mut self.hooks, rs.len() as u64) as usize;
                    (rs[k].id.clone(), rs[k].link_id.clone())
                }
            };
            let content = serde_json::json!({
                "payment_request_id": request, "payment_link_id": link, "status": "ACSC", "status_reason": null,
                "payment_transaction_id": request, "client_reference": "forged", "end_to_end_id": "forged",
            });
            let body = serde_json::to_vec(
                &serde_json::json!({"content": content, "timestamp": now.as_ms(), "type": "payment.transaction.updated"}),
            )
            .unwrap_or_default();
            let request_http = Request::new(Method::Post, WEBHOOK_PATH)
                .header("content-type", "application/json")
                .header(signature::HEADER, signature::sign(b"not-the-secret", &body))
                .body(body);
            self.log.forged_sent += 1;
            if trace.enabled() {
                trace.record(now, "webhook", "forged", &LostLine { kind: "payment.transaction.updated", subject: &request });
            }
            out.push(Out::Call { link: Link::Webhooks, request: request_http, retry: self.one_shot(now), purpose: PayCall::Forged });
        }
        out
    }

    pub fn replay(&mut self, now: Instant, count: u32, trace: &mut Trace<'_>) -> Vec<Out> {
        let picked: Vec<u32> = self.accepted.iter().rev().take(count as usize).rev().copied().collect();
        let mut out = Vec::new();
        for d in picked {
            let delivery = &self.deliveries[d as usize];
            let request = Request::new(Method::Post, WEBHOOK_PATH)
                .header("content-type", "application/json")
                .header(signature::HEADER, delivery.signature.clone())
                .body(delivery.body.clone());
            self.log.replayed_sent += 1;
            if trace.enabled() {
                trace.record(now, "webhook", "replayed", &LostLine { kind: delivery.kind.name(), subject: &delivery.subject });
            }
            out.push(Out::Call { link: Link::Webhooks, request, retry: self.one_shot(now), purpose: PayCall::Replay });
        }
        out
    }

    pub fn rotate(&mut self, now: Instant, overlap: Duration, erp_updates_after: Duration, trace: &mut Trace<'_>) -> Vec<Out> {
        let old = self.signing.last().cloned().unwrap_or_default();
        let mut new = old.clone();
        new.extend_from_slice(b"-rotated");
        self.signing = vec![old, new.clone()];
        self.rotated = Some(new);
        if trace.enabled() {
            trace.record(now, "bridge", "secret", &SecretLine { change: "rotation: signing with both secrets" });
        }
        vec![Out::At(now + overlap, PayEv::RotationEnd), Out::At(now + erp_updates_after, PayEv::ErpSecretUpdate)]
    }

    fn one_shot(&self, now: Instant) -> RetryState {
        RetryState::new(&RetryPolicy { max_attempts: 1, deadline: None, ..self.webhook_policy }, now)
    }

    /// The recovery job starts in process `process` at `now`; its own processing takes `after`.
    pub fn start_recovery(&mut self, now: Instant, process: u32, after: Duration, trace: &mut Trace<'_>) -> Vec<Out> {
        let settings = RecoverySettings {
            auth: self.auth.clone(),
            revoke_after: self.spec.revoke_after,
            archive_after: self.spec.archive_after,
            page_size: self.spec.page_size,
        };
        let run = RecoveryRun::start(now, &lock(&self.erp).ledger, settings);
        self.active.insert(process, Active { run, after, started: now });
        let mut out = Vec::new();
        self.next_recovery_call(now, process, &mut out, trace);
        out
    }

    fn next_recovery_call(&mut self, now: Instant, process: u32, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        let Some(active) = self.active.get_mut(&process) else { return };
        let request = {
            let mut erp = lock(&self.erp);
            active.run.poll_call(now, &mut erp.ledger)
        };
        match request {
            Some(request) => {
                out.push(Out::Call {
                    link: Link::BridgeApi,
                    request,
                    retry: RetryState::new(&self.api_policy, now),
                    purpose: PayCall::Recovery { process },
                });
            }
            None => {
                let Some(active) = self.active.remove(&process) else { return };
                let s = &active.run.stats;
                let ok = active.run.succeeded();
                if trace.enabled() {
                    trace.record(
                        now,
                        "recovery",
                        "run",
                        &RunLine {
                            ok,
                            calls: s.calls,
                            failed_calls: s.failed_calls,
                            pages: s.pages,
                            recorded: s.recorded,
                            refreshed: s.refreshed,
                            revoked: s.revoked,
                            archived: s.archived,
                        },
                    );
                }
                self.log.runs.push(RecoveryRunLog {
                    start: active.started,
                    end: now + active.after,
                    ok,
                    calls: s.calls,
                    failed_calls: s.failed_calls,
                    recorded: s.recorded,
                    revoked: s.revoked,
                });
                out.push(Out::Finished { process, ok, after: active.after });
            }
        }
    }

    /// The recovery run of `process` is dropped (its process died): its calls stop.
    pub fn abandon(&mut self, process: u32) {
        self.active.remove(&process);
    }

    /// An attempt reached the server's side at `now` (`reached_service`: past the wire's faults):
    /// Bridge may have changed (a revoke, an expiry seen by a GET), the ledger may have recorded
    /// a payment. Returns follow-ups.
    pub fn on_arrival(&mut self, now: Instant, purpose: &PayCall, reached_service: bool, trace: &mut Trace<'_>) -> Vec<Out> {
        if let (PayCall::Webhook { delivery }, true) = (purpose, reached_service) {
            let outcome = lock(&self.erp).received.last().map(|r| r.outcome.name());
            self.deliveries[*delivery as usize].receiver = outcome;
        }
        let mut out = Vec::new();
        self.after_world_change(now, &mut out, trace);
        self.trace_records(now, trace);
        out
    }

    /// An attempt's outcome is back at the client; `next` is the retry policy's decision.
    #[allow(clippy::too_many_arguments)] // one attempt's whole outcome, as `Call::back` gives it
    pub fn on_back(
        &mut self,
        now: Instant,
        purpose: &PayCall,
        request: &Request,
        attempt: u32,
        outcome: AttemptOutcome,
        response: Option<Response>,
        next: Next,
        trace: &mut Trace<'_>,
    ) -> Vec<Out> {
        let mut out = Vec::new();
        let (wire, status) = wire_words(outcome);
        match purpose {
            PayCall::Webhook { .. } | PayCall::Forged | PayCall::Replay => {
                self.log.delivery_attempts += 1;
                match outcome {
                    AttemptOutcome::Refused => self.log.delivery_refused += 1,
                    AttemptOutcome::TimedOut => self.log.delivery_timed_out += 1,
                    AttemptOutcome::Status { code, .. } => *self.log.delivery_answers.entry(code).or_insert(0) += 1,
                    AttemptOutcome::Success => *self.log.delivery_answers.entry(200).or_insert(0) += 1,
                }
                if let PayCall::Webhook { delivery } = purpose {
                    if matches!(next, Next::GiveUp(_)) {
                        self.log.deliveries_given_up += 1;
                    }
                    if matches!(next, Next::Done) {
                        self.accepted.push_back(*delivery);
                        if self.accepted.len() > REPLAY_MEMORY {
                            self.accepted.pop_front();
                        }
                    }
                    if trace.enabled() {
                        let d = &self.deliveries[*delivery as usize];
                        trace.record(
                            now,
                            "webhook",
                            "delivery",
                            &WebhookLine {
                                kind: d.kind.name(),
                                subject: &d.subject,
                                copy: d.copy,
                                attempt,
                                wire,
                                status,
                                receiver: d.receiver,
                                next: next_word(next),
                            },
                        );
                    }
                }
            }
            PayCall::CreateLink { .. } | PayCall::Recovery { .. } => {
                self.log.api_attempts += 1;
                match outcome {
                    AttemptOutcome::Refused => self.log.api_refused += 1,
                    AttemptOutcome::TimedOut => self.log.api_timed_out += 1,
                    AttemptOutcome::Status { code, .. } => *self.log.api_answers.entry(code).or_insert(0) += 1,
                    AttemptOutcome::Success => *self.log.api_answers.entry(200).or_insert(0) += 1,
                }
                if matches!(next, Next::GiveUp(_)) {
                    self.log.api_given_up += 1;
                }
                if trace.enabled() {
                    let caller = match purpose {
                        PayCall::Recovery { process } => match self.active.get(process).map(|a| a.run.duty()) {
                            Some(Duty::PaymentSync) => "recovery.payment_sync",
                            Some(Duty::StatusRefresh) => "recovery.status_refresh",
                            Some(Duty::Revocation) => "recovery.revocation",
                            _ => "recovery",
                        },
                        _ => "create_link",
                    };
                    trace.record(
                        now,
                        "api",
                        "call",
                        &ApiLine {
                            caller,
                            method: request.method.as_str(),
                            path: &request.path,
                            query: request.query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"),
                            attempt,
                            wire,
                            status,
                            next: next_word(next),
                        },
                    );
                }
            }
        }
        if matches!(next, Next::RetryAt(_)) {
            return out;
        }
        // The call is over: act on its final answer.
        let answered = matches!(next, Next::Done).then_some(response).flatten();
        match *purpose {
            PayCall::CreateLink { invoice } => self.link_answer(now, invoice, request, answered, &mut out, trace),
            PayCall::Recovery { process } => {
                let result = match answered {
                    Some(r) => CallResult::Answered(r),
                    None => CallResult::Failed,
                };
                if let Some(active) = self.active.get_mut(&process) {
                    let mut erp = lock(&self.erp);
                    active.run.on_result(now, &mut erp.ledger, result);
                    drop(erp);
                    let notes = active.run.drain_notes();
                    // The job records when the answer is back, not when a later call arrives.
                    self.trace_records(now, trace);
                    self.trace_notes(now, notes, trace);
                }
                self.next_recovery_call(now, process, &mut out, trace);
            }
            PayCall::Webhook { .. } | PayCall::Forged | PayCall::Replay => {}
        }
        out
    }

    fn link_answer(
        &mut self,
        now: Instant,
        invoice: u32,
        request: &Request,
        answer: Option<Response>,
        out: &mut Vec<Out>,
        trace: &mut Trace<'_>,
    ) {
        let reference = invoice_reference(invoice);
        let id = answer
            .and_then(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
            .and_then(|v| v.get("id").and_then(|x| x.as_str()).map(str::to_string));
        let expires_at = serde_json::from_slice::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|v| v.get("expired_date").and_then(|x| x.as_str()).and_then(|s| Instant::parse_rfc3339(s).ok()))
            .unwrap_or(now + self.spec.link_validity);
        if trace.enabled() {
            trace.record(
                now,
                "erp",
                "link",
                &LinkLine { invoice: &reference, link: id.as_deref(), expires_at: id.as_ref().map(|_| expires_at.to_rfc3339()) },
            );
        }
        let Some(id) = id else {
            // The ERP could not get a link: the invoice cannot be paid by link (a report figure).
            self.log.links_not_created += 1;
            return;
        };
        self.log.links_created += 1;
        lock(&self.erp).ledger.link_created(invoice, id.clone(), now, expires_at);
        self.links[invoice as usize] = Some(id);
        // The payer's behaviour, drawn in a fixed order: pays, delay, late attempt, late delay.
        let p = &self.spec.payers;
        let pays = Probability::from_f64(p.pay_share).chance(&mut self.payers);
        let delay = p.pay_delay.draw(&mut self.payers);
        let late = Probability::from_f64(p.late_share).chance(&mut self.payers);
        let validity = (expires_at - now).as_ms().max(0);
        let revoke = self.spec.revoke_after.as_ms().min(validity);
        let late_at = now + Duration::from_ms(uniform::between(&mut self.payers, revoke, validity + Duration::DAY.as_ms()));
        if pays {
            out.push(Out::At(now + delay, PayEv::Attempt { invoice, attempt: 0 }));
        } else if late {
            out.push(Out::At(late_at, PayEv::LateAttempt { invoice }));
        }
    }

    fn trace_notes(&mut self, now: Instant, notes: Vec<RunNote>, trace: &mut Trace<'_>) {
        if !trace.enabled() {
            return;
        }
        for n in notes {
            match n {
                RunNote::Recorded { .. } => {} // told by trace_records, for both paths
                RunNote::Revoked { link } => trace.record(now, "erp", "revoke", &RevokeLine { link: &link, outcome: "revoked" }),
                RunNote::RevokeRefused { link, .. } => {
                    trace.record(now, "erp", "revoke", &RevokeLine { link: &link, outcome: "kept_final_at_bridge" })
                }
            }
        }
    }

    /// Trace the payments recorded since the last call (either path).
    pub fn trace_records(&mut self, now: Instant, trace: &mut Trace<'_>) {
        let erp = lock(&self.erp);
        let new = &erp.ledger.records[self.traced_records.min(erp.ledger.records.len())..];
        if trace.enabled() && !new.is_empty() {
            let b = lock(&self.bridge);
            for r in new {
                let acsc = b.request(&r.request_id).and_then(|q| q.acsc_at);
                let link = b.request(&r.request_id).map(|q| q.link_id.as_str()).unwrap_or("");
                let invoice = erp.ledger.invoices.get(r.invoice as usize).map(|i| i.reference.as_str());
                trace.record(
                    now,
                    "erp",
                    "recorded",
                    &RecordLine {
                        request: &r.request_id,
                        link,
                        invoice,
                        path: r.path.name(),
                        acsc_at: acsc.map(|t| t.to_rfc3339()),
                        delay_ms: acsc.map(|t| (r.at - t).as_ms()),
                    },
                );
            }
        }
        let n = erp.ledger.records.len();
        drop(erp);
        self.traced_records = n;
    }
}

//! The missed-payment-recovery figures (SPEC 4.3), read at the end of a run from what Bridge
//! holds (the truth: which requests reached `ACSC`, when) and what the ERP's ledger recorded
//! (when, by which path), plus the counters the payments loop kept on the way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::logic::bridge::WebhookOutcome;
use crate::logic::bridge::ledger::{Applied, Path};
use crate::sim::loops::payments::PaySim;
use crate::time::Instant;
use crate::world::bridge::{LinkStatus, RequestStatus};

/// Nearest-rank quantiles of a set of delays, in seconds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct DelayFigures {
    pub count: u64,
    pub p50_s: f64,
    pub p95_s: f64,
    pub max_s: f64,
}

impl DelayFigures {
    pub fn of(mut ms: Vec<i64>) -> Self {
        if ms.is_empty() {
            return DelayFigures::default();
        }
        ms.sort_unstable();
        let rank = |q: f64| ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1] as f64 / 1000.0;
        DelayFigures { count: ms.len() as u64, p50_s: rank(0.5), p95_s: rank(0.95), max_s: rank(1.0) }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct RecoveryDelays {
    pub all: DelayFigures,
    pub webhook: DelayFigures,
    pub job: DelayFigures,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct WebhookFigures {
    /// Events Bridge emitted.
    pub events: u64,
    /// Lost before any attempt (the scenario's loss share).
    pub lost: u64,
    /// Events delivered twice.
    pub duplicated: u64,
    /// Deliveries (an event, or its copy) and their attempts, Bridge's retries included.
    pub deliveries: u64,
    pub attempts: u64,
    /// Deliveries Bridge gave up on after its retry schedule.
    pub given_up: u64,
    pub refused: u64,
    pub timed_out: u64,
    /// Attempts answered, by status.
    pub answers: BTreeMap<String, u64>,
    /// What the receiver did with what reached it, by outcome.
    pub receiver: BTreeMap<String, u64>,
    pub forged_sent: u64,
    pub replayed_sent: u64,
    /// Forged or wrongly signed deliveries rejected with 401 (SPEC 4.3 "rejected forged").
    pub rejected_signature: u64,
    /// Updates older than what the ledger held, ignored (SPEC 4.3 "stale").
    pub rejected_stale: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct LinkFigures {
    pub created: u64,
    /// Invoices left without a link: the create call failed after its retries.
    pub not_created: u64,
    pub completed: u64,
    pub expired: u64,
    pub revoked: u64,
    /// How late each revocation came after creation + `revoke_after`.
    pub revoke_lateness: DelayFigures,
    /// Revoked before `revoke_after` (must be 0).
    pub revoked_early: u64,
    /// Completed links whose confirmed payment the bank then rejected (docs.bridgeapi.io
    /// "Payment links statuses": the link stays completed; completed is not paid).
    pub completed_with_rejection: u64,
    /// Of those, the ones the ERP's recovery job found (each needed a new link).
    pub rejected_after_completion: u64,
    /// New links the ERP created for such invoices (policy `new_link`).
    pub replacements: u64,
    /// Revoked links whose payer had abandoned at the bank (a request, never confirmed).
    pub revoked_after_abandon: u64,
    pub archived: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct ApiFigures {
    /// Attempts the ERP made (link creation and the recovery job), retries included.
    pub attempts: u64,
    pub answers: BTreeMap<String, u64>,
    pub rate_limited: u64,
    pub refused: u64,
    pub timed_out: u64,
    /// Calls still failing after the client's retries.
    pub given_up: u64,
    pub recovery_runs: u64,
    pub recovery_runs_in_error: u64,
    pub calls_per_run_mean: f64,
    pub calls_per_run_max: u64,
}

/// SPEC 4.3.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct PaymentFigures {
    pub invoices: u64,
    /// Invoices with a payment `ACSC` at Bridge (on any of their links).
    pub invoices_paid: u64,
    pub payer_attempts: u64,
    /// Payer attempts Bridge refused, by reason (expired, revoked...).
    pub payer_refused: BTreeMap<String, u64>,
    /// Payment requests that reached `ACSC` at Bridge: the payments to find.
    pub paid_at_bridge: u64,
    pub rejected_at_bridge: u64,
    pub recorded: u64,
    pub recorded_by_webhook: u64,
    pub recorded_by_job: u64,
    /// `ACSC` at Bridge, not recorded at the end.
    pub unrecovered_at_end: u64,
    /// Of those, the ones a successful recovery run started after (must be 0).
    pub unrecovered_despite_a_run: u64,
    /// Payments recorded more than once (must be 0).
    pub double_records: u64,
    /// Records of requests Bridge does not hold as `ACSC` (must be 0).
    pub recorded_not_paid: u64,
    /// From `ACSC` at Bridge to the local record.
    pub recovery_delay: RecoveryDelays,
    pub webhooks: WebhookFigures,
    pub links: LinkFigures,
    pub api: ApiFigures,
}

/// One paid invoice, for `payments.csv` and the plots.
#[derive(Clone, Debug, PartialEq)]
pub struct PaidRow {
    pub invoice: String,
    pub request: String,
    pub acsc_at: Instant,
    pub recorded: Option<(Instant, Path)>,
}

/// What the payments plots and CSV are drawn from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaymentPlotData {
    pub rows: Vec<PaidRow>,
}

/// The figures of a finished payments run.
pub fn analyse(pay: &PaySim) -> (PaymentFigures, PaymentPlotData) {
    let bridge = pay.bridge.lock().expect("bridge lock");
    let erp = pay.erp.lock().expect("erp lock");
    let ledger = erp.ledger();
    let log = &pay.log;
    let mut f = PaymentFigures { invoices: log.invoices, payer_attempts: log.payer_attempts, ..Default::default() };
    f.payer_refused = log.payer_refused.iter().map(|(k, v)| (k.to_string(), *v)).collect();

    let recorded: BTreeMap<&str, (Instant, Path)> = ledger.records().iter().map(|r| (r.request_id.as_str(), (r.at, r.path))).collect();
    let mut paid_invoices = std::collections::BTreeSet::new();
    let successful_run_starts: Vec<Instant> = log.runs.iter().filter(|r| r.ok).map(|r| r.start).collect();
    let mut rows = Vec::new();
    let (mut all, mut by_webhook, mut by_job) = (Vec::new(), Vec::new(), Vec::new());
    for r in bridge.requests() {
        match r.status {
            RequestStatus::Rjct => f.rejected_at_bridge += 1,
            RequestStatus::Acsc => {
                f.paid_at_bridge += 1;
                let acsc_at = r.acsc_at.unwrap_or(r.updated_at);
                let rec = recorded.get(r.id.as_str()).copied();
                match rec {
                    Some((at, path)) => {
                        let d = (at - acsc_at).as_ms();
                        all.push(d);
                        match path {
                            Path::Webhook => by_webhook.push(d),
                            Path::Job => by_job.push(d),
                        }
                    }
                    None => {
                        f.unrecovered_at_end += 1;
                        if successful_run_starts.iter().any(|s| *s > acsc_at) {
                            f.unrecovered_despite_a_run += 1;
                        }
                    }
                }
                let invoice = bridge.link(&r.link_id).map(|l| l.client_reference.clone()).unwrap_or_default();
                paid_invoices.insert(invoice.clone());
                rows.push(PaidRow { invoice, request: r.id.clone(), acsc_at, recorded: rec });
            }
            _ => {}
        }
    }
    f.invoices_paid = paid_invoices.len() as u64;
    f.recorded = ledger.records().len() as u64;
    f.recorded_by_webhook = ledger.records().iter().filter(|r| r.path == Path::Webhook).count() as u64;
    f.recorded_by_job = ledger.records().iter().filter(|r| r.path == Path::Job).count() as u64;
    f.double_records = ledger.double_records().len() as u64;
    f.recorded_not_paid =
        ledger.records().iter().filter(|r| bridge.request(&r.request_id).is_none_or(|q| q.status != RequestStatus::Acsc)).count() as u64;
    f.recovery_delay = RecoveryDelays { all: DelayFigures::of(all), webhook: DelayFigures::of(by_webhook), job: DelayFigures::of(by_job) };

    let w = &mut f.webhooks;
    w.events = log.events;
    w.lost = log.webhooks_lost;
    w.duplicated = log.webhooks_duplicated;
    w.deliveries = log.deliveries;
    w.attempts = log.webhook_calls.attempts;
    w.given_up = log.webhook_calls.given_up;
    w.refused = log.webhook_calls.refused;
    w.timed_out = log.webhook_calls.timed_out;
    w.answers = log.webhook_calls.answers.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    w.receiver = erp.outcomes().iter().map(|(k, v)| (k.name().to_string(), *v)).collect();
    w.forged_sent = log.forged_sent;
    w.replayed_sent = log.replayed_sent;
    w.rejected_signature = erp.outcome_count(WebhookOutcome::BadSignature);
    w.rejected_stale = erp.outcome_count(WebhookOutcome::Applied(Applied::Stale));

    let l = &mut f.links;
    l.created = log.links_created;
    l.not_created = log.links_not_created;
    let revoke_after = pay.revoke_after();
    let mut lateness = Vec::new();
    for link in bridge.links() {
        match link.status {
            LinkStatus::Completed => {
                l.completed += 1;
                if bridge.requests_of(&link.id).iter().any(|r| r.status == RequestStatus::Rjct && r.confirmed_at.is_some()) {
                    l.completed_with_rejection += 1;
                }
            }
            LinkStatus::Expired => l.expired += 1,
            LinkStatus::Revoked => {
                l.revoked += 1;
                if !bridge.requests_of(&link.id).is_empty() {
                    l.revoked_after_abandon += 1;
                }
                if let Some(at) = link.revoked_at {
                    let late = (at - (link.created_at + revoke_after)).as_ms();
                    if late < 0 {
                        l.revoked_early += 1;
                    }
                    lateness.push(late.max(0));
                }
            }
            LinkStatus::Valid => {}
        }
    }
    l.revoke_lateness = DelayFigures::of(lateness);
    l.archived = ledger.archived_links();
    l.rejected_after_completion = log.rejected_after_completion;
    l.replacements = log.replacement_links;

    let a = &mut f.api;
    let calls = &log.api_calls;
    a.attempts = calls.attempts;
    a.answers = calls.answers.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    a.rate_limited = calls.answers.get(&429).copied().unwrap_or(0);
    a.refused = calls.refused;
    a.timed_out = calls.timed_out;
    a.given_up = calls.given_up;
    a.recovery_runs = log.runs.len() as u64;
    a.recovery_runs_in_error = log.runs.iter().filter(|r| !r.ok).count() as u64;
    a.calls_per_run_max = log.runs.iter().map(|r| r.calls as u64).max().unwrap_or(0);
    a.calls_per_run_mean = if log.runs.is_empty() {
        0.0
    } else {
        crate::sim::analysis::round::r4(log.runs.iter().map(|r| r.calls as f64).sum::<f64>() / log.runs.len() as f64)
    };
    (f, PaymentPlotData { rows })
}

/// `payments.csv`: every invoice paid at Bridge, when, and when and by which path the ERP
/// recorded it (SPEC 4.3, the "every paid invoice found, when, and by which path" of issue #6).
pub fn csv(data: &PaymentPlotData) -> String {
    let mut s = String::from("invoice,payment_request_id,acsc_at,recorded_at,path,delay_s\n");
    for r in &data.rows {
        match r.recorded {
            Some((at, path)) => s.push_str(&format!(
                "{},{},{},{},{},{:.3}\n",
                r.invoice,
                r.request,
                r.acsc_at.to_rfc3339(),
                at.to_rfc3339(),
                path.name(),
                (at - r.acsc_at).as_ms() as f64 / 1000.0
            )),
            None => s.push_str(&format!("{},{},{},,unrecovered,\n", r.invoice, r.request, r.acsc_at.to_rfc3339())),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank_in_seconds() {
        let d = DelayFigures::of((1..=100).map(|s| s * 1000).collect());
        assert_eq!(d, DelayFigures { count: 100, p50_s: 50.0, p95_s: 95.0, max_s: 100.0 });
        assert_eq!(DelayFigures::of(vec![]), DelayFigures::default());
        assert_eq!(DelayFigures::of(vec![1500]).p50_s, 1.5);
    }
}

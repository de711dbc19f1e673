//! What came of the payments side's calls: each attempt that reached its server may have changed
//! the world or the ledger; each attempt's outcome is counted once ([`CallCounters`]) and traced;
//! a call that is over hands its final answer to whoever made it (the invoice's link, the
//! recovery run, Bridge's replay memory).
//!
//! [`CallCounters`]: crate::sim::engine::calls::CallCounters

use super::lines::{ApiLine, RecordLine, WebhookLine};
use super::{Out, PayCall, PaySim, lock};
use crate::logic::retry::{AttemptOutcome, Next};
use crate::net::{Request, Response};
use crate::sim::engine::calls::{next_word, wire_words};
use crate::sim::engine::trace::Trace;
use crate::time::Instant;

impl PaySim {
    /// An attempt reached the server's side at `now` (`reached_service`: past the wire's faults):
    /// Bridge may have changed (a revoke, an expiry seen by a GET), the ledger may have recorded
    /// a payment. Returns follow-ups.
    pub fn on_arrival(&mut self, now: Instant, purpose: &PayCall, reached_service: bool, trace: &mut Trace<'_>) -> Vec<Out> {
        if let (PayCall::Webhook { delivery }, true) = (purpose, reached_service) {
            match lock(&self.erp).last_received().map(|r| r.outcome.name()) {
                Some(outcome) => self.receivers.insert(*delivery, outcome),
                None => self.receivers.remove(delivery),
            };
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
        match purpose {
            PayCall::Webhook { delivery } => {
                self.log.webhook_calls.count_attempt(outcome);
                self.log.webhook_calls.count_decision(next);
                self.trace_delivery(now, *delivery, attempt, outcome, next, trace);
                if !matches!(next, Next::RetryAt(_)) {
                    // Its last attempt: what the receiver did no longer matters.
                    self.receivers.remove(delivery);
                    self.webhooks.handle_delivery_over(*delivery, matches!(next, Next::Done));
                }
            }
            // Single attempts: no give-up worth counting apart from their answers.
            PayCall::Forged | PayCall::Replay => self.log.webhook_calls.count_attempt(outcome),
            PayCall::CreateLink { .. } | PayCall::Recovery { .. } => {
                self.log.api_calls.count_attempt(outcome);
                self.log.api_calls.count_decision(next);
                self.trace_api_call(now, purpose, request, attempt, outcome, next, trace);
            }
        }
        let mut out = Vec::new();
        if matches!(next, Next::RetryAt(_)) {
            return out;
        }
        // The call is over: act on its final answer.
        let answered = matches!(next, Next::Done).then_some(response).flatten();
        match *purpose {
            PayCall::CreateLink { invoice, replacement } => self.link_answer(now, invoice, replacement, request, answered, &mut out, trace),
            PayCall::Recovery { process } => self.recovery_answer(now, process, answered, &mut out, trace),
            PayCall::Webhook { .. } | PayCall::Forged | PayCall::Replay => {}
        }
        out
    }

    fn trace_delivery(&self, now: Instant, delivery: u32, attempt: u32, outcome: AttemptOutcome, next: Next, trace: &mut Trace<'_>) {
        if !trace.enabled() {
            return;
        }
        let (wire, status) = wire_words(outcome);
        let d = self.webhooks.delivery(delivery);
        let line = WebhookLine {
            kind: d.kind.name(),
            subject: &d.subject,
            copy: d.copy,
            attempt,
            wire,
            status,
            receiver: self.receivers.get(&delivery).copied(),
            next: next_word(next),
        };
        trace.record(now, "webhook", "delivery", &line);
    }

    #[allow(clippy::too_many_arguments)] // one attempt's whole outcome, as `on_back` gets it
    fn trace_api_call(
        &self,
        now: Instant,
        purpose: &PayCall,
        request: &Request,
        attempt: u32,
        outcome: AttemptOutcome,
        next: Next,
        trace: &mut Trace<'_>,
    ) {
        if !trace.enabled() {
            return;
        }
        let (wire, status) = wire_words(outcome);
        let caller = match purpose {
            PayCall::Recovery { process } => self.recovery_caller(*process),
            _ => "create_link",
        };
        let line = ApiLine {
            caller,
            method: request.method.as_str(),
            path: &request.path,
            query: request.query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"),
            attempt,
            wire,
            status,
            next: next_word(next),
        };
        trace.record(now, "api", "call", &line);
    }

    /// Trace the payments recorded since the last call (either path).
    pub fn trace_records(&mut self, now: Instant, trace: &mut Trace<'_>) {
        let erp = lock(&self.erp);
        let records = erp.ledger().records();
        let new = &records[self.traced_records.min(records.len())..];
        if trace.enabled() && !new.is_empty() {
            let b = lock(&self.bridge);
            for r in new {
                let acsc = b.request(&r.request_id).and_then(|q| q.acsc_at);
                let link = b.request(&r.request_id).map(|q| q.link_id.as_str()).unwrap_or("");
                let invoice = erp.ledger().invoice(r.invoice).map(|i| i.reference.as_str());
                let line = RecordLine {
                    request: &r.request_id,
                    link,
                    invoice,
                    path: r.path.name(),
                    acsc_at: acsc.map(|t| t.to_rfc3339()),
                    delay_ms: acsc.map(|t| (r.at - t).as_ms()),
                };
                trace.record(now, "erp", "recorded", &line);
            }
        }
        let n = records.len();
        drop(erp);
        self.traced_records = n;
    }
}

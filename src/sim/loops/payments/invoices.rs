//! An invoice's journey on the payments side: the ERP issues it and asks Bridge for a link; the
//! link's answer goes to the ledger and to the payer (`world::bridge::Payers`), whose attempts
//! start payment requests at Bridge that the bank then moves on.

use super::lines::{InvoiceLine, LinkLine, PayerLine, RequestLine};
use super::{Out, PayCall, PayEv, PaySim, StartedRequest, invoice_reference, lock};
use crate::net::{Method, Request, Response};
use crate::sim::engine::trace::Trace;
use crate::time::Instant;
use crate::world::bridge::{PayRefused, PayerIntent, RequestStatus};

fn refused_name(r: PayRefused) -> &'static str {
    match r {
        PayRefused::UnknownLink => "unknown_link",
        PayRefused::Expired => "expired",
        PayRefused::Revoked => "revoked",
        PayRefused::AlreadyPaid => "already_paid",
        PayRefused::InProgress => "in_progress",
    }
}

impl PaySim {
    /// The ERP issues invoice `i` at `now` and asks Bridge for its link, valid `link_validity`.
    pub(super) fn issue_invoice(&mut self, now: Instant, i: u32, trace: &mut Trace<'_>) -> Out {
        let amount = self.invoices[i as usize].amount_cents;
        let reference = invoice_reference(i);
        lock(&self.erp).issue_invoice(reference.clone(), amount, now);
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
        self.api_call(request, now, PayCall::CreateLink { invoice: i })
    }

    /// The create call for `invoice` is over: `answer` is its final answer when it succeeded.
    /// With a link, the ledger records it and the payer decides what to do with it.
    pub(super) fn link_answer(
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
        lock(&self.erp).link_created(invoice, id.clone(), now, expires_at);
        self.links[invoice as usize] = Some(id);
        match self.payers.handle_link_created(now, expires_at, self.spec.revoke_after) {
            PayerIntent::PayAt(at) => out.push(Out::At(at, PayEv::Attempt { invoice, attempt: 0 })),
            PayerIntent::TryLateAt(at) => out.push(Out::At(at, PayEv::LateAttempt { invoice })),
            PayerIntent::Ignore => {}
        }
    }

    /// The payer of `invoice` opens its link at `now` and tries to pay (`late`: after it expired
    /// or was revoked, so Bridge refuses); on success the bank's moves are scheduled.
    pub(super) fn attempt(&mut self, now: Instant, invoice: u32, attempt: u8, late: bool, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        let Some(link) = self.links[invoice as usize].clone() else { return };
        self.log.payer_attempts += 1;
        let result = lock(&self.bridge).initiate_payment(now, &link);
        let reference = invoice_reference(invoice);
        match result {
            Ok(request) => {
                let index = self.requests.len() as u32;
                self.requests.push(StartedRequest { id: request.clone(), invoice });
                if trace.enabled() {
                    trace.record(
                        now,
                        "payer",
                        "attempt",
                        &PayerLine { invoice: &reference, link: &link, attempt, request: Some(&request), refused: None },
                    );
                }
                for step in self.payers.handle_payment_initiated(now) {
                    out.push(Out::At(step.at, PayEv::Advance { request: index, status: step.status, attempt }));
                }
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

    /// The bank moves request `request` to `status` at `now`; a first attempt the bank rejects
    /// may be tried again (SPEC 4.1: several requests per link).
    pub(super) fn advance(
        &mut self,
        now: Instant,
        request: u32,
        status: RequestStatus,
        attempt: u8,
        out: &mut Vec<Out>,
        trace: &mut Trace<'_>,
    ) {
        let StartedRequest { id, invoice } = self.requests[request as usize].clone();
        let reason = (status == RequestStatus::Rjct).then_some("AM04");
        let moved = lock(&self.bridge).advance_request(now, &id, status, reason);
        if moved && trace.enabled() {
            let link = lock(&self.bridge).request(&id).map(|r| r.link_id.clone()).unwrap_or_default();
            trace.record(now, "bridge", "request", &RequestLine { request: &id, link: &link, status: status.as_str() });
        }
        if moved && status == RequestStatus::Rjct && attempt == 0 {
            if let Some(at) = self.payers.handle_rejection(now) {
                out.push(Out::At(at, PayEv::Attempt { invoice, attempt: 1 }));
            }
        }
    }
}

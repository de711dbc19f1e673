//! An invoice's journey on the payments side: the ERP issues it and asks Bridge for a link; the
//! link's answer goes to the ledger and to the payer (`world::bridge::Payers`), whose attempts
//! start payment requests at Bridge that the bank then moves on.

use super::lines::{InvoiceLine, LinkLine, PayerLine, RequestLine};
use super::{Out, PayCall, PayEv, PaySim, StartedRequest, invoice_reference, lock};
use crate::net::{Method, Request, Response};
use crate::sim::engine::trace::Trace;
use crate::time::Instant;
use crate::world::bridge::payers::ABANDONED_REASON;
use crate::world::bridge::{PayRefused, PayerIntent, RequestStatus};

fn refused_name(r: PayRefused) -> &'static str {
    match r {
        PayRefused::UnknownLink => "unknown_link",
        PayRefused::Expired => "expired",
        PayRefused::Revoked => "revoked",
        PayRefused::Completed => "completed",
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
        self.create_link_call(now, i, false)
    }

    /// The ERP asks Bridge for a link for invoice `i` (`replacement`: its earlier link was
    /// rejected after completion, the ERP's `new_link` policy).
    pub(super) fn create_link_call(&self, now: Instant, i: u32, replacement: bool) -> Out {
        let amount = self.invoices[i as usize].amount_cents;
        let reference = invoice_reference(i);
        let body = serde_json::json!({
            "client_reference": reference,
            "transactions": [{"amount": amount as f64 / 100.0, "currency": "EUR", "label": format!("Invoice {reference}")}],
            "expired_date": (now + self.spec.link_validity).to_rfc3339(),
        });
        let request = Request::new(Method::Post, "/v3/payment/payment-links")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap_or_default());
        self.api_call(request, now, PayCall::CreateLink { invoice: i, replacement })
    }

    /// The create call for `invoice` is over: `answer` is its final answer when it succeeded.
    /// With a link, the ledger records it and the payer decides what to do with it.
    #[allow(clippy::too_many_arguments)] // one create call's whole outcome
    pub(super) fn link_answer(
        &mut self,
        now: Instant,
        invoice: u32,
        replacement: bool,
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
        if replacement {
            // The payer meant to pay and the bank refused: they pay again on the new link.
            self.log.replacement_links += 1;
            self.replaced[invoice as usize] = true;
            let at = self.replacement_payers.handle_replacement_link(now);
            out.push(Out::At(at, PayEv::Attempt { invoice, attempt: 0 }));
            return;
        }
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
                let payers = if self.replaced[invoice as usize] { &mut self.replacement_payers } else { &mut self.payers };
                for step in payers.handle_payment_initiated(now) {
                    out.push(Out::At(step.at, PayEv::Advance { request: index, status: step.status, reason: step.status_reason, attempt }));
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

    /// The bank moves request `request` to `status` at `now`; a payer who abandoned their first
    /// attempt at the bank may try again on the same link, which is still valid (docs "Payment
    /// links statuses": "customers can make multiple attempts"). A payment rejected after the
    /// payer confirmed it cannot be tried again on its link: the ERP must give a new one.
    #[allow(clippy::too_many_arguments)] // one bank step, as the event carries it
    pub(super) fn advance(
        &mut self,
        now: Instant,
        request: u32,
        status: RequestStatus,
        reason: Option<&'static str>,
        attempt: u8,
        out: &mut Vec<Out>,
        trace: &mut Trace<'_>,
    ) {
        let StartedRequest { id, invoice } = self.requests[request as usize].clone();
        let moved = lock(&self.bridge).advance_request(now, &id, status, reason);
        if moved && trace.enabled() {
            let (link, taken) = {
                let b = lock(&self.bridge);
                b.request(&id).map(|r| (r.link_id.clone(), r.status)).unwrap_or((String::new(), status))
            };
            trace.record(now, "bridge", "request", &RequestLine { request: &id, link: &link, status: taken.as_str() });
        }
        if moved && status == RequestStatus::Rjct && reason == Some(ABANDONED_REASON) && attempt == 0 {
            let payers = if self.replaced[invoice as usize] { &mut self.replacement_payers } else { &mut self.payers };
            if let Some(at) = payers.handle_abandon(now) {
                out.push(Out::At(at, PayEv::Attempt { invoice, attempt: 1 }));
            }
        }
    }
}

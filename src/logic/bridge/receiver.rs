//! The ERP's webhook receiver (SPEC 4.2): `POST /webhooks/bridge`. It verifies the signature
//! over the raw body (reject with 401 and keep a record), ignores unknown event types, and hands
//! payment and link updates to the ledger, whose rules make every delivery idempotent (Bridge
//! delivers at least once, with no event id: SPEC 4.1).

use serde::Deserialize;

use super::ledger::{Applied, LinkState, Path, PaymentStatus, PaymentUpdate};
use super::signature;
use super::{Erp, WebhookOutcome};
use crate::net::{Method, Request, Response};
use crate::time::Instant;

/// The path Bridge is configured to deliver to.
pub const PATH: &str = "/webhooks/bridge";

#[derive(Deserialize)]
struct Envelope {
    content: serde_json::Value,
    timestamp: i64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct TransactionContent {
    payment_request_id: String,
    payment_link_id: String,
    /// Absent from `payment.transaction.created` (docs.bridgeapi.io "Payments webhooks").
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_reason: Option<String>,
}

#[derive(Deserialize)]
struct LinkContent {
    payment_link_id: String,
    payment_link_status: String,
}

fn answer(code: u16, msg: &str) -> Response {
    Response::json(code, &serde_json::json!({ "ok": code < 300, "msg": msg }))
}

impl Erp {
    /// Handle one delivery at `now`. 401 when no signature matches a secret the ERP holds; 400
    /// when the body is not an envelope (Bridge retries both); 200 otherwise, including for
    /// unknown types, duplicates and stale updates (retrying them would not help).
    pub fn handle_webhook(&mut self, now: Instant, request: &Request) -> Response {
        if request.method != Method::Post || request.path != PATH {
            return answer(404, "not found");
        }
        let secrets: Vec<&[u8]> = self.secrets.iter().map(|s| s.as_slice()).collect();
        let signed = request.header_value(signature::HEADER).is_some_and(|h| signature::verify(h, &secrets, &request.body));
        if !signed {
            self.note(now, WebhookOutcome::BadSignature, None);
            return answer(401, "invalid signature");
        }
        let Ok(envelope) = serde_json::from_slice::<Envelope>(&request.body) else {
            self.note(now, WebhookOutcome::Malformed, None);
            return answer(400, "not a webhook envelope");
        };
        let source_at = Instant(envelope.timestamp);
        let outcome = match envelope.kind.as_str() {
            "payment.transaction.created" | "payment.transaction.updated" => {
                match serde_json::from_value::<TransactionContent>(envelope.content) {
                    // A created transaction carries no status: it was just created at Bridge,
                    // which is CREA ("Payment has been created on Bridge side", docs
                    // "Payment requests and transactions statuses"). An update must say it.
                    Ok(c) => match c
                        .status
                        .as_deref()
                        .map_or((envelope.kind == "payment.transaction.created").then_some(PaymentStatus::Crea), PaymentStatus::parse)
                    {
                        Some(status) => {
                            let update = PaymentUpdate {
                                request_id: &c.payment_request_id,
                                link_id: &c.payment_link_id,
                                status,
                                status_reason: c.status_reason.as_deref(),
                                source_at,
                                path: Path::Webhook,
                            };
                            let applied = self.ledger.apply_payment(now, &update);
                            self.note(now, WebhookOutcome::Applied(applied), Some(&c.payment_request_id));
                            return answer(200, "ok");
                        }
                        None => WebhookOutcome::Malformed,
                    },
                    Err(_) => WebhookOutcome::Malformed,
                }
            }
            "payment.link.updated" => match serde_json::from_value::<LinkContent>(envelope.content) {
                Ok(c) => match LinkState::parse(&c.payment_link_status) {
                    Some(status) => {
                        let applied: Applied = self.ledger.apply_link(now, &c.payment_link_id, status, source_at);
                        self.note(now, WebhookOutcome::Applied(applied), Some(&c.payment_link_id));
                        return answer(200, "ok");
                    }
                    None => WebhookOutcome::Malformed,
                },
                Err(_) => WebhookOutcome::Malformed,
            },
            _ => WebhookOutcome::UnknownType,
        };
        self.note(now, outcome, None);
        match outcome {
            WebhookOutcome::Malformed => answer(400, "malformed content"),
            _ => answer(200, "ignored"),
        }
    }
}

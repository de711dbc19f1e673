//! Bridge's v3 payment API over the shared wire vocabulary (SPEC 4.1): auth headers, the rate
//! limit, the four routes, JSON bodies and errors `{"type", "message", "documentation_url"}`.
//!
//! Order of checks on every call: auth (401), then the rate limit (429), then routing (404/405),
//! then the route's own validation (400/404).
//!
//! Rate limit *(model choice: the docs give "2000 requests per 5 minutes per application" and no
//! algorithm)*: a sliding window over the calls that passed auth and were let through; a call at
//! `t` occupies a slot during `[t, t + rate_window)`. Calls refused with 401 or 429 take no slot,
//! so a client that backs off is never locked out by its own refused retries. `Retry-After`, sent
//! only when `BridgeConfig::retry_after_on_429` is on *(model choice: not documented, off by
//! default, issue #19 point 8)*, is the whole seconds until the oldest slot frees, rounded up, at
//! least 1.

use serde::Deserialize;
use serde_json::{Value, json};

pub use super::api_state::ApiStats;
use super::model::{BridgeWorld, NewLink, PaymentLink, PaymentRequest, RevokeAnswer};
use crate::net::{Method, Request, Response, Service};
use crate::time::Instant;

const LINKS_PATH: &str = "/v3/payment/payment-links";
const REQUESTS_PATH: &str = "/v3/payment/payment-requests";
const DOCS_URL: &str = "https://docs.bridgeapi.io/docs/errors";
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

impl BridgeWorld {
    /// Counters of the calls answered so far.
    pub fn api_stats(&self) -> &ApiStats {
        &self.api.stats
    }

    fn answer(&mut self, now: Instant, request: &Request) -> Response {
        if let Some(refusal) = self.check_auth(request) {
            return refusal;
        }
        if let Some(refusal) = self.take_rate_slot(now) {
            return refusal;
        }
        self.route(now, request)
    }

    fn check_auth(&self, request: &Request) -> Option<Response> {
        let config = self.config();
        let expected = [
            ("Client-Id", config.client_id.as_str()),
            ("Client-Secret", config.client_secret.as_str()),
            ("Bridge-Version", config.api_version.as_str()),
        ];
        for (name, value) in expected {
            match request.header_value(name) {
                None => return Some(error(401, "unauthorized", &format!("missing header {name}"))),
                Some(found) if found != value => return Some(error(401, "unauthorized", &format!("invalid header {name}"))),
                Some(_) => {}
            }
        }
        None
    }

    fn take_rate_slot(&mut self, now: Instant) -> Option<Response> {
        let window = self.config().rate_window;
        let limit = self.config().rate_limit as usize;
        let slots = &mut self.api.window;
        while slots.front().is_some_and(|&t| t + window <= now) {
            slots.pop_front();
        }
        if slots.len() < limit {
            slots.push_back(now);
            return None;
        }
        let wait_ms = slots.front().map_or(window.as_ms(), |&oldest| (oldest + window - now).as_ms());
        let retry_after_s = ((wait_ms + 999) / 1000).max(1);
        self.api.stats.rate_limited += 1;
        let refusal = error(429, "rate_limited", &format!("more than {limit} requests in {window}; retry in {retry_after_s} s"));
        Some(if self.config().retry_after_on_429 { refusal.header("Retry-After", retry_after_s.to_string()) } else { refusal })
    }

    fn route(&mut self, now: Instant, request: &Request) -> Response {
        let path = request.path.as_str();
        if path == LINKS_PATH {
            return match request.method {
                Method::Post => self.create(now, request),
                _ => method_not_allowed("POST"),
            };
        }
        if path == REQUESTS_PATH {
            return match request.method {
                Method::Get => self.list(now, request),
                _ => method_not_allowed("GET"),
            };
        }
        if let Some(rest) = path.strip_prefix(LINKS_PATH).and_then(|r| r.strip_prefix('/')) {
            match rest.split('/').collect::<Vec<_>>().as_slice() {
                [id] if !id.is_empty() => {
                    return match request.method {
                        Method::Get => self.get(now, id),
                        _ => method_not_allowed("GET"),
                    };
                }
                [id, "revoke"] if !id.is_empty() => {
                    return match request.method {
                        Method::Post => self.revoke(now, id),
                        _ => method_not_allowed("POST"),
                    };
                }
                _ => {}
            }
        }
        error(404, "not_found", &format!("no route for {} {path}", request.method.as_str()))
    }

    /// `POST /v3/payment/payment-links` → 201 `{id, url}`.
    fn create(&mut self, now: Instant, request: &Request) -> Response {
        let new = match read_new_link(&request.body) {
            Ok(new) => new,
            Err(message) => return error(400, "invalid_request", &message),
        };
        match self.create_link(now, new) {
            Ok(id) => {
                let url = self.link(&id).map(|l| l.url.clone()).unwrap_or_default();
                Response::json(201, &json!({ "id": id, "url": url }))
            }
            Err(refused) => error(400, "invalid_request", &refused.to_string()),
        }
    }

    /// `GET /v3/payment/payment-links/{id}` → 200 the link, as it is at `now`.
    fn get(&mut self, now: Instant, id: &str) -> Response {
        self.expire_due(now);
        match self.link(id) {
            Some(link) => Response::json(200, &link_json(link)),
            None => link_not_found(id),
        }
    }

    /// `POST /v3/payment/payment-links/{id}/revoke` → 200 the link (revoked if it was valid).
    fn revoke(&mut self, now: Instant, id: &str) -> Response {
        let answer = self.config().revoke_answer;
        match (self.revoke_link(now, id), answer) {
            (None, _) => link_not_found(id),
            (Some(link), RevokeAnswer::Link) => Response::json(200, &link_json(link)),
            (Some(_), RevokeAnswer::Empty) => Response::new(200),
            // Revoked by this very call.
            (Some(link), RevokeAnswer::EmptyOr400) if link.revoked_at == Some(now) => Response::new(200),
            (Some(link), RevokeAnswer::EmptyOr400) => {
                let status = link.status.as_str();
                error(400, "invalid_request", &format!("payment link {id} is {status} and cannot be revoked"))
            }
        }
    }

    /// `GET /v3/payment/payment-requests?payment_link_id=&limit=&after=` → 200 one page.
    fn list(&mut self, now: Instant, request: &Request) -> Response {
        self.expire_due(now);
        let limit = match request.query_value("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return error(400, "invalid_request", &format!("limit must be an integer from 1 to {MAX_LIMIT}, found {text:?}")),
            },
        };
        let link_id = request.query_value("payment_link_id");
        let page = match self.list_requests(link_id, request.query_value("after"), limit) {
            Ok(page) => page,
            Err(unknown) => return error(400, "invalid_request", &format!("after: {unknown}")),
        };
        let next_uri = match page.resources.last() {
            Some(last) if page.more => {
                let mut query = form_urlencoded::Serializer::new(String::new());
                if let Some(id) = link_id {
                    query.append_pair("payment_link_id", id);
                }
                query.append_pair("limit", &limit.to_string());
                query.append_pair("after", &last.id);
                Value::String(format!("{REQUESTS_PATH}?{}", query.finish()))
            }
            _ => Value::Null,
        };
        let resources: Vec<Value> = page.resources.iter().map(|r| request_json(r)).collect();
        Response::json(200, &json!({ "resources": resources, "pagination": { "next_uri": next_uri } }))
    }
}

impl Service for BridgeWorld {
    /// Answer one API call at `now` and count it.
    ///
    /// Changes `poll_timeout` (a call may create, revoke or expire links).
    fn handle(&mut self, now: Instant, request: &Request) -> Response {
        let response = self.answer(now, request);
        let stats = &mut self.api.stats;
        stats.calls += 1;
        *stats.by_status.entry(response.status).or_default() += 1;
        response
    }
}

#[derive(Deserialize)]
struct CreateBody {
    client_reference: Option<String>,
    transactions: Option<Vec<TransactionBody>>,
    expired_date: Option<String>,
}

#[derive(Deserialize)]
struct TransactionBody {
    amount: f64,
    currency: String,
    label: Option<String>,
}

/// Read a creation body. Exactly one transaction *(model choice: Bridge links carry one
/// transaction in practice; the struct stores one)*; amounts in euros with at most 2 decimals.
fn read_new_link(body: &[u8]) -> Result<NewLink, String> {
    let body: CreateBody = serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let client_reference = body.client_reference.ok_or("client_reference is required")?;
    let mut transactions = body.transactions.unwrap_or_default();
    if transactions.len() != 1 {
        return Err(format!("transactions must hold exactly one transaction, found {}", transactions.len()));
    }
    let transaction = transactions.remove(0);
    let cents = transaction.amount * 100.0;
    if !(transaction.amount > 0.0 && transaction.amount < 1e12) || (cents - cents.round()).abs() > 1e-6 {
        return Err(format!("amount must be positive with at most 2 decimals, found {}", transaction.amount));
    }
    let expired_at = match body.expired_date {
        None => None,
        Some(text) => Some(Instant::parse_rfc3339(&text).map_err(|_| format!("expired_date must be RFC 3339, found {text:?}"))?),
    };
    Ok(NewLink {
        client_reference,
        amount_cents: cents.round() as i64,
        currency: transaction.currency,
        label: transaction.label.unwrap_or_default(),
        expired_at,
    })
}

fn link_json(link: &PaymentLink) -> Value {
    json!({
        "id": link.id,
        "status": link.status.as_str(),
        "client_reference": link.client_reference,
        "expired_at": link.expired_at.to_rfc3339(),
        "created_at": link.created_at.to_rfc3339(),
        "url": link.url,
        "transactions": [{
            "amount": link.amount_cents as f64 / 100.0,
            "currency": link.currency,
            "label": link.label,
        }],
    })
}

fn request_json(request: &PaymentRequest) -> Value {
    json!({
        "id": request.id,
        "status": request.status.as_str(),
        "status_reason": request.status_reason,
        "payment_link_id": request.link_id,
        "created_at": request.created_at.to_rfc3339(),
        "updated_at": request.updated_at.to_rfc3339(),
    })
}

fn error(status: u16, kind: &str, message: &str) -> Response {
    Response::json(status, &json!({ "type": kind, "message": message, "documentation_url": DOCS_URL }))
}

fn link_not_found(id: &str) -> Response {
    error(404, "not_found", &format!("payment link {id} not found"))
}

fn method_not_allowed(allow: &str) -> Response {
    error(405, "method_not_allowed", &format!("this route only accepts {allow}")).header("Allow", allow)
}

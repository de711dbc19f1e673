//! The state machine behind Bridge's payment API (SPEC 4.1): links, the payment requests payers
//! initiate on them, lazy expiry, and the webhook events each change emits.
//!
//! Rules (public source: Bridge API docs, "Payment links statuses",
//! <https://docs.bridgeapi.io/docs/payment-links-statuses-1>, and "Payment requests and
//! transactions statuses", <https://docs.bridgeapi.io/docs/payment-requests-and-transactions-statuses>):
//! - "While a Payment Link is active, customers can make multiple attempts to use it. Each attempt
//!   creates a new Payment Request": a payer may start a request on a `valid` link only (not
//!   while another one on it is still in progress, *model choice*: one bank session at a time);
//! - a link is `completed` "when your customer has successfully confirmed the payment on his
//!   bank interface", not at the attempt: a request is confirmed when it reaches `PDNG` (or
//!   `ACSC` for an instant payment, "directly executed"). A payer who abandons at the bank
//!   leaves the link `valid` (their request ends `RJCT`), so the link can expire or be revoked;
//! - "a payment can be rejected by the bank after a successful initiation ... the payment link
//!   will keep the final status completed. In that case, you have to create a new payment link
//!   to get paid": a completed link takes no new request, whatever became of its payment;
//! - a request moves forward only (`CREA` → `ACTC` → `PDNG` → one of `ACSC`, `RJCT`, `PART`,
//!   skipping allowed) and a final request never moves again;
//! - *(model choice, the docs are silent)*: a confirmation that comes when the link is no
//!   longer `valid` (it expired, was revoked, or another request completed it while the payer
//!   was at the bank) is rejected: the request ends `RJCT` with reason [`LINK_INACTIVE_REASON`].
//!   So a link has at most one confirmed request, and an expired or revoked link none.
//!
//! Expiry is lazy *and* eager: every entry point first expires every valid link whose
//! `expired_at <= now` (in expiry order, then creation order), so answers are right whenever they
//! are asked, and [`BridgeWorld::poll_timeout`] tells the harness when the next one falls due
//! ([`BridgeWorld::handle_timeout`] then expires it). The webhook events each change emits wait
//! in [`BridgeWorld::poll_event`].
//!
//! Verb contract: `poll_timeout` is the earliest `expired_at` of a valid link. It changes when a
//! link is created, leaves `valid` (revoked, completed by a confirmed payment, expired) — so
//! `create_link`, `revoke_link`, `advance_request`, `handle_timeout` and any API call may change
//! it; `initiate_payment` only by expiring what is due; `poll_event` and the readers never do.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api_state::ApiState;
use crate::time::{Duration, Instant};

/// Bridge's settings for one application (one ERP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The `Bridge-Version` header every call must carry.
    pub api_version: String,
    /// At most this many calls that passed auth per sliding `rate_window` (see `api`).
    pub rate_limit: u32,
    pub rate_window: Duration,
    /// A link's validity when the creation call gives no `expired_date`.
    pub default_expiry: Duration,
    /// The latest `expired_date` a creation call may ask for, from the creation instant.
    pub max_expiry: Duration,
    /// What a revoke answers *(model choice: the body is not documented for this version)*.
    pub revoke_answer: RevokeAnswer,
    /// Whether a 429 carries `Retry-After` *(model choice: the docs do not say it does, so by
    /// default it does not, and the client's own backoff is what spaces its retries)*.
    pub retry_after_on_429: bool,
}

/// How Bridge answers `POST .../revoke` (the scenario's `payments.bridge_revoke_answer`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RevokeAnswer {
    /// 200 with the link as it now is (revoked, or its final status).
    #[default]
    Link,
    /// 200 with an empty body (the older API version's example), whatever the link's status.
    Empty,
    /// 200 with an empty body for a valid link; 400 for a final one (reported for a completed
    /// link).
    EmptyOr400,
}

impl Default for BridgeConfig {
    /// The public defaults: version 2025-01-15, 2000 calls per 5 minutes, links valid 15 minutes
    /// by default and at most 90 days.
    fn default() -> Self {
        BridgeConfig {
            client_id: "syncsim-client".into(),
            client_secret: "syncsim-secret".into(),
            api_version: "2025-01-15".into(),
            rate_limit: 2000,
            rate_window: Duration::from_mins(5),
            default_expiry: Duration::from_mins(15),
            max_expiry: Duration::from_days(90),
            revoke_answer: RevokeAnswer::Link,
            retry_after_on_429: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkStatus {
    Valid,
    Expired,
    Revoked,
    Completed,
}

impl LinkStatus {
    /// Expired, revoked and completed links never change status again.
    pub fn is_final(self) -> bool {
        !matches!(self, LinkStatus::Valid)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Valid => "valid",
            LinkStatus::Expired => "expired",
            LinkStatus::Revoked => "revoked",
            LinkStatus::Completed => "completed",
        }
    }
}

/// A payment request's status, ISO 20022 codes as Bridge names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RequestStatus {
    /// Created: the payer initiated the payment.
    Crea,
    /// Accepted technical validation.
    Actc,
    /// Pending at the bank.
    Pdng,
    /// Accepted settlement completed: the only status that means paid.
    Acsc,
    /// Rejected, with a `status_reason`.
    Rjct,
    /// Partially accepted.
    Part,
}

impl RequestStatus {
    /// ACSC, RJCT and PART are final; CREA, ACTC and PDNG are in progress.
    pub fn is_final(self) -> bool {
        matches!(self, RequestStatus::Acsc | RequestStatus::Rjct | RequestStatus::Part)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Crea => "CREA",
            RequestStatus::Actc => "ACTC",
            RequestStatus::Pdng => "PDNG",
            RequestStatus::Acsc => "ACSC",
            RequestStatus::Rjct => "RJCT",
            RequestStatus::Part => "PART",
        }
    }
    /// Progress rank: a request only moves to a higher rank.
    fn rank(self) -> u8 {
        match self {
            RequestStatus::Crea => 0,
            RequestStatus::Actc => 1,
            RequestStatus::Pdng => 2,
            RequestStatus::Acsc | RequestStatus::Rjct | RequestStatus::Part => 3,
        }
    }
}

/// A payment link with its one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentLink {
    pub id: String,
    pub client_reference: String,
    pub status: LinkStatus,
    pub created_at: Instant,
    pub expired_at: Instant,
    pub url: String,
    pub amount_cents: i64,
    pub currency: String,
    pub label: String,
    /// When a payment request on it was confirmed at the bank (`PDNG` or `ACSC`).
    pub completed_at: Option<Instant>,
    pub revoked_at: Option<Instant>,
}

/// One payment attempt on a link (one transaction per request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    pub id: String,
    pub link_id: String,
    pub status: RequestStatus,
    pub status_reason: Option<String>,
    pub created_at: Instant,
    pub updated_at: Instant,
    /// When it reached ACSC (the report's recovery delays start here).
    pub acsc_at: Option<Instant>,
    /// When the payer confirmed it at the bank (it reached `PDNG` or `ACSC`): the instant its
    /// link completed.
    pub confirmed_at: Option<Instant>,
    pub end_to_end_id: String,
    pub transaction_id: String,
}

/// What a link creation asks for, already read from the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLink {
    pub client_reference: String,
    pub amount_cents: i64,
    pub currency: String,
    pub label: String,
    /// None: `now + default_expiry`.
    pub expired_at: Option<Instant>,
}

/// Why a link creation is refused (answered as 400 by the API).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CreateRefused {
    #[error("client_reference must not be empty")]
    EmptyClientReference,
    #[error("amount must be positive, found {0} cents")]
    InvalidAmount(i64),
    #[error("currency must be a 3-letter ISO 4217 code, found {0:?}")]
    InvalidCurrency(String),
    #[error("expired_date must be in the future")]
    ExpiryNotAfterNow,
    #[error("expired_date must be at most {0} after now")]
    ExpiryTooFar(Duration),
}

/// Why a payer cannot initiate a payment on a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayRefused {
    UnknownLink,
    Expired,
    Revoked,
    /// A request on the link was confirmed: the link is `completed` and takes no new request,
    /// even when that payment ended `RJCT` (docs: "create a new payment link to get paid").
    Completed,
    /// A request on the link is still CREA, ACTC or PDNG.
    InProgress,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EventType {
    #[serde(rename = "payment.transaction.created")]
    TransactionCreated,
    #[serde(rename = "payment.transaction.updated")]
    TransactionUpdated,
    #[serde(rename = "payment.link.updated")]
    LinkUpdated,
}

impl EventType {
    /// The webhook `type` field.
    pub fn name(self) -> &'static str {
        match self {
            EventType::TransactionCreated => "payment.transaction.created",
            EventType::TransactionUpdated => "payment.transaction.updated",
            EventType::LinkUpdated => "payment.link.updated",
        }
    }
}

/// A webhook Bridge emits, before the harness decides how (and whether) it is delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct BridgeEvent {
    /// The emission instant (the `timestamp` of the body).
    pub at: Instant,
    pub kind: EventType,
    /// Keys in alphabetical order (the JSON map sorts them anyway).
    pub content: Value,
}

#[derive(Serialize)]
struct Envelope<'a> {
    content: &'a Value,
    timestamp: i64,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl BridgeEvent {
    /// The raw webhook body, compact: `{"content":{...},"timestamp":<epoch ms>,"type":"..."}`.
    /// No event id (SPEC 4.1): receivers must deduplicate on the content.
    pub fn body(&self) -> Vec<u8> {
        let envelope = Envelope { content: &self.content, timestamp: self.at.as_ms(), kind: self.kind.name() };
        serde_json::to_vec(&envelope).unwrap_or_default()
    }
}

/// One page of payment requests, ordered by `(created_at, id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestPage<'a> {
    pub resources: Vec<&'a PaymentRequest>,
    /// More requests follow the last one of this page.
    pub more: bool,
}

/// The `after` cursor names no payment request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown cursor {0:?}")]
pub struct UnknownCursor(pub String);

/// The `status_reason` of a request whose payer confirmed after its link stopped being valid
/// *(model choice: the docs do not say what Bridge does then)*.
pub const LINK_INACTIVE_REASON: &str = "LINK_INACTIVE";

const LINK_TAG: u32 = 0x11;
const REQUEST_TAG: u32 = 0x22;
const TRANSACTION_TAG: u32 = 0x33;
const END_TO_END_TAG: u32 = 0x44;

/// A UUID-shaped id from a tag and a counter: ids sort like their counters (12 hex digits).
fn make_id(tag: u32, n: u64) -> String {
    format!("{tag:08x}-0000-4000-8000-{n:012x}")
}

/// Bridge for one application: every link and request it holds, and the events not yet drained.
pub struct BridgeWorld {
    config: BridgeConfig,
    links: Vec<PaymentLink>,
    requests: Vec<PaymentRequest>,
    link_by_id: BTreeMap<String, usize>,
    request_by_id: BTreeMap<String, usize>,
    /// Per link (same index as `links`), its requests sorted by `(created_at, id)`.
    requests_of_link: Vec<Vec<usize>>,
    /// Every request sorted by `(created_at, id)`.
    request_order: Vec<usize>,
    /// The valid links by `(expired_at, index)`: what `expire_due` pops, `poll_timeout` reads.
    expiry_queue: BTreeSet<(Instant, usize)>,
    events: VecDeque<BridgeEvent>,
    pub(super) api: ApiState,
}

impl BridgeWorld {
    pub fn new(config: BridgeConfig) -> Self {
        BridgeWorld {
            config,
            links: Vec::new(),
            requests: Vec::new(),
            link_by_id: BTreeMap::new(),
            request_by_id: BTreeMap::new(),
            requests_of_link: Vec::new(),
            request_order: Vec::new(),
            expiry_queue: BTreeSet::new(),
            events: VecDeque::new(),
            api: ApiState::default(),
        }
    }

    pub fn config(&self) -> &BridgeConfig {
        &self.config
    }

    /// Create a valid link at `now`; returns its id. Expiry is `new.expired_at`, or
    /// `now + default_expiry`; an explicit one must be after `now` and at most `now + max_expiry`.
    /// Emits nothing (Bridge has no creation webhook).
    ///
    /// Changes `poll_timeout` (a new valid link, and any link that expired by `now`).
    pub fn create_link(&mut self, now: Instant, new: NewLink) -> Result<String, CreateRefused> {
        self.expire_due(now);
        if new.client_reference.is_empty() {
            return Err(CreateRefused::EmptyClientReference);
        }
        if new.amount_cents <= 0 {
            return Err(CreateRefused::InvalidAmount(new.amount_cents));
        }
        if new.currency.len() != 3 || !new.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CreateRefused::InvalidCurrency(new.currency));
        }
        let expired_at = match new.expired_at {
            None => now + self.config.default_expiry,
            Some(at) if at <= now => return Err(CreateRefused::ExpiryNotAfterNow),
            Some(at) if at > now + self.config.max_expiry => return Err(CreateRefused::ExpiryTooFar(self.config.max_expiry)),
            Some(at) => at,
        };
        let index = self.links.len();
        let id = make_id(LINK_TAG, index as u64 + 1);
        self.links.push(PaymentLink {
            id: id.clone(),
            client_reference: new.client_reference,
            status: LinkStatus::Valid,
            created_at: now,
            expired_at,
            url: format!("https://pay.bridgeapi.io/link/{id}"),
            amount_cents: new.amount_cents,
            currency: new.currency,
            label: new.label,
            completed_at: None,
            revoked_at: None,
        });
        self.link_by_id.insert(id.clone(), index);
        self.requests_of_link.push(Vec::new());
        self.expiry_queue.insert((expired_at, index));
        Ok(id)
    }

    /// Revoke a link at `now`: a valid one becomes `revoked` (emits `payment.link.updated`); a
    /// final one (expired, revoked, completed) stays as it is. Returns the link as it now is, or
    /// None when unknown.
    ///
    /// Changes `poll_timeout` (the revoked link no longer expires; links due by `now` expire).
    pub fn revoke_link(&mut self, now: Instant, link_id: &str) -> Option<&PaymentLink> {
        self.expire_due(now);
        let index = *self.link_by_id.get(link_id)?;
        if self.links[index].status == LinkStatus::Valid {
            let link = &mut self.links[index];
            link.status = LinkStatus::Revoked;
            link.revoked_at = Some(now);
            let removed = self.expiry_queue.remove(&(link.expired_at, index));
            debug_assert!(removed, "a valid link is in the expiry queue");
            self.emit_link_updated(now, index);
        }
        Some(&self.links[index])
    }

    /// A payer opens the link and initiates a payment at `now`; returns the new request's id.
    ///
    /// Allowed on a valid link (after lazy expiry, so `now < expired_at`) with no request in
    /// progress: a new attempt after an abandoned one is a new request on the same link. The
    /// request starts in CREA and emits `payment.transaction.created`; the link stays `valid`
    /// until the payer confirms (see [`Self::advance_request`]).
    ///
    /// Changes `poll_timeout` only by expiring the links due by `now`.
    pub fn initiate_payment(&mut self, now: Instant, link_id: &str) -> Result<String, PayRefused> {
        self.expire_due(now);
        let index = *self.link_by_id.get(link_id).ok_or(PayRefused::UnknownLink)?;
        let link = &self.links[index];
        match link.status {
            LinkStatus::Expired => return Err(PayRefused::Expired),
            LinkStatus::Revoked => return Err(PayRefused::Revoked),
            LinkStatus::Completed => return Err(PayRefused::Completed),
            LinkStatus::Valid => {}
        }
        if self.requests_of_link[index].iter().any(|&r| !self.requests[r].status.is_final()) {
            return Err(PayRefused::InProgress);
        }

        let r = self.requests.len();
        let n = r as u64 + 1;
        let request = PaymentRequest {
            id: make_id(REQUEST_TAG, n),
            link_id: link.id.clone(),
            status: RequestStatus::Crea,
            status_reason: None,
            created_at: now,
            updated_at: now,
            acsc_at: None,
            confirmed_at: None,
            end_to_end_id: make_id(END_TO_END_TAG, n),
            transaction_id: make_id(TRANSACTION_TAG, n),
        };
        let id = request.id.clone();
        let key = (now, id.as_str());
        let at = self.request_order.partition_point(|&j| (self.requests[j].created_at, self.requests[j].id.as_str()) <= key);
        let at_link = self.requests_of_link[index].partition_point(|&j| (self.requests[j].created_at, self.requests[j].id.as_str()) <= key);
        self.request_order.insert(at, r);
        self.requests_of_link[index].insert(at_link, r);
        self.request_by_id.insert(id.clone(), r);
        self.requests.push(request);
        self.emit_transaction(now, EventType::TransactionCreated, r);
        Ok(id)
    }

    /// The bank moves a request on at `now`. Only forward moves are taken (`CREA` → `ACTC` →
    /// `PDNG` → `ACSC`/`RJCT`/`PART`, skipping allowed); a final request never moves again.
    /// Returns whether the request moved. On a move: `updated_at = now`, `status_reason = reason`,
    /// `acsc_at = now` on ACSC, and `payment.transaction.updated` is emitted.
    ///
    /// The first move to `PDNG` or `ACSC` is the payer's confirmation: it completes a `valid`
    /// link (`completed_at = now`, `payment.link.updated` after the request's event). On a link
    /// that is no longer valid the confirmation is refused and the request ends `RJCT` with
    /// [`LINK_INACTIVE_REASON`] instead *(model choice, see the module header)*.
    ///
    /// Changes `poll_timeout` (a completed link no longer expires; links due by `now` expire).
    pub fn advance_request(&mut self, now: Instant, request_id: &str, status: RequestStatus, reason: Option<&str>) -> bool {
        self.expire_due(now);
        let Some(&r) = self.request_by_id.get(request_id) else {
            return false;
        };
        let request = &self.requests[r];
        if request.status.is_final() || status.rank() <= request.status.rank() {
            return false;
        }
        let index = self.link_by_id[&request.link_id];
        let confirms = request.confirmed_at.is_none() && matches!(status, RequestStatus::Pdng | RequestStatus::Acsc);
        let (status, reason) = if confirms && self.links[index].status != LinkStatus::Valid {
            (RequestStatus::Rjct, Some(LINK_INACTIVE_REASON))
        } else {
            (status, reason)
        };
        let request = &mut self.requests[r];
        request.status = status;
        request.status_reason = reason.map(str::to_string);
        request.updated_at = now;
        if status == RequestStatus::Acsc {
            request.acsc_at = Some(now);
        }
        let completes = confirms && status != RequestStatus::Rjct;
        if completes {
            request.confirmed_at = Some(now);
        }
        self.emit_transaction(now, EventType::TransactionUpdated, r);
        if completes {
            let link = &mut self.links[index];
            link.status = LinkStatus::Completed;
            link.completed_at = Some(now);
            let removed = self.expiry_queue.remove(&(link.expired_at, index));
            debug_assert!(removed, "a valid link is in the expiry queue");
            self.emit_link_updated(now, index);
        }
        true
    }

    /// Time passed to `now`: every valid link with `expired_at <= now` becomes `expired`, in
    /// `(expired_at, creation)` order, each emitting `payment.link.updated` (stamped `now`, the
    /// instant Bridge notices). Call it at `poll_timeout`; earlier or later is harmless.
    ///
    /// Changes `poll_timeout` (to the next valid link's expiry).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.expire_due(now);
    }

    /// Expire what is due at `now` (the first step of every entry point).
    pub(super) fn expire_due(&mut self, now: Instant) {
        while let Some(&(at, index)) = self.expiry_queue.first() {
            if at > now {
                break;
            }
            self.expiry_queue.pop_first();
            debug_assert_eq!(self.links[index].status, LinkStatus::Valid, "only valid links wait in the expiry queue");
            self.links[index].status = LinkStatus::Expired;
            self.emit_link_updated(now, index);
        }
    }

    /// The next instant at which a valid link expires. Changed by `create_link`, `revoke_link`,
    /// `initiate_payment`, `advance_request` and `handle_timeout` (which expire what is due) and
    /// any API call (which may create, revoke or expire).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expiry_queue.first().map(|&(at, _)| at)
    }

    /// The next webhook event emitted and not yet taken, oldest first.
    ///
    /// Does not change `poll_timeout`.
    pub fn poll_event(&mut self) -> Option<BridgeEvent> {
        self.events.pop_front()
    }

    /// Every link, in creation order.
    pub fn links(&self) -> &[PaymentLink] {
        &self.links
    }

    /// Every request, in creation order.
    pub fn requests(&self) -> &[PaymentRequest] {
        &self.requests
    }

    /// A link as last updated (without applying expiry at any later instant).
    pub fn link(&self, id: &str) -> Option<&PaymentLink> {
        self.link_by_id.get(id).map(|&i| &self.links[i])
    }

    pub fn request(&self, id: &str) -> Option<&PaymentRequest> {
        self.request_by_id.get(id).map(|&i| &self.requests[i])
    }

    /// A link's requests ordered by `(created_at, id)`; empty for an unknown link.
    pub fn requests_of(&self, link_id: &str) -> Vec<&PaymentRequest> {
        match self.link_by_id.get(link_id) {
            Some(&i) => self.requests_of_link[i].iter().map(|&r| &self.requests[r]).collect(),
            None => Vec::new(),
        }
    }

    /// Up to `limit` requests ordered by `(created_at, id)`, of one link (`link_id`; an unknown
    /// link has none) or of all, starting just after the request named by `after`. A cursor of
    /// another link's request still positions by its `(created_at, id)`.
    pub fn list_requests(&self, link_id: Option<&str>, after: Option<&str>, limit: usize) -> Result<RequestPage<'_>, UnknownCursor> {
        let order: &[usize] = match link_id {
            Some(id) => self.link_by_id.get(id).map_or(&[], |&i| &self.requests_of_link[i]),
            None => &self.request_order,
        };
        let start = match after {
            None => 0,
            Some(cursor) => {
                let &c = self.request_by_id.get(cursor).ok_or_else(|| UnknownCursor(cursor.to_string()))?;
                let key = (self.requests[c].created_at, self.requests[c].id.as_str());
                order.partition_point(|&j| (self.requests[j].created_at, self.requests[j].id.as_str()) <= key)
            }
        };
        let end = start.saturating_add(limit).min(order.len());
        Ok(RequestPage { resources: order[start..end].iter().map(|&r| &self.requests[r]).collect(), more: end < order.len() })
    }

    fn emit_link_updated(&mut self, now: Instant, index: usize) {
        let link = &self.links[index];
        let content = json!({
            "client_reference": link.client_reference,
            "payment_link_id": link.id,
            "payment_link_status": link.status.as_str(),
        });
        self.events.push_back(BridgeEvent { at: now, kind: EventType::LinkUpdated, content });
    }

    /// A transaction event's content as docs.bridgeapi.io "Payments webhooks"
    /// (<https://docs.bridgeapi.io/docs/payments-webhooks>) shows it: `payment.transaction.created`
    /// carries no `status` nor `status_reason`; `payment.transaction.updated` carries `status`;
    /// fields that are null are left out ("not in response if null"), never sent as `null`.
    fn emit_transaction(&mut self, now: Instant, kind: EventType, r: usize) {
        let request = &self.requests[r];
        let link = &self.links[self.link_by_id[&request.link_id]];
        let mut content = json!({
            "client_reference": link.client_reference,
            "end_to_end_id": request.end_to_end_id,
            "payment_link_id": link.id,
            "payment_request_id": request.id,
            "payment_transaction_id": request.transaction_id,
        });
        if kind == EventType::TransactionUpdated {
            if let Some(map) = content.as_object_mut() {
                map.insert("status".into(), json!(request.status.as_str()));
                if let Some(reason) = &request.status_reason {
                    map.insert("status_reason".into(), json!(reason));
                }
            }
        }
        self.events.push_back(BridgeEvent { at: now, kind, content });
    }
}

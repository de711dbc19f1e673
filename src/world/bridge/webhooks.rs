//! Bridge's webhook deliveries (SPEC 4.1): every event Bridge emits leaves as a signed `POST` to
//! the ERP's receiver, at least once: the network may lose it, delay it (varied delays reorder
//! deliveries) or deliver it twice, and Bridge retries a delivery that failed on its own
//! schedule. While a secret rotation overlaps, Bridge signs with both secrets. The timeline adds
//! forged deliveries (a wrong secret) and replays of accepted ones.
//!
//! A world model, not the code under test, and sans-IO: the harness hands each event in
//! ([`Webhooks::handle_event`]), schedules the deliveries it answers, sends each one as
//! [`Webhooks::request`] builds it, under [`Webhooks::retry`], and tells how each one ended
//! ([`Webhooks::handle_delivery_over`]). Every draw comes from the webhooks' own random
//! stream, in the order each verb lists. No timers: `Webhooks` has no `poll_timeout`, and none of
//! its verbs changes one (the harness schedules the instants the verbs return).

use std::collections::{BTreeMap, VecDeque};

use rand_chacha::ChaCha8Rng;

use super::model::{BridgeEvent, EventType, PaymentRequest};
use crate::logic::bridge::receiver::PATH as WEBHOOK_PATH;
use crate::logic::bridge::signature;
use crate::logic::retry::{RetryPolicy, RetryState};
use crate::logic::uniform::{self, Probability};
use crate::net::{Method, Request};
use crate::time::Instant;
use crate::world::dist::DurationDist;

/// What happens to deliveries (the scenario's `payments.webhooks`).
#[derive(Clone, Debug)]
pub struct DeliverySettings {
    /// Whether Bridge has a webhook configured at all.
    pub enabled: bool,
    /// Share of events never delivered (lost before the first attempt).
    pub loss: f64,
    /// Share of events delivered twice (the copy leaves `duplicate_after` after the first).
    pub duplicate: f64,
    pub duplicate_after: DurationDist,
    /// From the event to its first delivery.
    pub delay: DurationDist,
    /// Bridge's retry schedule for a failed delivery.
    pub retry: RetryPolicy,
    /// The signing secret both sides start with.
    pub secret: Vec<u8>,
}

/// A delivery's index, in the order deliveries were made.
pub type DeliveryId = u32;

/// One webhook delivery: the event's bytes, signed, and what the trace says of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub body: Vec<u8>,
    /// The `BridgeApi-Signature` header value.
    pub signature: String,
    pub kind: EventType,
    /// The payment request, else the link, the event is about.
    pub subject: String,
    /// The second delivery of a duplicated event.
    pub copy: bool,
}

/// What became of one emitted event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Emission {
    /// No webhook configured: nothing leaves Bridge (no draw either).
    Disabled,
    /// Lost before any attempt.
    Lost { kind: EventType, subject: String },
    /// Deliveries to send at these instants (two when the event is duplicated), in order.
    Sent(Vec<(DeliveryId, Instant)>),
}

/// A forged delivery: a made-up `ACSC` signed with a secret the ERP never had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forged {
    pub request: Request,
    /// The payment request it claims paid.
    pub subject: String,
}

/// Accepted deliveries kept for `webhook_replay` events.
const REPLAY_MEMORY: usize = 256;

/// A request id no request has: what a forged delivery claims when there is no request yet.
const NO_REQUEST: &str = "00000000-0000-4000-8000-000000000000";

/// Bridge's webhook side for one application.
pub struct Webhooks {
    settings: DeliverySettings,
    rng: ChaCha8Rng,
    /// The deliveries that may still be sent: in flight (until their last attempt), or
    /// accepted and still in the replay memory. The others are dropped, so memory follows what
    /// is live, not the run's history.
    deliveries: BTreeMap<DeliveryId, Delivery>,
    /// The next delivery's id.
    next_id: DeliveryId,
    /// The secrets Bridge signs with: one, or old and new while a rotation overlaps.
    signing: Vec<Vec<u8>>,
    /// The newest secret of the last rotation.
    rotated: Option<Vec<u8>>,
    /// The last accepted deliveries, oldest first (at most `REPLAY_MEMORY`).
    accepted: VecDeque<DeliveryId>,
}

/// The one place a webhook request is built: a signed `POST` of the raw body to the receiver.
fn webhook_request(signature: String, body: Vec<u8>) -> Request {
    Request::new(Method::Post, WEBHOOK_PATH).header("content-type", "application/json").header(signature::HEADER, signature).body(body)
}

impl Webhooks {
    pub fn new(settings: DeliverySettings, rng: ChaCha8Rng) -> Self {
        let signing = vec![settings.secret.clone()];
        Webhooks { settings, rng, deliveries: BTreeMap::new(), next_id: 0, signing, rotated: None, accepted: VecDeque::new() }
    }

    /// Bridge emitted `event` at `now`. Draws, when webhooks are enabled, always all four and in
    /// this order: lost, delay, duplicate, the copy's extra delay. A delivery is signed with
    /// every secret Bridge signs with at `now`.
    pub fn handle_event(&mut self, now: Instant, event: BridgeEvent) -> Emission {
        if !self.settings.enabled {
            return Emission::Disabled;
        }
        let subject = ["payment_request_id", "payment_link_id"]
            .iter()
            .find_map(|k| event.content.get(*k).and_then(|v| v.as_str()))
            .unwrap_or("")
            .to_string();
        let s = &self.settings;
        let lost = Probability::from_f64(s.loss).chance(&mut self.rng);
        let delay = s.delay.draw(&mut self.rng);
        let duplicate = Probability::from_f64(s.duplicate).chance(&mut self.rng);
        let copy_after = s.duplicate_after.draw(&mut self.rng);
        if lost {
            return Emission::Lost { kind: event.kind, subject };
        }
        let body = event.body();
        let secrets: Vec<&[u8]> = self.signing.iter().map(|s| s.as_slice()).collect();
        let signature = signature::header_value(&secrets, &body);
        let copies = if duplicate { 2 } else { 1 };
        let mut sent = Vec::with_capacity(copies);
        for c in 0..copies {
            let d = self.next_id;
            self.next_id += 1;
            let copy = c == 1;
            self.deliveries
                .insert(d, Delivery { body: body.clone(), signature: signature.clone(), kind: event.kind, subject: subject.clone(), copy });
            sent.push((d, if copy { now + delay + copy_after } else { now + delay }));
        }
        Emission::Sent(sent)
    }

    /// Delivery `d`, while it may still be sent (see [`Self::handle_delivery_over`]).
    pub fn delivery(&self, d: DeliveryId) -> &Delivery {
        self.deliveries.get(&d).expect("a delivery is kept until its last attempt, and while it may be replayed")
    }

    /// The HTTP request of delivery `d` (the same bytes for every attempt and every replay).
    pub fn request(&self, d: DeliveryId) -> Request {
        let delivery = self.delivery(d);
        webhook_request(delivery.signature.clone(), delivery.body.clone())
    }

    /// Bridge's retry schedule for a delivery starting at `now`: every failure is retried, a
    /// 4xx as much as a timeout, until the schedule gives up.
    pub fn retry(&self, now: Instant) -> RetryState {
        RetryState::new(&self.settings.retry, now).retrying_every_failure()
    }

    /// A single attempt, never retried (forged and replayed deliveries).
    pub fn one_shot(&self, now: Instant) -> RetryState {
        RetryState::new(&RetryPolicy { max_attempts: 1, deadline: None, ..self.settings.retry }, now)
    }

    /// Delivery `d` made its last attempt: `accepted` by the receiver, it may be replayed later
    /// (it joins the replay memory, and the oldest one there is forgotten); otherwise Bridge gave
    /// up on it and it is forgotten now.
    pub fn handle_delivery_over(&mut self, d: DeliveryId, accepted: bool) {
        if !accepted {
            self.deliveries.remove(&d);
            return;
        }
        self.accepted.push_back(d);
        if self.accepted.len() > REPLAY_MEMORY {
            if let Some(forgotten) = self.accepted.pop_front() {
                self.deliveries.remove(&forgotten);
            }
        }
    }

    /// Deliveries kept (in flight, or in the replay memory).
    pub fn kept(&self) -> usize {
        self.deliveries.len()
    }

    /// The last `count` accepted deliveries, oldest first: what a replay sends again.
    pub fn replayable(&self, count: u32) -> Vec<DeliveryId> {
        self.accepted.iter().rev().take(count as usize).rev().copied().collect()
    }

    /// A forged delivery at `now`: it claims `ACSC` for one of `requests` (the worst case), or
    /// for a made-up request when there is none. Draws one uniform index when `requests` is not
    /// empty, nothing otherwise.
    pub fn forge(&mut self, now: Instant, requests: &[PaymentRequest]) -> Forged {
        let (request, link) = if requests.is_empty() {
            (NO_REQUEST.to_string(), NO_REQUEST.to_string())
        } else {
            let k = uniform::below(&mut self.rng, requests.len() as u64) as usize;
            (requests[k].id.clone(), requests[k].link_id.clone())
        };
        let content = serde_json::json!({
            "payment_request_id": request, "payment_link_id": link, "status": "ACSC", "status_reason": null,
            "payment_transaction_id": request, "client_reference": "forged", "end_to_end_id": "forged",
        });
        let body =
            serde_json::to_vec(&serde_json::json!({"content": content, "timestamp": now.as_ms(), "type": "payment.transaction.updated"}))
                .unwrap_or_default();
        let signature = signature::sign(b"not-the-secret", &body);
        Forged { request: webhook_request(signature, body), subject: request }
    }

    /// A secret rotation starts: Bridge signs with the current secret and a new one (the
    /// current one with `-rotated` appended) until [`Self::handle_rotation_end`].
    pub fn handle_rotation_start(&mut self) {
        let old = self.signing.last().cloned().unwrap_or_default();
        let mut new = old.clone();
        new.extend_from_slice(b"-rotated");
        self.signing = vec![old, new.clone()];
        self.rotated = Some(new);
    }

    /// The overlap is over: Bridge signs with the new secret only. Returns whether a rotation had
    /// started (else nothing changes).
    pub fn handle_rotation_end(&mut self) -> bool {
        match &self.rotated {
            Some(new) => {
                self.signing = vec![new.clone()];
                true
            }
            None => false,
        }
    }

    /// The new secret of the last rotation, for the ERP's operator to install.
    pub fn rotated_secret(&self) -> Option<&[u8]> {
        self.rotated.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rng;
    use crate::time::Duration;

    fn settings() -> DeliverySettings {
        DeliverySettings {
            enabled: true,
            loss: 0.0,
            duplicate: 0.0,
            duplicate_after: DurationDist::Fixed(Duration::MINUTE),
            delay: DurationDist::Fixed(Duration::SECOND),
            retry: RetryPolicy::default(),
            secret: b"old".to_vec(),
        }
    }

    fn event(at: Instant) -> BridgeEvent {
        BridgeEvent { at, kind: EventType::LinkUpdated, content: json!({"payment_link_id": "L1", "payment_link_status": "expired"}) }
    }

    fn signed_with(w: &Webhooks, d: DeliveryId, secret: &[u8]) -> bool {
        let r = w.request(d);
        signature::verify(r.header_value(signature::HEADER).unwrap(), &[secret], &r.body)
    }

    fn send(w: &mut Webhooks, now: Instant) -> DeliveryId {
        match w.handle_event(now, event(now)) {
            Emission::Sent(sent) => sent[0].0,
            other => panic!("sent, not {other:?}"),
        }
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_until_its_end_then_with_the_new_one_only() {
        let mut w = Webhooks::new(settings(), rng::stream(1, "t"));
        let before = send(&mut w, Instant(0));
        w.handle_rotation_start();
        let during = send(&mut w, Instant(1));
        assert!(w.handle_rotation_end());
        let after = send(&mut w, Instant(2));
        assert!(signed_with(&w, before, b"old") && !signed_with(&w, before, b"old-rotated"));
        assert!(signed_with(&w, during, b"old") && signed_with(&w, during, b"old-rotated"));
        assert!(!signed_with(&w, after, b"old") && signed_with(&w, after, b"old-rotated"));
        assert_eq!(w.rotated_secret(), Some(&b"old-rotated"[..]));
    }

    #[test]
    fn a_lost_event_leaves_no_delivery_and_a_duplicated_one_leaves_two_the_copy_later() {
        let mut w = Webhooks::new(DeliverySettings { loss: 1.0, ..settings() }, rng::stream(1, "t"));
        assert!(matches!(w.handle_event(Instant(0), event(Instant(0))), Emission::Lost { kind: EventType::LinkUpdated, .. }));
        let mut w = Webhooks::new(DeliverySettings { duplicate: 1.0, ..settings() }, rng::stream(1, "t"));
        let Emission::Sent(sent) = w.handle_event(Instant(0), event(Instant(0))) else { panic!("sent") };
        assert_eq!(sent, [(0, Instant(1000)), (1, Instant(61_000))]);
        assert!(w.delivery(1).copy && !w.delivery(0).copy);
        assert_eq!(w.request(0), w.request(1), "the same bytes twice");
    }

    #[test]
    fn a_replay_sends_the_last_accepted_deliveries_oldest_first_from_the_last_256() {
        let mut w = Webhooks::new(settings(), rng::stream(1, "t"));
        for _ in 0..300 {
            let d = send(&mut w, Instant(0));
            w.handle_delivery_over(d, true);
        }
        assert_eq!(w.replayable(3), [297, 298, 299]);
        assert_eq!(w.replayable(1000).len(), 256);
        assert_eq!(w.replayable(1000)[0], 44);
        assert_eq!(w.kept(), 256, "the others are forgotten");
    }

    #[test]
    fn a_delivery_bridge_gave_up_on_is_forgotten_and_never_replayed() {
        let mut w = Webhooks::new(settings(), rng::stream(1, "t"));
        let given_up = send(&mut w, Instant(0));
        let accepted = send(&mut w, Instant(1));
        let in_flight = send(&mut w, Instant(2));
        w.handle_delivery_over(given_up, false);
        w.handle_delivery_over(accepted, true);
        assert_eq!(w.replayable(10), [accepted]);
        assert_eq!(w.kept(), 2, "the accepted one and the one in flight");
        assert!(!w.delivery(in_flight).copy);
    }
}

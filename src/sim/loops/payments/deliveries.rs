//! Bridge's events on their way to the ERP: after every change in the world, the events Bridge
//! emitted become webhook deliveries (`world::bridge::Webhooks` decides their fate), one expiry
//! event stays scheduled, and the timeline's forged deliveries, replays and secret rotations
//! are carried out.

use super::lines::{LostLine, SecretLine};
use super::{Out, PayCall, PayEv, PaySim, lock};
use crate::sim::engine::trace::Trace;
use crate::sim::engine::transport::Link;
use crate::time::{Duration, Instant};
use crate::world::bridge::{BridgeEvent, DeliveryId, Emission};

impl PaySim {
    /// Bridge may have emitted events and changed its next expiry: turn events into deliveries
    /// and keep one expiry event scheduled.
    pub(super) fn after_world_change(&mut self, now: Instant, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        let (events, next_expiry): (Vec<BridgeEvent>, _) = {
            let mut b = lock(&self.bridge);
            (std::iter::from_fn(|| b.poll_event()).collect(), b.poll_timeout())
        };
        for event in events {
            self.emit(now, event, out, trace);
        }
        if let Some(t) = next_expiry {
            if self.scheduled_expiry.is_none_or(|s| t < s) {
                self.scheduled_expiry = Some(t);
                out.push(Out::At(t.max(now), PayEv::Expiry));
            }
        }
    }

    fn emit(&mut self, now: Instant, event: BridgeEvent, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        self.log.events += 1;
        match self.webhooks.handle_event(now, event) {
            Emission::Disabled => {}
            Emission::Lost { kind, subject } => {
                self.log.webhooks_lost += 1;
                if trace.enabled() {
                    trace.record(now, "webhook", "lost", &LostLine { kind: kind.name(), subject: &subject });
                }
            }
            Emission::Sent(sent) => {
                if sent.len() > 1 {
                    self.log.webhooks_duplicated += 1;
                }
                out.extend(sent.into_iter().map(|(d, at)| Out::At(at, PayEv::Deliver(d))));
            }
        }
    }

    /// Delivery `d` leaves Bridge at `now`, under Bridge's retry schedule.
    pub(super) fn deliver(&mut self, now: Instant, d: DeliveryId) -> Out {
        self.log.deliveries += 1;
        Out::Call {
            link: Link::Webhooks,
            request: self.webhooks.request(d),
            retry: self.webhooks.retry(now),
            purpose: PayCall::Webhook { delivery: d },
        }
    }

    /// A timeline event: `count` forged deliveries (a wrong secret) claiming a payment.
    pub fn forge(&mut self, now: Instant, count: u32, trace: &mut Trace<'_>) -> Vec<Out> {
        let mut out = Vec::new();
        for _ in 0..count {
            let forged = {
                let bridge = lock(&self.bridge);
                self.webhooks.forge(now, bridge.requests())
            };
            self.log.forged_sent += 1;
            if trace.enabled() {
                trace.record(now, "webhook", "forged", &LostLine { kind: "payment.transaction.updated", subject: &forged.subject });
            }
            out.push(Out::Call {
                link: Link::Webhooks,
                request: forged.request,
                retry: self.webhooks.one_shot(now),
                purpose: PayCall::Forged,
            });
        }
        out
    }

    /// A timeline event: the last `count` accepted deliveries are sent again, byte for byte.
    pub fn replay(&mut self, now: Instant, count: u32, trace: &mut Trace<'_>) -> Vec<Out> {
        let mut out = Vec::new();
        for d in self.webhooks.replayable(count) {
            self.log.replayed_sent += 1;
            if trace.enabled() {
                let delivery = self.webhooks.delivery(d);
                trace.record(now, "webhook", "replayed", &LostLine { kind: delivery.kind.name(), subject: &delivery.subject });
            }
            out.push(Out::Call {
                link: Link::Webhooks,
                request: self.webhooks.request(d),
                retry: self.webhooks.one_shot(now),
                purpose: PayCall::Replay,
            });
        }
        out
    }

    /// A timeline event: Bridge rotates its webhook secret, signing with both for `overlap`; the
    /// ERP's operator installs the new one `erp_updates_after`.
    pub fn rotate(&mut self, now: Instant, overlap: Duration, erp_updates_after: Duration, trace: &mut Trace<'_>) -> Vec<Out> {
        self.webhooks.handle_rotation_start();
        if trace.enabled() {
            trace.record(now, "bridge", "secret", &SecretLine { change: "rotation: signing with both secrets" });
        }
        vec![Out::At(now + overlap, PayEv::RotationEnd), Out::At(now + erp_updates_after, PayEv::ErpSecretUpdate)]
    }

    pub(super) fn end_rotation(&mut self, now: Instant, trace: &mut Trace<'_>) {
        if self.webhooks.handle_rotation_end() && trace.enabled() {
            trace.record(now, "bridge", "secret", &SecretLine { change: "old secret retired" });
        }
    }

    pub(super) fn install_rotated_secret(&mut self, now: Instant, trace: &mut Trace<'_>) {
        let Some(new) = self.webhooks.rotated_secret().map(<[u8]>::to_vec) else { return };
        lock(&self.erp).install_secret(new);
        if trace.enabled() {
            trace.record(now, "erp", "secret", &SecretLine { change: "new secret installed" });
        }
    }
}

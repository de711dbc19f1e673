//! The invoices' payers and their banks (SPEC 4.1, 4.3): whether a payer opens the link and
//! pays, when; what the bank answers to a payment and how long it takes; whether a rejected payer
//! tries again; whether a payer who never paid tries anyway once the link is gone.
//!
//! A world model, not the code under test, and sans-IO: the harness tells [`Payers`] what
//! happened (`handle_*`) and schedules what it answers. Every draw comes from the payers' own
//! random stream, in the fixed order each verb lists, so adding a rule never moves another draw.
//! No timers: `Payers` has no `poll_timeout`, and none of its verbs changes one.

use rand_chacha::ChaCha8Rng;

use super::model::RequestStatus;
use crate::logic::uniform::{self, Probability};
use crate::time::{Duration, Instant};
use crate::world::dist::DurationDist;

/// How payers and their banks behave (the scenario's `payments.payers`).
#[derive(Clone, Copy, Debug)]
pub struct PayerBehaviour {
    /// Share of invoices whose payer opens the link and pays.
    pub pay_share: f64,
    /// From the link's creation to the payer's first attempt.
    pub pay_delay: DurationDist,
    /// From the attempt (CREA) to its final status at the bank.
    pub settle_delay: DurationDist,
    /// Share of attempts the bank rejects (RJCT) after the payer confirmed: the link is
    /// completed and stays so (docs, "Payment links statuses": create a new link to get paid).
    pub reject_share: f64,
    /// Share of attempts the payer abandons at the bank before confirming: the request ends
    /// `RJCT` (reason [`ABANDONED_REASON`]) and the link stays `valid`.
    pub abandon_share: f64,
    /// Share of attempts that wait in `PDNG` for `pending_delay` before their final status.
    pub pending_share: f64,
    pub pending_delay: DurationDist,
    /// Share of payers who abandoned at the bank and try again on the same (still valid) link,
    /// `retry_delay` later.
    pub retry_share: f64,
    pub retry_delay: DurationDist,
    /// Share of non-paying payers who try anyway after the link expired or was revoked.
    pub late_share: f64,
}

/// What a payer does with a new link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayerIntent {
    /// Opens the link and tries to pay at this instant (attempt 0).
    PayAt(Instant),
    /// Never pays in time, but tries at this instant, after the ERP revoked the link or it
    /// expired.
    TryLateAt(Instant),
    /// Never opens the link.
    Ignore,
}

/// One move of a payment request at the bank, for the harness to schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankStep {
    pub at: Instant,
    pub status: RequestStatus,
    pub status_reason: Option<&'static str>,
}

/// The `status_reason` of a request the payer abandoned at the bank *(model choice: ISO 20022
/// has no code Bridge documents for it)*.
pub const ABANDONED_REASON: &str = "ABANDONED";
/// The `status_reason` of a confirmed payment the bank rejected (ISO 20022 AM04, insufficient
/// funds; the reason the model always gives).
pub const BANK_REJECTION_REASON: &str = "AM04";

/// Every payer of the run, with the stream they draw from.
pub struct Payers {
    behaviour: PayerBehaviour,
    rng: ChaCha8Rng,
}

impl Payers {
    pub fn new(behaviour: PayerBehaviour, rng: ChaCha8Rng) -> Self {
        Payers { behaviour, rng }
    }

    /// The ERP got a link at `now`, valid until `expires_at`; the ERP revokes unpaid links
    /// `revoke_after` after their creation. Draws, always all four and in this order: pays,
    /// pay delay, late, the late attempt's instant (uniform from the earlier of revocation and
    /// expiry to one day after expiry).
    pub fn handle_link_created(&mut self, now: Instant, expires_at: Instant, revoke_after: Duration) -> PayerIntent {
        let p = &self.behaviour;
        let pays = Probability::from_f64(p.pay_share).chance(&mut self.rng);
        let delay = p.pay_delay.draw(&mut self.rng);
        let late = Probability::from_f64(p.late_share).chance(&mut self.rng);
        let validity = (expires_at - now).as_ms().max(0);
        let revoke = revoke_after.as_ms().min(validity);
        let late_at = now + Duration::from_ms(uniform::between(&mut self.rng, revoke, validity + Duration::DAY.as_ms()));
        if pays {
            PayerIntent::PayAt(now + delay)
        } else if late {
            PayerIntent::TryLateAt(late_at)
        } else {
            PayerIntent::Ignore
        }
    }

    /// A payer initiated a payment at `now` (the request is CREA): the bank's moves, in order.
    /// The bank accepts the initiation first (ACTC, half the settle delay later). Then:
    /// - abandoned: the payer leaves the bank's page without confirming; the request ends `RJCT`
    ///   ([`ABANDONED_REASON`]) at the settle delay, and the link stays valid;
    /// - pending: the payer confirms (PDNG) at the settle delay, the final status comes
    ///   `pending_delay` later;
    /// - instant: ACSC at the settle delay (confirmed and executed at once, docs "Payment
    ///   requests and transactions statuses"); or, when the bank rejects the confirmed payment,
    ///   PDNG at the settle delay then RJCT half a settle delay later *(model choice)*.
    ///
    /// Draws, in this order: reject, settle delay, then pending and its delay only when the
    /// behaviour has pending payments, then abandon only when it has abandons (so adding a
    /// rule changed no earlier draw).
    pub fn handle_payment_initiated(&mut self, now: Instant) -> Vec<BankStep> {
        let p = &self.behaviour;
        let reject = Probability::from_f64(p.reject_share).chance(&mut self.rng);
        let settle = p.settle_delay.draw(&mut self.rng);
        let pending = p.pending_share > 0.0 && Probability::from_f64(p.pending_share).chance(&mut self.rng);
        let pending_delay = if pending { Some(p.pending_delay.draw(&mut self.rng)) } else { None };
        let abandon = p.abandon_share > 0.0 && Probability::from_f64(p.abandon_share).chance(&mut self.rng);
        let status = if reject { RequestStatus::Rjct } else { RequestStatus::Acsc };
        let half = Duration::from_ms(settle.as_ms() / 2);
        let mut steps = vec![BankStep { at: now + half, status: RequestStatus::Actc, status_reason: None }];
        let reason = reject.then_some(BANK_REJECTION_REASON);
        match (abandon, pending_delay) {
            (true, _) => steps.push(BankStep { at: now + settle, status: RequestStatus::Rjct, status_reason: Some(ABANDONED_REASON) }),
            (false, Some(wait)) => {
                steps.push(BankStep { at: now + settle, status: RequestStatus::Pdng, status_reason: None });
                steps.push(BankStep { at: now + settle + wait, status, status_reason: reason });
            }
            (false, None) if reject => {
                steps.push(BankStep { at: now + settle, status: RequestStatus::Pdng, status_reason: None });
                steps.push(BankStep { at: now + settle + half, status, status_reason: reason });
            }
            (false, None) => steps.push(BankStep { at: now + settle, status, status_reason: reason }),
        }
        steps
    }

    /// A payer abandoned their first attempt at `now`: returns when they try again on the same
    /// link (still valid, docs: "customers can make multiple attempts"), if they do. Draws, always both and
    /// in this order: again, the retry delay.
    pub fn handle_abandon(&mut self, now: Instant) -> Option<Instant> {
        let again = Probability::from_f64(self.behaviour.retry_share).chance(&mut self.rng);
        let wait = self.behaviour.retry_delay.draw(&mut self.rng);
        again.then_some(now + wait)
    }

    /// The ERP gave a new link at `now` to a payer whose confirmed payment the bank rejected:
    /// they pay on it after a pay delay *(model choice: a payer who already confirmed once means
    /// to pay)*. Draws one pay delay.
    pub fn handle_replacement_link(&mut self, now: Instant) -> Instant {
        now + self.behaviour.pay_delay.draw(&mut self.rng)
    }
}

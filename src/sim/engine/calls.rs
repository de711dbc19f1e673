//! One outbound call's journey through the network, shared by every client the harness drives
//! (heartbeat pushes, the ERP's Bridge API calls, Bridge's webhook deliveries): each attempt
//! leaves the client, the fault plan decides what the wire does to it, the transport carries it
//! to the server at the virtual instant it arrives, the answer comes back after the virtual
//! latency or the client's timeout fires first, and the retry policy decides what comes next
//! (SPEC 5). Three events per attempt: [`Call::send`], [`Call::arrive`], [`Call::back`].

use rand_core::RngCore;

use crate::logic::retry::{AttemptOutcome, Next, RetryState};
use crate::net::{Request, Response};
use crate::sim::engine::transport::{Exchange, Link, Transport, WireFault};
use crate::time::{Duration, Instant};
use crate::world::network::faults::{FaultDecision, FaultPlan};

/// Which event follows an attempt's departure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    /// The request reaches the server at this instant: call [`Call::arrive`] then.
    Arrive(Instant),
    /// Nothing will arrive; the client's timeout fires at this instant: call [`Call::back`] then.
    Back(Instant),
}

/// What happened when an attempt reached the server's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// When the client learns the outcome (the answer, or its own timeout if that comes first).
    pub back_at: Instant,
    /// What the client will see, unless its timeout fires first (then it sees `TimedOut`).
    pub outcome: AttemptOutcome,
    /// Whether the request reached the service itself (no refusal, no injected status).
    pub reached_service: bool,
}

pub struct Call<P> {
    pub link: Link,
    pub request: Request,
    pub retry: RetryState,
    pub purpose: P,
    attempt_started: Instant,
    fault: WireFault,
    latency: Duration,
    answer: Option<AttemptOutcome>,
    response: Option<Response>,
}

impl<P> Call<P> {
    pub fn new(link: Link, request: Request, retry: RetryState, purpose: P) -> Self {
        Call {
            link,
            request,
            retry,
            purpose,
            attempt_started: Instant(0),
            fault: WireFault::None,
            latency: Duration::ZERO,
            answer: None,
            response: None,
        }
    }

    /// An attempt leaves the client at `now`; the fault plan decides what the wire does to it.
    pub fn send(&mut self, now: Instant, faults: &mut FaultPlan) -> Leg {
        self.attempt_started = now;
        self.answer = None;
        self.response = None;
        match faults.decide(now, self.link) {
            FaultDecision::NoAnswer => {
                self.answer = Some(AttemptOutcome::TimedOut);
                Leg::Back(self.retry.attempt_deadline(now))
            }
            FaultDecision::Deliver { latency, fault } => {
                self.fault = fault;
                self.latency = latency;
                Leg::Arrive(now + Duration::from_ms(latency.as_ms() / 2))
            }
        }
    }

    /// The attempt reaches the server at `now`. `nothing_listens` refuses it whatever the plan
    /// said (a stopped server). The answer is back after the whole latency, unless the client's
    /// per-attempt timeout fires first: then the server still acted, the client saw a timeout.
    pub fn arrive(&mut self, now: Instant, transport: &mut dyn Transport, nothing_listens: bool) -> Arrival {
        let fault = if self.fault == WireFault::None && nothing_listens { WireFault::Refuse } else { self.fault };
        let exchange = transport.exchange(now, self.link, &self.request, fault);
        let outcome = match &exchange {
            Exchange::Refused => AttemptOutcome::Refused,
            Exchange::Answered(r) => {
                AttemptOutcome::Status { code: r.status, retry_after_s: r.header_value("retry-after").and_then(|v| v.trim().parse().ok()) }
            }
        };
        let back = self.attempt_started + self.latency;
        let timeout_at = self.retry.attempt_deadline(self.attempt_started);
        let (back_at, seen) = if back <= timeout_at { (back, outcome) } else { (timeout_at, AttemptOutcome::TimedOut) };
        self.answer = Some(seen);
        self.response = match exchange {
            Exchange::Answered(r) if seen != AttemptOutcome::TimedOut => Some(r),
            _ => None,
        };
        Arrival { back_at, outcome, reached_service: fault == WireFault::None }
    }

    /// The attempt's outcome is back at the client at `now`: the retry policy decides. Returns
    /// the outcome, the response when one came back in time, and what to do next.
    pub fn back<R: RngCore + ?Sized>(&mut self, now: Instant, rng: &mut R) -> (AttemptOutcome, Option<Response>, Next) {
        let outcome = self.answer.take().unwrap_or(AttemptOutcome::TimedOut);
        let next = self.retry.handle_outcome(now, outcome, rng);
        (outcome, self.response.take(), next)
    }
}

/// The trace's words for an outcome: (wire, status).
pub fn wire_words(outcome: AttemptOutcome) -> (&'static str, Option<u16>) {
    match outcome {
        AttemptOutcome::Success => ("answered", Some(200)),
        AttemptOutcome::Status { code, .. } => ("answered", Some(code)),
        AttemptOutcome::Refused => ("refused", None),
        AttemptOutcome::TimedOut => ("timed_out", None),
    }
}

/// The trace's word for a retry decision.
pub fn next_word(next: Next) -> &'static str {
    match next {
        Next::Done => "done",
        Next::RetryAt(_) => "retry",
        Next::GiveUp(_) => "give_up",
    }
}

/// What the attempts of one kind of call came to, counted the same way for every caller:
/// refused, timed out, or answered with a status; and how many calls the retry policy gave up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallCounters {
    pub attempts: u64,
    pub refused: u64,
    pub timed_out: u64,
    /// Answers by HTTP status (a bare success counts as 200).
    pub answers: std::collections::BTreeMap<u16, u64>,
    pub given_up: u64,
}

impl CallCounters {
    /// Count one attempt that came back with `outcome`.
    pub fn count_attempt(&mut self, outcome: AttemptOutcome) {
        self.attempts += 1;
        match outcome {
            AttemptOutcome::Refused => self.refused += 1,
            AttemptOutcome::TimedOut => self.timed_out += 1,
            AttemptOutcome::Status { code, .. } => *self.answers.entry(code).or_insert(0) += 1,
            AttemptOutcome::Success => *self.answers.entry(200).or_insert(0) += 1,
        }
    }

    /// Count the retry policy's decision after an attempt: a give-up ends the call failed.
    pub fn count_decision(&mut self, next: Next) {
        if matches!(next, Next::GiveUp(_)) {
            self.given_up += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::logic::retry::GiveUpReason;

    #[test]
    fn every_attempt_counts_once_by_outcome_and_a_give_up_counts_once_per_call() {
        let mut c = CallCounters::default();
        c.count_attempt(AttemptOutcome::Refused);
        c.count_decision(Next::RetryAt(Instant(1)));
        c.count_attempt(AttemptOutcome::TimedOut);
        c.count_decision(Next::RetryAt(Instant(2)));
        c.count_attempt(AttemptOutcome::Status { code: 503, retry_after_s: None });
        c.count_decision(Next::GiveUp(GiveUpReason::AttemptsExhausted));
        c.count_attempt(AttemptOutcome::Success);
        c.count_decision(Next::Done);
        assert_eq!(c, CallCounters { attempts: 4, answers: BTreeMap::from([(200, 1), (503, 1)]), refused: 1, timed_out: 1, given_up: 1 });
    }
}

//! What the payments side counts on the way, for the report (what the world and the ledger
//! hold at the end is read there, in `sim::analysis::payments`).

use std::collections::BTreeMap;

use crate::logic::retry::{AttemptOutcome, Next};
use crate::time::Instant;

/// The outcomes of one kind of call, attempt by attempt: the one counter every caller of the
/// payments side uses (link creation and the recovery job; webhook deliveries).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Attempts whose outcome came back.
    pub attempts: u64,
    /// Attempts answered, by HTTP status (a success counts as 200).
    pub answers: BTreeMap<u16, u64>,
    /// Attempts whose connection was refused.
    pub refused: u64,
    /// Attempts that got no answer in time.
    pub timed_out: u64,
    /// Calls the retry policy gave up on.
    pub given_up: u64,
}

impl CallCounts {
    /// One attempt's outcome.
    pub fn count_attempt(&mut self, outcome: AttemptOutcome) {
        self.attempts += 1;
        match outcome {
            AttemptOutcome::Refused => self.refused += 1,
            AttemptOutcome::TimedOut => self.timed_out += 1,
            AttemptOutcome::Status { code, .. } => *self.answers.entry(code).or_insert(0) += 1,
            AttemptOutcome::Success => *self.answers.entry(200).or_insert(0) += 1,
        }
    }

    /// The retry policy's decision after an attempt: a give-up ends the call unanswered.
    pub fn count_decision(&mut self, next: Next) {
        if matches!(next, Next::GiveUp(_)) {
            self.given_up += 1;
        }
    }
}

/// One recovery run, for the report.
#[derive(Clone, Debug)]
pub struct RecoveryRunLog {
    pub start: Instant,
    pub end: Instant,
    pub ok: bool,
    pub calls: u32,
    pub failed_calls: u32,
    pub recorded: u32,
    pub revoked: u32,
}

/// What happened, for the report.
#[derive(Clone, Debug, Default)]
pub struct PayLog {
    pub invoices: u64,
    pub links_created: u64,
    pub links_not_created: u64,
    pub payer_attempts: u64,
    pub payer_refused: BTreeMap<&'static str, u64>,
    /// Events Bridge emitted (delivered or not).
    pub events: u64,
    pub webhooks_lost: u64,
    pub webhooks_duplicated: u64,
    /// Deliveries that left Bridge (a duplicate's copy counts apart).
    pub deliveries: u64,
    /// Attempts of every webhook call (deliveries, forged and replayed ones); `given_up` counts
    /// the deliveries only (forged and replayed ones are single attempts).
    pub webhook_calls: CallCounts,
    pub forged_sent: u64,
    pub replayed_sent: u64,
    /// Attempts of every API call (link creation and the recovery job).
    pub api_calls: CallCounts,
    pub runs: Vec<RecoveryRunLog>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::retry::GiveUpReason;

    #[test]
    fn every_attempt_counts_once_by_outcome_and_a_give_up_counts_once_per_call() {
        let mut c = CallCounts::default();
        c.count_attempt(AttemptOutcome::Refused);
        c.count_decision(Next::RetryAt(Instant(1)));
        c.count_attempt(AttemptOutcome::TimedOut);
        c.count_decision(Next::RetryAt(Instant(2)));
        c.count_attempt(AttemptOutcome::Status { code: 503, retry_after_s: None });
        c.count_decision(Next::GiveUp(GiveUpReason::AttemptsExhausted));
        c.count_attempt(AttemptOutcome::Success);
        c.count_decision(Next::Done);
        assert_eq!(c, CallCounts { attempts: 4, answers: BTreeMap::from([(200, 1), (503, 1)]), refused: 1, timed_out: 1, given_up: 1 });
    }
}

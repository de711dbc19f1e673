//! Rules A–D (SPEC 1.3, seed 002): the next attempt after an attempt that ended in a state.
//!
//! [`SyncRules::decide`] is the whole contract. It is pure but for the policies it is handed:
//! given the instant of the attempt, its outcome, the connection's counters and the policies, it
//! returns the rule that applied and the next attempt (or none: the connection waits for its
//! user). The harness, or a production scheduler, owns the clock, the queue and the randomness.

use rand_core::RngCore;

use super::backoff::BackoffPolicy;
pub use super::backoff::{BACKOFF_MAX, BACKOFF_MIN};
use super::spreading::{SpreadInput, SpreadingPolicy};
use super::state::{ConnectionState, StateClass};
use crate::time::{Duration, Instant};

/// seed 002: "si c'est le premier statut de ce type d'affilé, une nouvelle tentative est prévue
/// 12 heures plus tard".
pub const FIRST_WRONGPASS_RETRY: Duration = Duration::from_hours(12);
/// seed 002: "à partir de 2 'wrongpass' consécutifs, si autosync.retry_wrongpass vaut 1, une
/// nouvelle tentative sera prévue 7 jours plus tard".
pub const REPEATED_WRONGPASS_RETRY: Duration = Duration::from_days(7);
/// seed 002: other status after a success: "une nouvelle tentative est prévue 2 heures plus tard".
pub const FIRST_FAILURE_RETRY: Duration = Duration::from_hours(2);

/// Which rule produced a decision. `code()` is what the trace and the report print. The
/// discriminants follow `Rule::ALL`, so counters can be arrays indexed by `rule as usize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A: success → `t + F + J`.
    Success,
    /// B: a state that needs the user → no attempt until the user acts.
    NeedsUser,
    /// C: first `wrongpass` in a row → `t + 12 h`.
    FirstWrongpass,
    /// C: second or later `wrongpass` in a row, `retry_wrongpass = 1` → `t + 7 days`.
    RepeatedWrongpass,
    /// C: second or later `wrongpass` in a row, `retry_wrongpass = 0` → wait for a new password.
    WrongpassWaits,
    /// D: other failure right after a success → `t + 2 h`.
    FirstFailure,
    /// D: other failure, not the first in a row → the backoff policy, inside `[2 h, 5 days]`.
    RepeatedFailure,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::Success,
        Rule::NeedsUser,
        Rule::FirstWrongpass,
        Rule::RepeatedWrongpass,
        Rule::WrongpassWaits,
        Rule::FirstFailure,
        Rule::RepeatedFailure,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Rule::Success => "A",
            Rule::NeedsUser => "B",
            Rule::FirstWrongpass => "C-first",
            Rule::RepeatedWrongpass => "C-repeat",
            Rule::WrongpassWaits => "C-wait",
            Rule::FirstFailure => "D-first",
            Rule::RepeatedFailure => "D-backoff",
        }
    }
}

/// The per-connection memory the rules need. Compact on purpose: a million of these fit in 8 MB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncCounters {
    /// Attempts in a row that did not succeed (any non-success state).
    pub consecutive_failures: u16,
    /// `wrongpass` answers in a row; any other outcome breaks the row.
    pub consecutive_wrongpass: u16,
    /// The previous rule-D backoff delay in seconds (decorrelated jitter grows from it).
    pub last_backoff_s: u32,
}

/// The rules' configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncRules {
    /// `autosync.frequency`: used when the connector has no `sync_frequency`.
    pub autosync_frequency: Duration,
    /// `autosync.retry_wrongpass` (public source: Powens, default 1).
    pub retry_wrongpass: bool,
    /// *(model option, default false)* Whether a user action restarts rule C's row of
    /// `wrongpass` statuses. See [`SyncRules::handle_user_action`].
    pub wrongpass_row_resets_on_user_action: bool,
}

impl Default for SyncRules {
    fn default() -> Self {
        SyncRules { autosync_frequency: Duration::from_hours(24), retry_wrongpass: true, wrongpass_row_resets_on_user_action: false }
    }
}

/// What the rules need to know about the connection beyond its counters.
#[derive(Clone, Copy, Debug)]
pub struct Subject {
    /// A stable hash of the connection's id (for policies such as `stable-offset`).
    pub connection_key: u64,
    /// The connector's index (for policies that look at a connector's load).
    pub connector: u32,
    /// The connector's `sync_frequency`, if it has one.
    pub sync_frequency: Option<Duration>,
}

/// The policies and their random streams, owned by the caller.
pub struct Policies<'a> {
    pub spreading: &'a mut dyn SpreadingPolicy,
    pub spreading_rng: &'a mut dyn RngCore,
    pub backoff: &'a mut dyn BackoffPolicy,
    pub backoff_rng: &'a mut dyn RngCore,
}

/// The outcome of [`SyncRules::decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub rule: Rule,
    /// The next attempt, or `None` while the connection waits for its user.
    pub next_try: Option<Instant>,
    /// Rule A: the frequency `F` used. Other rules: zero.
    pub frequency: Duration,
    /// Rule A: the spreading term `J`. Rule D backoff: the policy's delay. Otherwise zero.
    pub chosen: Duration,
}

impl SyncRules {
    /// The frequency `F` of rule A: the connector's `sync_frequency`, else `autosync.frequency`.
    pub fn frequency(&self, subject: &Subject) -> Duration {
        subject.sync_frequency.unwrap_or(self.autosync_frequency)
    }

    /// The user acted (new password, SCA done, information given): update the connection's
    /// `counters`. Does not schedule anything (the harness syncs at once, rule B) and draws no
    /// random number.
    ///
    /// - Rule C's row (`consecutive_wrongpass`) is kept by default. seed 002: "À partir de 2
    ///   'wrongpass' consécutifs" counts *statuses*, and a user action is not a status; so a
    ///   `wrongpass` right after a new password that is wrong again is the 2nd in a row (+7 days
    ///   with `retry_wrongpass = 1`, wait for the user with 0) — no retry 12 h later with a
    ///   password already known to be wrong. With `wrongpass_row_resets_on_user_action` the row
    ///   restarts (the model before issue 14: +12 h again).
    /// - Rule D's row (`consecutive_failures`, `last_backoff_s`) restarts, under both settings.
    ///   seed 002 words rule D in *blocages*: "Si ce n'est pas le premier blocage"; the user's
    ///   action is what ends a blocage (rule B: "La synchronisation ne se fera pas tant que
    ///   l'utilisateur n'aura pas fourni l'information supplémentaire"), so the next other
    ///   failure is the first of a new one (+2 h). This is the behaviour before issue 14, kept.
    pub fn handle_user_action(&self, counters: &mut SyncCounters) {
        let wrongpass_row = if self.wrongpass_row_resets_on_user_action { 0 } else { counters.consecutive_wrongpass };
        *counters = SyncCounters { consecutive_wrongpass: wrongpass_row, ..SyncCounters::default() };
    }

    /// Decide the next attempt after an attempt at `now` that ended in `outcome`, and update the
    /// connection's `counters`.
    ///
    /// Draws from `policies.spreading_rng` only for rule A and from `policies.backoff_rng` only for
    /// rule D's repeated failures, so a change in one rule's policy never shifts the other's draws.
    /// Guarantees (checked by `tests/sync_rules.rs`): A → `now + F + J` with `J` inside the
    /// policy's bounds; B → `None`; C → `+12 h` first, then `+7 days` or `None`; D → `+2 h` after a
    /// success, else inside `[now + 2 h, now + 5 days]`.
    pub fn decide(
        &self,
        now: Instant,
        outcome: ConnectionState,
        subject: &Subject,
        counters: &mut SyncCounters,
        policies: &mut Policies<'_>,
    ) -> Decision {
        let failures_before = counters.consecutive_failures;
        let none = |rule| Decision { rule, next_try: None, frequency: Duration::ZERO, chosen: Duration::ZERO };
        let after =
            |rule, delay: Duration| Decision { rule, next_try: Some(now + delay), frequency: Duration::ZERO, chosen: Duration::ZERO };
        match outcome.class() {
            StateClass::Success => {
                *counters = SyncCounters::default();
                let f = self.frequency(subject);
                let base = now + f;
                let input = SpreadInput { now, base, frequency: f, connection_key: subject.connection_key, connector: subject.connector };
                let bound = policies.spreading.max_jitter(f);
                let j = policies.spreading.jitter(&input, policies.spreading_rng);
                debug_assert!(j >= Duration::ZERO && j <= bound, "{} returned J = {j} outside [0, {bound}]", policies.spreading.name());
                let j = j.clamp(Duration::ZERO, bound);
                Decision { rule: Rule::Success, next_try: Some(base + j), frequency: f, chosen: j }
            }
            StateClass::NeedsUser => {
                // seed 002: "le champ 'next_try' reste à null".
                counters.consecutive_failures = counters.consecutive_failures.saturating_add(1);
                counters.consecutive_wrongpass = 0;
                none(Rule::NeedsUser)
            }
            StateClass::Wrongpass => {
                counters.consecutive_failures = counters.consecutive_failures.saturating_add(1);
                counters.consecutive_wrongpass = counters.consecutive_wrongpass.saturating_add(1);
                if counters.consecutive_wrongpass == 1 {
                    after(Rule::FirstWrongpass, FIRST_WRONGPASS_RETRY)
                } else if self.retry_wrongpass {
                    after(Rule::RepeatedWrongpass, REPEATED_WRONGPASS_RETRY)
                } else {
                    none(Rule::WrongpassWaits)
                }
            }
            StateClass::Transient => {
                counters.consecutive_failures = counters.consecutive_failures.saturating_add(1);
                counters.consecutive_wrongpass = 0;
                if failures_before == 0 {
                    counters.last_backoff_s = (FIRST_FAILURE_RETRY.as_ms() / 1000) as u32;
                    after(Rule::FirstFailure, FIRST_FAILURE_RETRY)
                } else {
                    let n = counters.consecutive_failures as u32;
                    let previous = Duration::from_secs(counters.last_backoff_s as i64);
                    let raw = policies.backoff.delay(n, previous, policies.backoff_rng);
                    let delay = raw.clamp(BACKOFF_MIN, BACKOFF_MAX);
                    counters.last_backoff_s = (delay.as_ms() / 1000) as u32;
                    Decision { rule: Rule::RepeatedFailure, next_try: Some(now + delay), frequency: Duration::ZERO, chosen: delay }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_rule_in_discriminant_order() {
        // The harness counts decisions in an array indexed by `rule as usize`.
        for (i, r) in Rule::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "{r:?}");
        }
    }

    /// wrongpass at 08:00 → the user types a new password at 09:00 and Powens syncs at once →
    /// wrongpass again: the rule and the next try of that second answer.
    fn wrongpass_user_action_wrongpass(retry_wrongpass: bool, resets: bool) -> (Decision, SyncCounters) {
        use crate::logic::sync::{BackoffSettings, SpreadingSettings};
        let rules = SyncRules { retry_wrongpass, wrongpass_row_resets_on_user_action: resets, ..SyncRules::default() };
        let subject = Subject { connection_key: 1, connector: 0, sync_frequency: None };
        let (mut spreading, mut backoff) = (SpreadingSettings::Fixed.build(), BackoffSettings::Exponential.build());
        let (mut spreading_rng, mut backoff_rng) = (crate::rng::stream(1, "spreading"), crate::rng::stream(1, "backoff"));
        let mut policies = Policies {
            spreading: spreading.as_mut(),
            spreading_rng: &mut spreading_rng,
            backoff: backoff.as_mut(),
            backoff_rng: &mut backoff_rng,
        };
        let mut counters = SyncCounters::default();
        let t0 = Instant::parse_rfc3339("2026-01-10T08:00:00Z").unwrap();
        let first = rules.decide(t0, ConnectionState::Wrongpass, &subject, &mut counters, &mut policies);
        assert_eq!((first.rule, first.next_try), (Rule::FirstWrongpass, Some(t0 + Duration::from_hours(12))));
        rules.handle_user_action(&mut counters);
        let t1 = t0 + Duration::from_hours(1);
        (rules.decide(t1, ConnectionState::Wrongpass, &subject, &mut counters, &mut policies), counters)
    }

    #[test]
    fn rule_c_wrongpass_after_a_user_action_is_the_second_in_a_row_7_days_later() {
        let (d, counters) = wrongpass_user_action_wrongpass(true, false);
        let t1 = Instant::parse_rfc3339("2026-01-10T09:00:00Z").unwrap();
        assert_eq!((d.rule, d.next_try), (Rule::RepeatedWrongpass, Some(t1 + Duration::from_days(7))));
        // Rule D's row restarted with the user action: this is the first failure since.
        assert_eq!((counters.consecutive_wrongpass, counters.consecutive_failures), (2, 1));
    }

    #[test]
    fn rule_c_wrongpass_after_a_user_action_waits_for_the_user_when_retry_wrongpass_is_0() {
        let (d, _) = wrongpass_user_action_wrongpass(false, false);
        assert_eq!((d.rule, d.next_try), (Rule::WrongpassWaits, None));
    }

    #[test]
    fn rule_c_wrongpass_after_a_user_action_is_first_again_12h_later_when_the_row_resets() {
        for retry_wrongpass in [true, false] {
            let (d, counters) = wrongpass_user_action_wrongpass(retry_wrongpass, true);
            let t1 = Instant::parse_rfc3339("2026-01-10T09:00:00Z").unwrap();
            assert_eq!(
                (d.rule, d.next_try),
                (Rule::FirstWrongpass, Some(t1 + Duration::from_hours(12))),
                "retry_wrongpass {retry_wrongpass}"
            );
            assert_eq!((counters.consecutive_wrongpass, counters.consecutive_failures), (1, 1));
        }
    }

    #[test]
    fn rule_d_row_restarts_on_a_user_action_under_both_settings() {
        for resets in [false, true] {
            let rules = SyncRules { wrongpass_row_resets_on_user_action: resets, ..SyncRules::default() };
            let mut counters = SyncCounters { consecutive_failures: 4, consecutive_wrongpass: 0, last_backoff_s: 57_600 };
            rules.handle_user_action(&mut counters);
            assert_eq!(counters, SyncCounters::default(), "resets {resets}");
        }
    }
}

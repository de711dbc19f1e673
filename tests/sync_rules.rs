//! Rules A–D of seed 002 (SPEC 1.3): one property per rule over random sequences of outcomes,
//! and hand-computed instants for each rule, including across the Paris DST change.

use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use syncsim::logic::sync::backoff::exponential;
use syncsim::logic::sync::rules::{Policies, Subject};
use syncsim::logic::sync::{BackoffSettings, ConnectionState, Decision, Rule, SpreadingSettings, SyncCounters, SyncRules};
use syncsim::time::{Duration, Instant};

mod support;

const H: i64 = 3_600_000;

fn at(rfc3339: &str) -> Instant {
    Instant::parse_rfc3339(rfc3339).unwrap()
}

/// One connection driven through a sequence of outcomes, the way the harness drives it.
struct Driver {
    rules: SyncRules,
    subject: Subject,
    spreading: Box<dyn syncsim::logic::sync::SpreadingPolicy + Send>,
    backoff: Box<dyn syncsim::logic::sync::BackoffPolicy + Send>,
    spreading_rng: ChaCha8Rng,
    backoff_rng: ChaCha8Rng,
    counters: SyncCounters,
}

impl Driver {
    fn new(rules: SyncRules, sync_frequency: Option<Duration>, spreading: &SpreadingSettings, backoff: BackoffSettings, seed: u8) -> Self {
        Driver {
            rules,
            subject: Subject { connection_key: 0x5eed_0000 + seed as u64, connector: 0, sync_frequency },
            spreading: spreading.build(),
            backoff: backoff.build(),
            spreading_rng: ChaCha8Rng::from_seed([seed; 32]),
            backoff_rng: ChaCha8Rng::from_seed([seed.wrapping_add(1); 32]),
            counters: SyncCounters::default(),
        }
    }
    fn attempt(&mut self, now: Instant, outcome: ConnectionState) -> Decision {
        let mut p = Policies {
            spreading: self.spreading.as_mut(),
            spreading_rng: &mut self.spreading_rng,
            backoff: self.backoff.as_mut(),
            backoff_rng: &mut self.backoff_rng,
        };
        self.rules.decide(now, outcome, &self.subject, &mut self.counters, &mut p)
    }
    fn user_action(&mut self) {
        self.rules.handle_user_action(&mut self.counters);
    }
    fn max_jitter(&self) -> Duration {
        self.spreading.max_jitter(self.rules.frequency(&self.subject))
    }
}

fn defaults(retry_wrongpass: bool) -> SyncRules {
    SyncRules { autosync_frequency: Duration::from_hours(24), retry_wrongpass, wrongpass_row_resets_on_user_action: false }
}

// ---- hand-computed instants, one test per rule ----

#[test]
fn rule_a_success_is_now_plus_the_connectors_frequency_plus_j() {
    let mut d = Driver::new(defaults(true), Some(Duration::from_hours(12)), &SpreadingSettings::Fixed, BackoffSettings::Exponential, 1);
    let dec = d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Ok);
    assert_eq!(dec.rule, Rule::Success);
    assert_eq!(dec.next_try, Some(at("2026-01-10T20:00:00Z")));
}

#[test]
fn rule_a_without_connector_frequency_uses_autosync_frequency() {
    let rules = SyncRules { autosync_frequency: Duration::from_hours(6), ..defaults(true) };
    let mut d = Driver::new(rules, None, &SpreadingSettings::Fixed, BackoffSettings::Exponential, 1);
    assert_eq!(d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Ok).next_try, Some(at("2026-01-10T14:00:00Z")));
}

#[test]
fn rule_a_random_hours_adds_whole_hours_up_to_max_hours() {
    let mut d = Driver::new(defaults(true), None, &SpreadingSettings::RandomHours { max_hours: 6 }, BackoffSettings::Exponential, 3);
    let now = at("2026-01-10T08:00:00Z");
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..500 {
        let j = d.attempt(now, ConnectionState::Ok).next_try.unwrap() - (now + Duration::DAY);
        assert_eq!(j.as_ms() % H, 0, "J must be whole hours");
        seen.insert(j.as_ms() / H);
    }
    assert_eq!(seen, (0..=6).collect(), "every whole hour in [0, 6] is drawn");
}

#[test]
fn rule_a_frequency_is_elapsed_time_so_the_local_hour_moves_across_the_spring_change() {
    // 10:00 CET on 28 March + 24 h = 11:00 CEST on 29 March (Europe/Paris springs forward).
    let mut d = Driver::new(defaults(true), None, &SpreadingSettings::Fixed, BackoffSettings::Exponential, 1);
    let next = d.attempt(at("2026-03-28T10:00:00+01:00"), ConnectionState::Ok).next_try.unwrap();
    assert_eq!(next, at("2026-03-29T11:00:00+02:00"));
    let paris = syncsim::time::Zone::parse("Europe/Paris").unwrap();
    assert_eq!(chrono::Timelike::hour(&paris.local(next)), 11);
}

#[test]
fn rule_b_user_action_states_leave_next_try_empty() {
    for state in [
        ConnectionState::ScaRequired,
        ConnectionState::WebauthRequired,
        ConnectionState::AdditionalInformationNeeded,
        ConnectionState::Decoupled,
        ConnectionState::ActionNeeded,
        ConnectionState::PasswordExpired,
    ] {
        let mut d = Driver::new(defaults(true), None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
        let dec = d.attempt(at("2026-01-10T08:00:00Z"), state);
        assert_eq!((dec.rule, dec.next_try), (Rule::NeedsUser, None), "{state:?}");
    }
}

#[test]
fn rule_c_first_wrongpass_12h_then_every_7_days_with_retry_on() {
    let mut d = Driver::new(defaults(true), None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
    let t0 = at("2026-01-10T08:00:00Z");
    let first = d.attempt(t0, ConnectionState::Wrongpass);
    assert_eq!((first.rule, first.next_try), (Rule::FirstWrongpass, Some(at("2026-01-10T20:00:00Z"))));
    let second = d.attempt(first.next_try.unwrap(), ConnectionState::Wrongpass);
    assert_eq!((second.rule, second.next_try), (Rule::RepeatedWrongpass, Some(at("2026-01-17T20:00:00Z"))));
    let third = d.attempt(second.next_try.unwrap(), ConnectionState::Wrongpass);
    assert_eq!(third.next_try, Some(at("2026-01-24T20:00:00Z")));
}

#[test]
fn rule_c_second_wrongpass_waits_for_the_user_with_retry_off() {
    let mut d = Driver::new(defaults(false), None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
    let first = d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Wrongpass);
    assert_eq!(first.next_try, Some(at("2026-01-10T20:00:00Z")));
    let second = d.attempt(first.next_try.unwrap(), ConnectionState::Wrongpass);
    assert_eq!((second.rule, second.next_try), (Rule::WrongpassWaits, None));
}

#[test]
fn rule_c_another_outcome_breaks_the_wrongpass_row() {
    let mut d = Driver::new(defaults(true), None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
    d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Wrongpass);
    d.attempt(at("2026-01-10T20:00:00Z"), ConnectionState::WebsiteUnavailable);
    let again = d.attempt(at("2026-01-11T00:00:00Z"), ConnectionState::Wrongpass);
    assert_eq!((again.rule, again.next_try), (Rule::FirstWrongpass, Some(at("2026-01-11T12:00:00Z"))));
}

#[test]
fn rule_c_twelve_hours_is_elapsed_time_across_the_autumn_change() {
    // 20:00 CEST on 24 October + 12 h = 07:00 CET on 25 October (the night has 25 hours).
    let mut d = Driver::new(defaults(true), None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
    let dec = d.attempt(at("2026-10-24T20:00:00+02:00"), ConnectionState::Wrongpass);
    assert_eq!(dec.next_try, Some(at("2026-10-25T07:00:00+01:00")));
}

#[test]
fn rule_d_failure_after_a_success_retries_after_2h_then_backs_off_exponentially() {
    let mut d = Driver::new(defaults(true), None, &SpreadingSettings::Fixed, BackoffSettings::Exponential, 1);
    d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Ok);
    let mut t = at("2026-01-11T08:00:00Z");
    let expected_hours = [2, 4, 8, 16, 32, 64, 120, 120];
    for (n, hours) in expected_hours.iter().enumerate() {
        let dec = d.attempt(t, ConnectionState::WebsiteUnavailable);
        assert_eq!(dec.rule, if n == 0 { Rule::FirstFailure } else { Rule::RepeatedFailure });
        assert_eq!(dec.next_try, Some(t + Duration::from_hours(*hours)), "failure #{}", n + 1);
        t = dec.next_try.unwrap();
    }
    assert_eq!(exponential(7), Duration::from_days(5));
}

#[test]
fn rule_c_a_user_action_does_not_break_the_wrongpass_row_by_default() {
    // seed 002: "À partir de 2 'wrongpass' consécutifs" — a row of statuses; a user action is not one.
    let mut d = Driver::new(defaults(true), None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
    d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Wrongpass);
    d.user_action();
    let dec = d.attempt(at("2026-01-10T09:00:00Z"), ConnectionState::Wrongpass);
    assert_eq!((dec.rule, dec.next_try), (Rule::RepeatedWrongpass, Some(at("2026-01-17T09:00:00Z"))));
    let mut d = Driver::new(defaults(false), None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
    d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Wrongpass);
    d.user_action();
    let dec = d.attempt(at("2026-01-10T09:00:00Z"), ConnectionState::Wrongpass);
    assert_eq!((dec.rule, dec.next_try), (Rule::WrongpassWaits, None));
}

#[test]
fn rule_c_a_user_action_starts_new_rows_with_wrongpass_row_resets_on_user_action() {
    let rules = SyncRules { wrongpass_row_resets_on_user_action: true, ..defaults(true) };
    let mut d = Driver::new(rules, None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
    d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Wrongpass);
    d.attempt(at("2026-01-10T20:00:00Z"), ConnectionState::Wrongpass);
    d.user_action();
    let dec = d.attempt(at("2026-01-12T09:00:00Z"), ConnectionState::Wrongpass);
    assert_eq!((dec.rule, dec.next_try), (Rule::FirstWrongpass, Some(at("2026-01-12T21:00:00Z"))));
}

#[test]
fn rule_d_a_user_action_starts_a_new_failure_row_under_both_settings() {
    // seed 002: the user's action ends the "blocage"; the next other failure is a first one (+2 h).
    for resets in [false, true] {
        let rules = SyncRules { wrongpass_row_resets_on_user_action: resets, ..defaults(true) };
        let mut d = Driver::new(rules, None, &SpreadingSettings::default(), BackoffSettings::Exponential, 1);
        d.attempt(at("2026-01-10T08:00:00Z"), ConnectionState::Wrongpass);
        d.user_action();
        let dec = d.attempt(at("2026-01-10T09:00:00Z"), ConnectionState::Bug);
        assert_eq!((dec.rule, dec.next_try), (Rule::FirstFailure, Some(at("2026-01-10T11:00:00Z"))), "resets {resets}");
    }
}

// ---- properties over random sequences of outcomes ----

fn any_state() -> impl Strategy<Value = ConnectionState> {
    // Weighted so that rows of the same outcome happen often.
    prop_oneof![
        4 => Just(ConnectionState::Ok),
        3 => Just(ConnectionState::Wrongpass),
        3 => Just(ConnectionState::WebsiteUnavailable),
        1 => Just(ConnectionState::RateLimiting),
        1 => Just(ConnectionState::Bug),
        1 => Just(ConnectionState::ScaRequired),
        1 => Just(ConnectionState::PasswordExpired),
    ]
}

fn any_spreading() -> impl Strategy<Value = SpreadingSettings> {
    prop_oneof![
        Just(SpreadingSettings::Fixed),
        (0u32..=12).prop_map(|max_hours| SpreadingSettings::RandomHours { max_hours }),
        (0i64..=12 * H).prop_map(|ms| SpreadingSettings::UniformJitter { max: Duration::from_ms(ms) }),
        Just(SpreadingSettings::StableOffset),
        (1i64..=6, 1i64..=60)
            .prop_map(|(h, m)| SpreadingSettings::LoadAware { max: Duration::from_hours(h), slot: Duration::from_mins(m) }),
    ]
}

fn any_backoff() -> impl Strategy<Value = BackoffSettings> {
    prop_oneof![
        Just(BackoffSettings::Exponential),
        Just(BackoffSettings::FullJitter),
        Just(BackoffSettings::EqualJitter),
        Just(BackoffSettings::DecorrelatedJitter),
    ]
}

/// A random run: settings plus a sequence of outcomes. `None` between outcomes stands for the
/// user acting (which the harness does only when the connection waits, or any time).
#[derive(Debug, Clone)]
struct Case {
    retry_wrongpass: bool,
    wrongpass_row_resets_on_user_action: bool,
    autosync_h: i64,
    connector_frequency_h: Option<i64>,
    spreading: SpreadingSettings,
    backoff: BackoffSettings,
    seed: u8,
    outcomes: Vec<ConnectionState>,
}

fn any_case() -> impl Strategy<Value = Case> {
    (
        (any::<bool>(), any::<bool>()),
        1i64..=48,
        prop::option::of(1i64..=168),
        any_spreading(),
        any_backoff(),
        any::<u8>(),
        prop::collection::vec(any_state(), 1..60),
    )
        .prop_map(|((retry_wrongpass, resets), autosync_h, connector_frequency_h, spreading, backoff, seed, outcomes)| Case {
            retry_wrongpass,
            wrongpass_row_resets_on_user_action: resets,
            autosync_h,
            connector_frequency_h,
            spreading,
            backoff,
            seed,
            outcomes,
        })
}

/// Replays a case; the closure sees (index, outcome, decision, now, oracle state) for each attempt.
struct Oracle {
    previous_was_success: bool,
    wrongpass_in_a_row: u32,
}

fn replay(case: &Case, mut check: impl FnMut(&Driver, ConnectionState, &Decision, Instant, &Oracle)) {
    let rules = SyncRules {
        autosync_frequency: Duration::from_hours(case.autosync_h),
        retry_wrongpass: case.retry_wrongpass,
        wrongpass_row_resets_on_user_action: case.wrongpass_row_resets_on_user_action,
    };
    let mut d = Driver::new(rules, case.connector_frequency_h.map(Duration::from_hours), &case.spreading, case.backoff, case.seed);
    // A brand-new connection has no failure row: its first failure is "the first blocking".
    let mut oracle = Oracle { previous_was_success: true, wrongpass_in_a_row: 0 };
    let mut now = at("2026-03-20T00:00:00Z");
    for &outcome in &case.outcomes {
        let dec = d.attempt(now, outcome);
        check(&d, outcome, &dec, now, &oracle);
        oracle.wrongpass_in_a_row = if outcome == ConnectionState::Wrongpass { oracle.wrongpass_in_a_row + 1 } else { 0 };
        oracle.previous_was_success = outcome == ConnectionState::Ok;
        match dec.next_try {
            Some(next) => now = next,
            None => {
                // Waiting for the user: the user acts a day later and a sync happens at once.
                now += Duration::DAY;
                d.user_action();
                // Rule D's row restarts; rule C's row of statuses goes on unless the option resets it.
                let wrongpass_in_a_row = if case.wrongpass_row_resets_on_user_action { 0 } else { oracle.wrongpass_in_a_row };
                oracle = Oracle { previous_was_success: true, wrongpass_in_a_row };
            }
        }
    }
}

proptest! {
    #![proptest_config(support::properties::config(256))]

    #[test]
    fn rule_a_every_success_is_scheduled_at_now_plus_f_plus_j_with_j_inside_the_policy_bounds(case in any_case()) {
        let f = Duration::from_hours(case.connector_frequency_h.unwrap_or(case.autosync_h));
        replay(&case, |d, outcome, dec, now, _| {
            if outcome == ConnectionState::Ok {
                assert_eq!(dec.rule, Rule::Success);
                let next = dec.next_try.expect("rule A always schedules");
                let j = next - (now + f);
                assert!(j >= Duration::ZERO && j <= d.max_jitter(), "J = {j} outside [0, {}]", d.max_jitter());
                assert_eq!(j, dec.chosen);
            }
        });
    }

    #[test]
    fn rule_b_a_state_that_needs_the_user_never_schedules_an_attempt(case in any_case()) {
        replay(&case, |_, outcome, dec, _, _| {
            if matches!(outcome, ConnectionState::ScaRequired | ConnectionState::PasswordExpired) {
                assert_eq!((dec.rule, dec.next_try), (Rule::NeedsUser, None));
            }
        });
    }

    #[test]
    fn rule_c_wrongpass_retries_after_12h_first_then_7_days_or_waits(case in any_case()) {
        replay(&case, |_, outcome, dec, now, oracle| {
            if outcome == ConnectionState::Wrongpass {
                if oracle.wrongpass_in_a_row == 0 {
                    assert_eq!((dec.rule, dec.next_try), (Rule::FirstWrongpass, Some(now + Duration::from_hours(12))));
                } else if case.retry_wrongpass {
                    assert_eq!((dec.rule, dec.next_try), (Rule::RepeatedWrongpass, Some(now + Duration::from_days(7))));
                } else {
                    assert_eq!((dec.rule, dec.next_try), (Rule::WrongpassWaits, None));
                }
            }
        });
    }

    #[test]
    fn rule_d_other_failures_retry_after_2h_after_a_success_else_within_2h_and_5_days(case in any_case()) {
        replay(&case, |_, outcome, dec, now, oracle| {
            if matches!(outcome, ConnectionState::WebsiteUnavailable | ConnectionState::RateLimiting | ConnectionState::Bug) {
                let next = dec.next_try.expect("rule D always schedules");
                if oracle.previous_was_success {
                    assert_eq!((dec.rule, next), (Rule::FirstFailure, now + Duration::from_hours(2)));
                } else {
                    assert_eq!(dec.rule, Rule::RepeatedFailure);
                    assert!(next >= now + Duration::from_hours(2) && next <= now + Duration::from_days(5), "backoff {} outside [2h, 5d]", next - now);
                }
            }
        });
    }

    #[test]
    fn every_backoff_stays_inside_2h_and_5_days_whatever_the_policy_and_row_length(
        backoff in any_backoff(), seed in any::<u8>(), failures in 2usize..80
    ) {
        let mut d = Driver::new(defaults(true), None, &SpreadingSettings::Fixed, backoff, seed);
        let mut now = at("2026-01-01T00:00:00Z");
        for _ in 0..failures {
            let dec = d.attempt(now, ConnectionState::Bug);
            let delay = dec.next_try.unwrap() - now;
            prop_assert!(delay >= Duration::from_hours(2) && delay <= Duration::from_days(5));
            now = dec.next_try.unwrap();
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_decisions(case in any_case()) {
        let mut first = Vec::new();
        replay(&case, |_, _, dec, _, _| first.push(*dec));
        let mut second = Vec::new();
        replay(&case, |_, _, dec, _, _| second.push(*dec));
        prop_assert_eq!(first, second);
    }
}

//! Tests of the HTTP client retry policy: one test per rule, and properties over random outcomes.

use super::*;
use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
// Explicit: proptest's prelude re-exports another `RngCore` (its own rand_core).
use rand_core::{RngCore, SeedableRng};

const T0: Instant = Instant(1_772_323_200_000); // 2026-03-01T00:00:00Z

fn status(code: u16) -> AttemptOutcome {
    AttemptOutcome::Status { code, retry_after_s: None }
}

fn plain(max_attempts: u32, base: Duration, cap: Duration, jitter: Jitter) -> RetryPolicy {
    RetryPolicy { max_attempts, base, cap, jitter, honour_retry_after: true, attempt_timeout: Duration::from_secs(10), deadline: None }
}

/// Replays fixed words and counts them, to check what was drawn.
struct Script {
    words: Vec<u64>,
    drawn: usize,
}

impl Script {
    fn new(words: &[u64]) -> Self {
        Script { words: words.to_vec(), drawn: 0 }
    }
}

impl RngCore for Script {
    fn next_u32(&mut self) -> u32 {
        panic!("the retry policy must draw only next_u64");
    }
    fn next_u64(&mut self) -> u64 {
        // A scripted word that is always rejected would loop forever: fail instead.
        assert!(self.drawn < 1_000, "runaway draws from a scripted RNG");
        let w = self.words[self.drawn % self.words.len()];
        self.drawn += 1;
        w
    }
    fn fill_bytes(&mut self, _: &mut [u8]) {
        panic!("the retry policy must draw only next_u64");
    }
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[test]
fn hand_computed_503_then_429_retry_after_7_then_200_succeeds_at_8s() {
    let policy = plain(3, Duration::SECOND, Duration::from_secs(30), Jitter::None);
    let mut state = RetryState::new(&policy, T0);
    let mut r = Script::new(&[0]);
    // Zero latency: each outcome arrives the instant its attempt starts.
    let t1 = match state.handle_outcome(T0, status(503), &mut r) {
        Next::RetryAt(t) => t,
        other => panic!("{other:?}"),
    };
    assert_eq!(t1, T0 + Duration::SECOND);
    let ra = AttemptOutcome::Status { code: 429, retry_after_s: Some(7) };
    let t2 = match state.handle_outcome(t1, ra, &mut r) {
        Next::RetryAt(t) => t,
        other => panic!("{other:?}"),
    };
    assert_eq!(t2, T0 + Duration::from_secs(1 + 7));
    assert_eq!(state.handle_outcome(t2, status(200), &mut r), Next::Done);
    assert_eq!(state.attempts(), 3);
    assert_eq!(r.drawn, 0, "no jitter draws nothing");
}

#[test]
fn exponential_doubles_until_the_cap_then_gives_up_at_max_attempts() {
    let policy = plain(6, Duration::SECOND, Duration::from_secs(5), Jitter::None);
    let mut state = RetryState::new(&policy, T0);
    let mut now = T0;
    let mut waits = Vec::new();
    loop {
        match state.handle_outcome(now, status(503), &mut Script::new(&[0])) {
            Next::RetryAt(t) => {
                waits.push((t - now).as_ms());
                now = t;
            }
            Next::GiveUp(reason) => {
                assert_eq!(reason, GiveUpReason::AttemptsExhausted);
                break;
            }
            Next::Done => panic!("503 is not success"),
        }
    }
    assert_eq!(waits, [1_000, 2_000, 4_000, 5_000, 5_000]);
    assert_eq!(state.attempts(), 6);
}

#[test]
fn max_attempts_reached_gives_up() {
    let policy = plain(3, Duration::from_ms(100), Duration::SECOND, Jitter::None);
    let mut state = RetryState::new(&policy, T0);
    let r = &mut Script::new(&[0]);
    assert_eq!(state.handle_outcome(T0, AttemptOutcome::Refused, r), Next::RetryAt(T0 + Duration(100)));
    assert_eq!(state.handle_outcome(T0 + Duration(100), AttemptOutcome::Refused, r), Next::RetryAt(T0 + Duration(300)));
    let end = state.handle_outcome(T0 + Duration(300), AttemptOutcome::Refused, r);
    assert_eq!(end, Next::GiveUp(GiveUpReason::AttemptsExhausted));
    assert_eq!(state.attempts(), 3);
    assert_eq!(state.finished(), Some(end));
}

#[test]
fn zero_max_attempts_still_makes_the_first_attempt_only() {
    let policy = plain(0, Duration::SECOND, Duration::SECOND, Jitter::None);
    let mut state = RetryState::new(&policy, T0);
    let next = state.handle_outcome(T0, status(503), &mut Script::new(&[0]));
    assert_eq!(next, Next::GiveUp(GiveUpReason::AttemptsExhausted));
}

#[test]
fn non_retryable_400_gives_up_at_once_without_drawing() {
    let policy = plain(5, Duration::SECOND, Duration::from_secs(30), Jitter::Full);
    let mut state = RetryState::new(&policy, T0);
    let mut r = Script::new(&[u64::MAX]);
    let next = state.handle_outcome(T0, status(400), &mut r);
    assert_eq!(next, Next::GiveUp(GiveUpReason::NotRetryable));
    assert_eq!(state.attempts(), 1);
    assert_eq!(r.drawn, 0);
}

#[test]
fn the_end_is_final_and_repeats_itself() {
    let policy = plain(5, Duration::SECOND, Duration::from_secs(30), Jitter::Full);
    let mut state = RetryState::new(&policy, T0);
    let mut r = Script::new(&[7]);
    assert_eq!(state.handle_outcome(T0, status(404), &mut r), Next::GiveUp(GiveUpReason::NotRetryable));
    assert_eq!(state.handle_outcome(T0, AttemptOutcome::Success, &mut r), Next::GiveUp(GiveUpReason::NotRetryable));
    assert_eq!(state.attempts(), 1);
    assert_eq!(r.drawn, 0);
}

#[test]
fn a_2xx_status_is_success() {
    let policy = plain(3, Duration::SECOND, Duration::SECOND, Jitter::None);
    let mut state = RetryState::new(&policy, T0);
    assert_eq!(state.handle_outcome(T0, status(201), &mut Script::new(&[0])), Next::Done);
}

#[test]
fn retryable_classification() {
    for code in [408, 429, 500, 502, 503, 504, 599] {
        assert!(is_retryable(status(code)), "{code} should be retried");
    }
    for code in [100, 200, 301, 400, 401, 403, 404, 409, 422, 501, 505] {
        assert!(!is_retryable(status(code)), "{code} should not be retried");
    }
    assert!(is_retryable(AttemptOutcome::Refused));
    assert!(is_retryable(AttemptOutcome::TimedOut));
    assert!(!is_retryable(AttemptOutcome::Success));
}

#[test]
fn attempt_deadline_is_the_per_attempt_timeout_cut_by_the_overall_deadline() {
    let policy = RetryPolicy {
        attempt_timeout: Duration::from_secs(10),
        deadline: Some(Duration::from_secs(25)),
        ..plain(5, Duration::SECOND, Duration::from_secs(4), Jitter::None)
    };
    let state = RetryState::new(&policy, T0);
    assert_eq!(state.attempt_deadline(T0), T0 + Duration::from_secs(10));
    assert_eq!(state.attempt_deadline(T0 + Duration::from_secs(20)), T0 + Duration::from_secs(25));
    let unbounded = RetryState::new(&RetryPolicy { deadline: None, ..policy }, T0);
    assert_eq!(unbounded.attempt_deadline(T0 + Duration::DAY), T0 + Duration::DAY + Duration::from_secs(10));
}

#[test]
fn per_attempt_timeout_is_retried_then_the_deadline_timeout_gives_up() {
    let policy = RetryPolicy {
        attempt_timeout: Duration::from_secs(10),
        deadline: Some(Duration::from_secs(25)),
        ..plain(5, Duration::SECOND, Duration::from_secs(4), Jitter::None)
    };
    let mut state = RetryState::new(&policy, T0);
    let r = &mut Script::new(&[0]);
    // Attempt 1 hangs: it times out at t0+10 s, retry after base = 1 s.
    let timeout1 = state.attempt_deadline(T0);
    assert_eq!(state.handle_outcome(timeout1, AttemptOutcome::TimedOut, r), Next::RetryAt(T0 + Duration::from_secs(11)));
    // Attempt 2 hangs too: t0+21 s, retry after 2 s at t0+23 s.
    let timeout2 = state.attempt_deadline(T0 + Duration::from_secs(11));
    assert_eq!(timeout2, T0 + Duration::from_secs(21));
    assert_eq!(state.handle_outcome(timeout2, AttemptOutcome::TimedOut, r), Next::RetryAt(T0 + Duration::from_secs(23)));
    // Attempt 3 is cut by the overall deadline at t0+25 s: nothing is left.
    let timeout3 = state.attempt_deadline(T0 + Duration::from_secs(23));
    assert_eq!(timeout3, T0 + Duration::from_secs(25));
    assert_eq!(state.handle_outcome(timeout3, AttemptOutcome::TimedOut, r), Next::GiveUp(GiveUpReason::DeadlineExceeded));
}

#[test]
fn a_retry_that_would_start_after_the_deadline_is_not_made() {
    let policy =
        RetryPolicy { deadline: Some(Duration::from_secs(10)), ..plain(5, Duration::from_secs(4), Duration::from_secs(60), Jitter::None) };
    let mut state = RetryState::new(&policy, T0);
    let r = &mut Script::new(&[0]);
    let t1 = T0 + Duration::from_secs(4);
    assert_eq!(state.handle_outcome(T0, status(503), r), Next::RetryAt(t1));
    // The next wait is 8 s: t0+12 s is past the t0+10 s deadline.
    assert_eq!(state.handle_outcome(t1, status(503), r), Next::GiveUp(GiveUpReason::DeadlineExceeded));
}

#[test]
fn a_retry_exactly_at_the_deadline_is_not_made() {
    let policy =
        RetryPolicy { deadline: Some(Duration::from_secs(5)), ..plain(5, Duration::from_secs(5), Duration::from_secs(60), Jitter::None) };
    let mut state = RetryState::new(&policy, T0);
    assert_eq!(state.handle_outcome(T0, status(503), &mut Script::new(&[0])), Next::GiveUp(GiveUpReason::DeadlineExceeded));
}

#[test]
fn retry_after_beyond_the_cap_is_honoured_in_full() {
    let policy = plain(3, Duration::SECOND, Duration::from_secs(5), Jitter::None);
    let mut state = RetryState::new(&policy, T0);
    let ra = AttemptOutcome::Status { code: 503, retry_after_s: Some(60) };
    assert_eq!(state.handle_outcome(T0, ra, &mut Script::new(&[0])), Next::RetryAt(T0 + Duration::MINUTE));
}

#[test]
fn retry_after_beyond_the_deadline_gives_up_at_once() {
    let policy =
        RetryPolicy { deadline: Some(Duration::from_secs(30)), ..plain(3, Duration::SECOND, Duration::from_secs(5), Jitter::None) };
    let mut state = RetryState::new(&policy, T0);
    let ra = AttemptOutcome::Status { code: 429, retry_after_s: Some(300) };
    assert_eq!(state.handle_outcome(T0, ra, &mut Script::new(&[0])), Next::GiveUp(GiveUpReason::DeadlineExceeded));
}

#[test]
fn retry_after_is_a_floor_and_is_ignored_when_not_honoured() {
    let policy = plain(3, Duration::from_secs(4), Duration::from_secs(60), Jitter::None);
    let short = AttemptOutcome::Status { code: 429, retry_after_s: Some(2) };
    let long = AttemptOutcome::Status { code: 429, retry_after_s: Some(9) };
    let r = &mut Script::new(&[0]);
    // Shorter than the backoff: the backoff stands.
    assert_eq!(RetryState::new(&policy, T0).handle_outcome(T0, short, r), Next::RetryAt(T0 + Duration::from_secs(4)));
    // Not honoured: the backoff alone.
    let deaf = RetryPolicy { honour_retry_after: false, ..policy };
    assert_eq!(RetryState::new(&deaf, T0).handle_outcome(T0, long, r), Next::RetryAt(T0 + Duration::from_secs(4)));
    // Absurd values saturate instead of overflowing.
    let huge = AttemptOutcome::Status { code: 503, retry_after_s: Some(u64::MAX) };
    assert_eq!(RetryState::new(&policy, T0).handle_outcome(T0, huge, r), Next::RetryAt(Instant(i64::MAX)));
}

#[test]
fn each_jitter_reaches_both_ends_of_its_range() {
    // Word 1 maps to the low end of any range, u64::MAX to the high end. Base 1001 ms is odd,
    // so the first retry's expo(0) = 1001 has halves 501 (fixed) + [0, 500] (random).
    let first_wait = |jitter, word| {
        let policy = plain(3, Duration(1_001), Duration(2_500), jitter);
        match RetryState::new(&policy, T0).handle_outcome(T0, status(503), &mut Script::new(&[word])) {
            Next::RetryAt(t) => (t - T0).as_ms(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!((first_wait(Jitter::None, 1), first_wait(Jitter::None, u64::MAX)), (1_001, 1_001));
    assert_eq!((first_wait(Jitter::Full, 1), first_wait(Jitter::Full, u64::MAX)), (0, 1_001));
    assert_eq!((first_wait(Jitter::Equal, 1), first_wait(Jitter::Equal, u64::MAX)), (501, 1_001));
    // Decorrelated: uniform(base, 3 x base) = [1001, 3003], then the 2500 cap.
    assert_eq!((first_wait(Jitter::Decorrelated, 1), first_wait(Jitter::Decorrelated, u64::MAX)), (1_001, 2_500));
}

#[test]
fn uniform_maps_words_by_multiply_shift() {
    // x = 1 gives lo (x = 0 has low word 0, always rejected unless s divides 2^64);
    // x = 2^63 gives lo + floor(s/2); x = 2^64 − 1 gives hi.
    assert_eq!(uniform_inclusive(&mut Script::new(&[1]), 10, 1_010), 10);
    assert_eq!(uniform_inclusive(&mut Script::new(&[0]), 0, 1_023), 0);
    assert_eq!(uniform_inclusive(&mut Script::new(&[1 << 63]), 10, 1_010), 10 + 500);
    assert_eq!(uniform_inclusive(&mut Script::new(&[u64::MAX]), 0, 999), 999);
    // A one-value range draws nothing.
    let mut r = Script::new(&[5]);
    assert_eq!(uniform_inclusive(&mut r, 7, 7), 7);
    assert_eq!(r.drawn, 0);
}

#[test]
fn uniform_rejects_the_biased_words() {
    // s = 3: 2^64 mod 3 = 1, so only a word whose product has low bits 0 (x = 0) is rejected.
    let mut r = Script::new(&[0, 1 << 63]);
    // Second word: 3·2^63 = 2^64 + 2^63, high word 1.
    assert_eq!(uniform_inclusive(&mut r, 0, 2), 1);
    assert_eq!(r.drawn, 2);
    // The full i64 range takes the word as it is.
    assert_eq!(uniform_inclusive(&mut Script::new(&[5]), i64::MIN, i64::MAX), i64::MIN + 5);
}

#[test]
fn waits_for_a_fixed_seed_are_pinned() {
    // Golden values: a change here means runs recorded earlier no longer replay.
    let policy = plain(6, Duration::SECOND, Duration::from_secs(20), Jitter::Full);
    let mut state = RetryState::new(&policy, T0);
    let waits = waits_of(&mut state, &mut rng(42), 503);
    assert_eq!(waits, PINNED_FULL_SEED_42);
}

// Checked independently: ChaCha8Rng::seed_from_u64(42) words mapped by floor(x·s / 2^64) in Python.
const PINNED_FULL_SEED_42: [i64; 5] = [682, 1_901, 1_710, 5_019, 4_617];

#[test]
fn validate_refuses_each_bad_field() {
    let ok = RetryPolicy::default();
    assert_eq!(ok.validate(), Ok(()));
    assert_eq!(RetryPolicy { max_attempts: 0, ..ok }.validate(), Err(PolicyError::NoAttempts));
    assert_eq!(RetryPolicy { base: Duration(-1), ..ok }.validate(), Err(PolicyError::NegativeBase));
    assert_eq!(RetryPolicy { cap: Duration(999), ..ok }.validate(), Err(PolicyError::CapBelowBase));
    assert_eq!(RetryPolicy { attempt_timeout: Duration::ZERO, ..ok }.validate(), Err(PolicyError::AttemptTimeoutNotPositive));
    assert_eq!(RetryPolicy { deadline: Some(Duration::ZERO), ..ok }.validate(), Err(PolicyError::DeadlineNotPositive));
}

/// Feeds `code` with zero latency until the call ends; returns every wait in ms.
fn waits_of<R: RngCore + ?Sized>(state: &mut RetryState, r: &mut R, code: u16) -> Vec<i64> {
    let mut now = state.started();
    let mut waits = Vec::new();
    while let Next::RetryAt(t) = state.handle_outcome(now, status(code), r) {
        waits.push((t - now).as_ms());
        now = t;
    }
    waits
}

fn any_jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![Just(Jitter::None), Just(Jitter::Full), Just(Jitter::Equal), Just(Jitter::Decorrelated)]
}

fn any_outcome() -> impl Strategy<Value = AttemptOutcome> {
    prop_oneof![
        Just(AttemptOutcome::Refused),
        Just(AttemptOutcome::TimedOut),
        (prop_oneof![Just(429u16), Just(500), Just(502), Just(503), Just(504)], proptest::option::of(0u64..120))
            .prop_map(|(code, retry_after_s)| AttemptOutcome::Status { code, retry_after_s }),
    ]
}

fn any_policy() -> impl Strategy<Value = RetryPolicy> {
    (1u32..12, 0i64..5_000, 0i64..120_000, any_jitter(), any::<bool>(), 1i64..30_000, proptest::option::of(1i64..300_000)).prop_map(
        |(max_attempts, base, extra, jitter, honour_retry_after, timeout, deadline)| RetryPolicy {
            max_attempts,
            base: Duration(base),
            cap: Duration(base + extra),
            jitter,
            honour_retry_after,
            attempt_timeout: Duration(timeout),
            deadline: deadline.map(Duration),
        },
    )
}

proptest! {
    #[test]
    fn no_retry_is_scheduled_after_the_deadline(
        policy in any_policy(),
        deadline in 1i64..300_000,
        attempts in proptest::collection::vec((any_outcome(), 0i64..40_000), 1..16),
        seed in any::<u64>(),
    ) {
        let policy = RetryPolicy { deadline: Some(Duration(deadline)), ..policy };
        let mut state = RetryState::new(&policy, T0);
        let end = state.deadline().unwrap();
        let mut r = rng(seed);
        let mut start = T0;
        for (outcome, latency) in attempts {
            // An attempt ends at its answer or at its timeout, whichever comes first.
            let timeout_at = state.attempt_deadline(start);
            prop_assert!(timeout_at <= end);
            let (at, outcome) = if start + Duration(latency) < timeout_at {
                (start + Duration(latency), outcome)
            } else {
                (timeout_at, AttemptOutcome::TimedOut)
            };
            match state.handle_outcome(at, outcome, &mut r) {
                Next::RetryAt(t) => {
                    prop_assert!(t < end, "retry at {t:?} is not before the deadline {end:?}");
                    prop_assert!(t >= at);
                    prop_assert!(state.attempts() < policy.max_attempts);
                    start = t;
                }
                Next::GiveUp(_) | Next::Done => break,
            }
        }
    }

    #[test]
    fn each_jitter_stays_within_its_policys_bounds(
        jitter in any_jitter(),
        // Small bases too, where an off-by-one millisecond is a large share of the range.
        base in prop_oneof![0i64..8, 0i64..10_000],
        extra in 0i64..200_000,
        seed in any::<u64>(),
    ) {
        let policy = plain(16, Duration(base), Duration(base + extra), jitter);
        let cap = base + extra;
        let mut state = RetryState::new(&policy, T0);
        let waits = waits_of(&mut state, &mut rng(seed), 503);
        prop_assert_eq!(waits.len(), 15);
        let mut prev = base;
        for (n, &w) in waits.iter().enumerate() {
            let expo = base.saturating_mul(1 << n).min(cap);
            match jitter {
                Jitter::None => prop_assert_eq!(w, expo),
                Jitter::Full => prop_assert!((0..=expo).contains(&w), "full: {w} outside [0, {expo}]"),
                Jitter::Equal => prop_assert!((expo - expo / 2..=expo).contains(&w), "equal: {w} outside [{}, {expo}]", expo - expo / 2),
                Jitter::Decorrelated => {
                    prop_assert!(w >= base.min(cap) && w <= cap, "decorrelated: {w} outside [{base}, {cap}]");
                    prop_assert!(w <= (3 * prev).max(base), "decorrelated: {w} above 3 x {prev}");
                    prev = w;
                }
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence_of_waits(policy in any_policy(), seed in any::<u64>(), code in prop_oneof![Just(429u16), Just(503)]) {
        let policy = RetryPolicy { deadline: None, ..policy };
        let first = waits_of(&mut RetryState::new(&policy, T0), &mut rng(seed), code);
        // Through a trait object too: the harness may hand out `&mut dyn RngCore`.
        let mut boxed: Box<dyn RngCore> = Box::new(rng(seed));
        let second = waits_of(&mut RetryState::new(&policy, T0), boxed.as_mut(), code);
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(first.len() as u32, policy.max_attempts - 1);
    }
}

//! The client retry policy (SPEC 5): whether and when an HTTP client retries, in virtual time.
//!
//! Sans-IO: this module never reads a clock, never sleeps and never touches a global RNG. The
//! caller (the Bridge API client, the Kuma push sender, in-process or over real HTTP) drives one
//! [`RetryState`] per logical call:
//!
//! 1. `RetryState::new(&policy, now)`; the first attempt starts at `now`.
//! 2. Start an attempt at `s`; arm its timeout at [`RetryState::attempt_deadline`]`(s)`.
//! 3. When the attempt ends (answer, refusal, or the timeout firing), report it with
//!    [`RetryState::handle_outcome`], which answers [`Next::Done`], [`Next::RetryAt`] or
//!    [`Next::GiveUp`]. On `RetryAt(t)`, start the next attempt at `t` and go to 2.
//!
//! Because every input (instants, outcomes, random words) is explicit, the same fault plan and
//! seed give the same waits over real HTTP and in-process, as SPEC 5 requires.
//!
//! # Choices (each a documented default, see the items for details)
//!
//! - **Backoff and jitter** follow the AWS Architecture Blog post "Exponential Backoff and Jitter"
//!   (Marc Brooker, 2015), as implemented in its companion simulator
//!   (`aws-samples/aws-arch-backoff-simulator`, `src/backoff_simulator.py`):
//!   `expo = min(cap, base·2^n)`; none = `expo`; full = `uniform(0, expo)`;
//!   equal = `expo/2 + uniform(0, expo/2)`; decorrelated = `min(cap, uniform(base, 3·prev))`
//!   with `prev` starting at `base`. Here `n` is 0 for the first retry, so the first wait is
//!   `base` (SPEC 1.3 D uses the same `base·2^(n−1)` for the n-th failure).
//! - **Uniform integers** come from Lemire's multiply-shift with rejection ("Fast Random Integer
//!   Generation in an Interval", ACM TOMACS 29(1), 2019, arXiv:1805.10941) over
//!   [`RngCore::next_u64`], written out here so a `rand` upgrade cannot change a run.
//! - **Retry-After** (seconds form, RFC 9110 §10.2.3) is a floor: the wait is
//!   `max(backoff, Retry-After)`. It is *not* clamped to `cap` (the cap bounds our own backoff,
//!   not the server's request; retrying earlier only earns another 429/503), but it *is* bounded
//!   by the overall deadline: a Retry-After that would start the retry at or after the deadline
//!   gives up at once rather than waiting for nothing.
//! - **Deadline**: no retry is scheduled at or after `started + deadline`; a wait is never
//!   shortened to fit, since that would defeat the backoff.
//! - **Retryable**: 408, 429, 5xx except 501 and 505, refused, timed out (see [`is_retryable`]).

use rand_core::RngCore;

use crate::time::{Duration, Instant};

/// How a backoff wait is randomised, after the AWS Architecture Blog's "Exponential Backoff and
/// Jitter". `expo(n) = min(cap, base·2^n)`, `n` = 0 for the first retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Jitter {
    /// Wait exactly `expo(n)`. Draws no random number.
    None,
    /// Wait `uniform(0, expo(n))`, both ends included. The blog's recommended default: it spreads
    /// clients that failed together over the whole window.
    #[default]
    Full,
    /// Wait `ceil(expo(n)/2) + uniform(0, floor(expo(n)/2))`: never less than half the
    /// exponential wait, never more than all of it. (Integer form of `expo/2 + uniform(0, expo/2)`;
    /// the odd millisecond goes to the fixed half so the upper bound stays `expo(n)`.)
    Equal,
    /// Wait `min(cap, uniform(base, max(base, 3·prev)))`, `prev` being the previous wait this
    /// formula produced (`base` before the first). Ignores `n`. A Retry-After that lengthened a
    /// wait does not feed `prev`: the walk is the policy's own.
    Decorrelated,
}

/// The settings of one client's retries (SPEC 5). Plain data: build it from a scenario, check it
/// with [`RetryPolicy::validate`], hand it to [`RetryState::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (3 = one try and two retries). 0 acts as 1: a call
    /// always makes its first attempt.
    pub max_attempts: u32,
    /// The first retry's exponential wait. Negative acts as zero.
    pub base: Duration,
    /// The largest backoff wait the policy itself produces (Retry-After may exceed it).
    /// Below `base`, it wins: backoff waits never exceed `cap`.
    pub cap: Duration,
    /// How waits are randomised.
    pub jitter: Jitter,
    /// Whether a `Retry-After` (seconds) on a retryable status sets a floor on the wait.
    pub honour_retry_after: bool,
    /// How long one attempt may last before the client gives up on it and reports
    /// [`AttemptOutcome::TimedOut`]. Zero or negative: the attempt times out as it starts.
    pub attempt_timeout: Duration,
    /// The whole call's budget from [`RetryState::new`]'s `started`; `None` = unbounded.
    pub deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    /// *(model choice)*: 3 attempts, base 1 s, cap 30 s, full jitter, Retry-After honoured,
    /// 10 s per attempt, 2 min in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base: Duration::SECOND,
            cap: Duration::from_secs(30),
            jitter: Jitter::Full,
            honour_retry_after: true,
            attempt_timeout: Duration::from_secs(10),
            deadline: Some(Duration::from_mins(2)),
        }
    }
}

/// A setting [`RetryPolicy::validate`] refuses. Each names the field at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// `max_attempts` is 0.
    NoAttempts,
    /// `base` is negative.
    NegativeBase,
    /// `cap` is below `base`.
    CapBelowBase,
    /// `attempt_timeout` is zero or negative.
    AttemptTimeoutNotPositive,
    /// `deadline` is `Some` of zero or less.
    DeadlineNotPositive,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PolicyError::NoAttempts => "max_attempts must be at least 1",
            PolicyError::NegativeBase => "base must not be negative",
            PolicyError::CapBelowBase => "cap must not be below base",
            PolicyError::AttemptTimeoutNotPositive => "attempt_timeout must be positive",
            PolicyError::DeadlineNotPositive => "deadline must be positive when set",
        })
    }
}

impl std::error::Error for PolicyError {}

impl RetryPolicy {
    /// Checks the settings a scenario loader should refuse.
    ///
    /// `Ok` means every field is in its meaningful range. [`RetryState`] does not call this: it
    /// accepts any policy and behaves as each field's doc says (0 attempts act as 1, and so on),
    /// so a bad setting is caught where it is read, not as a panic mid-run.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.max_attempts == 0 {
            return Err(PolicyError::NoAttempts);
        }
        if self.base < Duration::ZERO {
            return Err(PolicyError::NegativeBase);
        }
        if self.cap < self.base {
            return Err(PolicyError::CapBelowBase);
        }
        if self.attempt_timeout <= Duration::ZERO {
            return Err(PolicyError::AttemptTimeoutNotPositive);
        }
        if matches!(self.deadline, Some(d) if d <= Duration::ZERO) {
            return Err(PolicyError::DeadlineNotPositive);
        }
        Ok(())
    }

    /// `min(cap, base·2^n)`, saturating; `n` = 0 for the first retry.
    fn exponential(&self, n: u32) -> Duration {
        let base = self.base.as_ms().max(0);
        let cap = self.cap.as_ms().max(0);
        // 2^62 is the largest power of two in an i64; past it the product saturates anyway.
        let factor = 1_i64 << n.min(62);
        Duration(base.saturating_mul(factor).min(cap))
    }

    /// The backoff wait before retry `n` (0-based); `prev` is the decorrelated memory.
    fn backoff<R: RngCore + ?Sized>(&self, n: u32, prev: Duration, rng: &mut R) -> Duration {
        let expo = self.exponential(n).as_ms();
        let wait = match self.jitter {
            Jitter::None => expo,
            Jitter::Full => uniform_inclusive(rng, 0, expo),
            Jitter::Equal => {
                let half = expo / 2;
                (expo - half) + uniform_inclusive(rng, 0, half)
            }
            Jitter::Decorrelated => {
                let base = self.base.as_ms().max(0);
                let cap = self.cap.as_ms().max(0);
                let hi = prev.as_ms().saturating_mul(3).max(base);
                uniform_inclusive(rng, base, hi).min(cap)
            }
        };
        Duration(wait)
    }
}

/// What one attempt ended in, as the caller saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The call got the answer it wanted.
    Success,
    /// An HTTP answer. A 2xx here counts as success. `retry_after_s` is the `Retry-After`
    /// header in its seconds form; the caller turns the HTTP-date form into seconds (or drops it).
    Status { code: u16, retry_after_s: Option<u64> },
    /// The connection was refused: the request never reached the server.
    Refused,
    /// No answer by [`RetryState::attempt_deadline`]: the caller abandoned the attempt.
    TimedOut,
}

/// Why a call stopped without success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GiveUpReason {
    /// The last outcome is one that retrying would not change ([`is_retryable`] is false).
    NotRetryable,
    /// `max_attempts` attempts were made.
    AttemptsExhausted,
    /// The overall deadline has passed, or the next retry would start at or after it.
    DeadlineExceeded,
}

/// What the caller does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The call succeeded.
    Done,
    /// Start the next attempt at this instant (always later than or equal to the `now` given).
    RetryAt(Instant),
    /// Stop; the call failed.
    GiveUp(GiveUpReason),
}

/// Whether a failed attempt is worth another try.
///
/// Yes for 408 (RFC 9110 §15.5.9: the server timed out waiting; the client may repeat), 429,
/// every 5xx except 501 Not Implemented and 505 HTTP Version Not Supported (permanent by their
/// definitions, RFC 9110 §15.6.2 and §15.6.6; Azure's `core-rest-pipeline`
/// `exponentialRetryStrategy` excludes the same two), a refused connection and a timeout.
/// No for every other status: other 4xx (400, 401, 404 from Kuma for an unknown token...) repeat
/// the same answer, and 1xx/2xx/3xx are not failures to retry.
///
/// Idempotency is the caller's business: a timed-out `POST` may have taken effect, so a client
/// that must not repeat one should stop on `TimedOut` itself.
pub fn is_retryable(outcome: AttemptOutcome) -> bool {
    match outcome {
        AttemptOutcome::Success => false,
        AttemptOutcome::Refused | AttemptOutcome::TimedOut => true,
        AttemptOutcome::Status { code, .. } => matches!(code, 408 | 429 | 500..=599) && code != 501 && code != 505,
    }
}

fn is_success(outcome: AttemptOutcome) -> bool {
    match outcome {
        AttemptOutcome::Success => true,
        AttemptOutcome::Status { code, .. } => (200..300).contains(&code),
        _ => false,
    }
}

/// Uniform integers in `[lo, hi]`: the crate's pinned Lemire draw (`logic::uniform`), so every
/// component samples ranges the same way.
pub use crate::logic::uniform::between as uniform_inclusive;

/// One logical call's retry bookkeeping, sans-IO: one input verb,
/// [`handle_outcome`](Self::handle_outcome), whose answer carries the next instant to act
/// (there is no `poll_timeout`: the caller arms [`attempt_deadline`](Self::attempt_deadline) and
/// the `RetryAt` instant itself).
///
/// Holds a copy of the policy, so a policy edited mid-call does not change a call in flight.
#[derive(Clone, Debug)]
pub struct RetryState {
    policy: RetryPolicy,
    started: Instant,
    attempts: u32,
    /// The decorrelated jitter's `prev`; `base` until the first draw.
    prev_wait: Duration,
    finished: Option<Next>,
    /// Retry every failed attempt, whatever its status ([`RetryState::retrying_every_failure`]).
    every_failure: bool,
}

impl RetryState {
    /// Begins a call whose first attempt starts at `started`.
    ///
    /// The overall deadline, if any, is `started + policy.deadline`. Never fails: see
    /// [`RetryPolicy::validate`] for refusing odd settings up front.
    pub fn new(policy: &RetryPolicy, started: Instant) -> Self {
        RetryState { policy: *policy, started, attempts: 0, prev_wait: policy.base, finished: None, every_failure: false }
    }

    /// The same call, but every non-2xx answer is retried, not only [`is_retryable`] ones: the
    /// sender's rule for webhooks, which Bridge retries on any failure (SPEC 4.1, at least once).
    ///
    /// Changes only which outcomes are retried; use it before the first attempt.
    pub fn retrying_every_failure(mut self) -> Self {
        self.every_failure = true;
        self
    }

    /// The instant the call began.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The overall deadline, `started + deadline`, or `None` if the policy has none.
    pub fn deadline(&self) -> Option<Instant> {
        self.policy.deadline.map(|d| add_sat(self.started, d))
    }

    /// When an attempt that starts at `now` times out: `min(now + attempt_timeout, deadline)`.
    ///
    /// The caller arms its timer there and, if no answer came first, reports
    /// [`AttemptOutcome::TimedOut`] at that instant. A non-positive `attempt_timeout` gives `now`.
    /// Pure: calling it does not change the state.
    pub fn attempt_deadline(&self, now: Instant) -> Instant {
        let own = add_sat(now, Duration(self.policy.attempt_timeout.as_ms().max(0)));
        match self.deadline() {
            Some(d) => own.min(d),
            None => own,
        }
    }

    /// Records how the current attempt ended at `now` and says what to do next.
    ///
    /// Rules, in this order:
    /// 1. success (`Success` or a 2xx status) → [`Next::Done`];
    /// 2. not [`is_retryable`] → `GiveUp(NotRetryable)`;
    /// 3. `max_attempts` reached → `GiveUp(AttemptsExhausted)`;
    /// 4. `now` at or past the deadline → `GiveUp(DeadlineExceeded)`;
    /// 5. otherwise the wait is the backoff for this retry (see [`Jitter`]), raised to
    ///    `Retry-After` when it is honoured and present; if `now + wait` is at or past the
    ///    deadline → `GiveUp(DeadlineExceeded)`, else [`Next::RetryAt`]`(now + wait)`.
    ///
    /// Randomness: draws from `rng` only in step 5, per [`uniform_inclusive`] (none for
    /// [`Jitter::None`]). Once the answer is `Done` or `GiveUp`, the call is over: later calls
    /// return that same answer, count nothing and draw nothing.
    ///
    /// Changes [`attempts`](Self::attempts) and, once the answer is final,
    /// [`finished`](Self::finished). Has no timer of its own: the instant to act next is in the
    /// answer ([`Next::RetryAt`]).
    pub fn handle_outcome<R: RngCore + ?Sized>(&mut self, now: Instant, outcome: AttemptOutcome, rng: &mut R) -> Next {
        if let Some(last) = self.finished {
            return last;
        }
        self.attempts = self.attempts.saturating_add(1);
        let next = self.decide(now, outcome, rng);
        if !matches!(next, Next::RetryAt(_)) {
            self.finished = Some(next);
        }
        next
    }

    fn decide<R: RngCore + ?Sized>(&mut self, now: Instant, outcome: AttemptOutcome, rng: &mut R) -> Next {
        if is_success(outcome) {
            return Next::Done;
        }
        if !self.every_failure && !is_retryable(outcome) {
            return Next::GiveUp(GiveUpReason::NotRetryable);
        }
        if self.attempts >= self.policy.max_attempts.max(1) {
            return Next::GiveUp(GiveUpReason::AttemptsExhausted);
        }
        let deadline = self.deadline();
        if deadline.is_some_and(|d| now >= d) {
            return Next::GiveUp(GiveUpReason::DeadlineExceeded);
        }
        // attempts >= 1 here: the first failure leads to retry 0, which waits `base`.
        let backoff = self.policy.backoff(self.attempts - 1, self.prev_wait, rng);
        self.prev_wait = backoff;
        let wait = match outcome {
            AttemptOutcome::Status { retry_after_s: Some(s), .. } if self.policy.honour_retry_after => backoff.max(secs_to_duration(s)),
            _ => backoff,
        };
        let at = add_sat(now, wait);
        if deadline.is_some_and(|d| at >= d) {
            // A retry at the deadline would have no time to run; one after it is forbidden.
            return Next::GiveUp(GiveUpReason::DeadlineExceeded);
        }
        Next::RetryAt(at)
    }

    /// Attempts reported so far through [`RetryState::handle_outcome`] (0 right after `new`). After
    /// the final answer it is the number of attempts the call made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The final answer (`Done` or `GiveUp`) once the call is over, else `None`.
    pub fn finished(&self) -> Option<Next> {
        self.finished
    }
}

fn add_sat(t: Instant, d: Duration) -> Instant {
    Instant(t.as_ms().saturating_add(d.as_ms()))
}

fn secs_to_duration(s: u64) -> Duration {
    Duration(i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1_000))
}

#[cfg(test)]
mod tests;

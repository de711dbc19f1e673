//! A job's pending troubles (from the timeline) and how a run that starts now will end.

use rand_chacha::ChaCha8Rng;

use crate::sim::loops::jobs::log::RunFate;
use crate::sim::scenario::jobs_plan::JobPlan;
use crate::time::Duration;

/// PHP's `max_execution_time` for the runner: on Linux it counts the script's own processing,
/// not time waiting on the network (SPEC 2.2).
pub const PHP_TIME_LIMIT: Duration = Duration::from_secs(600);

/// What the timeline has in store for a job's next runs.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    /// The next run dies mid-run.
    pub crash: bool,
    /// The next run waits this long on the network.
    pub hang: Option<Duration>,
    /// The next `errors` runs end in error.
    pub errors: u32,
}

/// How a run that starts now will end and how long it takes: a pending crash (the process dies),
/// more than 600 s of processing (killed by PHP's limit), a pending or random error, else
/// success; a pending hang adds network waiting, which the PHP limit does not count. Draws the
/// duration and the error from the jobs stream in a fixed order.
pub fn decide_fate(job: &JobPlan, pending: &mut Pending, job_rng: &mut ChaCha8Rng) -> (RunFate, Duration) {
    let own = job.duration.draw(job_rng);
    let random_error = job.error_rate.chance(job_rng);
    let wait = pending.hang.take().unwrap_or(Duration::ZERO);
    if std::mem::take(&mut pending.crash) {
        (RunFate::Crashed, own)
    } else if own > PHP_TIME_LIMIT {
        (RunFate::TimeLimit, PHP_TIME_LIMIT + wait)
    } else if pending.errors > 0 {
        pending.errors -= 1;
        (RunFate::Error, own + wait)
    } else if random_error {
        (RunFate::Error, own + wait)
    } else {
        (RunFate::Success, own + wait)
    }
}

//! The Dolibarr-style scheduled-job runner and its monitoring view (SPEC 2.2, 2.3), sans-IO.
//!
//! This is the code under test: it has no clock, never sleeps, does no I/O and draws no random
//! number. The driver (the event loop) owns virtual time and tells the runner what happened:
//!
//! ```text
//! let pass = runner.begin_pass(now);                 // the host's cron fires (every `tick`)
//! for id in pass.due.clone() {                        // one process, one job after another
//!     let run = runner.start_job(pass.id, id, t)?;    // t >= now, >= end of the previous job
//!     // ... the job's own work happens in virtual time ...
//!     runner.finish_job(run, t_end, result)?;         // or runner.process_died(run)?
//! }
//! ```
//!
//! Sources, read for this module (public source, quoted by file and function):
//! - `scripts/cron/cron_run_jobs.php` (the CLI pass): `$now = dol_now()` once; `fetchAll('ASC,ASC,ASC',
//!   't.priority,t.entity,t.rowid', 0, 0, 1 /*status*/, $filter, 0 /*processing*/)`; per line the
//!   due test `datenextrun < $now && (empty(datestart) || datestart <= $now) && (empty(dateend) ||
//!   dateend >= $now)`; then `fetch($id)`, `run_jobs()`, and `reprogram_jobs($userlogin, $now)`
//!   whatever `run_jobs` returned.
//! - `htdocs/cron/class/cronjob.class.php` `run_jobs()`: its *own* `$now = dol_now()`, then before
//!   running `datelastrun = $now; datelastresult = null; lastoutput = ''; lastresult = '';
//!   processing = 1; pid = getmypid(); nbrun += 1; update()`; after the job `datelastresult =
//!   dol_now(); processing = 0; pid = null; update()`. `update()` writes the whole row from the
//!   in-memory object (last writer wins).
//! - same file, `reprogram_jobs($userlogin, $now)`: `if (datenextrun < $now && frequency > 0) while
//!   (datenextrun < $now) datenextrun += frequency * unitfrequency` (seconds), except
//!   `unitfrequency == 2678400` (month) which uses `dol_time_plus_duree(datenextrun, frequency, 'm')`.
//!   Otherwise "datenextrun is already in future, we do not change it".
//! - `htdocs/core/lib/date.lib.php` `dol_time_plus_duree()`: months are a PHP `DateInterval('PnM')`
//!   added in UTC unless `MAIN_DATE_IN_MEMORY_ARE_NOT_GMT` (then in the server zone);
//!   `reprogram_jobs` passes no `$ruleforendofmonth`, so PHP's overflow applies (Jan 31 + 1 month
//!   = "Feb 31" = Mar 3, or Mar 2 in a leap year).
//! - `htdocs/core/class/utils.class.php` `cleanUnfinishedCronjob()`: for jobs with `processing = 1`
//!   and a `pid` whose process is gone (`posix_kill($pid, 0)` false): `processing = 0; pid = null;
//!   lastresult = '-1'; lastoutput = 'Job killed by job cleanUnfinishedCronjob'`. It is itself a
//!   cron job, shown only when `MAIN_FEATURES_LEVEL >= 2`: optional.
//! - `htdocs/cron/list.php` action `confirm_execute` ("Exécuter maintenant", seed 000): `$now =
//!   dol_now()` before `run_jobs()`, then `reprogram_jobs($user->login, $now)` whatever the result.
//!
//! Files: [`schedule`] (frequencies, calendar months, the next run), [`machine`] (the runner's
//! rows, passes and runs), [`view`] (the monitoring view and its health indicator).

pub mod machine;
pub mod schedule;
pub mod view;

#[cfg(test)]
mod tests;

pub use machine::{JobSpec, Pass, PassId, RunResult, RunTicket, Runner, RunnerConfig, RunnerError};
pub use schedule::{Calendar, Frequency, FrequencyUnit, MonthCalendar, add_months};
pub use view::{Health, HealthThresholds, JobView, RunOutcome};

//! Healthchecks (`healthchecks/healthchecks`, recent main), the other way to watch a job's
//! heartbeat: a sans-IO model of one check and of the `sendalerts` loop that alerts for it,
//! driven in virtual time like [`crate::world::kuma`], so the alert analysis can judge the same
//! pushes by Kuma's rules and by Healthchecks'.
//!
//! # Files
//!
//! - [`check`]: the check ([`Check`]): its settings and their ranges, pings (`/start`, success,
//!   `/fail`), pause and resume, when it goes down, and the alert loop's passes.
//! - [`cron`]: cron expressions evaluated in a named time zone as cronsim does (DST included),
//!   and the expression a user would write for a Dolibarr job's grid ([`cron::for_grid`]).
//!
//! # What is modelled, and from where
//!
//! - `hc/api/models.py`, `Check.get_grace_start`, `going_down_after`, `get_status`, `ping`;
//!   `DEFAULT_TIMEOUT`, `DEFAULT_GRACE`.
//! - `hc/api/management/commands/sendalerts.py`, `Command.handle_going_down`,
//!   `process_one_flip`, `handle` (a 2 s sleep between idle passes).
//! - `hc/front/views.py`, `pause` and `resume`; `hc/front/forms.py`, `SecondsDurationField`
//!   (60 s to 365 days).
//! - `templates/docs/configuring_checks.md` (the cron check's "Server's Time Zone"),
//!   `templates/docs/measuring_script_run_time.md` (a `/start` without a success within the
//!   grace is down), `cuu508/cronsim` `cronsim.py` (see [`cron`]).
//!
//! # Not modelled
//!
//! - `rid` (run ids): every ping here has none, so a success or fail ends the current run.
//! - `manual_resume` (pings ignored while paused), keyword filters, `/log`, `/ign`, exit codes
//!   (`/<code>` is `/fail` for a non-zero code), OnCalendar schedules, nags (repeat alerts).
//! - The alert loop's own duration and its several workers: passes sit on a fixed 2 s grid
//!   ([`AlertLoop`]); a notification leaves at the first pass that sees its flip.

pub mod check;
pub mod cron;

#[cfg(test)]
mod tests;

pub use check::{
    AlertLoop, Check, CheckKind, CheckSettings, DEFAULT_GRACE, DEFAULT_TIMEOUT, MAX_PERIOD, MIN_PERIOD, Notification, PingKind,
    SENDALERTS_PASS, SettingsError, Status,
};
pub use cron::{CronError, CronExpr, NotACron, for_grid};

//! One Healthchecks check and the `sendalerts` loop that alerts for it, as a sans-IO state
//! machine. Every rule cites the function of Healthchecks it follows (`healthchecks/healthchecks`,
//! recent main); the module docs list what is left out.

use std::collections::VecDeque;

use super::cron::CronExpr;
use crate::time::{Duration, Instant, Zone};

/// `hc/api/models.py`: `DEFAULT_TIMEOUT = td(days=1)`.
pub const DEFAULT_TIMEOUT: Duration = Duration::DAY;
/// `hc/api/models.py`: `DEFAULT_GRACE = td(hours=1)`.
pub const DEFAULT_GRACE: Duration = Duration::HOUR;
/// `hc/front/forms.py`, `SecondsDurationField`: `min_value=60`.
pub const MIN_PERIOD: Duration = Duration::MINUTE;
/// `hc/front/forms.py`, `SecondsDurationField`: `max_value=31536000` (a year).
pub const MAX_PERIOD: Duration = Duration::from_days(365);
/// `hc/api/management/commands/sendalerts.py`, `Command.handle`: when a pass finds no flip to
/// send, `time.sleep(2)` before looking again. A check that became due is seen by the next pass.
pub const SENDALERTS_PASS: Duration = Duration::from_secs(2);

/// How the check expects its pings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckKind {
    /// "Period" (`timeout`): the next ping is due `timeout` after the last one.
    Simple { timeout: Duration },
    /// A cron expression read in the check's `tz` ("Server's Time Zone" in the docs,
    /// `templates/docs/configuring_checks.md`).
    Cron { schedule: CronExpr, tz: Zone },
}

/// A check's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSettings {
    pub kind: CheckKind,
    pub grace: Duration,
}

/// A setting outside what Healthchecks' forms accept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} of {value} is outside Healthchecks' range of 60 s to 365 days (hc/front/forms.py)")]
pub struct SettingsError {
    pub what: &'static str,
    pub value: Duration,
}

impl CheckSettings {
    /// A simple check with Healthchecks' defaults: 1 day period, 1 hour grace.
    pub fn simple_defaults() -> Self {
        CheckSettings { kind: CheckKind::Simple { timeout: DEFAULT_TIMEOUT }, grace: DEFAULT_GRACE }
    }

    /// The ranges of `hc/front/forms.py` (`SecondsDurationField`, 60 s to 365 days).
    pub fn validate(&self) -> Result<(), SettingsError> {
        let ok = |d: Duration| (MIN_PERIOD..=MAX_PERIOD).contains(&d);
        if !ok(self.grace) {
            return Err(SettingsError { what: "grace", value: self.grace });
        }
        if let CheckKind::Simple { timeout } = self.kind {
            if !ok(timeout) {
                return Err(SettingsError { what: "timeout", value: timeout });
            }
        }
        Ok(())
    }
}

/// What a ping says (`hc/api/views.py`, `ping`: the URL suffix `/start`, `/fail`, or none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PingKind {
    Start,
    Success,
    Fail,
}

/// The stored `status` column, plus the display statuses `get_status` can answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    New,
    Up,
    /// Display only: past the grace start, not yet down.
    Grace,
    Down,
    Paused,
}

/// When `sendalerts` passes: every [`SENDALERTS_PASS`] on a grid from `phase` *(model choice:
/// the real loop sleeps 2 s after an idle pass, so a due check waits at most one pass)*.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertLoop {
    pub every: Duration,
    pub phase: Instant,
}

impl Default for AlertLoop {
    fn default() -> Self {
        AlertLoop { every: SENDALERTS_PASS, phase: Instant(0) }
    }
}

impl AlertLoop {
    /// The first pass at or after `t`.
    pub fn at_or_after(&self, t: Instant) -> Instant {
        let every = self.every.as_ms().max(1);
        let k = (t.as_ms() - self.phase.as_ms()).div_euclid(every);
        let pass = Instant(self.phase.as_ms() + k * every);
        if pass < t { pass + Duration(every) } else { pass }
    }
    /// The first pass strictly after `t` (`alert_after__lt=now()` is strict).
    pub fn after(&self, t: Instant) -> Instant {
        self.at_or_after(t + Duration::MILLISECOND)
    }
}

/// A notification `sendalerts` sent: the flip it carries (`Flip.created`, the instant the status
/// changed) and the pass that sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification {
    /// [`Status::Down`] or [`Status::Up`].
    pub status: Status,
    pub flip_at: Instant,
    pub sent_at: Instant,
}

#[derive(Clone, Copy, Debug)]
struct Flip {
    created: Instant,
    old: Status,
    new: Status,
}

/// One Healthchecks check and its share of the `sendalerts` loop.
///
/// Inputs through `handle_*`, time through [`poll_timeout`](Self::poll_timeout) /
/// [`handle_timeout`](Self::handle_timeout), notifications out through
/// [`poll_event`](Self::poll_event). Instants are integer milliseconds; nothing here reads a clock.
#[derive(Clone, Debug)]
pub struct Check {
    settings: CheckSettings,
    alert_loop: AlertLoop,
    status: Status,
    last_ping: Option<Instant>,
    last_start: Option<Instant>,
    /// `Check.alert_after`: when `sendalerts` looks at this check again.
    alert_after: Option<Instant>,
    /// Flips not yet processed by `sendalerts` (`Flip.processed = None`), in creation order.
    flips: VecDeque<Flip>,
    events: VecDeque<Notification>,
}

impl Check {
    /// A check just created: status "new", no ping, nothing due (`poll_timeout` is `None`).
    pub fn new(settings: CheckSettings, alert_loop: AlertLoop) -> Self {
        Check {
            settings,
            alert_loop,
            status: Status::New,
            last_ping: None,
            last_start: None,
            alert_after: None,
            flips: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn settings(&self) -> &CheckSettings {
        &self.settings
    }

    /// The stored status (never [`Status::Grace`]).
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether a `/start` is pending (the check is "running").
    pub fn is_started(&self) -> bool {
        self.last_start.is_some()
    }

    /// `Check.get_grace_start`: when the grace period starts. Simple: `last_ping + timeout`;
    /// cron: the schedule's next time after `last_ping` in `tz` (both only while "up"); with a
    /// pending `/start` and not "down", the earlier of that and `last_start`. `None` for "never".
    pub fn grace_start(&self, with_started: bool) -> Option<Instant> {
        let mut result = match (&self.settings.kind, self.status, self.last_ping) {
            (CheckKind::Simple { timeout }, Status::Up, Some(p)) => Some(p + *timeout),
            (CheckKind::Cron { schedule, tz }, Status::Up, Some(p)) => schedule.next_after(p, *tz),
            _ => None,
        };
        if let (true, Some(s), false) = (with_started, self.last_start, self.status == Status::Down) {
            result = Some(result.map_or(s, |r| r.min(s)));
        }
        result
    }

    /// `Check.going_down_after`: `grace_start + grace`, `None` when new or paused and not
    /// running, or already down.
    pub fn going_down_after(&self) -> Option<Instant> {
        self.grace_start(true).map(|g| g + self.settings.grace)
    }

    /// `Check.get_status(with_started=False)` at `now`: a `/start` older than the grace is
    /// "down" whatever the stored status; new, paused and down answer themselves; otherwise
    /// "down" from `grace_start + grace`, "grace" from `grace_start`, else "up".
    pub fn status_at(&self, now: Instant) -> Status {
        if let Some(s) = self.last_start {
            if now >= s + self.settings.grace {
                return Status::Down;
            }
        }
        if matches!(self.status, Status::New | Status::Paused | Status::Down) {
            return self.status;
        }
        match self.grace_start(false) {
            None => Status::Up,
            Some(g) if now >= g + self.settings.grace => Status::Down,
            Some(g) if now >= g => Status::Grace,
            Some(_) => Status::Up,
        }
    }

    /// A ping arrives at `now` (`Check.ping`): `/start` sets `last_start` and nothing else; a
    /// success or `/fail` sets `last_ping`, ends the run (`last_start = None`: this model's pings
    /// carry no `rid`) and moves the status to "up" or "down", creating a flip if it changed.
    /// Then `alert_after = going_down_after()`.
    ///
    /// Changes `poll_timeout`.
    pub fn handle_ping(&mut self, now: Instant, kind: PingKind) {
        match kind {
            PingKind::Start => self.last_start = Some(now),
            PingKind::Success | PingKind::Fail => {
                self.last_ping = Some(now);
                self.last_start = None;
                let new = if kind == PingKind::Fail { Status::Down } else { Status::Up };
                if self.status != new {
                    self.flips.push_back(Flip { created: now, old: self.status, new });
                    self.status = new;
                }
            }
        }
        self.alert_after = self.going_down_after();
    }

    /// The user pauses the check (`hc/front/views.py`, `pause`): status "paused", the run and
    /// `alert_after` cleared; the flip is created already processed, so nothing is sent.
    ///
    /// Changes `poll_timeout` (to `None` unless a flip is still unsent).
    pub fn handle_pause(&mut self, _now: Instant) {
        self.status = Status::Paused;
        self.last_start = None;
        self.alert_after = None;
    }

    /// The user resumes a paused check (`hc/front/views.py`, `resume`): status "new", last ping
    /// and run forgotten, nothing due until the next ping. Answers `false` (and changes
    /// nothing) when the check is not paused, as the view answers 400.
    ///
    /// Changes `poll_timeout` when it answers `true`.
    pub fn handle_resume(&mut self, _now: Instant) -> bool {
        if self.status != Status::Paused {
            return false;
        }
        self.status = Status::New;
        self.last_start = None;
        self.last_ping = None;
        self.alert_after = None;
        true
    }

    /// The next `sendalerts` pass that has work for this check: the first pass at or after an
    /// unsent flip, or the first pass strictly after `alert_after` (`alert_after__lt=now()`,
    /// `.exclude(status="down")`). `None` when nothing is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let flip = self.flips.front().map(|f| self.alert_loop.at_or_after(f.created));
        let down = self.alert_after.filter(|_| self.status != Status::Down).map(|a| self.alert_loop.after(a));
        match (flip, down) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// One `sendalerts` pass at `now` (`Command.handle`): `handle_going_down` — if
    /// `alert_after < now` and the status is not "down", compute `get_status`; "down" stores
    /// "down", clears `alert_after` and creates a flip dated `going_down_after()`; anything else
    /// moves `alert_after` to `going_down_after()` — then every unsent flip is sent
    /// (`process_one_flip` until none is left; `Flip.select_channels` sends nothing for
    /// new → up and paused → up).
    ///
    /// Does nothing when no pass is due (`poll_timeout()` is `None` or later than `now`).
    ///
    /// Changes `poll_timeout`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_none_or(|t| t > now) {
            return;
        }
        if let Some(a) = self.alert_after {
            if a < now && self.status != Status::Down {
                if self.status_at(now) == Status::Down {
                    let flip_at = self.going_down_after().unwrap_or(a);
                    self.flips.push_back(Flip { created: flip_at, old: self.status, new: Status::Down });
                    self.status = Status::Down;
                    self.alert_after = None;
                } else {
                    self.alert_after = self.going_down_after();
                }
            }
        }
        while let Some(f) = self.flips.pop_front() {
            let silent = f.new == Status::Up && matches!(f.old, Status::New | Status::Paused);
            if !silent {
                self.events.push_back(Notification { status: f.new, flip_at: f.created, sent_at: now });
            }
        }
    }

    /// The next notification sent, in the order the passes sent them.
    ///
    /// Does not change `poll_timeout`.
    pub fn poll_event(&mut self) -> Option<Notification> {
        self.events.pop_front()
    }
}

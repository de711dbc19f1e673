//! The Healthchecks baselines: the same runs and pushes judged by Healthchecks checks
//! ([`crate::world::healthchecks`]), as a user would configure them.
//!
//! The pings a check receives, per run: the delivered success push (a success ping); the
//! delivered `status=down` push of a run that ended in error when the job pushes on error
//! (`/fail`); and, when the job's `heartbeat.healthchecks.start` is on, a `/start` at the run's
//! start *(model choice: the start ping is not simulated on the wire, it arrives when the run
//! starts)*. The check is created with the scenario ("new": it cannot alert before its first ping).
//! A Kuma maintenance window on the monitor is, for the Healthchecks check, a pause when it opens
//! and a resume when it closes (Healthchecks has no maintenance windows; its users pause).
//!
//! Settings, and why (written into the report):
//! - simple: timeout = the longest interval between two slots of the job's grid (its period);
//! - cron: the job's first slot written as a cron expression on the check's zone
//!   (`heartbeat.healthchecks.tz`, default the scenario's `time_zone`), or the reason there is none;
//! - grace (both) = the longest delay from a slot to its delivered success ping among the runs
//!   that served their slot, rounded up to the minute, + 60 s; at least 60 s (Healthchecks'
//!   minimum). It covers the runner's tick, the run and the push retries, which a cron check
//!   needs; it is derived from the runs it then judges (what a user would set after watching them);
//! - and each kind again at Healthchecks' defaults (timeout 1 day, grace 1 hour).

use serde::{Deserialize, Serialize};

use crate::sim::analysis::incidents::{Incident, median, seconds};
use crate::sim::loops::jobs::RunRecord;
use crate::sim::scenario::jobs_plan::{JobPlan, JobsPlan, MonitorPlan};
use crate::sim::scenario::model::JobFrequency;
use crate::time::{Duration, Instant};
use crate::world::healthchecks::{
    AlertLoop, Check, CheckKind, CheckSettings, DEFAULT_GRACE, DEFAULT_TIMEOUT, MAX_PERIOD, MIN_PERIOD, NotACron, PingKind, Status,
    for_grid,
};

/// The pings a check would receive from `runs`, in time order (a `/start` before the end of its
/// own run; at the same instant, in run order).
pub fn pings(runs: &[&RunRecord], start_signal: bool, fail_signal: bool) -> Vec<(Instant, PingKind)> {
    let mut out = Vec::new();
    for r in runs {
        if start_signal {
            out.push((r.start, PingKind::Start));
        }
        if let Some(t) = r.push_delivered {
            out.push((t, PingKind::Success));
        }
        if let (true, Some(t)) = (fail_signal, r.fail_delivered) {
            out.push((t, PingKind::Fail));
        }
    }
    out.sort_by_key(|p| p.0);
    out
}

/// The instants `sendalerts` sends a DOWN notification for a check with `settings` receiving
/// `pings`, paused over each of `paused` (from, until), before `end`. At one instant: a pause or
/// resume first (scenario events), then a ping, then a pass (arrivals before timers, as in the
/// engine).
pub fn down_alerts(settings: &CheckSettings, pings: &[(Instant, PingKind)], paused: &[(Instant, Instant)], end: Instant) -> Vec<Instant> {
    #[derive(Clone, Copy)]
    enum Ev {
        Pause,
        Resume,
        Ping(PingKind),
    }
    let mut events: Vec<(Instant, u8, Ev)> = pings.iter().map(|&(t, k)| (t, 1, Ev::Ping(k))).collect();
    for &(from, until) in paused {
        events.push((from, 0, Ev::Pause));
        events.push((until, 0, Ev::Resume));
    }
    // Stable: pings keep their order at one instant.
    events.sort_by_key(|e| (e.0, e.1));
    let mut check = Check::new(settings.clone(), AlertLoop::default());
    let mut out = Vec::new();
    // Every pass strictly before `until`.
    let mut drain = |check: &mut Check, until: Instant| {
        while let Some(t) = check.poll_timeout() {
            if t >= until {
                break;
            }
            check.handle_timeout(t);
        }
        while let Some(n) = check.poll_event() {
            if n.status == Status::Down {
                out.push(n.sent_at);
            }
        }
    };
    for &(t, _, ev) in &events {
        if t >= end {
            break;
        }
        drain(&mut check, t);
        match ev {
            Ev::Pause => check.handle_pause(t),
            Ev::Resume => {
                // A ping during the pause already brought the check back (Healthchecks refuses
                // to resume a check that is not paused).
                let _ = check.handle_resume(t);
            }
            Ev::Ping(kind) => check.handle_ping(t, kind),
        }
    }
    drain(&mut check, end);
    out
}

/// The maintenance windows of Kuma monitor `monitor` (their union), as the pauses of the matching
/// Healthchecks check: the user pauses the check when the window opens and resumes it when it closes.
pub fn pauses(monitor: &MonitorPlan) -> Vec<(Instant, Instant)> {
    let mut windows = monitor.maintenance.clone();
    windows.sort();
    let mut out: Vec<(Instant, Instant)> = Vec::new();
    for (from, until) in windows {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(until),
            _ => out.push((from, until)),
        }
    }
    out
}

/// Score alerts against incidents: detections, misses, false alerts, time to detect.
pub fn score(alerts: &[Instant], found: &[Incident], end: Instant) -> BaselineFigures {
    let covered = |t: Instant| found.iter().any(|i| i.start <= t && i.end.is_none_or(|e| t <= e));
    let mut fig = BaselineFigures {
        alerts: alerts.len() as u64,
        false_alerts: alerts.iter().filter(|&&t| !covered(t)).count() as u64,
        ..Default::default()
    };
    let mut ttd = Vec::new();
    for inc in found {
        let stop = inc.end.unwrap_or(end);
        match alerts.iter().copied().find(|&t| t >= inc.start && t <= stop) {
            Some(t) => {
                fig.detected += 1;
                ttd.push(seconds(t - inc.start));
            }
            None if inc.end.is_some() => fig.missed += 1,
            None => {}
        }
    }
    fig.ttd_median_s = median(ttd.clone());
    fig.ttd_max_s = ttd.into_iter().max().unwrap_or(0);
    fig
}

/// The grace derived from the runs: the longest slot-to-ping delay among runs that served their
/// slot (started within a period + a tick of it, success push delivered), rounded up to the
/// minute, + 60 s, within Healthchecks' 60 s to 365 days. With no such run, the delay is the
/// tick + the longest duration of the job's spec. Returns (grace, longest delay).
pub fn derived_grace(runs: &[&RunRecord], period: Duration, tick: Duration, spec_longest: Duration) -> (Duration, Duration) {
    let longest = runs
        .iter()
        .filter(|r| r.start <= r.slot + period + tick)
        .filter_map(|r| r.push_delivered.map(|d| d - r.slot))
        .max()
        .unwrap_or(tick + spec_longest);
    let minute = Duration::MINUTE.as_ms();
    let rounded = Duration((longest.as_ms().max(0) + minute - 1) / minute * minute);
    ((rounded + Duration::MINUTE).clamp(MIN_PERIOD, MAX_PERIOD), longest)
}

/// A Healthchecks setup: the check's settings and what the job sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    pub settings: CheckSettings,
    pub start_signal: bool,
    pub fail_signal: bool,
}

/// What a Healthchecks check of one monitor is judged on, kept (outside the report) so that
/// `advise` can try other settings without replaying the jobs.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// Every ping the job could send (`/start` and `/fail` included), in time order.
    pub pings: Vec<(Instant, PingKind)>,
    pub found: Vec<Incident>,
    /// When the check is paused (the monitor's Kuma maintenance windows).
    pub paused: Vec<(Instant, Instant)>,
    pub end: Instant,
    /// The simple check's timeout (the job's period).
    pub timeout: Duration,
    /// The cron check's schedule and zone, or why there is none.
    pub cron_kind: Result<CheckKind, NotACron>,
    /// The derived grace (module docs) and the longest delay it comes from.
    pub grace: Duration,
    pub longest_delay: Duration,
    /// `heartbeat.healthchecks.start` and `heartbeat.push_on_error`.
    pub start_signal: bool,
    pub fail_signal: bool,
}

/// Evaluate a setup: its figures, with the settings written in (`why` left to the caller).
pub fn evaluate(setup: &Setup, inputs: &Inputs) -> BaselineFigures {
    let p: Vec<(Instant, PingKind)> = inputs
        .pings
        .iter()
        .copied()
        .filter(|(_, k)| match k {
            PingKind::Start => setup.start_signal,
            PingKind::Fail => setup.fail_signal,
            PingKind::Success => true,
        })
        .collect();
    let alerts = down_alerts(&setup.settings, &p, &inputs.paused, inputs.end);
    let mut fig = score(&alerts, &inputs.found, inputs.end);
    fig.grace_s = seconds(setup.settings.grace);
    match &setup.settings.kind {
        CheckKind::Simple { timeout } => fig.timeout_s = Some(seconds(*timeout)),
        CheckKind::Cron { schedule, tz } => {
            fig.schedule = Some(schedule.to_string());
            fig.tz = Some(tz.name().to_string());
        }
    }
    fig.start_signal = setup.start_signal;
    fig.fail_signal = setup.fail_signal;
    fig
}

/// The four baselines of one monitor and what they were judged on.
pub struct Baselines {
    pub simple: BaselineFigures,
    pub simple_defaults: BaselineFigures,
    pub cron: BaselineFigures,
    pub cron_defaults: BaselineFigures,
    pub inputs: Inputs,
}

fn secs_text(d: Duration) -> String {
    format!("{} s", seconds(d))
}

/// The baselines for `job`'s runs (see the module docs for the rules).
pub fn baselines(plan: &JobsPlan, monitor: &MonitorPlan, job: &JobPlan, runs: &[&RunRecord], found: &[Incident]) -> Baselines {
    let end = plan.end;
    let hb = job.heartbeat.as_ref();
    let start_signal = hb.is_some_and(|h| h.healthchecks_start);
    let fail_signal = hb.is_some_and(|h| h.sender.push_on_error);
    let (tz, tz_source) = hb.map_or((plan.zone, "the scenario's time_zone"), |h| h.healthchecks_tz);
    let first = job.first_run;
    // The simple check's period: the longest gap between two slots of the grid.
    let mut timeout = job.frequency.nominal();
    if let JobFrequency::Months(_) = job.frequency {
        let mut s = first;
        for _ in 0..24 {
            let next = job.frequency.next(s, plan.months_in, plan.zone);
            timeout = timeout.max(next - s);
            s = next;
        }
    }
    let timeout = timeout.clamp(MIN_PERIOD, MAX_PERIOD);
    let spec_longest = job.longest_run();
    let (grace, longest_delay) = derived_grace(runs, job.frequency.nominal(), plan.tick, spec_longest);
    let cron_kind = match job.frequency {
        JobFrequency::Every(d) => for_grid(first, d, tz).map(|schedule| CheckKind::Cron { schedule, tz }),
        JobFrequency::Months(_) => Err(NotACron::CalendarMonths),
    };
    let inputs = Inputs {
        pings: pings(runs, true, true),
        found: found.to_vec(),
        paused: pauses(monitor),
        end,
        timeout,
        cron_kind: cron_kind.clone(),
        grace,
        longest_delay,
        start_signal,
        fail_signal,
    };
    let signals = match (start_signal, fail_signal) {
        (true, true) => "; pings /start and /fail",
        (true, false) => "; pings /start (no /fail: the job does not push on error)",
        (false, true) => "; pings /fail (the job pushes status=down on error)",
        (false, false) => "; success pings only (the job does not push on error)",
    };
    let signals = match inputs.paused.len() {
        0 => signals.to_string(),
        n => format!("{signals}; paused over the monitor's {n} Kuma maintenance window(s), resumed after"),
    };
    let grace_rule = format!(
        "grace = the longest slot-to-ping delay seen ({}) rounded up to the minute + 60 s = {}",
        secs_text(longest_delay),
        secs_text(grace)
    );
    let eval = |settings: CheckSettings, why: String| {
        let mut fig = evaluate(&Setup { settings, start_signal, fail_signal }, &inputs);
        fig.why = why + &signals;
        fig
    };
    let simple = eval(
        CheckSettings { kind: CheckKind::Simple { timeout }, grace },
        format!("timeout = the job's period ({}); {grace_rule}", secs_text(timeout)),
    );
    let simple_defaults = eval(
        CheckSettings { kind: CheckKind::Simple { timeout: DEFAULT_TIMEOUT }, grace: DEFAULT_GRACE },
        "Healthchecks' defaults: timeout 1 day, grace 1 hour".to_string(),
    );
    let (cron, cron_defaults) = match &cron_kind {
        Ok(kind) => {
            let at = format!("the job's first slot on the {} clock ({tz_source})", tz.name());
            (
                eval(CheckSettings { kind: kind.clone(), grace }, format!("schedule from {at}; {grace_rule}")),
                eval(
                    CheckSettings { kind: kind.clone(), grace: DEFAULT_GRACE },
                    format!("schedule from {at}; Healthchecks' default grace, 1 hour"),
                ),
            )
        }
        Err(reason) => {
            let na = BaselineFigures { not_applicable: Some(reason.to_string()), tz: Some(tz.name().to_string()), ..Default::default() };
            (BaselineFigures { grace_s: seconds(grace), ..na.clone() }, BaselineFigures { grace_s: seconds(DEFAULT_GRACE), ..na })
        }
    };
    Baselines { simple, simple_defaults, cron, cron_defaults, inputs }
}

/// A comparison check on the same pushes (Healthchecks, `crate::world::healthchecks`): its
/// settings, why, and how it did.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct BaselineFigures {
    pub grace_s: i64,
    /// A simple check's period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<i64>,
    /// A cron check's expression and zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    /// The job pings `/start` when a run begins.
    pub start_signal: bool,
    /// The job's `status=down` push reaches the check as `/fail`.
    pub fail_signal: bool,
    /// The settings' rule, written out.
    #[serde(default)]
    pub why: String,
    /// Why this check cannot follow the job (the figures are then zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    pub alerts: u64,
    pub detected: u64,
    pub missed: u64,
    pub false_alerts: u64,
    /// `None` (JSON `null`) when nothing was detected: there is no median of nothing.
    pub ttd_median_s: Option<i64>,
    pub ttd_max_s: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::loops::jobs::RunFate;

    fn t(s: i64) -> Instant {
        Instant(s * 1_000)
    }

    fn run(slot: i64, start: i64, end: i64, fate: RunFate, push: Option<i64>) -> RunRecord {
        RunRecord {
            job: 1,
            slot: t(slot),
            start: t(start),
            end: Some(t(end)),
            fate,
            push_delivered: if fate == RunFate::Success { push.map(t) } else { None },
            fail_delivered: if fate == RunFate::Error { push.map(t) } else { None },
            push_attempts: 1,
        }
    }

    fn simple(timeout_s: i64, grace_s: i64) -> CheckSettings {
        CheckSettings { kind: CheckKind::Simple { timeout: Duration::from_secs(timeout_s) }, grace: Duration::from_secs(grace_s) }
    }

    #[test]
    fn with_fail_a_run_in_error_alerts_when_its_down_push_arrives_without_it_after_timeout_plus_grace() {
        // 300 s job, runs start 60 s after the slot and push 20 s later; the run of slot 600 fails.
        let runs = [
            run(0, 60, 80, RunFate::Success, Some(80)),
            run(300, 360, 380, RunFate::Success, Some(380)),
            run(600, 660, 680, RunFate::Error, Some(680)),
            run(900, 960, 980, RunFate::Success, Some(980)),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let s = simple(300, 120);
        // /fail at 680: the pass at 680 sends it.
        assert_eq!(down_alerts(&s, &pings(&refs, false, true), &[], t(1300)), vec![t(680)]);
        // Without: due at 380 + 300 + 120 = 800, sent by the pass at 802.
        assert_eq!(down_alerts(&s, &pings(&refs, false, false), &[], t(1300)), vec![t(802)]);
        // After the last ping (980) the silence alerts at 980 + 420 = 1 400, pass 1 402.
        assert_eq!(down_alerts(&s, &pings(&refs, false, true), &[], t(2000)), vec![t(680), t(1402)]);
    }

    #[test]
    fn with_start_a_crashed_run_alerts_at_its_start_plus_grace() {
        let runs = [run(0, 60, 80, RunFate::Success, Some(80)), run(300, 360, 370, RunFate::Crashed, None)];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let s = simple(300, 120);
        // /start at 360, no end: down at 480, pass 482. Without /start: 80 + 420 = 500, pass 502.
        assert_eq!(down_alerts(&s, &pings(&refs, true, false), &[], t(2000)), vec![t(482)]);
        assert_eq!(down_alerts(&s, &pings(&refs, false, false), &[], t(2000)), vec![t(502)]);
    }

    #[test]
    fn a_ping_and_a_pass_at_the_same_instant_the_ping_comes_first() {
        // Due at 80 + 420 = 500, first pass after it 502; a ping at 502 arrives first: no alert.
        let runs = [run(0, 60, 80, RunFate::Success, Some(80)), run(300, 480, 502, RunFate::Success, Some(502))];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        assert!(down_alerts(&simple(300, 120), &pings(&refs, false, false), &[], t(600)).is_empty());
    }

    #[test]
    fn a_pause_silences_the_check_and_resume_waits_for_the_next_ping() {
        let runs = [run(0, 60, 80, RunFate::Success, Some(80)), run(3000, 3060, 3080, RunFate::Success, Some(3080))];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let p = pings(&refs, false, false);
        // Unpaused: due at 80 + 420 = 500 (pass 502). Paused 400..2000: resume makes it new, so
        // nothing is due until the ping at 3 080; then 3 080 + 420 = 3 500, pass 3 502.
        assert_eq!(down_alerts(&simple(300, 120), &p, &[], t(3300)), vec![t(502)]);
        assert_eq!(down_alerts(&simple(300, 120), &p, &[(t(400), t(2000))], t(4000)), vec![t(3502)]);
        // A ping during the pause un-pauses the check (paused → up, silent); the resume is then refused.
        let inside = [run(0, 60, 80, RunFate::Success, Some(80)), run(300, 360, 380, RunFate::Success, Some(380))];
        let refs: Vec<&RunRecord> = inside.iter().collect();
        assert_eq!(down_alerts(&simple(300, 120), &pings(&refs, false, false), &[(t(200), t(1000))], t(1000)), vec![t(802)]);
    }

    #[test]
    fn derived_grace_is_the_longest_served_delay_rounded_up_to_the_minute_plus_60_s() {
        // Delays 80 s and 95 s; the run 2 h late does not serve its slot and is not counted.
        let runs = [run(0, 60, 80, RunFate::Success, Some(80)), run(300, 380, 395, RunFate::Success, Some(395))];
        let late = run(600, 7800, 7810, RunFate::Success, Some(7810));
        let refs: Vec<&RunRecord> = runs.iter().chain(std::iter::once(&late)).collect();
        let (grace, longest) = derived_grace(&refs, Duration::from_secs(300), Duration::MINUTE, Duration::SECOND);
        assert_eq!(longest, Duration::from_secs(95));
        assert_eq!(grace, Duration::from_secs(180), "95 s → 120 s, + 60 s");
        // No served run: tick + longest duration (60 + 1 s → 120 s) + 60 s.
        assert_eq!(derived_grace(&[], Duration::from_secs(300), Duration::MINUTE, Duration::SECOND).0, Duration::from_secs(180));
        // Never below Healthchecks' 60 s.
        let quick = [run(0, 0, 0, RunFate::Success, Some(0))];
        let q: Vec<&RunRecord> = quick.iter().collect();
        assert_eq!(derived_grace(&q, Duration::from_secs(300), Duration::MINUTE, Duration::SECOND).0, Duration::from_secs(60));
    }

    #[test]
    fn a_baseline_alerts_once_per_silence_at_its_first_missed_deadline() {
        let runs = [
            run(0, 0, 0, RunFate::Success, Some(0)),
            run(3600, 3600, 3600, RunFate::Success, Some(3600)),
            run(18000, 18000, 18000, RunFate::Success, Some(18000)),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        // 3 600 + 4 200 = 7 800 (a pass): sent at 7 802; nothing more until the ping at 18 000.
        assert_eq!(down_alerts(&simple(3600, 600), &pings(&refs, false, false), &[], t(20_000)), vec![t(7802)]);
        assert!(down_alerts(&simple(3600, 600), &pings(&refs[..1], false, false), &[], t(4000)).is_empty(), "a deadline after the end");
    }
}

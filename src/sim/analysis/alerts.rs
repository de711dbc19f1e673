//! Alert timing (SPEC 3.4): ground-truth incidents from the runs, compared with what Kuma
//! stored and notified, and the job figures of the monitoring view (SPEC 2.3).
//!
//! Ground truth: every slot of a job's grid (`first_run + k × frequency`) should be served by a
//! run that ended in a successful, delivered push. An incident starts at the first slot that was
//! not (the job did not start, crashed, got stuck, ended in error, or its push was lost) and ends
//! at the next successful delivered push of a later slot. Slots too close to the end for their
//! run to finish are left out.

use std::collections::{BTreeMap, BTreeSet};

use crate::logic::cron::runner::Health;
use crate::sim::analysis::healthchecks;
pub use crate::sim::analysis::incidents::{Incident, RunView, incidents};
use crate::sim::analysis::incidents::{median, seconds};
use crate::sim::analysis::report::{IncidentFigures, JobFigures, MonitorFigures};
use crate::sim::analysis::round::whole_minutes;
use crate::sim::loops::jobs::{CronLog, JobView, RunFate, RunRecord};
use crate::sim::scenario::jobs_plan::{JobPlan, JobsPlan, MonitorPlan};
use crate::time::{Duration, Instant};
use crate::world::kuma::monitor::{MonitorSettings, NotificationKind, Status};

/// What the alert timeline plot draws for one monitor.
#[derive(Clone, Debug, Default)]
pub struct MonitorTimeline {
    pub monitor: String,
    pub incidents: Vec<Incident>,
    /// Runs that did not succeed: (end or start, fate).
    pub failed_runs: Vec<(Instant, RunFate)>,
    pub pushes: Vec<Instant>,
    /// Beats that were not UP.
    pub beats: Vec<(Instant, Status)>,
    pub notifications: Vec<(Instant, NotificationKind)>,
    /// Kuma down for a restart, from the scenario's timeline: (stop, start again).
    pub restarts: Vec<(Instant, Instant)>,
    /// This monitor's maintenance windows, from the scenario's timeline: (start, end).
    pub maintenance: Vec<(Instant, Instant)>,
}

/// Ground-truth incidents of one job (see the module docs).
fn job_incidents(plan: &JobsPlan, job: &JobPlan, runs: &[&RunRecord]) -> Vec<Incident> {
    let tail = plan.tick + job.longest_run() + job.push_deadline() + Duration::MINUTE;
    let mut slots = Vec::new();
    let mut s = job.first_run;
    while s + tail < plan.end && slots.len() < 5_000_000 {
        if job.active_at(s) {
            slots.push(s);
        }
        s = job.frequency.next(s, plan.months_in, plan.zone);
    }
    let views: Vec<RunView> = runs.iter().map(|r| RunView { slot: r.slot, start: r.start, delivered: r.push_delivered }).collect();
    incidents(&slots, &views, job.frequency.nominal() + plan.tick)
}

/// What one run of the jobs loop comes to: figures per job and per monitor, and the monitors'
/// timelines for the plot (the incidents are computed once, for both).
pub struct Analysis {
    pub jobs: BTreeMap<String, JobFigures>,
    pub monitors: BTreeMap<String, MonitorFigures>,
    pub timelines: Vec<MonitorTimeline>,
}

/// Jobs and monitors figures of one run, and the timelines.
pub fn analyse(plan: &JobsPlan, log: &CronLog) -> Analysis {
    let jobs = plan.jobs.iter().enumerate().map(|(k, j)| (j.id.to_string(), job_figures(plan, log, k, j))).collect();
    let mut monitors = BTreeMap::new();
    let mut timelines = Vec::new();
    for (m, spec) in plan.kuma.monitors.iter().enumerate() {
        let (fig, timeline) = monitor_analysis(plan, log, m, spec);
        monitors.insert(spec.id.clone(), fig);
        timelines.push(timeline);
    }
    Analysis { jobs, monitors, timelines }
}

/// Job `k`'s figures: its runs by fate, and the runner's view and health.
fn job_figures(plan: &JobsPlan, log: &CronLog, k: usize, j: &JobPlan) -> JobFigures {
    let end = plan.end;
    let runs: Vec<_> = log.runs.iter().filter(|r| r.job == j.id).collect();
    let count = |fate: RunFate| runs.iter().filter(|r| r.fate == fate).count() as u64;
    let view = log.views.get(k).copied().flatten();
    let JobView { nbrun, datenextrun, processing, average_duration_ms } =
        view.unwrap_or(JobView { nbrun: 0, datenextrun: end, processing: false, average_duration_ms: None });
    let h = log.health_time.get(k).copied().unwrap_or_default();
    JobFigures {
        label: j.label.clone(),
        frequency: j.frequency.to_string(),
        runs: runs.len() as u64,
        successes: count(RunFate::Success),
        errors: count(RunFate::Error),
        crashed: count(RunFate::Crashed),
        killed_by_time_limit: count(RunFate::TimeLimit),
        unfinished: count(RunFate::Unfinished),
        nbrun,
        next_run: datenextrun.to_rfc3339(),
        stuck_at_end: processing && runs.last().is_some_and(|r| matches!(r.fate, RunFate::Crashed | RunFate::TimeLimit)),
        average_duration_ms: average_duration_ms.unwrap_or(0).max(0) as u64,
        health_at_end: match log.health_at_end.get(k).copied().flatten() {
            Some(Health::Normal) => "normal",
            Some(Health::Attention) => "attention",
            Some(Health::Problem) => "problem",
            None => "unknown",
        }
        .to_string(),
        normal_minutes: whole_minutes(h.normal),
        attention_minutes: whole_minutes(h.attention),
        problem_minutes: whole_minutes(h.problem),
    }
}

/// Monitor `m`'s figures (Kuma beside the ground truth, and the Healthchecks baselines) and
/// its timeline for the plot.
fn monitor_analysis(plan: &JobsPlan, log: &CronLog, m: usize, spec: &MonitorPlan) -> (MonitorFigures, MonitorTimeline) {
    let end = plan.end;
    let mlog = &log.monitors[m];
    let mut timeline = MonitorTimeline {
        monitor: spec.id.clone(),
        beats: mlog.beats.iter().copied().filter(|b| b.1 != Status::Up).collect(),
        notifications: mlog.notifications.clone(),
        restarts: plan.kuma.restarts.clone(),
        maintenance: spec.maintenance.clone(),
        ..Default::default()
    };
    let job = plan.job_of_monitor(m);
    let window = MonitorSettings::new(spec.settings.interval_s).silence_to_down().window;
    let mut fig = MonitorFigures {
        job: job.map(|j| j.label.clone()).unwrap_or_default(),
        interval_s: spec.settings.interval_s as u64,
        retry_interval_s: spec.settings.retry_interval_s as u64,
        max_retries: spec.settings.max_retries as u64,
        notifications_down: mlog.notifications.iter().filter(|n| n.1 == NotificationKind::Down).count() as u64,
        notifications_up: mlog.notifications.iter().filter(|n| n.1 == NotificationKind::Up).count() as u64,
        notifications_reminder: mlog.notifications.iter().filter(|n| n.1 == NotificationKind::DownReminder).count() as u64,
        push_refused: mlog.pushes.refused,
        push_timed_out: mlog.pushes.timed_out,
        push_answers: mlog.pushes.answers.iter().map(|(code, n)| (code.to_string(), *n)).collect(),
        pushes_given_up: mlog.pushes.given_up,
        ..Default::default()
    };
    // Kuma's recorded downtime: from a DOWN beat to the next UP beat.
    let mut down_since: Option<Instant> = None;
    let mut kuma_down = Duration::ZERO;
    for &(t, s) in &mlog.beats {
        match (s, down_since) {
            (Status::Down, None) => down_since = Some(t),
            (Status::Up, Some(d)) => {
                kuma_down = kuma_down + (t - d);
                down_since = None;
            }
            _ => {}
        }
    }
    if let Some(d) = down_since {
        kuma_down = kuma_down + (end - d);
    }
    fig.kuma_down_minutes = whole_minutes(kuma_down);

    let downs: Vec<Instant> = mlog.notifications.iter().filter(|n| n.1 == NotificationKind::Down).map(|n| n.0).collect();
    let Some(job) = job else {
        fig.false_alerts = downs.len() as u64;
        return (fig, timeline);
    };
    let runs: Vec<_> = log.runs.iter().filter(|r| r.job == job.id).collect();
    fig.pushes_delivered = runs.iter().filter(|r| r.push_delivered.is_some()).count() as u64;
    fig.push_attempts = runs.iter().map(|r| r.push_attempts as u64).sum();

    let found = job_incidents(plan, job, &runs);
    timeline.failed_runs = runs.iter().filter(|r| r.fate != RunFate::Success).map(|r| (r.end.unwrap_or(r.start), r.fate)).collect();
    timeline.pushes = runs.iter().filter_map(|r| r.push_delivered).collect();
    timeline.incidents = found.clone();

    // Slack of each gap between successful pushes: I + 1 s − gap.
    let delivered: BTreeSet<Instant> = runs.iter().filter_map(|r| r.push_delivered).collect();
    let mut min_slack: Option<i64> = None;
    let mut prev: Option<Instant> = None;
    for &d in &delivered {
        if let Some(p) = prev {
            let slack = seconds(window - (d - p));
            min_slack = Some(min_slack.map_or(slack, |m: i64| m.min(slack)));
            if d - p > window {
                fig.gaps_beyond_window += 1;
            }
        }
        prev = Some(d);
    }
    fig.min_slack_s = min_slack.unwrap_or(0);

    let mut ttd_down = Vec::new();
    let mut ttd_pending = Vec::new();
    let mut true_down = Duration::ZERO;
    let covered = |t: Instant| found.iter().any(|i| i.start <= t && i.end.is_none_or(|e| t <= e));
    fig.false_alerts = downs.iter().filter(|&&t| !covered(t)).count() as u64;
    for inc in &found {
        let stop = inc.end.unwrap_or(end);
        true_down = true_down + (stop - inc.start);
        let first_down = downs.iter().copied().find(|&t| t >= inc.start && t <= stop);
        let first_pending = mlog.beats.iter().find(|(t, s)| *t >= inc.start && *t <= stop && *s == Status::Pending).map(|b| b.0);
        match first_down {
            Some(t) => {
                fig.detected += 1;
                ttd_down.push(seconds(t - inc.start));
            }
            None if inc.end.is_some() => fig.missed += 1,
            None => {}
        }
        if let Some(t) = first_pending {
            ttd_pending.push(seconds(t - inc.start));
        }
        if inc.end.is_none() {
            fig.still_open_at_end += 1;
        }
        if fig.incident_list.len() < 20 {
            fig.incident_list.push(IncidentFigures {
                start: inc.start.to_rfc3339(),
                end: inc.end.map(|e| e.to_rfc3339()),
                first_pending_after_s: first_pending.map(|t| seconds(t - inc.start)),
                down_notification_after_s: first_down.map(|t| seconds(t - inc.start)),
            });
        }
    }
    // The same runs judged by Healthchecks checks (`sim::analysis::healthchecks`).
    let hc = healthchecks::baselines(plan, spec, job, &runs, &found);
    fig.healthchecks_simple = hc.simple;
    fig.healthchecks_cron = hc.cron;
    fig.healthchecks_simple_defaults = hc.simple_defaults;
    fig.healthchecks_cron_defaults = hc.cron_defaults;
    fig.healthchecks_inputs = Some(hc.inputs);
    fig.incidents = found.len() as u64;
    fig.ttd_down_median_s = median(ttd_down.clone());
    fig.ttd_down_max_s = ttd_down.iter().copied().max().unwrap_or(0);
    fig.first_pending_median_s = median(ttd_pending);
    fig.true_downtime_minutes = whole_minutes(true_down);
    (fig, timeline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(m: i64) -> Instant {
        Instant(m * 60_000)
    }

    fn run(slot: i64, start: i64, delivered: Option<i64>) -> RunView {
        RunView { slot: t(slot), start: t(start), delivered: delivered.map(t) }
    }

    const GRACE: Duration = Duration::from_mins(61);

    #[test]
    fn an_incident_opens_at_the_first_unserved_slot_and_closes_at_the_next_delivered_push() {
        let slots = [t(0), t(60), t(120), t(180), t(240)];
        // 60 ends in error, 120 is skipped, 180 runs and pushes at 182.
        let runs = [run(0, 1, Some(2)), run(60, 61, None), run(180, 181, Some(182)), run(240, 241, Some(242))];
        assert_eq!(incidents(&slots, &runs, GRACE), vec![Incident { start: t(60), end: Some(t(182)) }]);
    }

    #[test]
    fn a_late_but_successful_run_is_not_an_incident() {
        let slots = [t(0), t(60)];
        let runs = [run(0, 50, Some(55)), run(60, 100, Some(119))];
        assert!(incidents(&slots, &runs, GRACE).is_empty());
    }

    #[test]
    fn a_stuck_job_is_one_incident_from_the_crashed_slot_to_the_first_push_after_the_reset() {
        // Crash at slot 60; the job stays processing; reset at 400: the next run still carries
        // slot 60 (datenextrun never moved) but is hours late, so it does not serve it.
        let slots = [t(0), t(60), t(120), t(180), t(240), t(300), t(360), t(420)];
        let runs = [run(0, 1, Some(2)), run(60, 61, None), run(60, 401, Some(402)), run(420, 421, Some(422))];
        assert_eq!(incidents(&slots, &runs, GRACE), vec![Incident { start: t(60), end: Some(t(402)) }]);
    }

    #[test]
    fn an_incident_still_open_at_the_end_has_no_end() {
        let slots = [t(0), t(60)];
        let runs = [run(0, 1, Some(2))];
        assert_eq!(incidents(&slots, &runs, GRACE), vec![Incident { start: t(60), end: None }]);
    }
}

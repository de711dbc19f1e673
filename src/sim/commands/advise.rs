//! `syncsim advise`: which Kuma push-monitor settings to use for a job. Replays the scenario's
//! jobs under candidate settings (interval I and retries N, retry interval R) and keeps the one
//! with the lowest time to detect among those whose false alerts stay under a target per month,
//! beside seed 001's rule (I = frequency + duration + 60 s margin).

use crate::sim::analysis::report::MonitorFigures;
use crate::sim::commands::run::run_jobs;
use crate::sim::engine::trace::Trace;
use crate::sim::scenario::Scenario;
use crate::sim::scenario::model::DurationDist;
use crate::time::Duration;
use crate::world::kuma::monitor::MonitorSettings;

/// Kuma's largest monitor interval (`MAX_INTERVAL_SECOND`, 24 days).
pub const MAX_INTERVAL_S: u32 = 2_073_600;

/// One candidate and what the replay measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub interval_s: u32,
    pub max_retries: u32,
    pub retry_interval_s: u32,
    /// The latest a DOWN can come after the last push: `I + 1 s + N·R` (plus timer lateness),
    /// `SilenceToDown::spec_rule`.
    pub deadline_s: i64,
    pub false_alerts_per_month: f64,
    pub incidents: u64,
    pub detected: u64,
    pub missed: u64,
    pub ttd_max_s: i64,
    pub seed_rule: bool,
    /// The settings the scenario has now.
    pub configured: bool,
}

#[derive(Clone, Debug)]
pub struct Advice {
    pub monitor: String,
    pub job: String,
    pub candidates: Vec<Candidate>,
    /// Index into `candidates` of the recommendation, if any candidate meets the target.
    pub best: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum AdviseError {
    #[error("monitor {0:?} is not in the scenario's kuma.monitors")]
    UnknownMonitor(String),
    #[error("no job pushes to monitor {0:?}: nothing to advise on")]
    NoJob(String),
    #[error("the scenario has no Kuma monitor")]
    NoMonitor,
}

/// Run the candidates. `target` is the largest acceptable number of false alerts per 30 days.
pub fn advise(scenario: &Scenario, monitor: Option<&str>, target: f64) -> Result<Advice, AdviseError> {
    let f = &scenario.file;
    let index = match monitor {
        Some(id) => f.kuma.monitors.iter().position(|m| m.id == id).ok_or_else(|| AdviseError::UnknownMonitor(id.into()))?,
        None => f
            .kuma
            .monitors
            .iter()
            .position(|m| f.cron.jobs.iter().any(|j| j.heartbeat.as_ref().is_some_and(|h| h.monitor == m.id)))
            .ok_or(AdviseError::NoMonitor)?,
    };
    let id = f.kuma.monitors[index].id.clone();
    let job =
        f.cron.jobs.iter().find(|j| j.heartbeat.as_ref().is_some_and(|h| h.monitor == id)).ok_or_else(|| AdviseError::NoJob(id.clone()))?;
    let (mean, longest) = match job.duration {
        DurationDist::Fixed(d) => (d, d),
        DurationDist::Uniform([a, b]) => (Duration::from_ms((a.as_ms() + b.as_ms()) / 2), b),
    };
    let secs = |d: Duration| ((d.as_ms() + 999) / 1000) as u32;
    let seed_rule = secs(job.frequency.nominal() + mean + Duration::MINUTE);
    let configured = (f.kuma.monitors[index].interval_s, f.kuma.monitors[index].max_retries, f.kuma.monitors[index].retry_interval_s);
    let mut intervals = vec![seed_rule, configured.0];
    for margin in [0, 60, 120, 300, 600, 1800] {
        intervals.push(secs(job.frequency.nominal() + longest + Duration::from_secs(margin)));
    }
    // Kuma refuses intervals above MAX_INTERVAL_SECOND (24 days, `src/util.ts`); beyond 2^31 ms
    // Node's setTimeout fires after 1 ms, so such a candidate would check without end.
    intervals.retain(|&i| i <= MAX_INTERVAL_S || i == configured.0);
    intervals.sort_unstable();
    intervals.dedup();
    let months = (scenario.end - scenario.start).as_ms() as f64 / Duration::from_days(30).as_ms() as f64;
    let mut candidates = Vec::new();
    let mut grid: Vec<(u32, u32, u32)> = intervals.iter().flat_map(|&i| (0..=3).map(move |n| (i, n, 60))).collect();
    if !grid.contains(&configured) {
        grid.push(configured);
    }
    grid.sort_unstable();
    for (interval_s, max_retries, retry_interval_s) in grid {
        {
            let mut s = scenario.clone();
            let m = &mut s.file.kuma.monitors[index];
            m.interval_s = interval_s;
            m.max_retries = max_retries;
            m.retry_interval_s = retry_interval_s;
            let (_, monitors) = run_jobs(&s, s.file.seed, &mut Trace::off());
            let fig: MonitorFigures = monitors.get(&id).cloned().unwrap_or_default();
            candidates.push(Candidate {
                interval_s,
                max_retries,
                retry_interval_s,
                deadline_s: MonitorSettings { retry_interval_s, max_retries, ..MonitorSettings::new(interval_s) }
                    .silence_to_down()
                    .spec_rule()
                    .as_ms()
                    / 1000,
                false_alerts_per_month: (fig.false_alerts as f64 / months.max(1e-9) * 100.0).round() / 100.0,
                incidents: fig.incidents,
                detected: fig.detected,
                missed: fig.missed,
                ttd_max_s: fig.ttd_down_max_s,
                seed_rule: interval_s == seed_rule && max_retries == 0,
                configured: (interval_s, max_retries, retry_interval_s) == configured,
            });
        }
    }
    // Lowest worst-case detection among those within the target; ties: fewer false alerts.
    let best = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.false_alerts_per_month <= target && c.missed == 0)
        .min_by(|a, b| {
            (a.1.deadline_s, a.1.ttd_max_s)
                .cmp(&(b.1.deadline_s, b.1.ttd_max_s))
                .then(a.1.false_alerts_per_month.total_cmp(&b.1.false_alerts_per_month))
        })
        .map(|(i, _)| i);
    Ok(Advice { monitor: id, job: job.label.clone(), candidates, best })
}

/// The advice as a Markdown table for the terminal.
pub fn render(a: &Advice, target: f64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ =
        writeln!(out, "Monitor `{}` (job: {}), target: at most {target} false alerts per 30 days, no missed incident.\n", a.monitor, a.job);
    let _ = writeln!(
        out,
        "| I (s) | N | R (s) | DOWN at most after last push | false alerts / 30 d | incidents | detected | missed | worst time to DOWN | |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (i, c) in a.candidates.iter().enumerate() {
        let mut marks = Vec::new();
        if Some(i) == a.best {
            marks.push("**advised**");
        }
        if c.seed_rule {
            marks.push("seed 001's rule");
        }
        if c.configured {
            marks.push("as configured");
        }
        let mark = marks.join(", ");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} s | {} | {} | {} | {} | {} s | {mark} |",
            c.interval_s,
            c.max_retries,
            c.retry_interval_s,
            c.deadline_s,
            c.false_alerts_per_month,
            c.incidents,
            c.detected,
            c.missed,
            c.ttd_max_s
        );
    }
    match a.best {
        Some(i) => {
            let c = &a.candidates[i];
            let _ = writeln!(
                out,
                "\nAdvice: interval {} s, {} retries every {} s: a DOWN at most {} s after the last push, {} false alerts per 30 days on this scenario.",
                c.interval_s, c.max_retries, c.retry_interval_s, c.deadline_s, c.false_alerts_per_month
            );
        }
        None => {
            let _ =
                writeln!(out, "\nNo candidate meets the target on this scenario: raise the target or look at the job's duration spread.");
        }
    }
    out
}

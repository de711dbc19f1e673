//! Expansion of the jobs side: a checked scenario (and one of its variants) becomes a
//! [`JobsPlan`]: the runner's job specs with every instant resolved, each heartbeat bound to its
//! monitor, Kuma's monitors with their [`MonitorSettings`], and the jobs loop's timeline in
//! dense, typed events. The jobs loop, the alert and Healthchecks analyses and `advise` read this
//! plan, never the file model; a variant or an `advise` candidate edits a plan instead of
//! cloning the scenario.

use crate::logic::cron::heartbeat::HeartbeatSender;
use crate::logic::cron::runner::{Frequency, FrequencyUnit, JobSpec, MonthCalendar};
use crate::logic::retry::RetryPolicy;
use crate::logic::uniform::Probability;
use crate::net::{Method, Request};
use crate::sim::scenario::Scenario;
use crate::sim::scenario::model::{DurationDist, JobFrequency, KumaVersionSpec, TimelineEvent, Variant};
use crate::sim::scenario::payments::PaymentsSection;
use crate::time::{Duration, Instant, Zone};
use crate::world::kuma::monitor::{KumaVersion, MonitorSettings, PushMonitor};
use crate::world::kuma::server::{KumaServer, MonitorIndex, TokenMonitor};
use crate::world::network::faults::FaultsSpec;

/// When a push's retries stop when the job's retry policy names no deadline (the ground truth's
/// tail allows for it).
const DEFAULT_PUSH_DEADLINE: Duration = Duration::from_mins(2);

/// Everything the jobs loop and its analyses need, resolved.
#[derive(Clone, Debug)]
pub struct JobsPlan {
    pub seed: u64,
    pub start: Instant,
    pub end: Instant,
    /// The scenario's zone (the runner's local calendar, a monthly job's grid).
    pub zone: Zone,
    /// How often the host's system cron calls the runner.
    pub tick: Duration,
    /// Reset stuck jobs at the start of every pass.
    pub cleanup_dead_jobs: bool,
    /// `cron.months_in`: the calendar a monthly job adds its months in.
    pub months_in: MonthCalendar,
    pub jobs: Vec<JobPlan>,
    pub kuma: KumaPlan,
    /// The network's fault plan, as the file states it (`FaultPlan` draws from it per call).
    pub faults: FaultsSpec,
    /// The events the jobs loop handles, by instant (ties keep file order).
    pub timeline: Vec<(Instant, JobsEvent)>,
    /// The timeline's scripted pushes, in file order ([`JobsEvent::KumaPush`] names one).
    pub pushes: Vec<ScriptedPush>,
    /// The settings each `kuma_monitor_edit` saves, in file order: the monitor's settings with
    /// the edit's fields, over its earlier edits (by instant, ties in file order).
    pub edits: Vec<MonitorSettings>,
    /// Bridge payments, their payers and webhooks, and the recovery job (validated).
    pub payments: Option<PaymentsSection>,
}

/// What a user does to a monitor in Kuma's UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorAction {
    Create,
    Pause,
    Resume,
    Delete,
    /// Save the settings [`JobsPlan::edits`]`[n]` (the monitor's whole settings after the edit).
    Edit(u32),
}

/// A push the timeline sends to a monitor (`kuma_push`).
#[derive(Clone, Debug)]
pub struct ScriptedPush {
    /// Index in [`KumaPlan::monitors`].
    pub monitor: usize,
    /// `GET /api/push/<token>` with the parameters the file gives, in the push URL's order.
    pub request: Request,
}

/// One scheduled job.
#[derive(Clone, Debug)]
pub struct JobPlan {
    pub id: u32,
    pub label: String,
    pub priority: i32,
    pub enabled: bool,
    pub frequency: JobFrequency,
    /// The first `datenextrun` (the start when the file names none).
    pub first_run: Instant,
    pub datestart: Option<Instant>,
    pub dateend: Option<Instant>,
    /// The run's own processing time.
    pub duration: DurationDist,
    pub error_rate: Probability,
    pub heartbeat: Option<HeartbeatPlan>,
}

/// A job's push to its Kuma monitor, and how a Healthchecks check would watch the same job.
#[derive(Clone, Debug)]
pub struct HeartbeatPlan {
    /// Index in [`KumaPlan::monitors`].
    pub monitor: usize,
    pub sender: HeartbeatSender,
    pub retry: RetryPolicy,
    /// When the push's retries stop, at the latest, after the run ends.
    pub push_deadline: Duration,
    /// The job also pings Healthchecks' `/start` when a run begins.
    pub healthchecks_start: bool,
    /// The Healthchecks cron check's zone, and where it comes from (for the report).
    pub healthchecks_tz: (Zone, &'static str),
}

/// Kuma and its push monitors.
#[derive(Clone, Debug)]
pub struct KumaPlan {
    pub version: KumaVersion,
    /// When Kuma starts.
    pub started: Instant,
    pub monitors: Vec<MonitorPlan>,
    /// Kuma down for a restart: (stop, start again), in timeline order.
    pub restarts: Vec<(Instant, Instant)>,
}

/// One push monitor.
#[derive(Clone, Debug)]
pub struct MonitorPlan {
    pub id: String,
    pub push_token: String,
    pub settings: MonitorSettings,
    /// False for a monitor paused in Kuma.
    pub active: bool,
    /// Its maintenance windows: (start, end), in timeline order.
    pub maintenance: Vec<(Instant, Instant)>,
    /// When the user creates it (`None`: it exists from the start).
    pub created: Option<Instant>,
}

/// A timeline event of the jobs loop, with its job and monitor resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobsEvent {
    CronStop,
    CronStart,
    JobCrash {
        job: u32,
    },
    JobHang {
        job: u32,
        duration: Duration,
    },
    JobError {
        job: u32,
        count: u32,
    },
    RunNow {
        job: u32,
    },
    CleanupDeadJobs,
    KumaRestart {
        duration: Duration,
    },
    /// Maintenance on monitor `monitor` (index in [`KumaPlan::monitors`]).
    KumaMaintenance {
        monitor: usize,
        duration: Duration,
    },
    /// Scripted push `push` (index in [`JobsPlan::pushes`]).
    KumaPush {
        push: u32,
    },
    /// The user acts on monitor `monitor` (index in [`KumaPlan::monitors`]).
    KumaMonitor {
        monitor: usize,
        action: MonitorAction,
    },
    WebhookForged {
        count: u32,
    },
    WebhookReplay {
        count: u32,
    },
    WebhookSecretRotation {
        overlap: Duration,
        erp_updates_after: Duration,
    },
}

impl JobPlan {
    /// The runner's view of this job (Dolibarr's `llx_cronjob` row).
    pub fn spec(&self) -> JobSpec {
        JobSpec {
            id: self.id,
            label: self.label.clone(),
            priority: self.priority,
            enabled: self.enabled,
            frequency: match self.frequency {
                JobFrequency::Every(d) => Frequency { count: (d.as_ms() / 1000).max(1) as u32, unit: FrequencyUnit::Second },
                JobFrequency::Months(n) => Frequency { count: n, unit: FrequencyUnit::Month },
            },
            datestart: self.datestart,
            dateend: self.dateend,
            first_run: self.first_run,
        }
    }

    /// The longest a run's own processing can take.
    pub fn longest_run(&self) -> Duration {
        match self.duration {
            DurationDist::Fixed(d) => d,
            DurationDist::Uniform([_, b]) => b,
        }
    }

    /// The average run's processing time.
    pub fn mean_run(&self) -> Duration {
        match self.duration {
            DurationDist::Fixed(d) => d,
            DurationDist::Uniform([a, b]) => Duration::from_ms((a.as_ms() + b.as_ms()) / 2),
        }
    }

    /// When a push's retries stop, at the latest, after the run ends (the default when the job
    /// does not push).
    pub fn push_deadline(&self) -> Duration {
        self.heartbeat.as_ref().map_or(DEFAULT_PUSH_DEADLINE, |h| h.push_deadline)
    }

    /// Whether a slot at `t` is inside the job's `datestart`..`dateend`.
    pub fn active_at(&self, t: Instant) -> bool {
        self.datestart.is_none_or(|d| t >= d) && self.dateend.is_none_or(|d| t <= d)
    }
}

impl KumaPlan {
    /// A Kuma server with these monitors, not yet started; a monitor paused in Kuma is paused.
    /// The server of this plan; `seed` is the scenario's (the server draws its pauses between
    /// monitor starts from its own stream).
    pub fn server(&self, seed: u64) -> KumaServer {
        let monitors = self
            .monitors
            .iter()
            .map(|m| {
                // Each monitor's own stream, so that one monitor's draws never shift another's.
                let timers = crate::rng::stream(seed, &format!("kuma.monitor.{}", m.id));
                TokenMonitor { push_token: m.push_token.clone(), monitor: PushMonitor::with_stream(m.settings.clone(), timers) }
            })
            .collect();
        let mut server = KumaServer::new(monitors, self.version, crate::rng::stream(seed, "kuma.start"));
        for (i, m) in self.monitors.iter().enumerate() {
            server.set_paused(MonitorIndex(i), !m.active);
            if m.created.is_some() {
                server.set_absent(MonitorIndex(i));
            }
        }
        server
    }
}

impl JobsPlan {
    /// The plan of `scenario` for `variant` (its job frequencies; `None`: the file's).
    pub fn new(scenario: &Scenario, variant: Option<&Variant>, seed: u64) -> Self {
        let f = &scenario.file;
        let start = scenario.start;
        let kuma = kuma_plan(scenario);
        let jobs = f
            .cron
            .jobs
            .iter()
            .map(|j| {
                let frequency = variant.and_then(|v| v.job_frequency.get(&j.id.to_string()).copied()).unwrap_or(j.frequency);
                let heartbeat = j.heartbeat.as_ref().and_then(|h| {
                    let monitor = kuma.monitors.iter().position(|m| m.id == h.monitor)?;
                    let tz = match h.healthchecks.tz.as_deref().and_then(|t| Zone::parse(t).ok()) {
                        Some(z) => (z, "heartbeat.healthchecks.tz"),
                        None => (scenario.zone, "the scenario's time_zone"),
                    };
                    Some(HeartbeatPlan {
                        monitor,
                        sender: HeartbeatSender { token: kuma.monitors[monitor].push_token.clone(), push_on_error: h.push_on_error },
                        retry: h.retry.policy(),
                        push_deadline: h.retry.deadline.unwrap_or(DEFAULT_PUSH_DEADLINE),
                        healthchecks_start: h.healthchecks.start,
                        healthchecks_tz: tz,
                    })
                });
                JobPlan {
                    id: j.id,
                    label: j.label.clone(),
                    priority: j.priority,
                    enabled: j.enabled,
                    frequency,
                    first_run: j.first_run.map(|a| a.resolve(start)).unwrap_or(start),
                    datestart: j.datestart.map(|a| a.resolve(start)),
                    dateend: j.dateend.map(|a| a.resolve(start)),
                    duration: j.duration,
                    error_rate: Probability::from_f64(j.error_rate),
                    heartbeat,
                }
            })
            .collect();
        JobsPlan {
            seed,
            start,
            end: scenario.end,
            zone: scenario.zone,
            tick: f.cron.tick,
            cleanup_dead_jobs: f.cron.cleanup_dead_jobs,
            months_in: f.cron.months_in.calendar(),
            jobs,
            timeline: jobs_timeline(scenario, &kuma),
            pushes: scripted_pushes(scenario, &kuma),
            edits: monitor_edits(scenario, &kuma),
            kuma,
            faults: f.faults.clone(),
            payments: f.payments.clone().map(|mut p| {
                if let Some(policy) = variant.and_then(|v| v.payments_on_rejected_after_completion) {
                    p.on_rejected_after_completion = policy;
                }
                p
            }),
        }
    }

    /// Whether there is anything for the jobs loop to do.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.kuma.monitors.is_empty()
    }

    /// The index of job `id`.
    pub fn job_index(&self, id: u32) -> Option<usize> {
        self.jobs.iter().position(|j| j.id == id)
    }

    /// The index of monitor `id`.
    pub fn monitor_index(&self, id: &str) -> Option<usize> {
        self.kuma.monitors.iter().position(|m| m.id == id)
    }

    /// The job that pushes to monitor `monitor`, if any (the first in file order).
    pub fn job_of_monitor(&self, monitor: usize) -> Option<&JobPlan> {
        self.jobs.iter().find(|j| j.heartbeat.as_ref().is_some_and(|h| h.monitor == monitor))
    }
}

fn kuma_plan(scenario: &Scenario) -> KumaPlan {
    let f = &scenario.file;
    let start = scenario.start;
    let version = match f.kuma.version {
        KumaVersionSpec::V2 => KumaVersion::V2,
        KumaVersionSpec::V1_23 => KumaVersion::V1_23,
    };
    let resolved = |e: &TimelineEvent| e.at().resolve(start);
    let monitors = f
        .kuma
        .monitors
        .iter()
        .map(|m| MonitorPlan {
            id: m.id.clone(),
            push_token: m.token.clone().unwrap_or_else(|| m.id.clone()),
            settings: MonitorSettings {
                interval_s: m.interval_s,
                retry_interval_s: m.retry_interval_s,
                max_retries: m.max_retries,
                resend_interval: m.resend_interval,
                upside_down: m.upside_down,
                timer_lateness: m.timer_lateness_ms.lateness(),
                version,
            },
            active: m.active,
            created: m.created.map(|a| a.resolve(start)),
            maintenance: f
                .timeline
                .iter()
                .filter_map(|e| match e {
                    TimelineEvent::KumaMaintenance { monitor, duration, .. } if *monitor == m.id => {
                        Some((resolved(e), resolved(e) + *duration))
                    }
                    _ => None,
                })
                .collect(),
        })
        .collect();
    let restarts = f
        .timeline
        .iter()
        .filter_map(|e| match e {
            TimelineEvent::KumaRestart { duration, .. } => Some((resolved(e), resolved(e) + *duration)),
            _ => None,
        })
        .collect();
    KumaPlan { version, started: f.kuma.started.map(|a| a.resolve(start)).unwrap_or(start), monitors, restarts }
}

/// The timeline events the jobs loop handles (the sync loop handles the others), sorted by
/// instant with ties in file order.
fn jobs_timeline(scenario: &Scenario, kuma: &KumaPlan) -> Vec<(Instant, JobsEvent)> {
    let mut pushes = 0u32;
    let mut edits = 0u32;
    let monitor_of = |id: &String| kuma.monitors.iter().position(|m| m.id == *id);
    let mut out: Vec<(Instant, JobsEvent)> = scenario
        .file
        .timeline
        .iter()
        .filter_map(|e| {
            let ev = match e {
                TimelineEvent::BankState { .. }
                | TimelineEvent::UserAction { .. }
                | TimelineEvent::ConnectionUnavailable { .. }
                | TimelineEvent::ConnectorOutage { .. } => return None,
                TimelineEvent::CronStop { .. } => JobsEvent::CronStop,
                TimelineEvent::CronStart { .. } => JobsEvent::CronStart,
                TimelineEvent::JobCrash { job, .. } => JobsEvent::JobCrash { job: *job },
                TimelineEvent::JobHang { job, duration, .. } => JobsEvent::JobHang { job: *job, duration: *duration },
                TimelineEvent::JobError { job, count, .. } => JobsEvent::JobError { job: *job, count: *count },
                TimelineEvent::RunNow { job, .. } => JobsEvent::RunNow { job: *job },
                TimelineEvent::CleanupDeadJobs { .. } => JobsEvent::CleanupDeadJobs,
                TimelineEvent::KumaRestart { duration, .. } => JobsEvent::KumaRestart { duration: *duration },
                TimelineEvent::KumaMaintenance { monitor, duration, .. } => {
                    // Validation refuses an unknown monitor; an event for none would do nothing.
                    JobsEvent::KumaMaintenance { monitor: kuma.monitors.iter().position(|m| m.id == *monitor)?, duration: *duration }
                }
                TimelineEvent::KumaMonitorPause { monitor, .. } => {
                    JobsEvent::KumaMonitor { monitor: monitor_of(monitor)?, action: MonitorAction::Pause }
                }
                TimelineEvent::KumaMonitorResume { monitor, .. } => {
                    JobsEvent::KumaMonitor { monitor: monitor_of(monitor)?, action: MonitorAction::Resume }
                }
                TimelineEvent::KumaMonitorDelete { monitor, .. } => {
                    JobsEvent::KumaMonitor { monitor: monitor_of(monitor)?, action: MonitorAction::Delete }
                }
                TimelineEvent::KumaMonitorEdit { monitor, .. } => {
                    // The n-th edit of the file is `monitor_edits`' n-th.
                    let monitor = monitor_of(monitor)?;
                    edits += 1;
                    JobsEvent::KumaMonitor { monitor, action: MonitorAction::Edit(edits - 1) }
                }
                TimelineEvent::KumaPush { monitor, .. } => {
                    // The n-th push of the file is `scripted_pushes`' n-th (an unknown monitor,
                    // which validation refuses, has none in either).
                    kuma.monitors.iter().position(|m| m.id == *monitor)?;
                    pushes += 1;
                    JobsEvent::KumaPush { push: pushes - 1 }
                }
                TimelineEvent::WebhookForged { count, .. } => JobsEvent::WebhookForged { count: *count },
                TimelineEvent::WebhookReplay { count, .. } => JobsEvent::WebhookReplay { count: *count },
                TimelineEvent::WebhookSecretRotation { overlap, erp_updates_after, .. } => {
                    JobsEvent::WebhookSecretRotation { overlap: *overlap, erp_updates_after: *erp_updates_after }
                }
            };
            Some((e.at().resolve(scenario.start), ev))
        })
        .collect();
    // A monitor's creation goes before the timeline's events at its instant (the sort is
    // stable), so that an event naming it at that instant finds it.
    let creations = kuma
        .monitors
        .iter()
        .enumerate()
        .filter_map(|(monitor, m)| Some((m.created?, JobsEvent::KumaMonitor { monitor, action: MonitorAction::Create })));
    out.splice(0..0, creations);
    out.sort_by_key(|(at, _)| *at);
    out
}

/// The timeline's `kuma_push` events as requests, in file order.
fn scripted_pushes(scenario: &Scenario, kuma: &KumaPlan) -> Vec<ScriptedPush> {
    scenario
        .file
        .timeline
        .iter()
        .filter_map(|e| {
            let TimelineEvent::KumaPush { monitor, status, msg, ping, .. } = e else { return None };
            let index = kuma.monitors.iter().position(|m| m.id == *monitor)?;
            let mut request = Request::new(Method::Get, format!("/api/push/{}", kuma.monitors[index].push_token));
            if let Some(status) = status {
                request = request.query_param("status", status.as_str());
            }
            if let Some(msg) = msg {
                request = request.query_param("msg", msg.clone());
            }
            if let Some(ping) = ping {
                request = request.query_param("ping", ping.to_string());
            }
            Some(ScriptedPush { monitor: index, request })
        })
        .collect()
}

/// The settings each `kuma_monitor_edit` saves, in file order: the monitor's settings with the
/// fields of every edit of it up to this one, applied by instant (ties in file order).
fn monitor_edits(scenario: &Scenario, kuma: &KumaPlan) -> Vec<MonitorSettings> {
    let edits: Vec<(Instant, usize, usize, &TimelineEvent)> = scenario
        .file
        .timeline
        .iter()
        .enumerate()
        .filter_map(|(order, e)| match e {
            TimelineEvent::KumaMonitorEdit { monitor, .. } => {
                let m = kuma.monitors.iter().position(|m| m.id == *monitor)?;
                Some((e.at().resolve(scenario.start), order, m, e))
            }
            _ => None,
        })
        .collect();
    edits
        .iter()
        .map(|&(at, order, m, _)| {
            let mut earlier: Vec<&(Instant, usize, usize, &TimelineEvent)> =
                edits.iter().filter(|(a, o, mm, _)| *mm == m && (*a, *o) <= (at, order)).collect();
            earlier.sort_by_key(|(a, o, _, _)| (*a, *o));
            earlier.iter().fold(kuma.monitors[m].settings.clone(), |s, (_, _, _, e)| edited(s, e))
        })
        .collect()
}

/// `settings` with the fields an edit gives.
fn edited(mut s: MonitorSettings, e: &TimelineEvent) -> MonitorSettings {
    if let TimelineEvent::KumaMonitorEdit {
        interval_s,
        retry_interval_s,
        max_retries,
        resend_interval,
        upside_down,
        timer_lateness_ms,
        ..
    } = e
    {
        s.interval_s = interval_s.unwrap_or(s.interval_s);
        s.retry_interval_s = retry_interval_s.unwrap_or(s.retry_interval_s);
        s.max_retries = max_retries.unwrap_or(s.max_retries);
        s.resend_interval = resend_interval.unwrap_or(s.resend_interval);
        s.upside_down = upside_down.unwrap_or(s.upside_down);
        if let Some(l) = timer_lateness_ms {
            s.timer_lateness = l.lateness();
        }
    }
    s
}

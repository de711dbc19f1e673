//! The discrete-event loop for scheduled jobs and their heartbeats (SPEC 2 and 3): the host's
//! system cron calls the runner (`logic::cron::runner`) every tick; each pass runs its due jobs one
//! after another in one process; a job that ends without error pushes to Uptime Kuma
//! (`logic::cron::heartbeat`) through the fault plan, the transport and the client retry policy
//! (`logic::retry`); Kuma's push monitors (`world::kuma`) run their own check timers.
//!
//! The loop records what happened (runs, pushes, beats, notifications, health) in a [`CronLog`];
//! `sim::analysis::alerts` turns it into the alert-timing figures.

use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::logic::cron::heartbeat::HeartbeatSender;
use crate::logic::cron::runner::{Frequency, FrequencyUnit, Health, HealthThresholds, JobSpec, PassId, RunResult, RunTicket, Runner};
use crate::logic::retry::{AttemptOutcome, Next, RetryPolicy, RetryState};
use crate::logic::uniform::Probability;
use crate::rng;
use crate::sim::engine::calls::{Call, Leg, next_word, wire_words};
use crate::sim::engine::queue::{Class, EventQueue};
use crate::sim::engine::trace::Trace;
use crate::sim::engine::transport::{Link, Transport};
use crate::sim::loops::payments::{Out, PayCall, PayEv, PaySim};
use crate::sim::scenario::Scenario;
use crate::sim::scenario::model::{JobFileSpec, JobFrequency, TimelineEvent};
use crate::time::{Duration, Instant};
use crate::world::kuma::monitor::{MonitorEvent, NotificationKind, Status};
use crate::world::kuma::server::{KumaEvent, KumaServer, MonitorIndex};
use crate::world::network::faults::FaultPlan;

/// PHP's `max_execution_time` for the runner: on Linux it counts the script's own processing,
/// not time waiting on the network (SPEC 2.2).
pub const PHP_TIME_LIMIT: Duration = Duration::from_secs(600);

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunFate {
    Success,
    Error,
    /// The process died mid-run (fatal error, kill): the job stays `processing`.
    Crashed,
    /// Killed by the 600 s PHP time limit: stuck like a crash.
    TimeLimit,
    /// Still running when the simulation ended.
    Unfinished,
}

/// One run, as the report and the ground truth need it.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub job: u32,
    /// The grid slot this run served (`datenextrun` when it started).
    pub slot: Instant,
    pub start: Instant,
    pub end: Option<Instant>,
    pub fate: RunFate,
    /// When Kuma received the successful push for this run, if it did.
    pub push_delivered: Option<Instant>,
    /// When the `status=down` push of a run that ended in error was received (`push_on_error`):
    /// a Healthchecks check reads it as `/fail`.
    pub fail_delivered: Option<Instant>,
    pub push_attempts: u32,
}

/// What Kuma did, per monitor.
#[derive(Clone, Debug, Default)]
pub struct MonitorLog {
    /// Stored beats: (at, status), in order.
    pub beats: Vec<(Instant, Status)>,
    pub notifications: Vec<(Instant, NotificationKind)>,
    /// Push attempts that came back: refused, timed out, or answered with a status.
    pub refused: u64,
    pub timed_out: u64,
    pub answers: std::collections::BTreeMap<u16, u64>,
    /// Pushes the retry policy gave up on.
    pub given_up: u64,
}

/// Everything the alert and job figures are computed from.
#[derive(Clone, Debug, Default)]
pub struct CronLog {
    pub runs: Vec<RunRecord>,
    pub monitors: Vec<MonitorLog>,
    /// Per job: milliseconds spent in Normal, Attention, Problem (sampled at every tick).
    pub health_ms: Vec<[i64; 3]>,
    pub health_at_end: Vec<Option<Health>>,
    pub pushes_sent: u64,
    pub push_attempts: u64,
    pub pushes_lost: u64,
    pub passes: u64,
    /// The runner's view of each job at the end: (nbrun, datenextrun, processing, average ms).
    pub views: Vec<(u64, Instant, bool, Option<i64>)>,
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    World(u32),
    Tick,
    JobEnd {
        process: u32,
    },
    /// An attempt of call n leaves the client.
    Send {
        call: u32,
    },
    /// It reaches the server.
    Arrive {
        call: u32,
    },
    /// Its outcome is back at the client.
    Back {
        call: u32,
    },
    Pay(PayEv),
    Check {
        generation: u32,
    },
    KumaUp,
    MaintenanceEnd {
        monitor: u32,
    },
}

struct Current {
    ticket: RunTicket,
    run: usize,
    fate: RunFate,
}

struct Process {
    pass: PassId,
    due: Vec<u32>,
    next: usize,
    current: Option<Current>,
}

/// What an outbound call is for.
enum Purpose {
    /// A heartbeat push after run `run`, by `process`, to `monitor`.
    Push {
        process: u32,
        monitor: usize,
        run: usize,
    },
    Pay(PayCall),
}

struct JobExtra {
    spec: JobFileSpec,
    error_rate: Probability,
    sender: Option<(HeartbeatSender, usize, RetryPolicy)>,
    crash_pending: bool,
    hang_pending: Option<Duration>,
    errors_pending: u32,
    /// This job is the Bridge recovery job: its runs make API calls (SPEC 2.1, 4.2).
    recovery: bool,
}

#[derive(Serialize)]
struct RunLine<'a> {
    job: u32,
    label: &'a str,
    slot: String,
    fate: RunFate,
    duration_ms: i64,
}

#[derive(Serialize)]
struct PushLine<'a> {
    job: u32,
    monitor: &'a str,
    attempt: u32,
    wire: &'a str,
    status: Option<u16>,
    next: &'a str,
}

#[derive(Serialize)]
struct BeatLine<'a> {
    monitor: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification: Option<&'a str>,
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Up => "UP",
        Status::Down => "DOWN",
        Status::Pending => "PENDING",
        Status::Maintenance => "MAINTENANCE",
    }
}

pub fn notification_name(k: NotificationKind) -> &'static str {
    match k {
        NotificationKind::Down => "down",
        NotificationKind::Up => "up",
        NotificationKind::DownReminder => "down_reminder",
    }
}

/// A poisoned lock means a service panicked earlier: a bug, not data.
fn lock(k: &Arc<Mutex<KumaServer>>) -> std::sync::MutexGuard<'_, KumaServer> {
    k.lock().expect("kuma lock")
}

/// How a run that starts now will end and how long it takes: a pending crash (the process dies),
/// more than 600 s of processing (killed by PHP's limit), a pending or random error, else
/// success; a pending hang adds network waiting, which the PHP limit does not count. Draws the
/// duration and the error from the jobs stream in a fixed order.
fn decide_fate(job: &mut JobExtra, job_rng: &mut ChaCha8Rng) -> (RunFate, Duration) {
    let own = job.spec.duration.draw(job_rng);
    let random_error = job.error_rate.chance(job_rng);
    let wait = job.hang_pending.take().unwrap_or(Duration::ZERO);
    if std::mem::take(&mut job.crash_pending) {
        (RunFate::Crashed, own)
    } else if own > PHP_TIME_LIMIT {
        (RunFate::TimeLimit, PHP_TIME_LIMIT + wait)
    } else if job.errors_pending > 0 {
        job.errors_pending -= 1;
        (RunFate::Error, own + wait)
    } else if random_error {
        (RunFate::Error, own + wait)
    } else {
        (RunFate::Success, own + wait)
    }
}

/// Run the jobs and monitors of `scenario` (one pass of the whole duration), and its payments
/// when `pay` is given.
pub fn run(
    scenario: &Scenario,
    seed: u64,
    kuma: &Arc<Mutex<KumaServer>>,
    monitor_ids: &[String],
    transport: &mut dyn Transport,
    mut pay: Option<&mut PaySim>,
    trace: &mut Trace<'_>,
) -> CronLog {
    let f = &scenario.file;
    let (start, end) = (scenario.start, scenario.end);
    let tick = f.cron.tick;
    let specs: Vec<JobSpec> = f
        .cron
        .jobs
        .iter()
        .map(|j| JobSpec {
            id: j.id,
            label: j.label.clone(),
            priority: j.priority,
            enabled: j.enabled,
            frequency: match j.frequency {
                JobFrequency::Every(d) => Frequency { count: (d.as_ms() / 1000).max(1) as u32, unit: FrequencyUnit::Second },
                JobFrequency::Months(n) => Frequency { count: n, unit: FrequencyUnit::Month },
            },
            datestart: j.datestart.map(|a| a.resolve(start)),
            dateend: j.dateend.map(|a| a.resolve(start)),
            first_run: j.first_run.map(|a| a.resolve(start)).unwrap_or(start),
        })
        .collect();
    let mut log =
        CronLog { monitors: vec![MonitorLog::default(); monitor_ids.len()], health_ms: vec![[0; 3]; specs.len()], ..Default::default() };
    let mut runner = match Runner::new(specs, scenario.zone) {
        Ok(r) => r,
        Err(_) => return log, // validated: unique ids; nothing to run otherwise
    };
    let mut jobs: Vec<JobExtra> = f
        .cron
        .jobs
        .iter()
        .map(|j| JobExtra {
            spec: j.clone(),
            error_rate: Probability::from_f64(j.error_rate),
            sender: j.heartbeat.as_ref().and_then(|h| {
                let monitor = monitor_ids.iter().position(|m| *m == h.monitor)?;
                let token = f.kuma.monitors[monitor].token.clone().unwrap_or_else(|| f.kuma.monitors[monitor].id.clone());
                Some((HeartbeatSender { token, push_on_error: h.push_on_error }, monitor, h.retry.policy()))
            }),
            crash_pending: false,
            hang_pending: None,
            errors_pending: 0,
            recovery: pay.as_ref().is_some_and(|p| p.recovery_job() == j.id),
        })
        .collect();
    let job_index = |id: u32, jobs: &[JobExtra]| jobs.iter().position(|j| j.spec.id == id);
    let mut job_rng = rng::stream(seed, "cron.jobs");
    let mut retry_rng = rng::stream(seed, "cron.push_retry");
    let mut faults = FaultPlan::new(&f.faults, start, seed);
    let thresholds = HealthThresholds::default();

    let timeline: Vec<(Instant, &TimelineEvent)> = {
        let mut t: Vec<(Instant, &TimelineEvent)> = f.timeline.iter().map(|e| (e.at().resolve(start), e)).collect();
        t.sort_by_key(|(at, _)| *at);
        t
    };
    let mut queue: EventQueue<Ev> = EventQueue::new();
    for (i, (at, ev)) in timeline.iter().enumerate() {
        let cron_event = !matches!(
            ev,
            TimelineEvent::BankState { .. }
                | TimelineEvent::UserAction { .. }
                | TimelineEvent::ConnectionUnavailable { .. }
                | TimelineEvent::ConnectorOutage { .. }
        );
        if cron_event {
            queue.push(*at, Class::Scenario, Ev::World(i as u32));
        }
    }
    if !jobs.is_empty() {
        queue.push(start, Class::Timer, Ev::Tick);
    }
    let kuma_start = f.kuma.started.map(|a| a.resolve(start)).unwrap_or(start);
    let mut kuma_started = false;
    if !monitor_ids.is_empty() && kuma_start <= start {
        lock(kuma).handle_start(start);
        kuma_started = true;
    } else if !monitor_ids.is_empty() {
        queue.push(kuma_start, Class::Scenario, Ev::KumaUp);
    }
    let mut check_generation = 0u32;
    let mut scheduled_check: Option<Instant> = None;
    let mut cron_running = true;
    let mut processes: Vec<Process> = Vec::new();
    let mut calls: Vec<Call<Purpose>> = Vec::new();
    if let Some(p) = pay.as_deref() {
        for o in p.initial() {
            if let Out::At(at, ev) = o {
                queue.push(at, Class::Scenario, Ev::Pay(ev));
            }
        }
    }
    let mut last_tick: Option<Instant> = None;

    // Re-arm the single Kuma check event at the earliest monitor timer.
    macro_rules! rearm {
        ($now:expr) => {{
            let next = lock(kuma).poll_timeout().map(|t| t.max($now));
            if next != scheduled_check {
                check_generation = check_generation.wrapping_add(1);
                scheduled_check = next;
                if let Some(t) = next {
                    queue.push(t, Class::Timer, Ev::Check { generation: check_generation });
                }
            }
        }};
    }
    macro_rules! drain {
        () => {{
            while let Some(KumaEvent { monitor: MonitorIndex(m), event }) = lock(kuma).poll_event() {
                match event {
                    MonitorEvent::Beat { at, status, .. } => {
                        log.monitors[m].beats.push((at, status));
                        if trace.enabled() {
                            trace.record(
                                at,
                                "kuma",
                                "beat",
                                &BeatLine { monitor: &monitor_ids[m], status: status_name(status), notification: None },
                            );
                        }
                    }
                    MonitorEvent::Notification { at, kind } => {
                        log.monitors[m].notifications.push((at, kind));
                        if trace.enabled() {
                            let status = if kind == NotificationKind::Up { "UP" } else { "DOWN" };
                            trace.record(
                                at,
                                "kuma",
                                "notification",
                                &BeatLine { monitor: &monitor_ids[m], status, notification: Some(notification_name(kind)) },
                            );
                        }
                    }
                }
            }
        }};
    }

    // Carry out what the payments world asks for.
    macro_rules! apply {
        ($now:expr, $outs:expr) => {{
            for o in $outs {
                match o {
                    Out::At(at, ev) => queue.push(at, Class::Scenario, Ev::Pay(ev)),
                    Out::Call { link, request, retry, purpose } => {
                        calls.push(Call::new(link, request, retry, Purpose::Pay(purpose)));
                        queue.push($now, Class::Timer, Ev::Send { call: (calls.len() - 1) as u32 });
                    }
                    Out::Finished { process, ok, after } => {
                        if let Some(cur) = processes[process as usize].current.as_mut() {
                            if !ok && cur.fate == RunFate::Success {
                                // SPEC 4.2: what still fails after the retries ends the run in error.
                                cur.fate = RunFate::Error;
                                log.runs[cur.run].fate = RunFate::Error;
                            }
                        }
                        queue.push($now + after, Class::Timer, Ev::JobEnd { process });
                    }
                }
            }
        }};
    }

    // Start the next due job of process `p`, or end the process.
    macro_rules! start_next {
        ($p:expr, $now:expr) => {{
            let p: u32 = $p;
            let now: Instant = $now;
            let mut started = false;
            while processes[p as usize].next < processes[p as usize].due.len() {
                let proc_ = &mut processes[p as usize];
                let id = proc_.due[proc_.next];
                proc_.next += 1;
                let Some(slot) = runner.view(id).map(|v| v.datenextrun) else { continue };
                let Ok(ticket) = runner.start_job(proc_.pass, id, now) else { continue };
                let Some(j) = jobs.iter().position(|x| x.spec.id == id) else { continue };
                let (fate, took) = decide_fate(&mut jobs[j], &mut job_rng);
                log.runs.push(RunRecord {
                    job: id,
                    slot,
                    start: now,
                    end: None,
                    fate,
                    push_delivered: None,
                    fail_delivered: None,
                    push_attempts: 0,
                });
                proc_.current = Some(Current { ticket, run: log.runs.len() - 1, fate });
                match (&mut pay, jobs[j].recovery, fate) {
                    (Some(ps), true, RunFate::Success | RunFate::Error) => {
                        let outs = ps.start_recovery(now, p, took, trace);
                        apply!(now, outs);
                    }
                    _ => queue.push(now + took, Class::Timer, Ev::JobEnd { process: p }),
                }
                started = true;
                break;
            }
            if !started {
                processes[p as usize].current = None;
            }
        }};
    }

    // Kuma up from the start arms its first checks at once (start + I): a job that never pushes
    // must still end in DOWN. (Found by the whole-system property on the silence from start.)
    if kuma_started {
        rearm!(start);
    }

    while let Some((now, _, ev)) = queue.pop() {
        if now >= end {
            break;
        }
        match ev {
            Ev::World(i) => {
                let (_, e) = timeline[i as usize];
                match e {
                    TimelineEvent::CronStop { .. } => cron_running = false,
                    TimelineEvent::CronStart { .. } => cron_running = true,
                    TimelineEvent::JobCrash { job, .. } => {
                        if let Some(j) = job_index(*job, &jobs) {
                            jobs[j].crash_pending = true;
                        }
                    }
                    TimelineEvent::JobHang { job, duration, .. } => {
                        if let Some(j) = job_index(*job, &jobs) {
                            jobs[j].hang_pending = Some(*duration);
                        }
                    }
                    TimelineEvent::JobError { job, count, .. } => {
                        if let Some(j) = job_index(*job, &jobs) {
                            jobs[j].errors_pending += count;
                        }
                    }
                    TimelineEvent::RunNow { job, .. } => {
                        let slot = runner.view(*job).map(|v| v.datenextrun);
                        if let (Ok(ticket), Some(slot)) = (runner.run_now(*job, now), slot) {
                            // A process of its own, with this one job.
                            processes.push(Process { pass: ticket.pass, due: vec![*job], next: 1, current: None });
                            let p = (processes.len() - 1) as u32;
                            if let Some(j) = job_index(*job, &jobs) {
                                let (fate, took) = decide_fate(&mut jobs[j], &mut job_rng);
                                log.runs.push(RunRecord {
                                    job: *job,
                                    slot,
                                    start: now,
                                    end: None,
                                    fate,
                                    push_delivered: None,
                                    fail_delivered: None,
                                    push_attempts: 0,
                                });
                                processes[p as usize].current = Some(Current { ticket, run: log.runs.len() - 1, fate });
                                match (&mut pay, jobs[j].recovery, fate) {
                                    (Some(ps), true, RunFate::Success | RunFate::Error) => {
                                        let outs = ps.start_recovery(now, p, took, trace);
                                        apply!(now, outs);
                                    }
                                    _ => queue.push(now + took, Class::Timer, Ev::JobEnd { process: p }),
                                }
                            }
                        }
                    }
                    TimelineEvent::CleanupDeadJobs { .. } => {
                        runner.cleanup_dead();
                    }
                    TimelineEvent::KumaRestart { duration, .. } => {
                        lock(kuma).handle_stop(now);
                        queue.push(now + *duration, Class::Scenario, Ev::KumaUp);
                        drain!();
                        rearm!(now);
                    }
                    TimelineEvent::KumaMaintenance { monitor, duration, .. } => {
                        if let Some(m) = monitor_ids.iter().position(|x| x == monitor) {
                            lock(kuma).handle_maintenance_begin(now, MonitorIndex(m));
                            queue.push(now + *duration, Class::Scenario, Ev::MaintenanceEnd { monitor: m as u32 });
                            drain!();
                            rearm!(now);
                        }
                    }
                    TimelineEvent::WebhookForged { count, .. } => {
                        if let Some(ps) = pay.as_deref_mut() {
                            let outs = ps.forge(now, *count, trace);
                            apply!(now, outs);
                        }
                    }
                    TimelineEvent::WebhookReplay { count, .. } => {
                        if let Some(ps) = pay.as_deref_mut() {
                            let outs = ps.replay(now, *count, trace);
                            apply!(now, outs);
                        }
                    }
                    TimelineEvent::WebhookSecretRotation { overlap, erp_updates_after, .. } => {
                        if let Some(ps) = pay.as_deref_mut() {
                            let outs = ps.rotate(now, *overlap, *erp_updates_after, trace);
                            apply!(now, outs);
                        }
                    }
                    _ => {}
                }
            }
            Ev::KumaUp => {
                if kuma_started {
                    lock(kuma).handle_restart(now);
                } else {
                    lock(kuma).handle_start(now);
                    kuma_started = true;
                }
                drain!();
                rearm!(now);
            }
            Ev::MaintenanceEnd { monitor } => {
                lock(kuma).handle_maintenance_end(now, MonitorIndex(monitor as usize));
                drain!();
                rearm!(now);
            }
            Ev::Tick => {
                // Health, sampled: the state since the previous tick.
                if let Some(prev) = last_tick {
                    for (k, j) in jobs.iter().enumerate() {
                        if let Some(h) = runner.health(j.spec.id, prev, tick, &thresholds) {
                            log.health_ms[k][h as usize] += (now - prev).as_ms();
                        }
                    }
                }
                last_tick = Some(now);
                if cron_running {
                    if f.cron.cleanup_dead_jobs {
                        runner.cleanup_dead();
                    }
                    let pass = runner.begin_pass(now);
                    log.passes += 1;
                    if !pass.due.is_empty() {
                        processes.push(Process { pass: pass.id, due: pass.due, next: 0, current: None });
                        let p = (processes.len() - 1) as u32;
                        start_next!(p, now);
                    }
                }
                queue.push(now + tick, Class::Timer, Ev::Tick);
            }
            Ev::JobEnd { process } => {
                let Some(cur) = processes[process as usize].current.take() else { continue };
                let run = &mut log.runs[cur.run];
                run.end = Some(now);
                let took = now - run.start;
                let job_id = run.job;
                if trace.enabled() {
                    let label = jobs.iter().find(|j| j.spec.id == job_id).map(|j| j.spec.label.as_str()).unwrap_or("");
                    trace.record(
                        now,
                        "cron",
                        "run",
                        &RunLine { job: job_id, label, slot: run.slot.to_rfc3339(), fate: cur.fate, duration_ms: took.as_ms() },
                    );
                }
                match cur.fate {
                    RunFate::Crashed | RunFate::TimeLimit => {
                        // The process is gone: the job stays processing, the rest of the pass never runs.
                        let _ = runner.process_died(cur.ticket);
                        if let Some(ps) = pay.as_deref_mut() {
                            ps.abandon(process);
                        }
                        continue;
                    }
                    _ => {}
                }
                let ok = cur.fate == RunFate::Success;
                let result = if ok { RunResult::Success } else { RunResult::Error { output: "job ended in error".into() } };
                let _ = runner.finish_job(cur.ticket, now, result);
                let sender = jobs.iter().find(|j| j.spec.id == job_id).and_then(|j| j.sender.clone());
                match sender.and_then(|(s, m, policy)| s.after_run(ok, took).map(|req| (req, m, policy))) {
                    Some((request, monitor, policy)) => {
                        log.pushes_sent += 1;
                        let purpose = Purpose::Push { process, monitor, run: cur.run };
                        calls.push(Call::new(Link::KumaPush, request, RetryState::new(&policy, now), purpose));
                        queue.push(now, Class::Timer, Ev::Send { call: (calls.len() - 1) as u32 });
                    }
                    None => start_next!(process, now),
                }
            }
            Ev::Send { call } => {
                let c = &mut calls[call as usize];
                if let Purpose::Push { run, .. } = c.purpose {
                    log.push_attempts += 1;
                    log.runs[run].push_attempts += 1;
                }
                match c.send(now, &mut faults) {
                    Leg::Arrive(at) => queue.push(at, Class::Arrival, Ev::Arrive { call }),
                    Leg::Back(at) => queue.push(at, Class::Arrival, Ev::Back { call }),
                }
            }
            Ev::Arrive { call } => {
                let c = &mut calls[call as usize];
                // Kuma down (restart window): nothing listens, the connection is refused.
                let nothing_listens = c.link == Link::KumaPush && !lock(kuma).is_up();
                let arrival = c.arrive(now, transport, nothing_listens);
                queue.push(arrival.back_at, Class::Arrival, Ev::Back { call });
                match &c.purpose {
                    Purpose::Push { run, .. } => {
                        // Only the push of a successful run is a heartbeat; a delivered
                        // `status=down` push (push_on_error) reports the failure, it does not
                        // serve the slot. Delivered counts even when the answer comes too late.
                        let accepted = matches!(arrival.outcome, AttemptOutcome::Status { code: 200..=299, .. });
                        match log.runs[*run].fate {
                            RunFate::Success if accepted => log.runs[*run].push_delivered = Some(now),
                            RunFate::Error if accepted => log.runs[*run].fail_delivered = Some(now),
                            _ => {}
                        }
                        drain!();
                        rearm!(now);
                    }
                    Purpose::Pay(purpose) => {
                        if let Some(ps) = pay.as_deref_mut() {
                            let outs = ps.on_arrival(now, purpose, arrival.reached_service, trace);
                            apply!(now, outs);
                        }
                    }
                }
            }
            Ev::Back { call } => {
                let c = &mut calls[call as usize];
                let (outcome, response, next) = c.back(now, &mut retry_rng);
                let attempts = c.retry.attempts();
                if let Next::RetryAt(t) = next {
                    queue.push(t, Class::Timer, Ev::Send { call });
                }
                match &c.purpose {
                    Purpose::Push { process, monitor, run } => {
                        let (process, monitor, run) = (*process, *monitor, *run);
                        let mlog = &mut log.monitors[monitor];
                        match outcome {
                            AttemptOutcome::Refused => mlog.refused += 1,
                            AttemptOutcome::TimedOut => mlog.timed_out += 1,
                            AttemptOutcome::Status { code, .. } => *mlog.answers.entry(code).or_insert(0) += 1,
                            AttemptOutcome::Success => *mlog.answers.entry(200).or_insert(0) += 1,
                        }
                        if matches!(next, Next::GiveUp(_)) {
                            mlog.given_up += 1;
                        }
                        if trace.enabled() {
                            let (wire, status) = wire_words(outcome);
                            let job = log.runs[run].job;
                            trace.record(
                                now,
                                "heartbeat",
                                "push",
                                &PushLine { job, monitor: &monitor_ids[monitor], attempt: attempts, wire, status, next: next_word(next) },
                            );
                        }
                        if !matches!(next, Next::RetryAt(_)) {
                            if !matches!(next, Next::Done) {
                                log.pushes_lost += 1;
                            }
                            start_next!(process, now);
                        }
                    }
                    Purpose::Pay(purpose) => {
                        if let Some(ps) = pay.as_deref_mut() {
                            let outs = ps.on_back(now, purpose, &c.request, attempts, outcome, response, next, trace);
                            apply!(now, outs);
                        }
                    }
                }
            }
            Ev::Pay(ev) => {
                if let Some(ps) = pay.as_deref_mut() {
                    let outs = ps.handle(now, ev, trace);
                    apply!(now, outs);
                }
            }
            Ev::Check { generation } => {
                if generation != check_generation {
                    continue;
                }
                scheduled_check = None;
                lock(kuma).handle_timeout(now);
                drain!();
                rearm!(now);
            }
        }
    }
    for r in &mut log.runs {
        if r.end.is_none() && matches!(r.fate, RunFate::Success | RunFate::Error) {
            r.fate = RunFate::Unfinished;
        }
    }
    log.health_at_end = jobs.iter().map(|j| runner.health(j.spec.id, end, tick, &thresholds)).collect();
    log.views = jobs
        .iter()
        .map(|j| match runner.view(j.spec.id) {
            Some(v) => (v.nbrun, v.datenextrun, v.processing, v.average_duration_ms()),
            None => (0, end, false, None),
        })
        .collect();
    log
}

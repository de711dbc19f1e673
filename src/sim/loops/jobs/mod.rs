//! The discrete-event loop for scheduled jobs and their heartbeats (SPEC 2 and 3): the host's
//! system cron calls the runner (`logic::cron::runner`) every tick; each pass runs its due jobs one
//! after another in one process; a job that ends without error pushes to Uptime Kuma
//! (`logic::cron::heartbeat`) through the fault plan, the transport and the client retry policy
//! (`logic::retry`); Kuma's push monitors (`world::kuma`) run their own check timers. With
//! payments, the same loop carries out what the payments world (`sim::loops::payments`) asks.
//!
//! [`JobsLoop`] holds the loop's state in named fields; one [`JobsLoop::step`] pops the next
//! event and hands it to the handler of its kind. The parts: [`fate`] (how a run ends), [`kuma`]
//! (re-arming Kuma's check and draining its beats), [`lines`] and [`kuma_lines`] (trace lines), [`log`] (what the
//! loop records, which `sim::analysis::alerts` turns into figures).

pub mod fate;
pub mod kuma;
pub mod kuma_lines;
pub mod lines;
pub mod log;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha8Rng;

use crate::logic::cron::runner::{HealthThresholds, PassId, RunResult, RunTicket, Runner, RunnerConfig};
use crate::logic::retry::{AttemptOutcome, Next, RetryPolicy, RetryState};
use crate::rng;
use crate::sim::engine::calls::{Call, Leg, next_word, wire_words};
use crate::sim::engine::queue::{Class, EventQueue};
use crate::sim::engine::trace::Trace;
use crate::sim::engine::transport::{Link, Transport};
use crate::sim::loops::payments::{Out, PayCall, PayEv, PaySim};
use crate::sim::scenario::jobs_plan::{JobsEvent, JobsPlan, MonitorAction};
use crate::time::{Duration, Instant};
use crate::world::kuma::server::{KumaServer, MonitorIndex};
use crate::world::network::faults::FaultPlan;

pub use fate::PHP_TIME_LIMIT;
use fate::{Pending, decide_fate};
use kuma::KumaSide;
use lines::{PushLine, RunLine, ScriptedPushLine};
pub use log::{CronLog, HealthTime, JobView, MonitorLog, RunFate, RunRecord};

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// Event `n` of the plan's timeline.
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

/// The run a process is in.
struct Current {
    ticket: RunTicket,
    /// Index in `CronLog::runs`.
    run: usize,
    fate: RunFate,
}

/// One process of the runner: a pass's due jobs, one after another.
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
    /// A push the timeline scripts (`kuma_push`), to `monitor`.
    Scripted {
        monitor: usize,
    },
}

/// The jobs loop: its state, and one handler per kind of event.
pub struct JobsLoop<'a, 't> {
    plan: &'a JobsPlan,
    runner: Runner,
    /// Per job (plan order): what the timeline has in store for its next runs.
    pending: Vec<Pending>,
    /// Per job: whether it is the Bridge recovery job, whose runs make API calls (SPEC 2.1, 4.2).
    recovery: Vec<bool>,
    queue: EventQueue<Ev>,
    kuma: KumaSide<'a>,
    transport: &'a mut dyn Transport,
    pay: Option<&'a mut PaySim>,
    trace: &'a mut Trace<'t>,
    /// The calls in flight, by the index their events carry. A finished call's slot is emptied
    /// (its request and answer freed) and reused: memory follows the calls in flight, not the
    /// run's history.
    calls: Vec<Option<Call<Purpose>>>,
    /// Emptied slots of `calls`, reused before the vector grows.
    free_calls: Vec<u32>,
    processes: Vec<Process>,
    job_rng: ChaCha8Rng,
    retry_rng: ChaCha8Rng,
    faults: FaultPlan,
    thresholds: HealthThresholds,
    cron_running: bool,
    last_tick: Option<Instant>,
    log: CronLog,
}

/// Run the jobs and monitors of `plan` (the whole duration), and its payments when `pay` is given.
pub fn run(
    plan: &JobsPlan,
    kuma: &Arc<Mutex<KumaServer>>,
    transport: &mut dyn Transport,
    pay: Option<&mut PaySim>,
    trace: &mut Trace<'_>,
) -> CronLog {
    match JobsLoop::new(plan, kuma, transport, pay, trace) {
        Some(mut jobs_loop) => {
            while jobs_loop.step() {}
            jobs_loop.finish()
        }
        None => CronLog::empty(plan),
    }
}

impl<'a, 't> JobsLoop<'a, 't> {
    /// The loop at the plan's start, its first events queued. `None` for a plan the runner
    /// refuses (duplicate job ids, which validation already refuses).
    pub fn new(
        plan: &'a JobsPlan,
        kuma: &'a Arc<Mutex<KumaServer>>,
        transport: &'a mut dyn Transport,
        pay: Option<&'a mut PaySim>,
        trace: &'a mut Trace<'t>,
    ) -> Option<Self> {
        let config = RunnerConfig { month_calendar: plan.months_in, ..RunnerConfig::default() };
        let runner = Runner::with_config(plan.jobs.iter().map(|j| j.spec()).collect(), plan.zone, config).ok()?;
        let recovery_job = pay.as_ref().map(|p| p.recovery_job());
        let ids = plan.kuma.monitors.iter().map(|m| m.id.clone()).collect();
        let mut jobs_loop = JobsLoop {
            plan,
            runner,
            pending: vec![Pending::default(); plan.jobs.len()],
            recovery: plan.jobs.iter().map(|j| recovery_job == Some(j.id)).collect(),
            queue: EventQueue::new(),
            kuma: KumaSide::new(kuma, ids),
            transport,
            pay,
            trace,
            calls: Vec::new(),
            free_calls: Vec::new(),
            processes: Vec::new(),
            job_rng: rng::stream(plan.seed, "cron.jobs"),
            retry_rng: rng::stream(plan.seed, "cron.push_retry"),
            faults: FaultPlan::new(&plan.faults, plan.start, plan.seed),
            thresholds: HealthThresholds::default(),
            cron_running: true,
            last_tick: None,
            log: CronLog::empty(plan),
        };
        jobs_loop.kuma.set_tracing(jobs_loop.trace);
        jobs_loop.queue_first_events();
        Some(jobs_loop)
    }

    /// The timeline, the first tick, Kuma's start and the payments' first events, in the order
    /// that breaks ties between events at the same instant.
    fn queue_first_events(&mut self) {
        let (plan, start) = (self.plan, self.plan.start);
        for (i, (at, _)) in plan.timeline.iter().enumerate() {
            self.queue.push(*at, Class::Scenario, Ev::World(i as u32));
        }
        if !plan.jobs.is_empty() {
            self.queue.push(start, Class::Timer, Ev::Tick);
        }
        let kuma_start = plan.kuma.started;
        let started_now = self.kuma.has_monitors() && kuma_start <= start;
        if started_now {
            self.kuma.handle_up(start);
        } else if self.kuma.has_monitors() {
            self.queue.push(kuma_start, Class::Scenario, Ev::KumaUp);
        }
        if let Some(p) = self.pay.as_deref() {
            for o in p.initial() {
                if let Out::At(at, ev) = o {
                    self.queue.push(at, Class::Scenario, Ev::Pay(ev));
                }
            }
        }
        // Kuma up from the start arms its first checks at once (start + I): a job that never
        // pushes must still end in DOWN. (Found by the whole-system property on the silence
        // from start.)
        if started_now {
            self.rearm(start);
        }
    }

    /// Pop the next event and handle it. False when the simulation is over.
    pub fn step(&mut self) -> bool {
        let Some((now, _, ev)) = self.queue.pop() else { return false };
        if now >= self.plan.end {
            return false;
        }
        match ev {
            Ev::World(i) => self.on_world(now, self.plan.timeline[i as usize].1),
            Ev::KumaUp => {
                self.kuma.handle_up(now);
                self.kuma_changed(now);
            }
            Ev::MaintenanceEnd { monitor } => {
                self.kuma.lock().handle_maintenance_end(now, MonitorIndex(monitor as usize));
                self.kuma_changed(now);
            }
            Ev::Tick => self.on_tick(now),
            Ev::JobEnd { process } => self.on_job_end(now, process),
            Ev::Send { call } => self.on_send(now, call),
            Ev::Arrive { call } => self.on_arrive(now, call),
            Ev::Back { call } => self.on_back(now, call),
            Ev::Pay(ev) => {
                if let Some(ps) = self.pay.as_deref_mut() {
                    let outs = ps.handle(now, ev, self.trace);
                    self.apply(now, outs);
                }
            }
            Ev::Check { generation } => {
                if self.kuma.take_check(generation) {
                    self.kuma.lock().handle_timeout(now);
                    self.kuma_changed(now);
                }
            }
        }
        true
    }

    /// The log, with the runs still going marked unfinished and the runner's view at the end.
    pub fn finish(mut self) -> CronLog {
        let end = self.plan.end;
        for r in &mut self.log.runs {
            if r.end.is_none() && matches!(r.fate, RunFate::Success | RunFate::Error) {
                r.fate = RunFate::Unfinished;
            }
        }
        let jobs = &self.plan.jobs;
        self.log.health_at_end = jobs.iter().map(|j| self.runner.health(j.id, end, self.plan.tick, &self.thresholds)).collect();
        self.log.views = jobs
            .iter()
            .map(|j| {
                self.runner.view(j.id).map(|v| JobView {
                    nbrun: v.nbrun,
                    datenextrun: v.datenextrun,
                    processing: v.processing,
                    average_duration_ms: v.average_duration_ms(),
                })
            })
            .collect();
        self.log
    }

    fn on_world(&mut self, now: Instant, event: JobsEvent) {
        let plan = self.plan;
        let job = |id: u32| plan.job_index(id);
        match event {
            JobsEvent::CronStop => self.cron_running = false,
            JobsEvent::CronStart => self.cron_running = true,
            JobsEvent::JobCrash { job: id } => {
                if let Some(j) = job(id) {
                    self.pending[j].crash = true;
                }
            }
            JobsEvent::JobHang { job: id, duration } => {
                if let Some(j) = job(id) {
                    self.pending[j].hang = Some(duration);
                }
            }
            JobsEvent::JobError { job: id, count } => {
                if let Some(j) = job(id) {
                    self.pending[j].errors += count;
                }
            }
            JobsEvent::RunNow { job: id } => self.run_now(now, id),
            JobsEvent::CleanupDeadJobs => {
                self.runner.cleanup_dead();
            }
            JobsEvent::KumaRestart { duration } => {
                self.kuma.lock().handle_stop(now);
                self.queue.push(now + duration, Class::Scenario, Ev::KumaUp);
                self.kuma_changed(now);
            }
            JobsEvent::KumaMaintenance { monitor, duration } => {
                self.kuma.lock().handle_maintenance_begin(now, MonitorIndex(monitor));
                self.queue.push(now + duration, Class::Scenario, Ev::MaintenanceEnd { monitor: monitor as u32 });
                self.kuma_changed(now);
            }
            JobsEvent::KumaPush { push } => self.scripted_push(now, push),
            JobsEvent::KumaMonitor { monitor, action } => {
                let index = MonitorIndex(monitor);
                match action {
                    MonitorAction::Create => self.kuma.lock().handle_create(now, index),
                    MonitorAction::Pause => self.kuma.lock().handle_pause(now, index),
                    MonitorAction::Resume => self.kuma.lock().handle_resume(now, index),
                    MonitorAction::Delete => self.kuma.lock().handle_delete(now, index),
                    MonitorAction::Edit(n) => {
                        if let Some(settings) = self.plan.edits.get(n as usize) {
                            self.kuma.lock().handle_edit(now, index, settings.clone());
                        }
                    }
                }
                self.kuma_changed(now);
            }
            JobsEvent::WebhookForged { count } => {
                if let Some(ps) = self.pay.as_deref_mut() {
                    let outs = ps.forge(now, count, self.trace);
                    self.apply(now, outs);
                }
            }
            JobsEvent::WebhookReplay { count } => {
                if let Some(ps) = self.pay.as_deref_mut() {
                    let outs = ps.replay(now, count, self.trace);
                    self.apply(now, outs);
                }
            }
            JobsEvent::WebhookSecretRotation { overlap, erp_updates_after } => {
                if let Some(ps) = self.pay.as_deref_mut() {
                    let outs = ps.rotate(now, overlap, erp_updates_after, self.trace);
                    self.apply(now, outs);
                }
            }
        }
    }

    /// A scripted push leaves now: one attempt, as `curl` would make it, through the fault plan
    /// and the transport.
    fn scripted_push(&mut self, now: Instant, push: u32) {
        let Some(p) = self.plan.pushes.get(push as usize) else { return };
        let once = RetryPolicy { max_attempts: 1, deadline: None, ..RetryPolicy::default() };
        let call = Call::new(Link::KumaPush, p.request.clone(), RetryState::new(&once, now), Purpose::Scripted { monitor: p.monitor });
        self.send(now, call);
    }

    /// "Exécuter maintenant": a process of its own, with this one job.
    fn run_now(&mut self, now: Instant, id: u32) {
        let slot = self.runner.view(id).map(|v| v.datenextrun);
        if let (Ok(ticket), Some(slot)) = (self.runner.run_now(id, now), slot) {
            self.processes.push(Process { pass: ticket.pass, due: vec![id], next: 1, current: None });
            let p = (self.processes.len() - 1) as u32;
            if let Some(j) = self.plan.job_index(id) {
                self.start_run(now, p, j, ticket, slot);
            }
        }
    }

    /// The runner's pass: health sampled since the previous tick, then the due jobs in a new
    /// process (while the host's cron runs).
    fn on_tick(&mut self, now: Instant) {
        let tick = self.plan.tick;
        if let Some(prev) = self.last_tick {
            for (k, j) in self.plan.jobs.iter().enumerate() {
                if let Some(h) = self.runner.health(j.id, prev, tick, &self.thresholds) {
                    self.log.health_time[k].add(h, now - prev);
                }
            }
        }
        self.last_tick = Some(now);
        if self.cron_running {
            if self.plan.cleanup_dead_jobs {
                self.runner.cleanup_dead();
            }
            let pass = self.runner.begin_pass(now);
            self.log.passes += 1;
            if !pass.due.is_empty() {
                self.processes.push(Process { pass: pass.id, due: pass.due, next: 0, current: None });
                self.start_next((self.processes.len() - 1) as u32, now);
            }
        }
        self.queue.push(now + tick, Class::Timer, Ev::Tick);
    }

    /// Start the next due job of process `p`, or end the process.
    fn start_next(&mut self, p: u32, now: Instant) {
        while self.processes[p as usize].next < self.processes[p as usize].due.len() {
            let proc_ = &mut self.processes[p as usize];
            let id = proc_.due[proc_.next];
            proc_.next += 1;
            let pass = proc_.pass;
            let Some(slot) = self.runner.view(id).map(|v| v.datenextrun) else { continue };
            let Ok(ticket) = self.runner.start_job(pass, id, now) else { continue };
            let Some(j) = self.plan.job_index(id) else { continue };
            self.start_run(now, p, j, ticket, slot);
            return;
        }
        self.processes[p as usize].current = None;
    }

    /// Run job `j` in process `p` for `slot`: its fate is drawn now; the recovery job hands its
    /// calls to the payments side, any other job just takes its time.
    fn start_run(&mut self, now: Instant, p: u32, j: usize, ticket: RunTicket, slot: Instant) {
        let job = &self.plan.jobs[j];
        let (fate, took) = decide_fate(job, &mut self.pending[j], &mut self.job_rng);
        self.log.runs.push(RunRecord::started(job.id, slot, now, fate));
        self.processes[p as usize].current = Some(Current { ticket, run: self.log.runs.len() - 1, fate });
        match (self.pay.as_deref_mut(), self.recovery[j], fate) {
            (Some(ps), true, RunFate::Success | RunFate::Error) => {
                let outs = ps.start_recovery(now, p, took, self.trace);
                self.apply(now, outs);
            }
            _ => self.queue.push(now + took, Class::Timer, Ev::JobEnd { process: p }),
        }
    }

    /// A run ends: the runner hears of it, then the job pushes its heartbeat (the process goes
    /// on with its next job once the push is over) or the process goes on at once.
    fn on_job_end(&mut self, now: Instant, process: u32) {
        let Some(cur) = self.processes[process as usize].current.take() else { return };
        let run = &mut self.log.runs[cur.run];
        run.end = Some(now);
        let took = now - run.start;
        let job_id = run.job;
        let plan = self.plan;
        let job = plan.job_index(job_id).map(|j| &plan.jobs[j]);
        if self.trace.enabled() {
            let line = RunLine {
                job: job_id,
                label: job.map(|j| j.label.as_str()).unwrap_or(""),
                slot: run.slot.to_rfc3339(),
                fate: cur.fate,
                duration_ms: took.as_ms(),
            };
            self.trace.record(now, "cron", "run", &line);
        }
        if matches!(cur.fate, RunFate::Crashed | RunFate::TimeLimit) {
            // The process is gone: the job stays processing, the rest of the pass never runs.
            let died = self.runner.process_died(cur.ticket);
            debug_assert!(died.is_ok(), "the runner refused the death of its own run: {died:?}");
            if let Some(ps) = self.pay.as_deref_mut() {
                ps.abandon(process);
            }
            return;
        }
        let ok = cur.fate == RunFate::Success;
        let result = if ok { RunResult::Success } else { RunResult::Error { output: "job ended in error".into() } };
        let finished = self.runner.finish_job(cur.ticket, now, result);
        debug_assert!(finished.is_ok(), "the runner refused the end of its own run: {finished:?}");
        let push = job.and_then(|j| j.heartbeat.as_ref()).and_then(|h| h.sender.after_run(ok, took).map(|req| (req, h)));
        match push {
            Some((request, h)) => {
                self.log.pushes_sent += 1;
                let purpose = Purpose::Push { process, monitor: h.monitor, run: cur.run };
                self.send(now, Call::new(Link::KumaPush, request, RetryState::new(&h.retry, now), purpose));
            }
            None => self.start_next(process, now),
        }
    }

    /// A new call: its first attempt leaves now.
    fn send(&mut self, now: Instant, call: Call<Purpose>) {
        let index = match self.free_calls.pop() {
            Some(i) => {
                self.calls[i as usize] = Some(call);
                i
            }
            None => {
                self.calls.push(Some(call));
                (self.calls.len() - 1) as u32
            }
        };
        self.queue.push(now, Class::Timer, Ev::Send { call: index });
    }

    fn on_send(&mut self, now: Instant, call: u32) {
        let c = self.calls[call as usize].as_mut().expect("an event names a call in flight");
        if let Purpose::Push { run, .. } = c.purpose {
            self.log.push_attempts += 1;
            self.log.runs[run].push_attempts += 1;
        }
        match c.send(now, &mut self.faults) {
            Leg::Arrive(at) => self.queue.push(at, Class::Arrival, Ev::Arrive { call }),
            Leg::Back(at) => self.queue.push(at, Class::Arrival, Ev::Back { call }),
        }
    }

    fn on_arrive(&mut self, now: Instant, call: u32) {
        let c = self.calls[call as usize].as_mut().expect("an event names a call in flight");
        // Kuma down (restart window): nothing listens, the connection is refused.
        let nothing_listens = c.link == Link::KumaPush && !self.kuma.lock().is_up();
        let arrival = c.arrive(now, self.transport, nothing_listens);
        self.queue.push(arrival.back_at, Class::Arrival, Ev::Back { call });
        match &c.purpose {
            Purpose::Push { run, .. } => {
                // Only the push of a successful run is a heartbeat; a delivered `status=down`
                // push (push_on_error) reports the failure, it does not serve the slot.
                // Delivered counts even when the answer comes too late.
                let accepted = matches!(arrival.outcome, AttemptOutcome::Status { code: 200..=299, .. });
                let run = &mut self.log.runs[*run];
                match run.fate {
                    RunFate::Success if accepted => run.push_delivered = Some(now),
                    RunFate::Error if accepted => run.fail_delivered = Some(now),
                    _ => {}
                }
                self.kuma_changed(now);
            }
            Purpose::Scripted { .. } => self.kuma_changed(now),
            Purpose::Pay(purpose) => {
                if let Some(ps) = self.pay.as_deref_mut() {
                    let outs = ps.on_arrival(now, purpose, arrival.reached_service, self.trace);
                    self.apply(now, outs);
                }
            }
        }
    }

    /// An attempt's outcome is back: the retry policy decides, the caller hears of it. A call
    /// that is over leaves its slot (its request freed) for the next call.
    fn on_back(&mut self, now: Instant, call: u32) {
        let Some(mut c) = self.calls[call as usize].take() else {
            debug_assert!(false, "an event names a call that is over");
            return;
        };
        let (outcome, response, next) = c.back(now, &mut self.retry_rng);
        let attempts = c.retry.attempts();
        if let Next::RetryAt(t) = next {
            self.queue.push(t, Class::Timer, Ev::Send { call });
        }
        match &c.purpose {
            Purpose::Push { process, monitor, run } => {
                let (process, monitor, run) = (*process, *monitor, *run);
                self.push_back(now, (process, monitor, run), attempts, outcome, next);
            }
            Purpose::Scripted { monitor } => {
                let monitor = *monitor;
                self.log.monitors[monitor].pushes.count_attempt(outcome);
                self.log.monitors[monitor].pushes.count_decision(next);
                if self.trace.enabled() {
                    let (wire, status) = wire_words(outcome);
                    let line = ScriptedPushLine { monitor: self.kuma.monitor_id(monitor), query: &c.request.query, wire, status };
                    self.trace.record(now, "scenario", "kuma_push", &line);
                }
            }
            Purpose::Pay(purpose) => {
                if let Some(ps) = self.pay.as_deref_mut() {
                    let outs = ps.on_back(now, purpose, &c.request, attempts, outcome, response, next, self.trace);
                    self.apply(now, outs);
                }
            }
        }
        if matches!(next, Next::RetryAt(_)) {
            self.calls[call as usize] = Some(c);
        } else {
            self.free_calls.push(call);
        }
    }

    /// A push attempt came back: counted, traced, and once the call is over the process goes on.
    fn push_back(&mut self, now: Instant, (process, monitor, run): (u32, usize, usize), attempt: u32, outcome: AttemptOutcome, next: Next) {
        let pushes = &mut self.log.monitors[monitor].pushes;
        pushes.count_attempt(outcome);
        pushes.count_decision(next);
        if self.trace.enabled() {
            let (wire, status) = wire_words(outcome);
            let line = PushLine {
                job: self.log.runs[run].job,
                monitor: self.kuma.monitor_id(monitor),
                attempt,
                wire,
                status,
                next: next_word(next),
            };
            self.trace.record(now, "heartbeat", "push", &line);
        }
        if !matches!(next, Next::RetryAt(_)) {
            if !matches!(next, Next::Done) {
                self.log.pushes_lost += 1;
            }
            self.start_next(process, now);
        }
    }

    /// Carry out what the payments world asks for.
    fn apply(&mut self, now: Instant, outs: Vec<Out>) {
        for o in outs {
            match o {
                Out::At(at, ev) => self.queue.push(at, Class::Scenario, Ev::Pay(ev)),
                Out::Call { link, request, retry, purpose } => self.send(now, Call::new(link, request, retry, Purpose::Pay(purpose))),
                Out::Finished { process, ok, after } => self.recovery_finished(now, process, ok, after),
            }
        }
    }

    /// The recovery run of `process` made its last call: it ends `after` its own processing,
    /// in error if a call still failed after its retries (SPEC 4.2).
    fn recovery_finished(&mut self, now: Instant, process: u32, ok: bool, after: Duration) {
        if let Some(cur) = self.processes[process as usize].current.as_mut() {
            if !ok && cur.fate == RunFate::Success {
                cur.fate = RunFate::Error;
                self.log.runs[cur.run].fate = RunFate::Error;
            }
        }
        self.queue.push(now + after, Class::Timer, Ev::JobEnd { process });
    }

    /// After an input to Kuma: what it stored and notified goes to the log, and its check is
    /// re-armed.
    fn kuma_changed(&mut self, now: Instant) {
        self.kuma.drain(&mut self.log.monitors, self.trace);
        self.rearm(now);
    }

    fn rearm(&mut self, now: Instant) {
        self.kuma.rearm(now, &mut self.queue, |generation| Ev::Check { generation });
    }
}

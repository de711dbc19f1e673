//! The discrete-event loop for bank-connection synchronisation: it feeds virtual time to the
//! scheduling logic (`logic::sync`), asks the banks (`world::bank`) what each attempt answers,
//! and measures what the report shows (SPEC 1.6).
//!
//! Hot path (10^6 connections × 30 days, 26.7 million attempts, in about 2 s: benches/README.md):
//! an event is 8 bytes in the bucket queue; a connection's state is 40 bytes in a `Vec` indexed by
//! id, with what few connections need (waiting since, wrongpass instants) in sorted maps apart;
//! the next attempts are known from the queue's sorted bucket, so their connections' cache lines
//! are prefetched; freshness samples read per-connector counts instead of every connection
//! ([`SinceCounts`]); and the scenario's world events are merged from a sorted list instead of
//! being pushed into the queue. A world event at an instant runs before any timer at that instant
//! (class `Scenario` < `Timer`, see ARCHITECTURE.md).

pub mod conn;
pub mod lines;
pub mod measures;
#[cfg(test)]
mod tests;

use rand_chacha::ChaCha8Rng;

use crate::hint::prefetch;
use crate::logic::sync::rules::{Policies, Subject};
use crate::logic::sync::{BackoffPolicy, ConnectionState, SpreadingPolicy, SyncRules};
use crate::sim::analysis::metrics::SinceCounts;
use crate::sim::analysis::report::SyncFigures;
use crate::sim::engine::queue::{Class, EventQueue};
use crate::sim::engine::trace::Trace;
use crate::sim::scenario::expand::{SyncPlan, WorldEvent};
use crate::sim::scenario::model::ReportSettings;
use crate::sim::scenario::plan::SyncSettings;
use crate::time::{Duration, Instant, LocalClock};
use crate::world::bank::Bank;

use conn::{Conn, DayCodes, Event, NONE};
use lines::{AttemptRecord, WorldRecord};
use measures::Measures;

/// Freshness samples: counted per connector (the usual case), or every connection visited
/// (samples off the minute grid, or few connections over many connectors and days, where the
/// counts would cost more than the visit). Both give the same histograms (tested).
enum Freshness {
    Counted(SinceCounts),
    /// Each connection's last success, or its creation.
    Visited(Vec<Instant>),
}

/// How many attempts ahead the loop prefetches a connection's state: far enough for a cache
/// miss to finish, near enough to stay in the current bucket (measured: benches/README.md).
const PREFETCH_AHEAD: usize = 8;

/// The settings of one variant.
pub struct VariantSetup {
    pub rules: SyncRules,
    pub spreading: Box<dyn SpreadingPolicy + Send>,
    pub backoff: Box<dyn BackoffPolicy + Send>,
}

impl VariantSetup {
    /// The policies of a variant's settings, built fresh (they keep state during a run).
    pub fn new(settings: &SyncSettings) -> Self {
        VariantSetup { rules: settings.rules, spreading: settings.spreading.build(), backoff: settings.backoff.build() }
    }
}

/// What a run leaves besides the figures: data for the plots.
#[derive(Clone, Debug, Default)]
pub struct SyncPlotData {
    /// Peak attempts per minute in each hour since the start, all banks.
    pub hourly_peaks: Vec<u32>,
    /// Freshness: (minutes, cumulative share).
    pub freshness_cdf: Vec<(u64, f64)>,
    /// One per Kuma monitor (filled by the jobs loop).
    pub monitor_timelines: Vec<crate::sim::analysis::alerts::MonitorTimeline>,
    /// Paid invoices (filled by the payments loop).
    pub payments: Option<crate::sim::analysis::payments::PaymentPlotData>,
}

/// Run one variant of a plan. `progress` is called now and then with the virtual instant.
pub fn run(
    plan: &SyncPlan,
    clock: &LocalClock,
    setup: VariantSetup,
    settings: &ReportSettings,
    seed: u64,
    trace: &mut Trace<'_>,
    progress: &mut dyn FnMut(Instant),
) -> (SyncFigures, SyncPlotData) {
    run_with(plan, clock, setup, settings, seed, trace, progress, None)
}

/// `run`, with the freshness method forced (`Some(true)`: counted, if it fits) for the test
/// that both give the same figures.
#[allow(clippy::too_many_arguments)]
fn run_with(
    plan: &SyncPlan,
    clock: &LocalClock,
    setup: VariantSetup,
    settings: &ReportSettings,
    seed: u64,
    trace: &mut Trace<'_>,
    progress: &mut dyn FnMut(Instant),
    counted: Option<bool>,
) -> (SyncFigures, SyncPlotData) {
    let mut sync = SyncLoop::new(plan, clock, setup, settings, seed, trace, counted);
    let mut next_world = 0usize;
    let mut steps: u64 = 0;
    loop {
        // Merge the sorted world events with the queue; world events win ties (class Scenario).
        let world = plan.events.get(next_world).copied();
        let (t, event) = if let Some((t, _, ev)) = sync.queue.pop_before(world.map(|(t, _)| t)) {
            (t, Ok(ev))
        } else if let Some((t, ev)) = world {
            next_world += 1;
            (t, Err(ev))
        } else {
            break;
        };
        if t >= plan.end {
            break;
        }
        steps += 1;
        if steps & 0xFFFF == 0 {
            progress(t);
        }
        match event {
            Err(world) => sync.on_world(t, world),
            Ok(event) if event.is_sample() => sync.on_sample(t),
            Ok(event) => sync.on_attempt(t, event),
        }
    }
    sync.measures.finish(plan)
}

/// The sync loop's state: the connections, the banks, the queue of attempts, the variant's
/// policies and their random streams, and what is measured.
struct SyncLoop<'a, 't> {
    plan: &'a SyncPlan,
    clock: &'a LocalClock,
    rules: SyncRules,
    spreading: Box<dyn SpreadingPolicy + Send>,
    backoff: Box<dyn BackoffPolicy + Send>,
    spreading_rng: ChaCha8Rng,
    backoff_rng: ChaCha8Rng,
    bank: Bank,
    conns: Vec<Conn>,
    days: DayCodes,
    queue: EventQueue<Event>,
    fresh: Freshness,
    sample_every: Duration,
    measures: Measures,
    trace: &'a mut Trace<'t>,
}

impl<'a, 't> SyncLoop<'a, 't> {
    /// Every connection's first attempt at its creation, and the first freshness sample, queued.
    fn new(
        plan: &'a SyncPlan,
        clock: &'a LocalClock,
        setup: VariantSetup,
        settings: &ReportSettings,
        seed: u64,
        trace: &'a mut Trace<'t>,
        counted: Option<bool>,
    ) -> Self {
        let VariantSetup { rules, spreading, backoff } = setup;
        let spreading_rng: ChaCha8Rng = crate::rng::stream(seed, "sync.spreading");
        let backoff_rng: ChaCha8Rng = crate::rng::stream(seed, "sync.backoff");
        let (start, end) = (plan.start, plan.end);
        let mut bank = Bank::new(
            &plan.connectors.iter().map(|c| c.capacity_per_minute).collect::<Vec<_>>(),
            plan.connections.iter().map(|c| plan.transient_rates[c.transient as usize]),
            crate::rng::stream(seed, "bank"),
        );
        for (k, c) in plan.connectors.iter().enumerate() {
            if !c.errors.is_empty() {
                bank.set_connector_errors(k as u32, c.errors.clone());
            }
        }
        let conns: Vec<Conn> = plan
            .connections
            .iter()
            .map(|p| Conn {
                next_try: NONE,
                counters: Default::default(),
                key: p.key,
                generation: 0,
                since_key: 0,
                day: 0,
                attempts_today: 0,
                first_success: 0,
                connector: u16::try_from(p.connector).expect("validated: at most 1000 connectors"),
            })
            .collect();
        let sample_every = settings.freshness_sample_every;
        let mut sync = SyncLoop {
            plan,
            clock,
            rules,
            spreading,
            backoff,
            spreading_rng,
            backoff_rng,
            bank,
            conns,
            days: DayCodes::new(clock, start),
            queue: EventQueue::new(),
            fresh: Freshness::Visited(Vec::new()),
            sample_every,
            measures: Measures::new(plan, settings.warmup),
            trace,
        };
        sync.fresh = sync.freshness_method(counted);
        for (i, c) in plan.connections.iter().enumerate() {
            if c.created < end {
                sync.queue.push(c.created, Class::Timer, Event { connection: i as u32, generation: 0 });
                sync.spreading.on_scheduled(c.connector, c.created);
                sync.conns[i].next_try = c.created;
            }
        }
        sync.queue.push(start + sample_every, Class::Observer, Event::SAMPLE);
        sync
    }

    /// Counting costs a table of connectors × minutes and a scan of it per sample at worst;
    /// visiting costs every connection per sample.
    fn freshness_method(&mut self, counted: Option<bool>) -> Freshness {
        let plan = self.plan;
        let counts = match counted {
            Some(false) => None,
            Some(true) => SinceCounts::new(plan.start, plan.end, plan.connectors.len(), usize::MAX),
            None => SinceCounts::new(plan.start, plan.end, plan.connectors.len(), 2 * plan.connections.len()),
        };
        match counts.filter(|_| self.sample_every.as_ms() % 60_000 == 0) {
            Some(mut counts) => {
                for (c, p) in self.conns.iter_mut().zip(&plan.connections) {
                    c.since_key = counts.key(p.created);
                    counts.add(p.connector, c.since_key);
                }
                Freshness::Counted(counts)
            }
            None => Freshness::Visited(plan.connections.iter().map(|p| p.created).collect()),
        }
    }

    /// A world event from the plan: the bank's answers change, or the user acts.
    fn on_world(&mut self, t: Instant, world: WorldEvent) {
        match world {
            WorldEvent::BankState { connection, state } => self.bank.handle_bank_state(connection, state),
            WorldEvent::ConnectionUnavailable { connection, until } => self.bank.handle_connection_unavailable(connection, until),
            WorldEvent::ConnectorOutage { connector, until } => self.bank.handle_connector_outage(connector, until),
            WorldEvent::UserAction { connection } => return self.on_user_action(t, connection),
        }
        if self.trace.enabled() {
            let plan = self.plan;
            let (kind, rec) = match world {
                WorldEvent::BankState { connection, state } => (
                    "bank_state",
                    WorldRecord {
                        connection: Some(plan.names.name(connection)),
                        connector: None,
                        state: Some(state.as_str()),
                        until: None,
                        sync_at_ms: None,
                    },
                ),
                WorldEvent::ConnectionUnavailable { connection, until } => (
                    "connection_unavailable",
                    WorldRecord {
                        connection: Some(plan.names.name(connection)),
                        connector: None,
                        state: None,
                        until: Some(until.to_rfc3339()),
                        sync_at_ms: None,
                    },
                ),
                WorldEvent::ConnectorOutage { connector, until } => (
                    "connector_outage",
                    WorldRecord {
                        connection: None,
                        connector: Some(plan.connectors[connector as usize].id.clone()),
                        state: None,
                        until: Some(until.to_rfc3339()),
                        sync_at_ms: None,
                    },
                ),
                WorldEvent::UserAction { .. } => return,
            };
            self.trace.record(t, "scenario", kind, &rec);
        }
    }

    /// The user fixes the connection: the wait ends, and Powens syncs at once (SPEC 1.3 B).
    fn on_user_action(&mut self, t: Instant, connection: u32) {
        self.bank.handle_user_action(connection);
        let i = connection as usize;
        let connector = self.plan.connections[i].connector;
        let c = &mut self.conns[i];
        self.rules.handle_user_action(&mut c.counters);
        let waiting = c.waiting();
        c.set_waiting(false);
        if waiting && let Some(since) = self.measures.waiting_since.remove(&connection) {
            self.measures.waits.add(t - since);
            self.measures.figures.waiting_for_user.resolved += 1;
        }
        let created = self.plan.connections[i].created <= t;
        if created {
            if c.next_try != NONE {
                self.spreading.on_unscheduled(connector, c.next_try);
            }
            c.generation = c.generation.wrapping_add(1);
            c.next_try = t;
            self.queue.push(t, Class::Timer, Event { connection, generation: c.generation });
            self.spreading.on_scheduled(connector, t);
        }
        if self.trace.enabled() {
            let rec = WorldRecord {
                connection: Some(self.plan.names.name(connection)),
                connector: None,
                state: None,
                until: None,
                sync_at_ms: created.then_some(t.as_ms()),
            };
            self.trace.record(t, "scenario", "user_action", &rec);
        }
    }

    /// Sample every connection's freshness, and queue the next sample.
    fn on_sample(&mut self, t: Instant) {
        let m = &mut self.measures;
        match &mut self.fresh {
            Freshness::Counted(counts) => counts.sample(t, &mut m.freshness, &mut m.freshness_by_connector),
            Freshness::Visited(since) => {
                for (p, &since) in self.plan.connections.iter().zip(since.iter()) {
                    if p.created > t {
                        continue;
                    }
                    m.freshness.add(t - since);
                    m.freshness_by_connector[p.connector as usize].add(t - since);
                }
            }
        }
        let next = t + self.sample_every;
        if next < self.plan.end {
            self.queue.push(next, Class::Observer, Event::SAMPLE);
        }
    }

    /// A sync attempt: the bank answers, the rules decide the next attempt (SPEC 1.3), and the
    /// measurements count it. The hot path.
    #[inline(always)]
    fn on_attempt(&mut self, t: Instant, Event { connection, generation }: Event) {
        if let Some(ahead) = self.queue.upcoming(PREFETCH_AHEAD).filter(|e| !e.is_sample()) {
            // Both cache lines a 40-byte record may span.
            let c = &self.conns[ahead.connection as usize];
            prefetch(&c.next_try);
            prefetch(&c.connector);
            self.bank.prefetch(ahead.connection);
        }
        let i = connection as usize;
        let c = &mut self.conns[i];
        if generation != c.generation {
            return; // superseded by a user action
        }
        let connector = c.connector as u32;
        self.spreading.on_unscheduled(connector, t);
        let m = &mut self.measures;
        if c.waiting() {
            m.figures.attempts_while_waiting += 1;
        }
        let state = self.bank.handle_attempt(t, connection, connector);
        let (hour, day) = self.clock.hour_and_day(t);
        let day = self.days.code(day);
        let rate_limited = state == ConnectionState::RateLimiting;
        m.overall.add(t, hour, rate_limited);
        m.per_connector[connector as usize].add(t, hour, rate_limited);
        m.outcome_counts[state as usize] += 1;
        m.figures.attempts += 1;
        if day != c.day {
            c.day = day;
            c.attempts_today = 0;
        }
        c.attempts_today = c.attempts_today.saturating_add(1);
        m.max_day_attempts = m.max_day_attempts.max(c.attempts_today as u64);
        if state == ConnectionState::Ok {
            m.figures.successes += 1;
            match &mut self.fresh {
                Freshness::Counted(counts) => {
                    let key = counts.key(t);
                    counts.moved(connector, c.since_key, key);
                    c.since_key = key;
                }
                Freshness::Visited(since) => since[i] = t,
            }
            if day != c.first_success_day() {
                if c.first_success_day() == day - 1 {
                    m.day_pairs += 1;
                    if c.first_success_hour() == hour {
                        m.same_hour += 1;
                    }
                }
                c.set_first_success(day, hour);
            }
        }
        if state == ConnectionState::Wrongpass {
            m.wrongpass(connection, t);
        }
        let plan = self.plan;
        let subject = Subject { connection_key: c.key, connector, sync_frequency: plan.connectors[connector as usize].sync_frequency };
        let mut policies = Policies {
            spreading: self.spreading.as_mut(),
            spreading_rng: &mut self.spreading_rng,
            backoff: self.backoff.as_mut(),
            backoff_rng: &mut self.backoff_rng,
        };
        let decision = self.rules.decide(t, state, &subject, &mut c.counters, &mut policies);
        m.rule_counts[decision.rule as usize] += 1;
        match decision.next_try {
            Some(next) => {
                c.next_try = next;
                self.queue.push(next, Class::Timer, Event { connection, generation: c.generation });
                self.spreading.on_scheduled(connector, next);
            }
            None => {
                c.next_try = NONE;
                c.set_waiting(true);
                m.waiting_since.insert(connection, t);
                m.figures.waiting_for_user.episodes += 1;
            }
        }
        if self.trace.enabled() {
            let rec = AttemptRecord {
                connection: plan.names.name(connection),
                connector: &plan.connectors[connector as usize].id,
                state: state.as_str(),
                rule: decision.rule.code(),
                failures_in_a_row: c.counters.consecutive_failures,
                wrongpass_in_a_row: c.counters.consecutive_wrongpass,
                frequency_ms: decision.frequency.as_ms(),
                chosen_ms: decision.chosen.as_ms(),
                next_try_ms: decision.next_try.map(|n| n.as_ms()),
                next_try: decision.next_try.map(|n| n.to_rfc3339()),
            };
            self.trace.record(t, "sync", "attempt", &rec);
        }
    }
}

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

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::hint::prefetch;
use crate::logic::sync::rules::{Policies, Subject};
use crate::logic::sync::{BackoffPolicy, ConnectionState, Rule, SpreadingPolicy, SyncCounters, SyncRules};
use crate::sim::analysis::metrics::{LoadCounter, MinuteHistogram, SinceCounts};
use crate::sim::analysis::report::{ConnectorFigures, SyncFigures, WaitingFigures};
use crate::sim::analysis::round::r4;
use crate::sim::engine::queue::{Class, EventQueue};
use crate::sim::engine::trace::Trace;
use crate::sim::scenario::expand::{Plan, WorldEvent};
use crate::sim::scenario::model::ReportSettings;
use crate::time::{Duration, Instant, LocalClock};
use crate::world::bank::Bank;

const NONE: Instant = Instant(i64::MIN);

/// A queued event, 8 bytes: a sync attempt, stale when `generation` no longer matches the
/// connection's; or the freshness sample ([`Event::SAMPLE`]).
#[derive(Clone, Copy, Debug)]
struct Event {
    connection: u32,
    generation: u32,
}

impl Event {
    /// Sample every connection's freshness (no connection has this index: at most 2 million).
    const SAMPLE: Event = Event { connection: u32::MAX, generation: 0 };
    fn is_sample(self) -> bool {
        self.connection == u32::MAX
    }
}

/// The harness's view of one connection: the logic's counters, what the report needs, and a copy
/// of the plan's `key` and `connector`, so that an attempt reads 40 bytes in one place (at 10^6
/// connections each attempt's state is a random access that misses the cache; one such access
/// instead of two measured 2.8 s → 2.4 s, benches/README.md).
#[derive(Clone, Copy, Debug)]
struct Conn {
    /// The pending attempt, or `NONE`.
    next_try: Instant,
    counters: SyncCounters,
    /// The plan's key (FNV-1a of the id).
    key: u64,
    generation: u32,
    /// The freshness key of its last success or creation (`SinceCounts::key`), when counted.
    since_key: u32,
    /// The local day of its last attempt ([`DayCodes`]).
    day: u16,
    attempts_today: u16,
    /// The local day of its first success that day (bits 0–8), that success's local hour (bits
    /// 9–13), and whether it waits for its user (bit 15; since when: in `waiting_since`).
    first_success: u16,
    connector: u16,
}

const _: () = assert!(std::mem::size_of::<Conn>() == 40);

impl Conn {
    const DAY: u16 = 0x1ff;
    const HOUR_SHIFT: u32 = 9;
    const WAITING: u16 = 0x8000;

    fn first_success_day(&self) -> u16 {
        self.first_success & Self::DAY
    }
    fn first_success_hour(&self) -> u8 {
        ((self.first_success >> Self::HOUR_SHIFT) & 0x1f) as u8
    }
    fn set_first_success(&mut self, day: u16, hour: u8) {
        debug_assert!(day <= Self::DAY && hour < 24);
        self.first_success = (self.first_success & Self::WAITING) | day | (hour as u16) << Self::HOUR_SHIFT;
    }
    fn waiting(&self) -> bool {
        self.first_success & Self::WAITING != 0
    }
    fn set_waiting(&mut self, waiting: bool) {
        self.first_success = (self.first_success & !Self::WAITING) | if waiting { Self::WAITING } else { 0 };
    }
}

/// Local days as small numbers: 0 is "none", a day of the run is at least 2 (so `day − 1` is
/// never "none"). Runs last at most 400 days, so 9 bits hold them.
struct DayCodes {
    origin: i32,
}

impl DayCodes {
    fn new(clock: &LocalClock, start: Instant) -> Self {
        // A DST change at local midnight can put an instant after the start on the day before.
        DayCodes { origin: clock.day(start) - 3 }
    }
    #[inline]
    fn code(&self, day: i32) -> u16 {
        let code = u16::try_from(day - self.origin).expect("validated: every attempt is within the run, at most 400 days");
        assert!(code <= Conn::DAY, "validated: at most 400 days");
        code
    }
}

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

#[derive(Serialize)]
struct AttemptRecord<'a> {
    connection: String,
    connector: &'a str,
    state: &'static str,
    rule: &'static str,
    failures_in_a_row: u16,
    wrongpass_in_a_row: u16,
    /// Rule A's frequency F (ms), else 0.
    frequency_ms: i64,
    /// Rule A's spreading term J, or rule D's backoff delay (ms), else 0.
    chosen_ms: i64,
    next_try_ms: Option<i64>,
    next_try: Option<String>,
}

#[derive(Serialize)]
struct WorldRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    connection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<String>,
    /// For a user action: the attempt it triggers at once (None if not created yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    sync_at_ms: Option<i64>,
}

/// Run one variant of a plan. `progress` is called now and then with the virtual instant.
pub fn run(
    plan: &Plan,
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
    plan: &Plan,
    clock: &LocalClock,
    setup: VariantSetup,
    settings: &ReportSettings,
    seed: u64,
    trace: &mut Trace<'_>,
    progress: &mut dyn FnMut(Instant),
    counted: Option<bool>,
) -> (SyncFigures, SyncPlotData) {
    let VariantSetup { rules, mut spreading, mut backoff } = setup;
    let (warmup, sample_every) = (settings.warmup, settings.freshness_sample_every);
    let mut spreading_rng: ChaCha8Rng = crate::rng::stream(seed, "sync.spreading");
    let mut backoff_rng: ChaCha8Rng = crate::rng::stream(seed, "sync.backoff");
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
    let mut conns: Vec<Conn> = plan
        .connections
        .iter()
        .map(|p| Conn {
            next_try: NONE,
            counters: SyncCounters::default(),
            key: p.key,
            generation: 0,
            since_key: 0,
            day: 0,
            attempts_today: 0,
            first_success: 0,
            connector: u16::try_from(p.connector).expect("validated: at most 1000 connectors"),
        })
        .collect();
    let days = DayCodes::new(clock, start);
    let mut waiting_since: BTreeMap<u32, Instant> = BTreeMap::new();
    // Counting costs a table of connectors × minutes and a scan of it per sample at worst;
    // visiting costs every connection per sample.
    let counts = match counted {
        Some(false) => None,
        Some(true) => SinceCounts::new(start, end, plan.connectors.len(), usize::MAX),
        None => SinceCounts::new(start, end, plan.connectors.len(), 2 * plan.connections.len()),
    };
    let mut fresh = match counts.filter(|_| sample_every.as_ms() % 60_000 == 0) {
        Some(mut counts) => {
            for (c, p) in conns.iter_mut().zip(&plan.connections) {
                c.since_key = counts.key(p.created);
                counts.add(p.connector, c.since_key);
            }
            Freshness::Counted(counts)
        }
        None => Freshness::Visited(plan.connections.iter().map(|p| p.created).collect()),
    };
    let mut queue: EventQueue<Event> = EventQueue::new();
    for (i, c) in plan.connections.iter().enumerate() {
        if c.created < end {
            queue.push(c.created, Class::Timer, Event { connection: i as u32, generation: 0 });
            spreading.on_scheduled(c.connector, c.created);
            conns[i].next_try = c.created;
        }
    }
    queue.push(start + sample_every, Class::Observer, Event::SAMPLE);

    // Measurements.
    let warm = start + warmup;
    let hours = ((end - start).as_ms() / 3_600_000 + 1) as usize;
    let mut overall = LoadCounter::new(start, warm, Some(hours));
    let mut per_connector: Vec<LoadCounter> = plan.connectors.iter().map(|_| LoadCounter::new(start, warm, None)).collect();
    let cap = (end - start) + Duration::DAY;
    let mut freshness = MinuteHistogram::new(cap);
    let mut freshness_by_connector: Vec<MinuteHistogram> = plan.connectors.iter().map(|_| MinuteHistogram::new(cap)).collect();
    let mut waits = MinuteHistogram::new(cap);
    let mut figures = SyncFigures::empty(&plan.connectors.iter().map(|c| c.id.clone()).collect::<Vec<_>>());
    let mut outcome_counts = [0u64; ConnectionState::ALL.len()];
    let mut rule_counts = [0u64; Rule::ALL.len()];
    let (mut same_hour, mut day_pairs) = (0u64, 0u64);
    let mut wrongpass_recent: BTreeMap<u32, [i64; 4]> = BTreeMap::new();
    let mut max_day_attempts = 0u64;

    let mut next_world = 0usize;
    let mut steps: u64 = 0;
    loop {
        // Merge the sorted world events with the queue; world events win ties (class Scenario).
        let world = plan.events.get(next_world).copied();
        let (t, event) = if let Some((t, _, ev)) = queue.pop_before(world.map(|(t, _)| t)) {
            (t, Ok(ev))
        } else if let Some((t, ev)) = world {
            next_world += 1;
            (t, Err(ev))
        } else {
            break;
        };
        if t >= end {
            break;
        }
        steps += 1;
        if steps & 0xFFFF == 0 {
            progress(t);
        }
        match event {
            Err(world) => {
                match world {
                    WorldEvent::BankState { connection, state } => bank.set_condition(connection, state),
                    WorldEvent::ConnectionUnavailable { connection, until } => bank.connection_unavailable_until(connection, until),
                    WorldEvent::ConnectorOutage { connector, until } => bank.connector_outage_until(connector, until),
                    WorldEvent::UserAction { connection } => {
                        bank.user_acts(connection);
                        let i = connection as usize;
                        let connector = plan.connections[i].connector;
                        let c = &mut conns[i];
                        c.counters.on_user_action();
                        let waiting = c.waiting();
                        c.set_waiting(false);
                        if waiting && let Some(since) = waiting_since.remove(&connection) {
                            waits.add(t - since);
                            figures.waiting_for_user.resolved += 1;
                        }
                        let created = plan.connections[i].created <= t;
                        if created {
                            // Powens syncs right after the user updates the connection (SPEC 1.3 B).
                            if c.next_try != NONE {
                                spreading.on_unscheduled(connector, c.next_try);
                            }
                            c.generation = c.generation.wrapping_add(1);
                            c.next_try = t;
                            queue.push(t, Class::Timer, Event { connection, generation: c.generation });
                            spreading.on_scheduled(connector, t);
                        }
                        if trace.enabled() {
                            let rec = WorldRecord {
                                connection: Some(plan.names.name(connection)),
                                connector: None,
                                state: None,
                                until: None,
                                sync_at_ms: created.then_some(t.as_ms()),
                            };
                            trace.record(t, "scenario", "user_action", &rec);
                        }
                        continue;
                    }
                }
                if trace.enabled() {
                    let rec = match world {
                        WorldEvent::BankState { connection, state } => WorldRecord {
                            connection: Some(plan.names.name(connection)),
                            connector: None,
                            state: Some(state.as_str()),
                            until: None,
                            sync_at_ms: None,
                        },
                        WorldEvent::ConnectionUnavailable { connection, until } => WorldRecord {
                            connection: Some(plan.names.name(connection)),
                            connector: None,
                            state: None,
                            until: Some(until.to_rfc3339()),
                            sync_at_ms: None,
                        },
                        WorldEvent::ConnectorOutage { connector, until } => WorldRecord {
                            connection: None,
                            connector: Some(plan.connectors[connector as usize].id.clone()),
                            state: None,
                            until: Some(until.to_rfc3339()),
                            sync_at_ms: None,
                        },
                        WorldEvent::UserAction { .. } => unreachable!("handled above"),
                    };
                    let kind = match world {
                        WorldEvent::BankState { .. } => "bank_state",
                        WorldEvent::ConnectionUnavailable { .. } => "connection_unavailable",
                        WorldEvent::ConnectorOutage { .. } => "connector_outage",
                        WorldEvent::UserAction { .. } => "user_action",
                    };
                    trace.record(t, "scenario", kind, &rec);
                }
            }
            Ok(event) if event.is_sample() => {
                match &mut fresh {
                    Freshness::Counted(counts) => counts.sample(t, &mut freshness, &mut freshness_by_connector),
                    Freshness::Visited(since) => {
                        for (p, &since) in plan.connections.iter().zip(since.iter()) {
                            if p.created > t {
                                continue;
                            }
                            freshness.add(t - since);
                            freshness_by_connector[p.connector as usize].add(t - since);
                        }
                    }
                }
                let next = t + sample_every;
                if next < end {
                    queue.push(next, Class::Observer, Event::SAMPLE);
                }
            }
            Ok(Event { connection, generation }) => {
                if let Some(ahead) = queue.upcoming(PREFETCH_AHEAD).filter(|e| !e.is_sample()) {
                    // Both cache lines a 40-byte record may span.
                    let c = &conns[ahead.connection as usize];
                    prefetch(&c.next_try);
                    prefetch(&c.connector);
                    bank.prefetch(ahead.connection);
                }
                let i = connection as usize;
                let c = &mut conns[i];
                if generation != c.generation {
                    continue; // superseded by a user action
                }
                let connector = c.connector as u32;
                spreading.on_unscheduled(connector, t);
                if c.waiting() {
                    figures.attempts_while_waiting += 1;
                }
                let state = bank.answer(t, connection, connector);
                let (hour, day) = clock.hour_and_day(t);
                let day = days.code(day);
                let rate_limited = state == ConnectionState::RateLimiting;
                overall.add(t, hour, rate_limited);
                per_connector[connector as usize].add(t, hour, rate_limited);
                outcome_counts[state as usize] += 1;
                figures.attempts += 1;
                if day != c.day {
                    c.day = day;
                    c.attempts_today = 0;
                }
                c.attempts_today = c.attempts_today.saturating_add(1);
                max_day_attempts = max_day_attempts.max(c.attempts_today as u64);
                if state == ConnectionState::Ok {
                    figures.successes += 1;
                    match &mut fresh {
                        Freshness::Counted(counts) => {
                            let key = counts.key(t);
                            counts.moved(connector, c.since_key, key);
                            c.since_key = key;
                        }
                        Freshness::Visited(since) => since[i] = t,
                    }
                    if day != c.first_success_day() {
                        if c.first_success_day() == day - 1 {
                            day_pairs += 1;
                            if c.first_success_hour() == hour {
                                same_hour += 1;
                            }
                        }
                        c.set_first_success(day, hour);
                    }
                }
                if state == ConnectionState::Wrongpass {
                    figures.wrongpass.attempts += 1;
                    let recent = wrongpass_recent.entry(connection).or_insert([i64::MIN; 4]);
                    recent.rotate_right(1);
                    recent[0] = t.as_ms();
                    let in_day = recent.iter().filter(|&&w| w != i64::MIN && w > t.as_ms() - Duration::DAY.as_ms()).count() as u64;
                    figures.wrongpass.max_per_connection_24h = figures.wrongpass.max_per_connection_24h.max(in_day);
                }
                let subject =
                    Subject { connection_key: c.key, connector, sync_frequency: plan.connectors[connector as usize].sync_frequency };
                let mut policies = Policies {
                    spreading: spreading.as_mut(),
                    spreading_rng: &mut spreading_rng,
                    backoff: backoff.as_mut(),
                    backoff_rng: &mut backoff_rng,
                };
                let decision = rules.decide(t, state, &subject, &mut c.counters, &mut policies);
                rule_counts[decision.rule as usize] += 1;
                match decision.next_try {
                    Some(next) => {
                        c.next_try = next;
                        queue.push(next, Class::Timer, Event { connection, generation: c.generation });
                        spreading.on_scheduled(connector, next);
                    }
                    None => {
                        c.next_try = NONE;
                        c.set_waiting(true);
                        waiting_since.insert(connection, t);
                        figures.waiting_for_user.episodes += 1;
                    }
                }
                if trace.enabled() {
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
                    trace.record(t, "sync", "attempt", &rec);
                }
            }
        }
    }

    // Figures.
    figures.connections = plan.connections.len() as u64;
    for (state, n) in ConnectionState::ALL.iter().zip(outcome_counts) {
        figures.outcomes.insert(state.as_str().to_string(), n);
    }
    for (rule, n) in Rule::ALL.iter().zip(rule_counts) {
        figures.rules.insert(rule.code().to_string(), n);
    }
    figures.overall = overall.finish(end);
    figures.freshness = freshness.freshness();
    figures.same_hour_share = if day_pairs == 0 { 0.0 } else { r4(same_hour as f64 / day_pairs as f64) };
    figures.consecutive_day_pairs = day_pairs;
    let connection_days: f64 = plan
        .connections
        .iter()
        .filter(|c| c.created < end)
        .map(|c| (end - c.created.max(start)).as_ms() as f64 / Duration::DAY.as_ms() as f64)
        .sum();
    figures.attempts_per_connection_per_day = if connection_days > 0.0 { r4(figures.attempts as f64 / connection_days) } else { 0.0 };
    figures.max_attempts_one_connection_one_day = max_day_attempts;
    let still: Vec<Duration> = waiting_since.values().map(|&since| end - since).collect();
    figures.waiting_for_user = WaitingFigures {
        still_waiting_at_end: still.len() as u64,
        resolved_wait_p50_minutes: waits.quantile_minutes(500),
        longest_wait_minutes: (waits.max_minutes()).max(still.iter().map(|d| (d.as_ms() / 60_000) as u64).max().unwrap_or(0)),
        ..figures.waiting_for_user
    };
    let mut connections_per_connector = vec![0u64; plan.connectors.len()];
    for c in &plan.connections {
        connections_per_connector[c.connector as usize] += 1;
    }
    for (k, connector) in plan.connectors.iter().enumerate() {
        figures.connectors.insert(
            connector.id.clone(),
            ConnectorFigures {
                name: connector.name.clone(),
                connections: connections_per_connector[k],
                load: per_connector[k].finish(end),
                freshness: freshness_by_connector[k].freshness(),
            },
        );
    }
    let plots = SyncPlotData { hourly_peaks: overall.hourly_peaks().to_vec(), freshness_cdf: freshness.cdf(), ..Default::default() };
    (figures, plots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario;
    use crate::sim::scenario::expand::expand;

    /// Run every variant of a scenario with freshness counted and visited, and compare.
    fn counted_and_visited_agree(text: &str) {
        let s = scenario::load_str("test.json", text).expect("valid");
        let plan = expand(&s, s.file.seed);
        let clock = LocalClock::new(s.zone, s.start, s.end);
        let run = |counted| {
            let setup = VariantSetup {
                rules: SyncRules::default(),
                spreading: s.file.sync.spreading.build(),
                backoff: s.file.sync.backoff.build(),
            };
            let mut trace = Trace::new(None, "v");
            let (figures, plots) = run_with(&plan, &clock, setup, &s.file.report, s.file.seed, &mut trace, &mut |_| {}, Some(counted));
            (serde_json::to_string(&figures).expect("serialisable"), plots.freshness_cdf)
        };
        let (counted, visited) = (run(true), run(false));
        assert!(counted.0.contains("\"freshness\""));
        assert_eq!(counted, visited);
    }

    #[test]
    fn freshness_counted_per_connector_equals_every_connection_visited() {
        // Waits, user actions, capacity, an outage, creation spread over days, an explicit
        // connection created late and one never created within the run.
        counted_and_visited_agree(
            r#"{"name": "t", "seed": 3, "start": "2026-03-27T00:00:17.250Z", "time_zone": "Europe/Paris", "duration": "6d",
              "sync": {"connectors": [{"id": "a", "capacity": 3}, {"id": "b", "sync_frequency": "7h"}],
                       "connections": [{"id": "late", "connector": "b", "created": "+4d3h7m"}, {"id": "never", "connector": "a", "created": "+9d"}],
                       "populations": [{"name": "p", "count": 400, "created": {"between": ["+0s", "+2d"]}, "transient_error_rate": 0.05,
                         "incidents": [{"state": "SCARequired", "per_day": 0.05, "user_fixes_after": {"uniform": ["1m", "2d"]}},
                                       {"state": "wrongpass", "per_day": 0.03}]}]},
              "timeline": [{"at": "+1d2h", "event": "connector_outage", "connector": "a", "duration": "5h"},
                           {"at": "+4d3h7m", "event": "user_action", "connection": "late"}],
              "report": {"freshness_sample_every": "37m", "warmup": "1h"}}"#,
        );
        counted_and_visited_agree(
            r#"{"name": "t", "seed": 4, "start": "2026-01-01T00:00:00Z", "duration": "3d",
              "sync": {"spreading": {"policy": "uniform-jitter", "max": "50m"}, "connectors": [{"id": "a"}],
                       "populations": [{"name": "p", "count": 50, "created": {"at": "+0s"}}]},
              "report": {"freshness_sample_every": "1m"}}"#,
        );
    }
}

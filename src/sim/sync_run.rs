//! The discrete-event loop for bank-connection synchronisation: it feeds virtual time to the
//! scheduling logic (`logic::sync`), asks the banks (`world::bank`) what each attempt answers,
//! and measures what the report shows (SPEC 1.6).
//!
//! Hot path: events are a small `Copy` enum in the queue, per-connection state is a compact
//! struct in a `Vec` indexed by id, and the scenario's world events are merged from a sorted list
//! instead of being pushed into the queue. A world event at an instant runs before any timer at
//! that instant (class `Scenario` < `Timer`, see ARCHITECTURE.md).

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::logic::sync::rules::{Policies, Subject};
use crate::logic::sync::{BackoffPolicy, ConnectionState, Rule, SpreadingPolicy, SyncCounters, SyncRules};
use crate::sim::metrics::{LoadCounter, MinuteHistogram};
use crate::sim::queue::{Class, EventQueue};
use crate::sim::report::{ConnectorFigures, SyncFigures, WaitingFigures, r4};
use crate::sim::scenario::expand::{Plan, WorldEvent};
use crate::sim::scenario::model::ReportSettings;
use crate::sim::trace::Trace;
use crate::time::{Duration, Instant, LocalClock};
use crate::world::bank::Bank;

const NONE: Instant = Instant(i64::MIN);

#[derive(Clone, Copy, Debug)]
enum Event {
    /// A sync attempt; stale when `generation` no longer matches the connection's.
    Attempt { connection: u32, generation: u32 },
    /// Sample every connection's freshness.
    Sample,
}

/// The harness's view of one connection (the logic's counters plus what the report needs).
#[derive(Clone, Copy, Debug)]
struct Conn {
    next_try: Instant,
    last_success: Instant,
    waiting_since: Instant,
    counters: SyncCounters,
    generation: u32,
    first_success_day: i32,
    first_success_hour: u8,
    attempts_today: u16,
    day: i32,
}

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
    pub monitor_timelines: Vec<crate::sim::alerts::MonitorTimeline>,
    /// Paid invoices (filled by the payments loop).
    pub payments: Option<crate::sim::payments_report::PaymentPlotData>,
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
    let VariantSetup { rules, mut spreading, mut backoff } = setup;
    let (warmup, sample_every) = (settings.warmup, settings.freshness_sample_every);
    let mut spreading_rng: ChaCha8Rng = crate::sim::rng::stream(seed, "sync.spreading");
    let mut backoff_rng: ChaCha8Rng = crate::sim::rng::stream(seed, "sync.backoff");
    let (start, end) = (plan.start, plan.end);
    let mut bank = Bank::new(
        &plan.connectors.iter().map(|c| c.capacity_per_minute).collect::<Vec<_>>(),
        plan.connections.iter().map(|c| c.transient),
        crate::sim::rng::stream(seed, "bank"),
    );
    for (k, c) in plan.connectors.iter().enumerate() {
        if !c.errors.is_empty() {
            bank.set_connector_errors(k as u32, c.errors.clone());
        }
    }
    let blank = Conn {
        next_try: NONE,
        last_success: NONE,
        waiting_since: NONE,
        counters: SyncCounters::default(),
        generation: 0,
        first_success_day: i32::MIN,
        first_success_hour: 0,
        attempts_today: 0,
        day: i32::MIN,
    };
    let mut conns = vec![blank; plan.connections.len()];
    let mut queue: EventQueue<Event> = EventQueue::with_capacity(plan.connections.len() + 16);
    for (i, c) in plan.connections.iter().enumerate() {
        if c.created < end {
            queue.push(c.created, Class::Timer, Event::Attempt { connection: i as u32, generation: 0 });
            spreading.on_scheduled(c.connector, c.created);
            conns[i].next_try = c.created;
        }
    }
    queue.push(start + sample_every, Class::Observer, Event::Sample);

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
        let queue_t = queue.peek_time();
        let world_due = plan.events.get(next_world).filter(|(t, _)| queue_t.is_none_or(|q| *t <= q)).copied();
        let (t, event) = if let Some((t, ev)) = world_due {
            next_world += 1;
            (t, Err(ev))
        } else if let Some((t, _, ev)) = queue.pop() {
            (t, Ok(ev))
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
                        if c.waiting_since != NONE {
                            waits.add(t - c.waiting_since);
                            figures.waiting_for_user.resolved += 1;
                            c.waiting_since = NONE;
                        }
                        let created = plan.connections[i].created <= t;
                        if created {
                            // Powens syncs right after the user updates the connection (SPEC 1.3 B).
                            if c.next_try != NONE {
                                spreading.on_unscheduled(connector, c.next_try);
                            }
                            c.generation = c.generation.wrapping_add(1);
                            c.next_try = t;
                            queue.push(t, Class::Timer, Event::Attempt { connection, generation: c.generation });
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
            Ok(Event::Sample) => {
                for (i, c) in conns.iter().enumerate() {
                    let p = &plan.connections[i];
                    if p.created > t {
                        continue;
                    }
                    let since = if c.last_success != NONE { c.last_success } else { p.created };
                    freshness.add(t - since);
                    freshness_by_connector[p.connector as usize].add(t - since);
                }
                let next = t + sample_every;
                if next < end {
                    queue.push(next, Class::Observer, Event::Sample);
                }
            }
            Ok(Event::Attempt { connection, generation }) => {
                let i = connection as usize;
                let c = &mut conns[i];
                if generation != c.generation {
                    continue; // superseded by a user action
                }
                let p = &plan.connections[i];
                spreading.on_unscheduled(p.connector, t);
                if c.waiting_since != NONE {
                    figures.attempts_while_waiting += 1;
                }
                let state = bank.answer(t, connection, p.connector);
                let (hour, day) = (clock.hour(t), clock.day(t));
                let rate_limited = state == ConnectionState::RateLimiting;
                overall.add(t, hour, rate_limited);
                per_connector[p.connector as usize].add(t, hour, rate_limited);
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
                    c.last_success = t;
                    if day != c.first_success_day {
                        if c.first_success_day == day - 1 {
                            day_pairs += 1;
                            if c.first_success_hour == hour {
                                same_hour += 1;
                            }
                        }
                        c.first_success_day = day;
                        c.first_success_hour = hour;
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
                let subject = Subject {
                    connection_key: p.key,
                    connector: p.connector,
                    sync_frequency: plan.connectors[p.connector as usize].sync_frequency,
                };
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
                        queue.push(next, Class::Timer, Event::Attempt { connection, generation: c.generation });
                        spreading.on_scheduled(p.connector, next);
                    }
                    None => {
                        c.next_try = NONE;
                        c.waiting_since = t;
                        figures.waiting_for_user.episodes += 1;
                    }
                }
                if trace.enabled() {
                    let rec = AttemptRecord {
                        connection: plan.names.name(connection),
                        connector: &plan.connectors[p.connector as usize].id,
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
    let still: Vec<Duration> = conns.iter().filter(|c| c.waiting_since != NONE).map(|c| end - c.waiting_since).collect();
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

//! Expansion: a checked scenario and a seed become a [`SyncPlan`]: dense connector and connection
//! tables and a time-ordered list of world events. Populations are drawn from their own random
//! stream (`population.<name>`), so the same scenario and seed always build the same world.

use std::collections::BTreeMap;

use super::model::*;
use super::validate::Scenario;
use crate::logic::sync::ConnectionState;
use crate::logic::uniform::{self, Probability};
use crate::rng;
use crate::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct ConnectorPlan {
    pub id: String,
    pub name: String,
    pub sync_frequency: Option<Duration>,
    pub capacity_per_minute: Option<u32>,
    /// Fault plan errors (`faults.banks.<id>.errors`).
    pub errors: Vec<(Probability, ConnectionState)>,
}

/// One connection, compact: a million of these take 24 MB.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionPlan {
    pub created: Instant,
    /// FNV-1a of the connection's id: stable across runs and machines.
    pub key: u64,
    pub connector: u32,
    /// Index in [`SyncPlan::transient_rates`] (a population shares one).
    pub transient: u32,
}

/// A world event, resolved to dense ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorldEvent {
    BankState { connection: u32, state: ConnectionState },
    UserAction { connection: u32 },
    ConnectionUnavailable { connection: u32, until: Instant },
    ConnectorOutage { connector: u32, until: Instant },
}

/// Names of connections without storing a million strings: explicit ids, then populations.
#[derive(Clone, Debug, Default)]
pub struct ConnectionNames {
    explicit: Vec<String>,
    /// (name, first dense index, count)
    populations: Vec<(String, u32, u32)>,
}

impl ConnectionNames {
    pub fn name(&self, index: u32) -> String {
        if let Some(id) = self.explicit.get(index as usize) {
            return id.clone();
        }
        for (name, first, count) in &self.populations {
            if index >= *first && index < first + count {
                return format!("{name}#{}", index - first);
            }
        }
        format!("#{index}")
    }
}

#[derive(Clone, Debug)]
pub struct SyncPlan {
    pub seed: u64,
    pub start: Instant,
    pub end: Instant,
    pub connectors: Vec<ConnectorPlan>,
    pub connections: Vec<ConnectionPlan>,
    /// The distinct transient error probabilities, in order of first use.
    pub transient_rates: Vec<Probability>,
    pub names: ConnectionNames,
    /// Sorted by instant; ties keep file order, then generation order.
    pub events: Vec<(Instant, WorldEvent)>,
}

/// Distinct probabilities, each under one index (a million connections share a handful).
#[derive(Default)]
struct Rates {
    distinct: Vec<Probability>,
    index: BTreeMap<Probability, u32>,
}

impl Rates {
    fn intern(&mut self, p: f64) -> u32 {
        let p = Probability::from_f64(p);
        let next = self.distinct.len() as u32;
        let distinct = &mut self.distinct;
        *self.index.entry(p).or_insert_with(|| {
            distinct.push(p);
            next
        })
    }
}

/// Append `n` in decimal (what `format!("{n}")` writes), without the formatting machinery: a
/// million members' ids cost a tenth of a second through `write!`.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn draw_duration(d: DurationDist, r: &mut dyn rand_core::RngCore) -> Duration {
    match d {
        DurationDist::Fixed(x) => x,
        DurationDist::Uniform([a, b]) => Duration::from_ms(uniform::between(r, a.as_ms(), b.as_ms())),
    }
}

pub fn expand(scenario: &Scenario, seed: u64) -> SyncPlan {
    let f = &scenario.file;
    let (start, end) = (scenario.start, scenario.end);
    let connectors: Vec<ConnectorPlan> = f
        .sync
        .connectors
        .iter()
        .map(|c| ConnectorPlan {
            id: c.id.clone(),
            name: c.name.clone().unwrap_or_else(|| c.id.clone()),
            // Powens' sync_periodicity is in days; round to the millisecond once, here.
            sync_frequency: c.sync_frequency.or(c.sync_periodicity.map(|d| Duration::from_ms((d * 86_400_000.0).round() as i64))),
            capacity_per_minute: c.capacity,
            errors: f
                .faults
                .banks
                .get(&c.id)
                .map(|b| b.errors.iter().map(|e| (Probability::from_f64(e.probability), e.state)).collect())
                .unwrap_or_default(),
        })
        .collect();
    let connector_index: BTreeMap<&str, u32> = f.sync.connectors.iter().enumerate().map(|(i, c)| (c.id.as_str(), i as u32)).collect();

    let total = scenario.connection_count() as usize;
    let mut connections = Vec::with_capacity(total);
    let mut names = ConnectionNames::default();
    let mut rates = Rates::default();
    let mut events: Vec<(Instant, WorldEvent)> = Vec::new();

    for c in &f.sync.connections {
        connections.push(ConnectionPlan {
            connector: connector_index[c.connector.as_str()],
            created: c.created.resolve(start),
            key: rng::fnv1a64(c.id.as_bytes()),
            transient: rates.intern(c.transient_error_rate),
        });
        names.explicit.push(c.id.clone());
    }

    for pop in &f.sync.populations {
        let mut r = rng::stream(seed, &format!("population.{}", pop.name));
        let weights: Vec<(u32, u64)> = if pop.connectors.is_empty() {
            f.sync.connectors.iter().enumerate().map(|(i, c)| (i as u32, c.weight as u64)).collect()
        } else {
            pop.connectors.iter().map(|(id, &w)| (connector_index[id.as_str()], w as u64)).collect()
        };
        let mut cumulative = Vec::with_capacity(weights.len());
        let mut sum = 0u64;
        for (c, w) in weights {
            if w > 0 {
                sum += w;
                cumulative.push((sum, c));
            }
        }
        let first = connections.len() as u32;
        names.populations.push((pop.name.clone(), first, pop.count as u32));
        let transient = rates.intern(pop.transient_error_rate);
        let incidents: Vec<(ConnectionState, Probability, Option<DurationDist>)> =
            pop.incidents.iter().map(|i| (i.state, Probability::from_f64(i.per_day), i.user_fixes_after)).collect();
        let days = ((end - start).as_ms() + Duration::DAY.as_ms() - 1) / Duration::DAY.as_ms();
        // The members' ids are `<name>#<k>`: the name's bytes are hashed once.
        let mut prefix = pop.name.as_bytes().to_vec();
        prefix.push(b'#');
        let mut id = prefix.clone();
        for k in 0..pop.count {
            let pick = uniform::below(&mut r, sum);
            let connector = cumulative[cumulative.partition_point(|&(cum, _)| cum <= pick)].1;
            let created = match pop.created {
                Creation::At(at) => at.resolve(start),
                Creation::Between([a, b]) => Instant(uniform::between(&mut r, a.resolve(start).as_ms(), b.resolve(start).as_ms())),
            };
            id.truncate(prefix.len());
            push_decimal(&mut id, k);
            let index = connections.len() as u32;
            connections.push(ConnectionPlan { connector, created, key: rng::fnv1a64(&id), transient });
            for &(state, per_day, fix) in &incidents {
                if per_day.is_never() {
                    continue;
                }
                for day in 0..days {
                    if per_day.chance(&mut r) {
                        let at = start
                            + Duration::DAY.saturating_mul(day)
                            + Duration::from_ms(uniform::below(&mut r, Duration::DAY.as_ms() as u64) as i64);
                        if at < created.max(start) || at >= end {
                            continue;
                        }
                        events.push((at, WorldEvent::BankState { connection: index, state }));
                        if let Some(d) = fix {
                            let fixed = at + draw_duration(d, &mut r);
                            if fixed < end {
                                events.push((fixed, WorldEvent::UserAction { connection: index }));
                            }
                        }
                    }
                }
            }
        }
    }

    let resolve_connection = |name: &str| -> u32 {
        if let Some(i) = f.sync.connections.iter().position(|c| c.id == name) {
            return i as u32;
        }
        let (pop, idx) = name.split_once('#').expect("validated: <population>#<index>");
        let (_, first, _) = names.populations.iter().find(|(n, _, _)| n == pop).expect("validated population");
        first + idx.parse::<u32>().expect("validated index")
    };
    let mut timeline: Vec<(Instant, WorldEvent)> = f
        .timeline
        .iter()
        .filter_map(|ev| {
            let at = ev.at().resolve(start);
            let e = match ev {
                TimelineEvent::BankState { connection, state, .. } => {
                    WorldEvent::BankState { connection: resolve_connection(connection), state: *state }
                }
                TimelineEvent::UserAction { connection, .. } => WorldEvent::UserAction { connection: resolve_connection(connection) },
                TimelineEvent::ConnectionUnavailable { connection, duration, .. } => {
                    WorldEvent::ConnectionUnavailable { connection: resolve_connection(connection), until: at + *duration }
                }
                TimelineEvent::ConnectorOutage { connector, duration, .. } => {
                    WorldEvent::ConnectorOutage { connector: connector_index[connector.as_str()], until: at + *duration }
                }
                // Jobs and Kuma have their own loop (`sim::loops::jobs`).
                _ => return None,
            };
            Some((at, e))
        })
        .collect();
    // Fault-plan outages of the banks are connector outages.
    for (id, b) in &f.faults.banks {
        for o in &b.outages {
            let at = o.at.resolve(start);
            timeline.push((at, WorldEvent::ConnectorOutage { connector: connector_index[id.as_str()], until: at + o.duration }));
        }
    }
    // File events first, then generated ones; a stable sort keeps that order among equals.
    timeline.append(&mut events);
    timeline.sort_by_key(|&(at, _)| at);

    SyncPlan { seed, start, end, connectors, connections, transient_rates: rates.distinct, names, events: timeline }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_hashed_as_name_hash_index() {
        for n in [0u64, 7, 10, 99, 100, 123_456, 999_999, 1_000_000, u64::MAX] {
            let mut id = b"p#".to_vec();
            push_decimal(&mut id, n);
            assert_eq!(id, format!("p#{n}").into_bytes());
        }
    }
}

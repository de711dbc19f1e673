//! What the sync loop measures while it runs, and the report figures it comes to at the end.

use std::collections::BTreeMap;

use crate::logic::sync::{ConnectionState, Rule};
use crate::sim::analysis::metrics::{LoadCounter, MinuteHistogram};
use crate::sim::analysis::report::{ConnectorFigures, SyncFigures, WaitingFigures};
use crate::sim::analysis::round::r4;
use crate::sim::loops::sync::SyncPlotData;
use crate::sim::scenario::expand::SyncPlan;
use crate::time::{Duration, Instant};

/// The running measurements of one variant.
pub struct Measures {
    /// Attempts per minute, all banks (peaks per hour for the plot).
    pub overall: LoadCounter,
    pub per_connector: Vec<LoadCounter>,
    /// Freshness samples (time since the last success), all banks and per connector.
    pub freshness: MinuteHistogram,
    pub freshness_by_connector: Vec<MinuteHistogram>,
    /// How long resolved waits for the user lasted.
    pub waits: MinuteHistogram,
    /// The figures counted directly (attempts, successes, waits...).
    pub figures: SyncFigures,
    pub outcome_counts: [u64; ConnectionState::ALL.len()],
    pub rule_counts: [u64; Rule::ALL.len()],
    /// Consecutive local days with a success, and how many of those pairs had their first
    /// success in the same local hour.
    pub day_pairs: u64,
    pub same_hour: u64,
    /// Per connection: its last four `wrongpass` answers (ms), for the most in 24 h.
    wrongpass_recent: BTreeMap<u32, [i64; 4]>,
    pub max_day_attempts: u64,
    /// Connections waiting for their user, since when.
    pub waiting_since: BTreeMap<u32, Instant>,
}

impl Measures {
    pub fn new(plan: &SyncPlan, warmup: Duration) -> Self {
        let (start, end) = (plan.start, plan.end);
        let warm = start + warmup;
        let hours = ((end - start).as_ms() / 3_600_000 + 1) as usize;
        let cap = (end - start) + Duration::DAY;
        Measures {
            overall: LoadCounter::new(start, warm, Some(hours)),
            per_connector: plan.connectors.iter().map(|_| LoadCounter::new(start, warm, None)).collect(),
            freshness: MinuteHistogram::new(cap),
            freshness_by_connector: plan.connectors.iter().map(|_| MinuteHistogram::new(cap)).collect(),
            waits: MinuteHistogram::new(cap),
            figures: SyncFigures::empty(&plan.connectors.iter().map(|c| c.id.clone()).collect::<Vec<_>>()),
            outcome_counts: [0; ConnectionState::ALL.len()],
            rule_counts: [0; Rule::ALL.len()],
            day_pairs: 0,
            same_hour: 0,
            wrongpass_recent: BTreeMap::new(),
            max_day_attempts: 0,
            waiting_since: BTreeMap::new(),
        }
    }

    /// A `wrongpass` answer to `connection` at `t`: the most any connection got in 24 h.
    pub fn wrongpass(&mut self, connection: u32, t: Instant) {
        self.figures.wrongpass.attempts += 1;
        let recent = self.wrongpass_recent.entry(connection).or_insert([i64::MIN; 4]);
        recent.rotate_right(1);
        recent[0] = t.as_ms();
        let in_day = recent.iter().filter(|&&w| w != i64::MIN && w > t.as_ms() - Duration::DAY.as_ms()).count() as u64;
        self.figures.wrongpass.max_per_connection_24h = self.figures.wrongpass.max_per_connection_24h.max(in_day);
    }

    /// The report's figures and the plots' data.
    pub fn finish(self, plan: &SyncPlan) -> (SyncFigures, SyncPlotData) {
        let (start, end) = (plan.start, plan.end);
        let Measures { mut overall, mut per_connector, freshness, freshness_by_connector, waits, mut figures, .. } = self;
        figures.connections = plan.connections.len() as u64;
        for (state, n) in ConnectionState::ALL.iter().zip(self.outcome_counts) {
            figures.outcomes.insert(state.as_str().to_string(), n);
        }
        for (rule, n) in Rule::ALL.iter().zip(self.rule_counts) {
            figures.rules.insert(rule.code().to_string(), n);
        }
        figures.overall = overall.finish(end);
        figures.freshness = freshness.freshness();
        figures.same_hour_share = if self.day_pairs == 0 { 0.0 } else { r4(self.same_hour as f64 / self.day_pairs as f64) };
        figures.consecutive_day_pairs = self.day_pairs;
        let connection_days: f64 = plan
            .connections
            .iter()
            .filter(|c| c.created < end)
            .map(|c| (end - c.created.max(start)).as_ms() as f64 / Duration::DAY.as_ms() as f64)
            .sum();
        figures.attempts_per_connection_per_day = if connection_days > 0.0 { r4(figures.attempts as f64 / connection_days) } else { 0.0 };
        figures.max_attempts_one_connection_one_day = self.max_day_attempts;
        let still: Vec<Duration> = self.waiting_since.values().map(|&since| end - since).collect();
        figures.waiting_for_user = WaitingFigures {
            still_waiting_at_end: still.len() as u64,
            resolved_wait_p50_minutes: (waits.count() > 0).then(|| waits.quantile_minutes(500)),
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
}

//! The report of one scenario run: a serde type with a stable field order (expectations first),
//! written as `report.json` for machines and snapshots, and rendered to Markdown by
//! [`crate::sim::analysis::markdown`]. Floats are rounded to 4 decimals so the JSON stays readable and stable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::logic::sync::{ConnectionState, Rule};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    /// True when every expectation holds.
    pub passed: bool,
    pub expectations: Vec<ExpectationResult>,
    pub description: String,
    pub seed: u64,
    pub start: String,
    pub end: String,
    pub time_zone: String,
    pub duration: String,
    pub connections: u64,
    pub syncsim_version: String,
    pub variants: Vec<VariantReport>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExpectationResult {
    pub metric: String,
    pub variant: String,
    pub op: String,
    pub bound: f64,
    /// `None` when the figure is not a number in this report.
    pub actual: Option<f64>,
    pub passed: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct VariantReport {
    pub name: String,
    pub spreading: String,
    pub backoff: String,
    pub retry_wrongpass: u8,
    pub autosync_frequency: String,
    pub sync: SyncFigures,
    /// Scheduled jobs by id (SPEC 2.3), when the scenario has any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub jobs: BTreeMap<String, JobFigures>,
    /// Kuma push monitors by id, with the alert timing (SPEC 3.4), when the scenario has any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub monitors: BTreeMap<String, MonitorFigures>,
    /// Bridge payments and their recovery (SPEC 4.3), when the scenario has a `payments` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<crate::sim::analysis::payments::PaymentFigures>,
}

/// The monitoring view of one job (SPEC 2.3) and the time it spent in each health state.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct JobFigures {
    pub label: String,
    pub frequency: String,
    pub runs: u64,
    pub successes: u64,
    pub errors: u64,
    pub crashed: u64,
    pub killed_by_time_limit: u64,
    pub unfinished: u64,
    /// Dolibarr's `nbrun` at the end.
    pub nbrun: u64,
    /// Dolibarr's `datenextrun` at the end.
    pub next_run: String,
    pub stuck_at_end: bool,
    pub average_duration_ms: u64,
    pub health_at_end: String,
    pub normal_minutes: u64,
    pub attention_minutes: u64,
    pub problem_minutes: u64,
}

/// When (and whether) Kuma's alert would have reached the team (SPEC 3.4).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct MonitorFigures {
    /// The job that pushes to this monitor.
    pub job: String,
    pub interval_s: u64,
    pub retry_interval_s: u64,
    pub max_retries: u64,
    pub pushes_delivered: u64,
    pub push_attempts: u64,
    /// Push attempts refused (Kuma down, or the fault plan).
    pub push_refused: u64,
    /// Push attempts without an answer in time.
    pub push_timed_out: u64,
    /// Push attempts answered, by HTTP status.
    pub push_answers: BTreeMap<String, u64>,
    /// Pushes the client's retry policy gave up on (lost heartbeats).
    pub pushes_given_up: u64,
    /// Ground-truth incidents.
    pub incidents: u64,
    /// Incidents with a DOWN notification before they ended.
    pub detected: u64,
    /// Incidents that ended without a DOWN notification.
    pub missed: u64,
    pub still_open_at_end: u64,
    /// DOWN notifications while no incident was open.
    pub false_alerts: u64,
    /// Time to detect: incident start to the DOWN notification.
    /// `None` (JSON `null`) when no incident was detected.
    pub ttd_down_median_s: Option<i64>,
    pub ttd_down_max_s: i64,
    /// Incident start to the first PENDING beat; `None` (JSON `null`) when there was no PENDING.
    pub first_pending_median_s: Option<i64>,
    pub notifications_down: u64,
    pub notifications_up: u64,
    pub notifications_reminder: u64,
    /// The smallest `I + 1 s − gap` between successful pushes (negative: a gap beyond the window).
    pub min_slack_s: i64,
    pub gaps_beyond_window: u64,
    pub true_downtime_minutes: u64,
    pub kuma_down_minutes: u64,
    /// The same pushes judged by a Healthchecks "simple" check: timeout = the job's period,
    /// grace derived from the runs (`sim::analysis::healthchecks`).
    pub healthchecks_simple: BaselineFigures,
    /// ... by a Healthchecks "cron" check: the job's grid as a cron expression in the check's
    /// zone, the same derived grace (or why no cron expression fits the job).
    pub healthchecks_cron: BaselineFigures,
    /// The simple check at Healthchecks' defaults (timeout 1 day, grace 1 hour).
    pub healthchecks_simple_defaults: BaselineFigures,
    /// The cron check at Healthchecks' default grace (1 hour).
    pub healthchecks_cron_defaults: BaselineFigures,
    /// What the Healthchecks checks were judged on, for `advise` (not written to the report).
    #[serde(skip)]
    pub healthchecks_inputs: Option<crate::sim::analysis::healthchecks::Inputs>,
    /// The first 20 incidents.
    pub incident_list: Vec<IncidentFigures>,
}

pub use crate::sim::analysis::healthchecks::BaselineFigures;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct IncidentFigures {
    pub start: String,
    pub end: Option<String>,
    pub first_pending_after_s: Option<i64>,
    pub down_notification_after_s: Option<i64>,
}

/// Sync-spreading figures (SPEC 1.6).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct SyncFigures {
    pub connections: u64,
    pub attempts: u64,
    pub successes: u64,
    /// Attempts by the state they ended in (every state listed, zeros included).
    pub outcomes: BTreeMap<String, u64>,
    /// Decisions by the rule that made them (A, B, C-first, C-repeat, C-wait, D-first, D-backoff).
    pub rules: BTreeMap<String, u64>,
    /// Load on all banks together (after the warm-up).
    pub overall: Load,
    /// Time since the last successful sync (or since creation, before the first), sampled.
    pub freshness: Freshness,
    /// Among connections synced on two consecutive local days, the share whose first successful
    /// sync of each day fell in the same local hour.
    pub same_hour_share: f64,
    pub consecutive_day_pairs: u64,
    pub attempts_per_connection_per_day: f64,
    pub max_attempts_one_connection_one_day: u64,
    pub wrongpass: WrongpassFigures,
    pub waiting_for_user: WaitingFigures,
    /// Attempts made on a connection that was waiting for its user: rule B says 0.
    pub attempts_while_waiting: u64,
    pub connectors: BTreeMap<String, ConnectorFigures>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct Load {
    pub attempts: u64,
    pub rate_limited: u64,
    pub peak_per_minute: u64,
    pub mean_per_minute: f64,
    /// `peak_per_minute / mean_per_minute`: 1 is perfectly flat.
    pub peak_to_mean: f64,
    /// Attempts per hour of the local day, 0 to 23.
    pub by_local_hour: Vec<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct Freshness {
    pub samples: u64,
    pub p50_minutes: u64,
    pub p95_minutes: u64,
    pub max_minutes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct WrongpassFigures {
    pub attempts: u64,
    /// The most `wrongpass` answers one connection got in any 24 h (a bank may lock the account).
    pub max_per_connection_24h: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct WaitingFigures {
    /// Times a connection started waiting for its user (rule B, or rule C with retry off).
    pub episodes: u64,
    pub resolved: u64,
    pub still_waiting_at_end: u64,
    /// `None` (JSON `null`) when no wait was resolved.
    pub resolved_wait_p50_minutes: Option<u64>,
    pub longest_wait_minutes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct ConnectorFigures {
    pub name: String,
    pub connections: u64,
    pub load: Load,
    pub freshness: Freshness,
}

impl SyncFigures {
    /// Figures with every key present (all states, all rules, the given connectors), at zero.
    pub fn empty(connector_ids: &[String]) -> Self {
        SyncFigures {
            outcomes: ConnectionState::ALL.iter().map(|s| (s.as_str().to_string(), 0)).collect(),
            rules: Rule::ALL.iter().map(|r| (r.code().to_string(), 0)).collect(),
            overall: Load { by_local_hour: vec![0; 24], ..Load::default() },
            connectors: connector_ids
                .iter()
                .map(|id| {
                    (id.clone(), ConnectorFigures { load: Load { by_local_hour: vec![0; 24], ..Load::default() }, ..Default::default() })
                })
                .collect(),
            ..Default::default()
        }
    }
}

/// Every numeric figure an expectation may name, as dotted paths inside a variant
/// (e.g. `sync.overall.peak_to_mean`, `sync.connectors.bnp.load.rate_limited`).
pub fn metric_paths(connector_ids: &[String], job_ids: &[String], monitor_ids: &[String], payments: bool) -> Vec<String> {
    // Figures that may be empty (`None`, a median of nothing) are still figures an expectation
    // may name: list them as if they held a value.
    let mut sync = SyncFigures::empty(connector_ids);
    sync.waiting_for_user.resolved_wait_p50_minutes = Some(0);
    let baseline = crate::sim::analysis::healthchecks::BaselineFigures { ttd_median_s: Some(0), ..Default::default() };
    let monitor = MonitorFigures {
        ttd_down_median_s: Some(0),
        first_pending_median_s: Some(0),
        healthchecks_simple: baseline.clone(),
        healthchecks_cron: baseline.clone(),
        healthchecks_simple_defaults: baseline.clone(),
        healthchecks_cron_defaults: baseline,
        ..MonitorFigures::default()
    };
    let v = VariantReport {
        sync,
        jobs: job_ids.iter().map(|j| (j.clone(), JobFigures::default())).collect(),
        monitors: monitor_ids.iter().map(|m| (m.clone(), monitor.clone())).collect(),
        payments: payments.then(Default::default),
        ..Default::default()
    };
    let value = serde_json::to_value(&v).unwrap_or_default();
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Number(_) => out.push(path.to_string()),
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    walk(child, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, out);
                }
            }
            _ => {}
        }
    }
    walk(&value, "", &mut out);
    out
}

/// The figure at a dotted path inside a variant, if it is a number.
pub fn metric_value(variant: &VariantReport, path: &str) -> Option<f64> {
    let value = serde_json::to_value(variant).ok()?;
    let mut cur = &value;
    let mut rest = path;
    // Keys may contain dots (connector ids): try the longest key first at each level.
    'outer: while !rest.is_empty() {
        let obj = cur.as_object()?;
        let mut ends: Vec<usize> = rest.match_indices('.').map(|(i, _)| i).collect();
        ends.push(rest.len());
        for &end in ends.iter().rev() {
            if let Some(child) = obj.get(&rest[..end]) {
                cur = child;
                rest = if end == rest.len() { "" } else { &rest[end + 1..] };
                continue 'outer;
            }
        }
        return None;
    }
    cur.as_f64()
}

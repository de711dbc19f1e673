//! The scenario file format (JSON), as typed serde structs. `syncsim schema` prints the JSON Schema
//! generated from these types. Unknown fields are errors everywhere (`deny_unknown_fields`).
//!
//! These are the *file* types: references are still names and instants may be relative.
//! [`super::validate`] checks them and [`super::expand`] turns them into a runnable plan.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::logic::sync::{BackoffSettings, ConnectionState, SpreadingSettings};
use crate::time::{At, Duration};

/// A scenario: what happens, to what, for how long, and what the report must show.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Short name; also the folder of its report under `reports/`.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The seed of every random stream. `syncsim run --seed N` overrides it.
    #[serde(default)]
    pub seed: u64,
    /// The start instant, RFC 3339 (an offset is not allowed here).
    pub start: At,
    /// IANA time zone for local-time reports and local schedules.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// How long to simulate, e.g. "30d".
    pub duration: Duration,
    #[serde(default)]
    pub sync: SyncSection,
    /// Events in time order (the order in the file breaks ties).
    #[serde(default)]
    pub timeline: Vec<TimelineEvent>,
    /// Variants simulated from the same seed and put side by side (e.g. one per policy).
    /// None: one variant, `baseline`, with the settings above.
    #[serde(default)]
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub report: ReportSettings,
    /// Assertions on report figures; one that fails makes the run exit with code 1.
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

pub fn default_time_zone() -> String {
    "Europe/Paris".into()
}

/// Bank-connection synchronisation (SPEC 1).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncSection {
    /// `autosync.frequency`: rule A's frequency when the connector has none (default 24h).
    #[serde(default = "default_autosync_frequency")]
    pub autosync_frequency: Duration,
    /// `autosync.retry_wrongpass`: 1 (default) retries after 7 days, 0 waits for a new password.
    #[serde(default = "default_retry_wrongpass")]
    pub retry_wrongpass: u8,
    #[serde(default)]
    pub spreading: SpreadingSettings,
    #[serde(default)]
    pub backoff: BackoffSettings,
    #[serde(default)]
    pub connectors: Vec<ConnectorSpec>,
    /// Connections named one by one.
    #[serde(default)]
    pub connections: Vec<ConnectionSpec>,
    /// Connections built from templates (`count` of them, named `<name>#<index>`).
    #[serde(default)]
    pub populations: Vec<PopulationSpec>,
}

impl Default for SyncSection {
    fn default() -> Self {
        SyncSection {
            autosync_frequency: default_autosync_frequency(),
            retry_wrongpass: default_retry_wrongpass(),
            spreading: SpreadingSettings::default(),
            backoff: BackoffSettings::default(),
            connectors: Vec::new(),
            connections: Vec::new(),
            populations: Vec::new(),
        }
    }
}

fn default_autosync_frequency() -> Duration {
    Duration::from_hours(24)
}
fn default_retry_wrongpass() -> u8 {
    1
}

/// A bank.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSpec {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The seed's `sync_frequency`.
    #[serde(default)]
    pub sync_frequency: Option<Duration>,
    /// Powens' `sync_periodicity`, in days (decimal): an alias of `sync_frequency`.
    #[serde(default)]
    pub sync_periodicity: Option<f64>,
    /// Synchronisations accepted per minute before the bank answers `rateLimiting` (absent: no limit).
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Share of population members on this connector when a population does not say (default 1).
    #[serde(default = "default_weight")]
    pub weight: u32,
}

fn default_weight() -> u32 {
    1
}

/// One connection, by name.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    pub id: String,
    pub connector: String,
    /// When the connection is created; its first sync is attempted at once (default "+0s").
    #[serde(default = "start_at")]
    pub created: At,
    /// Probability that any attempt fails with a transient error (`bug`).
    #[serde(default)]
    pub transient_error_rate: f64,
}

fn start_at() -> At {
    At::FromStart(Duration::ZERO)
}

/// A template that builds `count` connections, expanded deterministically from the seed.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Members are named `<name>#<index>`, index from 0.
    pub name: String,
    pub count: u64,
    /// Connector weights for this population; absent: every connector by its `weight`.
    #[serde(default)]
    pub connectors: BTreeMap<String, u32>,
    /// When members are created (default: all at the start).
    #[serde(default)]
    pub created: Creation,
    #[serde(default)]
    pub transient_error_rate: f64,
    /// Credential problems that arise at random: each day, each member gets one with probability
    /// `per_day`; the user fixes it after `user_fixes_after` (never, if absent).
    #[serde(default)]
    pub incidents: Vec<IncidentSpec>,
}

/// Creation times of a population's members.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Creation {
    /// All at one instant (a migration, a thundering herd).
    At(At),
    /// Uniformly between two instants.
    Between([At; 2]),
}

impl Default for Creation {
    fn default() -> Self {
        Creation::At(start_at())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentSpec {
    /// The state the bank answers from then on: `wrongpass` or a user-action state.
    pub state: ConnectionState,
    /// Probability per member per day.
    pub per_day: f64,
    #[serde(default)]
    pub user_fixes_after: Option<DurationDist>,
}

/// A distribution of durations.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DurationDist {
    Fixed(Duration),
    /// Uniform between two durations (inclusive).
    Uniform([Duration; 2]),
}

/// Something that happens at an instant.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum TimelineEvent {
    /// From `at` on, the connection's credentials answer `state` (`wrongpass` until the password
    /// changes; a user-action state until the user acts; `ok` clears it silently).
    BankState { at: At, connection: String, state: ConnectionState },
    /// The user changes the password, completes the SCA or gives the information: the condition
    /// clears and a sync is attempted at once (public source: Powens syncs after an update).
    UserAction { at: At, connection: String },
    /// The connection's website is unavailable for `duration`.
    ConnectionUnavailable { at: At, connection: String, duration: Duration },
    /// The whole bank is down for `duration`: every attempt answers `websiteUnavailable`.
    ConnectorOutage { at: At, connector: String, duration: Duration },
}

impl TimelineEvent {
    pub fn at(&self) -> At {
        match self {
            TimelineEvent::BankState { at, .. }
            | TimelineEvent::UserAction { at, .. }
            | TimelineEvent::ConnectionUnavailable { at, .. }
            | TimelineEvent::ConnectorOutage { at, .. } => *at,
        }
    }
}

/// Settings that differ from the scenario's in one variant.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    #[serde(default)]
    pub spreading: Option<SpreadingSettings>,
    #[serde(default)]
    pub backoff: Option<BackoffSettings>,
    #[serde(default)]
    pub retry_wrongpass: Option<u8>,
    #[serde(default)]
    pub autosync_frequency: Option<Duration>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// Freshness (time since the last successful sync) is sampled on every connection this often.
    #[serde(default = "default_sample_every")]
    pub freshness_sample_every: Duration,
    /// Load figures (per hour, per minute) ignore attempts before `start + warmup`.
    #[serde(default)]
    pub warmup: Duration,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings { freshness_sample_every: default_sample_every(), warmup: Duration::ZERO }
    }
}

fn default_sample_every() -> Duration {
    Duration::from_hours(1)
}

/// `metric` is a dotted path into a variant's figures in `report.json` (e.g.
/// `sync.overall.peak_to_mean`); without `variant` it must hold in every variant.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub op: Op,
    pub value: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
}

impl Op {
    pub fn holds(self, actual: f64, bound: f64) -> bool {
        match self {
            Op::Lt => actual < bound,
            Op::Le => actual <= bound,
            Op::Eq => actual == bound,
            Op::Ne => actual != bound,
            Op::Ge => actual >= bound,
            Op::Gt => actual > bound,
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

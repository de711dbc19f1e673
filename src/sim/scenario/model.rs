//! The scenario file format (JSON), as typed serde structs. `syncsim schema` prints the JSON Schema
//! generated from these types. Unknown fields are errors everywhere (`deny_unknown_fields`).
//!
//! These are the *file* types: references are still names and instants may be relative.
//! [`super::validate`] checks them and [`super::expand`] turns them into a runnable plan.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::retry_spec::{JitterSpec, RetrySpec};
use crate::logic::sync::{BackoffSettings, ConnectionState, SpreadingSettings};
use crate::time::{At, Duration};
pub use crate::world::dist::DurationDist;

/// A scenario: what happens, to what, for how long, and what the report must show.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Optional: the JSON Schema editors should use (e.g. "../docs/scenario.schema.json").
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
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
    /// The host's scheduled jobs and their runner.
    #[serde(default)]
    pub cron: CronSection,
    /// Uptime Kuma push monitors.
    #[serde(default)]
    pub kuma: KumaSection,
    /// Bridge payment links, payers, webhooks and the ERP's recovery job.
    #[serde(default)]
    pub payments: Option<super::payments::PaymentsSection>,
    /// What the network does on each link.
    #[serde(default)]
    pub faults: crate::world::network::faults::FaultsSpec,
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

/// Bank-connection synchronisation.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncSection {
    /// `autosync.frequency`: rule A's frequency when the connector has none (default 24h).
    #[serde(default = "default_autosync_frequency")]
    pub autosync_frequency: Duration,
    /// `autosync.retry_wrongpass`: 1 (default) retries after 7 days, 0 waits for a new password.
    #[serde(default = "default_retry_wrongpass")]
    pub retry_wrongpass: u8,
    /// Whether a user action restarts rule C's row of `wrongpass` statuses. false (default): it
    /// does not — seed 002 counts "2 'wrongpass' consécutifs" and a user action is not a status,
    /// so a wrongpass right after a new password is the 2nd in a row (+7 days, or wait for the
    /// user with `retry_wrongpass` 0). true: the row restarts (+12 h again), the model before
    /// issue 14. Rule D's row restarts on a user action either way.
    #[serde(default)]
    pub wrongpass_row_resets_on_user_action: bool,
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
            wrongpass_row_resets_on_user_action: false,
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
    /// The host's system cron stops calling the runner.
    CronStop { at: At },
    /// The host's system cron calls the runner again (from the next tick).
    CronStart { at: At },
    /// The next run of `job` starting at or after `at` dies mid-run (fatal error, kill): the
    /// job stays `processing` and is skipped until a clean-up (stuck job).
    JobCrash { at: At, job: u32 },
    /// The next run of `job` waits `duration` on the network before finishing normally.
    JobHang { at: At, job: u32, duration: Duration },
    /// The next `count` runs of `job` end in error.
    JobError {
        at: At,
        job: u32,
        #[serde(default = "one")]
        count: u32,
    },
    /// "Exécuter maintenant": run the job at once, then reprogram it.
    RunNow { at: At, job: u32 },
    /// Reset jobs whose process is gone (Dolibarr's optional clean-up).
    CleanupDeadJobs { at: At },
    /// Kuma stops for `duration`, then starts again (every check chain restarts).
    KumaRestart { at: At, duration: Duration },
    /// A maintenance window on a monitor.
    KumaMaintenance { at: At, monitor: String, duration: Duration },
    /// The user pauses `monitor` in Kuma (its pending check is cancelled, pushes get 404).
    KumaMonitorPause { at: At, monitor: String },
    /// The user resumes `monitor`: its chain restarts, first check a full interval later.
    KumaMonitorResume { at: At, monitor: String },
    /// The user deletes `monitor`: gone for good, its token unknown.
    KumaMonitorDelete { at: At, monitor: String },
    /// The user saves new settings for `monitor` (only the fields given change): the pending
    /// check is cancelled, the next one comes a full (new) interval after the save.
    KumaMonitorEdit {
        at: At,
        monitor: String,
        #[serde(default)]
        interval_s: Option<u32>,
        #[serde(default)]
        retry_interval_s: Option<u32>,
        #[serde(default)]
        max_retries: Option<u32>,
        #[serde(default)]
        resend_interval: Option<u32>,
        #[serde(default)]
        upside_down: Option<bool>,
        #[serde(default)]
        timer_lateness_ms: Option<LatenessSpec>,
    },
    /// A push to `monitor` at this instant, as a script or `curl` would send it: `GET
    /// /api/push/<token>?status=&msg=&ping=` with only the parameters given (Kuma reads a
    /// missing `status` as up, a missing `msg` as "OK"), through the `kuma_push` fault plan and
    /// the transport, one attempt and no retry. Reproduces a push log or an experiment without
    /// inventing jobs.
    KumaPush {
        at: At,
        monitor: String,
        #[serde(default)]
        status: Option<PushStatusWord>,
        #[serde(default)]
        msg: Option<String>,
        /// The response time Kuma stores, in ms (`ping`).
        #[serde(default)]
        ping: Option<f64>,
    },
    /// `count` forged deliveries reach the webhook receiver: bodies claiming `ACSC` for real
    /// payment requests, signed with a wrong secret (reject with 401 and record).
    WebhookForged {
        at: At,
        #[serde(default = "one")]
        count: u32,
    },
    /// Someone replays the last `count` deliveries the receiver accepted, byte for byte, with
    /// their valid signatures: idempotency must absorb them.
    WebhookReplay {
        at: At,
        #[serde(default = "one")]
        count: u32,
    },
    /// Bridge rotates the webhook secret: for `overlap` it signs with both secrets (two header
    /// values), then with the new one only. The ERP's operator installs the new secret
    /// `erp_updates_after` the rotation began.
    WebhookSecretRotation { at: At, overlap: Duration, erp_updates_after: Duration },
}

fn one() -> u32 {
    1
}

/// The `status` of a push URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushStatusWord {
    Up,
    Down,
}

impl PushStatusWord {
    pub fn as_str(self) -> &'static str {
        match self {
            PushStatusWord::Up => "up",
            PushStatusWord::Down => "down",
        }
    }
}

impl TimelineEvent {
    pub fn at(&self) -> At {
        match self {
            TimelineEvent::BankState { at, .. }
            | TimelineEvent::UserAction { at, .. }
            | TimelineEvent::ConnectionUnavailable { at, .. }
            | TimelineEvent::ConnectorOutage { at, .. }
            | TimelineEvent::CronStop { at }
            | TimelineEvent::CronStart { at }
            | TimelineEvent::JobCrash { at, .. }
            | TimelineEvent::JobHang { at, .. }
            | TimelineEvent::JobError { at, .. }
            | TimelineEvent::RunNow { at, .. }
            | TimelineEvent::CleanupDeadJobs { at }
            | TimelineEvent::KumaRestart { at, .. }
            | TimelineEvent::KumaMaintenance { at, .. }
            | TimelineEvent::KumaPush { at, .. }
            | TimelineEvent::KumaMonitorPause { at, .. }
            | TimelineEvent::KumaMonitorResume { at, .. }
            | TimelineEvent::KumaMonitorDelete { at, .. }
            | TimelineEvent::KumaMonitorEdit { at, .. }
            | TimelineEvent::WebhookForged { at, .. }
            | TimelineEvent::WebhookReplay { at, .. }
            | TimelineEvent::WebhookSecretRotation { at, .. } => *at,
        }
    }
}

/// Scheduled jobs run by a Dolibarr-style runner.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CronSection {
    /// How often the host's system cron calls the runner.
    #[serde(default = "default_tick")]
    pub tick: Duration,
    /// Reset stuck jobs (processing, process gone) at the start of every pass (optional in Dolibarr).
    #[serde(default)]
    pub cleanup_dead_jobs: bool,
    /// In which calendar a monthly job ("1mo") adds its months: "utc" (default, Dolibarr's own
    /// default) or "zone" (the scenario's time_zone, as Dolibarr with
    /// `MAIN_DATE_IN_MEMORY_ARE_NOT_GMT = 1`, or before 13.0). See [`MonthsIn`].
    #[serde(default)]
    pub months_in: MonthsIn,
    #[serde(default)]
    pub jobs: Vec<JobFileSpec>,
}

impl Default for CronSection {
    fn default() -> Self {
        CronSection { tick: default_tick(), cleanup_dead_jobs: false, months_in: MonthsIn::default(), jobs: Vec::new() }
    }
}

/// `cron.months_in`: where Dolibarr adds a monthly job's months (`reprogram_jobs()` in
/// `htdocs/cron/class/cronjob.class.php` calls `dol_time_plus_duree($this->datenextrun,
/// $this->frequency, 'm')` when `unitfrequency == 2678400`).
///
/// `dol_time_plus_duree` (`htdocs/core/lib/date.lib.php`, lines 126–176 at Dolibarr commit
/// 01a14ef9) builds `new DateTime()` in PHP's default zone (the server's) and, at line 172,
/// `if (!getDolGlobalString('MAIN_DATE_IN_MEMORY_ARE_NOT_GMT')) $date->setTimezone(new
/// DateTimeZone('UTC'))` before adding `P{n}M`. So by default the month is added to the UTC date
/// and time: a 10:00 CET (09:00 UTC) monthly job runs at 11:00 CEST in April. Older Dolibarr
/// had the opposite default (`if (!empty($conf->global->MAIN_DATE_IN_MEMORY_ARE_GMT))
/// $date->setTimezone(...UTC)`): the month was added in the server's zone, 10:00 stays 10:00.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MonthsIn {
    /// Current Dolibarr's default: months added to the UTC date and time.
    #[default]
    Utc,
    /// Months added to the local date and time in the scenario's `time_zone` (the PHP server's).
    Zone,
}

impl MonthsIn {
    pub fn calendar(self) -> crate::logic::cron::runner::MonthCalendar {
        match self {
            MonthsIn::Utc => crate::logic::cron::runner::MonthCalendar::Utc,
            MonthsIn::Zone => crate::logic::cron::runner::MonthCalendar::ScenarioZone,
        }
    }
}

fn default_tick() -> Duration {
    Duration::MINUTE
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFileSpec {
    pub id: u32,
    pub label: String,
    /// Lower runs first (Dolibarr: 55 by default).
    #[serde(default = "default_priority")]
    pub priority: i32,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The job's period, e.g. "300s" or "1d" (the recovery job's documentation gives both), or calendar months: "1mo".
    pub frequency: JobFrequency,
    /// First `datenextrun` (default: the start).
    #[serde(default)]
    pub first_run: Option<At>,
    #[serde(default)]
    pub datestart: Option<At>,
    #[serde(default)]
    pub dateend: Option<At>,
    /// How long a run takes (its own processing), default 1 s.
    #[serde(default = "default_job_duration")]
    pub duration: DurationDist,
    /// Share of runs that end in error at random.
    #[serde(default)]
    pub error_rate: f64,
    /// Push to a Kuma monitor after each run.
    #[serde(default)]
    pub heartbeat: Option<HeartbeatSpec>,
}

fn default_priority() -> i32 {
    55
}
fn yes() -> bool {
    true
}
fn default_job_duration() -> DurationDist {
    DurationDist::Fixed(Duration::SECOND)
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatSpec {
    /// The `id` of a monitor in `kuma.monitors`.
    pub monitor: String,
    /// Push `status=down` after a failed run instead of nothing.
    #[serde(default)]
    pub push_on_error: bool,
    #[serde(default)]
    pub retry: RetrySpec,
    /// How the report's Healthchecks checks watch this job (they judge the same pushes).
    #[serde(default, skip_serializing_if = "HealthchecksSpec::is_default")]
    pub healthchecks: HealthchecksSpec,
}

/// The Healthchecks side of a heartbeat: what the job would also send, and the cron check's zone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthchecksSpec {
    /// The job also pings `/start` when a run begins: a run not finished within the grace then
    /// alerts (Healthchecks `get_status`), which catches a hung run sooner and turns a run longer
    /// than the grace into an alert. Off by default.
    #[serde(default)]
    pub start: bool,
    /// The cron check's time zone (IANA name, Healthchecks' "Server's Time Zone"); default: the
    /// scenario's `time_zone`.
    #[serde(default)]
    pub tz: Option<String>,
}

impl HealthchecksSpec {
    pub fn is_default(&self) -> bool {
        *self == HealthchecksSpec::default()
    }
}

/// A job's period: a fixed duration, or calendar months (Dolibarr adds months with PHP's
/// `DateInterval`, so Jan 31 + 1 month = Mar 3; see `logic::cron::runner::add_months`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobFrequency {
    Every(Duration),
    Months(u32),
}

impl JobFrequency {
    /// A fixed length for figures that need one (grace periods, call estimates): 30 days a month.
    pub fn nominal(self) -> Duration {
        match self {
            JobFrequency::Every(d) => d,
            JobFrequency::Months(n) => Duration::from_days(30 * n as i64),
        }
    }
    /// The next grid slot after `t` (Dolibarr's repeated addition), months added in `months`.
    pub fn next(
        self,
        t: crate::time::Instant,
        months: crate::logic::cron::runner::MonthCalendar,
        zone: crate::time::Zone,
    ) -> crate::time::Instant {
        match self {
            JobFrequency::Every(d) => t + d,
            JobFrequency::Months(n) => crate::logic::cron::runner::add_months(t, n, months, zone),
        }
    }
}

impl std::fmt::Display for JobFrequency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobFrequency::Every(d) => write!(f, "{d}"),
            JobFrequency::Months(n) => write!(f, "{n}mo"),
        }
    }
}

impl Serialize for JobFrequency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for JobFrequency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let months = text.strip_suffix("mo").and_then(|n| n.parse::<u32>().ok()).filter(|n| (1..=120).contains(n));
        match months {
            Some(n) => Ok(JobFrequency::Months(n)),
            None => crate::time::parse_duration(&text).map(JobFrequency::Every).map_err(|_| {
                serde::de::Error::custom(format!(
                    "expected a period such as \"300s\", \"1h\", \"1d\" or \"1mo\" (calendar months), found {text:?}"
                ))
            }),
        }
    }
}

impl JsonSchema for JobFrequency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JobFrequency".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A job's period: a duration (\"300s\", \"1h\", \"1d\") or calendar months (\"1mo\", \"3mo\").",
            "examples": ["300s", "1h", "1d", "1mo"]
        })
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KumaSection {
    /// Which Kuma: "2" (default, 2.x) or "1.23" (down pushes skip the retries, retries kept in
    /// memory and lost on restart, no ping check).
    #[serde(default)]
    pub version: KumaVersionSpec,
    /// When Kuma starts (default: the start): check chains begin a full interval later.
    #[serde(default)]
    pub started: Option<At>,
    #[serde(default)]
    pub monitors: Vec<MonitorSpec>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum KumaVersionSpec {
    #[default]
    #[serde(rename = "2")]
    V2,
    #[serde(rename = "1.23")]
    V1_23,
}

/// A push monitor (Kuma's own field names in snake case).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorSpec {
    pub id: String,
    /// The push token (default: the id).
    #[serde(default)]
    pub token: Option<String>,
    /// Heartbeat interval I in seconds (an hourly job of about a minute with a 60 s margin: 3600 + 60 + 60 = 3720).
    pub interval_s: u32,
    /// Retry interval R in seconds (0: use I).
    #[serde(default)]
    pub retry_interval_s: u32,
    /// Retries N before DOWN.
    #[serde(default)]
    pub max_retries: u32,
    /// A DOWN reminder every K DOWN beats (0: never).
    #[serde(default)]
    pub resend_interval: u32,
    /// `upsideDown`: each push's status is flipped (UP is stored DOWN) and silence is UP.
    #[serde(default)]
    pub upside_down: bool,
    /// `active`: false for a monitor paused in Kuma, which answers its pushes 404 and never
    /// checks or notifies (`api-router.js`: `push_token = ? AND active = 1`). Default true.
    #[serde(default = "yes")]
    pub active: bool,
    /// When the user creates the monitor in Kuma (default: it exists from the start). Before
    /// it, its token is unknown (404) and it has no check chain; at it, an active monitor's
    /// chain starts, first check a full interval later (`server.js` `add`: `startMonitor`).
    #[serde(default)]
    pub created: Option<At>,
    /// How late Node.js fires each timer of the check chain *(model choice, default 1 ms)*:
    /// a number of ms, `{"uniform": [lo, hi]}`, `{"table": [[ms, weight], ...]}`, or
    /// `"kuma-2.5.3-measured"` (the table measured on a real Kuma 2.5.3 server). Drawn per
    /// timer from the monitor's own random stream.
    #[serde(default = "default_lateness")]
    pub timer_lateness_ms: LatenessSpec,
}

fn default_lateness() -> LatenessSpec {
    LatenessSpec::Constant(1)
}

/// `timer_lateness_ms`: a constant, a named preset, a uniform range or a weighted table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LatenessSpec {
    /// Every timer this many ms late.
    Constant(i64),
    /// A named table.
    Preset(LatenessPreset),
    /// Uniform in `[lo, hi]` ms.
    Uniform(UniformLateness),
    /// `[[ms, weight], ...]`: each value with probability weight / total.
    Table(TableLateness),
}

impl LatenessSpec {
    /// The model's lateness (validated values).
    pub fn lateness(&self) -> crate::world::kuma::monitor::TimerLateness {
        use crate::world::kuma::monitor::TimerLateness;
        match self {
            LatenessSpec::Constant(ms) => TimerLateness::Constant(*ms),
            LatenessSpec::Preset(LatenessPreset::Kuma253Measured) => TimerLateness::kuma_2_5_3_measured(),
            LatenessSpec::Uniform(UniformLateness { uniform: [lo, hi] }) => TimerLateness::Uniform { lo_ms: *lo, hi_ms: *hi },
            LatenessSpec::Table(TableLateness { table }) => TimerLateness::Table(table.as_slice().into()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LatenessPreset {
    /// Measured on Uptime Kuma 2.5.3 (124 beats): 1 ms ×37, 2 ×53, 3 ×28, 4 ×5, 5 ×1.
    #[serde(rename = "kuma-2.5.3-measured")]
    Kuma253Measured,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UniformLateness {
    pub uniform: [i64; 2],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableLateness {
    pub table: Vec<(i64, u64)>,
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
    /// The sync section's `wrongpass_row_resets_on_user_action` for this variant.
    #[serde(default)]
    pub wrongpass_row_resets_on_user_action: Option<bool>,
    #[serde(default)]
    pub autosync_frequency: Option<Duration>,
    /// Job frequencies by job id, e.g. `{"1": "300s"}`: compares the seed's two settings of
    /// the recovery job (its documentation says "every day" and "300 seconds").
    #[serde(default)]
    pub job_frequency: BTreeMap<String, JobFrequency>,
    /// Overrides `payments.on_rejected_after_completion` (`new_link` or `report`): compares the
    /// ERP's two answers to a link whose confirmed payment the bank rejected.
    #[serde(default)]
    pub payments_on_rejected_after_completion: Option<crate::sim::scenario::payments::RejectedPolicy>,
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

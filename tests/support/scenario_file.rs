//! Typed builders for scenario files: a test says what its scenario holds (a connection created
//! at minute 37, a cron stop at +1d1h, an outage on the Kuma push link) and gets the document,
//! instead of splicing JSON text with `format!`. Each builder is a thin layer over the file
//! format (docs in `scenario::json_schema`): what a test does not set is absent from the file, so
//! the loader's defaults apply exactly as they would to a hand-written file.

use serde_json::{Map, Value, json};

/// A time offset from the scenario's start, as the file writes it (`+37m`, `+1d1h`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offset(String);

impl Offset {
    pub fn minutes(m: u32) -> Self {
        Offset(format!("+{m}m"))
    }
}

impl From<&str> for Offset {
    fn from(text: &str) -> Self {
        Offset(text.to_string())
    }
}

/// Minutes since the start: the unit every generator uses.
impl From<u32> for Offset {
    fn from(m: u32) -> Self {
        Offset::minutes(m)
    }
}

/// A length of time as the file writes it, from whole minutes, seconds, milliseconds or hours.
pub fn minutes(m: u32) -> String {
    format!("{m}m")
}
pub fn seconds(s: u32) -> String {
    format!("{s}s")
}
pub fn millis(ms: u32) -> String {
    format!("{ms}ms")
}
pub fn hours(h: u32) -> String {
    format!("{h}h")
}

/// `{"fixed": d}` or `{"uniform": [lo, hi]}`: a duration distribution.
pub fn fixed(d: &str) -> Value {
    json!({ "fixed": d })
}
pub fn uniform(lo: &str, hi: &str) -> Value {
    json!({ "uniform": [lo, hi] })
}

/// One entry of the timeline: what happens (the `at` is given to [`ScenarioFile::at`]).
#[derive(Clone, Debug)]
pub enum Event {
    /// The bank starts answering `state` for a connection (`ok`, `wrongpass`, `SCARequired`…).
    BankState {
        connection: String,
        state: String,
    },
    /// The connection's user acts (re-enters a password, confirms SCA).
    UserAction {
        connection: String,
    },
    ConnectorOutage {
        connector: String,
        duration: String,
    },
    /// The job's next `count` runs end in error (`None`: the file's default, one).
    JobError {
        job: u32,
        count: Option<u32>,
    },
    JobCrash {
        job: u32,
    },
    CleanupDeadJobs,
    CronStop,
    CronStart,
    RunNow {
        job: u32,
    },
    KumaMaintenance {
        monitor: String,
        duration: String,
    },
    KumaRestart {
        duration: String,
    },
    KumaMonitorEdit {
        monitor: String,
        interval_s: u32,
    },
    /// A scripted push with no `msg` or `ping`: `status=up`, or `status=down` when `down`.
    KumaPush {
        monitor: String,
        down: bool,
    },
    KumaMonitorDelete {
        monitor: String,
    },
    KumaMonitorPause {
        monitor: String,
    },
    KumaMonitorResume {
        monitor: String,
    },
    WebhookForged {
        count: u32,
    },
    WebhookReplay {
        count: u32,
    },
    WebhookSecretRotation {
        overlap: String,
        erp_updates_after: String,
    },
}

impl Event {
    fn to_json(&self, at: &Offset) -> Value {
        let at = at.0.as_str();
        match self {
            Event::BankState { connection, state } => {
                json!({"at": at, "event": "bank_state", "connection": connection, "state": state})
            }
            Event::UserAction { connection } => json!({"at": at, "event": "user_action", "connection": connection}),
            Event::ConnectorOutage { connector, duration } => {
                json!({"at": at, "event": "connector_outage", "connector": connector, "duration": duration})
            }
            Event::JobError { job, count: Some(n) } => json!({"at": at, "event": "job_error", "job": job, "count": n}),
            Event::JobError { job, count: None } => json!({"at": at, "event": "job_error", "job": job}),
            Event::JobCrash { job } => json!({"at": at, "event": "job_crash", "job": job}),
            Event::CleanupDeadJobs => json!({"at": at, "event": "cleanup_dead_jobs"}),
            Event::CronStop => json!({"at": at, "event": "cron_stop"}),
            Event::CronStart => json!({"at": at, "event": "cron_start"}),
            Event::RunNow { job } => json!({"at": at, "event": "run_now", "job": job}),
            Event::KumaMaintenance { monitor, duration } => {
                json!({"at": at, "event": "kuma_maintenance", "monitor": monitor, "duration": duration})
            }
            Event::KumaRestart { duration } => json!({"at": at, "event": "kuma_restart", "duration": duration}),
            Event::KumaMonitorEdit { monitor, interval_s } => {
                json!({"at": at, "event": "kuma_monitor_edit", "monitor": monitor, "interval_s": interval_s})
            }
            Event::KumaPush { monitor, down: false } => json!({"at": at, "event": "kuma_push", "monitor": monitor}),
            Event::KumaPush { monitor, down: true } => json!({"at": at, "event": "kuma_push", "monitor": monitor, "status": "down"}),
            Event::KumaMonitorDelete { monitor } => json!({"at": at, "event": "kuma_monitor_delete", "monitor": monitor}),
            Event::KumaMonitorPause { monitor } => json!({"at": at, "event": "kuma_monitor_pause", "monitor": monitor}),
            Event::KumaMonitorResume { monitor } => json!({"at": at, "event": "kuma_monitor_resume", "monitor": monitor}),
            Event::WebhookForged { count } => json!({"at": at, "event": "webhook_forged", "count": count}),
            Event::WebhookReplay { count } => json!({"at": at, "event": "webhook_replay", "count": count}),
            Event::WebhookSecretRotation { overlap, erp_updates_after } => json!({
                "at": at, "event": "webhook_secret_rotation", "overlap": overlap, "erp_updates_after": erp_updates_after
            }),
        }
    }
}

/// How an outage on a link fails its calls.
#[derive(Clone, Copy, Debug)]
pub enum OutageKind {
    Refused,
    NoAnswer,
    Status(u16),
}

/// The fault plan of one link (`faults.<link>`): outages, random error answers, latency.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    outages: Vec<Value>,
    errors: Vec<Value>,
    latency: Option<Value>,
}

impl Faults {
    pub fn new() -> Self {
        Faults::default()
    }
    pub fn outage(mut self, at: impl Into<Offset>, duration: &str, kind: Option<OutageKind>) -> Self {
        let mut o = json!({"at": at.into().0, "duration": duration});
        if let Some(kind) = kind {
            o["kind"] = match kind {
                OutageKind::Refused => json!("refused"),
                OutageKind::NoAnswer => json!("no_answer"),
                OutageKind::Status(s) => json!({ "status": s }),
            };
        }
        self.outages.push(o);
        self
    }
    /// With `probability`, a call is answered `status` (with `Retry-After` when given).
    pub fn error(mut self, probability: f64, status: u16, retry_after: Option<&str>) -> Self {
        let mut e = json!({"probability": probability, "status": status});
        if let Some(r) = retry_after {
            e["retry_after"] = json!(r);
        }
        self.errors.push(e);
        self
    }
    /// Latency as a duration distribution ([`fixed`], [`uniform`]).
    pub fn latency(mut self, dist: Value) -> Self {
        self.latency = Some(dist);
        self
    }
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if !self.outages.is_empty() {
            m.insert("outages".into(), Value::Array(self.outages.clone()));
        }
        if !self.errors.is_empty() {
            m.insert("errors".into(), Value::Array(self.errors.clone()));
        }
        if let Some(l) = &self.latency {
            m.insert("latency".into(), l.clone());
        }
        Value::Object(m)
    }
}

/// A cron job (`cron.jobs[]`); optional members stay out of the file until set.
#[derive(Clone, Debug)]
pub struct Job(Map<String, Value>);

impl Job {
    pub fn new(id: u32, label: &str, frequency: &str) -> Self {
        let Value::Object(m) = json!({"id": id, "label": label, "frequency": frequency}) else { unreachable!() };
        Job(m)
    }
    pub fn first_run(self, at: &str) -> Self {
        self.set("first_run", json!(at))
    }
    /// How long a run processes: [`fixed`] or [`uniform`].
    pub fn duration(self, dist: Value) -> Self {
        self.set("duration", dist)
    }
    /// The job pushes to `monitor` after each successful run.
    pub fn heartbeat(self, monitor: &str) -> Self {
        self.set("heartbeat", json!({ "monitor": monitor }))
    }
    /// The push's retry policy, as the file writes it (`heartbeat.retry`); after [`Job::heartbeat`].
    pub fn heartbeat_retry(mut self, retry: Value) -> Self {
        self.0["heartbeat"]["retry"] = retry;
        self
    }
    fn set(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.into(), value);
        self
    }
}

/// A Kuma push monitor (`kuma.monitors[]`).
#[derive(Clone, Debug)]
pub struct Monitor(Map<String, Value>);

impl Monitor {
    pub fn new(id: &str, interval_s: u32) -> Self {
        let Value::Object(m) = json!({"id": id, "interval_s": interval_s}) else { unreachable!() };
        Monitor(m)
    }
    pub fn max_retries(mut self, n: u32) -> Self {
        self.0.insert("max_retries".into(), json!(n));
        self
    }
    pub fn retry_interval_s(mut self, s: u32) -> Self {
        self.0.insert("retry_interval_s".into(), json!(s));
        self
    }
    pub fn timer_lateness_ms(mut self, ms: i64) -> Self {
        self.0.insert("timer_lateness_ms".into(), json!(ms));
        self
    }
    /// Created in Kuma at `at` instead of existing from the start.
    pub fn created(mut self, at: impl Into<Offset>) -> Self {
        self.0.insert("created".into(), json!(at.into().0));
        self
    }
}

/// The sync section: connectors, connections or populations, and the policies.
#[derive(Clone, Debug, Default)]
pub struct Sync(Map<String, Value>);

impl Sync {
    pub fn new() -> Self {
        Sync::default()
    }
    /// A connector; `capacity` is attempts per minute (absent: unlimited).
    pub fn connector(self, id: &str, capacity: Option<u32>) -> Self {
        let c = match capacity {
            Some(c) => json!({"id": id, "capacity": c}),
            None => json!({ "id": id }),
        };
        self.push("connectors", c)
    }
    /// A connection on `connector`, created at `created` (absent: at the start).
    pub fn connection(self, id: &str, connector: &str, created: Option<Offset>) -> Self {
        let c = match created {
            Some(at) => json!({"id": id, "connector": connector, "created": at.0}),
            None => json!({"id": id, "connector": connector}),
        };
        self.push("connections", c)
    }
    /// `count` connections created uniformly between two offsets.
    pub fn population(self, name: &str, count: u32, between: (&str, &str)) -> Self {
        self.push("populations", json!({"name": name, "count": count, "created": {"between": [between.0, between.1]}}))
    }
    pub fn retry_wrongpass(self, n: u32) -> Self {
        self.set("retry_wrongpass", json!(n))
    }
    pub fn wrongpass_row_resets_on_user_action(self, resets: bool) -> Self {
        self.set("wrongpass_row_resets_on_user_action", json!(resets))
    }
    /// A spreading policy with its settings, e.g. `policy("fixed")`.
    pub fn spreading(self, policy: Value) -> Self {
        self.set("spreading", policy)
    }
    pub fn backoff(self, policy: Value) -> Self {
        self.set("backoff", policy)
    }
    fn set(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.into(), value);
        self
    }
    fn push(mut self, key: &str, value: Value) -> Self {
        match self.0.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(a) => a.push(value),
            _ => unreachable!("{key} is a list"),
        }
        self
    }
}

/// `{"policy": name}`: a spreading or backoff policy without settings.
pub fn policy(name: &str) -> Value {
    json!({ "policy": name })
}

/// A whole scenario file. `new` sets what every file has (name, start, duration); the rest is
/// added in any order and written out by [`ScenarioFile::text`].
#[derive(Clone, Debug)]
pub struct ScenarioFile {
    doc: Map<String, Value>,
    timeline: Vec<Value>,
}

impl ScenarioFile {
    pub fn new(name: &str, start: &str, duration: &str) -> Self {
        let Value::Object(doc) = json!({"name": name, "start": start, "duration": duration}) else { unreachable!() };
        ScenarioFile { doc, timeline: Vec::new() }
    }
    pub fn seed(self, seed: u64) -> Self {
        self.set("seed", json!(seed))
    }
    pub fn start(self, start: &str) -> Self {
        self.set("start", json!(start))
    }
    pub fn duration(self, duration: &str) -> Self {
        self.set("duration", json!(duration))
    }
    pub fn time_zone(self, zone: &str) -> Self {
        self.set("time_zone", json!(zone))
    }
    pub fn sync(self, sync: Sync) -> Self {
        self.set("sync", Value::Object(sync.0))
    }
    /// The host's cron calls the runner every `tick` (`None`: the file's default) and runs `jobs`.
    pub fn cron(self, tick: Option<&str>, jobs: Vec<Job>) -> Self {
        let jobs: Vec<Value> = jobs.into_iter().map(|j| Value::Object(j.0)).collect();
        self.set(
            "cron",
            match tick {
                Some(t) => json!({"tick": t, "jobs": jobs}),
                None => json!({ "jobs": jobs }),
            },
        )
    }
    /// `cron.months_in` (`"utc"` or `"zone"`); call after [`ScenarioFile::cron`].
    pub fn months_in(mut self, months_in: &str) -> Self {
        self.doc.entry("cron").or_insert_with(|| json!({}))["months_in"] = json!(months_in);
        self
    }
    pub fn kuma(self, monitors: Vec<Monitor>) -> Self {
        let monitors: Vec<Value> = monitors.into_iter().map(|m| Value::Object(m.0)).collect();
        self.set("kuma", json!({ "monitors": monitors }))
    }
    /// The payments section as the file writes it (only the payments properties use it whole).
    pub fn payments(self, payments: Value) -> Self {
        self.set("payments", payments)
    }
    /// The fault plan of `link` (`kuma_push`, `bridge_api`, `webhooks`).
    pub fn faults(mut self, link: &str, faults: &Faults) -> Self {
        let all = self.doc.entry("faults").or_insert_with(|| json!({}));
        all[link] = faults.to_json();
        self
    }
    /// An empty fault plan (`"faults": {}`), as a generator writes when it draws no fault.
    pub fn no_faults(self) -> Self {
        self.set("faults", json!({}))
    }
    /// A timeline entry; entries keep the order they are given in.
    pub fn at(mut self, at: impl Into<Offset>, event: Event) -> Self {
        self.timeline.push(event.to_json(&at.into()));
        self
    }
    /// A variant (name and the settings it changes), as the file writes it.
    pub fn variant(self, variant: Value) -> Self {
        self.push("variants", variant)
    }
    /// An expectation: `metric op value`.
    pub fn expect(self, metric: &str, op: &str, value: Value) -> Self {
        self.push("expect", json!({"metric": metric, "op": op, "value": value}))
    }
    /// The `report` section (warm-up, sampling).
    pub fn report(self, report: Value) -> Self {
        self.set("report", report)
    }
    /// The document. A timeline is written when an event was added or [`ScenarioFile::timeline`]
    /// asked for one.
    pub fn json(&self) -> Value {
        let mut doc = self.doc.clone();
        if !self.timeline.is_empty() {
            doc.insert("timeline".into(), Value::Array(self.timeline.clone()));
        }
        Value::Object(doc)
    }
    /// `"timeline": []` even when no event is added (generators always write one).
    pub fn timeline(mut self) -> Self {
        self.doc.insert("timeline".into(), Value::Array(Vec::new()));
        self
    }
    /// The file's text (pretty-printed, so that a kept failing case reads well).
    pub fn text(&self) -> String {
        serde_json::to_string_pretty(&self.json()).expect("a JSON value prints")
    }
    fn set(mut self, key: &str, value: Value) -> Self {
        self.doc.insert(key.into(), value);
        self
    }
    fn push(mut self, key: &str, value: Value) -> Self {
        match self.doc.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(a) => a.push(value),
            _ => unreachable!("{key} is a list"),
        }
        self
    }
}

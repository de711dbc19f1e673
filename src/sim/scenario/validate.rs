//! Semantic checks of a parsed scenario: references, ranges and size limits (DESIGN "Errors and
//! limits"). Every problem is collected; the result is a [`Scenario`] that can be expanded and run.

use std::collections::BTreeSet;

use super::field_path::FieldPath;
use super::finding::Finding;
use super::model::*;
use super::nearest::nearest;
use super::payments::PaymentsSection;
use crate::logic::sync::{ConnectionState, SpreadingSettings};
use crate::time::{At, Duration, Instant, Zone};

/// At most this many connections in a scenario (they are `u32`-indexed, 100 bytes or less each).
pub const MAX_CONNECTIONS: u64 = 2_000_000;
pub const MAX_DURATION: Duration = Duration::from_days(400);
pub const MAX_TIMELINE_EVENTS: usize = 1_000_000;
/// Expected number of generated incidents (population `incidents`) at most.
pub const MAX_GENERATED_EVENTS: f64 = 5_000_000.0;
pub const MAX_CONNECTORS: usize = 1_000;
pub const MAX_VARIANTS: usize = 16;
pub const MAX_FRESHNESS_SAMPLES: i64 = 100_000;
/// Runner passes at most (duration / tick).
pub const MAX_CRON_TICKS: i64 = 2_000_000;
/// Kuma's own largest monitor interval, 24 days (`MAX_INTERVAL_SECOND = 2073600` in Kuma's
/// `src/util.ts`): above 2^31 - 1 ms (about 24.8 days) Node's `setTimeout` fires after 1 ms,
/// which the model copies, so a longer interval would make a run re-check every millisecond.
pub const MAX_MONITOR_INTERVAL_S: u32 = 2_073_600;

/// A checked scenario: the file as written plus the values resolved from it.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub file: ScenarioFile,
    pub start: Instant,
    pub end: Instant,
    pub zone: Zone,
}

impl Scenario {
    pub fn resolve(&self, at: At) -> Instant {
        at.resolve(self.start)
    }
    /// The variants to simulate: the file's, or one `baseline` with the scenario's settings.
    pub fn variants(&self) -> Vec<Variant> {
        if self.file.variants.is_empty() {
            vec![Variant {
                name: "baseline".into(),
                spreading: None,
                backoff: None,
                retry_wrongpass: None,
                wrongpass_row_resets_on_user_action: None,
                autosync_frequency: None,
                job_frequency: Default::default(),
                payments_on_rejected_after_completion: None,
            }]
        } else {
            self.file.variants.clone()
        }
    }
    pub fn connection_count(&self) -> u64 {
        self.file.sync.connections.len() as u64 + self.file.sync.populations.iter().map(|p| p.count).sum::<u64>()
    }
}

/// The latest end of a run: 9999-01-01T00:00:00Z.
const LATEST_END: Instant = Instant::from_ms(253_370_764_800_000);

fn is_file_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) && !s.starts_with('.')
}

const NAME_EXPECTED: &str = "a name of letters, digits, '-', '_' or '.' (1 to 100 characters)";

fn rate(v: f64, path: FieldPath, out: &mut Vec<Finding>) {
    if !(0.0..=1.0).contains(&v) || v.is_nan() {
        out.push(Finding::new(path, "a probability between 0 and 1", v.to_string()));
    }
}

pub fn validate(file: ScenarioFile) -> Result<Scenario, Vec<Finding>> {
    let mut out = Vec::new();
    let (start, zone, end) = when(&file, &mut out);
    let mut check = Checker::new(&file, out, start);
    check.sync_settings();
    check.connectors();
    check.connections();
    check.populations();
    check.kuma();
    check.cron();
    check.payments();
    check.link_faults();
    check.bank_faults();
    check.timeline();
    check.variants();
    check.report();
    check.expect();
    let out = check.out;
    if out.is_empty() { Ok(Scenario { file, start, end, zone }) } else { Err(out) }
}

/// The name, the start, the zone and the duration: the run's instants.
fn when(f: &ScenarioFile, out: &mut Vec<Finding>) -> (Instant, Zone, Instant) {
    if !is_file_name(&f.name) {
        out.push(Finding::new("name", NAME_EXPECTED, format!("{:?}", f.name)));
    }
    let start = match f.start {
        At::Absolute(i) => i,
        At::FromStart(d) => {
            out.push(Finding::new("start", "an RFC 3339 instant (the start cannot be relative)", format!("\"+{d}\"")));
            Instant(0)
        }
    };
    let zone = Zone::parse(&f.time_zone).unwrap_or_else(|e| {
        out.push(Finding::new("time_zone", e.expected, format!("{:?}", e.found)));
        Zone::parse("UTC").expect("UTC is a zone")
    });
    if f.duration <= Duration::ZERO || f.duration > MAX_DURATION {
        out.push(Finding::new("duration", "a duration above 0 and at most 400d", f.duration.to_string()));
    }
    let end = start + f.duration.clamp(Duration::ZERO, MAX_DURATION);
    // Reports and traces write instants in RFC 3339, whose years stop at 9999; the run also looks
    // ahead of its end (link expiries, retries, the next slot), so it must end a year before.
    if end > LATEST_END {
        out.push(Finding::new(
            "start",
            "a run that ends before 9999-01-01 (RFC 3339 years stop at 9999)",
            format!("an end at {}", end.to_rfc3339()),
        ));
    }
    (start, zone, end)
}

/// The checks of one file, section by section, in file order; each adds its findings to `out`
/// and the ids it declares for the sections after it.
struct Checker<'f> {
    f: &'f ScenarioFile,
    out: Vec<Finding>,
    start: Instant,
    /// The run's length in days (for per-day rates).
    days: f64,
    connector_ids: BTreeSet<&'f str>,
    connection_ids: BTreeSet<&'f str>,
    monitor_ids: BTreeSet<&'f str>,
    job_ids: BTreeSet<u32>,
}

impl<'f> Checker<'f> {
    fn new(f: &'f ScenarioFile, out: Vec<Finding>, start: Instant) -> Self {
        let days = f.duration.as_ms() as f64 / Duration::DAY.as_ms() as f64;
        Checker {
            f,
            out,
            start,
            days,
            connector_ids: BTreeSet::new(),
            connection_ids: BTreeSet::new(),
            monitor_ids: BTreeSet::new(),
            job_ids: BTreeSet::new(),
        }
    }

    /// Whether `name` is a declared connection or `<population>#<index>` of a declared one.
    fn connection_exists(&self, name: &str) -> bool {
        if self.connection_ids.contains(name) {
            return true;
        }
        match name.split_once('#') {
            Some((pop, idx)) => match (self.f.sync.populations.iter().find(|p| p.name == pop), idx.parse::<u64>()) {
                (Some(p), Ok(i)) => i < p.count,
                _ => false,
            },
            None => false,
        }
    }

    /// An instant of the file must be at or after the start.
    fn in_run(&mut self, at: At, path: FieldPath) {
        let t = at.resolve(self.start);
        if t < self.start {
            self.out.push(Finding::new(path, "an instant at or after the start", t.to_rfc3339()));
        }
    }

    /// `sync`'s settings: rules C and A, the spreading policy.
    fn sync_settings(&mut self) {
        let s = &self.f.sync;
        let sp = &FieldPath::keys("sync");
        if s.retry_wrongpass > 1 {
            self.out.push(Finding::new(sp.key("retry_wrongpass"), "0 or 1", s.retry_wrongpass.to_string()));
        }
        if s.autosync_frequency < Duration::MINUTE {
            self.out.push(Finding::new(sp.key("autosync_frequency"), "at least 1m", s.autosync_frequency.to_string()));
        }
        check_spreading(&s.spreading, &sp.key("spreading"), &mut self.out);
    }

    /// `sync.connectors`: unique ids, frequencies, capacity and weights.
    fn connectors(&mut self) {
        let s = &self.f.sync;
        let sp = &FieldPath::keys("sync");
        if s.connectors.len() > MAX_CONNECTORS {
            self.out.push(Finding::new(
                sp.key("connectors"),
                format!("at most {MAX_CONNECTORS} connectors"),
                s.connectors.len().to_string(),
            ));
        }
        for (i, c) in s.connectors.iter().enumerate() {
            let p = sp.key("connectors").index(i);
            if c.id.is_empty() || !self.connector_ids.insert(c.id.as_str()) {
                self.out.push(Finding::new(p.key("id"), "a unique, non-empty connector id", format!("{:?}", c.id)));
            }
            match (c.sync_frequency, c.sync_periodicity) {
                (Some(_), Some(_)) => self.out.push(Finding::new(
                    p.key("sync_periodicity"),
                    "either sync_frequency or its alias sync_periodicity, not both",
                    "both",
                )),
                (Some(d), None) if d < Duration::MINUTE => {
                    self.out.push(Finding::new(p.key("sync_frequency"), "at least 1m", d.to_string()))
                }
                (None, Some(days)) if !(days.is_finite() && days * 1440.0 >= 1.0 && days <= 365.0) => self.out.push(Finding::new(
                    p.key("sync_periodicity"),
                    "a number of days between 1 minute (0.000695) and 365",
                    days.to_string(),
                )),
                _ => {}
            }
            if c.capacity == Some(0) {
                self.out.push(Finding::new(p.key("capacity"), "at least 1 per minute (omit it for no limit)", "0"));
            }
            if c.weight > 1_000_000 {
                self.out.push(Finding::new(p.key("weight"), "a weight of at most 1000000", c.weight.to_string()));
            }
        }
    }

    /// `sync.connections`: unique ids on declared connectors, created within the run.
    fn connections(&mut self) {
        let s = &self.f.sync;
        let sp = &FieldPath::keys("sync");
        for (i, c) in s.connections.iter().enumerate() {
            let p = sp.key("connections").index(i);
            if c.id.is_empty() || c.id.contains('#') || !self.connection_ids.insert(c.id.as_str()) {
                self.out.push(Finding::new(p.key("id"), "a unique, non-empty connection id without '#'", format!("{:?}", c.id)));
            }
            if !self.connector_ids.contains(c.connector.as_str()) {
                self.out.push(Finding::new(
                    p.key("connector"),
                    known("connector", &self.connector_ids, &c.connector),
                    format!("{:?}", c.connector),
                ));
            }
            self.in_run(c.created, p.key("created"));
            rate(c.transient_error_rate, p.key("transient_error_rate"), &mut self.out);
        }
    }

    /// `sync.populations`, and the limits on connections and generated incidents.
    fn populations(&mut self) {
        let (f, start) = (self.f, self.start);
        let s = &f.sync;
        let sp = &FieldPath::keys("sync");
        let days = f.duration.as_ms() as f64 / Duration::DAY.as_ms() as f64;
        let mut total = s.connections.len() as u64;
        let mut generated = 0.0;
        let mut population_names = BTreeSet::new();
        for (i, pop) in s.populations.iter().enumerate() {
            let p = sp.key("populations").index(i);
            if !is_file_name(&pop.name) || !population_names.insert(pop.name.as_str()) {
                self.out.push(Finding::new(p.key("name"), format!("a unique {NAME_EXPECTED}"), format!("{:?}", pop.name)));
            }
            if pop.count == 0 {
                self.out.push(Finding::new(p.key("count"), "at least 1", "0"));
            }
            total = total.saturating_add(pop.count);
            for (name, w) in &pop.connectors {
                if !self.connector_ids.contains(name.as_str()) {
                    self.out.push(Finding::new(
                        p.key("connectors").key(name),
                        known("connector", &self.connector_ids, name),
                        format!("{name:?}"),
                    ));
                }
                if *w > 1_000_000 {
                    self.out.push(Finding::new(p.key("connectors").key(name), "a weight of at most 1000000", w.to_string()));
                }
            }
            let weight_sum: u64 = if pop.connectors.is_empty() {
                s.connectors.iter().map(|c| c.weight as u64).sum()
            } else {
                pop.connectors.values().map(|&w| w as u64).sum()
            };
            if weight_sum == 0 {
                self.out.push(Finding::new(p.key("connectors"), "at least one connector with a weight above 0", "none"));
            }
            match pop.created {
                Creation::At(at) => self.in_run(at, p.key("created").key("at")),
                Creation::Between([a, b]) => {
                    self.in_run(a, p.key("created").key("between"));
                    if b.resolve(start) < a.resolve(start) {
                        self.out.push(Finding::new(p.key("created").key("between"), "[earlier, later]", "the later instant first"));
                    }
                }
            }
            rate(pop.transient_error_rate, p.key("transient_error_rate"), &mut self.out);
            for (k, inc) in pop.incidents.iter().enumerate() {
                let ip = p.key("incidents").index(k);
                if inc.state == ConnectionState::Ok || inc.state.class() == crate::logic::sync::StateClass::Transient {
                    self.out.push(Finding::new(
                        ip.key("state"),
                        "wrongpass or a user-action state (SCARequired, webauthRequired, ...)",
                        inc.state.as_str(),
                    ));
                }
                rate(inc.per_day, ip.key("per_day"), &mut self.out);
                if let Some(DurationDist::Uniform([a, b])) = inc.user_fixes_after {
                    if b < a {
                        self.out.push(Finding::new(ip.key("user_fixes_after"), "[shorter, longer]", format!("[{a}, {b}]")));
                    }
                }
                generated += pop.count as f64 * inc.per_day.clamp(0.0, 1.0) * days;
            }
        }
        if total > MAX_CONNECTIONS {
            self.out.push(Finding::new(sp.key("populations"), format!("at most {MAX_CONNECTIONS} connections in all"), total.to_string()));
        }
        if generated > MAX_GENERATED_EVENTS {
            self.out.push(Finding::new(
                sp.key("populations"),
                format!("at most {MAX_GENERATED_EVENTS} generated incidents (count × per_day × days)"),
                format!("about {}", generated.round()),
            ));
        }
        if total > 0 && s.connectors.is_empty() {
            self.out.push(Finding::new(sp.key("connectors"), "at least one connector", "none"));
        }
    }

    /// `kuma`: unique monitor ids and push tokens, intervals within Kuma's range.
    fn kuma(&mut self) {
        let f = self.f;
        let mut tokens = BTreeSet::new();
        for (i, m) in f.kuma.monitors.iter().enumerate() {
            let p = FieldPath::keys("kuma.monitors").index(i);
            if m.id.is_empty() || !self.monitor_ids.insert(m.id.as_str()) {
                self.out.push(Finding::new(p.key("id"), "a unique, non-empty monitor id", format!("{:?}", m.id)));
            }
            let token = m.token.clone().unwrap_or_else(|| m.id.clone());
            if token.is_empty() || token.contains(['/', '?', '#', ' ']) || !tokens.insert(token.clone()) {
                self.out.push(Finding::new(p.key("token"), "a unique push token without '/', '?', '#' or spaces", format!("{token:?}")));
            }
            if m.interval_s == 0 || m.interval_s > MAX_MONITOR_INTERVAL_S {
                let expected = format!("between 1 and {MAX_MONITOR_INTERVAL_S} seconds (Kuma's maximum, 24 days)");
                self.out.push(Finding::new(p.key("interval_s"), expected, m.interval_s.to_string()));
            }
            if m.retry_interval_s > MAX_MONITOR_INTERVAL_S {
                let expected = format!("at most {MAX_MONITOR_INTERVAL_S} seconds (Kuma's maximum, 24 days)");
                self.out.push(Finding::new(p.key("retry_interval_s"), expected, m.retry_interval_s.to_string()));
            }
            self.check_lateness(&p.key("timer_lateness_ms"), &m.timer_lateness_ms);
            if let Some(at) = m.created {
                self.in_run(at, p.key("created"));
            }
        }
        if let Some(at) = f.kuma.started {
            self.in_run(at, "kuma.started".into());
        }
    }

    /// `timer_lateness_ms`: every value a timer can take between 0 and 60 000 ms; a range in
    /// order; a table with at least one row and positive weights.
    fn check_lateness(&mut self, path: &FieldPath, spec: &LatenessSpec) {
        const RANGE: &str = "between 0 and 60000";
        let in_range = |ms: &i64| (0..=60_000).contains(ms);
        match spec {
            LatenessSpec::Constant(ms) if !in_range(ms) => self.out.push(Finding::new(path.clone(), RANGE, ms.to_string())),
            LatenessSpec::Uniform(UniformLateness { uniform: [lo, hi] }) => {
                let p = path.key("uniform");
                if !in_range(lo) || !in_range(hi) || lo > hi {
                    self.out.push(Finding::new(p, "[lo, hi] with 0 <= lo <= hi <= 60000", format!("[{lo}, {hi}]")));
                }
            }
            LatenessSpec::Table(TableLateness { table }) => {
                let p = path.key("table");
                if table.is_empty() {
                    self.out.push(Finding::new(p.clone(), "at least one [ms, weight] row", "none"));
                }
                for (i, (ms, weight)) in table.iter().enumerate() {
                    if !in_range(ms) || *weight == 0 || *weight > 1 << 40 {
                        let expected = "[ms, weight] with ms between 0 and 60000 and a weight between 1 and 2^40";
                        self.out.push(Finding::new(p.index(i), expected, format!("[{ms}, {weight}]")));
                    }
                }
            }
            _ => {}
        }
    }

    /// `cron`: the tick, unique job ids, instants within the run, heartbeats on declared monitors.
    fn cron(&mut self) {
        let f = self.f;
        let c = &f.cron;
        if c.tick < Duration::SECOND || c.tick > Duration::DAY {
            self.out.push(Finding::new("cron.tick", "between 1s and 1d", c.tick.to_string()));
        }
        if !c.jobs.is_empty() && f.duration.as_ms() / c.tick.as_ms().max(1) > MAX_CRON_TICKS {
            self.out.push(Finding::new("cron.tick", format!("at most {MAX_CRON_TICKS} ticks over the duration"), c.tick.to_string()));
        }
        for (i, j) in c.jobs.iter().enumerate() {
            let p = FieldPath::keys("cron.jobs").index(i);
            if !self.job_ids.insert(j.id) {
                self.out.push(Finding::new(p.key("id"), "a unique job id", j.id.to_string()));
            }
            if j.frequency.nominal() < Duration::SECOND {
                self.out.push(Finding::new(p.key("frequency"), "at least 1s", j.frequency.to_string()));
            }
            for (name, at) in [("first_run", j.first_run), ("datestart", j.datestart), ("dateend", j.dateend)] {
                if let Some(at) = at {
                    self.in_run(at, p.key(name));
                }
            }
            if let DurationDist::Uniform([a, b]) = j.duration {
                if b < a {
                    self.out.push(Finding::new(p.key("duration"), "[shorter, longer]", format!("[{a}, {b}]")));
                }
            }
            rate(j.error_rate, p.key("error_rate"), &mut self.out);
            if let Some(h) = &j.heartbeat {
                let hp = p.key("heartbeat");
                if !self.monitor_ids.contains(h.monitor.as_str()) {
                    self.out.push(Finding::new(
                        hp.key("monitor"),
                        known("monitor", &self.monitor_ids, &h.monitor),
                        format!("{:?}", h.monitor),
                    ));
                }
                check_retry(&h.retry, &hp.key("retry"), &mut self.out);
                if let Some(tz) = &h.healthchecks.tz {
                    if let Err(e) = Zone::parse(tz) {
                        self.out.push(Finding::new(hp.key("healthchecks").key("tz"), e.expected, format!("{:?}", e.found)));
                    }
                }
            }
        }
    }

    /// `payments`, against the declared jobs.
    fn payments(&mut self) {
        let f = self.f;
        if let Some(pay) = &f.payments {
            check_payments(pay, &self.job_ids, self.days, &mut self.out);
        }
    }

    /// `faults` per link: outages within the run, latencies, HTTP statuses.
    fn link_faults(&mut self) {
        let f = self.f;
        for (link, spec) in f.faults.links() {
            let p = FieldPath::keys("faults").key(link.name());
            for (i, o) in spec.outages.iter().enumerate() {
                let op = p.key("outages").index(i);
                self.in_run(o.at, op.key("at"));
                if o.duration <= Duration::ZERO {
                    self.out.push(Finding::new(op.key("duration"), "a duration above 0", o.duration.to_string()));
                }
                if let crate::world::network::faults::OutageKind::Status(code) = o.kind {
                    if !(100..=599).contains(&code) {
                        self.out.push(Finding::new(op.key("kind").key("status"), "an HTTP status between 100 and 599", code.to_string()));
                    }
                }
            }
            if let Some(DurationDist::Uniform([a, b])) = spec.latency {
                if b < a {
                    self.out.push(Finding::new(p.key("latency"), "[shorter, longer]", format!("[{a}, {b}]")));
                }
            }
            for (i, e) in spec.errors.iter().enumerate() {
                let ep = p.key("errors").index(i);
                rate(e.probability, ep.key("probability"), &mut self.out);
                if !(100..=599).contains(&e.status) {
                    self.out.push(Finding::new(ep.key("status"), "an HTTP status between 100 and 599", e.status.to_string()));
                }
            }
        }
    }

    /// `faults.banks`: declared connectors, transient states only.
    fn bank_faults(&mut self) {
        let f = self.f;
        for (id, b) in &f.faults.banks {
            let p = FieldPath::keys("faults.banks").key(id);
            if !self.connector_ids.contains(id.as_str()) {
                self.out.push(Finding::new(p.clone(), known("connector", &self.connector_ids, id), format!("{id:?}")));
            }
            for (i, o) in b.outages.iter().enumerate() {
                let op = p.key("outages").index(i);
                self.in_run(o.at, op.key("at"));
                if o.duration <= Duration::ZERO {
                    self.out.push(Finding::new(op.key("duration"), "a duration above 0", o.duration.to_string()));
                }
            }
            for (i, e) in b.errors.iter().enumerate() {
                let ep = p.key("errors").index(i);
                rate(e.probability, ep.key("probability"), &mut self.out);
                if e.state.class() != crate::logic::sync::StateClass::Transient {
                    self.out.push(Finding::new(
                        ep.key("state"),
                        "a transient state: websiteUnavailable, rateLimiting, bug or validating",
                        e.state.as_str(),
                    ));
                }
            }
        }
    }

    /// `timeline`: each event's connection, connector, job or monitor declared; durations.
    fn timeline(&mut self) {
        let f = self.f;
        if f.timeline.len() > MAX_TIMELINE_EVENTS {
            self.out.push(Finding::new("timeline", format!("at most {MAX_TIMELINE_EVENTS} events"), f.timeline.len().to_string()));
        }
        for (i, ev) in f.timeline.iter().enumerate() {
            let p = FieldPath::keys("timeline").index(i);
            self.in_run(ev.at(), p.key("at"));
            match ev {
                TimelineEvent::BankState { connection, .. } | TimelineEvent::UserAction { connection, .. } => {
                    if !self.connection_exists(connection) {
                        self.out.push(Finding::new(
                            p.key("connection"),
                            "a connection id or <population>#<index>",
                            format!("{connection:?}"),
                        ));
                    }
                }
                TimelineEvent::ConnectionUnavailable { connection, duration, .. } => {
                    if !self.connection_exists(connection) {
                        self.out.push(Finding::new(
                            p.key("connection"),
                            "a connection id or <population>#<index>",
                            format!("{connection:?}"),
                        ));
                    }
                    if *duration <= Duration::ZERO {
                        self.out.push(Finding::new(p.key("duration"), "a duration above 0", duration.to_string()));
                    }
                }
                TimelineEvent::ConnectorOutage { connector, duration, .. } => {
                    if !self.connector_ids.contains(connector.as_str()) {
                        self.out.push(Finding::new(
                            p.key("connector"),
                            known("connector", &self.connector_ids, connector),
                            format!("{connector:?}"),
                        ));
                    }
                    if *duration <= Duration::ZERO {
                        self.out.push(Finding::new(p.key("duration"), "a duration above 0", duration.to_string()));
                    }
                }
                TimelineEvent::JobCrash { job, .. } | TimelineEvent::JobError { job, .. } | TimelineEvent::RunNow { job, .. } => {
                    if !self.job_ids.contains(job) {
                        self.out.push(Finding::new(p.key("job"), known_jobs(&self.job_ids), job.to_string()));
                    }
                }
                TimelineEvent::JobHang { job, duration, .. } => {
                    if !self.job_ids.contains(job) {
                        self.out.push(Finding::new(p.key("job"), known_jobs(&self.job_ids), job.to_string()));
                    }
                    if *duration <= Duration::ZERO {
                        self.out.push(Finding::new(p.key("duration"), "a duration above 0", duration.to_string()));
                    }
                }
                TimelineEvent::KumaRestart { duration, .. } => {
                    if *duration < Duration::ZERO {
                        self.out.push(Finding::new(p.key("duration"), "a duration of 0 or more", duration.to_string()));
                    }
                }
                TimelineEvent::KumaMaintenance { monitor, duration, .. } => {
                    self.declared_monitor(&p, monitor);
                    if *duration <= Duration::ZERO {
                        self.out.push(Finding::new(p.key("duration"), "a duration above 0", duration.to_string()));
                    }
                }
                TimelineEvent::KumaMonitorPause { monitor, .. }
                | TimelineEvent::KumaMonitorResume { monitor, .. }
                | TimelineEvent::KumaMonitorDelete { monitor, .. } => self.declared_monitor(&p, monitor),
                TimelineEvent::KumaMonitorEdit { .. } => self.monitor_edit(&p, ev),
                TimelineEvent::KumaPush { monitor, msg, ping, .. } => {
                    self.declared_monitor(&p, monitor);
                    if msg.as_ref().is_some_and(|m| m.chars().count() > 250) {
                        // Kuma's `heartbeat.msg` is a TEXT column, but a push URL over a few KB is
                        // refused by proxies long before; 250 characters keep a trace readable.
                        self.out.push(Finding::new(p.key("msg"), "a message of at most 250 characters", "a longer one"));
                    }
                    if ping.is_some_and(|v| !v.is_finite() || v < 0.0) {
                        self.out.push(Finding::new(
                            p.key("ping"),
                            "a response time in ms, 0 or more",
                            format!("{}", ping.unwrap_or_default()),
                        ));
                    }
                }
                TimelineEvent::WebhookForged { .. } | TimelineEvent::WebhookReplay { .. } => {
                    if f.payments.is_none() {
                        self.out.push(Finding::new(p.key("event"), "a `payments` section for webhook events", "none"));
                    }
                }
                TimelineEvent::WebhookSecretRotation { overlap, erp_updates_after, .. } => {
                    if f.payments.is_none() {
                        self.out.push(Finding::new(p.key("event"), "a `payments` section for webhook events", "none"));
                    }
                    for (name, d) in [("overlap", overlap), ("erp_updates_after", erp_updates_after)] {
                        if *d < Duration::ZERO {
                            self.out.push(Finding::new(p.key(name), "a duration of 0 or more", d.to_string()));
                        }
                    }
                }
                TimelineEvent::CronStop { .. } | TimelineEvent::CronStart { .. } | TimelineEvent::CleanupDeadJobs { .. } => {}
            }
        }
    }

    /// The timeline event at `p` names a monitor of `kuma.monitors`.
    fn declared_monitor(&mut self, p: &FieldPath, monitor: &str) {
        if !self.monitor_ids.contains(monitor) {
            self.out.push(Finding::new(p.key("monitor"), known("monitor", &self.monitor_ids, monitor), format!("{monitor:?}")));
        }
    }

    /// `kuma_monitor_edit` at `p`: a declared monitor, at least one setting, each in the range a
    /// monitor's own setting takes.
    fn monitor_edit(&mut self, p: &FieldPath, ev: &TimelineEvent) {
        let TimelineEvent::KumaMonitorEdit {
            monitor,
            interval_s,
            retry_interval_s,
            max_retries,
            resend_interval,
            upside_down,
            timer_lateness_ms,
            ..
        } = ev
        else {
            return;
        };
        self.declared_monitor(p, monitor);
        let nothing = interval_s.is_none()
            && retry_interval_s.is_none()
            && max_retries.is_none()
            && resend_interval.is_none()
            && upside_down.is_none()
            && timer_lateness_ms.is_none();
        if nothing {
            self.out.push(Finding::new(
                p.key("event"),
                "at least one setting to change (interval_s, retry_interval_s, max_retries, resend_interval, upside_down, timer_lateness_ms)",
                "none",
            ));
        }
        if interval_s.is_some_and(|i| i == 0 || i > MAX_MONITOR_INTERVAL_S) {
            let expected = format!("between 1 and {MAX_MONITOR_INTERVAL_S} seconds (Kuma's maximum, 24 days)");
            self.out.push(Finding::new(p.key("interval_s"), expected, interval_s.unwrap_or_default().to_string()));
        }
        if retry_interval_s.is_some_and(|r| r > MAX_MONITOR_INTERVAL_S) {
            let expected = format!("at most {MAX_MONITOR_INTERVAL_S} seconds (Kuma's maximum, 24 days)");
            self.out.push(Finding::new(p.key("retry_interval_s"), expected, retry_interval_s.unwrap_or_default().to_string()));
        }
        if let Some(lateness) = timer_lateness_ms {
            self.check_lateness(&p.key("timer_lateness_ms"), lateness);
        }
    }

    /// `variants`: unique names, declared jobs, settings as in `sync`.
    fn variants(&mut self) {
        let f = self.f;
        if f.variants.len() > MAX_VARIANTS {
            self.out.push(Finding::new("variants", format!("at most {MAX_VARIANTS} variants"), f.variants.len().to_string()));
        }
        let mut variant_names = BTreeSet::new();
        for (i, v) in f.variants.iter().enumerate() {
            let p = FieldPath::keys("variants").index(i);
            for (job, freq) in &v.job_frequency {
                let jp = p.key("job_frequency").key(job);
                if !job.parse::<u32>().is_ok_and(|id| self.job_ids.contains(&id)) {
                    self.out.push(Finding::new(jp.clone(), known_jobs(&self.job_ids), format!("{job:?}")));
                }
                if freq.nominal() < Duration::SECOND {
                    self.out.push(Finding::new(jp, "at least 1s", freq.to_string()));
                }
            }
            if !is_file_name(&v.name) || !variant_names.insert(v.name.as_str()) {
                self.out.push(Finding::new(p.key("name"), format!("a unique {NAME_EXPECTED}"), format!("{:?}", v.name)));
            }
            if let Some(sp) = &v.spreading {
                check_spreading(sp, &p.key("spreading"), &mut self.out);
            }
            if v.retry_wrongpass.is_some_and(|r| r > 1) {
                self.out.push(Finding::new(p.key("retry_wrongpass"), "0 or 1", format!("{:?}", v.retry_wrongpass.unwrap_or(0))));
            }
            if v.autosync_frequency.is_some_and(|d| d < Duration::MINUTE) {
                self.out.push(Finding::new(p.key("autosync_frequency"), "at least 1m", "less"));
            }
        }
    }

    /// `report`: the freshness sampling and the warm-up.
    fn report(&mut self) {
        let f = self.f;
        let every = f.report.freshness_sample_every;
        if every < Duration::MINUTE || f.duration.as_ms() / every.as_ms().max(1) > MAX_FRESHNESS_SAMPLES {
            self.out.push(Finding::new(
                "report.freshness_sample_every",
                format!("at least 1m and at most {MAX_FRESHNESS_SAMPLES} samples over the duration"),
                every.to_string(),
            ));
        }
        if f.report.warmup < Duration::ZERO || f.report.warmup >= f.duration {
            self.out.push(Finding::new("report.warmup", "a warm-up shorter than the duration", f.report.warmup.to_string()));
        }
    }

    /// `expect`: known report figures and variants, finite bounds.
    fn expect(&mut self) {
        let f = self.f;
        let s = &f.sync;
        let metrics = crate::sim::analysis::report::metric_paths(
            &s.connectors.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            &f.cron.jobs.iter().map(|j| j.id.to_string()).collect::<Vec<_>>(),
            &f.kuma.monitors.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            f.payments.is_some(),
        );
        for (i, e) in f.expect.iter().enumerate() {
            let p = FieldPath::keys("expect").index(i);
            if !metrics.contains(&e.metric) {
                let expected = match nearest(&e.metric, metrics.iter().map(String::as_str)) {
                    Some(near) => format!("a report figure: did you mean `{near}`?"),
                    None => {
                        let section = e.metric.split('.').next().unwrap_or("");
                        let some: Vec<String> =
                            metrics.iter().filter(|m| m.starts_with(section)).take(6).map(|m| format!("`{m}`")).collect();
                        if some.is_empty() {
                            "a report figure (`syncsim run` writes them all in report.json)".to_string()
                        } else {
                            format!("a report figure such as {}", some.join(", "))
                        }
                    }
                };
                self.out.push(Finding::new(p.key("metric"), expected, format!("{:?}", e.metric)));
            }
            if let Some(v) = &e.variant {
                let names: BTreeSet<&str> =
                    if f.variants.is_empty() { ["baseline"].into() } else { f.variants.iter().map(|v| v.name.as_str()).collect() };
                if !names.contains(v.as_str()) {
                    self.out.push(Finding::new(p.key("variant"), known("variant", &names, v), format!("{v:?}")));
                }
            }
            if !e.value.is_finite() {
                self.out.push(Finding::new(p.key("value"), "a finite number", e.value.to_string()));
            }
        }
    }
}

fn check_retry(r: &crate::sim::scenario::model::RetrySpec, p: &FieldPath, out: &mut Vec<Finding>) {
    if r.max_attempts == 0 || r.max_attempts > 100 {
        out.push(Finding::new(p.key("max_attempts"), "between 1 and 100", r.max_attempts.to_string()));
    }
    if r.attempt_timeout <= Duration::ZERO {
        out.push(Finding::new(p.key("attempt_timeout"), "a duration above 0", r.attempt_timeout.to_string()));
    }
    if r.cap < r.base {
        out.push(Finding::new(p.key("cap"), "a cap at least as long as base", r.cap.to_string()));
    }
}

fn check_dist(d: DurationDist, p: &FieldPath, out: &mut Vec<Finding>) {
    match d {
        DurationDist::Uniform([a, b]) if b < a => out.push(Finding::new(p, "[shorter, longer]", format!("[{a}, {b}]"))),
        DurationDist::Uniform([a, _]) | DurationDist::Fixed(a) if a < Duration::ZERO => {
            out.push(Finding::new(p, "durations of 0 or more", a.to_string()))
        }
        _ => {}
    }
}

/// At most this many invoices over a run (each is a link, a payer and a few webhooks).
pub const MAX_INVOICES: f64 = 500_000.0;

fn check_payments(pay: &PaymentsSection, job_ids: &BTreeSet<u32>, days: f64, out: &mut Vec<Finding>) {
    let p = &FieldPath::keys("payments");
    if !job_ids.contains(&pay.recovery_job) {
        out.push(Finding::new(p.key("recovery_job"), known_jobs(job_ids), pay.recovery_job.to_string()));
    }
    if !(pay.invoices_per_day >= 0.0 && pay.invoices_per_day * days <= MAX_INVOICES) {
        out.push(Finding::new(
            p.key("invoices_per_day"),
            format!("0 or more, at most {MAX_INVOICES} invoices over the run"),
            pay.invoices_per_day.to_string(),
        ));
    }
    let [lo, hi] = pay.amount_eur;
    if !(lo > 0.0 && lo <= hi && hi <= 1_000_000.0) {
        out.push(Finding::new(p.key("amount_eur"), "[lowest, highest] euros, above 0 and at most 1000000", format!("[{lo}, {hi}]")));
    }
    // SPEC 4.1: Bridge refuses an expiry more than 90 days ahead.
    if pay.link_validity <= Duration::ZERO || pay.link_validity > Duration::from_days(90) {
        out.push(Finding::new(p.key("link_validity"), "a duration above 0 and at most 90d", pay.link_validity.to_string()));
    }
    for (name, d) in [("revoke_after", pay.revoke_after), ("archive_after", pay.archive_after), ("rate_window", pay.rate_window)] {
        if d <= Duration::ZERO {
            out.push(Finding::new(p.key(name), "a duration above 0", d.to_string()));
        }
    }
    if !(1..=500).contains(&pay.page_size) {
        out.push(Finding::new(p.key("page_size"), "between 1 and 500", pay.page_size.to_string()));
    }
    if pay.rate_limit == 0 {
        out.push(Finding::new(p.key("rate_limit"), "at least 1", "0"));
    }
    check_retry(&pay.api_retry, &p.key("api_retry"), out);
    let pp = p.key("payers");
    let y = &pay.payers;
    for (name, v) in [
        ("pay_share", y.pay_share),
        ("reject_share", y.reject_share),
        ("abandon_share", y.abandon_share),
        ("pending_share", y.pending_share),
        ("retry_share", y.retry_share),
        ("late_share", y.late_share),
    ] {
        rate(v, pp.key(name), out);
    }
    for (name, d) in
        [("pay_delay", y.pay_delay), ("settle_delay", y.settle_delay), ("pending_delay", y.pending_delay), ("retry_delay", y.retry_delay)]
    {
        check_dist(d, &pp.key(name), out);
    }
    let wp = p.key("webhooks");
    let w = &pay.webhooks;
    rate(w.loss, wp.key("loss"), out);
    rate(w.duplicate, wp.key("duplicate"), out);
    check_dist(w.delay, &wp.key("delay"), out);
    check_dist(w.duplicate_after, &wp.key("duplicate_after"), out);
    check_retry(&w.retry, &wp.key("retry"), out);
    if w.secret.is_empty() {
        out.push(Finding::new(wp.key("secret"), "a non-empty secret", "\"\""));
    }
}

/// The sections that declare what a problem's `expected` refers to (see [`known`],
/// [`known_jobs`] and the metric check), each with the key that names its elements ("" when any
/// lost element may be the one): when such a declaration was removed for a structural problem,
/// the loader drops this problem as a consequence of that one.
pub fn sections_behind(expected: &str) -> &'static [(&'static str, &'static str)] {
    let Some(what) = expected.strip_prefix("a declared ") else {
        return if expected.starts_with("a report figure") {
            &[("sync.connectors", ""), ("cron", ""), ("kuma", ""), ("payments", "")]
        } else if expected.starts_with("a connection id") {
            &[("sync.connections", "id"), ("sync.populations", "")]
        } else if expected.starts_with("a `payments` section") {
            &[("payments", "")]
        } else {
            &[]
        };
    };
    match what.split([' ', ':']).next().unwrap_or("") {
        "connector" => &[("sync.connectors", "id")],
        "monitor" => &[("kuma.monitors", "id")],
        "job" => &[("cron.jobs", "id")],
        "variant" => &[("variants", "name")],
        _ => &[],
    }
}

fn known_jobs(ids: &BTreeSet<u32>) -> String {
    if ids.is_empty() {
        "a declared job id (none is declared)".into()
    } else {
        format!("a declared job id: {}", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "))
    }
}

fn known(what: &str, ids: &BTreeSet<&str>, found: &str) -> String {
    if let Some(near) = nearest(found, ids.iter().copied()) {
        return format!("a declared {what}: did you mean {near:?}?");
    }
    let list: Vec<String> = ids.iter().take(8).map(|s| format!("{s:?}")).collect();
    if list.is_empty() {
        format!("a declared {what} (none is declared)")
    } else {
        format!("a declared {what}: {}{}", list.join(", "), if ids.len() > 8 { ", ..." } else { "" })
    }
}

fn check_spreading(s: &SpreadingSettings, path: &FieldPath, out: &mut Vec<Finding>) {
    match *s {
        SpreadingSettings::RandomHours { max_hours } if max_hours > 24 * 30 => {
            out.push(Finding::new(path.key("max_hours"), "at most 720 hours", max_hours.to_string()))
        }
        SpreadingSettings::UniformJitter { max } if max > Duration::from_days(30) => {
            out.push(Finding::new(path.key("max"), "at most 30d", max.to_string()))
        }
        SpreadingSettings::LoadAware { max, slot } => {
            if slot < Duration::SECOND || max.as_ms() / slot.as_ms().max(1) > 10_000 {
                out.push(Finding::new(path.key("slot"), "at least 1s and at most 10000 slots in max", slot.to_string()));
            }
            if max > Duration::from_days(30) {
                out.push(Finding::new(path.key("max"), "at most 30d", max.to_string()));
            }
        }
        _ => {}
    }
}

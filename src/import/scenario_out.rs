//! Builds the scenario file from what was read: jobs from `llx_cronjob` rows, push monitors from
//! Kuma, heartbeats from the pairing, and timeline events for stuck jobs and maintenance
//! windows. Only existing scenario fields are used, written in a fixed order, so the same inputs
//! give the same bytes. The description says where every value came from.
//!
//! Choices where the data is silent (each said in the description):
//! - start: the next whole local hour after the latest run the table records (`datelastrun`,
//!   `datelastresult`, `tms`), unless `--start`; duration 30 days unless `--duration`.
//! - the host's cron tick: 5 minutes unless `--tick` (Dolibarr's cron setup page advises running
//!   `cron_run_jobs.php` "each 5 minutes", `langs/en_US/cron.lang` `CronExplainHowToRunUnix`).
//! - `first_run` = `datenextrun` when it is at or after the start, else the first slot of the
//!   job's grid (`datenextrun + k × period`, what `reprogram_jobs()` would reach) at or after it.
//! - a job in `processing` keeps its stuck state: it is due at the start and a `job_crash` at
//!   `+0s` makes that run die, so the runner skips it from then on, as Dolibarr does.
//! - `maxrun > 0`: the job runs `maxrun − nbrun` more times (a `dateend` one tick after its last
//!   slot), or never (disabled) when none is left.
//! - a run's duration: `datelastresult − datelastrun` of the last run (1 s resolution; 1 s
//!   when it is 0 s or unknown). One sample per job: `advise` sweeps margins on top of it.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::dolibarr::{CronJobRow, JobStatus, Period, RawTable};
use super::error::ImportError;
use super::kuma::{KumaForm, KumaLine, KumaMonitor, KumaSetup};
use super::maintenance::{self, Expansion};
use super::pairing::{PairedBy, Pairing};
use crate::sim::scenario::model::{JobFrequency, MonthsIn};
use crate::time::{Duration, Instant, Zone};

/// The settings of one import that are not in the inputs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub name: String,
    pub schema: String,
    pub zone: Zone,
    pub start: Option<Instant>,
    pub duration: Duration,
    pub tick: Duration,
}

/// The scenario's text and what the importer should tell the user about it.
#[derive(Clone, Debug)]
pub struct Built {
    pub json: String,
    pub start: Instant,
    /// Short lines for the terminal: what was skipped or approximated, and why.
    pub notes: Vec<String>,
}

#[derive(Serialize)]
struct FileOut {
    #[serde(rename = "$schema")]
    schema: String,
    name: String,
    description: String,
    seed: u64,
    start: String,
    time_zone: String,
    duration: String,
    cron: CronOut,
    kuma: KumaOut,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    timeline: Vec<EventOut>,
}

#[derive(Serialize)]
struct CronOut {
    tick: String,
    months_in: MonthsIn,
    jobs: Vec<JobOut>,
}

/// `cron.months_in` of an imported scenario, written out explicitly: llx_cronjob does not say
/// whether the server sets `MAIN_DATE_IN_MEMORY_ARE_NOT_GMT` (a `llx_const` row), so the import
/// takes Dolibarr's default, months added in UTC (see [`MonthsIn`]).
const IMPORTED_MONTHS_IN: MonthsIn = MonthsIn::Utc;

#[derive(Serialize)]
struct JobOut {
    id: u32,
    label: String,
    priority: i32,
    #[serde(skip_serializing_if = "is_true")]
    enabled: bool,
    frequency: String,
    first_run: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    datestart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dateend: Option<String>,
    duration: FixedOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    heartbeat: Option<HeartbeatOut>,
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Serialize)]
struct FixedOut {
    fixed: String,
}

#[derive(Serialize)]
struct HeartbeatOut {
    monitor: String,
}

#[derive(Serialize)]
struct KumaOut {
    version: &'static str,
    monitors: Vec<MonitorOut>,
}

#[derive(Serialize)]
struct MonitorOut {
    id: String,
    token: String,
    interval_s: u32,
    retry_interval_s: u32,
    max_retries: u32,
    resend_interval: u32,
    upside_down: bool,
    #[serde(skip_serializing_if = "is_true")]
    active: bool,
}

#[derive(Serialize)]
#[serde(untagged)]
enum EventOut {
    JobCrash { at: String, event: &'static str, job: u32 },
    Maintenance { at: String, event: &'static str, monitor: String, duration: String },
}

/// `t` as RFC 3339 with the zone's offset at that instant, e.g. `2026-11-30T11:00:00+01:00`.
pub fn local_rfc3339(t: Instant, zone: Zone) -> String {
    match chrono::DateTime::from_timestamp_millis(t.as_ms()) {
        Some(dt) => dt.with_timezone(&zone.0).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        None => t.to_rfc3339(),
    }
}

/// `t` as the server's local wall clock, the way Dolibarr shows it.
fn local_text(t: Instant, zone: Zone) -> String {
    zone.local(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A scenario id from a monitor name: folded, lower case, words joined by `-`.
pub fn slug(name: &str) -> String {
    let folded = super::pairing::fold(name);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    out.chars().take(60).collect::<String>().trim_end_matches('-').to_string()
}

/// Monitor ids: the slug of each name, made unique with the Kuma id when two collide.
fn monitor_ids(monitors: &[&KumaMonitor]) -> BTreeMap<i64, String> {
    let mut ids = BTreeMap::new();
    let mut used: Vec<String> = Vec::new();
    for m in monitors {
        let base = slug(&m.name);
        let mut id = if base.is_empty() { format!("monitor-{}", m.id) } else { base };
        if used.contains(&id) {
            id = format!("{id}-{}", m.id);
        }
        used.push(id.clone());
        ids.insert(m.id, id);
    }
    ids
}

/// The next whole local hour strictly after `t`.
fn next_whole_hour(t: Instant, zone: Zone) -> Instant {
    let local = zone.local(t);
    let floor = local.date().and_hms_opt(chrono::Timelike::hour(&local), 0, 0).unwrap_or(local);
    zone.instant_of(floor + chrono::Duration::hours(1))
}

fn frequency_of(p: Period) -> JobFrequency {
    match p {
        Period::Seconds(s) => JobFrequency::Every(Duration::from_secs(s)),
        Period::Months(n) => JobFrequency::Months(n),
    }
}

/// The first slot of the grid through `first` at or after `start` (Dolibarr's repeated addition).
fn slot_at_or_after(first: Instant, p: Period, start: Instant, zone: Zone) -> Instant {
    match p {
        Period::Seconds(s) => {
            if first >= start {
                return first;
            }
            let period = s * 1000;
            let k = (start.as_ms() - first.as_ms() + period - 1) / period;
            Instant::from_ms(first.as_ms() + k * period)
        }
        Period::Months(_) => {
            let f = frequency_of(p);
            let mut t = first;
            // A month at a time; 12 000 steps is a thousand years of a monthly job.
            for _ in 0..12_000 {
                if t >= start {
                    break;
                }
                t = f.next(t, IMPORTED_MONTHS_IN.calendar(), zone);
            }
            t
        }
    }
}

/// The latest observed instant of the table: its last start, end or change of a run.
fn latest_observed(rows: &[CronJobRow]) -> Option<(Instant, u32, &'static str)> {
    let mut best: Option<(Instant, u32, &'static str)> = None;
    for r in rows {
        for (t, column) in [(r.datelastrun, "datelastrun"), (r.datelastresult, "datelastresult"), (r.tms, "tms")] {
            if let Some(t) = t {
                if best.is_none_or(|(b, _, _)| t > b) {
                    best = Some((t, r.rowid, column));
                }
            }
        }
    }
    best
}

fn token_ok(t: &str) -> bool {
    !t.is_empty() && !t.contains(['/', '?', '#', ' '])
}

/// Build the scenario text. Errors only on what the user must decide (no start in the data).
pub fn build(kuma: &KumaSetup, table: &RawTable, rows: &[CronJobRow], pairing: &Pairing, s: &Settings) -> Result<Built, ImportError> {
    let (start, start_text) = replay_start(table, rows, s)?;
    let mut draft = Draft::new(kuma, s, start);
    draft.intro(table, rows, &start_text);
    let monitors = draft.monitors();
    let jobs = draft.jobs(rows, pairing);
    draft.heartbeats(pairing);
    draft.maintenance();
    let Draft { d, mut timeline, notes, .. } = draft;
    let zone = s.zone;
    timeline.sort_by_key(|e| (e.0, e.1));
    let file = FileOut {
        schema: s.schema.clone(),
        name: s.name.clone(),
        description: d,
        seed: 1,
        start: local_rfc3339(start, zone),
        time_zone: zone.name().to_string(),
        duration: s.duration.to_string(),
        cron: CronOut { tick: s.tick.to_string(), months_in: IMPORTED_MONTHS_IN, jobs },
        kuma: KumaOut { version: if kuma.line == KumaLine::V2 { "2" } else { "1.23" }, monitors },
        timeline: timeline.into_iter().map(|(_, _, e)| e).collect(),
    };
    let mut json = serde_json::to_string_pretty(&file).map_err(|e| ImportError::Invalid(e.to_string()))?;
    json.push('\n');
    Ok(Built { json, start, notes })
}

/// Where the replay starts: `--start`, or the next whole hour after the latest run recorded.
fn replay_start(table: &RawTable, rows: &[CronJobRow], s: &Settings) -> Result<(Instant, String), ImportError> {
    let zone = s.zone;
    let observed = latest_observed(rows);
    Ok(match (s.start, observed) {
        (Some(t), _) => (t, format!("{} (--start)", local_rfc3339(t, zone))),
        (None, Some((t, rowid, column))) => (
            next_whole_hour(t, zone),
            format!(
                "{}, the next whole hour after the latest run recorded in llx_cronjob ({column} of rowid {rowid}: {})",
                local_rfc3339(next_whole_hour(t, zone), zone),
                local_text(t, zone)
            ),
        ),
        (None, None) => {
            return Err(ImportError::argument(
                "--start",
                format!("{}: no job has run yet (no datelastrun, datelastresult or tms): give the replay's start with --start", table.file),
            ));
        }
    })
}

/// The scenario being written: its description, the notes for the user, the timeline, and the
/// push monitors kept with their scenario ids.
struct Draft<'a> {
    kuma: &'a KumaSetup,
    s: &'a Settings,
    zone: Zone,
    start: Instant,
    end: Instant,
    /// The scenario's description, section by section.
    d: String,
    notes: Vec<String>,
    /// (instant, order at that instant, event).
    timeline: Vec<(Instant, u8, EventOut)>,
    push: Vec<&'a KumaMonitor>,
    /// Kuma id → scenario id, for every push monitor.
    ids: BTreeMap<i64, String>,
    /// The scenario ids of the monitors written (a monitor without a usable token is not).
    kept: Vec<String>,
}

impl<'a> Draft<'a> {
    fn new(kuma: &'a KumaSetup, s: &'a Settings, start: Instant) -> Self {
        let push: Vec<&KumaMonitor> = kuma.monitors.iter().filter(|m| m.is_push()).collect();
        let ids = monitor_ids(&push);
        Draft {
            kuma,
            s,
            zone: s.zone,
            start,
            end: start + s.duration,
            d: String::new(),
            notes: Vec::new(),
            timeline: Vec::new(),
            push,
            ids,
            kept: Vec::new(),
        }
    }

    /// Where the scenario comes from and when it starts.
    fn intro(&mut self, table: &RawTable, rows: &[CronJobRow], start_text: &str) {
        let (kuma, s, zone) = (self.kuma, self.s, self.zone);
        let _ = writeln!(
            self.d,
            "Imported by `syncsim import` from {} ({}, Kuma {}) and {} (Dolibarr's llx_cronjob, {}, {} rows). Datetimes of llx_cronjob are read as {} (--tz): Dolibarr writes them in the PHP server's local time{}.",
            kuma.file,
            kuma.form.describe(),
            if kuma.line == KumaLine::V2 { "2.x" } else { "1.23" },
            table.file,
            table.form.describe(),
            rows.len(),
            zone.name(),
            if table.timestamps_utc { "; tms, a TIMESTAMP, is UTC in this dump (SET TIME_ZONE='+00:00')" } else { "" }
        );
        let _ = writeln!(
            self.d,
            "start: {start_text}; duration {}; cron.tick {} (--tick; Dolibarr advises running cron_run_jobs.php every 5 minutes).",
            s.duration, s.tick
        );
    }

    /// `kuma.monitors`: the push monitors with a usable token and interval.
    fn monitors(&mut self) -> Vec<MonitorOut> {
        let kuma = self.kuma;
        let mut monitors = Vec::new();
        let mut monitor_lines = Vec::new();
        for m in self.push.clone() {
            let id = &self.ids[&m.id];
            let Some(token) = m.push_token.clone().filter(|t| token_ok(t)) else {
                self.notes.push(format!("Kuma monitor {} {:?}: no usable push token, skipped", m.id, m.name));
                continue;
            };
            let max_s = crate::sim::scenario::validate::MAX_MONITOR_INTERVAL_S;
            if m.interval_s == 0 || m.interval_s > max_s || m.retry_interval_s > max_s {
                self.notes.push(format!(
                    "Kuma monitor {} {:?}: interval {} s is outside 1 s to 24 days (Kuma's maximum), skipped",
                    m.id, m.name, m.interval_s
                ));
                continue;
            }
            // A paused group makes Kuma show its children as inactive (`forceInactive`,
            // `Monitor.isParentActive()` in server/model/monitor.js), but the push route and the
            // check chain read the monitor's own `active`: that one is imported, the group is noted.
            let paused_group = kuma.lineage(m.id).into_iter().skip(1).find(|a| !a.active).map(|a| a.id);
            let active = m.active;
            monitors.push(MonitorOut {
                id: id.clone(),
                token,
                interval_s: m.interval_s,
                retry_interval_s: m.retry_interval_s,
                max_retries: m.max_retries,
                resend_interval: m.resend_interval,
                upside_down: m.upside_down,
                active,
            });
            monitor_lines.push(format!(
                "id {} {:?} → `{id}` (interval {} s, retry_interval {} s, maxretries {}, resend_interval {}, upside_down {}, {})",
                m.id,
                m.name,
                m.interval_s,
                m.retry_interval_s,
                m.max_retries,
                m.resend_interval,
                m.upside_down as u8,
                match paused_group {
                    _ if !m.active => "paused".to_string(),
                    Some(g) => format!("active, in group {g} which is paused: check it is really watched"),
                    None => "active".to_string(),
                }
            ));
        }
        let others: Vec<String> =
            kuma.monitors.iter().filter(|m| !m.is_push()).map(|m| format!("id {} {:?} ({})", m.id, m.name, m.kind)).collect();
        let _ = writeln!(
            self.d,
            "kuma.monitors: the push monitors of {} ({}): {}.{}",
            kuma.file,
            match kuma.form {
                KumaForm::Database => "table monitor",
                KumaForm::MonitorTableJson => "rows of table monitor",
                KumaForm::BackupJson => "monitorList",
            },
            if monitor_lines.is_empty() { "none".into() } else { monitor_lines.join("; ") },
            if others.is_empty() { String::new() } else { format!(" Not push, skipped: {}.", others.join(", ")) }
        );
        if !others.is_empty() {
            self.notes.push(format!("not push monitors, skipped: {}", others.join(", ")));
        }
        self.kept = monitors.iter().map(|m| m.id.clone()).collect();
        monitors
    }

    /// `cron.jobs`: one per row of llx_cronjob, with its heartbeat when paired.
    fn jobs(&mut self, rows: &[CronJobRow], pairing: &Pairing) -> Vec<JobOut> {
        let (s, zone, start) = (self.s, self.zone, self.start);
        let mut jobs = Vec::new();
        let mut job_lines = Vec::new();
        let mut durations = Vec::new();
        for r in rows {
            let Some(period) = r.period else {
                self.notes.push(format!(
                    "rowid {} {:?}: frequency 0, which Dolibarr never reprograms (once due it runs at every pass): skipped",
                    r.rowid, r.label
                ));
                job_lines.push(format!("rowid {} skipped (frequency 0)", r.rowid));
                continue;
            };
            let mut first_run = r.datenextrun.map_or(start, |t| slot_at_or_after(t, period, start, zone));
            let mut enabled = r.status == JobStatus::Enabled;
            let mut datestart = r.datestart.filter(|t| *t > start);
            let mut dateend = r.dateend.map(|t| t.max(start));
            let mut facts: Vec<String> = Vec::new();
            match r.status {
                JobStatus::Disabled => facts.push("status 0 (disabled)".into()),
                JobStatus::Archived => facts.push("status 2 (archived)".into()),
                JobStatus::Enabled => {}
            }
            if r.dateend.is_some_and(|t| t <= start) {
                facts.push(format!("dateend {} is past: never runs", local_text(r.dateend.unwrap_or(start), zone)));
                datestart = None;
            }
            if r.processing && enabled {
                // Stuck now: due at once, and that run dies, as the real one did.
                first_run = start;
                datestart = None;
                self.timeline.push((start, 0, EventOut::JobCrash { at: "+0s".into(), event: "job_crash", job: r.rowid }));
                facts.push(format!(
                    "processing = 1{}{}: a job_crash at +0s keeps it stuck",
                    r.pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                    r.datelastrun.map(|t| format!(" since {}", local_text(t, zone))).unwrap_or_default()
                ));
            }
            if r.maxrun > 0 {
                let left = r.maxrun.saturating_sub(r.nbrun);
                if left == 0 {
                    enabled = false;
                    facts.push(format!("maxrun {} reached (nbrun {}): disabled", r.maxrun, r.nbrun));
                } else {
                    let mut last = first_run;
                    for _ in 1..left.min(100_000) {
                        last = frequency_of(period).next(last, IMPORTED_MONTHS_IN.calendar(), zone);
                    }
                    let until = last + s.tick;
                    dateend = Some(dateend.map_or(until, |e| e.min(until)));
                    facts.push(format!("maxrun {} with nbrun {}: {left} run(s) left, dateend after the last", r.maxrun, r.nbrun));
                }
            }
            if let (Some(a), Some(b)) = (datestart, dateend) {
                if b < a {
                    datestart = None;
                }
            }
            let measured = match (r.datelastrun, r.datelastresult) {
                (Some(a), Some(b)) if b >= a && !r.processing => Some((b - a).as_ms() / 1000),
                _ => None,
            };
            let run_s = measured.unwrap_or(0).max(1);
            durations.push(format!(
                "rowid {}: {}",
                r.rowid,
                match measured {
                    Some(m) if m == run_s => format!("{run_s} s"),
                    Some(m) => format!("{m} s → {run_s} s"),
                    None => format!("unknown → {run_s} s"),
                }
            ));
            let monitor = pairing.monitor_of(r.rowid).and_then(|m| self.ids.get(&m)).filter(|id| self.kept.contains(id)).cloned();
            job_lines.push(format!(
                "rowid {} {:?}: {} × {} = {}, priority {}{}",
                r.rowid,
                r.label,
                r.frequency,
                r.unitfrequency,
                period,
                r.priority,
                if facts.is_empty() { String::new() } else { format!(", {}", facts.join(", ")) }
            ));
            jobs.push(JobOut {
                id: r.rowid,
                label: r.label.clone(),
                priority: r.priority,
                enabled,
                frequency: frequency_of(period).to_string(),
                first_run: local_rfc3339(first_run, zone),
                datestart: datestart.map(|t| local_rfc3339(t, zone)),
                dateend: dateend.map(|t| local_rfc3339(t, zone)),
                duration: FixedOut { fixed: Duration::from_secs(run_s).to_string() },
                heartbeat: monitor.map(|monitor| HeartbeatOut { monitor }),
            });
        }
        let _ = writeln!(
            self.d,
            "cron.jobs: one per row of llx_cronjob, id = rowid; frequency = frequency × unitfrequency (2678400: calendar months); first_run = datenextrun, or the first slot of its grid at or after the start; enabled = status 1. {}.",
            job_lines.join("; ")
        );
        let _ = writeln!(
            self.d,
            "Run durations rest on one sample each: datelastresult − datelastrun of the last run, at 1 s resolution (1 s when 0 s or unknown): {}.",
            durations.join(", ")
        );
        jobs
    }

    /// The heartbeats line: which job pushes to which monitor, and why.
    fn heartbeats(&mut self, pairing: &Pairing) {
        let pair_lines: Vec<String> = pairing
            .pairs
            .iter()
            .filter_map(|p| {
                let id = self.ids.get(&p.monitor).filter(|id| self.kept.contains(id))?;
                Some(match &p.by {
                    PairedBy::Link(text) => format!("rowid {} → `{id}` (--link {}={text})", p.rowid, p.rowid),
                    PairedBy::Name { score } => format!("rowid {} → `{id}` (names, score {score:.2})", p.rowid),
                })
            })
            .collect();
        let _ = writeln!(
            self.d,
            "heartbeats ({}): {}. Jobs without one: {}. Monitors without a job: {}.",
            if pairing.linked { "--link" } else { "paired by the closest names; confirm or override with --link ROWID=MONITOR" },
            if pair_lines.is_empty() { "none".into() } else { pair_lines.join(", ") },
            list_or_none(pairing.unpaired_jobs.iter().map(|r| format!("rowid {r}"))),
            list_or_none(
                pairing
                    .unpaired_monitors
                    .iter()
                    .filter_map(|m| self.ids.get(m))
                    .filter(|id| self.kept.contains(id))
                    .map(|id| format!("`{id}`"))
            ),
        );
    }

    /// Kuma's maintenance windows during the run, on each push monitor through itself and its
    /// group ancestors.
    fn maintenance(&mut self) {
        let (kuma, zone, start, end) = (self.kuma, self.zone, self.start, self.end);
        let server_zone_name = kuma.server_timezone.clone().unwrap_or_else(|| zone.name().to_string());
        let server_zone = Zone::parse(&server_zone_name).unwrap_or(zone);
        let mut window_lines = Vec::new();
        for w in &kuma.maintenances {
            let targets: Vec<(&KumaMonitor, i64)> = self
                .push
                .iter()
                .filter_map(|m| kuma.lineage(m.id).iter().find(|a| a.maintenance_ids.contains(&w.id)).map(|via| (*m, via.id)))
                .filter(|(m, _)| self.kept.contains(&self.ids[&m.id]))
                .collect();
            if targets.is_empty() {
                continue;
            }
            let what = format!(
                "maintenance id {} {:?} ({}{}{})",
                w.id,
                w.title,
                w.strategy.name(),
                w.cron.as_deref().map(|c| format!(", cron {c:?}")).unwrap_or_default(),
                w.duration_s.map(|s| format!(", {s} s")).unwrap_or_default()
            );
            match maintenance::expand(w, server_zone, start, end) {
                Expansion::Inactive => window_lines.push(format!("{what}: inactive, skipped")),
                Expansion::Unsupported(why) => {
                    self.notes.push(format!("{what}: not supported ({why}), skipped"));
                    window_lines.push(format!("{what}: NOT SUPPORTED ({why}), skipped"));
                }
                Expansion::Windows { windows, zone: wz } => {
                    let names: Vec<String> = targets
                        .iter()
                        .map(|(m, via)| {
                            if *via == m.id {
                                format!("`{}`", self.ids[&m.id])
                            } else {
                                format!("`{}` (through group {via})", self.ids[&m.id])
                            }
                        })
                        .collect();
                    window_lines.push(format!(
                        "{what} in {wz}{}: {} window(s) during the run on {}",
                        if w.timezone.as_deref().is_none_or(|t| t == "SAME_AS_SERVER") {
                            if kuma.server_timezone.is_some() {
                                " (the server's, setting serverTimezone)"
                            } else {
                                " (the server's, taken as --tz)"
                            }
                        } else {
                            ""
                        },
                        windows.len(),
                        names.join(", ")
                    ));
                    for win in windows {
                        for (m, _) in &targets {
                            self.timeline.push((
                                win.start,
                                1,
                                EventOut::Maintenance {
                                    at: local_rfc3339(win.start, zone),
                                    event: "kuma_maintenance",
                                    monitor: self.ids[&m.id].clone(),
                                    duration: (win.end - win.start).to_string(),
                                },
                            ));
                        }
                    }
                }
            }
        }
        let _ = write!(
            self.d,
            "timeline: job_crash at +0s for each stuck job; kuma_maintenance windows: {}. Not modelled: notifications (every DOWN counts as sent), the `test` condition of each job, the heartbeats Kuma already stored (monitors start fresh at the start).",
            if window_lines.is_empty() {
                if kuma.form == KumaForm::Database {
                    "none on the push monitors".into()
                } else {
                    "none (only the database carries maintenance windows)".to_string()
                }
            } else {
                window_lines.join("; ")
            }
        );
    }
}

fn list_or_none(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.collect();
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_ids() {
        assert_eq!(slug("Récupération des paiements Bridge"), "recuperation-des-paiements-bridge");
        assert_eq!(slug("  Relance factures impayées!"), "relance-factures-impayees");
        assert_eq!(slug("???"), "");
    }

    #[test]
    fn an_overdue_job_keeps_its_grid() {
        let t = |s: &str| Instant::parse_rfc3339(s).unwrap();
        let zone = Zone::parse("Europe/Paris").unwrap();
        let first = slot_at_or_after(t("2026-11-30T10:04:27+01:00"), Period::Seconds(300), t("2026-11-30T11:00:00+01:00"), zone);
        assert_eq!(first, t("2026-11-30T11:04:27+01:00"));
        assert_eq!(next_whole_hour(t("2026-11-30T10:00:05+01:00"), zone), t("2026-11-30T11:00:00+01:00"));
    }
}

//! `syncsim import`: replay *my* setup. Reads a real Uptime Kuma setup (its database, the JSON of
//! its `monitor` table, or a 1.x backup) and Dolibarr's `llx_cronjob` (`mysql --batch`,
//! `psql --csv` or `mysqldump`), pairs each job with the push monitor it feeds, writes a scenario
//! that passes `syncsim check` and runs as it is, and audits the pairing (issue #15).
//!
//! One job per file: [`kuma`] and [`maintenance`] read Kuma, [`dolibarr`] and [`mysqldump`]
//! read Dolibarr, [`pairing`] pairs, [`scenario_out`] writes, [`audit`] judges. This file holds
//! the entry point: read everything, build, check, and only then write (to a temporary file in
//! the same folder, renamed over the target), so an error never leaves a file behind.

pub mod audit;
pub mod dolibarr;
pub mod error;
pub mod kuma;
pub mod maintenance;
pub mod mysqldump;
pub mod pairing;
pub mod scenario_out;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use error::{ImportError, Loc};

use crate::sim::scenario::{self, Scenario};
use crate::time::{Duration, Instant, Zone, parse_duration};

/// The command line's inputs, as typed.
#[derive(Clone, Debug)]
pub struct Options {
    pub kuma: PathBuf,
    pub dolibarr: PathBuf,
    /// `ROWID=MONITOR`, repeatable.
    pub links: Vec<String>,
    /// The PHP server's zone, in which Dolibarr wrote its datetimes.
    pub tz: String,
    pub output: PathBuf,
    /// RFC 3339; default: the next whole hour after the latest run the table records.
    pub start: Option<String>,
    /// Default 30 days.
    pub duration: Option<String>,
    /// The host's cron tick; default 5 minutes.
    pub tick: Option<String>,
    /// Skip `advise`'s sweep (a few replays per pair): the audit then shows no recommendation.
    pub no_advise: bool,
}

/// What an import wrote and what it has to say.
#[derive(Debug)]
pub struct Imported {
    pub output: PathBuf,
    /// The pairing table, the notes and the audit, for the terminal.
    pub report: String,
    pub audit: audit::Audit,
}

/// Read, pair, build, check, audit, and write the scenario. Nothing is written on an error.
pub fn import(o: &Options) -> Result<Imported, ImportError> {
    let zone = Zone::parse(&o.tz).map_err(|e| ImportError::argument("--tz", e.to_string()))?;
    let start =
        o.start.as_deref().map(|t| Instant::parse_rfc3339(t).map_err(|e| ImportError::argument("--start", e.to_string()))).transpose()?;
    let duration = match o.duration.as_deref() {
        None => Duration::from_days(30),
        Some(t) => parse_duration(t).map_err(|e| ImportError::argument("--duration", e.to_string()))?,
    };
    if duration <= Duration::ZERO || duration > crate::sim::scenario::validate::MAX_DURATION {
        return Err(ImportError::argument("--duration", format!("expected a duration above 0 and at most 400d, found {duration}")));
    }
    let tick = match o.tick.as_deref() {
        None => Duration::from_mins(5),
        Some(t) => parse_duration(t).map_err(|e| ImportError::argument("--tick", e.to_string()))?,
    };
    if tick < Duration::SECOND || tick > Duration::DAY {
        return Err(ImportError::argument("--tick", format!("expected between 1s and 1d, found {tick}")));
    }
    let links = o.links.iter().map(|l| pairing::Link::parse(l)).collect::<Result<Vec<_>, _>>()?;
    check_output(&o.output, &[&o.kuma, &o.dolibarr])?;

    let kuma = kuma::read(&o.kuma)?;
    let dolibarr_file = o.dolibarr.display().to_string();
    let bytes = std::fs::read(&o.dolibarr).map_err(|e| ImportError::Read(dolibarr_file.clone(), e))?;
    let table = dolibarr::read_table(&dolibarr_file, &bytes)?;
    let rows = dolibarr::rows(&table, zone)?;
    let pairs = pairing::pair(&rows, &kuma.monitors, &links)?;

    let settings =
        scenario_out::Settings { name: scenario_name(&o.output), schema: schema_reference(&o.output), zone, start, duration, tick };
    let built = scenario_out::build(&kuma, &table, &rows, &pairs, &settings)?;
    let label = o.output.display().to_string();
    let loaded: Scenario = scenario::load_str(&label, &built.json)
        .map_err(|problems| ImportError::Invalid(problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")))?;

    let setup = audit::Setup::from_scenario(&loaded);
    let findings = audit::audit(&setup);
    let advice = if o.no_advise { BTreeMap::new() } else { advise_pairs(&loaded, &findings) };

    write_atomically(&o.output, built.json.as_bytes())?;

    let mut report = String::new();
    let _ = writeln!(report, "{}", render_pairing(&kuma, &rows, &pairs));
    if !built.notes.is_empty() {
        let _ = writeln!(report, "Notes:");
        for n in &built.notes {
            let _ = writeln!(report, "- {n}");
        }
        let _ = writeln!(report);
    }
    let _ = write!(report, "{}", findings.render(&advice));
    let _ = writeln!(
        report,
        "\nWrote {} ({} jobs, {} monitors, start {}). Next: syncsim check {0}; syncsim run {0}; syncsim advise {0}",
        o.output.display(),
        loaded.file.cron.jobs.len(),
        loaded.file.kuma.monitors.len(),
        scenario_out::local_rfc3339(built.start, zone)
    );
    Ok(Imported { output: o.output.clone(), report, audit: findings })
}

/// The audit of a scenario file as `advise` prints it before its sweep: pairs and hazards,
/// with what `advise` recommends for each watched pair.
pub fn audit_scenario(s: &Scenario) -> String {
    let findings = audit::audit(&audit::Setup::from_scenario(s));
    findings.render(&advise_pairs(s, &findings))
}

/// `advise`'s recommendation for each pair it can judge (active monitor, running job), keyed by
/// monitor id: "I s, N retries every R s (DOWN ≤ D s, F false alerts / 30 d)".
fn advise_pairs(s: &Scenario, findings: &audit::Audit) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for p in &findings.pairs {
        if p.verdict == audit::Verdict::NotWatched {
            continue;
        }
        if p.needed_s > audit::KUMA_MAX_INTERVAL_S {
            out.insert(p.monitor.clone(), "none: no push monitor waits that long".into());
            continue;
        }
        let text = match crate::sim::commands::advise::advise(s, Some(&p.monitor), 1.0) {
            Ok(a) => match a.best.map(|i| &a.candidates[i]) {
                Some(c) if c.max_retries == 0 => {
                    format!(
                        "interval {} s, no retry (DOWN ≤ {} s, {} false alerts / 30 d)",
                        c.interval_s, c.deadline_s, c.false_alerts_per_month
                    )
                }
                Some(c) => format!(
                    "interval {} s, {} retries every {} s (DOWN ≤ {} s, {} false alerts / 30 d)",
                    c.interval_s, c.max_retries, c.retry_interval_s, c.deadline_s, c.false_alerts_per_month
                ),
                None => "no candidate within 1 false alert / 30 d".into(),
            },
            Err(e) => e.to_string(),
        };
        out.insert(p.monitor.clone(), text);
    }
    out
}

fn render_pairing(kuma: &kuma::KumaSetup, rows: &[dolibarr::CronJobRow], p: &pairing::Pairing) -> String {
    let label = |rowid: u32| rows.iter().find(|r| r.rowid == rowid).map(|r| r.label.as_str()).unwrap_or("?");
    let monitor = |id: i64| kuma.monitors.iter().find(|m| m.id == id);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Pairing ({}):",
        if p.linked { "--link" } else { "by the closest names: confirm it, or give --link ROWID=MONITOR for each pair" }
    );
    if p.pairs.is_empty() {
        let _ = writeln!(out, "  no pair");
    } else {
        let _ = writeln!(out, "| job (rowid) | push monitor (id) | paired by |");
        let _ = writeln!(out, "|---|---|---|");
        for pair in &p.pairs {
            let m = monitor(pair.monitor);
            let _ = writeln!(
                out,
                "| {} {} | {} {}{} | {} |",
                pair.rowid,
                label(pair.rowid),
                pair.monitor,
                m.map(|m| m.name.as_str()).unwrap_or("?"),
                if m.is_some_and(|m| !m.active) { " (paused)" } else { "" },
                match &pair.by {
                    pairing::PairedBy::Link(t) => format!("--link {}={t}", pair.rowid),
                    pairing::PairedBy::Name { score } => format!("names, score {score:.2}"),
                }
            );
        }
    }
    let jobs: Vec<String> = p.unpaired_jobs.iter().map(|r| format!("{r} {}", label(*r))).collect();
    let monitors: Vec<String> = p
        .unpaired_monitors
        .iter()
        .filter_map(|id| monitor(*id))
        .map(|m| format!("{} {}{}", m.id, m.name, if m.active { "" } else { " (paused)" }))
        .collect();
    let _ = writeln!(out, "Jobs without a monitor: {}", if jobs.is_empty() { "none".into() } else { jobs.join(", ") });
    let _ = write!(out, "Push monitors without a job: {}", if monitors.is_empty() { "none".into() } else { monitors.join(", ") });
    out
}

/// The scenario's name: the output file's stem, kept to letters, digits, `-`, `_` and `.`.
fn scenario_name(output: &Path) -> String {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    let name = name.trim_start_matches('.').chars().take(100).collect::<String>();
    if name.is_empty() { "imported".into() } else { name }
}

/// `$schema`: the relative path to the nearest `docs/scenario.schema.json` above the output's
/// folder (the repository's published copy), else `scenario.schema.json` beside the file
/// (`syncsim schema > scenario.schema.json` writes it).
fn schema_reference(output: &Path) -> String {
    let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(abs) = std::path::absolute(dir) {
        let mut ups = String::new();
        let mut here: Option<&Path> = Some(abs.as_path());
        while let Some(d) = here {
            if d.join("docs").join("scenario.schema.json").is_file() {
                return format!("{ups}docs/scenario.schema.json");
            }
            ups.push_str("../");
            here = d.parent();
        }
    }
    "scenario.schema.json".into()
}

/// Refuse an output that is one of the inputs, or in a folder that does not exist.
fn check_output(output: &Path, inputs: &[&Path]) -> Result<(), ImportError> {
    let flag = format!("-o {}", output.display());
    if output.file_name().is_none() || output.is_dir() {
        return Err(ImportError::argument(&flag, "expected a file name for the scenario"));
    }
    let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(ImportError::argument(&flag, format!("the folder {} does not exist", dir.display())));
    }
    let target = std::fs::canonicalize(dir).map(|d| d.join(output.file_name().unwrap_or_default())).ok();
    for input in inputs {
        let same = std::fs::canonicalize(input).ok().zip(target.as_ref()).is_some_and(|(a, b)| a == *b);
        if same {
            return Err(ImportError::argument(&flag, format!("is the input {}: an import never overwrites its inputs", input.display())));
        }
    }
    Ok(())
}

/// Write `bytes` to a temporary file beside `path`, then rename it over `path`: a reader sees
/// the old file or the whole new one, never a half.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ImportError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let label = path.display().to_string();
    std::fs::write(&tmp, bytes).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ImportError::Write(label.clone(), e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ImportError::Write(label, e)
    })
}

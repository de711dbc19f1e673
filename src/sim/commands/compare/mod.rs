//! `syncsim compare`: one scenario's sync part under several policies × several seeds.
//!
//! The grid is a list of *cells* (a spreading policy, a backoff policy and rule settings; by
//! default the scenario's variants) times a list of seeds. Each grid point is an independent,
//! deterministic run, so points can run on any thread ([`run_shard`], rayon) or on any machine
//! (`--shard i/n`): the results are collected in grid order and the report is computed from them
//! alone ([`Comparison::from_partials`]). A single run is one shard of one; a merge of `n`
//! shards reads their partial files back and gives the same bytes.

pub mod partial;
pub mod plots;
pub mod render;
pub mod stats;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::logic::sync::{BackoffSettings, SpreadingSettings, SyncRules};
use crate::sim::analysis::report::SyncFigures;
use crate::sim::engine::trace::Trace;
use crate::sim::loops::sync::{self, VariantSetup};
use crate::sim::scenario::Scenario;
use crate::sim::scenario::expand::expand;
use crate::sim::scenario::plan::SyncSettings;
use crate::time::{Duration, LocalClock};

pub use partial::{Partial, Shard};
use stats::Summary;

/// The figures compared. For the ranked ones lower is better, which the verdict relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    PeakToMean,
    RateLimited,
    FreshnessP50,
    FreshnessP95,
    SameHourShare,
    AttemptsPerConnectionPerDay,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::PeakToMean,
        Metric::RateLimited,
        Metric::FreshnessP50,
        Metric::FreshnessP95,
        Metric::SameHourShare,
        Metric::AttemptsPerConnectionPerDay,
    ];

    /// The key in `compare.json` and `samples.csv`.
    pub fn key(self) -> &'static str {
        match self {
            Metric::PeakToMean => "peak_to_mean",
            Metric::RateLimited => "rate_limited",
            Metric::FreshnessP50 => "freshness_p50_minutes",
            Metric::FreshnessP95 => "freshness_p95_minutes",
            Metric::SameHourShare => "same_hour_share",
            Metric::AttemptsPerConnectionPerDay => "attempts_per_connection_per_day",
        }
    }

    /// The column title for people.
    pub fn title(self) -> &'static str {
        match self {
            Metric::PeakToMean => "peak/mean load",
            Metric::RateLimited => "rateLimiting answers",
            Metric::FreshnessP50 => "freshness p50 (min)",
            Metric::FreshnessP95 => "freshness p95 (min)",
            Metric::SameHourShare => "same-hour share",
            Metric::AttemptsPerConnectionPerDay => "attempts/connection/day",
        }
    }

    /// Whether the verdict ranks policies on it. Attempts per connection are shown but not
    /// ranked: fewer is cheaper, but a herd stuck behind rate limits also makes fewer attempts.
    pub fn ranked(self) -> bool {
        self != Metric::AttemptsPerConnectionPerDay
    }

    /// Digits after the point when printed.
    pub fn decimals(self) -> usize {
        match self {
            Metric::PeakToMean => 2,
            Metric::RateLimited | Metric::FreshnessP50 | Metric::FreshnessP95 => 0,
            Metric::SameHourShare | Metric::AttemptsPerConnectionPerDay => 3,
        }
    }

    pub fn value(self, f: &Figures) -> f64 {
        match self {
            Metric::PeakToMean => f.peak_to_mean,
            Metric::RateLimited => f.rate_limited as f64,
            Metric::FreshnessP50 => f.freshness_p50_minutes as f64,
            Metric::FreshnessP95 => f.freshness_p95_minutes as f64,
            Metric::SameHourShare => f.same_hour_share,
            Metric::AttemptsPerConnectionPerDay => f.attempts_per_connection_per_day,
        }
    }
}

/// One policy of the grid: what a scenario variant says about sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub name: String,
    pub spreading: SpreadingSettings,
    pub backoff: BackoffSettings,
    pub retry_wrongpass: u8,
    #[serde(default)]
    pub wrongpass_row_resets_on_user_action: bool,
    pub autosync_frequency: Duration,
}

/// What one grid point gives: the sync figures the comparison is made of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub peak_to_mean: f64,
    pub rate_limited: u64,
    pub freshness_p50_minutes: u64,
    pub freshness_p95_minutes: u64,
    pub same_hour_share: f64,
    pub attempts_per_connection_per_day: f64,
    /// Attempts per local hour of the day (after the warm-up), for the load-by-hour plot.
    pub by_local_hour: Vec<u64>,
}

impl Figures {
    fn of(s: &SyncFigures) -> Self {
        Figures {
            peak_to_mean: s.overall.peak_to_mean,
            rate_limited: s.overall.rate_limited,
            freshness_p50_minutes: s.freshness.p50_minutes,
            freshness_p95_minutes: s.freshness.p95_minutes,
            same_hour_share: s.same_hour_share,
            attempts_per_connection_per_day: s.attempts_per_connection_per_day,
            by_local_hour: s.overall.by_local_hour.clone(),
        }
    }
}

/// One grid point's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Index into the grid's cells.
    pub cell: usize,
    pub seed: u64,
    pub figures: Figures,
}

/// The cells × seeds to run, and what identifies the scenario they run on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub scenario: String,
    pub description: String,
    /// SHA-256 of the scenario file's bytes: shards of different files do not merge.
    pub scenario_sha256: String,
    pub connections: u64,
    pub duration: String,
    pub cells: Vec<Cell>,
    pub seeds: Vec<u64>,
}

impl Grid {
    /// Grid points are numbered cell-major: point `k` is cell `k / seeds`, seed `k % seeds`.
    pub fn points(&self) -> usize {
        self.cells.len() * self.seeds.len()
    }
    fn point(&self, k: usize) -> (usize, u64) {
        (k / self.seeds.len(), self.seeds[k % self.seeds.len()])
    }
}

/// Which policies to compare; empty lists mean "the scenario's variants".
#[derive(Clone, Debug, Default)]
pub struct GridOptions {
    pub spreadings: Vec<(String, SpreadingSettings)>,
    pub backoffs: Vec<(String, BackoffSettings)>,
    /// How many seeds, from `first_seed` (default: the scenario's seed) upwards.
    pub seeds: u32,
    pub first_seed: Option<u64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompareError {
    #[error("{0} has no sync connections: compare needs a scenario with connections")]
    NoConnections(String),
    #[error("--seeds must be at least 1")]
    NoSeeds,
    #[error("two policies are both named {0:?}: names must be unique")]
    DuplicateName(String),
    #[error("invalid policy {given:?}: {reason}")]
    BadPolicy { given: String, reason: String },
    #[error("invalid shard {0:?}: expected i/n with 0 <= i < n, e.g. 0/4")]
    BadShard(String),
    #[error("cannot start the thread pool: {0}")]
    Threads(String),
    #[error("{file}: {reason}")]
    BadPartial { file: String, reason: String },
    #[error("the partial results do not belong together: {0}")]
    Mismatch(String),
    #[error("the partial results are incomplete: {0}")]
    Incomplete(String),
}

/// The grid `options` ask for on `scenario` (whose file bytes are `source`).
pub fn grid(scenario: &Scenario, source: &[u8], options: &GridOptions) -> Result<Grid, CompareError> {
    let f = &scenario.file;
    if scenario.connection_count() == 0 {
        return Err(CompareError::NoConnections(f.name.clone()));
    }
    if options.seeds == 0 {
        return Err(CompareError::NoSeeds);
    }
    let cells: Vec<Cell> = if options.spreadings.is_empty() && options.backoffs.is_empty() {
        scenario
            .variants()
            .into_iter()
            .map(|v| {
                let s = SyncSettings::of(scenario, &v);
                Cell {
                    name: v.name,
                    spreading: s.spreading,
                    backoff: s.backoff,
                    retry_wrongpass: s.rules.retry_wrongpass as u8,
                    wrongpass_row_resets_on_user_action: s.rules.wrongpass_row_resets_on_user_action,
                    autosync_frequency: s.rules.autosync_frequency,
                }
            })
            .collect()
    } else {
        let spreadings = if options.spreadings.is_empty() {
            vec![(f.sync.spreading.describe(), f.sync.spreading.clone())]
        } else {
            options.spreadings.clone()
        };
        let backoffs = if options.backoffs.is_empty() {
            vec![(f.sync.backoff.describe().to_string(), f.sync.backoff)]
        } else {
            options.backoffs.clone()
        };
        let (retry_wrongpass, autosync_frequency) = (f.sync.retry_wrongpass, f.sync.autosync_frequency);
        let wrongpass_row_resets_on_user_action = f.sync.wrongpass_row_resets_on_user_action;
        let both = !options.backoffs.is_empty() && !options.spreadings.is_empty();
        let mut cells = Vec::new();
        for (s_name, spreading) in &spreadings {
            for (b_name, backoff) in &backoffs {
                let name = if both {
                    format!("{s_name} + {b_name}")
                } else if options.spreadings.is_empty() {
                    b_name.clone()
                } else {
                    s_name.clone()
                };
                cells.push(Cell {
                    name,
                    spreading: spreading.clone(),
                    backoff: *backoff,
                    retry_wrongpass,
                    wrongpass_row_resets_on_user_action,
                    autosync_frequency,
                });
            }
        }
        cells
    };
    for (k, c) in cells.iter().enumerate() {
        if cells[..k].iter().any(|d| d.name == c.name) {
            return Err(CompareError::DuplicateName(c.name.clone()));
        }
    }
    let first = options.first_seed.unwrap_or(f.seed);
    Ok(Grid {
        scenario: f.name.clone(),
        description: f.description.clone(),
        scenario_sha256: Sha256::digest(source).iter().map(|b| format!("{b:02x}")).collect(),
        connections: scenario.connection_count(),
        duration: f.duration.to_string(),
        cells,
        seeds: (0..options.seeds as u64).map(|k| first.wrapping_add(k)).collect(),
    })
}

/// Run one grid point: the scenario's sync part under the cell's policies and the seed.
fn run_point(scenario: &Scenario, cell: &Cell, seed: u64) -> Figures {
    let plan = expand(scenario, seed);
    let clock = LocalClock::new(scenario.zone, scenario.start, scenario.end);
    let setup = VariantSetup {
        rules: SyncRules {
            autosync_frequency: cell.autosync_frequency,
            retry_wrongpass: cell.retry_wrongpass == 1,
            wrongpass_row_resets_on_user_action: cell.wrongpass_row_resets_on_user_action,
        },
        spreading: cell.spreading.build(),
        backoff: cell.backoff.build(),
    };
    let mut trace = Trace::off();
    let (figures, _) = sync::run(&plan, &clock, setup, &scenario.file.report, seed, &mut trace, &mut |_| {});
    Figures::of(&figures)
}

/// Run the grid points of `shard` on `threads` threads (0: one per core). The samples come back
/// in grid order whatever the threads did, so the result does not depend on their number.
pub fn run_shard(scenario: &Scenario, grid: &Grid, shard: Shard, threads: usize) -> Result<Partial, CompareError> {
    run_shard_with_progress(scenario, grid, shard, threads, &|_, _| {})
}

/// [`run_shard`], calling `progress(done, total)` from the worker threads as points finish (for a
/// progress bar: the order of the calls varies, the result does not).
pub fn run_shard_with_progress(
    scenario: &Scenario,
    grid: &Grid,
    shard: Shard,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Partial, CompareError> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| CompareError::Threads(e.to_string()))?;
    let points: Vec<usize> = shard.points(grid.points()).collect();
    let samples = pool.install(|| {
        points
            .par_iter()
            .map(|&k| {
                let (cell, seed) = grid.point(k);
                let sample = Sample { cell, seed, figures: run_point(scenario, &grid.cells[cell], seed) };
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, points.len());
                sample
            })
            .collect()
    });
    Ok(Partial::new(grid.clone(), shard, samples))
}

/// One cell's result over all seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    pub name: String,
    pub spreading: String,
    pub backoff: String,
    /// One per [`Metric::ALL`], in that order.
    pub metrics: Vec<(String, Summary)>,
    /// Mean attempts per local hour over the seeds.
    pub by_local_hour: Vec<f64>,
    /// The figures on which no other policy is clearly better (confidence intervals apart).
    pub best_on: Vec<String>,
    /// The policies that are clearly better on some figure and clearly worse on none.
    pub dominated_by: Vec<String>,
}

impl CellResult {
    /// This cell's summary of `metric`.
    pub fn summary(&self, metric: Metric) -> Option<&Summary> {
        self.metrics.iter().find(|(k, _)| k == metric.key()).map(|(_, s)| s)
    }
}

/// The comparison, computed from the samples alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub scenario: String,
    pub description: String,
    pub scenario_sha256: String,
    pub connections: u64,
    pub duration: String,
    pub seeds: Vec<u64>,
    pub cells: Vec<CellResult>,
    pub syncsim_version: String,
    /// Every grid point, in grid order (for `samples.csv`; not in `compare.json`).
    #[serde(skip)]
    pub samples: Vec<Sample>,
}

impl Comparison {
    /// Check that `partials` are the shards of one grid, each point once, and compare.
    pub fn from_partials(partials: &[Partial]) -> Result<Comparison, CompareError> {
        let samples = partial::combine(partials)?;
        let grid = &partials[0].grid;
        Ok(Comparison::from_samples(grid, samples))
    }

    fn from_samples(grid: &Grid, samples: Vec<Sample>) -> Comparison {
        let per_cell: Vec<Vec<&Sample>> = (0..grid.cells.len()).map(|c| samples.iter().filter(|s| s.cell == c).collect()).collect();
        let summaries: Vec<Vec<Summary>> = per_cell
            .iter()
            .map(|ss| Metric::ALL.iter().map(|m| stats::summarise(&ss.iter().map(|s| m.value(&s.figures)).collect::<Vec<_>>())).collect())
            .collect();
        let better = |a: usize, b: usize, m: usize| Metric::ALL[m].ranked() && summaries[a][m].clearly_below(&summaries[b][m]);
        let cells = grid
            .cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let hours = per_cell[c].iter().map(|s| s.figures.by_local_hour.len()).max().unwrap_or(0);
                let by_local_hour = (0..hours)
                    .map(|h| {
                        per_cell[c].iter().map(|s| s.figures.by_local_hour.get(h).copied().unwrap_or(0) as f64).sum::<f64>()
                            / per_cell[c].len().max(1) as f64
                    })
                    .collect();
                let others = || (0..grid.cells.len()).filter(move |&o| o != c);
                CellResult {
                    name: cell.name.clone(),
                    spreading: cell.spreading.describe(),
                    backoff: cell.backoff.describe().to_string(),
                    metrics: Metric::ALL.iter().zip(&summaries[c]).map(|(m, s)| (m.key().to_string(), s.clone())).collect(),
                    by_local_hour,
                    best_on: (0..Metric::ALL.len())
                        .filter(|&m| Metric::ALL[m].ranked() && others().all(|o| !better(o, c, m)))
                        .map(|m| Metric::ALL[m].key().to_string())
                        .collect(),
                    dominated_by: others()
                        .filter(|&o| (0..Metric::ALL.len()).any(|m| better(o, c, m)) && (0..Metric::ALL.len()).all(|m| !better(c, o, m)))
                        .map(|o| grid.cells[o].name.clone())
                        .collect(),
                }
            })
            .collect();
        Comparison {
            scenario: grid.scenario.clone(),
            description: grid.description.clone(),
            scenario_sha256: grid.scenario_sha256.clone(),
            connections: grid.connections,
            duration: grid.duration.clone(),
            seeds: grid.seeds.clone(),
            cells,
            syncsim_version: env!("CARGO_PKG_VERSION").to_string(),
            samples,
        }
    }

    /// The summary of `metric` for the cell named `name`.
    pub fn summary(&self, name: &str, metric: Metric) -> Option<&Summary> {
        self.cells.iter().find(|c| c.name == name)?.summary(metric)
    }
}

/// Parse a policy given on the command line: a name, optionally with settings, as in
/// `random-hours:max_hours=3` or `load-aware:max=6h,slot=10m` (the scenario format's fields).
pub fn parse_policy<T: serde::de::DeserializeOwned>(given: &str) -> Result<(String, T), CompareError> {
    let bad = |reason: String| CompareError::BadPolicy { given: given.to_string(), reason };
    let (name, settings) = given.split_once(':').unwrap_or((given, ""));
    let mut object = serde_json::Map::new();
    object.insert("policy".into(), serde_json::Value::String(name.trim().to_string()));
    for pair in settings.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| bad(format!("expected key=value, found {pair:?}")))?;
        let value =
            v.trim().parse::<u64>().map(serde_json::Value::from).unwrap_or_else(|_| serde_json::Value::String(v.trim().to_string()));
        object.insert(k.trim().to_string(), value);
    }
    let settings = serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| bad(e.to_string()))?;
    Ok((given.to_string(), settings))
}

/// Every file of a comparison, by name, in a fixed order.
pub fn files(c: &Comparison) -> Result<Vec<(String, String)>, String> {
    let mut json = serde_json::to_string_pretty(c).map_err(|e| e.to_string())?;
    json.push('\n');
    let svgs = plots::render(c)?;
    let names: Vec<String> = svgs.iter().map(|(n, _)| n.clone()).collect();
    let mut out = vec![
        ("compare.md".to_string(), render::markdown(c, &names)),
        ("compare.json".to_string(), json),
        ("samples.csv".to_string(), render::samples_csv(c)),
    ];
    out.extend(svgs);
    Ok(out)
}

/// Write every file of a comparison into `dir` (created if needed).
pub fn write(dir: &std::path::Path, c: &Comparison) -> Result<(), String> {
    crate::sim::commands::output::write_files(dir, files(c)?)
}

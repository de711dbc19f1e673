//! `syncsim explore`: search the fault space of a scenario for its worst case, or for a
//! counterexample to assertions, within a fault budget; shrink what was found to the faults that
//! matter; write it as an ordinary scenario that `syncsim run` replays (issue #18).
//!
//! The parts: [`faults`] (the kinds, the budget, the faults as timeline events and outages),
//! [`goal`] (`--objective` and `--assert`), [`search`] (the seeded strategy), [`shrink`] (delta
//! debugging), [`render`] (the scenario written, `explore.md`, `explore.json`), [`command`] (the
//! command line's arguments to the files).

pub mod command;
pub mod faults;
pub mod goal;
pub mod render;
pub mod search;
pub mod shrink;

use std::collections::BTreeMap;
use std::sync::Mutex;

use rayon::prelude::*;

use self::faults::{Budget, Fault, FaultKind};
use self::goal::{Goal, Verdict};
use self::search::{Run, Strategy};
use self::shrink::Shrunk;
use crate::sim::analysis::report::metric_paths;
use crate::sim::commands::run::{self, RunOptions, TransportChoice};
use crate::sim::scenario::Scenario;
use crate::sim::scenario::model::ScenarioFile;
use crate::sim::scenario::nearest::nearest;
use crate::sim::scenario::validate::validate;

/// The most runs `--runs` takes, and the most shrinking may spend.
pub const MAX_RUNS: usize = 1_000_000;
pub const SHRINK_RUNS: usize = 400;

pub struct ExploreOptions {
    /// `--fault KIND[:MAX_PER_DAY]`; empty: every kind that applies, at its default rate.
    pub faults: BTreeMap<FaultKind, u32>,
    pub goal: Goal,
    pub runs: usize,
    /// The search's seed (the scenario keeps its own, so the result replays).
    pub seed: u64,
    /// 0: one per core.
    pub threads: usize,
    pub strategy: Strategy,
}

/// Everything the search found, for the files and the exit code.
pub struct Exploration {
    pub budget: Budget,
    /// The scenario as given, with no fault added.
    pub baseline: Verdict,
    pub runs: Vec<Run>,
    pub stopped_early: bool,
    /// The run with the best score (the first counterexample, if any).
    pub best: Run,
    pub shrunk: Shrunk,
    /// For each fault kept: the verdict without it (each one matters: the result is then lost).
    pub without: Vec<Verdict>,
}

impl Exploration {
    /// A counterexample to the assertions was found.
    pub fn violated(&self) -> bool {
        self.best.verdict.violated
    }
}

/// Search `scenario` as `options` say; `progress(done, total)` after each batch.
pub fn explore(scenario: &Scenario, options: &ExploreOptions, progress: &mut dyn FnMut(usize, usize)) -> Result<Exploration, String> {
    let file = &scenario.file;
    check_metrics(file, &options.goal)?;
    if options.runs == 0 || options.runs > MAX_RUNS {
        return Err(format!("--runs {}: expected between 1 and {MAX_RUNS}", options.runs));
    }
    let per_day = if options.faults.is_empty() { Budget::defaults(file) } else { options.faults.clone() };
    let budget = Budget::new(file, (scenario.end - scenario.start).as_ms(), per_day)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.threads).build().map_err(|e| format!("--threads: {e}"))?;
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let goal = &options.goal;
    let mut evaluate = |sets: &[Vec<Fault>]| -> Vec<Verdict> {
        pool.install(|| {
            sets.par_iter()
                .map(|set| {
                    run_with(file, set, goal).unwrap_or_else(|e| {
                        if let Ok(mut first) = failure.lock() {
                            first.get_or_insert(e);
                        }
                        Verdict { score: f64::NEG_INFINITY, value: None, violated: false }
                    })
                })
                .collect()
        })
    };
    let baseline = evaluate(&[Vec::new()]).remove(0);
    let total = options.runs;
    let mut counted = |sets: &[Vec<Fault>]| {
        let v = evaluate(sets);
        progress(sets.len(), total);
        v
    };
    let stop = matches!(goal, Goal::Assert(_));
    let searched = search::search(&budget, options.strategy, options.runs, options.seed, stop, &mut counted);
    let best = search::best(&searched.runs).map(|i| searched.runs[i].clone()).ok_or("no run was made")?;
    // Assertions that held everywhere: nothing to keep, the closest run is written as it is.
    let shrunk = if stop && !best.verdict.violated {
        Shrunk { faults: best.faults.clone(), verdict: best.verdict.clone(), runs: 0 }
    } else {
        shrink::shrink(goal, best.faults.clone(), best.verdict.clone(), SHRINK_RUNS, &mut evaluate)
    };
    let leave_one_out: Vec<Vec<Fault>> = (0..shrunk.faults.len())
        .map(|i| shrunk.faults.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, f)| f.clone()).collect())
        .collect();
    let without = evaluate(&leave_one_out);
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(format!("an added fault made the scenario invalid (a bug in explore, please report it): {e}"));
    }
    Ok(Exploration { budget, baseline, runs: searched.runs, stopped_early: searched.stopped_early, best, shrunk, without })
}

/// Runs `file` with `faults` added, in-process and without a trace, and judges its report.
pub fn run_with(file: &ScenarioFile, faults: &[Fault], goal: &Goal) -> Result<Verdict, String> {
    let scenario = validate(faults::apply(file, faults)).map_err(|findings| {
        findings.iter().map(|f| format!("{}: expected {}, found {}", f.path, f.expected, f.found)).collect::<Vec<_>>().join("; ")
    })?;
    let options =
        RunOptions { seed: None, transport: TransportChoice::InProcess, trace: None, trace_silent_checks: false, progress: &mut |_| {} };
    let (out, _) = run::run(&scenario, options);
    Ok(goal.judge(&out.report.variants))
}

/// Every figure the goal names is one the scenario's report has, or the nearest is suggested.
fn check_metrics(file: &ScenarioFile, goal: &Goal) -> Result<(), String> {
    let connectors: Vec<String> = file.sync.connectors.iter().map(|c| c.id.clone()).collect();
    let jobs: Vec<String> = file.cron.jobs.iter().map(|j| j.id.to_string()).collect();
    let monitors: Vec<String> = file.kuma.monitors.iter().map(|m| m.id.clone()).collect();
    let metrics = metric_paths(&connectors, &jobs, &monitors, file.payments.is_some());
    for metric in goal.metrics() {
        if !metrics.iter().any(|m| m == metric) {
            let hint = match nearest(metric, metrics.iter().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`?"),
                None => "`syncsim run` writes every figure in report.json".to_string(),
            };
            return Err(format!("{metric:?} is not a figure of this scenario's report: {hint}"));
        }
    }
    Ok(())
}

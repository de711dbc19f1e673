//! `syncsim explore` from the command line's arguments to the files it writes: the shrunk case
//! as a scenario, its usual report, `explore.md` and `explore.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::faults::{FaultKind, MAX_PER_DAY};
use super::goal::{Assertion, Goal};
use super::render::{self, Setup};
use super::search::Strategy;
use super::{Exploration, ExploreOptions, explore};
use crate::sim::commands::output;
use crate::sim::commands::run::{self, RunOptions, TransportChoice};
use crate::sim::scenario::nearest::nearest;
use crate::sim::scenario::{Scenario, load_str};

/// The arguments, as the command line gives them.
pub struct ExploreArgs {
    pub file: PathBuf,
    pub faults: Vec<String>,
    pub objective: Option<String>,
    pub minimize: bool,
    pub asserts: Vec<String>,
    pub runs: usize,
    pub seed: u64,
    pub threads: usize,
    pub strategy: Strategy,
    /// Default: `explore/<scenario name>/`.
    pub out: Option<PathBuf>,
}

/// What the command did, for its summary line and exit code.
pub struct Explored {
    pub violated: bool,
    pub summary: String,
}

/// `--fault KIND[:MAX_PER_DAY]`, repeated.
pub fn parse_faults(args: &[String]) -> Result<BTreeMap<FaultKind, u32>, String> {
    let mut out = BTreeMap::new();
    for arg in args {
        let (name, count) = arg.split_once(':').map_or((arg.as_str(), None), |(n, c)| (n, Some(c)));
        let kind = FaultKind::parse(name).ok_or_else(|| {
            let names = FaultKind::ALL.map(FaultKind::name);
            match nearest(name, names) {
                Some(near) => format!("--fault {arg}: unknown kind {name:?}; did you mean {near}?"),
                None => format!("--fault {arg}: unknown kind {name:?}; the kinds: {}", names.join(", ")),
            }
        })?;
        let per_day = match count {
            None => kind.default_per_day(),
            Some(c) => c.parse::<u32>().ok().filter(|n| (1..=MAX_PER_DAY).contains(n)).ok_or_else(|| {
                format!("--fault {arg}: expected {name}:N with N a whole number of faults a day between 1 and {MAX_PER_DAY}, found {c:?}")
            })?,
        };
        if out.insert(kind, per_day).is_some() {
            return Err(format!("--fault {name} is given twice"));
        }
    }
    Ok(out)
}

fn goal(args: &ExploreArgs) -> Result<Goal, String> {
    match (&args.objective, args.asserts.is_empty()) {
        (Some(metric), true) => Ok(Goal::Objective { metric: metric.clone(), maximize: !args.minimize }),
        (None, false) => Ok(Goal::Assert(args.asserts.iter().map(|a| Assertion::parse(a)).collect::<Result<_, _>>()?)),
        (Some(_), false) => Err("give either --objective or --assert, not both".into()),
        (None, true) => {
            Err("give --objective METRIC (the figure to push to its worst) or --assert \"METRIC OP VALUE\" (a property to break)".into())
        }
    }
}

/// Run the search on `scenario` (loaded from `args.file`) and write its files.
pub fn run_command(scenario: &Scenario, args: &ExploreArgs, progress: &mut dyn FnMut(usize, usize)) -> Result<Explored, String> {
    let goal = goal(args)?;
    let options = ExploreOptions {
        faults: parse_faults(&args.faults)?,
        goal: goal.clone(),
        runs: args.runs,
        seed: args.seed,
        threads: args.threads,
        strategy: args.strategy,
    };
    let out = args.out.clone().unwrap_or_else(|| Path::new("explore").join(&scenario.file.name));
    for violated in [true, false] {
        let path = out.join(format!("{}.json", render::case_name(&scenario.file.name, &goal, violated)));
        if same_file(&path, &args.file) {
            return Err(format!("{} is the scenario file; explore would overwrite it (choose another --out)", path.display()));
        }
    }
    let text = std::fs::read_to_string(&args.file).map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let original: serde_json::Value =
        serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text)).map_err(|e| format!("{}: {e}", args.file.display()))?;

    let e = explore(scenario, &options, progress)?;
    let case_name = render::case_name(&scenario.file.name, &goal, e.violated());
    let case_path = out.join(format!("{case_name}.json"));
    let case_text = render::scenario_file(&original, &scenario.file, &e, &goal)?;
    let replay = replay(&case_name, &case_text, &goal, &e)?;
    let setup = Setup { scenario: &scenario.file.name, goal: &goal, strategy: args.strategy, seed: args.seed, runs: args.runs };
    let case_file = case_path.display().to_string();
    let files = vec![
        (format!("{case_name}.json"), case_text),
        ("explore.md".to_string(), render::markdown(scenario, &setup, &e, &case_file)),
        ("explore.json".to_string(), render::json(scenario, &setup, &e)),
    ];
    output::write_files(&out, files)?;
    output::write(&out.join("report"), &replay)?;
    Ok(Explored { violated: e.violated(), summary: summary(&goal, &e, &out, &case_file) })
}

/// Runs the written case from its text, as `syncsim run` would, and checks that it gives the
/// figure the search found: what the user replays is what explore saw.
fn replay(name: &str, text: &str, goal: &Goal, e: &Exploration) -> Result<run::RunOutput, String> {
    let s = load_str(&format!("{name}.json"), text).map_err(|p| format!("the written case does not load (a bug in explore): {p:?}"))?;
    let options =
        RunOptions { seed: None, transport: TransportChoice::InProcess, trace: None, trace_silent_checks: false, progress: &mut |_| {} };
    let (out, _) = run::run(&s, options);
    let again = goal.judge(&out.report.variants);
    if again != e.shrunk.verdict {
        return Err(format!("the written case replays to {:?}, not {:?} (a bug in explore, please report it)", again, e.shrunk.verdict));
    }
    Ok(out)
}

fn summary(goal: &Goal, e: &Exploration, out: &Path, case_file: &str) -> String {
    let figure = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v}"));
    let head = match goal {
        Goal::Assert(_) if e.violated() => {
            format!(
                "COUNTEREXAMPLE after {} runs, shrunk to {} fault(s): figure {}",
                e.runs.len(),
                e.shrunk.faults.len(),
                figure(e.shrunk.verdict.value)
            )
        }
        Goal::Assert(_) => format!("HOLDS in {} runs (closest figure {})", e.runs.len(), figure(e.best.verdict.value)),
        Goal::Objective { metric, .. } => format!(
            "WORST {metric} = {} (without added faults {}) after {} runs, shrunk to {} fault(s)",
            figure(e.shrunk.verdict.value),
            figure(e.baseline.value),
            e.runs.len(),
            e.shrunk.faults.len()
        ),
    };
    format!("{head}\n  -> {}/explore.md\n  replay: syncsim run {case_file}", out.display())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

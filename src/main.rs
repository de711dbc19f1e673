//! The `syncsim` command line: parse arguments, call the library, print. Exit codes: 0 when every
//! expectation holds, 1 when one fails, 2 on invalid input or an I/O error.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant as WallInstant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use syncsim::sim::commands::advise::{self, AdviseError};
use syncsim::sim::commands::ci::{self, ScenarioVerdict};
use syncsim::sim::commands::cli::{shard_files, summary};
use syncsim::sim::commands::compare::{self, Comparison, GridOptions, Partial, Shard};
use syncsim::sim::commands::explore::command::{self as explore_command, ExploreArgs};
use syncsim::sim::commands::explore::search::Strategy;
use syncsim::sim::commands::run::{RunOptions, TransportChoice};
use syncsim::sim::commands::trace_file::{self, TraceFile};
use syncsim::sim::commands::{atomic, interrupt, output, run};
use syncsim::sim::scenario::{self, Problem, Scenario};

/// `println!` that cannot panic: see [`say_line`].
macro_rules! say {
    ($($arg:tt)*) => { say_line(format_args!($($arg)*)) };
}

/// `eprintln!` that cannot panic: see [`tell_line`].
macro_rules! tell {
    ($($arg:tt)*) => { tell_line(format_args!($($arg)*)) };
}

#[derive(Parser)]
#[command(
    name = "syncsim",
    version,
    about = "Deterministic virtual-time replay of bank-sync scheduling, cron heartbeats and payment recovery.",
    long_about = "Deterministic virtual-time replay of bank-sync scheduling, cron heartbeats and payment recovery.\n\n\
                  With no command, runs every scenario in ./scenarios and writes ./reports/<scenario>/."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenario files and write their reports.
    Run {
        /// Scenario files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Folder for the reports; each scenario writes <out>/<scenario name>/.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Write the JSON Lines trace of the run here (one scenario at a time); a name ending in
        /// `.zst` is compressed with zstd (about 10 times smaller; `zstd -d` reads it).
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Also trace each Kuma check that finds a fresh UP and stores nothing (`kuma` / `check`
        /// lines: one per monitor and interval while all is well).
        #[arg(long, requires = "trace")]
        trace_silent_checks: bool,
        /// How calls travel: real HTTP to mock servers, in-process, or auto (HTTP when the
        /// scenario makes at most 20 000 calls). Reports and traces are the same bytes either way.
        #[arg(long, value_enum, default_value_t = TransportArg::Auto)]
        transport: TransportArg,
        /// Also write a JUnit XML file (one test suite per scenario, one test case per
        /// expectation), for CI dashboards.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Check scenario files and report every problem with file, line and column.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Compare sync policies on one scenario: each policy under several seeds, in parallel; writes
    /// compare.md (table with 95 % intervals and a verdict), compare.json, samples.csv and plots.
    Compare {
        /// A scenario with sync connections. Its variants are the policies compared, unless
        /// --spreading or --backoff are given.
        file: PathBuf,
        /// A spreading policy to compare, with optional settings (repeat the flag):
        /// fixed, random-hours:max_hours=3, uniform-jitter:max=6h, stable-offset,
        /// load-aware:max=6h,slot=10m.
        #[arg(long = "spreading", value_name = "POLICY")]
        spreadings: Vec<String>,
        /// A backoff policy to compare (repeat the flag): exponential, full-jitter, equal-jitter,
        /// decorrelated-jitter. With --spreading too, every pair is compared.
        #[arg(long = "backoff", value_name = "POLICY")]
        backoffs: Vec<String>,
        /// How many seeds each policy runs under (the intervals narrow as it grows).
        #[arg(long, default_value_t = 20)]
        seeds: u32,
        /// The first seed (default: the scenario's); the others follow it.
        #[arg(long)]
        first_seed: Option<u64>,
        /// Worker threads (0: one per core; at most 256). The results do not depend on it.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=256))]
        threads: u16,
        /// Run only shard i of n (from 0) of the policies x seeds grid and write
        /// <out>/partial-<i>-of-<n>.json; `syncsim merge` combines the shards.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Output folder (default: reports/policies/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Search the fault space of a scenario for its worst case (--objective) or a counterexample
    /// (--assert), within a fault budget; shrink it to the faults that matter and write it as a
    /// scenario that `syncsim run` replays, with explore.md, explore.json and its report.
    /// Exit 1 when an assertion was broken, 0 otherwise.
    Explore {
        /// The scenario (hand-written or made by `import`); explore adds faults to a copy.
        file: PathBuf,
        /// A kind of fault explore may add, with at most MAX_PER_DAY a day (repeat the flag):
        /// job_error:2, job_crash:1, job_hang:1, cron_stop:1, kuma_restart:1,
        /// kuma_maintenance:1, push_outage:2, api_outage:1, webhook_outage:1,
        /// connector_outage:1 (the defaults; N from 1 to 24). None given: every kind that applies.
        #[arg(long = "fault", value_name = "KIND[:MAX_PER_DAY]")]
        faults: Vec<String>,
        /// Push this report figure to its worst (largest; smallest with --minimize), e.g.
        /// monitors.bridge-job.ttd_down_max_s.
        #[arg(long, value_name = "METRIC")]
        objective: Option<String>,
        /// With --objective: look for the smallest value.
        #[arg(long, requires = "objective")]
        minimize: bool,
        /// A property of the setup to break, "METRIC OP VALUE" (repeat the flag), e.g.
        /// "monitors.bridge-job.ttd_down_max_s <= 600". Stops at the first counterexample.
        #[arg(long = "assert", value_name = "\"METRIC OP VALUE\"")]
        asserts: Vec<String>,
        /// How many runs the search makes (the budget; same runs and seed, same result).
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        runs: u32,
        /// The search's seed (the scenario keeps its own seed, so the case replays).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads (0: one per core; at most 256). The results do not depend on it.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=256))]
        threads: u16,
        /// evolve: random starts, then mutate-and-keep-the-worse with restarts; random: every
        /// run drawn afresh (the baseline).
        #[arg(long, value_enum, default_value_t = StrategyArg::Evolve)]
        strategy: StrategyArg,
        /// Output folder (default: explore/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Combine the partial results of `compare --shard` into the report a single run gives.
    Merge {
        /// Partial files, or folders holding partial-*.json files.
        #[arg(required = true)]
        partials: Vec<PathBuf>,
        /// Output folder (default: reports/policies/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Import a real setup: an Uptime Kuma database (or its monitor table as JSON, or a 1.x
    /// backup) and Dolibarr's llx_cronjob (mysql --batch TSV, psql --csv CSV or a mysqldump);
    /// writes a scenario and prints the pairing and its audit.
    Import {
        /// Kuma: kuma.db (opened read-only and immutable), `sqlite3 -json` of its monitor
        /// table, or a Kuma 1.x backup JSON.
        #[arg(long, value_name = "FILE")]
        kuma: PathBuf,
        /// Dolibarr's llx_cronjob: TSV (`mysql --batch`), CSV (`psql --csv`) or a mysqldump.
        #[arg(long, value_name = "FILE")]
        dolibarr: PathBuf,
        /// Job ROWID pushes to MONITOR (a Kuma monitor id, name or push token); repeat the
        /// flag. Without it, jobs and monitors are paired by their closest names.
        #[arg(long = "link", value_name = "ROWID=MONITOR")]
        links: Vec<String>,
        /// The PHP server's time zone, in which Dolibarr wrote its datetimes.
        #[arg(long, value_name = "ZONE", default_value = "Europe/Paris")]
        tz: String,
        /// The scenario file to write (never one of the inputs).
        #[arg(short = 'o', long = "output", value_name = "SCENARIO")]
        output: PathBuf,
        /// The replay's start, RFC 3339 (default: the next whole hour after the latest run
        /// recorded in llx_cronjob).
        #[arg(long)]
        start: Option<String>,
        /// How long to replay (default 30d).
        #[arg(long)]
        duration: Option<String>,
        /// How often the host's cron calls Dolibarr's runner (default 5m).
        #[arg(long)]
        tick: Option<String>,
        /// Do not run `advise`'s sweep for each pair (faster; the audit shows no recommendation).
        #[arg(long)]
        no_advise: bool,
    },
    /// Advise Kuma push-monitor settings (interval, retries) and Healthchecks check settings for a
    /// job, from a scenario.
    Advise {
        /// A scenario with the job, its heartbeat and its monitor.
        file: PathBuf,
        /// The monitor to advise on (default: the first one a job pushes to).
        #[arg(long)]
        monitor: Option<String>,
        /// The largest acceptable number of false alerts per 30 days (a finite number, 0 or more).
        #[arg(long, default_value_t = 1.0, value_parser = finite_non_negative)]
        false_alerts_per_month: f64,
    },
}

/// A number of the kind a budget is: finite and not negative (`NaN`, `inf` and `-1` refused).
fn finite_non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) => Err(format!("expected a finite number, 0 or more, found {v}")),
        Err(e) => Err(format!("expected a number, found {text:?} ({e})")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum StrategyArg {
    Evolve,
    Random,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TransportArg {
    Auto,
    Http,
    InProcess,
}

impl From<TransportArg> for TransportChoice {
    fn from(t: TransportArg) -> Self {
        match t {
            TransportArg::Auto => TransportChoice::Auto,
            TransportArg::Http => TransportChoice::Http,
            TransportArg::InProcess => TransportChoice::InProcess,
        }
    }
}

/// What one scenario run came to, for the exit code.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Passed = 0,
    Failed = 1,
    Invalid = 2,
}

/// Why a command, or one scenario of a command, could not be done. [`fail`] prints it; its
/// outcome is always [`Outcome::Invalid`] (exit 2).
enum CliError {
    /// A scenario file's problems, each with its file, line and column.
    Problems(Vec<Problem>),
    /// `syncsim import` writes its scenario only when everything succeeded.
    Import(syncsim::import::ImportError),
    Advise(AdviseError),
    Compare(compare::CompareError),
    /// Anything else, said in one line (mostly an I/O error with the path it concerns).
    Message(String),
}

impl From<Vec<Problem>> for CliError {
    fn from(problems: Vec<Problem>) -> Self {
        CliError::Problems(problems)
    }
}

impl From<compare::CompareError> for CliError {
    fn from(e: compare::CompareError) -> Self {
        CliError::Compare(e)
    }
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError::Message(message)
    }
}

/// The one place an error is printed: on stderr, as `error: …` (a scenario's problems as they
/// are). Returns the outcome every error gives, so that a command which goes on after an error
/// (the other scenarios of `run`) keeps it.
fn fail(e: CliError) -> Outcome {
    match e {
        CliError::Problems(problems) => {
            for p in problems {
                tell!("{p}");
            }
        }
        CliError::Import(e) => {
            tell!("error: {e}");
            tell!("nothing was written");
        }
        CliError::Advise(e) => tell!("error: {e}"),
        CliError::Compare(e) => tell!("error: {e}"),
        CliError::Message(m) => tell!("error: {m}"),
    }
    Outcome::Invalid
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = interrupt::install() {
        tell!("warning: cannot handle SIGINT/SIGTERM ({e}); an interrupted run may leave .partial files");
    }
    let worst = real_main(cli).unwrap_or_else(fail);
    ExitCode::from(worst as u8)
}

fn real_main(cli: Cli) -> Result<Outcome, CliError> {
    match cli.command {
        None => run_all(Path::new("scenarios"), Path::new("reports")),
        Some(Command::Run { files, seed, out, trace, trace_silent_checks, transport, junit }) => {
            let mut ci = CiSinks::from_env();
            let trace = trace.as_deref().map(|path| TraceRequest { path, silent_checks: trace_silent_checks });
            let worst = run_files(&files, seed, &out, trace, transport.into(), &mut ci);
            let index = if files.len() > 1 { ci.write_index(&out) } else { Outcome::Passed };
            Ok(worst.max(ci.write_junit(junit.as_deref())).max(index))
        }
        Some(Command::Check { files }) => Ok(check(&files)),
        Some(Command::Import { kuma, dolibarr, links, tz, output, start, duration, tick, no_advise }) => {
            let options = syncsim::import::Options { kuma, dolibarr, links, tz, output, start, duration, tick, no_advise };
            let done = syncsim::import::import(&options).map_err(CliError::Import)?;
            say!("{}", done.report);
            Ok(Outcome::Passed)
        }
        Some(Command::Advise { file, monitor, false_alerts_per_month }) => {
            let s = scenario::load_file(&file)?;
            let a = advise::advise(&s, monitor.as_deref(), false_alerts_per_month).map_err(CliError::Advise)?;
            say!("{}", syncsim::import::audit_scenario(&s));
            say!("{}", advise::render(&a, false_alerts_per_month));
            Ok(Outcome::Passed)
        }
        Some(Command::Compare { file, spreadings, backoffs, seeds, first_seed, threads, shard, out }) => {
            compare(&file, CompareArgs { spreadings, backoffs, seeds, first_seed, threads: threads.into(), shard, out })
        }
        Some(Command::Explore { file, faults, objective, minimize, asserts, runs, seed, threads, strategy, out }) => {
            let s = scenario::load_file(&file)?;
            let strategy = match strategy {
                StrategyArg::Evolve => Strategy::Evolve,
                StrategyArg::Random => Strategy::Random,
            };
            let runs = runs as usize;
            let args = ExploreArgs { file, faults, objective, minimize, asserts, runs, seed, threads: threads.into(), strategy, out };
            let mut progress = Progress::new(&format!("explore {}", s.file.name));
            let mut done = 0;
            let mut on_batch = |n: usize, total: usize| {
                done += n;
                progress.update(done as f64 / total as f64);
            };
            let explored = explore_command::run_command(&s, &args, &mut on_batch).map_err(CliError::Message);
            progress.bar.finish_and_clear();
            let explored = explored?;
            say!("{}", explored.summary);
            Ok(if explored.violated { Outcome::Failed } else { Outcome::Passed })
        }
        Some(Command::Merge { partials, out }) => merge(&partials, out),
        Some(Command::Schema) => {
            say!("{}", serde_json::to_string_pretty(&scenario::json_schema()).unwrap_or_default());
            Ok(Outcome::Passed)
        }
    }
}

/// A line on stdout. A reader that went away (`syncsim schema | head -c1`) ends the command
/// quietly with 141, as a shell reports a process stopped by SIGPIPE; any other write error (a
/// full disk) is an error, exit 2. Never a panic (issue #17, item 5).
fn say_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        tell_line(format_args!("error: cannot write to standard output: {e}"));
        std::process::exit(2);
    }
}

/// A line on stderr; if stderr itself cannot be written there is no one left to tell.
fn tell_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn check(files: &[PathBuf]) -> Outcome {
    let mut worst = Outcome::Passed;
    let mut count = 0;
    for f in files {
        match scenario::load_file(f) {
            Ok(s) => {
                say!("ok: {} ({}, {} connections, {} variants)", f.display(), s.file.name, s.connection_count(), s.variants().len())
            }
            Err(problems) => {
                count += problems.len();
                worst = fail(problems.into());
            }
        }
    }
    if count > 0 {
        tell!("{count} problem(s) found");
    }
    worst
}

fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e} (run from the project folder)", dir.display()))?;
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    Ok(files)
}

fn run_all(dir: &Path, out: &Path) -> Result<Outcome, CliError> {
    let files = scenario_files(dir)?;
    say!("Running {} scenarios from {} into {}/", files.len(), dir.display(), out.display());
    let mut ci = CiSinks::from_env();
    let worst = run_files(&files, None, out, None, TransportChoice::Auto, &mut ci);
    let worst = worst.max(ci.write_index(out));
    let worst = worst.max(bundled_comparison(dir, out));
    say!(
        "{}",
        match worst {
            Outcome::Passed => "All expectations hold.",
            Outcome::Failed => "Some expectations failed: see the FAIL lines and their report.md.",
            Outcome::Invalid => "Some scenarios are invalid: see the errors above.",
        }
    );
    Ok(worst)
}
/// A progress bar on stderr, shown only for runs longer than a second and only on a terminal.
struct Progress {
    bar: ProgressBar,
    started: WallInstant,
    shown: bool,
}

impl Progress {
    fn new(name: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {percent}%") {
            bar.set_style(style);
        }
        bar.set_message(name.to_string());
        Progress { bar, started: WallInstant::now(), shown: false }
    }
    fn update(&mut self, share: f64) {
        if !self.shown && self.started.elapsed().as_secs_f64() > 1.0 && std::io::stderr().is_terminal() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position((share * 1000.0) as u64);
    }
}

/// Where a run's verdicts go besides stdout: failed expectations on stderr (always), GitHub
/// annotations and job summary (on GitHub Actions), and the JUnit file (with `--junit`).
struct CiSinks {
    github: bool,
    summary: Option<PathBuf>,
    verdicts: Vec<ScenarioVerdict>,
}

impl CiSinks {
    fn from_env() -> Self {
        let github = ci::github::active(std::env::var("GITHUB_ACTIONS").ok().as_deref());
        let summary = if github { std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()).map(PathBuf::from) } else { None };
        CiSinks { github, summary, verdicts: Vec::new() }
    }

    /// Print what CI reads of one scenario's verdict; an error appending the job summary makes
    /// the outcome invalid (an I/O error).
    fn record(&mut self, verdict: ScenarioVerdict) -> Outcome {
        for line in ci::failure_lines(&verdict) {
            tell!("{line}");
        }
        let mut outcome = Outcome::Passed;
        if self.github {
            for line in ci::github::annotations(&verdict) {
                say!("{line}");
            }
            if let Some(path) = &self.summary {
                let md = match &verdict.outcome {
                    ci::VerdictOutcome::Ran { report, .. } => syncsim::sim::analysis::markdown::verdict(report),
                    ci::VerdictOutcome::Invalid { problems } => {
                        format!("# {} — INVALID\n\n```\n{}\n```\n\n", verdict.file, problems.join("\n"))
                    }
                };
                if let Err(e) = ci::github::append_summary(path, &md) {
                    outcome = fail(e.into());
                }
            }
        }
        self.verdicts.push(verdict);
        outcome
    }

    /// `index.html` over the scenarios that ran, beside their report folders (none when none ran).
    fn write_index(&self, out: &Path) -> Outcome {
        let reports: Vec<_> = self
            .verdicts
            .iter()
            .filter_map(|v| match &v.outcome {
                ci::VerdictOutcome::Ran { report, .. } => Some(report.as_ref()),
                ci::VerdictOutcome::Invalid { .. } => None,
            })
            .collect();
        if reports.is_empty() {
            return Outcome::Passed; // nothing ran: nothing to index, and the folder is left alone
        }
        output::write_index(out, &reports).map_or_else(|e| fail(e.into()), |()| Outcome::Passed)
    }

    fn write_junit(&self, path: Option<&Path>) -> Outcome {
        let Some(path) = path else { return Outcome::Passed };
        ci::junit::junit(&self.verdicts).and_then(|xml| atomic::write(path, xml)).map_or_else(|e| fail(e.into()), |()| Outcome::Passed)
    }
}

/// Where `--trace` goes and what it holds.
#[derive(Clone, Copy)]
struct TraceRequest<'p> {
    path: &'p Path,
    silent_checks: bool,
}

/// Load every scenario before running any, and refuse what would lose data: a trace that
/// would overwrite an input, two scenarios that would write the same report folder (issue #17,
/// items 7 and 8). Each file is judged on its own; the valid ones run.
fn run_files(
    files: &[PathBuf],
    seed: Option<u64>,
    out: &Path,
    trace: Option<TraceRequest<'_>>,
    transport: TransportChoice,
    ci: &mut CiSinks,
) -> Outcome {
    if let Some(why) = trace.and_then(|trace| trace_refusal(files, trace.path)) {
        // Every file gets its verdict, so a JUnit file or a job summary shows the refusal
        // instead of reading as zero tests that all passed.
        for file in files {
            ci.record(ScenarioVerdict::invalid(file, vec![why.clone()]));
        }
        return fail(why.into());
    }
    let mut worst = Outcome::Passed;
    let mut folders: BTreeMap<String, &Path> = BTreeMap::new();
    let mut runs: Vec<(&Path, Scenario)> = Vec::new();
    for file in files {
        match scenario::load_file(file) {
            Ok(s) => match folders.get(&s.file.name) {
                Some(first) => {
                    let dir = out.join(&s.file.name);
                    worst = fail(CliError::Message(format!(
                        "{}: the scenario name {:?} is also {}'s; both would write {}/ (rename one)",
                        file.display(),
                        s.file.name,
                        first.display(),
                        dir.display()
                    )));
                    let why = format!("the scenario name {:?} is also {}'s", s.file.name, first.display());
                    ci.record(ScenarioVerdict::invalid(file, vec![why]));
                    say!("INVALID {}  (its report folder is another scenario's)", file.display());
                }
                None => {
                    folders.insert(s.file.name.clone(), file);
                    runs.push((file, s));
                }
            },
            Err(problems) => {
                let (count, lines) = (problems.len(), problems.iter().map(ToString::to_string).collect());
                worst = fail(problems.into());
                ci.record(ScenarioVerdict::invalid(file, lines));
                say!("INVALID {}  ({count} problems)", file.display());
            }
        }
    }
    runs.into_iter().map(|(file, s)| simulate(file, &s, seed, out, trace, transport, ci).unwrap_or_else(fail)).fold(worst, Outcome::max)
}

/// Why `--trace` cannot be honoured, if it cannot: one trace holds one scenario, and it must
/// not overwrite an input.
fn trace_refusal(files: &[PathBuf], trace: &Path) -> Option<String> {
    if files.len() > 1 {
        return Some(format!("--trace takes one scenario at a time ({} given; nothing was run)", files.len()));
    }
    let input = files.iter().find(|f| same_file(f, trace))?;
    Some(format!("--trace {} is the scenario file {}; it would be overwritten (nothing was run)", trace.display(), input.display()))
}

/// Whether two paths name the same existing file (after links and `..`).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Run one loaded scenario, write its report, and write the trace if asked. The trace goes to a
/// temporary name and is renamed when whole; a trace that cannot be written (a full disk) is an
/// error, but the finished simulation's reports are written all the same (issue #17, item 9).
/// The error is a trace file that cannot be created: then nothing runs.
fn simulate(
    file: &Path,
    scenario: &Scenario,
    seed: Option<u64>,
    out: &Path,
    request: Option<TraceRequest<'_>>,
    transport: TransportChoice,
    ci: &mut CiSinks,
) -> Result<Outcome, CliError> {
    let trace = request.map(|t| t.path);
    let dir = out.join(&scenario.file.name);
    let partial_trace = trace.map(output::partial_name);
    let zstd = trace.is_some_and(trace_file::compressed);
    let mut trace_file = partial_trace.as_deref().map(|p| TraceFile::create(p, zstd)).transpose().map_err(|e| {
        let name = trace.map(Path::display).map(|d| d.to_string()).unwrap_or_default();
        CliError::Message(format!("cannot create the trace file {name}: {e} (nothing was run)"))
    })?;
    interrupt::simulating(Some(&dir));
    interrupt::tracing(partial_trace.as_deref());
    let started = WallInstant::now();
    let mut progress = Progress::new(&scenario.file.name);
    let mut on_progress = |share: f64| progress.update(share);
    let (output, trace_result) = run::run(
        scenario,
        RunOptions {
            seed,
            transport,
            trace: trace_file.as_mut().map(|w| w as &mut dyn std::io::Write),
            trace_silent_checks: request.is_some_and(|t| t.silent_checks),
            progress: &mut on_progress,
        },
    );
    progress.bar.finish_and_clear();
    let flushed = trace_file.map(|w| w.finish().map_err(|e| e.to_string())).transpose();
    let traced = trace_result.map_err(|e| e.to_string()).and(flushed).and_then(|_| match (&partial_trace, trace) {
        (Some(partial), Some(trace)) => {
            std::fs::rename(partial, trace).map_err(|e| format!("cannot rename {} to {}: {e}", partial.display(), trace.display()))
        }
        _ => Ok(()),
    });
    if traced.is_err() {
        if let Some(partial) = &partial_trace {
            let _ = std::fs::remove_file(partial);
        }
    }
    interrupt::tracing(None);
    let written = output::write(&dir, &output);
    interrupt::simulating(None);
    let mut outcome = if output.report.passed { Outcome::Passed } else { Outcome::Failed };
    match written {
        Ok(()) => say!("{}", summary::run_line(&output, started.elapsed().as_secs_f64(), &dir)),
        Err(e) => outcome = fail(e.into()),
    }
    if let Err(e) = traced {
        outcome = fail(format!("writing the trace failed: {e}; no trace was left, the reports were written").into());
    }
    // The loader read the file a moment ago; reading it again only fails if it vanished since,
    // and then the failures are still printed, without their line.
    let text = std::fs::read_to_string(file).unwrap_or_default();
    Ok(outcome.max(ci.record(ScenarioVerdict::ran(file, &text, &output))))
}

/// The comparison `cargo run --release` refreshes with the bundled scenarios: the spreading
/// policies on the thundering herd, committed under reports/policies/ (issue #7).
const BUNDLED_COMPARISON: (&str, u32) = ("thundering-herd.json", 20);

fn bundled_comparison(scenarios: &Path, reports: &Path) -> Outcome {
    let (name, seeds) = BUNDLED_COMPARISON;
    let file = scenarios.join(name);
    if !file.exists() {
        return Outcome::Passed;
    }
    let out = Some(reports.join("policies").join(name.trim_end_matches(".json")));
    compare(&file, CompareArgs { seeds, out, ..CompareArgs::default() }).unwrap_or_else(fail)
}

#[derive(Default)]
struct CompareArgs {
    spreadings: Vec<String>,
    backoffs: Vec<String>,
    seeds: u32,
    first_seed: Option<u64>,
    threads: usize,
    shard: Option<String>,
    out: Option<PathBuf>,
}

fn compare(file: &Path, args: CompareArgs) -> Result<Outcome, CliError> {
    let source = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let scenario = scenario::load_file(file)?;
    let options = GridOptions {
        spreadings: args.spreadings.iter().map(|p| compare::parse_policy(p)).collect::<Result<_, _>>()?,
        backoffs: args.backoffs.iter().map(|p| compare::parse_policy(p)).collect::<Result<_, _>>()?,
        seeds: args.seeds,
        first_seed: args.first_seed,
    };
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let grid = compare::grid(&scenario, &source, &options)?;
    let dir = args.out.unwrap_or_else(|| shard_files::default_dir(&grid.scenario));
    let started = WallInstant::now();
    let progress = std::sync::Mutex::new(Progress::new(&format!("compare {}", grid.scenario)));
    let on_progress = |done: usize, total: usize| {
        if let Ok(mut p) = progress.lock() {
            p.update(done as f64 / total.max(1) as f64);
        }
    };
    let ran = compare::run_shard_with_progress(&scenario, &grid, shard.unwrap_or(Shard::WHOLE), args.threads, &on_progress);
    if let Ok(p) = progress.lock() {
        p.bar.finish_and_clear();
    }
    let partial = ran?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(shard) = shard {
        let path = shard_files::write(&dir, shard, &partial)?;
        say!("{}", summary::shard_line(shard, &grid, &partial, seconds, &path));
        return Ok(Outcome::Passed);
    }
    finish_comparison(&[partial], &dir, seconds)
}

fn finish_comparison(partials: &[Partial], dir: &Path, seconds: f64) -> Result<Outcome, CliError> {
    let comparison = Comparison::from_partials(partials)?;
    compare::write(dir, &comparison)?;
    say!("{}", summary::compare_line(&comparison, seconds, dir));
    Ok(Outcome::Passed)
}

fn merge(paths: &[PathBuf], out: Option<PathBuf>) -> Result<Outcome, CliError> {
    let partials = shard_files::read_partials(paths)?;
    let dir = out.unwrap_or_else(|| shard_files::default_dir(&partials[0].grid.scenario));
    finish_comparison(&partials, &dir, 0.0)
}

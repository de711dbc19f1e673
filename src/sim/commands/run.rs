//! Running a scenario: expand it, simulate every variant from the same seed, evaluate the
//! expectations, and hand back the report and the data for its plots.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::sim::analysis::alerts;
use crate::sim::analysis::alerts::MonitorTimeline;
use crate::sim::analysis::payments::{self, PaymentFigures, PaymentPlotData};
use crate::sim::analysis::report::{ExpectationResult, JobFigures, MonitorFigures, Report, VariantReport, metric_value};
use crate::sim::engine::trace::Trace;
use crate::sim::engine::transport::http::HttpTransport;
use crate::sim::engine::transport::{InProcess, Link, SharedService};
use crate::sim::loops::jobs as jobs_loop;
use crate::sim::loops::payments::PaySim;
use crate::sim::loops::sync::{self, SyncPlotData, VariantSetup};
use crate::sim::scenario::Scenario;
use crate::sim::scenario::jobs_plan::JobsPlan;
use crate::sim::scenario::plan::ScenarioPlan;
use crate::time::LocalClock;

/// A finished run: the report and what its plots are drawn from.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub report: Report,
    /// One per variant, in the report's order.
    pub plots: Vec<SyncPlotData>,
    /// The transport that carried the calls (not part of the report: both give the same bytes).
    pub transport: &'static str,
    /// For each of `report.expectations`, the index of the scenario's `expect` entry it checks
    /// (one entry gives one result per variant it names), so CI output can point at its line.
    pub sources: Vec<usize>,
}

/// Which transport carries the logic's calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TransportChoice {
    /// HTTP for scenarios that make at most [`AUTO_HTTP_MAX_CALLS`] calls, else in-process.
    #[default]
    Auto,
    Http,
    InProcess,
}

/// Above this many expected calls, `Auto` picks the in-process transport (HTTP over loopback
/// runs at a few thousand requests per second on the reference machine).
pub const AUTO_HTTP_MAX_CALLS: u64 = 20_000;

/// Why a run could not be completed as asked (the report may still be complete).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("writing the trace failed: {0}")]
    Trace(std::io::Error),
    #[error("the HTTP transport failed: {0}")]
    Transport(String),
}

/// The calls a scenario is expected to make, over all its variants: pushes (one per run of a
/// job with a heartbeat), and with payments, link creations, webhook deliveries and the recovery
/// job's calls.
pub fn expected_calls(scenario: &Scenario) -> u64 {
    let duration = (scenario.end - scenario.start).as_ms().max(0) as u64;
    let f = &scenario.file;
    scenario
        .variants()
        .iter()
        .map(|v| {
            let runs = |j: &crate::sim::scenario::model::JobFileSpec| {
                let freq = v.job_frequency.get(&j.id.to_string()).copied().unwrap_or(j.frequency);
                duration / freq.nominal().as_ms().max(1) as u64 + 1
            };
            let pushes: u64 = f.cron.jobs.iter().filter(|j| j.heartbeat.is_some()).map(runs).sum();
            let payments = f.payments.as_ref().map_or(0, |p| {
                let days = duration as f64 / crate::time::Duration::DAY.as_ms() as f64;
                let invoices = (p.invoices_per_day.max(0.0) * days) as u64;
                let recovery_runs = f.cron.jobs.iter().find(|j| j.id == p.recovery_job).map_or(0, runs);
                // One create call and about three deliveries per invoice; each run reads about a
                // day's open links twice.
                invoices * 4 + recovery_runs * (p.invoices_per_day.max(0.0) as u64) * 2
            });
            pushes + payments
        })
        .sum()
}

pub struct RunOptions<'a> {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    pub transport: TransportChoice,
    pub trace: Option<&'a mut dyn Write>,
    /// Also trace Kuma's checks that store nothing (`kuma` / `check`).
    pub trace_silent_checks: bool,
    /// Called now and then with the share of the run done (0.0 to 1.0).
    pub progress: &'a mut dyn FnMut(f64),
}

/// Run every variant of `scenario`. Never panics on a valid scenario; a trace write error is
/// returned after the run (the report itself is still complete).
pub fn run(scenario: &Scenario, options: RunOptions<'_>) -> (RunOutput, Result<(), RunError>) {
    let f = &scenario.file;
    let seed = options.seed.unwrap_or(f.seed);
    let plan = ScenarioPlan::new(scenario, seed);
    let clock = LocalClock::new(scenario.zone, scenario.start, scenario.end);
    let mut reports = Vec::new();
    let mut plots = Vec::new();
    let mut trace_out = options.trace;
    let mut trace_result: Result<(), RunError> = Ok(());
    let use_http = match options.transport {
        TransportChoice::Http => expected_calls(scenario) > 0 || !f.kuma.monitors.is_empty(),
        TransportChoice::InProcess => false,
        TransportChoice::Auto => {
            let calls = expected_calls(scenario);
            calls > 0 && calls <= AUTO_HTTP_MAX_CALLS
        }
    };
    let total_ms = (scenario.end - scenario.start).as_ms().max(1) as f64;
    let n = plan.variants.len() as f64;
    for (k, v) in plan.variants.iter().enumerate() {
        let mut trace =
            Trace::new(trace_out.as_deref_mut().map(|w| w as &mut dyn Write), &v.name).with_silent_checks(options.trace_silent_checks);
        let progress = &mut *options.progress;
        let mut on_time = |t: crate::time::Instant| progress((k as f64 + (t - scenario.start).as_ms() as f64 / total_ms) / n);
        let (figures, plot) = sync::run(&plan.sync, &clock, VariantSetup::new(&v.sync), &plan.report, seed, &mut trace, &mut on_time);
        let JobsOutcome { jobs, monitors, timelines, payments } = match run_jobs_with(&v.jobs, &mut trace, use_http) {
            Ok(figures) => figures,
            Err(e) => {
                if trace_result.is_ok() {
                    trace_result = Err(e);
                }
                JobsOutcome::default()
            }
        };
        let (payment_figures, payment_plot) = payments.unzip();
        if let Err(e) = trace.finish() {
            if trace_result.is_ok() {
                trace_result = Err(RunError::Trace(e));
            }
        }
        reports.push(VariantReport {
            name: v.name.clone(),
            spreading: v.sync.spreading.describe(),
            backoff: v.sync.backoff.describe().to_string(),
            retry_wrongpass: v.sync.rules.retry_wrongpass as u8,
            autosync_frequency: v.sync.rules.autosync_frequency.to_string(),
            sync: figures,
            jobs,
            monitors,
            payments: payment_figures,
        });
        plots.push(SyncPlotData { monitor_timelines: timelines, payments: payment_plot, ..plot });
    }
    (options.progress)(1.0);
    let (sources, expectations): (Vec<usize>, Vec<ExpectationResult>) = evaluate_indexed(scenario, &reports).into_iter().unzip();
    let report = Report {
        scenario: f.name.clone(),
        passed: expectations.iter().all(|e| e.passed),
        expectations,
        description: f.description.clone(),
        seed,
        start: scenario.start.to_rfc3339(),
        end: scenario.end.to_rfc3339(),
        time_zone: scenario.zone.name().to_string(),
        duration: f.duration.to_string(),
        connections: scenario.connection_count(),
        syncsim_version: env!("CARGO_PKG_VERSION").to_string(),
        variants: reports,
    };
    (RunOutput { report, plots, transport: if use_http { "http" } else { "in-process" }, sources }, trace_result)
}

/// The jobs, heartbeats and Kuma monitors of a scenario (empty when it has none), in-process.
pub fn run_jobs(scenario: &Scenario, seed: u64, trace: &mut Trace<'_>) -> (BTreeMap<String, JobFigures>, BTreeMap<String, MonitorFigures>) {
    run_planned_jobs(&JobsPlan::new(scenario, None, seed), trace)
}

/// The same for a plan (`advise` edits a plan's monitor settings).
pub fn run_planned_jobs(plan: &JobsPlan, trace: &mut Trace<'_>) -> (BTreeMap<String, JobFigures>, BTreeMap<String, MonitorFigures>) {
    run_jobs_with(plan, trace, false).map(|o| (o.jobs, o.monitors)).unwrap_or_default()
}

/// What the jobs loop gives the report.
#[derive(Default)]
pub struct JobsOutcome {
    pub jobs: BTreeMap<String, JobFigures>,
    pub monitors: BTreeMap<String, MonitorFigures>,
    pub timelines: Vec<MonitorTimeline>,
    pub payments: Option<(PaymentFigures, PaymentPlotData)>,
}

/// The same, over real HTTP to the mocks (Kuma, Bridge, the ERP's receiver) when `http` is true.
pub fn run_jobs_with(plan: &JobsPlan, trace: &mut Trace<'_>, http: bool) -> Result<JobsOutcome, RunError> {
    if plan.is_empty() {
        return Ok(JobsOutcome::default());
    }
    let kuma = Arc::new(Mutex::new(plan.kuma.server(plan.seed)));
    let service: SharedService = kuma.clone();
    let mut pay = PaySim::new(plan);
    let mut services = vec![(Link::KumaPush, service)];
    if let Some(p) = &pay {
        let bridge: SharedService = p.bridge.clone();
        let erp: SharedService = p.erp.clone();
        services.push((Link::BridgeApi, bridge));
        services.push((Link::Webhooks, erp));
    }
    let log = if http {
        let mut transport = HttpTransport::start(services).map_err(|e| RunError::Transport(e.to_string()))?;
        let log = jobs_loop::run(plan, &kuma, &mut transport, pay.as_mut(), trace);
        // A request that HTTP could not represent would silently differ from in-process.
        let errors = transport.take_errors();
        if let Some(first) = errors.first() {
            return Err(RunError::Transport(format!("{} error(s), the first: {first}", errors.len())));
        }
        log
    } else {
        let mut transport = InProcess::new(services);
        jobs_loop::run(plan, &kuma, &mut transport, pay.as_mut(), trace)
    };
    let a = alerts::analyse(plan, &log);
    Ok(JobsOutcome { jobs: a.jobs, monitors: a.monitors, timelines: a.timelines, payments: pay.as_ref().map(payments::analyse) })
}

/// Check each expectation against each variant it names (all of them when it names none).
pub fn evaluate(scenario: &Scenario, variants: &[VariantReport]) -> Vec<ExpectationResult> {
    evaluate_indexed(scenario, variants).into_iter().map(|(_, r)| r).collect()
}

/// [`evaluate`], each result with the index of the `expect` entry it checks.
pub fn evaluate_indexed(scenario: &Scenario, variants: &[VariantReport]) -> Vec<(usize, ExpectationResult)> {
    let mut out = Vec::new();
    for (i, e) in scenario.file.expect.iter().enumerate() {
        for v in variants.iter().filter(|v| e.variant.as_ref().is_none_or(|name| *name == v.name)) {
            let actual = metric_value(v, &e.metric);
            out.push((
                i,
                ExpectationResult {
                    metric: e.metric.clone(),
                    variant: v.name.clone(),
                    op: e.op.symbol().to_string(),
                    bound: e.value,
                    actual,
                    passed: actual.is_some_and(|a| e.op.holds(a, e.value)),
                },
            ));
        }
    }
    out
}

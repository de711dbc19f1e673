//! What `explore` writes: the shrunk case as a scenario file (the user's own file with the faults
//! appended and `expect` lines that fail on it), `explore.md` for a person and `explore.json`
//! for a program.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Exploration;
use super::faults::{self, Fault, FaultKind};
use super::goal::{Goal, Verdict};
use super::search::Strategy;
use crate::sim::scenario::Scenario;
use crate::sim::scenario::model::ScenarioFile;
use crate::time::Duration;

/// How the search was set up, as the files repeat it.
#[derive(Serialize)]
pub struct Setup<'a> {
    pub scenario: &'a str,
    pub goal: &'a Goal,
    pub strategy: Strategy,
    pub seed: u64,
    pub runs: usize,
}

/// The name of the scenario written: `<name>-worst`, `<name>-counterexample`, or
/// `<name>-closest` when the assertions held in every run.
pub fn case_name(scenario: &str, goal: &Goal, violated: bool) -> String {
    match goal {
        Goal::Objective { .. } => format!("{scenario}-worst"),
        Goal::Assert(_) if violated => format!("{scenario}-counterexample"),
        Goal::Assert(_) => format!("{scenario}-closest"),
    }
}

/// The user's file (`original`, as read) with the shrunk faults appended to its timeline and
/// fault plans, renamed, and its `expect` replaced by lines that fail on this case: the
/// assertions themselves, or `figure < worst` (`>` when minimising).
pub fn scenario_file(original: &Value, file: &ScenarioFile, e: &Exploration, goal: &Goal) -> Result<String, String> {
    let mut doc = original.as_object().cloned().ok_or("the scenario is not a JSON object")?;
    let with = faults::apply(file, &e.shrunk.faults);
    let added_events = serde_json::to_value(&with.timeline[file.timeline.len()..]).map_err(|e| e.to_string())?;
    append(&mut doc, "timeline", added_events);
    for (link, before, after) in [
        ("kuma_push", &file.faults.kuma_push, &with.faults.kuma_push),
        ("bridge_api", &file.faults.bridge_api, &with.faults.bridge_api),
        ("webhooks", &file.faults.webhooks, &with.faults.webhooks),
    ] {
        let had = before.as_ref().map_or(0, |l| l.outages.len());
        if let Some(l) = after.as_ref().filter(|l| l.outages.len() > had) {
            let added = serde_json::to_value(&l.outages[had..]).map_err(|e| e.to_string())?;
            let faults = doc.entry("faults").or_insert_with(|| json!({}));
            let link = faults.as_object_mut().ok_or("`faults` is not an object")?.entry(link).or_insert_with(|| json!({}));
            append(link.as_object_mut().ok_or("a link's faults are not an object")?, "outages", added);
        }
    }
    let name = case_name(&file.name, goal, e.violated());
    let what = match goal {
        Goal::Objective { metric, maximize: true } => format!("The largest {metric} explore found"),
        Goal::Objective { metric, maximize: false } => format!("The smallest {metric} explore found"),
        Goal::Assert(_) if e.violated() => "A counterexample explore found".to_string(),
        Goal::Assert(_) => "The run closest to breaking the assertions (none broke them)".to_string(),
    };
    let expect_note = if goal_holds_here(goal, e) {
        "Its expect lines hold."
    } else {
        "Its expect lines fail on purpose: they pin this case, and pass once a change fixes it."
    };
    doc.insert("name".into(), json!(name));
    doc.insert(
        "description".into(),
        json!(format!("{what} on {:?} with {} added fault(s). {expect_note}", file.name, e.shrunk.faults.len())),
    );
    doc.insert("expect".into(), Value::Array(expectations(goal, &e.shrunk.verdict)));
    let mut text = serde_json::to_string_pretty(&Value::Object(doc)).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

fn goal_holds_here(goal: &Goal, e: &Exploration) -> bool {
    matches!(goal, Goal::Assert(_)) && !e.violated()
}

fn append(doc: &mut Map<String, Value>, key: &str, items: Value) {
    let list = doc.entry(key).or_insert_with(|| json!([]));
    if let (Some(list), Value::Array(items)) = (list.as_array_mut(), items) {
        list.extend(items);
    }
}

fn expectations(goal: &Goal, verdict: &Verdict) -> Vec<Value> {
    match goal {
        Goal::Assert(list) => list.iter().map(|a| json!({"metric": a.metric, "op": a.op, "value": a.value})).collect(),
        Goal::Objective { metric, maximize } => {
            let op = if *maximize { "<" } else { ">" };
            vec![json!({"metric": metric, "op": op, "value": verdict.value.unwrap_or_default()})]
        }
    }
}

/// One fault as a person reads it.
#[derive(Serialize)]
pub struct FaultLine {
    pub kind: FaultKind,
    pub at: String,
    pub offset: String,
    pub duration: Option<String>,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<faults::LinkFailure>,
    /// The figure with this fault left out.
    pub value_without: Option<f64>,
    pub result_without: bool,
}

fn fault_line(s: &Scenario, f: &Fault, without: Option<&Verdict>) -> FaultLine {
    let file = &s.file;
    let target = match f.kind {
        FaultKind::JobError | FaultKind::JobCrash | FaultKind::JobHang => {
            let j = &file.cron.jobs[f.target];
            format!("job {} ({})", j.id, j.label)
        }
        FaultKind::KumaMaintenance => format!("monitor {}", file.kuma.monitors[f.target].id),
        FaultKind::ConnectorOutage => format!("connector {}", file.sync.connectors[f.target].id),
        FaultKind::CronStop => "the host's cron".into(),
        FaultKind::KumaRestart => "Kuma".into(),
        FaultKind::PushOutage => "the push link to Kuma".into(),
        FaultKind::ApiOutage => "the Bridge API link".into(),
        FaultKind::WebhookOutage => "Bridge's webhook deliveries".into(),
    };
    FaultLine {
        kind: f.kind,
        at: (s.start + Duration::from_ms(f.at_ms)).to_rfc3339(),
        offset: format!("+{}", Duration::from_ms(f.at_ms)),
        duration: (f.duration_ms > 0).then(|| Duration::from_ms(f.duration_ms).to_string()),
        target,
        failure: f.failure,
        value_without: without.and_then(|v| v.value),
        result_without: without.is_some_and(|v| v.violated),
    }
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    setup: &'a Setup<'a>,
    budget_per_day: Vec<(FaultKind, u32)>,
    baseline: &'a Verdict,
    runs_made: usize,
    stopped_early: bool,
    /// (runs made, best value so far) after each batch.
    progress: Vec<(usize, Option<f64>)>,
    best_run: usize,
    best: &'a Verdict,
    best_fault_count: usize,
    shrink_runs: usize,
    shrunk: &'a Verdict,
    faults: Vec<FaultLine>,
}

fn progress(e: &Exploration) -> Vec<(usize, Option<f64>)> {
    let mut out = Vec::new();
    let mut best: Option<&Verdict> = None;
    for (i, r) in e.runs.iter().enumerate() {
        if best.is_none_or(|b| r.verdict.score > b.score) {
            best = Some(&r.verdict);
        }
        if (i + 1) % super::search::BATCH == 0 || i + 1 == e.runs.len() {
            out.push((i + 1, best.and_then(|b| b.value)));
        }
    }
    out
}

fn report<'a>(s: &Scenario, setup: &'a Setup<'a>, e: &'a Exploration) -> Report<'a> {
    Report {
        setup,
        budget_per_day: e.budget.per_day.iter().map(|(k, n)| (*k, *n)).collect(),
        baseline: &e.baseline,
        runs_made: e.runs.len(),
        stopped_early: e.stopped_early,
        progress: progress(e),
        best_run: e.best.index,
        best: &e.best.verdict,
        best_fault_count: e.best.faults.len(),
        shrink_runs: e.shrunk.runs,
        shrunk: &e.shrunk.verdict,
        faults: e.shrunk.faults.iter().zip(&e.without).map(|(f, w)| fault_line(s, f, Some(w))).collect(),
    }
}

pub fn json(s: &Scenario, setup: &Setup<'_>, e: &Exploration) -> String {
    let mut text = serde_json::to_string_pretty(&report(s, setup, e)).unwrap_or_default();
    text.push('\n');
    text
}

fn figure(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |v| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.3}") })
}

pub fn markdown(s: &Scenario, setup: &Setup<'_>, e: &Exploration, case_file: &str) -> String {
    let r = report(s, setup, e);
    let mut md = format!("# explore: {}\n\n", setup.scenario);
    let (goal, metric) = match setup.goal {
        Goal::Objective { metric, maximize } => (format!("{} `{metric}`", if *maximize { "maximise" } else { "minimise" }), metric.clone()),
        Goal::Assert(list) => {
            let all: Vec<String> = list.iter().map(|a| format!("`{}`", a.describe())).collect();
            (format!("find a counterexample to {}", all.join(", ")), list.iter().map(|a| a.metric.clone()).collect::<Vec<_>>().join(", "))
        }
    };
    let budget: Vec<String> = r.budget_per_day.iter().map(|(k, n)| format!("{} ≤ {n}/day", k.name())).collect();
    md += &format!("- **Goal**: {goal}\n- **Budget**: {}\n", budget.join(", "));
    md += &format!(
        "- **Search**: {:?} strategy, seed {}, {} of {} runs{}\n",
        setup.strategy,
        setup.seed,
        r.runs_made,
        setup.runs,
        if r.stopped_early { " (stopped at the first counterexample)" } else { "" }
    )
    .to_lowercase()
    .replacen("- **search**", "- **Search**", 1);
    md += &format!("- **Without added faults**: {metric} = {}\n\n", figure(e.baseline.value));
    md += "## Result\n\n";
    md += &match setup.goal {
        Goal::Assert(_) if e.violated() => format!(
            "**Counterexample** at run {} ({} faults): the figure is {}. Shrunk in {} runs to the {} fault(s) below, which still break the assertion (figure {}).\n\n",
            r.best_run + 1,
            r.best_fault_count,
            figure(e.best.verdict.value),
            r.shrink_runs,
            e.shrunk.faults.len(),
            figure(e.shrunk.verdict.value)
        ),
        Goal::Assert(_) => format!(
            "**No counterexample** in {} runs: the assertions held in every run. The closest run (largest margin {:.3}) had {} faults.\n\n",
            r.runs_made, e.best.verdict.score, r.best_fault_count
        ),
        Goal::Objective { .. } => format!(
            "**Worst value {}** at run {} ({} faults). Shrunk in {} runs to the {} fault(s) below, which still give {}.\n\n",
            figure(e.best.verdict.value),
            r.best_run + 1,
            r.best_fault_count,
            r.shrink_runs,
            e.shrunk.faults.len(),
            figure(e.shrunk.verdict.value)
        ),
    };
    if !r.faults.is_empty() {
        md += "| # | fault | at | length | on | without it |\n|---|---|---|---|---|---|\n";
        for (i, f) in r.faults.iter().enumerate() {
            let failure = f
                .failure
                .map(|x| format!(" ({})", serde_json::to_value(x).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()))
                .unwrap_or_default();
            let without = match setup.goal {
                Goal::Assert(_) if !f.result_without => format!("holds ({})", figure(f.value_without)),
                Goal::Assert(_) => format!("still fails ({})", figure(f.value_without)),
                Goal::Objective { .. } => figure(f.value_without),
            };
            md += &format!(
                "| {} | {}{failure} | {} ({}) | {} | {} | {without} |\n",
                i + 1,
                f.kind.name(),
                f.at,
                f.offset,
                f.duration.as_deref().unwrap_or("—"),
                f.target
            );
        }
        md += "\n";
    }
    md += &if goal_holds_here(setup.goal, e) {
        format!("The closest run is written as `{case_file}` (its expect lines hold).\n\n")
    } else {
        format!("Replay it: `syncsim run {case_file}` (its expect lines fail on this case: exit 1 until it is fixed).\n\n")
    };
    md += "## Best value over the runs\n\n| runs | best so far |\n|---|---|\n";
    for (runs, best) in &r.progress {
        md += &format!("| {runs} | {} |\n", figure(*best));
    }
    md
}

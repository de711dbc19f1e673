//! Writing a run's files: `report.json`, `report.md`, `report.html` and the SVG plots under one
//! folder, and `index.html` over a run.

use std::path::Path;

use crate::sim::analysis::{html, markdown as render, plots};
use crate::sim::commands::run::RunOutput;

/// The bytes of `report.json` (pretty, stable field order, trailing newline).
pub fn report_json(output: &RunOutput) -> String {
    let mut s = serde_json::to_string_pretty(&output.report).unwrap_or_default();
    s.push('\n');
    s
}

/// Every file of a run, by name, in a fixed order.
pub fn files(output: &RunOutput) -> Result<Vec<(String, String)>, String> {
    let svgs = plots::render(output)?;
    let names: Vec<String> = svgs.iter().map(|(n, _)| n.clone()).collect();
    let markdown = render::markdown(&output.report, &names);
    let html = html::report(&output.report, &markdown, &svgs);
    let mut out =
        vec![("report.json".to_string(), report_json(output)), ("report.md".to_string(), markdown), ("report.html".to_string(), html)];
    out.extend(svgs);
    // Every paid invoice, when and by which path (one file per variant when there are several).
    let many = output.plots.iter().filter(|p| p.payments.is_some()).count() > 1;
    for (v, p) in output.report.variants.iter().zip(&output.plots) {
        if let Some(data) = &p.payments {
            let name = if many { format!("payments_{}.csv", v.name) } else { "payments.csv".to_string() };
            out.push((name, crate::sim::analysis::payments::csv(data)));
        }
    }
    Ok(out)
}

/// Write every file of a run into `dir` (created if needed).
pub fn write(dir: &Path, output: &RunOutput) -> Result<(), String> {
    write_files(dir, files(output)?)
}

/// Write named files into `dir` (created if needed), each atomically; also used by `syncsim compare`.
pub fn write_files(dir: &Path, files: Vec<(String, String)>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, contents) in files {
        let path = dir.join(&name);
        super::atomic::write(&path, contents)?;
    }
    Ok(())
}

/// Write `index.html` over the scenarios of a run into `out` (their reports are `out/<name>/`).
pub fn write_index(out: &Path, reports: &[&crate::sim::analysis::report::Report]) -> Result<(), String> {
    let entries: Vec<html::IndexEntry<'_>> = reports.iter().map(|r| html::IndexEntry { dir: r.scenario.clone(), report: r }).collect();
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    super::atomic::write(&out.join("index.html"), html::index("syncsim reports", &entries))
}

//! Writing a run's files: `report.json`, `report.md`, `report.html` and the SVG plots under one
//! folder, and `index.html` over a run.

pub use super::atomic::partial_name;
use std::path::{Path, PathBuf};

use crate::sim::analysis::{html, markdown as render, plots};
use crate::sim::commands::interrupt;
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

/// Write named files into `dir` (created if needed); also used by `syncsim compare`. Each file
/// is written whole to a temporary name first (`.report.md.partial`), and only when every one
/// is written are they renamed into place: a full disk or an interruption leaves the previous
/// files untouched, never a half-written one. A complete write removes a stale marker left by an
/// interrupted run.
pub fn write_files(dir: &Path, files: Vec<(String, String)>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (name, contents) in files {
        let path = dir.join(&name);
        let partial = partial_name(&path);
        if let Err(e) = std::fs::write(&partial, contents) {
            let _ = std::fs::remove_file(&partial);
            for (p, _) in &written {
                let _ = std::fs::remove_file(p);
            }
            return Err(format!("cannot write {}: {e} (the folder's previous files are untouched)", path.display()));
        }
        written.push((partial, path));
    }
    let _whole = interrupt::writing();
    for (partial, path) in &written {
        std::fs::rename(partial, path).map_err(|e| format!("cannot rename {} to {}: {e}", partial.display(), path.display()))?;
    }
    let stale = dir.join(interrupt::STALE_MARKER);
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| format!("cannot remove {}: {e}", stale.display()))?;
    }
    Ok(())
}

/// Write `index.html` over the scenarios of a run into `out` (their reports are `out/<name>/`).
pub fn write_index(out: &Path, reports: &[&crate::sim::analysis::report::Report]) -> Result<(), String> {
    let entries: Vec<html::IndexEntry<'_>> = reports.iter().map(|r| html::IndexEntry { dir: r.scenario.clone(), report: r }).collect();
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    super::atomic::write(&out.join("index.html"), html::index("syncsim reports", &entries))
}

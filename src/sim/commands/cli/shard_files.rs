//! The files of a sharded comparison: where `compare --shard i/n` writes its partial result, and
//! which files `merge` reads back (files as given, folders' `partial-*.json` in name order).

use std::path::{Path, PathBuf};

use crate::sim::commands::compare::{Partial, Shard};

/// Where `compare` and `merge` write when no `--out` is given: `reports/policies/<scenario>`.
pub fn default_dir(scenario: &str) -> PathBuf {
    Path::new("reports").join("policies").join(scenario)
}

/// Write one shard's partial result as `<dir>/partial-<i>-of-<n>.json` (creating `dir`),
/// whole or not at all (an interrupted shard leaves no cut-off file for `merge` to trip on), and
/// return its path.
pub fn write(dir: &Path, shard: Shard, partial: &Partial) -> Result<PathBuf, String> {
    let path = dir.join(shard.file_name());
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    crate::sim::commands::atomic::write(&path, partial.to_json())?;
    Ok(path)
}

/// The partial files among `paths`: files as given, folders' `partial-*.json` in name order. A
/// folder without one is an error (a wrong folder, or shards that have not run yet).
pub fn partial_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("partial-")) && f.extension().is_some_and(|x| x == "json")
                })
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("{} holds no partial-*.json file", p.display()));
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// Read and parse every partial file among `paths` (see [`partial_files`]), in that order; the
/// first file that cannot be read or parsed is the error.
pub fn read_partials(paths: &[PathBuf]) -> Result<Vec<Partial>, String> {
    partial_files(paths)?
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            Partial::from_json(&f.display().to_string(), &text).map_err(|e| e.to_string())
        })
        .collect()
}

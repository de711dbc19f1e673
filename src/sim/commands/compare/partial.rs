//! Partial results: what one shard of a comparison grid writes, and how shards combine.
//!
//! Shard `i` of `n` runs the grid points `k` with `k % n == i` (round-robin, so every shard gets
//! a share of every policy and the shards take about the same time). A partial file carries the
//! whole grid, so `merge` needs no scenario and can check that the shards belong together.

use serde::{Deserialize, Serialize};

use super::{CompareError, Grid, Sample};

/// The format tag of a partial file; a change of its shape changes the number.
pub const FORMAT: &str = "syncsim-compare-partial/1";

/// `i/n`: this shard's index (from 0, as a Kubernetes indexed Job's `JOB_COMPLETION_INDEX`) and
/// the number of shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parse `i/n`.
    pub fn parse(s: &str) -> Result<Shard, CompareError> {
        let bad = || CompareError::BadShard(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The grid points of this shard, in grid order.
    pub fn points(self, total: usize) -> impl Iterator<Item = usize> {
        (self.index..total).step_by(self.count)
    }

    /// The file a shard writes: `partial-<i>-of-<n>.json`.
    pub fn file_name(self) -> String {
        format!("partial-{}-of-{}.json", self.index, self.count)
    }
}

/// What one shard writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    pub format: String,
    pub shard: Shard,
    pub grid: Grid,
    pub samples: Vec<Sample>,
}

impl Partial {
    pub fn new(grid: Grid, shard: Shard, samples: Vec<Sample>) -> Self {
        Partial { format: FORMAT.to_string(), shard, grid, samples }
    }

    /// The file's bytes (pretty JSON with a trailing newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Read a partial file's text; `file` names it in errors.
    pub fn from_json(file: &str, text: &str) -> Result<Partial, CompareError> {
        let bad = |reason: String| CompareError::BadPartial { file: file.to_string(), reason };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("line {}, column {}: {e}", e.line(), e.column())))?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != FORMAT {
            return Err(bad(format!("field `format`: expected {FORMAT:?}, found {format:?} (not a partial result of this syncsim)")));
        }
        let p: Partial = serde_path_to_error::deserialize(value).map_err(|e| bad(format!("field `{}`: {}", e.path(), e.inner())))?;
        if p.grid.seeds.is_empty() || p.grid.cells.is_empty() {
            return Err(bad("the grid has no seeds or no cells".into()));
        }
        if p.shard.count == 0 || p.shard.index >= p.shard.count {
            return Err(bad(format!("field `shard`: expected 0 <= index < count, found {}/{}", p.shard.index, p.shard.count)));
        }
        Ok(p)
    }
}

/// The samples of `partials`, in grid order, after checking that they are the `n` shards of one
/// grid, each once, and that every grid point is there exactly once with the cell and seed the
/// grid puts there.
pub fn combine(partials: &[Partial]) -> Result<Vec<Sample>, CompareError> {
    let first = partials.first().ok_or_else(|| CompareError::Incomplete("no partial results given".into()))?;
    let count = first.shard.count;
    for p in partials {
        if p.grid != first.grid {
            return Err(CompareError::Mismatch(format!(
                "shard {}/{} was run on another grid than shard {}/{} (scenario {} sha256 {} vs {} sha256 {}, or other policies or seeds)",
                p.shard.index,
                p.shard.count,
                first.shard.index,
                first.shard.count,
                p.grid.scenario,
                short(&p.grid.scenario_sha256),
                first.grid.scenario,
                short(&first.grid.scenario_sha256)
            )));
        }
        if p.shard.count != count {
            return Err(CompareError::Mismatch(format!("shards of {} and of {} are mixed", count, p.shard.count)));
        }
    }
    let mut seen = vec![false; count];
    for p in partials {
        if std::mem::replace(&mut seen[p.shard.index], true) {
            return Err(CompareError::Mismatch(format!("shard {}/{count} is given twice", p.shard.index)));
        }
    }
    let missing: Vec<String> = seen.iter().enumerate().filter(|(_, s)| !**s).map(|(i, _)| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        return Err(CompareError::Incomplete(format!("missing shard(s) {}", missing.join(", "))));
    }
    let grid = &first.grid;
    let total = grid.points();
    let mut slots: Vec<Option<Sample>> = vec![None; total];
    for p in partials {
        let expected: Vec<usize> = p.shard.points(total).collect();
        if p.samples.len() != expected.len() {
            return Err(CompareError::Incomplete(format!(
                "shard {}/{count} has {} samples, its share of the grid is {}",
                p.shard.index,
                p.samples.len(),
                expected.len()
            )));
        }
        for (k, s) in expected.into_iter().zip(&p.samples) {
            let (cell, seed) = grid.point(k);
            if (s.cell, s.seed) != (cell, seed) {
                return Err(CompareError::Mismatch(format!(
                    "shard {}/{count}: grid point {k} should be cell {cell} seed {seed}, found cell {} seed {}",
                    p.shard.index, s.cell, s.seed
                )));
            }
            slots[k] = Some(s.clone());
        }
    }
    Ok(slots.into_iter().flatten().collect())
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_grid_round_robin_and_cover_every_point_once() {
        let total = 23;
        let mut covered = vec![0; total];
        for i in 0..4 {
            for k in (Shard { index: i, count: 4 }).points(total) {
                assert_eq!(k % 4, i);
                covered[k] += 1;
            }
        }
        assert!(covered.iter().all(|&c| c == 1));
    }

    #[test]
    fn shard_syntax_is_index_slash_count_from_zero() {
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        for bad in ["5/5", "1/0", "x/2", "3", "-1/2"] {
            assert_eq!(Shard::parse(bad), Err(CompareError::BadShard(bad.into())), "{bad}");
        }
    }

    #[test]
    fn a_file_that_is_not_a_partial_result_is_named_in_the_error() {
        let e = Partial::from_json("x.json", r#"{"format": "other"}"#).unwrap_err();
        assert!(e.to_string().contains("x.json") && e.to_string().contains("format"), "{e}");
        let e = Partial::from_json("y.json", "{\n  \"format\": ").unwrap_err();
        assert!(e.to_string().contains("y.json: line 2"), "{e}");
    }
}

//! `syncsim compare` and `syncsim merge`: shards merge into the single run's bytes, the thread
//! count changes nothing, and two policies rank as their definitions imply (issue #7).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::scenario_file::{ScenarioFile, Sync};
use syncsim::logic::sync::{BackoffSettings, SpreadingSettings};
use syncsim::sim::commands::compare::{self, CompareError, Comparison, GridOptions, Metric, Partial, Shard};
use syncsim::sim::scenario::{self, Scenario};

mod support;

/// A herd created in one minute on one bank. `capacity` per minute decides whether it is
/// rate-limited; `variants` are the policies.
fn herd(count: u32, capacity: u32, variants: Vec<Value>) -> String {
    let file = ScenarioFile::new("herd", "2026-03-02T00:00:00Z", "5d")
        .seed(7)
        .time_zone("UTC")
        .sync(Sync::new().connector("bank", Some(capacity)).population("herd", count, ("+0s", "+59s")))
        .report(json!({"warmup": "1d"}));
    variants.into_iter().fold(file, ScenarioFile::variant).text()
}

fn fixed_vs_jitter() -> Vec<Value> {
    vec![
        json!({"name": "fixed", "spreading": {"policy": "fixed"}}),
        json!({"name": "uniform-jitter", "spreading": {"policy": "uniform-jitter", "max": "6h"}}),
    ]
}

fn load(text: &str) -> Scenario {
    scenario::load_str("herd.json", text).unwrap_or_else(|p| panic!("{p:#?}"))
}

fn options(seeds: u32) -> GridOptions {
    GridOptions { seeds, ..GridOptions::default() }
}

fn compared(text: &str, o: &GridOptions, threads: usize) -> Comparison {
    let s = load(text);
    let grid = compare::grid(&s, text.as_bytes(), o).unwrap();
    Comparison::from_partials(&[compare::run_shard(&s, &grid, Shard::WHOLE, threads).unwrap()]).unwrap()
}

fn files(c: &Comparison) -> Vec<(String, String)> {
    compare::files(c).unwrap()
}

#[test]
fn merging_shards_read_back_from_their_files_gives_the_single_run_byte_for_byte() {
    let text = herd(300, 1000, fixed_vs_jitter());
    let s = load(&text);
    let grid = compare::grid(&s, text.as_bytes(), &options(5)).unwrap();
    let single = Comparison::from_partials(&[compare::run_shard(&s, &grid, Shard::WHOLE, 2).unwrap()]).unwrap();
    // 2 policies x 5 seeds = 10 points in 3 uneven shards, given in a shuffled order.
    let mut partials = Vec::new();
    for index in [2, 0, 1] {
        let p = compare::run_shard(&s, &grid, Shard { index, count: 3 }, 1).unwrap();
        partials.push(Partial::from_json("shard.json", &p.to_json()).unwrap());
    }
    let merged = Comparison::from_partials(&partials).unwrap();
    assert_eq!(files(&merged), files(&single));
    assert_eq!(single.samples.len(), 10);
}

#[test]
fn the_thread_count_does_not_change_the_results() {
    let text = herd(300, 1000, fixed_vs_jitter());
    let one = files(&compared(&text, &options(6), 1));
    for threads in [2, 5] {
        assert_eq!(files(&compared(&text, &options(6), threads)), one, "{threads} threads");
    }
}

#[test]
fn even_jitter_beats_fixed_on_load_and_same_hour_while_fixed_stays_fresher() {
    // Definitions (SPEC 1.3): `fixed` is J = 0, so a herd created together syncs together every
    // day: one peak minute and the same hour daily. `uniform-jitter` adds J in [0, 6 h]: the
    // load spreads, the hour changes, but each period is J/2 = 3 h longer on average, so data is
    // older. No rate limit here (capacity above the herd), so only spreading differs.
    let c = compared(&herd(2000, 5000, fixed_vs_jitter()), &options(8), 0);
    let (fixed, jitter) = (&c.cells[0], &c.cells[1]);
    for m in [Metric::PeakToMean, Metric::SameHourShare] {
        assert!(jitter.best_on.contains(&m.key().to_string()) && !fixed.best_on.contains(&m.key().to_string()), "{m:?}: {c:#?}");
    }
    assert!(c.summary("fixed", Metric::SameHourShare).unwrap().mean > 0.95);
    // The tail shows the longer periods clearly; the median too, but by less than the 5 % the
    // verdict counts.
    let p95 = Metric::FreshnessP95.key().to_string();
    assert!(fixed.best_on.contains(&p95) && !jitter.best_on.contains(&p95), "{c:#?}");
    assert!(c.summary("fixed", Metric::FreshnessP50).unwrap().mean < c.summary("uniform-jitter", Metric::FreshnessP50).unwrap().mean);
    assert!(fixed.dominated_by.is_empty() && jitter.dominated_by.is_empty(), "a trade-off, not a domination");
}

#[test]
fn a_rate_limited_herd_with_plain_exponential_backoff_is_dominated_by_full_jitter() {
    // Rule D retries a rateLimiting answer after 2 h x 2^(n-1) with no jitter: the refused part
    // of the herd comes back together and is refused again. Full jitter spreads the retries.
    let o = GridOptions {
        spreadings: vec![compare::parse_policy::<SpreadingSettings>("fixed").unwrap()],
        backoffs: vec![
            compare::parse_policy::<BackoffSettings>("exponential").unwrap(),
            compare::parse_policy::<BackoffSettings>("full-jitter").unwrap(),
        ],
        ..options(4)
    };
    let c = compared(&herd(1500, 100, vec![json!({"name": "unused"})]), &o, 0);
    assert_eq!(c.cells.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["fixed + exponential", "fixed + full-jitter"]);
    let exp = c.summary("fixed + exponential", Metric::RateLimited).unwrap();
    let jit = c.summary("fixed + full-jitter", Metric::RateLimited).unwrap();
    assert!(jit.clearly_below(exp), "{jit:?} vs {exp:?}");
    assert_eq!(c.cells[0].dominated_by, ["fixed + full-jitter"]);
}

#[test]
fn shards_of_another_grid_or_a_missing_shard_do_not_merge() {
    let text = herd(100, 1000, fixed_vs_jitter());
    let s = load(&text);
    let grid = compare::grid(&s, text.as_bytes(), &options(3)).unwrap();
    let shard = |g: &compare::Grid, index| compare::run_shard(&s, g, Shard { index, count: 2 }, 1).unwrap();
    let missing = Comparison::from_partials(&[shard(&grid, 0)]).unwrap_err();
    assert_eq!(missing, CompareError::Incomplete("missing shard(s) 1/2".into()));
    let twice = Comparison::from_partials(&[shard(&grid, 0), shard(&grid, 0)]).unwrap_err();
    assert!(matches!(twice, CompareError::Mismatch(ref m) if m.contains("given twice")), "{twice}");
    let other = compare::grid(&s, text.as_bytes(), &options(4)).unwrap();
    let mixed = Comparison::from_partials(&[shard(&grid, 0), shard(&other, 1)]).unwrap_err();
    assert!(matches!(mixed, CompareError::Mismatch(ref m) if m.contains("another grid")), "{mixed}");
    let edited = compare::grid(&s, format!("{text} ").as_bytes(), &options(3)).unwrap();
    assert!(Comparison::from_partials(&[shard(&grid, 0), shard(&edited, 1)]).is_err(), "another file's bytes");
}

#[test]
fn bad_policies_and_scenarios_without_connections_are_clear_errors() {
    let e = compare::parse_policy::<SpreadingSettings>("random-hours:max=6h").unwrap_err();
    assert!(e.to_string().contains("random-hours:max=6h") && e.to_string().contains("unknown field `max`"), "{e}");
    let e = compare::parse_policy::<SpreadingSettings>("spread-evenly").unwrap_err();
    assert!(e.to_string().contains("unknown variant `spread-evenly`"), "{e}");
    let (_, ok) = compare::parse_policy::<SpreadingSettings>("load-aware:max=4h,slot=5m").unwrap();
    assert_eq!(ok.describe(), "load-aware(max=4h, slot=5m)");
    let jobs_only = r#"{"name": "jobs", "start": "2026-03-02T00:00:00Z", "duration": "1d"}"#;
    let e = compare::grid(&load(jobs_only), jobs_only.as_bytes(), &options(2)).unwrap_err();
    assert_eq!(e, CompareError::NoConnections("jobs".into()));
}

fn syncsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_syncsim")).args(args).output().unwrap()
}

fn dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn compare_and_merge_from_the_command_line_write_the_same_report() {
    let dir: PathBuf = std::env::temp_dir().join(format!("syncsim-compare-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("herd.json");
    std::fs::write(&file, herd(200, 1000, fixed_vs_jitter())).unwrap();
    let path = |p: &str| dir.join(p).to_string_lossy().to_string();
    let f = file.to_string_lossy().to_string();
    let out = syncsim(&["compare", &f, "--seeds", "3", "--out", &path("single")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("COMPARE herd"));
    for i in 0..2 {
        let out = syncsim(&["compare", &f, "--seeds", "3", "--threads", "1", "--shard", &format!("{i}/2"), "--out", &path("shards")]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = syncsim(&["merge", &path("shards"), "--out", &path("merged")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let single = dir_files(&dir.join("single"));
    assert_eq!(
        single.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["compare.json", "compare.md", "compare.svg", "load_by_hour.svg", "samples.csv"]
    );
    assert_eq!(dir_files(&dir.join("merged")), single);
    let bad = syncsim(&["compare", &f, "--shard", "2/2"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid shard \"2/2\""));
}

#[test]
fn the_committed_policy_comparison_is_fresh() {
    // What `cargo run --release` writes under reports/policies/ (BUNDLED_COMPARISON in main.rs).
    let file = Path::new("scenarios/thundering-herd.json");
    let text = std::fs::read_to_string(file).unwrap();
    let c = compared(&text, &options(20), 0);
    let dir = Path::new("reports/policies").join(&c.scenario);
    let expected = files(&c);
    let mut stale = Vec::new();
    for (name, contents) in &expected {
        if std::fs::read_to_string(dir.join(name)).ok().as_ref() != Some(contents) {
            stale.push(format!("{}/{name}", dir.display()));
        }
    }
    let on_disk = dir_files(&dir).len();
    assert!(
        stale.is_empty() && on_disk == expected.len(),
        "stale: {stale:?} ({on_disk} files on disk); run `cargo run --release` and commit"
    );
}

//! Statistical properties of the spreading policies, against the bands their definitions imply
//! (never a perfect value): 1 440 daily connections, one created per minute, so the mean load is
//! one attempt per minute. Even spacing (`fixed` keeps the creation minutes) peaks at exactly the
//! mean; random or hashed placement of n attempts in n minute slots peaks at several times it (the
//! maximum of about 14 400 Poisson(1) draws is 7 or 8).

use serde_json::json;
use support::scenario_file::{Offset, ScenarioFile, Sync};
use syncsim::sim::commands::run::{self, RunOptions, TransportChoice};
use syncsim::sim::scenario;

mod support;

fn peak_to_mean() -> Vec<(String, f64, f64)> {
    let sync = (0..1440).fold(Sync::new().connector("b", None), |s, i| s.connection(&format!("c{i}"), "b", Some(Offset::minutes(i))));
    let text = ScenarioFile::new("bands", "2026-02-02T00:00:00Z", "12d")
        .seed(9)
        .time_zone("UTC")
        .sync(sync)
        .variant(json!({"name": "fixed", "spreading": {"policy": "fixed"}}))
        .variant(json!({"name": "uniform-jitter", "spreading": {"policy": "uniform-jitter", "max": "24h"}}))
        .variant(json!({"name": "stable-offset", "spreading": {"policy": "stable-offset"}}))
        .variant(json!({"name": "random-hours", "spreading": {"policy": "random-hours", "max_hours": 23}}))
        .report(json!({"warmup": "2d", "freshness_sample_every": "6h"}))
        .text();
    let s = scenario::load_str("bands.json", &text).unwrap();
    let (out, r) = run::run(
        &s,
        RunOptions { seed: None, transport: TransportChoice::InProcess, trace: None, trace_silent_checks: false, progress: &mut |_| {} },
    );
    r.unwrap();
    out.report.variants.iter().map(|v| (v.name.clone(), v.sync.overall.peak_to_mean, v.sync.same_hour_share)).collect()
}

fn get(rows: &[(String, f64, f64)], name: &str) -> (f64, f64) {
    let r = rows.iter().find(|r| r.0 == name).unwrap();
    (r.1, r.2)
}

#[test]
fn even_spacing_stays_flat_while_random_and_hashed_placement_peak_at_several_times_the_mean() {
    let rows = peak_to_mean();
    let (fixed, fixed_same_hour) = get(&rows, "fixed");
    assert!((0.99..=1.01).contains(&fixed), "fixed keeps the even creation spacing: {fixed}");
    assert!(fixed_same_hour > 0.99, "and the same hour every day: {fixed_same_hour}");
    for name in ["uniform-jitter", "stable-offset"] {
        let (p, _) = get(&rows, name);
        assert!((3.0..=12.0).contains(&p), "{name}: random or hashed placement peaks at several times the mean, got {p}");
    }
    // Whole hours keep each connection's minute of the hour: 24 connections share each minute
    // of the hour and land in random hours, so the peak is well above the mean too.
    let (hours, _) = get(&rows, "random-hours");
    assert!((3.0..=16.0).contains(&hours), "random-hours: {hours}");
    // Only the hashed phase keeps the same hour every day.
    let (_, stable_same_hour) = get(&rows, "stable-offset");
    let (_, jitter_same_hour) = get(&rows, "uniform-jitter");
    assert!(stable_same_hour > 0.9 && jitter_same_hour < 0.3, "stable {stable_same_hour}, jitter {jitter_same_hour}");
}

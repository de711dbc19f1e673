//! Shared by the benches: the workload of issue #7.

use syncsim::sim::scenario;

/// The success path of rule A: every connection syncs daily with `random-hours`, creation spread
/// over the first day (the workload of issue "Scale and speed").
pub fn daily_population(connections: u64, days: u32) -> scenario::Scenario {
    let text = format!(
        r#"{{"name": "bench", "seed": 1, "start": "2026-01-01T00:00:00Z", "duration": "{days}d",
  "sync": {{"connectors": [{{"id": "a", "weight": 3}}, {{"id": "b", "weight": 1}}],
           "populations": [{{"name": "p", "count": {connections}, "created": {{"between": ["+0s", "+1d"]}}}}]}},
  "report": {{"freshness_sample_every": "6h"}}}}"#
    );
    scenario::load_str("bench.json", &text).expect("valid bench scenario")
}

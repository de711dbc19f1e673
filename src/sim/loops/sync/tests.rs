//! Tests of the sync loop.

use super::*;
use crate::sim::scenario;
use crate::sim::scenario::expand::expand;

/// Run every variant of a scenario with freshness counted and visited, and compare.
fn counted_and_visited_agree(text: &str) {
    let s = scenario::load_str("test.json", text).expect("valid");
    let plan = expand(&s, s.file.seed);
    let clock = LocalClock::new(s.zone, s.start, s.end);
    let run = |counted| {
        let setup =
            VariantSetup { rules: SyncRules::default(), spreading: s.file.sync.spreading.build(), backoff: s.file.sync.backoff.build() };
        let mut trace = Trace::new(None, "v");
        let (figures, plots) = run_with(&plan, &clock, setup, &s.file.report, s.file.seed, &mut trace, &mut |_| {}, Some(counted));
        (serde_json::to_string(&figures).expect("serialisable"), plots.freshness_cdf)
    };
    let (counted, visited) = (run(true), run(false));
    assert!(counted.0.contains("\"freshness\""));
    assert_eq!(counted, visited);
}

#[test]
fn freshness_counted_per_connector_equals_every_connection_visited() {
    // Waits, user actions, capacity, an outage, creation spread over days, an explicit
    // connection created late and one never created within the run.
    counted_and_visited_agree(
        r#"{"name": "t", "seed": 3, "start": "2026-03-27T00:00:17.250Z", "time_zone": "Europe/Paris", "duration": "6d",
          "sync": {"connectors": [{"id": "a", "capacity": 3}, {"id": "b", "sync_frequency": "7h"}],
                   "connections": [{"id": "late", "connector": "b", "created": "+4d3h7m"}, {"id": "never", "connector": "a", "created": "+9d"}],
                   "populations": [{"name": "p", "count": 400, "created": {"between": ["+0s", "+2d"]}, "transient_error_rate": 0.05,
                     "incidents": [{"state": "SCARequired", "per_day": 0.05, "user_fixes_after": {"uniform": ["1m", "2d"]}},
                                   {"state": "wrongpass", "per_day": 0.03}]}]},
          "timeline": [{"at": "+1d2h", "event": "connector_outage", "connector": "a", "duration": "5h"},
                       {"at": "+4d3h7m", "event": "user_action", "connection": "late"}],
          "report": {"freshness_sample_every": "37m", "warmup": "1h"}}"#,
    );
    counted_and_visited_agree(
        r#"{"name": "t", "seed": 4, "start": "2026-01-01T00:00:00Z", "duration": "3d",
          "sync": {"spreading": {"policy": "uniform-jitter", "max": "50m"}, "connectors": [{"id": "a"}],
                   "populations": [{"name": "p", "count": 50, "created": {"at": "+0s"}}]},
          "report": {"freshness_sample_every": "1m"}}"#,
    );
}

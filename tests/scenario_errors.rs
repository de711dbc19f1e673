//! Bad input gets a clear error, never a panic (SPEC 6): every problem of a file, each with
//! file, line, column, field path, expected and found; and a fuzz of mutated files.

use proptest::prelude::*;
use syncsim::sim::scenario::{self, Problem};

mod support;

const BROKEN: &str = r#"{
  "name": "broken one",
  "start": "+1d",
  "duration": "30x",
  "time_zone": "Europe/Pariss",
  "sync": {
    "retry_wrongpass": 2,
    "connectors": [ { "id": "bnp", "capacity": "ten" }, { "id": "bnp", "weigth": 3 } ],
    "connections": [ { "id": "a", "connector": "lcl" } ],
    "populations": [ { "name": "p", "count": 1e12 } ]
  },
  "timeline": [
    { "at": "+1d", "event": "bank_state", "connection": "a", "state": "wrongpas" },
    { "at": "+2d", "event": "user_action", "conection": "a" }
  ],
  "expect": [ { "metric": "sync.nope", "op": "=<", "value": 1 } ],
  "colour": "blue"
}"#;

fn problems(text: &str) -> Vec<Problem> {
    scenario::load_str("broken.json", text).expect_err("the file is invalid")
}

fn find<'a>(ps: &'a [Problem], path: &str) -> &'a Problem {
    ps.iter().find(|p| p.path == path).unwrap_or_else(|| panic!("no problem at {path}; got {ps:#?}"))
}

#[test]
fn a_broken_file_names_every_problem_with_line_column_path_expected_and_found() {
    let ps = problems(BROKEN);
    let at = |path: &str| {
        let p = find(&ps, path);
        assert_eq!(p.file, "broken.json");
        (p.line, p.column)
    };
    // Structure: types, unknown fields (typos), unknown enum values.
    assert_eq!(at("colour"), (17, 3));
    assert_eq!(at("duration"), (4, 3));
    assert_eq!(at("sync.connectors[0].capacity"), (8, 36));
    assert_eq!(at("sync.connectors[1].weigth"), (8, 72));
    assert_eq!(at("sync.populations[0].count"), (10, 37));
    assert_eq!(at("timeline[0].state"), (13, 62));
    assert_eq!(at("timeline[1].conection"), (14, 44));
    assert_eq!(at("expect[0].op"), (16, 40));
    // Meaning: checked too, in the same run.
    assert_eq!(at("name"), (2, 3));
    assert_eq!(at("start"), (3, 3));
    assert_eq!(at("time_zone"), (5, 3));
    assert_eq!(at("sync.retry_wrongpass"), (7, 5));
    assert_eq!(at("sync.connectors[1].id"), (8, 59));
    assert_eq!(at("sync.connections[0].connector"), (9, 35));
    let capacity = find(&ps, "sync.connectors[0].capacity");
    assert_eq!((capacity.expected.as_str(), capacity.found.as_str()), ("u32", "string \"ten\""));
    let state = find(&ps, "timeline[0].state");
    assert!(state.expected.contains("`wrongpass`") && state.found == "`wrongpas`", "{state:?}");
    let zone = find(&ps, "time_zone");
    assert_eq!(zone.found, "\"Europe/Pariss\"");
    assert_eq!(ps.len(), 14, "exactly the problems above: {ps:#?}");
    let text = capacity.to_string();
    assert_eq!(text, "broken.json:8:36: sync.connectors[0].capacity: expected u32, found string \"ten\"");
}

#[test]
fn a_syntax_error_points_at_its_line_and_column() {
    let ps = problems("{\n  \"name\": \"x\",\n  \"start\": \"2026-01-01T00:00:00Z\"\n  \"duration\": \"1d\"\n}\n");
    assert_eq!(ps.len(), 1);
    assert_eq!((ps[0].line, ps[0].column), (4, 3));
    assert_eq!(ps[0].expected, "valid JSON");
}

#[test]
fn size_limits_are_checked_with_clear_messages() {
    let text = r#"{"name": "big", "start": "2026-01-01T00:00:00Z", "duration": "500d",
      "sync": {"connectors": [{"id": "b"}], "populations": [{"name": "p", "count": 3000000}]},
      "report": {"freshness_sample_every": "1s"}}"#;
    let ps = problems(text);
    assert!(find(&ps, "duration").expected.contains("at most 400d"));
    let pop = find(&ps, "sync.populations");
    assert!(pop.expected.contains("at most 2000000 connections") && pop.found == "3000000", "{pop:?}");
    assert!(find(&ps, "report.freshness_sample_every").expected.contains("at least 1m"));
}

#[test]
fn timer_lateness_takes_a_constant_a_preset_a_range_or_a_table_and_refuses_each_out_of_bounds() {
    let with = |lateness: &str| {
        format!(
            r#"{{"name": "l", "start": "2026-01-01T00:00:00Z", "duration": "1d",
              "kuma": {{"monitors": [{{"id": "m", "interval_s": 60, "timer_lateness_ms": {lateness}}}]}}}}"#
        )
    };
    for good in ["0", "7", r#""kuma-2.5.3-measured""#, r#"{"uniform": [1, 7]}"#, r#"{"table": [[1, 37], [2, 53]]}"#] {
        assert!(scenario::load_str("l.json", &with(good)).is_ok(), "{good}");
    }
    let path = "kuma.monitors[0].timer_lateness_ms";
    for (bad, at, found) in [
        ("-1", path.to_string(), "-1"),
        (r#"{"uniform": [7, 1]}"#, format!("{path}.uniform"), "[7, 1]"),
        (r#"{"table": [[1, 0]]}"#, format!("{path}.table[0]"), "[1, 0]"),
        (r#"{"table": []}"#, format!("{path}.table"), "none"),
    ] {
        let ps = problems(&with(bad));
        assert_eq!(find(&ps, &at).found, found, "{bad}: {ps:?}");
    }
    let ps = problems(&with(r#""kuma-2.5.2""#));
    assert!(ps.iter().any(|p| p.path.starts_with(path)), "an unknown preset is refused at its field: {ps:?}");
}

#[test]
fn monitor_life_cycle_events_name_a_declared_monitor_and_an_edit_changes_a_valid_setting() {
    let text = r#"{"name": "l", "start": "2026-01-01T00:00:00Z", "duration": "1d",
      "kuma": {"monitors": [{"id": "m", "interval_s": 60}]},
      "timeline": [
        {"event": "kuma_monitor_pause", "at": "+1h", "monitor": "n"},
        {"event": "kuma_monitor_edit", "at": "+2h", "monitor": "m"},
        {"event": "kuma_monitor_edit", "at": "+3h", "monitor": "m", "interval_s": 0},
        {"event": "kuma_monitor_delete", "at": "+4h", "monitor": "m"}]}"#;
    let ps = problems(text);
    assert_eq!(find(&ps, "timeline[0].monitor").found, "\"n\"");
    assert!(find(&ps, "timeline[1].event").expected.starts_with("at least one setting to change"), "{ps:?}");
    assert_eq!(find(&ps, "timeline[2].interval_s").found, "0");
    assert_eq!(ps.len(), 3, "the delete is fine: {ps:?}");
}

#[test]
fn references_to_unknown_connections_and_population_members_are_errors() {
    let text = r#"{"name": "refs", "start": "2026-01-01T00:00:00Z", "duration": "2d",
      "sync": {"connectors": [{"id": "b"}], "populations": [{"name": "p", "count": 3}]},
      "timeline": [
        {"at": "+1h", "event": "user_action", "connection": "p#2"},
        {"at": "+1h", "event": "user_action", "connection": "p#3"},
        {"at": "+1h", "event": "connector_outage", "connector": "x", "duration": "1h"},
        {"at": "-1h", "event": "user_action", "connection": "p#0"}
      ]}"#;
    let ps = problems(text);
    assert!(ps.iter().all(|p| !p.path.starts_with("timeline[0]")), "p#2 exists: {ps:#?}");
    find(&ps, "timeline[1].connection");
    find(&ps, "timeline[2].connector");
    find(&ps, "timeline[3].at");
}

#[test]
fn every_bundled_scenario_is_valid() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if let Err(ps) = scenario::load_file(&path) {
            panic!("{}: {ps:#?}", path.display());
        }
    }
}

#[test]
fn the_json_schema_lists_every_top_level_field_and_rejects_unknown_ones() {
    let schema = scenario::json_schema();
    let props = schema["properties"].as_object().expect("properties");
    for field in ["name", "description", "seed", "start", "time_zone", "duration", "sync", "timeline", "variants", "report", "expect"] {
        assert!(props.contains_key(field), "{field} missing from the schema");
    }
    assert_eq!(schema["additionalProperties"], serde_json::Value::Bool(false));
}

// ---- fuzz: mutated and random files never panic ----

fn seeds() -> Vec<String> {
    let mut texts: Vec<String> =
        std::fs::read_dir("scenarios").unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    texts.sort();
    texts.push(BROKEN.to_string());
    texts
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    ReplaceNumber { nth: usize, with: String },
    ReplaceString { nth: usize, with: String },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let weird = prop_oneof![
        Just("-1".to_string()),
        Just("1e400".to_string()),
        Just("18446744073709551616".to_string()),
        Just("null".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("\"\"".to_string()),
        Just("\"+99999d\"".to_string()),
        Just("\"9999-12-31T23:59:59Z\"".to_string()),
        Just("\"#\"".to_string()),
        Just("1.5".to_string()),
        Just("0".to_string()),
        "[a-z#+:0-9\\-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), "[\\[\\]{}\",:a-z0-9 ]{1,6}").prop_map(|(at, text)| Mutation::Insert { at, text }),
        (any::<usize>(), weird.clone()).prop_map(|(nth, with)| Mutation::ReplaceNumber { nth, with }),
        (any::<usize>(), weird).prop_map(|(nth, with)| Mutation::ReplaceString { nth, with }),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len().max(1);
    match m {
        Mutation::Delete { at, len } => {
            let a = at % n;
            chars[..a].iter().chain(chars[(a + len).min(chars.len())..].iter()).collect()
        }
        Mutation::Insert { at, text: t } => {
            let a = at % n;
            chars[..a].iter().collect::<String>() + t + &chars[a..].iter().collect::<String>()
        }
        Mutation::ReplaceNumber { nth, with } => replace_nth(text, |c| c.is_ascii_digit(), *nth, with),
        Mutation::ReplaceString { nth, with } => replace_nth(text, |c| c == '"', *nth, with),
    }
}

/// Replace the nth token that starts with `starts` (a number, or a quoted string).
fn replace_nth(text: &str, starts: impl Fn(char) -> bool, nth: usize, with: &str) -> String {
    let spans: Vec<(usize, usize)> = {
        let bytes: Vec<(usize, char)> = text.char_indices().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let (start, c) = bytes[i];
            if starts(c) {
                let mut j = i + 1;
                if c == '"' {
                    while j < bytes.len() && bytes[j].1 != '"' {
                        j += 1;
                    }
                    j += 1;
                } else {
                    while j < bytes.len() && (bytes[j].1.is_ascii_digit() || bytes[j].1 == '.') {
                        j += 1;
                    }
                }
                let end = bytes.get(j).map(|b| b.0).unwrap_or(text.len());
                out.push((start, end));
                i = j;
            } else {
                i += 1;
            }
        }
        out
    };
    if spans.is_empty() {
        return text.to_string();
    }
    let (a, b) = spans[nth % spans.len()];
    format!("{}{}{}", &text[..a], with, &text[b..])
}

proptest! {
    #![proptest_config(support::properties::config(1000))]

    #[test]
    fn mutated_scenario_files_give_problems_or_a_scenario_never_a_panic(
        which in any::<usize>(), mutations in prop::collection::vec(mutation(), 1..4)
    ) {
        let all = seeds();
        let mut text = all[which % all.len()].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        match scenario::load_str("fuzz.json", &text) {
            Ok(s) => prop_assert!(s.end > s.start),
            Err(ps) => {
                prop_assert!(!ps.is_empty());
                for p in &ps {
                    prop_assert!(!p.expected.is_empty(), "every problem says what was expected: {p:?}");
                    prop_assert!(p.line >= 1 && p.column >= 1, "every problem has a position: {p:?}");
                }
            }
        }
    }

    #[test]
    fn random_text_gives_problems_never_a_panic(text in "\\PC{0,200}") {
        let _ = scenario::load_str("random.json", &text);
    }
}

#[test]
fn fault_plans_name_existing_banks_transient_states_and_valid_statuses() {
    let text = r#"{"name": "f", "start": "2026-01-01T00:00:00Z", "duration": "2d",
      "sync": {"connectors": [{"id": "b"}]},
      "faults": {
        "banks": {"nope": {}, "b": {"errors": [{"probability": 2, "state": "wrongpass"}]}},
        "kuma_push": {"errors": [{"probability": 0.1, "status": 42}], "outages": [{"at": "+1h", "duration": "0s"}]}
      }}"#;
    let ps = problems(text);
    find(&ps, "faults.banks.nope");
    find(&ps, "faults.banks.b.errors[0].probability");
    assert!(find(&ps, "faults.banks.b.errors[0].state").expected.contains("transient"));
    find(&ps, "faults.kuma_push.errors[0].status");
    find(&ps, "faults.kuma_push.outages[0].duration");
}

#[test]
fn the_published_json_schema_is_fresh() {
    let expected = serde_json::to_string_pretty(&scenario::json_schema()).unwrap() + "\n";
    let on_disk = std::fs::read_to_string("docs/scenario.schema.json").unwrap_or_default();
    assert!(on_disk == expected, "docs/scenario.schema.json is stale: run `cargo run -- schema > docs/scenario.schema.json`");
}

#[test]
fn a_schema_key_for_editors_is_accepted() {
    let text = r#"{"$schema": "../docs/scenario.schema.json", "name": "s", "start": "2026-01-01T00:00:00Z", "duration": "1d"}"#;
    assert!(scenario::load_str("s.json", text).is_ok());
}

/// Kuma refuses intervals above 24 days (`MAX_INTERVAL_SECOND` in its `src/util.ts`); past
/// 2^31 ms Node's timer fires after 1 ms, so the model would re-check every millisecond and a run
/// would never end. The file is refused before anything runs.
#[test]
fn a_monitor_interval_above_kumas_24_day_maximum_is_refused_with_its_location() {
    let text = std::fs::read_to_string("scenarios/kuma-seed-example.json").expect("bundled scenario");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["kuma"]["monitors"][0]["interval_s"] = serde_json::json!(2_073_601);
    v["kuma"]["monitors"][0]["retry_interval_s"] = serde_json::json!(2_592_000);
    let ps = problems(&serde_json::to_string_pretty(&v).expect("json"));
    let interval = find(&ps, "kuma.monitors[0].interval_s");
    assert_eq!(interval.found, "2073601");
    assert!(interval.expected.contains("2073600"), "{interval:?}");
    assert!(interval.line > 0);
    assert_eq!(find(&ps, "kuma.monitors[0].retry_interval_s").found, "2592000");
    // At the maximum itself, no problem.
    v["kuma"]["monitors"][0]["interval_s"] = serde_json::json!(2_073_600);
    v["kuma"]["monitors"][0]["retry_interval_s"] = serde_json::json!(60);
    assert!(scenario::load_str("ok.json", &serde_json::to_string_pretty(&v).expect("json")).is_ok());
}

/// The bundled Bridge scenario with one structural fault in its job: `priority` is a string.
fn bridge_with_a_bad_job() -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bridge-api-down-2h.json")).unwrap();
    text.replacen("\"priority\": 55", "\"priority\": \"high\"", 1)
}

#[test]
fn one_bad_value_is_one_problem_not_a_cascade_through_the_sections_that_refer_to_it() {
    let text = bridge_with_a_bad_job();
    assert!(text.contains("\"priority\": \"high\""));
    let ps = problems(&text);
    assert_eq!(ps.len(), 1, "only the root problem: {ps:#?}");
    assert_eq!(ps[0].path, "cron.jobs[0].priority");
}

#[test]
fn a_misspelt_name_gets_the_nearest_valid_one() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bridge-api-down-2h.json")).unwrap();
    let text =
        text.replacen("monitors.bridge-recovery.detected", "monitors.bridge-recovery.ttd_max", 1).replacen("\"seed\"", "\"sede\"", 1);
    let ps = problems(&text);
    let metric = ps.iter().find(|p| p.path.ends_with(".metric")).expect("the metric");
    assert_eq!(metric.expected, "a report figure: did you mean `monitors.bridge-recovery.ttd_down_max_s`?");
    assert_eq!(find(&ps, "sede").expected, "a known field: did you mean `seed`?");
    let text = bridge_with_a_bad_job().replacen("\"monitor\": \"bridge-recovery\"", "\"monitor\": \"bridge-recovry\"", 1);
    let ps = problems(&text);
    assert_eq!(find(&ps, "cron.jobs[0].priority").found, "string \"high\"");
}

#[test]
fn problems_are_listed_in_file_order() {
    let ps = problems(BROKEN);
    let places: Vec<(u32, u32)> = ps.iter().map(|p| (p.line, p.column)).collect();
    let mut sorted = places.clone();
    sorted.sort();
    assert_eq!(places, sorted);
}

//! A structure-aware fuzzer for scenario files (issue #17). It starts from the bundled scenarios,
//! walks their JSON tree and applies one to four faults where they hurt: a member removed, a
//! value replaced by one of another type or at a limit, a key holding characters that mean
//! something to a path or a terminal (`[`, `.`, `"`, line breaks, ESC), a key given twice. Each
//! mutant goes through the loader, and the accepted ones through a run, checking:
//!
//! - the loader never panics, and every problem is located (line and column from 1), on one
//!   line, free of control characters, and listed in file order;
//! - `check` accepts ⇔ `run` accepts: a mutant the loader accepts runs to a complete report, and
//!   its trace and report files can all be written.
//!
//! `cargo test` runs 64 cases; `SYNCSIM_FUZZ_CASES=20000 cargo test --release --test
//! fuzz_scenarios` is the long mode for nightly runs.

use proptest::prelude::*;
use serde_json::{Value, json};
use syncsim::sim::commands::output;
use syncsim::sim::commands::run::{self, RunOptions, TransportChoice};
use syncsim::sim::scenario;

mod support;

/// The bundled scenarios small enough to run many times in a debug build.
const SEEDS: &[&str] = &[
    "kuma-seed-example",
    "cron-two-frequencies",
    "kuma-restarts-often",
    "kuma-1.23-down-push",
    "bridge-api-down-2h",
    "bridge-webhook-chaos",
    "bank-outage-30h",
    "dst-paris-spring",
];

fn seed_values() -> Vec<Value> {
    SEEDS
        .iter()
        .map(|name| {
            let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
        })
        .collect()
}

/// Values that are the wrong type, at a limit, or meaningful to a parser.
fn nasty_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(0),
        json!(1e308),
        json!(4_294_967_296u64),
        json!(1.5),
        json!(""),
        json!("["),
        json!("a.b[0]"),
        json!("\u{1b}[31m\r\n"),
        json!("é["),
        json!("400d"),
        json!("0s"),
        json!("-5m"),
        json!("99999d"),
        json!("+399d"),
        json!("9998-12-31T00:00:00Z"),
        json!("0000-01-01T00:00:00Z"),
        json!([]),
        json!({}),
        json!([1, "x", null]),
        json!({"[": 1, "a.b": {"]": 2}}),
    ]
}

/// Keys with every character class the path mapper and the terminal care about.
const NASTY_KEYS: &[&str] = &["[", "[0]", "]", "a.b", ".", "\"", "\n", "\r", "\u{1b}[2J", "é[", "", " ", "$schema", "name", "\u{7f}"];

/// One step into a JSON value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node's path, in pre-order.
fn nodes(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                here.push(Step::Key(k.clone()));
                nodes(child, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                here.push(Step::Index(i));
                nodes(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'v>(v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.as_object_mut()?.get_mut(k),
        Step::Index(i) => v.as_array_mut()?.get_mut(*i),
    })
}

#[derive(Clone, Debug)]
enum Fault {
    Remove(usize),
    Replace(usize, usize),
    AddKey(usize, usize, usize),
    Grow(usize),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        any::<usize>().prop_map(Fault::Remove),
        (any::<usize>(), any::<usize>()).prop_map(|(n, v)| Fault::Replace(n, v)),
        (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(n, k, v)| Fault::AddKey(n, k, v)),
        any::<usize>().prop_map(Fault::Grow),
    ]
}

fn apply(v: &mut Value, f: &Fault) {
    let mut all = Vec::new();
    nodes(v, &mut Vec::new(), &mut all);
    let values = nasty_values();
    let pick = |n: usize| all[n % all.len()].clone();
    match *f {
        Fault::Remove(n) => {
            let path = pick(n);
            let Some((last, parent)) = path.split_last() else { return };
            match (node_mut(v, parent), last) {
                (Some(Value::Object(map)), Step::Key(k)) => {
                    map.remove(k);
                }
                (Some(Value::Array(items)), Step::Index(i)) if *i < items.len() => {
                    items.remove(*i);
                }
                _ => {}
            }
        }
        Fault::Replace(n, with) => {
            if let Some(node) = node_mut(v, &pick(n)) {
                *node = values[with % values.len()].clone();
            }
        }
        Fault::AddKey(n, key, with) => {
            // Into the nearest object at or above the picked node.
            let mut path = pick(n);
            loop {
                if let Some(Value::Object(map)) = node_mut(v, &path) {
                    map.insert(NASTY_KEYS[key % NASTY_KEYS.len()].to_string(), values[with % values.len()].clone());
                    return;
                }
                if path.pop().is_none() {
                    return;
                }
            }
        }
        Fault::Grow(n) => {
            // An array element repeated (ids stop being unique; lists grow).
            let path = pick(n);
            if let Some((Step::Index(i), parent)) = path.split_last() {
                if let Some(Value::Array(items)) = node_mut(v, parent) {
                    let copy = items[*i].clone();
                    items.push(copy);
                }
            }
        }
    }
}

fn cases() -> u32 {
    std::env::var("SYNCSIM_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64)
}

/// Small enough to run in a test: the fuzzer hunts for crashes, not for the documented limits.
fn small(s: &scenario::Scenario) -> bool {
    let days = (s.end.as_ms() - s.start.as_ms()) as f64 / 86_400_000.0;
    let invoices = s.file.payments.as_ref().map_or(0.0, |p| p.invoices_per_day * days);
    days <= 15.0 && s.connection_count() <= 5_000 && invoices <= 5_000.0 && s.variants().len() <= 4
}

/// How the mutants of one fuzz run fared.
#[derive(Default, Debug)]
struct Tally {
    refused: usize,
    ran: usize,
    accepted_too_big_to_run: usize,
}

/// One mutant through the loader and, when accepted and small, through a run.
fn try_mutant(seed: usize, faults: &[Fault], duplicate_key: bool, tally: &mut Tally) -> Result<(), TestCaseError> {
    let mut v = seed_values().swap_remove(seed);
    for f in faults {
        apply(&mut v, f);
    }
    let mut text = serde_json::to_string_pretty(&v).unwrap();
    if duplicate_key {
        // A key the reader sees, then a second one JSON parsers would keep silently.
        text = text.replacen('{', "{\n  \"name\": \"first\",", 1);
    }
    match scenario::load_str("mutant.json", &text) {
        Err(problems) => {
            tally.refused += 1;
            prop_assert!(!problems.is_empty());
            let mut last = (0, 0);
            for p in &problems {
                prop_assert!(p.line >= 1 && p.column >= 1, "unlocated: {p}");
                let shown = p.to_string();
                prop_assert!(!shown.chars().any(char::is_control), "control character in {shown:?}");
                prop_assert!((p.line, p.column) >= last, "out of file order: {p} after {last:?}");
                last = (p.line, p.column);
            }
        }
        Ok(s) if small(&s) => {
            tally.ran += 1;
            let mut trace = Vec::new();
            let mut progress = |_: f64| {};
            let (out, traced) = run::run(
                &s,
                RunOptions {
                    seed: None,
                    transport: TransportChoice::InProcess,
                    trace: Some(&mut trace),
                    trace_silent_checks: false,
                    progress: &mut progress,
                },
            );
            prop_assert!(traced.is_ok(), "check accepted what run refuses: {:?}", traced.err());
            prop_assert!(output::files(&out).is_ok(), "the report cannot be written: {:?}", output::files(&out).err());
        }
        Ok(_) => tally.accepted_too_big_to_run += 1,
    }
    Ok(())
}

#[test]
fn every_mutant_is_located_problems_in_file_order_or_a_scenario_that_runs_to_a_whole_report() {
    use proptest::test_runner::{Config, RngSeed, TestRunner};
    // A fixed seed: the same mutants on every machine (the long mode varies it with
    // SYNCSIM_FUZZ_SEED), so the coverage check below cannot flicker.
    let seed = std::env::var("SYNCSIM_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(17);
    // The shared configuration with the fuzzer's own depth and seed (documented in the README)
    // and no regression file: a failing mutant is printed whole, and replays from its seed.
    let config =
        Config { cases: cases(), failure_persistence: None, rng_seed: RngSeed::Fixed(seed), ..support::properties::config(cases()) };
    let tally = std::cell::RefCell::new(Tally::default());
    let strategy = (0usize..SEEDS.len(), proptest::collection::vec(fault(), 1..=4), any::<bool>());
    let result = TestRunner::new(config)
        .run(&strategy, |(seed, faults, duplicate_key)| try_mutant(seed, &faults, duplicate_key, &mut tally.borrow_mut()));
    let tally = tally.into_inner();
    eprintln!("fuzz: {} cases: {tally:?}", cases());
    if let Err(e) = result {
        panic!("{e}");
    }
    // The fuzzer must reach both sides, or it tests nothing: files refused, and files that run.
    assert!(tally.refused * 10 >= cases() as usize, "too few mutants refused: {tally:?}");
    assert!(tally.ran * 20 >= cases() as usize, "too few mutants run: {tally:?}");
}

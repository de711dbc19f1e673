//! The Healthchecks baselines end to end: the scenario switches (`heartbeat.healthchecks`), their
//! errors, and what `/fail` and `/start` change on bundled scenarios.

use syncsim::sim::commands::run::run_jobs;
use syncsim::sim::engine::trace::Trace;
use syncsim::sim::scenario::{self, Scenario};

fn bundled(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("scenarios/{name}.json")).expect("bundled scenario");
    serde_json::from_str(&text).expect("json")
}

fn load(v: &serde_json::Value) -> Scenario {
    scenario::load_str("test.json", &serde_json::to_string_pretty(v).unwrap()).unwrap_or_else(|p| panic!("{p:#?}"))
}

#[test]
fn a_bad_healthchecks_time_zone_is_refused_with_its_location_and_an_unknown_key_too() {
    let mut v = bundled("kuma-seed-example");
    v["cron"]["jobs"][0]["heartbeat"]["healthchecks"] = serde_json::json!({ "tz": "Europe/Pariss" });
    let ps = scenario::load_str("bad.json", &serde_json::to_string_pretty(&v).unwrap()).expect_err("invalid");
    let p = ps.iter().find(|p| p.path == "cron.jobs[0].heartbeat.healthchecks.tz").unwrap_or_else(|| panic!("{ps:#?}"));
    assert!(p.expected.contains("IANA"), "{p:?}");
    assert_eq!(p.found, "\"Europe/Pariss\"");
    v["cron"]["jobs"][0]["heartbeat"]["healthchecks"] = serde_json::json!({ "strat": true });
    let ps = scenario::load_str("bad.json", &serde_json::to_string_pretty(&v).unwrap()).expect_err("invalid");
    assert!(ps.iter().any(|p| p.path.contains("healthchecks") && p.found.contains("strat")), "{ps:#?}");
}

#[test]
fn with_fail_the_down_push_alerts_healthchecks_within_one_2_s_pass_of_kuma_1_23() {
    // Kuma 1.23 stores the down push as DOWN at once: its alert is the push's arrival.
    let s = load(&bundled("kuma-1.23-down-push"));
    let (_, monitors) = run_jobs(&s, s.file.seed, &mut Trace::off());
    let m = &monitors["bridge"];
    for b in [&m.healthchecks_simple, &m.healthchecks_cron, &m.healthchecks_simple_defaults, &m.healthchecks_cron_defaults] {
        assert!(b.fail_signal);
        assert_eq!(b.detected, 1);
        assert!(b.ttd_max_s >= m.ttd_down_max_s && b.ttd_max_s <= m.ttd_down_max_s + 2, "{b:?} vs Kuma {}", m.ttd_down_max_s);
    }
}

#[test]
fn with_start_the_crashed_run_alerts_at_its_start_plus_the_grace() {
    let mut v = bundled("kuma-seed-example");
    v["cron"]["jobs"][0]["heartbeat"]["healthchecks"] = serde_json::json!({ "start": false });
    let without = load(&v);
    v["cron"]["jobs"][0]["heartbeat"]["healthchecks"] = serde_json::json!({ "start": true });
    let with = load(&v);
    let (_, off) = run_jobs(&without, without.file.seed, &mut Trace::off());
    let (_, on) = run_jobs(&with, with.file.seed, &mut Trace::off());
    let (off, on) = (&off["bridge-job"].healthchecks_simple, &on["bridge-job"].healthchecks_simple);
    assert!(on.start_signal && !off.start_signal);
    assert_eq!(on.grace_s, off.grace_s, "the grace comes from the runs, not from the switch");
    // The crash: the run starts a tick after its slot at most; /start + grace alerts then, while
    // without /start the check waits for the period + grace after the last ping.
    assert!(on.ttd_max_s <= 60 + on.grace_s + 2, "{on:?}");
    assert!(on.ttd_max_s < off.ttd_max_s, "{on:?} vs {off:?}");
}

#[test]
fn a_monthly_job_has_no_cron_check_and_says_why() {
    let mut v = bundled("kuma-seed-example");
    v["cron"]["jobs"][0]["frequency"] = serde_json::json!("1mo");
    v["kuma"]["monitors"][0]["interval_s"] = serde_json::json!(2_073_600);
    v["expect"] = serde_json::json!([]);
    let s = load(&v);
    let (_, monitors) = run_jobs(&s, s.file.seed, &mut Trace::off());
    let cron = &monitors["bridge-job"].healthchecks_cron;
    assert!(cron.not_applicable.as_deref().is_some_and(|r| r.contains("Jan 31 + 1 month = Mar 3")), "{cron:?}");
    assert_eq!(cron.alerts, 0);
    assert!(monitors["bridge-job"].healthchecks_simple.not_applicable.is_none());
}

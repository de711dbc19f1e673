//! SPEC 5: each fault kind on a link, with hand-computed virtual times, over HTTP and in-process.
//!
//! The setup: an hourly job (slot 00:00 runs at the 00:01 tick, 10 s of processing) pushes at
//! 00:01:10 with 3 attempts, base 1 s, no jitter, 10 s per attempt, a 2-minute deadline. The
//! push lines of the trace say when each attempt came back and what the policy decided.

use syncsim::sim::commands::run::TransportChoice;

mod support;

use serde_json::json;
use support::scenario_file::{Faults, Job, Monitor, OutageKind, ScenarioFile, fixed};

fn scenario_text(faults: &Faults) -> String {
    let retry = json!({"max_attempts": 3, "base": "1s", "cap": "30s", "jitter": "none", "attempt_timeout": "10s", "deadline": "2m"});
    ScenarioFile::new("faults", "2026-01-01T00:00:00Z", "50m")
        .time_zone("UTC")
        .cron(Some("1m"), vec![Job::new(1, "job", "1h").duration(fixed("10s")).heartbeat("m").heartbeat_retry(retry)])
        .kuma(vec![Monitor::new("m", 3700)])
        .faults("kuma_push", faults)
        .text()
}

/// (time of day, component, kind, wire, status, next) of every heartbeat and Kuma line.
fn lines(faults: &Faults, transport: TransportChoice) -> Vec<String> {
    support::trace_over(&scenario_text(faults), transport)
        .into_iter()
        .filter(|l| l["component"] == "heartbeat" || (l["component"] == "kuma" && (l["kind"] == "beat" || l["kind"] == "notification")))
        .map(|l| {
            let t = l["t"].as_str().unwrap()[11..23].to_string();
            match l["component"].as_str() {
                Some("heartbeat") => format!("{t} push {} {} {}", l["wire"].as_str().unwrap(), l["status"], l["next"].as_str().unwrap()),
                _ => format!("{t} kuma {} {}", l["kind"].as_str().unwrap(), l["status"].as_str().unwrap()),
            }
        })
        .collect()
}

fn both(faults: &Faults) -> Vec<String> {
    let http = lines(faults, TransportChoice::Http);
    let in_process = lines(faults, TransportChoice::InProcess);
    assert_eq!(http, in_process, "HTTP and in-process disagree");
    http
}

#[test]
fn refused_connections_retry_after_1s_then_2s_then_give_up() {
    let got = both(&Faults::new().outage("+0s", "30m", Some(OutageKind::Refused)));
    assert_eq!(
        got,
        ["00:01:10.000 push refused null retry", "00:01:11.000 push refused null retry", "00:01:13.000 push refused null give_up"]
    );
}

#[test]
fn no_answer_times_out_after_10s_per_attempt() {
    let got = both(&Faults::new().outage("+0s", "30m", Some(OutageKind::NoAnswer)));
    assert_eq!(
        got,
        ["00:01:20.000 push timed_out null retry", "00:01:31.000 push timed_out null retry", "00:01:43.000 push timed_out null give_up"]
    );
}

#[test]
fn an_injected_503_is_answered_and_retried() {
    let got = both(&Faults::new().outage("+0s", "30m", Some(OutageKind::Status(503))));
    assert_eq!(
        got,
        ["00:01:10.000 push answered 503 retry", "00:01:11.000 push answered 503 retry", "00:01:13.000 push answered 503 give_up"]
    );
}

#[test]
fn a_429_with_retry_after_7s_waits_7s_instead_of_the_backoff() {
    let got = both(&Faults::new().error(1.0, 429, Some("7s")));
    assert_eq!(
        got,
        ["00:01:10.000 push answered 429 retry", "00:01:17.000 push answered 429 retry", "00:01:24.000 push answered 429 give_up"]
    );
}

#[test]
fn latency_delivers_at_half_way_and_answers_at_the_full_latency() {
    let got = both(&Faults::new().latency(fixed("100ms")));
    assert_eq!(got, ["00:01:10.050 kuma beat UP", "00:01:10.100 push answered 200 done"]);
}

#[test]
fn a_refusal_window_ends_on_time_and_the_next_attempt_gets_through() {
    // Refused until 00:01:12: the attempts at :10 and :11 are refused, the one at :13 is delivered.
    let got = both(&Faults::new().outage("+0s", "1m12s", Some(OutageKind::Refused)));
    assert_eq!(
        got,
        [
            "00:01:10.000 push refused null retry",
            "00:01:11.000 push refused null retry",
            "00:01:13.000 kuma beat UP",
            "00:01:13.000 push answered 200 done"
        ]
    );
}

//! Whole-engine properties of jobs, heartbeats and Kuma over generated scenarios, checked on the
//! trace (SPEC 2.2, 3.3): runs stay on their grid; a DOWN notification always follows a gap
//! beyond the window; a gap beyond the worst-case deadline always ends in a DOWN. A failing case
//! is written under `target/syncsim-failures/` for `syncsim run`.

use std::collections::BTreeMap;

use proptest::prelude::*;
use syncsim::world::kuma::monitor::{MonitorSettings, TimerLateness};

mod support;

use support::scenario_file::{Event, Faults, Job, Monitor, ScenarioFile, minutes, seconds, uniform};

#[derive(Debug, Clone)]
struct Gen {
    frequency_s: u32,
    duration_s: (u32, u32),
    margin_s: i32,
    max_retries: u32,
    retry_interval_s: u32,
    lateness_ms: i64,
    errors: Vec<(u32, u32)>,
    crash: Option<(u32, u32)>,
    cron_stop: Option<(u32, u32)>,
    push_outage: Option<(u32, u32)>,
    seed: u64,
}

fn any_case() -> impl Strategy<Value = Gen> {
    (
        prop_oneof![Just(60u32), Just(300), Just(900), Just(3600)],
        (1u32..30, 0u32..240),
        -30i32..300,
        0u32..=3,
        prop_oneof![Just(20u32), Just(60)],
        0i64..=2,
        prop::collection::vec((60u32..4000, 1u32..4), 0..4),
        prop::option::of((60u32..3000, 30u32..600)),
        prop::option::of((60u32..3000, 10u32..300)),
        prop::option::of((60u32..3000, 1u32..30)),
        any::<u64>(),
    )
        .prop_map(
            |(
                frequency_s,
                (lo, extra),
                margin_s,
                max_retries,
                retry_interval_s,
                lateness_ms,
                errors,
                crash,
                cron_stop,
                push_outage,
                seed,
            )| {
                Gen {
                    frequency_s,
                    duration_s: (lo, (lo + extra).min(frequency_s / 2).max(lo)),
                    margin_s,
                    max_retries,
                    retry_interval_s,
                    lateness_ms,
                    errors,
                    crash,
                    cron_stop,
                    push_outage,
                    seed,
                }
            },
        )
}

fn interval_s(g: &Gen) -> u32 {
    (g.frequency_s as i32 + g.duration_s.1 as i32 + g.margin_s).max(20) as u32
}

fn text(g: &Gen) -> String {
    let job = Job::new(1, "job", &seconds(g.frequency_s))
        .first_run("+2m")
        .duration(uniform(&seconds(g.duration_s.0), &seconds(g.duration_s.1)))
        .heartbeat("m");
    let monitor =
        Monitor::new("m", interval_s(g)).max_retries(g.max_retries).retry_interval_s(g.retry_interval_s).timer_lateness_ms(g.lateness_ms);
    let mut file = ScenarioFile::new("generated-jobs", "2026-05-04T00:00:00Z", "3d")
        .seed(g.seed)
        .time_zone("UTC")
        .cron(Some("1m"), vec![job])
        .kuma(vec![monitor])
        .no_faults()
        .timeline();
    for &(m, n) in &g.errors {
        file = file.at(m, Event::JobError { job: 1, count: Some(n) });
    }
    if let Some((at, len)) = g.crash {
        file = file.at(at, Event::JobCrash { job: 1 }).at(at + len, Event::CleanupDeadJobs);
    }
    if let Some((at, len)) = g.cron_stop {
        file = file.at(at, Event::CronStop).at(at + len, Event::CronStart);
    }
    if let Some((at, len)) = g.push_outage {
        file = file.faults("kuma_push", &Faults::new().outage(at, &minutes(len), None));
    }
    file.text()
}

const START_MS: i64 = 1_777_852_800_000; // 2026-05-04T00:00:00Z

proptest! {
    #![proptest_config(support::properties::config(256))]

    #[test]
    fn runner_every_run_serves_a_slot_of_its_grid(g in any_case()) {
        let t = text(&g);
        let first = START_MS + 120_000;
        for l in support::trace(&t).iter().filter(|l| l["kind"] == "run") {
            let slot = syncsim::time::Instant::parse_rfc3339(l["slot"].as_str().unwrap()).unwrap().as_ms();
            prop_assert!((slot - first) % (g.frequency_s as i64 * 1000) == 0, "slot {} off the grid\n{}", l["slot"], support::keep_failure(&t, "runner_grid"));
        }
    }

    #[test]
    fn kuma_a_down_notification_always_follows_a_gap_beyond_the_window(g in any_case()) {
        let t = text(&g);
        let window_ms = interval_s(&g) as i64 * 1000 + 1000;
        let mut last_up: Option<i64> = None;
        for l in support::trace(&t) {
            let at = l["t_ms"].as_i64().unwrap();
            match (l["kind"].as_str(), l["status"].as_str(), l["notification"].as_str()) {
                (Some("beat"), Some("UP"), _) => last_up = Some(at),
                (Some("notification"), _, Some("down")) => {
                    let since = at - last_up.unwrap_or(START_MS);
                    let bound = if last_up.is_some() { window_ms } else { window_ms - 1000 };
                    prop_assert!(since > bound - 1, "DOWN {since} ms after the last UP (window {window_ms})\n{}", support::keep_failure(&t, "kuma_down_needs_a_gap"));
                }
                _ => {}
            }
        }
    }

    #[test]
    fn kuma_a_gap_beyond_the_worst_case_deadline_always_ends_in_a_down(g in any_case()) {
        let t = text(&g);
        let lines = support::trace(&t);
        // Worst case after the last push: the model's own answer (`MonitorSettings::silence_to_down`:
        // the check that re-arms from an earlier push can come up to I + 2 s later, then N retries
        // R apart, plus lateness on every timer), plus the slack this property has always allowed
        // (one more buffer second and one more late timer).
        let settings = MonitorSettings {
            retry_interval_s: g.retry_interval_s,
            max_retries: g.max_retries,
            timer_lateness: TimerLateness::Constant(g.lateness_ms),
            ..MonitorSettings::new(interval_s(&g))
        };
        let deadline = settings.silence_to_down().worst_case().as_ms() + 1000 + g.lateness_ms;
        let ups: Vec<i64> = lines.iter().filter(|l| l["kind"] == "beat" && l["status"] == "UP").map(|l| l["t_ms"].as_i64().unwrap()).collect();
        let downs: Vec<i64> = lines.iter().filter(|l| l["kind"] == "notification" && l["notification"] == "down").map(|l| l["t_ms"].as_i64().unwrap()).collect();
        for w in ups.windows(2) {
            if w[1] - w[0] > deadline {
                prop_assert!(
                    downs.iter().any(|&d| d > w[0] && d <= w[0] + deadline),
                    "no DOWN in a gap of {} ms after the UP at {} (deadline {deadline} ms)\n{}", w[1] - w[0], w[0], support::keep_failure(&t, "kuma_gap_ends_in_down")
                );
            }
        }
    }
}

/// "Sometimes" assertions over a fixed sample: the generator reaches the interesting cases.
#[test]
fn the_generator_reaches_pending_recoveries_downs_stuck_jobs_lost_pushes_and_retries() {
    use proptest::strategy::ValueTree;
    let mut runner = support::properties::coverage_runner();
    let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
    for _ in 0..60 {
        let g = any_case().new_tree(&mut runner).unwrap().current();
        let mut last_status = String::new();
        for l in support::trace(&text(&g)) {
            match (l["kind"].as_str(), l["status"].as_str()) {
                (Some("beat"), Some(s)) => {
                    if last_status == "PENDING" && s == "UP" {
                        *seen.entry("a PENDING that recovers").or_default() += 1;
                    }
                    if s == "UP" || s == "PENDING" || s == "DOWN" {
                        last_status = s.to_string();
                    }
                }
                (Some("notification"), _) if l["notification"] == "down" => *seen.entry("a DOWN notification").or_default() += 1,
                (Some("run"), _) if l["fate"] == "crashed" => *seen.entry("a stuck job").or_default() += 1,
                (Some("run"), _) if l["fate"] == "error" => *seen.entry("a run in error").or_default() += 1,
                (Some("push"), _) if l["next"] == "give_up" => *seen.entry("a lost push").or_default() += 1,
                (Some("push"), _) if l["next"] == "retry" => *seen.entry("a push retried").or_default() += 1,
                _ => {}
            }
        }
    }
    for case in ["a PENDING that recovers", "a DOWN notification", "a stuck job", "a run in error", "a lost push", "a push retried"] {
        assert!(seen.get(case).copied().unwrap_or(0) > 0, "never reached: {case}; reached: {seen:?}");
    }
}

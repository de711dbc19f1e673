//! Engine throughput (sync attempts per second, in-process) and the cost of one rule-A decision
//! under each spreading policy. Numbers are recorded in benches/README.md.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use syncsim::logic::sync::rules::{Policies, Subject};
use syncsim::logic::sync::{BackoffSettings, ConnectionState, SpreadingSettings, SyncCounters, SyncRules};
use syncsim::sim::commands::run::{self, RunOptions, TransportChoice};
use syncsim::time::{Duration, Instant};

mod common;
use common::{daily_population, payments_day};

fn engine_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_30_days");
    group.sample_size(10);
    for n in [1_000u64, 10_000, 100_000] {
        let s = daily_population(n, 30);
        // About 30 attempts per connection; report throughput in attempts.
        group.throughput(Throughput::Elements(n * 30));
        group.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| {
                run::run(
                    black_box(s),
                    RunOptions {
                        seed: None,
                        transport: TransportChoice::InProcess,
                        trace: None,
                        trace_silent_checks: false,
                        progress: &mut |_| {},
                    },
                )
            })
        });
    }
    group.finish();
}

fn spreading_decision(c: &mut Criterion) {
    let mut group = c.benchmark_group("rule_a_decision");
    let policies = [
        SpreadingSettings::Fixed,
        SpreadingSettings::RandomHours { max_hours: 6 },
        SpreadingSettings::UniformJitter { max: Duration::from_hours(6) },
        SpreadingSettings::StableOffset,
        SpreadingSettings::LoadAware { max: Duration::from_hours(6), slot: Duration::from_mins(10) },
    ];
    for settings in policies {
        let mut spreading = settings.build();
        let mut backoff = BackoffSettings::Exponential.build();
        let mut rng_a = ChaCha8Rng::from_seed([1; 32]);
        let mut rng_b = ChaCha8Rng::from_seed([2; 32]);
        let rules = SyncRules::default();
        let mut now = Instant(1_767_225_600_000);
        let mut key = 0u64;
        group.bench_function(spreading.name(), |b| {
            b.iter(|| {
                key = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
                now += Duration::from_secs(1);
                let subject = Subject { connection_key: key, connector: (key % 4) as u32, sync_frequency: None };
                let mut counters = SyncCounters::default();
                let mut p = Policies {
                    spreading: spreading.as_mut(),
                    spreading_rng: &mut rng_a,
                    backoff: backoff.as_mut(),
                    backoff_rng: &mut rng_b,
                };
                let d = rules.decide(now, ConnectionState::Ok, &subject, &mut counters, &mut p);
                if let Some(next) = d.next_try {
                    p.spreading.on_scheduled(subject.connector, next);
                }
                black_box(d)
            })
        });
    }
    group.finish();
}

/// The requests a run sends to the mocks, counted on its trace: pushes, API calls and webhook
/// deliveries, one trace line per attempt.
fn requests(s: &syncsim::sim::scenario::Scenario) -> u64 {
    let mut buf = Vec::new();
    let (_, result) = run::run(
        s,
        RunOptions {
            seed: None,
            transport: TransportChoice::InProcess,
            trace: Some(&mut buf),
            trace_silent_checks: false,
            progress: &mut |_| {},
        },
    );
    result.expect("trace written");
    String::from_utf8(buf)
        .expect("utf-8 trace")
        .lines()
        .filter(|l| ["\"kind\":\"push\"", "\"kind\":\"call\"", "\"kind\":\"delivery\""].iter().any(|k| l.contains(k)))
        .count() as u64
}

/// A scenario end to end, in-process and over real HTTP to the mocks (requests per second).
fn scenario_end_to_end(c: &mut Criterion) {
    let s = payments_day();
    let mut group = c.benchmark_group("payments_day_end_to_end");
    group.sample_size(10);
    group.throughput(Throughput::Elements(requests(&s)));
    for (name, transport) in [("in_process", TransportChoice::InProcess), ("http", TransportChoice::Http)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let (out, result) = run::run(
                    black_box(&s),
                    RunOptions { seed: None, transport, trace: None, trace_silent_checks: false, progress: &mut |_| {} },
                );
                result.expect("transport up");
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, engine_throughput, spreading_decision, scenario_end_to_end);
criterion_main!(benches);

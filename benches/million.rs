//! One-shot, side by side on the same workload (issue "Scale and speed"): the success path of rule
//! A, every connection synced daily with `random-hours` (whole hours in `[0, 6]`), creation spread
//! over the first day, 30 simulated days.
//!
//! - **engine**: syncsim's real path (`run::run` in-process: expand, rules, policies, bank, every
//!   report metric), exactly as `benches/engine.rs` runs it.
//! - **tokio**: what a Rust user would write first: one task per connection sleeping under paused
//!   time (`start_paused`, `sleep_until`), the same arithmetic, counting attempts.
//! - **heap**: the bare floor: a `std::collections::BinaryHeap<Reverse<(i64, u32)>>` loop doing the
//!   same arithmetic and nothing else.
//!
//! `cargo bench --bench million` (10^6 connections × 30 days). Environment:
//! `MILLION_CONNECTIONS` (default 1000000), `MILLION_DAYS` (default 30), `MILLION_ONLY` (a comma
//! list of `engine`, `heap`, `tokio`; default all three), `MILLION_RUNS` (default 1: the best of
//! that many runs of each part is printed). Peak memory of each part is read from
//! `/proc/self/status` (`VmHWM`, reset before each part through `/proc/self/clear_refs`), so run
//! the engine alone (`MILLION_ONLY=engine`) to measure its peak under `/usr/bin/time -v` too.
//! Numbers are recorded in benches/README.md.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::Instant as WallClock;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use syncsim::logic::uniform;
use syncsim::sim::commands::run::{self, RunOptions, TransportChoice};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

mod common;
use common::{daily_population, peak_rss_kb, reset_peak};

/// Creation offsets (ms from the start, uniform over the first day) for the baselines.
fn creations(connections: u64) -> Vec<i64> {
    let mut r = ChaCha8Rng::seed_from_u64(1);
    (0..connections).map(|_| uniform::between(&mut r, 0, DAY_MS)).collect()
}

/// Rule A's success path: `t + 24 h + J`, `J` whole hours uniform in `[0, 6]`.
#[inline]
fn next_attempt(t: i64, rng: &mut ChaCha8Rng) -> i64 {
    t + DAY_MS + uniform::below(rng, 7) as i64 * HOUR_MS
}

struct Outcome {
    attempts: u64,
    /// Wall-clock time.
    seconds: f64,
    /// Time this thread spent on a CPU (Linux), which a busy machine inflates less.
    cpu_seconds: Option<f64>,
    peak_rss_kb: Option<u64>,
}

/// Measure `f` (wall clock, this thread's CPU time, the attempts it reports).
fn timed(f: impl FnOnce() -> u64) -> Outcome {
    reset_peak();
    let (wall, cpu) = (WallClock::now(), cpu_ns());
    let attempts = f();
    let seconds = wall.elapsed().as_secs_f64();
    let cpu_seconds = cpu.zip(cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e9);
    Outcome { attempts, seconds, cpu_seconds, peak_rss_kb: peak_rss_kb() }
}

fn engine(connections: u64, days: u32) -> Outcome {
    let s = daily_population(connections, days);
    timed(|| {
        let (out, result) = run::run(
            &s,
            RunOptions {
                seed: None,
                transport: TransportChoice::InProcess,
                trace: None,
                trace_silent_checks: false,
                progress: &mut |_| {},
            },
        );
        result.expect("no trace, no error");
        out.report.variants[0].sync.attempts
    })
}

fn heap(connections: u64, days: u32) -> Outcome {
    let created = creations(connections);
    timed(|| {
        let end = days as i64 * DAY_MS;
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut heap: BinaryHeap<Reverse<(i64, u32)>> = BinaryHeap::with_capacity(created.len());
        for (i, &c) in created.iter().enumerate() {
            heap.push(Reverse((c, i as u32)));
        }
        let mut attempts = 0u64;
        while let Some(Reverse((t, id))) = heap.pop() {
            if t >= end {
                break;
            }
            attempts += 1;
            heap.push(Reverse((next_attempt(t, &mut rng), id)));
        }
        std::hint::black_box(&heap);
        attempts
    })
}

fn tokio_tasks(connections: u64, days: u32) -> Outcome {
    let created = creations(connections);
    timed(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().expect("a runtime");
        let attempts = Rc::new(Cell::new(0u64));
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async {
            let origin = tokio::time::Instant::now();
            let end = days as i64 * DAY_MS;
            let rng = Rc::new(RefCell::new(ChaCha8Rng::seed_from_u64(2)));
            let mut tasks = Vec::with_capacity(created.len());
            for &c in &created {
                let (rng, attempts) = (rng.clone(), attempts.clone());
                tasks.push(tokio::task::spawn_local(async move {
                    let mut t = c;
                    while t < end {
                        tokio::time::sleep_until(origin + std::time::Duration::from_millis(t as u64)).await;
                        attempts.set(attempts.get() + 1);
                        t = next_attempt(t, &mut rng.borrow_mut());
                    }
                }));
            }
            for task in tasks {
                task.await.expect("task finished");
            }
        });
        drop(rt);
        attempts.get()
    })
}

/// This thread's time on a CPU so far, in ns (Linux `schedstat`).
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported here.
    let connections: u64 = env_or("MILLION_CONNECTIONS", 1_000_000);
    let days: u32 = env_or("MILLION_DAYS", 30);
    let only = std::env::var("MILLION_ONLY").unwrap_or_else(|_| "engine,heap,tokio".into());
    let wants = |part: &str| only.split(',').any(|p| p.trim() == part);
    println!("million: {connections} connections × {days} days, daily + random-hours, creation over the first day");
    let mut results: Vec<(&str, Outcome)> = Vec::new();
    type Part = (&'static str, fn(u64, u32) -> Outcome);
    let parts: [Part; 3] = [("engine", engine), ("heap", heap), ("tokio", tokio_tasks)];
    for (name, part) in parts {
        if !wants(name) {
            continue;
        }
        let runs: usize = env_or("MILLION_RUNS", 1).max(1);
        let mut o = part(connections, days);
        for _ in 1..runs {
            let again = part(connections, days);
            assert_eq!(again.attempts, o.attempts, "deterministic");
            if again.seconds < o.seconds {
                o = again;
            }
        }
        let rss = o.peak_rss_kb.map_or("?".into(), |kb| {
            format!("{:.1} MB peak RSS, {:.0} B/connection", kb as f64 / 1024.0, kb as f64 * 1024.0 / connections as f64)
        });
        let cpu = o.cpu_seconds.map_or(String::new(), |c| format!(" (CPU {c:.3} s)"));
        println!(
            "{name:>6}: {:8.3} s{cpu}  {:>11} attempts  {:6.2} M attempts/s  {rss}",
            o.seconds,
            o.attempts,
            o.attempts as f64 / o.seconds / 1e6
        );
        results.push((name, o));
    }
    if let Some((_, e)) = results.iter().find(|(n, _)| *n == "engine") {
        for (name, o) in results.iter().filter(|(n, _)| *n != "engine") {
            let cpu = e.cpu_seconds.zip(o.cpu_seconds).map_or(String::new(), |(e, o)| format!("; CPU {:.1}×", o / e));
            println!("engine is {:.1}× faster than {name} ({:.3} s vs {:.3} s{cpu})", o.seconds / e.seconds, e.seconds, o.seconds);
        }
    }
}

//! DESIGN "Transports": every bundled scenario that makes calls gives byte-identical report and
//! trace over real HTTP (wiremock servers, ureq, loopback sockets) and in-process.

use std::path::PathBuf;

use syncsim::sim::commands::output;
use syncsim::sim::commands::run::{self, RunOptions, TransportChoice, expected_calls};
use syncsim::sim::scenario;

#[test]
fn every_bundled_scenario_that_makes_calls_gives_the_same_bytes_over_http_and_in_process() {
    let mut files: Vec<PathBuf> = std::fs::read_dir("scenarios").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let files: Vec<PathBuf> = files.into_iter().filter(|p| expected_calls(&scenario::load_file(p).unwrap()) > 0).collect();
    // Two threads (CI has two cores); each run starts its own mock servers.
    let (even, odd): (Vec<_>, Vec<_>) = files.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    std::thread::scope(|scope| {
        for half in [even, odd] {
            scope.spawn(move || {
                for (_, path) in half {
                    compare(path);
                }
            });
        }
    });
    assert!(files.len() >= 10, "the bundled scenarios that make calls were all compared ({})", files.len());
}

fn compare(path: &std::path::Path) {
    let s = scenario::load_file(path).unwrap();
    let mut outputs = Vec::new();
    for transport in [TransportChoice::Http, TransportChoice::InProcess] {
        let mut trace = Vec::new();
        let (out, result) =
            run::run(&s, RunOptions { seed: None, transport, trace: Some(&mut trace), trace_silent_checks: false, progress: &mut |_| {} });
        result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        outputs.push((out.transport, output::files(&out).unwrap(), trace));
    }
    assert_eq!(outputs[0].0, "http");
    assert_eq!(outputs[1].0, "in-process");
    assert!(outputs[0].1 == outputs[1].1, "{}: the report files differ between HTTP and in-process", path.display());
    assert!(outputs[0].2 == outputs[1].2, "{}: the traces differ between HTTP and in-process", path.display());
    assert!(!outputs[0].2.is_empty());
}

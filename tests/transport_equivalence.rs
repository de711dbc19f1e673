//! DESIGN "Transports": every bundled scenario that makes calls gives byte-identical report and
//! trace over real HTTP (wiremock servers, ureq, loopback sockets) and in-process.

use std::path::PathBuf;

use syncsim::sim::output;
use syncsim::sim::run::{self, RunOptions, TransportChoice, expected_calls};
use syncsim::sim::scenario;

#[test]
fn every_bundled_scenario_that_makes_calls_gives_the_same_bytes_over_http_and_in_process() {
    let mut files: Vec<PathBuf> = std::fs::read_dir("scenarios").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut compared = 0;
    for path in files {
        let s = scenario::load_file(&path).unwrap();
        if expected_calls(&s) == 0 {
            continue;
        }
        let mut outputs = Vec::new();
        for transport in [TransportChoice::Http, TransportChoice::InProcess] {
            let mut trace = Vec::new();
            let (out, result) = run::run(&s, RunOptions { seed: None, transport, trace: Some(&mut trace), progress: &mut |_| {} });
            result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            outputs.push((out.transport, output::files(&out).unwrap(), trace));
        }
        assert_eq!(outputs[0].0, "http");
        assert_eq!(outputs[1].0, "in-process");
        assert!(outputs[0].1 == outputs[1].1, "{}: the report files differ between HTTP and in-process", path.display());
        assert!(outputs[0].2 == outputs[1].2, "{}: the traces differ between HTTP and in-process", path.display());
        assert!(!outputs[0].2.is_empty());
        compared += 1;
    }
    assert!(compared >= 5, "the bundled scenarios that make calls were all compared ({compared})");
}

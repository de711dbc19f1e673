//! The one proptest configuration every property file uses, so that all of them run the same
//! way: a fixed number of cases per file (`PROPTEST_CASES` for every file at once, the nightly
//! deeper run), a fixed seed (`SYNCSIM_PROPTEST_SEED` to explore others), and failing cases kept
//! in `tests/<file>.regressions`, replayed first from then on.
//!
//! A fixed seed makes `cargo test` deterministic: the same cases every run, so a red run is
//! repeatable and the run time does not wander; the nightly run changes the seed.

use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm, RngSeed, TestRng, TestRunner};

/// The seed of every property when `SYNCSIM_PROPTEST_SEED` is not set. Any seed draws cases
/// from the same generators; this one was measured (seeds 1 to 4 and 13, 2026-12-02) to keep
/// the heaviest files (whole system, payments) at or under the CPU time the random seeds took
/// before: 28 s and 21 s against 25–30 s and 22–24 s.
pub const DEFAULT_SEED: u64 = 2;

/// How many cases a property runs: `PROPTEST_CASES` when set (the nightly deeper run), else
/// `default`, chosen per file so that `cargo test` stays fast.
pub fn cases(default: u32) -> u32 {
    env_number("PROPTEST_CASES").unwrap_or(default)
}

/// The seed the properties draw from: `SYNCSIM_PROPTEST_SEED` when set, else [`DEFAULT_SEED`].
pub fn seed() -> u64 {
    env_number("SYNCSIM_PROPTEST_SEED").unwrap_or(DEFAULT_SEED)
}

/// The configuration of a property file that runs `default_cases` cases by default.
pub fn config(default_cases: u32) -> Config {
    Config {
        cases: cases(default_cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        rng_seed: RngSeed::Fixed(seed()),
        ..Config::default()
    }
}

/// A runner on proptest's own deterministic generator, for the checks that a generator covers
/// what its properties need (a coverage test draws a fixed sample, whatever the seed above).
pub fn coverage_runner() -> TestRunner {
    TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

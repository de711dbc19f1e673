//! What the CLI runs, as library functions: [`run`] (a scenario and its variants → a report),
//! [`advise`] (monitor settings swept on a scenario's runs), [`compare`] (policies × seeds, shards
//! and merge), [`explore`] (a scenario's worst case within a fault budget, shrunk), [`output`] (the files of a run, written with [`atomic`]) and [`ci`] (what CI reads:
//! failed expectations on stderr, JUnit XML, GitHub annotations and job summary) and [`cli`]
//! (the summary lines `main.rs` prints, and the shard files of `compare --shard` / `merge`).

pub mod advise;
pub mod atomic;
pub mod ci;
pub mod cli;
pub mod compare;
pub mod explore;
pub mod interrupt;
pub mod output;
pub mod run;
pub mod trace_file;

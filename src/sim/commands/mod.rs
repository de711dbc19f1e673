//! What the CLI runs, as library functions: [`run`] (a scenario and its variants → a report),
//! [`advise`] (monitor settings swept on a scenario's runs), [`compare`] (policies × seeds, shards
//! and merge), and [`output`] (the files of a run).

pub mod advise;
pub mod compare;
pub mod interrupt;
pub mod output;
pub mod run;

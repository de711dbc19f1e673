//! What the command line needs from the library besides the commands themselves: the one-line
//! summaries it prints after a run, a comparison or a shard ([`summary`]), and the files of a
//! sharded comparison ([`shard_files`]). `main.rs` only parses arguments and prints these.

pub mod shard_files;
pub mod summary;

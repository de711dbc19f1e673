//! The harness, in four parts (ARCHITECTURE.md has the picture):
//! - [`scenario`]: the scenario file: its model, loading with located problems, validation, and
//!   expansion into a plan;
//! - [`engine`]: virtual time's machinery: the event queue, one outbound call's journey, the
//!   transports and the trace;
//! - [`loops`]: the event loops that drive the logic and the world over a plan (sync; jobs with
//!   Kuma and payments);
//! - [`analysis`]: what the loops recorded turned into figures, reports, Markdown and plots;
//! - [`commands`]: what the CLI runs: `run`, `advise`, `compare`/`merge`, and their files.

pub mod analysis;
pub mod commands;
pub mod engine;
pub mod loops;
pub mod scenario;

//! The trace: JSON Lines, one decision a line (SPEC 6; record kinds in docs/trace.md). Every line
//! starts with the virtual instant in ms and RFC 3339, the variant, the component and the kind;
//! the decision's inputs and outputs follow. Writing is optional and off the hot path when off.

use std::io::Write;

use serde::Serialize;

use crate::time::Instant;

/// Lines gather here and go to the writer in blocks of about this size: one call through
/// `dyn Write` a block instead of one a JSON token (issue #17, item 13).
const BLOCK_BYTES: usize = 64 << 10;

pub struct Trace<'w> {
    out: Option<&'w mut dyn Write>,
    variant: String,
    error: Option<std::io::Error>,
    /// Serialised lines not yet handed to `out`.
    block: Vec<u8>,
    /// The line's instant as text, reused from line to line.
    t_text: String,
    /// Whether Kuma's checks that store nothing get a line (`kuma` / `check`).
    silent_checks: bool,
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    t_ms: i64,
    t: &'a str,
    variant: &'a str,
    component: &'a str,
    kind: &'a str,
    #[serde(flatten)]
    data: &'a T,
}

impl<'w> Trace<'w> {
    pub fn new(out: Option<&'w mut dyn Write>, variant: &str) -> Self {
        let block = if out.is_some() { Vec::with_capacity(BLOCK_BYTES + 4096) } else { Vec::new() };
        Trace { out, variant: variant.to_string(), error: None, block, t_text: String::new(), silent_checks: false }
    }
    /// Also trace Kuma's checks that store nothing (`--trace-silent-checks`): one line per
    /// interval and monitor while all is well, so off by default.
    pub fn with_silent_checks(mut self, on: bool) -> Self {
        self.silent_checks = on;
        self
    }
    pub fn silent_checks(&self) -> bool {
        self.silent_checks
    }
    pub fn off() -> Trace<'static> {
        Trace::new(None, "")
    }
    #[inline]
    pub fn enabled(&self) -> bool {
        self.out.is_some() && self.error.is_none()
    }
    pub fn record<T: Serialize>(&mut self, t: Instant, component: &str, kind: &str, data: &T) {
        if !self.enabled() {
            return;
        }
        self.t_text.clear();
        t.write_rfc3339(&mut self.t_text);
        let line = Line { t_ms: t.as_ms(), t: &self.t_text, variant: &self.variant, component, kind, data };
        let whole = self.block.len();
        match serde_json::to_writer(&mut self.block, &line) {
            Ok(()) => self.block.push(b'\n'),
            Err(e) => {
                self.block.truncate(whole); // never half a line
                self.error = Some(e.into());
            }
        }
        if self.block.len() >= BLOCK_BYTES {
            self.hand_over();
        }
    }
    /// Give the gathered lines to the writer; its first error ends the trace.
    fn hand_over(&mut self) {
        let Some(out) = self.out.as_deref_mut() else { return };
        if self.error.is_none() {
            if let Err(e) = out.write_all(&self.block) {
                self.error = Some(e);
            }
        }
        self.block.clear();
    }
    /// Hand over the last lines; the first write error, if any: a full disk ends the trace, not
    /// the run.
    pub fn finish(mut self) -> Result<(), std::io::Error> {
        self.hand_over();
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

//! The trace: JSON Lines, one decision a line (SPEC 6; record kinds in docs/trace.md). Every line
//! starts with the virtual instant in ms and RFC 3339, the variant, the component and the kind;
//! the decision's inputs and outputs follow. Writing is optional and off the hot path when off.

use std::io::Write;

use serde::Serialize;

use crate::time::Instant;

pub struct Trace<'w> {
    out: Option<&'w mut dyn Write>,
    variant: String,
    error: Option<std::io::Error>,
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    t_ms: i64,
    t: String,
    variant: &'a str,
    component: &'a str,
    kind: &'a str,
    #[serde(flatten)]
    data: &'a T,
}

impl<'w> Trace<'w> {
    pub fn new(out: Option<&'w mut dyn Write>, variant: &str) -> Self {
        Trace { out, variant: variant.to_string(), error: None }
    }
    pub fn off() -> Trace<'static> {
        Trace { out: None, variant: String::new(), error: None }
    }
    #[inline]
    pub fn enabled(&self) -> bool {
        self.out.is_some() && self.error.is_none()
    }
    pub fn record<T: Serialize>(&mut self, t: Instant, component: &str, kind: &str, data: &T) {
        let Some(out) = self.out.as_deref_mut() else { return };
        if self.error.is_some() {
            return;
        }
        let line = Line { t_ms: t.as_ms(), t: t.to_rfc3339(), variant: &self.variant, component, kind, data };
        let result = serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from).and_then(|_| out.write_all(b"\n"));
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
    /// The first write error, if any: a full disk ends the trace, not the run.
    pub fn finish(self) -> Result<(), std::io::Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

//! A problem found in a scenario before it is located in the file: the loader and the validator
//! both produce them, and the loader turns each into a `Problem` with its line and column.

use super::field_path::FieldPath;

/// A problem before it has a position: the path, what was expected, what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub path: FieldPath,
    pub expected: String,
    pub found: String,
}

impl Finding {
    pub fn new(path: impl Into<FieldPath>, expected: impl Into<String>, found: impl Into<String>) -> Self {
        Finding { path: path.into(), expected: expected.into(), found: found.into() }
    }
}

impl From<&str> for FieldPath {
    /// Paths written in code, through object keys only (`"cron.tick"`).
    fn from(dotted: &str) -> Self {
        FieldPath::keys(dotted)
    }
}

impl From<&FieldPath> for FieldPath {
    fn from(p: &FieldPath) -> Self {
        p.clone()
    }
}

//! The importer's errors: every one names the file and, where it has one, the line or row and the
//! column, so a user can open the file at the right place. No error is a panic, and no error
//! leaves a file behind (`super::write` writes only after everything was read and checked).

use std::fmt;

/// Where in an input a value was read: the file, then a line (text exports), a row (a database
/// table or a JSON array element), and the column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: String,
    /// 1-based line in the file (TSV, CSV, mysqldump).
    pub line: Option<usize>,
    /// The record, e.g. `rowid 6`, `table monitor, id 3`, `monitorList[2]`.
    pub record: Option<String>,
}

impl Loc {
    pub fn file(file: &str) -> Self {
        Loc { file: file.to_string(), line: None, record: None }
    }
    pub fn line(file: &str, line: usize) -> Self {
        Loc { file: file.to_string(), line: Some(line), record: None }
    }
    pub fn with_record(mut self, record: impl Into<String>) -> Self {
        self.record = Some(record.into());
        self
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(r) = &self.record {
            write!(f, " ({r})")?;
        }
        Ok(())
    }
}

/// Why an import stopped. Each is one located message; the CLI prints it and exits with 2.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}: cannot read: {1}")]
    Read(String, std::io::Error),
    /// The file is none of the accepted forms.
    #[error("{file}: not {expected} ({found})")]
    Unrecognised { file: String, expected: &'static str, found: String },
    #[error("{at}: no column `{column}` (a {table} export needs it)")]
    MissingColumn { at: Loc, table: &'static str, column: String },
    #[error("{at}: column `{column}`: expected {expected}, found {found}")]
    BadValue { at: Box<Loc>, column: String, expected: String, found: String },
    /// The file has the right form but its text breaks it (an unterminated string in a dump…).
    #[error("{at}: {message}")]
    Syntax { at: Loc, message: String },
    #[error("{file}: SQLite: {message}")]
    Sqlite { file: String, message: String },
    /// A command-line value (`--link`, `--tz`, `--start`, `-o`…).
    #[error("{flag}: {message}")]
    Argument { flag: String, message: String },
    #[error("{0}: cannot write: {1}")]
    Write(String, std::io::Error),
    /// The written scenario did not pass `syncsim check`: a bug of the importer, never written.
    #[error("the imported scenario does not pass `syncsim check` (a bug of the importer, please report it):\n{0}")]
    Invalid(String),
}

impl ImportError {
    pub fn bad(at: Loc, column: &str, expected: impl Into<String>, found: impl Into<String>) -> Self {
        ImportError::BadValue { at: Box::new(at), column: column.to_string(), expected: expected.into(), found: found.into() }
    }
    pub fn argument(flag: &str, message: impl Into<String>) -> Self {
        ImportError::Argument { flag: flag.to_string(), message: message.into() }
    }
}

//! The sync loop's trace lines (their fields are documented in docs/trace.md).

use serde::Serialize;

#[derive(Serialize)]
pub struct AttemptRecord<'a> {
    pub connection: String,
    pub connector: &'a str,
    pub state: &'static str,
    pub rule: &'static str,
    pub failures_in_a_row: u16,
    pub wrongpass_in_a_row: u16,
    /// Rule A's frequency F (ms), else 0.
    pub frequency_ms: i64,
    /// Rule A's spreading term J, or rule D's backoff delay (ms), else 0.
    pub chosen_ms: i64,
    pub next_try_ms: Option<i64>,
    pub next_try: Option<String>,
}

#[derive(Serialize)]
pub struct WorldRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// For a user action: the attempt it triggers at once (None if not created yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_at_ms: Option<i64>,
}

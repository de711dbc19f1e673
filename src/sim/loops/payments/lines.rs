//! The payments side's trace lines (`docs/trace.md`): one struct per line kind, serialised as
//! the trace's `data`. Field order is the line's byte order: do not reorder.

use serde::Serialize;

#[derive(Serialize)]
pub(super) struct InvoiceLine<'a> {
    pub invoice: &'a str,
    pub amount_cents: i64,
}

#[derive(Serialize)]
pub(super) struct LinkLine<'a> {
    pub invoice: &'a str,
    pub link: Option<&'a str>,
    pub expires_at: Option<String>,
}

#[derive(Serialize)]
pub(super) struct PayerLine<'a> {
    pub invoice: &'a str,
    pub link: &'a str,
    pub attempt: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<&'static str>,
}

#[derive(Serialize)]
pub(super) struct RequestLine<'a> {
    pub request: &'a str,
    pub link: &'a str,
    pub status: &'static str,
}

#[derive(Serialize)]
pub(super) struct WebhookLine<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub subject: &'a str,
    pub copy: bool,
    pub attempt: u32,
    pub wire: &'static str,
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver: Option<&'static str>,
    pub next: &'static str,
}

/// A webhook lost, forged or replayed: its type and subject.
#[derive(Serialize)]
pub(super) struct LostLine<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub subject: &'a str,
}

#[derive(Serialize)]
pub(super) struct ApiLine<'a> {
    pub caller: &'static str,
    pub method: &'static str,
    pub path: &'a str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub query: String,
    pub attempt: u32,
    pub wire: &'static str,
    pub status: Option<u16>,
    pub next: &'static str,
}

#[derive(Serialize)]
pub(super) struct RecordLine<'a> {
    pub request: &'a str,
    pub link: &'a str,
    pub invoice: Option<&'a str>,
    pub path: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acsc_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<i64>,
}

#[derive(Serialize)]
pub(super) struct RevokeLine<'a> {
    pub link: &'a str,
    pub outcome: &'static str,
}

/// `erp` / `rejected_after_completion`: the recovery job found the invoice's link completed with
/// its confirmed payment rejected; `policy` is what the ERP did (`new_link` or `report`).
#[derive(Serialize)]
pub(super) struct RejectedLine<'a> {
    pub invoice: &'a str,
    pub link: &'a str,
    pub policy: &'static str,
}

/// `recovery` / `run`: whether the run succeeded, then its counts.
#[derive(Serialize)]
pub(super) struct RunLine<'a> {
    pub ok: bool,
    #[serde(flatten)]
    pub stats: &'a crate::logic::bridge::recovery::RunStats,
}

#[derive(Serialize)]
pub(super) struct SecretLine {
    pub change: &'static str,
}

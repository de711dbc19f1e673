//! The ERP's ledger (SPEC 4.2): invoices, their payment links, and payments keyed by Bridge's
//! `payment_request_id`. Both the webhook receiver and the recovery job write here, and both go
//! through the same two verbs, so the idempotency rules live in one place:
//!
//! - a payment is recorded once, keyed by `payment_request_id` (SPEC 4.2);
//! - an older update never overwrites a newer one; a final status is never overwritten;
//! - `completed` on a link alone never records a payment: only `ACSC` means paid (SPEC 4.1);
//! - a link is completed when its payer confirmed a payment at the bank (a request reached
//!   `PDNG` or `ACSC`), not when a request merely exists; a completed link takes no new request,
//!   so a completed link whose payment ended `RJCT` needs a new link to get paid (docs.bridgeapi.io
//!   "Payment links statuses", <https://docs.bridgeapi.io/docs/payment-links-statuses-1>).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::time::{Duration, Instant};

/// A payment request's status as Bridge reports it (SPEC 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum PaymentStatus {
    #[serde(rename = "CREA")]
    Crea,
    #[serde(rename = "ACTC")]
    Actc,
    #[serde(rename = "PDNG")]
    Pdng,
    #[serde(rename = "ACSC")]
    Acsc,
    #[serde(rename = "RJCT")]
    Rjct,
    #[serde(rename = "PART")]
    Part,
}

impl PaymentStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "CREA" => Self::Crea,
            "ACTC" => Self::Actc,
            "PDNG" => Self::Pdng,
            "ACSC" => Self::Acsc,
            "RJCT" => Self::Rjct,
            "PART" => Self::Part,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crea => "CREA",
            Self::Actc => "ACTC",
            Self::Pdng => "PDNG",
            Self::Acsc => "ACSC",
            Self::Rjct => "RJCT",
            Self::Part => "PART",
        }
    }
    /// `ACSC`, `RJCT` and `PART` never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Acsc | Self::Rjct | Self::Part)
    }
    /// The payer confirmed the payment at the bank: `PDNG`, or `ACSC` for an instant payment
    /// (docs.bridgeapi.io "Payment requests and transactions statuses"). Such a status completes
    /// the link. `RJCT` says nothing either way (abandoned before, or rejected after).
    pub fn is_confirmed(self) -> bool {
        matches!(self, Self::Pdng | Self::Acsc)
    }
    /// Progress order, to break ties between updates stamped with the same instant.
    fn rank(self) -> u8 {
        match self {
            Self::Crea => 0,
            Self::Actc => 1,
            Self::Pdng => 2,
            Self::Acsc | Self::Rjct | Self::Part => 3,
        }
    }
}

/// A payment link's status as Bridge reports it (SPEC 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Valid,
    Expired,
    Revoked,
    Completed,
}

impl LinkState {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "valid" => Self::Valid,
            "expired" => Self::Expired,
            "revoked" => Self::Revoked,
            "completed" => Self::Completed,
            _ => return None,
        })
    }
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Valid)
    }
}

/// How a payment came to be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    Webhook,
    Job,
}

impl Path {
    pub fn name(self) -> &'static str {
        match self {
            Path::Webhook => "webhook",
            Path::Job => "job",
        }
    }
}

pub type InvoiceId = u32;

#[derive(Clone, Debug)]
pub struct Invoice {
    pub id: InvoiceId,
    pub reference: String,
    pub amount_cents: i64,
    pub issued_at: Instant,
    pub link: Option<String>,
    /// Links of this invoice completed at Bridge whose payment the bank then rejected: each
    /// needed a new link (the recovery job found them, [`Ledger::needs_new_link`]).
    pub rejected_links: u32,
}

#[derive(Clone, Debug)]
pub struct LocalLink {
    pub id: String,
    pub invoice: InvoiceId,
    pub status: LinkState,
    /// When the ERP learnt of the link (the create call's answer).
    pub created_at: Instant,
    pub expires_at: Instant,
    /// Source instant of the last status applied (webhook timestamp or API answer time).
    pub status_at: Instant,
    /// A revoke call was sent and its answer never came back: refresh before revoking again.
    pub revoke_unconfirmed: bool,
    /// Request ids known for this link.
    pub payments: Vec<String>,
    /// When the recovery job last read this link's whole list of payment requests.
    pub listed_at: Option<Instant>,
    pub paid: bool,
    /// Completed, read in full, every request final and none paid: the payer's confirmed payment
    /// was rejected and this link can take no other. Decided once, by the recovery job.
    pub rejected_after_completion: bool,
    /// The source instant of the first `completed` the ledger applied (webhook timestamp, a
    /// confirmed request's instant, or the read that said so): a list of the link's requests
    /// made at or after it holds every request the link will ever have.
    pub completed_at: Option<Instant>,
    /// Last time anything changed locally (for the retention).
    pub touched_at: Instant,
}

impl LocalLink {
    /// Nothing more can happen to this link: paid; expired or revoked (a request a payer had
    /// not confirmed by then is rejected, `world::bridge::model`, so none can be paid); or
    /// completed, read in full after its completion was known, with every request final (a
    /// completed link takes no new request, docs "Payment links statuses"). The full read
    /// matters: a completed link whose request webhooks were all lost has no known request.
    pub fn is_settled(&self, payments: &BTreeMap<String, Payment>) -> bool {
        self.paid || matches!(self.status, LinkState::Expired | LinkState::Revoked) || self.completed_and_read(payments)
    }

    /// Completed, read in full since its completion was known, and every known request final.
    fn completed_and_read(&self, payments: &BTreeMap<String, Payment>) -> bool {
        self.status == LinkState::Completed
            && self.listed_at.is_some_and(|t| self.completed_at.is_some_and(|c| t >= c))
            && self.payments.iter().all(|p| payments.get(p).is_none_or(|p| p.status.is_final()))
    }
}

#[derive(Clone, Debug)]
pub struct Payment {
    pub request_id: String,
    pub link: String,
    pub status: PaymentStatus,
    pub status_reason: Option<String>,
    /// Source instant of the status applied.
    pub updated_at: Instant,
    pub recorded: Option<(Instant, Path)>,
}

/// One payment update, from a webhook or from the API.
#[derive(Clone, Debug)]
pub struct PaymentUpdate<'a> {
    pub request_id: &'a str,
    pub link_id: &'a str,
    pub status: PaymentStatus,
    pub status_reason: Option<&'a str>,
    /// When Bridge says this state held (webhook `timestamp`, or the resource's `updated_at`).
    pub source_at: Instant,
    pub path: Path,
}

/// What an update did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// The payment reached `ACSC` and was recorded now.
    Recorded,
    /// A newer, non-paid status was stored.
    Updated,
    /// The same status again (a duplicate or a replay).
    Duplicate,
    /// Older than what the ledger holds: ignored.
    Stale,
    /// The ledger holds a final status: never overwritten.
    FinalKept,
    /// The link is not ours (or archived, so no longer in the ledger): ignored.
    UnknownLink,
}

/// One record of a payment: the log the double-record check reads. The ledger appends here and
/// nowhere else, so a broken idempotency rule shows up as two lines with the same request id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub request_id: String,
    pub invoice: InvoiceId,
    pub at: Instant,
    pub path: Path,
}

/// The ledger. Its fields are private: every write goes through a verb below, so the rules in
/// this module's header hold whoever calls (the receiver, the recovery job, the harness).
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    invoices: Vec<Invoice>,
    links: BTreeMap<String, LocalLink>,
    payments: BTreeMap<String, Payment>,
    records: Vec<Record>,
    archived_links: u64,
}

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    /// The ERP issues an invoice at `now`; returns its id (ids count up from 0).
    pub fn issue_invoice(&mut self, reference: String, amount_cents: i64, now: Instant) -> InvoiceId {
        let id = self.invoices.len() as InvoiceId;
        self.invoices.push(Invoice { id, reference, amount_cents, issued_at: now, link: None, rejected_links: 0 });
        id
    }

    /// The create call answered: the invoice has its link, `valid` until `expires_at` (a new
    /// link for an invoice whose earlier one was rejected after completion replaces it there).
    pub fn link_created(&mut self, invoice: InvoiceId, link_id: String, now: Instant, expires_at: Instant) {
        if let Some(inv) = self.invoices.get_mut(invoice as usize) {
            inv.link = Some(link_id.clone());
        }
        self.links.insert(
            link_id.clone(),
            LocalLink {
                id: link_id,
                invoice,
                status: LinkState::Valid,
                created_at: now,
                expires_at,
                status_at: now,
                revoke_unconfirmed: false,
                payments: Vec::new(),
                listed_at: None,
                paid: false,
                rejected_after_completion: false,
                completed_at: None,
                touched_at: now,
            },
        );
    }

    /// Apply a payment update (SPEC 4.2). Records the payment when it reaches `ACSC` and was not
    /// recorded before; never overwrites a final status or a newer update.
    pub fn apply_payment(&mut self, now: Instant, u: &PaymentUpdate<'_>) -> Applied {
        let Some(link) = self.links.get_mut(u.link_id) else {
            return Applied::UnknownLink;
        };
        link.touched_at = now;
        // A confirmed request completes the link at Bridge whatever we knew; a request that
        // merely exists does not (the payer may abandon at the bank, the link staying valid).
        if link.status == LinkState::Valid && u.status.is_confirmed() {
            link.status = LinkState::Completed;
            link.status_at = u.source_at;
            link.completed_at = Some(u.source_at);
        }
        let applied = match self.payments.get_mut(u.request_id) {
            Some(p) if p.status.is_final() => {
                if p.status == u.status {
                    Applied::Duplicate
                } else {
                    Applied::FinalKept
                }
            }
            Some(p) if p.status == u.status => Applied::Duplicate,
            // Statuses only move forward at Bridge (CREA → ACTC → PDNG → final), so an update
            // behind the stored one is older whatever its timestamp says.
            Some(p) if u.status.rank() < p.status.rank() => Applied::Stale,
            Some(p) => {
                p.status = u.status;
                p.status_reason = u.status_reason.map(str::to_string);
                p.updated_at = p.updated_at.max(u.source_at);
                if u.status == PaymentStatus::Acsc { Applied::Recorded } else { Applied::Updated }
            }
            None => {
                link.payments.push(u.request_id.to_string());
                self.payments.insert(
                    u.request_id.to_string(),
                    Payment {
                        request_id: u.request_id.to_string(),
                        link: u.link_id.to_string(),
                        status: u.status,
                        status_reason: u.status_reason.map(str::to_string),
                        updated_at: u.source_at,
                        recorded: None,
                    },
                );
                if u.status == PaymentStatus::Acsc { Applied::Recorded } else { Applied::Updated }
            }
        };
        if applied == Applied::Recorded {
            link.paid = true;
            if let Some(p) = self.payments.get_mut(u.request_id) {
                debug_assert!(p.recorded.is_none(), "a payment reaches ACSC once: finals are never overwritten");
                p.recorded = Some((now, u.path));
            }
            self.records.push(Record { request_id: u.request_id.to_string(), invoice: link.invoice, at: now, path: u.path });
        }
        applied
    }

    /// Apply a link status (webhook `payment.link.updated` or an API answer). A link status
    /// alone never records a payment; a final local status is kept (a link leaves `valid` once,
    /// SPEC 4.1, so any other final status arriving later is the stale one).
    pub fn apply_link(&mut self, now: Instant, link_id: &str, status: LinkState, source_at: Instant) -> Applied {
        let Some(link) = self.links.get_mut(link_id) else {
            return Applied::UnknownLink;
        };
        if link.status == status {
            link.status_at = link.status_at.max(source_at);
            return Applied::Duplicate;
        }
        if status == LinkState::Valid {
            return Applied::Stale;
        }
        if link.status.is_final() {
            return Applied::FinalKept;
        }
        link.status = status;
        link.status_at = source_at;
        link.touched_at = now;
        if status == LinkState::Completed {
            link.completed_at = Some(source_at);
        }
        Applied::Updated
    }

    /// Links the recovery job must look at: ours, not archived, not settled (SPEC 4.2 "every
    /// local link that is not final"), in id order.
    pub fn open_links(&self) -> Vec<String> {
        self.links.values().filter(|l| !l.is_settled(&self.payments)).map(|l| l.id.clone()).collect()
    }

    /// Links unpaid `delay` after creation that are still valid as far as we know, whose known
    /// requests are all final (payers who abandoned at the bank: the link stays valid, docs
    /// "Payment links statuses"), and no revoke awaiting confirmation: the revocation duty's
    /// list. A request still in progress keeps its link: its payer is at the bank now.
    pub fn revocation_candidates(&self, now: Instant, delay: Duration) -> Vec<String> {
        let payments = &self.payments;
        self.links
            .values()
            .filter(|l| {
                !l.paid
                    && l.status == LinkState::Valid
                    && l.payments.iter().all(|p| payments.get(p).is_none_or(|p| p.status.is_final()))
                    && !l.revoke_unconfirmed
                    && l.created_at + delay <= now
            })
            .map(|l| l.id.clone())
            .collect()
    }

    /// Completed links whose payment the bank rejected after the payer confirmed it, not yet
    /// decided: read in full since their completion, every request final, none `ACSC`. Such a
    /// link takes no new request (docs: "you have to create a new payment link to get paid").
    /// Returns `(link, invoice)` in link id order.
    pub fn needs_new_link(&self) -> Vec<(String, InvoiceId)> {
        self.links
            .values()
            .filter(|l| !l.paid && !l.rejected_after_completion && l.completed_and_read(&self.payments))
            .map(|l| (l.id.clone(), l.invoice))
            .collect()
    }

    /// The recovery job decided that `link` was rejected after completion (see
    /// [`Self::needs_new_link`]): counted on its invoice, once.
    pub fn mark_rejected_after_completion(&mut self, link_id: &str, now: Instant) {
        let Some(l) = self.links.get_mut(link_id) else { return };
        if l.rejected_after_completion {
            return;
        }
        l.rejected_after_completion = true;
        l.touched_at = now;
        if let Some(inv) = self.invoices.get_mut(l.invoice as usize) {
            inv.rejected_links += 1;
        }
    }

    /// Every invoice, by id.
    pub fn invoices(&self) -> &[Invoice] {
        &self.invoices
    }

    /// The recovery job read the link's whole list of payment requests at `now` (its last page
    /// had no `next_uri`): what `LocalLink::is_settled` needs for a completed link. An unknown
    /// link is ignored. Records nothing and changes no status.
    pub fn mark_listed(&mut self, link_id: &str, now: Instant) {
        if let Some(l) = self.links.get_mut(link_id) {
            l.listed_at = Some(now);
        }
    }

    /// A revoke call for the link got no usable answer: it may have landed, so the link leaves
    /// the revocation list until a refresh confirms its status ([`Self::confirm_status`]).
    pub fn mark_revoke_unconfirmed(&mut self, link_id: &str) {
        if let Some(l) = self.links.get_mut(link_id) {
            l.revoke_unconfirmed = true;
        }
    }

    /// A refresh read the link's status at Bridge at `now`: applied as [`Self::apply_link`]
    /// does, and any revoke awaiting confirmation is settled by it.
    pub fn confirm_status(&mut self, now: Instant, link_id: &str, status: LinkState) -> Applied {
        let applied = self.apply_link(now, link_id, status, now);
        if let Some(l) = self.links.get_mut(link_id) {
            l.revoke_unconfirmed = false;
        }
        applied
    }

    /// Archive settled links (and their payments) untouched for `retention` (SPEC 2.1 duty 4).
    /// Returns how many links were archived now.
    ///
    /// An archived link leaves the ledger with its payments: every later update about it is
    /// answered [`Applied::UnknownLink`], as for a link that was never ours, and no list or
    /// verb finds it again, so keeping it would only make memory grow with history. Its
    /// invoice and its records stay.
    pub fn archive(&mut self, now: Instant, retention: Duration) -> u64 {
        let payments = &self.payments;
        let archived: Vec<String> =
            self.links.values().filter(|l| l.is_settled(payments) && l.touched_at + retention <= now).map(|l| l.id.clone()).collect();
        for id in &archived {
            if let Some(link) = self.links.remove(id) {
                for request_id in &link.payments {
                    self.payments.remove(request_id);
                }
            }
        }
        let n = archived.len() as u64;
        self.archived_links += n;
        n
    }

    /// Every record, in the order they were made (the double-record check reads this).
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn invoice(&self, id: InvoiceId) -> Option<&Invoice> {
        self.invoices.get(id as usize)
    }

    pub fn link(&self, id: &str) -> Option<&LocalLink> {
        self.links.get(id)
    }

    pub fn payment(&self, request_id: &str) -> Option<&Payment> {
        self.payments.get(request_id)
    }

    /// Links archived so far.
    pub fn archived_links(&self) -> u64 {
        self.archived_links
    }

    /// Request ids recorded more than once (must be empty).
    pub fn double_records(&self) -> Vec<&str> {
        let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
        for r in &self.records {
            *seen.entry(r.request_id.as_str()).or_insert(0) += 1;
        }
        seen.into_iter().filter(|(_, n)| *n > 1).map(|(id, _)| id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Instant {
        Instant(1_767_225_600_000 + s * 1000)
    }

    fn ledger() -> Ledger {
        let mut l = Ledger::new();
        let inv = l.issue_invoice("INV-1".into(), 1250, t(0));
        l.link_created(inv, "L1".into(), t(1), t(86_400));
        l
    }

    fn upd(status: PaymentStatus, at: i64, path: Path) -> PaymentUpdate<'static> {
        PaymentUpdate { request_id: "R1", link_id: "L1", status, status_reason: None, source_at: t(at), path }
    }

    #[test]
    fn acsc_records_once_whatever_path_and_however_often() {
        let mut l = ledger();
        assert_eq!(l.apply_payment(t(10), &upd(PaymentStatus::Crea, 5, Path::Webhook)), Applied::Updated);
        assert_eq!(l.apply_payment(t(20), &upd(PaymentStatus::Acsc, 15, Path::Webhook)), Applied::Recorded);
        assert_eq!(l.apply_payment(t(30), &upd(PaymentStatus::Acsc, 15, Path::Webhook)), Applied::Duplicate);
        assert_eq!(l.apply_payment(t(40), &upd(PaymentStatus::Acsc, 15, Path::Job)), Applied::Duplicate);
        assert_eq!(l.records().len(), 1);
        assert_eq!(l.records()[0].path, Path::Webhook);
        assert!(l.double_records().is_empty());
        assert!(l.link("L1").unwrap().paid);
    }

    #[test]
    fn a_final_status_is_never_overwritten_and_an_older_update_never_wins() {
        let mut l = ledger();
        l.apply_payment(t(10), &upd(PaymentStatus::Pdng, 8, Path::Webhook));
        // Reordered delivery: CREA stamped earlier arrives after PDNG.
        assert_eq!(l.apply_payment(t(11), &upd(PaymentStatus::Crea, 5, Path::Webhook)), Applied::Stale);
        assert_eq!(l.payment("R1").unwrap().status, PaymentStatus::Pdng);
        l.apply_payment(t(12), &upd(PaymentStatus::Rjct, 9, Path::Webhook));
        assert_eq!(l.apply_payment(t(13), &upd(PaymentStatus::Acsc, 50, Path::Job)), Applied::FinalKept);
        assert_eq!(l.payment("R1").unwrap().status, PaymentStatus::Rjct);
        assert!(l.records().is_empty(), "a rejected payment is never recorded");
    }

    #[test]
    fn completed_on_a_link_alone_never_records_a_payment() {
        let mut l = ledger();
        assert_eq!(l.apply_link(t(10), "L1", LinkState::Completed, t(9)), Applied::Updated);
        assert!(l.records().is_empty());
        assert!(!l.link("L1").unwrap().paid);
        assert_eq!(l.open_links(), vec!["L1".to_string()], "completed but unpaid stays open");
        l.mark_listed("L1", t(8));
        assert_eq!(l.open_links().len(), 1, "a list older than the completion may miss its request");
        l.mark_listed("L1", t(9));
        assert!(l.open_links().is_empty(), "read in full since its completion, nothing pending: settled");
    }

    #[test]
    fn a_request_that_exists_does_not_complete_the_link_only_a_confirmed_one_does() {
        // docs.bridgeapi.io "Payment links statuses": completed when the payer confirmed at the bank.
        let mut l = ledger();
        l.apply_payment(t(10), &upd(PaymentStatus::Crea, 5, Path::Webhook));
        l.apply_payment(t(11), &upd(PaymentStatus::Actc, 6, Path::Webhook));
        assert_eq!(l.link("L1").unwrap().status, LinkState::Valid, "CREA and ACTC: the payer is still at the bank");
        assert_eq!(l.apply_link(t(12), "L1", LinkState::Valid, t(12)), Applied::Duplicate, "a refreshed valid is not stale");
        l.apply_payment(t(13), &upd(PaymentStatus::Pdng, 7, Path::Webhook));
        let link = l.link("L1").unwrap();
        assert_eq!((link.status, link.completed_at), (LinkState::Completed, Some(t(7))), "PDNG: confirmed");
    }

    #[test]
    fn a_link_whose_payer_abandoned_at_the_bank_is_revoked_but_not_while_a_request_is_in_progress() {
        let mut l = ledger();
        let delay = Duration::from_hours(3);
        let due = t(1) + delay;
        l.apply_payment(t(10), &upd(PaymentStatus::Crea, 5, Path::Webhook));
        assert!(l.revocation_candidates(due, delay).is_empty(), "the payer is at the bank now");
        l.apply_payment(t(20), &PaymentUpdate { status_reason: Some("ABANDONED"), ..upd(PaymentStatus::Rjct, 15, Path::Webhook) });
        assert_eq!(l.link("L1").unwrap().status, LinkState::Valid);
        assert_eq!(l.revocation_candidates(due, delay), vec!["L1".to_string()], "abandoned: the link is revoked on time");
    }

    #[test]
    fn a_completed_link_whose_confirmed_payment_was_rejected_needs_a_new_link_once_read_in_full() {
        // docs.bridgeapi.io "Payment links statuses": "you have to create a new payment link to get paid".
        let mut l = ledger();
        l.apply_payment(t(10), &upd(PaymentStatus::Pdng, 7, Path::Webhook));
        l.apply_payment(t(20), &upd(PaymentStatus::Rjct, 15, Path::Webhook));
        assert!(l.needs_new_link().is_empty(), "not read in full since the completion: a request may be unknown");
        l.mark_listed("L1", t(30));
        assert_eq!(l.needs_new_link(), vec![("L1".to_string(), 0)]);
        assert!(l.open_links().is_empty(), "settled: a completed link takes no new request");
        l.mark_rejected_after_completion("L1", t(31));
        l.mark_rejected_after_completion("L1", t(32));
        assert!(l.needs_new_link().is_empty(), "decided once");
        assert_eq!(l.invoice(0).unwrap().rejected_links, 1, "counted once");
    }

    #[test]
    fn unknown_and_archived_links_are_ignored() {
        let mut l = ledger();
        let u = PaymentUpdate { link_id: "nope", ..upd(PaymentStatus::Acsc, 1, Path::Webhook) };
        assert_eq!(l.apply_payment(t(2), &u), Applied::UnknownLink);
        l.apply_payment(t(3), &upd(PaymentStatus::Acsc, 2, Path::Webhook));
        assert_eq!(l.archive(t(3) + Duration::from_days(1), Duration::from_days(2)), 0, "retention not reached");
        assert_eq!(l.archive(t(3) + Duration::from_days(2), Duration::from_days(2)), 1);
        assert_eq!(l.apply_payment(t(4), &upd(PaymentStatus::Acsc, 2, Path::Job)), Applied::UnknownLink);
        assert_eq!(l.apply_link(t(5), "L1", LinkState::Expired, t(5)), Applied::UnknownLink);
        assert_eq!(l.records().len(), 1, "the record stays");
        assert_eq!(l.archived_links(), 1);
    }

    #[test]
    fn an_archived_link_leaves_the_ledger_with_its_payments_and_its_invoice_and_records_stay() {
        let mut l = ledger();
        l.apply_payment(t(3), &upd(PaymentStatus::Acsc, 2, Path::Webhook));
        assert_eq!(l.archive(t(3) + Duration::from_days(2), Duration::from_days(2)), 1);
        assert!(l.link("L1").is_none() && l.payment("R1").is_none(), "nothing left to refer to them");
        assert!(l.open_links().is_empty() && l.revocation_candidates(t(10), Duration::ZERO).is_empty());
        assert_eq!(l.invoice(0).and_then(|i| i.link.as_deref()), Some("L1"));
        assert_eq!(l.records().len(), 1);
        assert_eq!(l.archive(t(3) + Duration::from_days(9), Duration::from_days(2)), 0, "archived once");
    }

    #[test]
    fn revocation_candidates_wait_for_the_delay_and_skip_links_with_a_request_in_progress() {
        let mut l = ledger();
        let inv = l.issue_invoice("INV-2".into(), 500, t(0));
        l.link_created(inv, "L2".into(), t(1), t(86_400));
        let delay = Duration::from_hours(3);
        assert!(l.revocation_candidates(t(1) + delay - Duration::MILLISECOND, delay).is_empty());
        assert_eq!(l.revocation_candidates(t(1) + delay, delay), vec!["L1".to_string(), "L2".to_string()]);
        l.apply_payment(t(2), &PaymentUpdate { link_id: "L2", request_id: "R2", ..upd(PaymentStatus::Crea, 2, Path::Webhook) });
        assert_eq!(l.revocation_candidates(t(1) + delay, delay), vec!["L1".to_string()]);
    }
}

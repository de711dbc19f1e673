//! The recovery job (SPEC 2.1, 4.2; seed 000 "Récupération des paiements Bridge"), as a sans-IO
//! state machine: the runner starts a run, the harness asks it for one API call at a time
//! ([`RecoveryRun::poll_transmit`]), carries the call through the transport and the client retry
//! policy, hands back what finally came of it ([`RecoveryRun::handle_result`]) and takes what the
//! run did for the trace ([`RecoveryRun::poll_event`]).
//!
//! Duties, in the order of SPEC 4.2: (1) payment sync: list the payment requests of every local
//! link that is not settled, following `next_uri`, and record the `ACSC` ones not yet recorded;
//! (2) status refresh: read each still-open link; (3) revocation of links unpaid after the
//! configured delay; (4) clean-up: archive settled records older than the retention. Refreshing
//! before revoking means a link that a payer completed since the last run is not revoked.
//! Between (3) and (4), without a call, the run finds the completed links whose confirmed
//! payment the bank rejected (read in full, nothing paid): such a link takes no new request
//! (docs.bridgeapi.io "Payment links statuses": "you have to create a new payment link to get
//! paid"), so the run tells the ERP ([`RunNote::RejectedAfterCompletion`]), which applies its
//! policy (issue a new link, or report the invoice).
//!
//! A call that still fails after its retries is skipped, the run goes on with the next item
//! (partial progress is kept in the ledger) and ends in error; the next run starts again from
//! the ledger, so nothing is done twice (the ledger is idempotent) and nothing is lost (an
//! unsettled link stays on the list).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::ledger::{Applied, InvoiceId, Ledger, LinkState, Path, PaymentStatus, PaymentUpdate};
use crate::net::{Method, Request, Response};
use crate::time::{Duration, Instant};

/// The ERP's API credentials (SPEC 4.1: every call carries them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiAuth {
    pub client_id: String,
    pub client_secret: String,
    pub version: String,
}

impl ApiAuth {
    /// Add the three auth headers to a request.
    pub fn sign(&self, r: Request) -> Request {
        r.header("Client-Id", self.client_id.clone())
            .header("Client-Secret", self.client_secret.clone())
            .header("Bridge-Version", self.version.clone())
    }
}

#[derive(Clone, Debug)]
pub struct RecoverySettings {
    pub auth: ApiAuth,
    /// Revoke a link still unpaid this long after its creation.
    pub revoke_after: Duration,
    /// Archive settled records untouched this long.
    pub archive_after: Duration,
    /// `limit` of each payment-requests page.
    pub page_size: u32,
}

/// What finally came of one call, after the client's retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallResult {
    Answered(Response),
    /// Refused, timed out or given up on: no usable answer.
    Failed,
}

/// The duty a call serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    PaymentSync,
    StatusRefresh,
    Revocation,
    CleanUp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Work {
    /// One page of a link's payment requests; `uri` is the `next_uri` of the previous page.
    List {
        link: String,
        uri: Option<String>,
    },
    Refresh {
        link: String,
    },
    Revoke {
        link: String,
    },
    /// A read of the link after a revoke whose answer did not say what became of it.
    ConfirmRevoke {
        link: String,
    },
}

/// Counts of one run, for the report and the trace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    pub calls: u32,
    pub failed_calls: u32,
    pub pages: u32,
    pub recorded: u32,
    pub refreshed: u32,
    pub revoked: u32,
    /// Completed links found rejected after the payer confirmed (each needs a new link).
    pub rejected_after_completion: u32,
    pub archived: u64,
}

/// Something the run did that the trace should tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunNote {
    Recorded {
        request_id: String,
        link: String,
    },
    Revoked {
        link: String,
    },
    /// A revoke answered with the link in another final state (a payer completed it first).
    RevokeRefused {
        link: String,
        status: LinkState,
    },
    /// The link completed, its confirmed payment ended `RJCT`, and it can take no other: the
    /// invoice needs a new link to get paid.
    RejectedAfterCompletion {
        link: String,
        invoice: InvoiceId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Sync,
    Refresh,
    Revoke,
    Done,
}

/// One run of the recovery job. It has no timers of its own (it waits only for answers, and
/// the cron runner decides when a run starts), so it has no `poll_timeout`: none of its verbs
/// changes one.
pub struct RecoveryRun {
    settings: RecoverySettings,
    phase: Phase,
    todo: VecDeque<Work>,
    current: Option<Work>,
    stats: RunStats,
    notes: VecDeque<RunNote>,
}

#[derive(Deserialize)]
struct Page {
    resources: Vec<Resource>,
    pagination: Pagination,
}

#[derive(Deserialize)]
struct Pagination {
    next_uri: Option<String>,
}

#[derive(Deserialize)]
struct Resource {
    id: String,
    status: String,
    #[serde(default)]
    status_reason: Option<String>,
    payment_link_id: String,
    updated_at: String,
}

#[derive(Deserialize)]
struct LinkBody {
    status: String,
}

impl RecoveryRun {
    /// A run starting now: its sync list is the ledger's open links (whether a link is settled
    /// depends on what the ledger knows, not on the instant).
    pub fn start(_now: Instant, ledger: &Ledger, settings: RecoverySettings) -> Self {
        let todo = ledger.open_links().into_iter().map(|link| Work::List { link, uri: None }).collect();
        RecoveryRun { settings, phase: Phase::Sync, todo, current: None, stats: RunStats::default(), notes: VecDeque::new() }
    }

    /// The next call to make, or `None` when the run is over (the clean-up duty, which needs no
    /// call, is done on the way). Must not be called again before [`Self::handle_result`]
    /// answers the call it returned. Only `handle_result` and the ledger change its answer.
    pub fn poll_transmit(&mut self, now: Instant, ledger: &mut Ledger) -> Option<Request> {
        debug_assert!(self.current.is_none(), "one call at a time");
        loop {
            if let Some(work) = self.todo.pop_front() {
                let request = self.request_for(&work);
                self.current = Some(work);
                self.stats.calls += 1;
                return Some(request);
            }
            match self.phase {
                Phase::Sync => {
                    self.phase = Phase::Refresh;
                    self.todo = ledger.open_links().into_iter().map(|link| Work::Refresh { link }).collect();
                }
                Phase::Refresh => {
                    self.phase = Phase::Revoke;
                    self.todo = ledger
                        .revocation_candidates(now, self.settings.revoke_after)
                        .into_iter()
                        .map(|link| Work::Revoke { link })
                        .collect();
                }
                Phase::Revoke => {
                    self.phase = Phase::Done;
                    for (link, invoice) in ledger.needs_new_link() {
                        ledger.mark_rejected_after_completion(&link, now);
                        self.stats.rejected_after_completion += 1;
                        self.notes.push_back(RunNote::RejectedAfterCompletion { link, invoice });
                    }
                    self.stats.archived = ledger.archive(now, self.settings.archive_after);
                }
                Phase::Done => return None,
            }
        }
    }

    /// The duty of the call last returned by `poll_transmit` (or the run's phase when none).
    pub fn duty(&self) -> Duty {
        match (&self.current, self.phase) {
            (Some(Work::List { .. }), _) => Duty::PaymentSync,
            (Some(Work::Refresh { .. }), _) => Duty::StatusRefresh,
            (Some(Work::Revoke { .. } | Work::ConfirmRevoke { .. }), _) => Duty::Revocation,
            (None, Phase::Sync) => Duty::PaymentSync,
            (None, Phase::Refresh) => Duty::StatusRefresh,
            (None, Phase::Revoke) => Duty::Revocation,
            (None, Phase::Done) => Duty::CleanUp,
        }
    }

    fn request_for(&self, work: &Work) -> Request {
        let auth = &self.settings.auth;
        match work {
            Work::List { link, uri: None } => auth.sign(
                Request::new(Method::Get, "/v3/payment/payment-requests")
                    .query_param("payment_link_id", link.clone())
                    .query_param("limit", self.settings.page_size.to_string()),
            ),
            Work::List { uri: Some(uri), .. } => auth.sign(request_from_uri(Method::Get, uri)),
            Work::Refresh { link } | Work::ConfirmRevoke { link } => {
                auth.sign(Request::new(Method::Get, format!("/v3/payment/payment-links/{link}")))
            }
            Work::Revoke { link } => auth.sign(Request::new(Method::Post, format!("/v3/payment/payment-links/{link}/revoke"))),
        }
    }

    /// What came of the call last returned by `poll_transmit`, at `now`: the ledger takes what
    /// the answer says (through its verbs), and what the trace should tell waits in
    /// [`Self::poll_event`].
    pub fn handle_result(&mut self, now: Instant, ledger: &mut Ledger, result: CallResult) {
        let Some(work) = self.current.take() else { return };
        let response = match result {
            CallResult::Answered(r) if (200..300).contains(&r.status) => r,
            // A revoke refused with a 4xx (reported for a completed link) says nothing of the
            // link's state: read it rather than fail the run on every later run too.
            CallResult::Answered(r) if matches!(&work, Work::Revoke { .. }) && (400..500).contains(&r.status) && r.status != 429 => {
                if let Work::Revoke { link } = work {
                    self.todo.push_front(Work::ConfirmRevoke { link });
                }
                return;
            }
            _ => {
                self.stats.failed_calls += 1;
                if let Work::Revoke { link } | Work::ConfirmRevoke { link } = &work {
                    // The revoke may have landed with its answer lost: refresh before another.
                    ledger.mark_revoke_unconfirmed(link);
                }
                return;
            }
        };
        match work {
            Work::List { link, .. } => {
                let Ok(page) = serde_json::from_slice::<Page>(&response.body) else {
                    self.stats.failed_calls += 1;
                    return;
                };
                self.stats.pages += 1;
                for r in &page.resources {
                    let (Some(status), Ok(updated_at)) = (PaymentStatus::parse(&r.status), Instant::parse_rfc3339(&r.updated_at)) else {
                        continue;
                    };
                    let update = PaymentUpdate {
                        request_id: &r.id,
                        link_id: &r.payment_link_id,
                        status,
                        status_reason: r.status_reason.as_deref(),
                        source_at: updated_at,
                        path: Path::Job,
                    };
                    if ledger.apply_payment(now, &update) == Applied::Recorded {
                        self.stats.recorded += 1;
                        self.notes.push_back(RunNote::Recorded { request_id: r.id.clone(), link: r.payment_link_id.clone() });
                    }
                }
                match page.pagination.next_uri {
                    // The next page comes before any other link's first page.
                    Some(next) => self.todo.push_front(Work::List { link, uri: Some(next) }),
                    None => {
                        ledger.mark_listed(&link, now);
                    }
                }
            }
            Work::Refresh { link } => match link_status(&response) {
                Some(status) => {
                    self.stats.refreshed += 1;
                    ledger.confirm_status(now, &link, status);
                }
                None => self.stats.failed_calls += 1,
            },
            // The revoke answer's body is not documented for this API version (the older one's
            // example is empty): a body without a status is confirmed by a read (issue #19, 6).
            Work::Revoke { link } => match link_status(&response) {
                Some(status) => {
                    ledger.apply_link(now, &link, status, now);
                    self.note_revoke(link, status);
                }
                None => self.todo.push_front(Work::ConfirmRevoke { link }),
            },
            Work::ConfirmRevoke { link } => match link_status(&response) {
                Some(status) => {
                    ledger.confirm_status(now, &link, status);
                    self.note_revoke(link, status);
                }
                None => {
                    self.stats.failed_calls += 1;
                    ledger.mark_revoke_unconfirmed(&link);
                }
            },
        }
    }

    fn note_revoke(&mut self, link: String, status: LinkState) {
        if status == LinkState::Revoked {
            self.stats.revoked += 1;
            self.notes.push_back(RunNote::Revoked { link });
        } else {
            self.notes.push_back(RunNote::RevokeRefused { link, status });
        }
    }

    /// The next thing the run did that the trace should tell, oldest first.
    pub fn poll_event(&mut self) -> Option<RunNote> {
        self.notes.pop_front()
    }

    /// Counts so far (final once `poll_transmit` returned `None`).
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// The run's result: success only when every call got a usable answer.
    pub fn succeeded(&self) -> bool {
        self.stats.failed_calls == 0
    }
}

fn link_status(response: &Response) -> Option<LinkState> {
    serde_json::from_slice::<LinkBody>(&response.body).ok().and_then(|b| LinkState::parse(&b.status))
}

/// A request for a `next_uri` (`/path?a=1&b=2`, possibly absolute): the path and its decoded query.
fn request_from_uri(method: Method, uri: &str) -> Request {
    let without_origin = match uri.find("://") {
        Some(i) => uri[i + 3..].find('/').map(|j| &uri[i + 3 + j..]).unwrap_or("/"),
        None => uri,
    };
    let (path, query) = without_origin.split_once('?').unwrap_or((without_origin, ""));
    let mut r = Request::new(method, path);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        r = r.query_param(&k, v.into_owned());
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: i64) -> Instant {
        Instant(1_767_225_600_000 + s * 1000)
    }
    fn settings() -> RecoverySettings {
        RecoverySettings {
            auth: ApiAuth { client_id: "c".into(), client_secret: "s".into(), version: "2025-01-15".into() },
            revoke_after: Duration::from_hours(1),
            archive_after: Duration::from_days(30),
            page_size: 1,
        }
    }
    fn ok(body: serde_json::Value) -> CallResult {
        CallResult::Answered(Response::json(200, &body))
    }
    fn resource(id: &str, status: &str, at: i64) -> serde_json::Value {
        json!({"id": id, "status": status, "status_reason": null, "payment_link_id": "L1",
               "created_at": t(at).to_rfc3339(), "updated_at": t(at).to_rfc3339()})
    }

    #[test]
    fn a_run_follows_next_uri_records_acsc_refreshes_then_revokes_in_spec_order() {
        let mut l = Ledger::new();
        let a = l.issue_invoice("A".into(), 100, t(0));
        l.link_created(a, "L1".into(), t(0), t(86_400));
        let b = l.issue_invoice("B".into(), 100, t(0));
        l.link_created(b, "L2".into(), t(0), t(86_400));
        let now = t(7200);
        let mut run = RecoveryRun::start(now, &l, settings());

        let r = run.poll_transmit(now, &mut l).unwrap();
        assert_eq!((r.method, r.path.as_str()), (Method::Get, "/v3/payment/payment-requests"));
        assert_eq!(r.query_value("payment_link_id"), Some("L1"));
        assert_eq!(r.query_value("limit"), Some("1"));
        assert_eq!(r.header_value("bridge-version"), Some("2025-01-15"));
        let next = "/v3/payment/payment-requests?payment_link_id=L1&limit=1&after=R1";
        run.handle_result(now, &mut l, ok(json!({"resources": [resource("R1", "RJCT", 10)], "pagination": {"next_uri": next}})));
        // The second page of L1 comes before L2's first.
        let r = run.poll_transmit(now, &mut l).unwrap();
        assert_eq!(r.query_value("after"), Some("R1"));
        assert_eq!(run.duty(), Duty::PaymentSync);
        run.handle_result(now, &mut l, ok(json!({"resources": [resource("R2", "ACSC", 20)], "pagination": {"next_uri": null}})));
        assert_eq!(l.records().len(), 1);
        assert_eq!(l.records()[0].path, Path::Job);
        let r = run.poll_transmit(now, &mut l).unwrap();
        assert_eq!(r.query_value("payment_link_id"), Some("L2"));
        run.handle_result(now, &mut l, ok(json!({"resources": [], "pagination": {"next_uri": null}})));
        // L1 is paid: only L2 is refreshed, then revoked (unpaid 2 h > 1 h).
        let r = run.poll_transmit(now, &mut l).unwrap();
        assert_eq!((r.path.as_str(), run.duty()), ("/v3/payment/payment-links/L2", Duty::StatusRefresh));
        run.handle_result(now, &mut l, ok(json!({"id": "L2", "status": "valid"})));
        let r = run.poll_transmit(now, &mut l).unwrap();
        assert_eq!((r.method, r.path.as_str(), run.duty()), (Method::Post, "/v3/payment/payment-links/L2/revoke", Duty::Revocation));
        run.handle_result(now, &mut l, ok(json!({"id": "L2", "status": "revoked"})));
        assert_eq!(run.poll_transmit(now, &mut l), None);
        assert!(run.succeeded());
        assert_eq!(
            run.stats,
            RunStats {
                calls: 5,
                failed_calls: 0,
                pages: 3,
                recorded: 1,
                refreshed: 1,
                revoked: 1,
                rejected_after_completion: 0,
                archived: 0
            }
        );
        assert_eq!(l.link("L2").unwrap().status, LinkState::Revoked);
    }

    #[test]
    fn a_link_completed_since_the_last_run_is_refreshed_and_not_revoked() {
        let mut l = Ledger::new();
        let a = l.issue_invoice("A".into(), 100, t(0));
        l.link_created(a, "L1".into(), t(0), t(86_400));
        let now = t(7200);
        let mut run = RecoveryRun::start(now, &l, settings());
        run.poll_transmit(now, &mut l).unwrap();
        run.handle_result(now, &mut l, ok(json!({"resources": [], "pagination": {"next_uri": null}})));
        run.poll_transmit(now, &mut l).unwrap();
        run.handle_result(now, &mut l, ok(json!({"id": "L1", "status": "completed"})));
        assert_eq!(run.poll_transmit(now, &mut l), None, "no revoke of a completed link");
    }

    #[test]
    fn a_failed_call_is_skipped_the_run_ends_in_error_and_the_next_run_resumes() {
        let mut l = Ledger::new();
        for (inv, link) in [("A", "L1"), ("B", "L2")] {
            let i = l.issue_invoice(inv.into(), 100, t(0));
            l.link_created(i, link.into(), t(0), t(86_400));
        }
        let now = t(60);
        let mut run = RecoveryRun::start(now, &l, settings());
        run.poll_transmit(now, &mut l).unwrap();
        run.handle_result(now, &mut l, CallResult::Failed);
        let r = run.poll_transmit(now, &mut l).unwrap();
        assert_eq!(r.query_value("payment_link_id"), Some("L2"), "the run goes on with the next link");
        run.handle_result(now, &mut l, ok(json!({"resources": [{"id": "R9", "status": "ACSC", "payment_link_id": "L2", "updated_at": t(30).to_rfc3339()}], "pagination": {"next_uri": null}})));
        while let Some(_r) = run.poll_transmit(now, &mut l) {
            run.handle_result(now, &mut l, CallResult::Answered(Response::json(503, &json!({}))));
        }
        assert!(!run.succeeded());
        assert_eq!(l.records().len(), 1, "partial progress is kept");
        // The next run lists L1 again (still open) and not L2 (paid).
        let next = RecoveryRun::start(t(400), &l, settings());
        assert_eq!(next.todo, VecDeque::from([Work::List { link: "L1".into(), uri: None }]));
    }

    /// A run at 2 h over one unpaid link L1 (revoke after 1 h), up to its revoke call.
    fn run_up_to_the_revoke(l: &mut Ledger) -> (RecoveryRun, Instant) {
        let a = l.issue_invoice("A".into(), 100, t(0));
        l.link_created(a, "L1".into(), t(0), t(86_400));
        let now = t(7200);
        let mut run = RecoveryRun::start(now, l, settings());
        run.poll_transmit(now, l).unwrap();
        run.handle_result(now, l, ok(json!({"resources": [], "pagination": {"next_uri": null}})));
        run.poll_transmit(now, l).unwrap();
        run.handle_result(now, l, ok(json!({"id": "L1", "status": "valid"})));
        let r = run.poll_transmit(now, l).unwrap();
        assert_eq!((r.method, run.duty()), (Method::Post, Duty::Revocation));
        (run, now)
    }

    #[test]
    fn a_revoke_answered_with_an_empty_body_is_confirmed_by_a_read_and_the_run_succeeds() {
        let mut l = Ledger::new();
        let (mut run, now) = run_up_to_the_revoke(&mut l);
        run.handle_result(now, &mut l, CallResult::Answered(Response { status: 200, headers: vec![], body: vec![] }));
        let r = run.poll_transmit(now, &mut l).unwrap();
        assert_eq!((r.method, r.path.as_str(), run.duty()), (Method::Get, "/v3/payment/payment-links/L1", Duty::Revocation));
        run.handle_result(now, &mut l, ok(json!({"id": "L1", "status": "revoked"})));
        assert_eq!(run.poll_transmit(now, &mut l), None);
        assert!(run.succeeded(), "an empty 200 is not a failed call");
        assert_eq!((run.stats.revoked, l.link("L1").unwrap().status), (1, LinkState::Revoked));
    }

    #[test]
    fn a_revoke_refused_with_a_4xx_is_read_and_the_link_takes_its_real_status() {
        let mut l = Ledger::new();
        let (mut run, now) = run_up_to_the_revoke(&mut l);
        run.handle_result(now, &mut l, CallResult::Answered(Response::json(400, &json!({"code": "payment_link.not_revocable"}))));
        run.poll_transmit(now, &mut l).unwrap();
        run.handle_result(now, &mut l, ok(json!({"id": "L1", "status": "completed"})));
        assert_eq!(run.poll_transmit(now, &mut l), None);
        assert!(run.succeeded());
        assert_eq!((run.stats.revoked, l.link("L1").unwrap().status), (0, LinkState::Completed));
    }

    #[test]
    fn a_revoke_whose_confirming_read_fails_ends_the_run_in_error_and_waits_for_a_refresh() {
        let mut l = Ledger::new();
        let (mut run, now) = run_up_to_the_revoke(&mut l);
        run.handle_result(now, &mut l, CallResult::Answered(Response { status: 204, headers: vec![], body: vec![] }));
        run.poll_transmit(now, &mut l).unwrap();
        run.handle_result(now, &mut l, CallResult::Failed);
        assert_eq!(run.poll_transmit(now, &mut l), None);
        assert!(!run.succeeded());
        assert!(l.link("L1").unwrap().revoke_unconfirmed, "not revoked again before a refresh says what it is");
    }

    #[test]
    fn next_uri_may_be_absolute() {
        let r = request_from_uri(Method::Get, "https://api.bridgeapi.io/v3/payment/payment-requests?limit=2&after=a%20b");
        assert_eq!(r.path, "/v3/payment/payment-requests");
        assert_eq!(r.query, vec![("limit".to_string(), "2".to_string()), ("after".to_string(), "a b".to_string())]);
    }
}

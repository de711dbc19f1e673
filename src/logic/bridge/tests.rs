//! The ERP's rules through its verbs: whoever calls — the receiver, the recovery job, the
//! harness — a payment is recorded once, and no bookkeeping verb can record, unrecord or reopen
//! one.

use serde_json::json;

use super::ledger::{Applied, LinkState, Path, PaymentStatus, PaymentUpdate};
use super::recovery::{ApiAuth, CallResult, RecoveryRun, RecoverySettings};
use super::{Erp, WebhookOutcome, signature};
use crate::net::{Method, Request, Response, Service};
use crate::time::{Duration, Instant};

const SECRET: &[u8] = b"whsec_test";

fn t(s: i64) -> Instant {
    Instant(1_767_225_600_000 + s * 1000)
}

fn erp_with_link() -> Erp {
    let mut erp = Erp::new(SECRET.to_vec());
    let invoice = erp.issue_invoice("INV-1".into(), 1250, t(0));
    erp.link_created(invoice, "L1".into(), t(1), t(86_400));
    erp
}

fn acsc_webhook(secret: &[u8], at: i64) -> Request {
    let body = serde_json::to_vec(&json!({
        "content": {"payment_link_id": "L1", "payment_request_id": "R1", "status": "ACSC", "status_reason": null},
        "timestamp": t(at).as_ms(),
        "type": "payment.transaction.updated",
    }))
    .unwrap();
    Request::new(Method::Post, super::receiver::PATH).header(signature::HEADER, signature::sign(secret, &body)).body(body)
}

fn settings() -> RecoverySettings {
    RecoverySettings {
        auth: ApiAuth { client_id: "c".into(), client_secret: "s".into(), version: "v".into() },
        revoke_after: Duration::from_hours(1),
        archive_after: Duration::from_days(30),
        page_size: 50,
    }
}

/// One recovery run at `now` whose every call gets `answer`.
fn recovery_run(erp: &mut Erp, now: Instant, answer: impl Fn(&Request) -> Response) {
    let mut run = RecoveryRun::start(now, erp.ledger(), settings());
    while let Some(request) = run.poll_transmit(now, erp.ledger_mut()) {
        run.handle_result(now, erp.ledger_mut(), CallResult::Answered(answer(&request)));
    }
}

#[test]
fn a_payment_is_recorded_once_whether_the_job_the_webhook_or_both_report_it_however_often() {
    let mut erp = erp_with_link();
    let page = |r: &Request| match r.path.as_str() {
        "/v3/payment/payment-requests" => Response::json(
            200,
            &json!({"resources": [{"id": "R1", "status": "ACSC", "status_reason": null, "payment_link_id": "L1",
                    "updated_at": t(9).to_rfc3339()}], "pagination": {"next_uri": null}}),
        ),
        _ => Response::json(200, &json!({"id": "L1", "status": "completed"})),
    };
    // The job finds the payment first; the webhook, delayed, comes twice after it.
    recovery_run(&mut erp, t(10), page);
    assert_eq!(erp.ledger().records().len(), 1);
    assert_eq!(erp.handle(t(11), &acsc_webhook(SECRET, 9)).status, 200, "acknowledged");
    assert_eq!(erp.handle(t(12), &acsc_webhook(SECRET, 9)).status, 200, "acknowledged again");
    // A second run, and the same update handed to the ledger directly.
    recovery_run(&mut erp, t(20), page);
    let update = PaymentUpdate {
        request_id: "R1",
        link_id: "L1",
        status: PaymentStatus::Acsc,
        status_reason: None,
        source_at: t(9),
        path: Path::Job,
    };
    assert_eq!(erp.ledger_mut().apply_payment(t(30), &update), Applied::Duplicate);
    let records = erp.ledger().records();
    assert_eq!(records.len(), 1, "recorded once");
    assert_eq!(records[0].path, Path::Job, "by the first path that told");
    assert!(erp.ledger().double_records().is_empty());
    assert_eq!(erp.outcome_count(WebhookOutcome::Applied(Applied::Duplicate)), 2);
    assert_eq!(erp.outcome_count(WebhookOutcome::Applied(Applied::Recorded)), 0);
}

#[test]
fn bookkeeping_verbs_never_record_unrecord_or_reopen_a_payment() {
    let mut erp = erp_with_link();
    erp.handle(t(10), &acsc_webhook(SECRET, 9));
    let ledger = erp.ledger_mut();
    ledger.mark_listed("L1", t(20));
    ledger.mark_revoke_unconfirmed("L1");
    assert_eq!(ledger.confirm_status(t(30), "L1", LinkState::Valid), Applied::Stale, "a link never goes back to valid");
    assert_eq!(ledger.confirm_status(t(31), "L1", LinkState::Revoked), Applied::FinalKept, "completed stays completed");
    ledger.mark_listed("unknown", t(40));
    ledger.mark_revoke_unconfirmed("unknown");
    let link = ledger.link("L1").unwrap();
    assert!(link.paid);
    assert_eq!(link.status, LinkState::Completed);
    assert!(!link.revoke_unconfirmed, "the refresh confirmed the status");
    assert_eq!(ledger.records().len(), 1);
    assert!(ledger.open_links().is_empty(), "a paid link is settled");
    assert!(ledger.revocation_candidates(t(10_000), Duration::from_hours(1)).is_empty(), "a paid link is never revoked");
}

#[test]
fn after_a_secret_is_installed_only_deliveries_signed_with_it_are_accepted() {
    let mut erp = erp_with_link();
    erp.install_secret(b"whsec_new".to_vec());
    assert_eq!(erp.handle(t(10), &acsc_webhook(SECRET, 9)).status, 401, "the old secret is gone");
    assert!(erp.ledger().records().is_empty());
    assert_eq!(erp.handle(t(11), &acsc_webhook(b"whsec_new", 9)).status, 200);
    assert_eq!(erp.ledger().records().len(), 1);
    assert_eq!(erp.outcome_count(WebhookOutcome::BadSignature), 1);
}

#[test]
fn the_erp_remembers_the_last_deliveries_one_by_one_and_counts_every_one() {
    let mut erp = erp_with_link();
    let n = super::RECEIVED_MEMORY as i64 + 10;
    for k in 0..n {
        erp.handle(t(10 + k), &acsc_webhook(b"wrong", 9));
    }
    assert_eq!(erp.received().len(), super::RECEIVED_MEMORY);
    assert_eq!(erp.received().front().map(|r| r.at), Some(t(20)), "the oldest ones are forgotten");
    assert_eq!(erp.last_received().map(|r| r.at), Some(t(9 + n)));
    assert_eq!(erp.outcome_count(WebhookOutcome::BadSignature), n as u64);
}

fn signed(body: serde_json::Value) -> Request {
    let body = serde_json::to_vec(&body).unwrap();
    Request::new(Method::Post, super::receiver::PATH).header(signature::HEADER, signature::sign(SECRET, &body)).body(body)
}

#[test]
fn a_created_transaction_without_status_is_accepted_as_crea_and_an_update_without_status_is_malformed() {
    // docs.bridgeapi.io "Payments webhooks": payment.transaction.created has no status, and null
    // fields are left out. Refusing it (400) would make Bridge redeliver it for days.
    let mut erp = erp_with_link();
    let created = json!({
        "content": {"client_reference": "INV-1", "end_to_end_id": "E1", "payment_link_id": "L1", "payment_request_id": "R1", "payment_transaction_id": "T1"},
        "timestamp": t(5).as_ms(), "type": "payment.transaction.created",
    });
    assert_eq!(erp.handle(t(6), &signed(created)).status, 200);
    assert_eq!(erp.ledger().payment("R1").map(|p| p.status), Some(PaymentStatus::Crea));
    let update = json!({
        "content": {"payment_link_id": "L1", "payment_request_id": "R1", "payment_transaction_id": "T1"},
        "timestamp": t(7).as_ms(), "type": "payment.transaction.updated",
    });
    assert_eq!(erp.handle(t(8), &signed(update)).status, 400);
    assert_eq!(erp.outcome_count(WebhookOutcome::Malformed), 1);
}

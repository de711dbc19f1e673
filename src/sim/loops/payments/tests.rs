//! Unit tests of the payments driver, read as the spec's Bridge rules (SPEC 4.1, 4.2): a forged
//! delivery is refused, a replay is answered idempotently, a rotation's overlap accepts both
//! secrets, and the recovery job records what no webhook told.
//!
//! The driver below stands in for the jobs loop with a perfect network: events in time order,
//! every call answered at the instant it leaves. It makes one attempt per call and does not
//! follow retries (no test here needs one).

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;

use super::*;
use crate::logic::bridge::WebhookOutcome;
use crate::logic::bridge::ledger::{Applied, Path};
use crate::logic::retry::{AttemptOutcome, Next};
use crate::net::{Response, Service};
use crate::sim::scenario::Scenario;
use crate::sim::scenario::load_str;

/// One day, `invoices` invoices, every payer pays 10 min after the link, banks settle in 1 min
/// and every delivery leaves 1 s after its event; `webhooks` adds to the webhooks section.
fn scenario(invoices: u32, webhooks: &str) -> Scenario {
    let text = format!(
        r#"{{"name": "pay-unit", "seed": 7, "start": "2026-03-02T00:00:00+01:00", "time_zone": "Europe/Paris", "duration": "1d",
        "cron": {{"tick": "1m", "jobs": [{{"id": 1, "label": "recovery", "priority": 55, "frequency": "1h", "duration": {{"fixed": "1s"}}}}]}},
        "payments": {{"recovery_job": 1, "invoices_per_day": {invoices},
            "payers": {{"pay_share": 1, "pay_delay": {{"fixed": "10m"}}, "settle_delay": {{"fixed": "1m"}}}},
            "webhooks": {{"delay": {{"fixed": "1s"}}{webhooks}}}}}}}"#
    );
    match load_str("pay-unit.json", &text) {
        Ok(s) => s,
        Err(problems) => panic!("test scenario: {problems:?}"),
    }
}

struct Driver {
    sim: PaySim,
    queue: BTreeMap<(Instant, u64), PayEv>,
    seq: u64,
    now: Instant,
    end: Instant,
    rng: ChaCha8Rng,
    /// Every webhook call made, with the status it got.
    webhook_answers: Vec<(PayCall, u16)>,
    finished: Vec<(u32, bool)>,
}

impl Driver {
    fn new(s: &Scenario) -> Self {
        let plan = JobsPlan::new(s, None, 7);
        let sim = PaySim::new(&plan).expect("a payments section");
        let mut d = Driver {
            sim,
            queue: BTreeMap::new(),
            seq: 0,
            now: s.start,
            end: s.end,
            rng: rng::stream(7, "test.retry"),
            webhook_answers: Vec::new(),
            finished: Vec::new(),
        };
        let initial = d.sim.initial();
        d.apply(initial);
        d
    }

    fn apply(&mut self, outs: Vec<Out>) {
        for out in outs {
            match out {
                Out::At(at, ev) => {
                    self.seq += 1;
                    self.queue.insert((at, self.seq), ev);
                }
                Out::Call { link, request, retry, purpose } => self.call(link, request, retry, purpose),
                Out::Finished { process, ok, .. } => self.finished.push((process, ok)),
            }
        }
    }

    /// One attempt, answered at once by the service behind `link`.
    fn call(&mut self, link: Link, request: Request, mut retry: RetryState, purpose: PayCall) {
        let now = self.now;
        let response: Response = match link {
            Link::Webhooks => lock(&self.sim.erp).handle(now, &request),
            _ => lock(&self.sim.bridge).handle(now, &request),
        };
        if link == Link::Webhooks {
            self.webhook_answers.push((purpose.clone(), response.status));
        }
        let outs = self.sim.on_arrival(now, &purpose, true, &mut Trace::off());
        self.apply(outs);
        let outcome = AttemptOutcome::Status { code: response.status, retry_after_s: None };
        let next = retry.handle_outcome(now, outcome, &mut self.rng);
        let outs = self.sim.on_back(now, &purpose, &request, retry.attempts(), outcome, Some(response), next, &mut Trace::off());
        self.apply(outs);
    }

    /// Handle every event up to `until`, in time order.
    fn run_until(&mut self, until: Instant) {
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > until {
                break;
            }
            let ((at, _), ev) = entry.remove_entry();
            self.now = at;
            let outs = self.sim.handle(at, ev, &mut Trace::off());
            self.apply(outs);
        }
        self.now = until;
    }

    fn records(&self) -> Vec<(String, Path)> {
        lock(&self.sim.erp).ledger().records().iter().map(|r| (r.request_id.clone(), r.path)).collect()
    }

    fn paid_at_bridge(&self) -> usize {
        lock(&self.sim.bridge).requests().iter().filter(|r| r.status == RequestStatus::Acsc).count()
    }

    fn outcome_count(&self, outcome: WebhookOutcome) -> u64 {
        lock(&self.sim.erp).outcome_count(outcome)
    }
}

#[test]
fn every_payment_is_recorded_once_by_its_webhook_when_the_network_is_perfect() {
    let mut d = Driver::new(&scenario(6, ""));
    let end = d.end;
    d.run_until(end);
    let records = d.records();
    assert_eq!(d.paid_at_bridge(), 6);
    assert_eq!(records.len(), 6);
    assert!(records.iter().all(|(_, path)| *path == Path::Webhook));
    assert_eq!(d.sim.log.webhook_calls.answers.get(&200).copied(), Some(d.sim.log.deliveries));
}

#[test]
fn a_forged_delivery_claiming_a_real_payment_is_refused_with_401_and_records_nothing() {
    let mut d = Driver::new(&scenario(6, ""));
    let end = d.end;
    d.run_until(end);
    let before = d.records();
    let outs = d.sim.forge(end, 3, &mut Trace::off());
    d.apply(outs);
    let forged: Vec<u16> = d.webhook_answers.iter().filter(|(p, _)| matches!(p, PayCall::Forged)).map(|(_, s)| *s).collect();
    assert_eq!(forged, [401, 401, 401]);
    assert_eq!(d.outcome_count(WebhookOutcome::BadSignature), 3);
    assert_eq!(d.records(), before, "nothing recorded");
    assert_eq!(d.sim.log.forged_sent, 3);
}

#[test]
fn a_replayed_delivery_is_answered_200_and_changes_nothing_in_the_ledger() {
    let mut d = Driver::new(&scenario(6, ""));
    let end = d.end;
    d.run_until(end);
    let before = d.records();
    let outs = d.sim.replay(end, 10, &mut Trace::off());
    assert_eq!(outs.len(), 10, "the last 10 accepted deliveries");
    d.apply(outs);
    let replayed: Vec<u16> = d.webhook_answers.iter().filter(|(p, _)| matches!(p, PayCall::Replay)).map(|(_, s)| *s).collect();
    assert_eq!(replayed, [200; 10]);
    assert_eq!(d.records(), before, "a replay records nothing again");
    let erp = lock(&d.sim.erp);
    let replays: Vec<_> = erp.received().iter().rev().take(10).collect();
    assert_eq!(erp.outcomes().values().sum::<u64>(), d.sim.log.deliveries + 10, "every delivery and the 10 replays");
    for r in replays {
        assert!(
            matches!(r.outcome, WebhookOutcome::Applied(Applied::Duplicate | Applied::FinalKept | Applied::Stale)),
            "a replay is idempotent, got {:?}",
            r.outcome
        );
    }
}

#[test]
fn during_a_rotation_overlap_the_erp_accepts_deliveries_whichever_secret_it_holds() {
    let s = scenario(24, "");
    let mut d = Driver::new(&s);
    // Bridge signs with both secrets all day; the ERP's operator switches to the new one at noon.
    let outs = d.sim.rotate(s.start, Duration::from_days(2), Duration::from_hours(12), &mut Trace::off());
    d.apply(outs);
    let end = d.end;
    d.run_until(end);
    let noon = s.start + Duration::from_hours(12);
    let erp = lock(&d.sim.erp);
    let accepted = |r: &&crate::logic::bridge::ReceivedWebhook| r.outcome != WebhookOutcome::BadSignature;
    assert!(erp.received().iter().filter(|r| r.at < noon).filter(accepted).count() > 0, "accepted with the old secret");
    assert!(erp.received().iter().filter(|r| r.at > noon).filter(accepted).count() > 0, "accepted with the new secret");
    assert_eq!(erp.outcome_count(WebhookOutcome::BadSignature), 0);
    assert_eq!(erp.ledger().records().len(), 24);
}

#[test]
fn after_the_overlap_the_erp_refuses_deliveries_signed_only_with_a_secret_it_does_not_hold_yet() {
    let s = scenario(6, "");
    let mut d = Driver::new(&s);
    // The overlap ends after a minute; the operator never gets to it within the day.
    let outs = d.sim.rotate(s.start, Duration::MINUTE, Duration::from_days(2), &mut Trace::off());
    d.apply(outs);
    let end = d.end;
    d.run_until(end);
    let deliveries = d.webhook_answers.len() as u64;
    assert!(deliveries > 0);
    assert_eq!(d.outcome_count(WebhookOutcome::BadSignature), deliveries, "every delivery refused");
    assert!(d.webhook_answers.iter().all(|(_, status)| *status == 401));
    assert!(d.records().is_empty());
}

#[test]
fn the_recovery_job_records_the_payments_no_webhook_told_of() {
    let mut d = Driver::new(&scenario(6, r#", "enabled": false"#));
    let end = d.end;
    d.run_until(end);
    assert!(d.webhook_answers.is_empty(), "no webhook configured");
    assert!(d.records().is_empty());
    let outs = d.sim.start_recovery(end, 0, Duration::SECOND, &mut Trace::off());
    d.apply(outs);
    assert_eq!(d.finished, [(0, true)], "the run ends once, in success");
    let records = d.records();
    assert_eq!(records.len(), d.paid_at_bridge());
    assert!(records.iter().all(|(_, path)| *path == Path::Job));
    assert_eq!(d.sim.log.runs.len(), 1);
    assert_eq!(d.sim.log.runs[0].recorded as usize, records.len());
}

#[test]
fn an_invoice_whose_link_creation_failed_gets_no_payer() {
    let s = scenario(1, "");
    let mut d = Driver::new(&s);
    let outs = d.sim.handle(s.start, PayEv::Invoice(0), &mut Trace::off());
    let [Out::Call { request, purpose, .. }] = outs.as_slice() else { panic!("one create call") };
    let (request, purpose) = (request.clone(), purpose.clone());
    let next = Next::GiveUp(crate::logic::retry::GiveUpReason::NotRetryable);
    let outcome = AttemptOutcome::Status { code: 500, retry_after_s: None };
    let outs = d.sim.on_back(s.start, &purpose, &request, 1, outcome, None, next, &mut Trace::off());
    assert!(outs.is_empty(), "no attempt scheduled");
    assert_eq!((d.sim.log.links_not_created, d.sim.log.api_calls.given_up), (1, 1));
}

/// `scenario` with `payers` added to the payers section and `payments` to the payments section.
fn scenario_with(invoices: u32, payers: &str, payments: &str) -> Scenario {
    let text = format!(
        r#"{{"name": "pay-unit", "seed": 7, "start": "2026-03-02T00:00:00+01:00", "time_zone": "Europe/Paris", "duration": "1d",
        "cron": {{"tick": "1m", "jobs": [{{"id": 1, "label": "recovery", "priority": 55, "frequency": "1h", "duration": {{"fixed": "1s"}}}}]}},
        "payments": {{"recovery_job": 1, "invoices_per_day": {invoices},
            "payers": {{"pay_share": 1, "pay_delay": {{"fixed": "10m"}}, "settle_delay": {{"fixed": "1m"}}{payers}}},
            "webhooks": {{"delay": {{"fixed": "1s"}}}}{payments}}}}}"#
    );
    match load_str("pay-unit.json", &text) {
        Ok(s) => s,
        Err(problems) => panic!("test scenario: {problems:?}"),
    }
}

#[test]
fn a_payment_rejected_after_confirmation_leaves_its_link_completed_and_the_erp_issues_a_new_link() {
    // docs.bridgeapi.io "Payment links statuses": "the payment link will keep the final status
    // completed. In that case, you have to create a new payment link to get paid."
    let s = scenario_with(4, r#", "reject_share": 1"#, "");
    let mut d = Driver::new(&s);
    let end = d.end;
    d.run_until(end - Duration::HOUR);
    {
        let b = lock(&d.sim.bridge);
        assert_eq!(b.links().len(), 4);
        assert!(b.links().iter().all(|l| l.status == crate::world::bridge::LinkStatus::Completed), "confirmed, then rejected");
        assert!(b.requests().iter().all(|r| r.status == RequestStatus::Rjct && r.confirmed_at.is_some()));
    }
    let outs = d.sim.start_recovery(end - Duration::HOUR, 0, Duration::SECOND, &mut Trace::off());
    d.apply(outs);
    assert_eq!(d.finished, [(0, true)]);
    assert_eq!((d.sim.log.rejected_after_completion, d.sim.log.replacement_links), (4, 4), "one new link per invoice");
    d.run_until(end);
    let b = lock(&d.sim.bridge);
    assert_eq!(b.links().len(), 8);
    for link in b.links() {
        let requests = b.requests_of(&link.id);
        assert_eq!(requests.len(), 1, "{}: no second request on a completed link", link.id);
    }
    let erp = lock(&d.sim.erp);
    assert!(erp.ledger().invoices().iter().all(|i| i.rejected_links == 1));
}

#[test]
fn with_the_report_policy_a_link_rejected_after_completion_is_counted_and_no_new_link_is_made() {
    let s = scenario_with(4, r#", "reject_share": 1"#, r#", "on_rejected_after_completion": "report""#);
    let mut d = Driver::new(&s);
    let end = d.end;
    d.run_until(end);
    let outs = d.sim.start_recovery(end, 0, Duration::SECOND, &mut Trace::off());
    d.apply(outs);
    assert_eq!((d.sim.log.rejected_after_completion, d.sim.log.replacement_links), (4, 0));
    assert_eq!(lock(&d.sim.bridge).links().len(), 4);
    // The next run finds nothing new: each link is decided once.
    let outs = d.sim.start_recovery(end, 1, Duration::SECOND, &mut Trace::off());
    d.apply(outs);
    assert_eq!(d.sim.log.rejected_after_completion, 4);
}

#[test]
fn a_link_whose_payer_abandoned_at_the_bank_stays_valid_and_the_job_revokes_it_after_the_delay() {
    let s = scenario_with(4, r#", "abandon_share": 1"#, r#", "revoke_after": "2h", "link_validity": "7d""#);
    let mut d = Driver::new(&s);
    let end = d.end;
    d.run_until(end);
    assert!(lock(&d.sim.bridge).links().iter().all(|l| l.status == crate::world::bridge::LinkStatus::Valid), "never confirmed");
    let outs = d.sim.start_recovery(end, 0, Duration::SECOND, &mut Trace::off());
    d.apply(outs);
    let b = lock(&d.sim.bridge);
    let revoked = b.links().iter().filter(|l| l.status == crate::world::bridge::LinkStatus::Revoked).count();
    let due = b.links().iter().filter(|l| l.created_at + Duration::from_hours(2) <= end).count();
    assert!(due > 0);
    assert_eq!(revoked, due, "every abandoned link past its delay is revoked");
}

#[test]
fn with_an_empty_or_400_revoke_answer_the_job_confirms_by_a_read_revokes_abandoned_links_and_succeeds() {
    let s = scenario_with(
        4,
        r#", "abandon_share": 1"#,
        r#", "revoke_after": "2h", "link_validity": "7d", "bridge_revoke_answer": "empty_or_400""#,
    );
    let mut d = Driver::new(&s);
    let end = d.end;
    d.run_until(end);
    let outs = d.sim.start_recovery(end, 0, Duration::SECOND, &mut Trace::off());
    d.apply(outs);
    assert_eq!(d.finished, [(0, true)], "an empty 200 is confirmed by a read, not a failed call");
    let revoked = lock(&d.sim.bridge).links().iter().filter(|l| l.status == crate::world::bridge::LinkStatus::Revoked).count();
    assert!(revoked > 0);
    assert_eq!(d.sim.log.runs[0].revoked as usize, revoked);
}

//! The recovery job's runs on the payments side: a run starts in a cron process, asks for one
//! API call at a time (`RecoveryRun::poll_transmit`), takes each final answer and tells the
//! trace what it did; its last call ends the job.

use super::lines::{RejectedLine, RevokeLine, RunLine};
use super::log::RecoveryRunLog;
use super::{Active, Out, PayCall, PaySim, invoice_reference, lock};
use crate::logic::bridge::recovery::{CallResult, Duty, RecoveryRun, RecoverySettings, RunNote};
use crate::logic::retry::RetryState;
use crate::net::Response;
use crate::sim::engine::trace::Trace;
use crate::sim::engine::transport::Link;
use crate::sim::scenario::payments::RejectedPolicy;
use crate::time::{Duration, Instant};

impl PaySim {
    /// The recovery job starts in process `process` at `now`; its own processing takes `after`.
    pub fn start_recovery(&mut self, now: Instant, process: u32, after: Duration, trace: &mut Trace<'_>) -> Vec<Out> {
        let settings = RecoverySettings {
            auth: self.auth.clone(),
            revoke_after: self.spec.revoke_after,
            archive_after: self.spec.archive_after,
            page_size: self.spec.page_size,
        };
        let run = RecoveryRun::start(now, lock(&self.erp).ledger(), settings);
        self.active.insert(process, Active { run, after, started: now });
        let mut out = Vec::new();
        self.next_recovery_call(now, process, &mut out, trace);
        out
    }

    /// The recovery run of `process` is dropped (its process died): its calls stop.
    pub fn abandon(&mut self, process: u32) {
        self.active.remove(&process);
    }

    /// The trace's name for the caller of a recovery call of `process`.
    pub(super) fn recovery_caller(&self, process: u32) -> &'static str {
        match self.active.get(&process).map(|a| a.run.duty()) {
            Some(Duty::PaymentSync) => "recovery.payment_sync",
            Some(Duty::StatusRefresh) => "recovery.status_refresh",
            Some(Duty::Revocation) => "recovery.revocation",
            _ => "recovery",
        }
    }

    /// A recovery call of `process` is over: `answered` is its final answer when it succeeded.
    pub(super) fn recovery_answer(
        &mut self,
        now: Instant,
        process: u32,
        answered: Option<Response>,
        out: &mut Vec<Out>,
        trace: &mut Trace<'_>,
    ) {
        let result = match answered {
            Some(r) => CallResult::Answered(r),
            None => CallResult::Failed,
        };
        if let Some(active) = self.active.get_mut(&process) {
            active.run.handle_result(now, lock(&self.erp).ledger_mut(), result);
            let notes: Vec<RunNote> = std::iter::from_fn(|| active.run.poll_event()).collect();
            // The job records when the answer is back, not when a later call arrives.
            self.trace_records(now, trace);
            self.handle_notes(now, notes, out, trace);
        }
        self.next_recovery_call(now, process, out, trace);
    }

    fn next_recovery_call(&mut self, now: Instant, process: u32, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        let Some(active) = self.active.get_mut(&process) else { return };
        let request = active.run.poll_transmit(now, lock(&self.erp).ledger_mut());
        let notes: Vec<RunNote> = std::iter::from_fn(|| active.run.poll_event()).collect();
        self.handle_notes(now, notes, out, trace);
        if let Some(request) = request {
            let retry = RetryState::new(&self.api_policy, now);
            out.push(Out::Call { link: Link::BridgeApi, request, retry, purpose: PayCall::Recovery { process } });
            return;
        }
        let Some(active) = self.active.remove(&process) else { return };
        let s = active.run.stats();
        let ok = active.run.succeeded();
        if trace.enabled() {
            let line = RunLine { ok, stats: s };
            trace.record(now, "recovery", "run", &line);
        }
        self.log.runs.push(RecoveryRunLog {
            start: active.started,
            end: now + active.after,
            ok,
            calls: s.calls,
            failed_calls: s.failed_calls,
            recorded: s.recorded,
            revoked: s.revoked,
        });
        out.push(Out::Finished { process, ok, after: active.after });
    }
}

impl PaySim {
    /// What a run did: traced, and a link rejected after completion gets the ERP's policy
    /// (`payments.on_rejected_after_completion`): a new link for its invoice, or the invoice
    /// reported as "rejected — a new link is needed" (counted, nothing sent).
    fn handle_notes(&mut self, now: Instant, notes: Vec<RunNote>, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        for n in notes {
            match n {
                RunNote::Recorded { .. } => {} // told by trace_records, for both paths
                RunNote::Revoked { link } if trace.enabled() => {
                    trace.record(now, "erp", "revoke", &RevokeLine { link: &link, outcome: "revoked" })
                }
                RunNote::RevokeRefused { link, .. } if trace.enabled() => {
                    trace.record(now, "erp", "revoke", &RevokeLine { link: &link, outcome: "kept_final_at_bridge" })
                }
                RunNote::Revoked { .. } | RunNote::RevokeRefused { .. } => {}
                RunNote::RejectedAfterCompletion { link, invoice } => {
                    self.log.rejected_after_completion += 1;
                    let policy = self.spec.on_rejected_after_completion;
                    if trace.enabled() {
                        let reference = invoice_reference(invoice);
                        trace.record(
                            now,
                            "erp",
                            "rejected_after_completion",
                            &RejectedLine { invoice: &reference, link: &link, policy: policy.name() },
                        );
                    }
                    if policy == RejectedPolicy::NewLink {
                        out.push(self.create_link_call(now, invoice, true));
                    }
                }
            }
        }
    }
}

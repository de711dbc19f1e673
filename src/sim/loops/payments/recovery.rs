//! The recovery job's runs on the payments side: a run starts in a cron process, asks for one
//! API call at a time (`RecoveryRun::poll_transmit`), takes each final answer and tells the
//! trace what it did; its last call ends the job.

use super::lines::{RevokeLine, RunLine};
use super::log::RecoveryRunLog;
use super::{Active, Out, PayCall, PaySim, lock};
use crate::logic::bridge::recovery::{CallResult, Duty, RecoveryRun, RecoverySettings, RunNote};
use crate::logic::retry::RetryState;
use crate::net::Response;
use crate::sim::engine::trace::Trace;
use crate::sim::engine::transport::Link;
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
            trace_notes(now, notes, trace);
        }
        self.next_recovery_call(now, process, out, trace);
    }

    fn next_recovery_call(&mut self, now: Instant, process: u32, out: &mut Vec<Out>, trace: &mut Trace<'_>) {
        let Some(active) = self.active.get_mut(&process) else { return };
        let request = active.run.poll_transmit(now, lock(&self.erp).ledger_mut());
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

fn trace_notes(now: Instant, notes: Vec<RunNote>, trace: &mut Trace<'_>) {
    if !trace.enabled() {
        return;
    }
    for n in notes {
        match n {
            RunNote::Recorded { .. } => {} // told by trace_records, for both paths
            RunNote::Revoked { link } => trace.record(now, "erp", "revoke", &RevokeLine { link: &link, outcome: "revoked" }),
            RunNote::RevokeRefused { link, .. } => {
                trace.record(now, "erp", "revoke", &RevokeLine { link: &link, outcome: "kept_final_at_bridge" })
            }
        }
    }
}

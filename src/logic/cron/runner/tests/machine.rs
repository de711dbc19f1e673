//! The runner's state machine: selection, the processing lock, write-back, stuck jobs,
//! clean-up and "run now".

use super::*;

#[test]
fn strict_due_test_datenextrun_equal_to_now_is_not_due() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    assert_eq!(r.begin_pass(t("2026-03-02T10:00:00Z")).due, Vec::<u32>::new());
    assert_eq!(r.begin_pass(t("2026-03-02T09:59:59.999Z")).due, Vec::<u32>::new());
    assert_eq!(r.begin_pass(t("2026-03-02T10:00:00.001Z")).due, vec![1]);
}

#[test]
fn disabled_job_is_never_selected() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    r.set_enabled(1, false).unwrap();
    assert!(r.begin_pass(t("2026-03-02T12:00:00Z")).due.is_empty());
    r.set_enabled(1, true).unwrap();
    assert_eq!(r.begin_pass(t("2026-03-02T12:00:00Z")).due, vec![1]);
}

#[test]
fn selection_is_ordered_by_priority_then_id() {
    let f = every(5, FrequencyUnit::Minute);
    let first = t("2026-03-02T10:00:00Z");
    let mut r = runner(vec![job(3, 10, f, first), job(1, 20, f, first), job(2, 10, f, first), job(4, -5, f, first)]);
    let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
    assert_eq!(pass.due, vec![4, 2, 3, 1]);
    // Out of order is refused: the process walks its list.
    assert_eq!(r.start_job(pass.id, 2, pass.now), Err(RunnerError::NotNext { pass: pass.id, expected: Some(4), found: 2 }));
}

#[test]
fn start_sets_processing_datelastrun_nbrun_and_clears_the_last_result() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    run_pass(&mut r, t("2026-03-02T10:01:00Z"), Duration::from_secs(30));
    let pass = r.begin_pass(t("2026-03-02T10:06:00Z"));
    r.start_job(pass.id, 1, t("2026-03-02T10:06:02Z")).unwrap();
    let v = r.view(1).unwrap();
    assert!(v.processing);
    assert_eq!(v.nbrun, 2);
    assert_eq!(v.datelastrun, Some(t("2026-03-02T10:06:02Z"))); // the run's own now
    assert_eq!(v.datelastresult, None);
    assert_eq!(v.lastresult, None);
    assert_eq!(v.last_known_result, Some(RunOutcome::Success));
}

#[test]
fn a_long_job_delays_the_next_one_in_the_same_pass() {
    let f = every(5, FrequencyUnit::Minute);
    let first = t("2026-03-02T10:00:00Z");
    let mut r = runner(vec![job(1, 1, f, first), job(2, 2, f, first)]);
    let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
    assert_eq!(pass.due, vec![1, 2]);
    let run1 = r.start_job(pass.id, 1, t("2026-03-02T10:01:00Z")).unwrap();
    assert_eq!(r.start_job(pass.id, 2, t("2026-03-02T10:02:00Z")), Err(RunnerError::PassBusy { pass: pass.id, job: 1 }));
    r.finish_job(run1, t("2026-03-02T10:08:00Z"), RunResult::Success).unwrap();
    assert!(matches!(r.start_job(pass.id, 2, t("2026-03-02T10:07:00Z")), Err(RunnerError::TimeBackwards { .. })));
    let run2 = r.start_job(pass.id, 2, t("2026-03-02T10:08:00Z")).unwrap();
    r.finish_job(run2, t("2026-03-02T10:08:30Z"), RunResult::Success).unwrap();
    let v2 = r.view(2).unwrap();
    assert_eq!(v2.datelastrun, Some(t("2026-03-02T10:08:00Z")));
    assert_eq!(v2.datelastresult, Some(t("2026-03-02T10:08:30Z")));
    // Reprogrammed with the pass's now (10:01), not the end (10:08:30 would give 10:10).
    assert_eq!(v2.datenextrun, t("2026-03-02T10:05:00Z"));
    assert_eq!(next(&r, 1), t("2026-03-02T10:05:00Z"));
    // The pass is over.
    assert_eq!(r.start_job(pass.id, 2, t("2026-03-02T10:09:00Z")), Err(RunnerError::UnknownPass(pass.id)));
}

#[test]
fn processing_lock_skips_a_running_job() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    let a = r.begin_pass(t("2026-03-02T10:01:00Z"));
    let run = r.start_job(a.id, 1, a.now).unwrap();
    assert!(r.begin_pass(t("2026-03-02T10:06:00Z")).due.is_empty());
    r.finish_job(run, t("2026-03-02T10:09:00Z"), RunResult::Success).unwrap();
    assert_eq!(next(&r, 1), t("2026-03-02T10:05:00Z")); // A's now was 10:01
    // Late, so the next pass runs it at once and puts it back on the grid.
    assert_eq!(run_pass(&mut r, t("2026-03-02T10:11:00Z"), Duration::from_secs(10)), vec![1]);
    assert_eq!(next(&r, 1), t("2026-03-02T10:15:00Z"));
}

#[test]
fn queued_job_is_not_locked_so_overlapping_passes_can_run_it_twice() {
    let f = every(5, FrequencyUnit::Minute);
    let first = t("2026-03-02T10:00:00Z");
    let mut r = runner(vec![job(1, 1, f, first), job(2, 2, f, first)]);
    let a = r.begin_pass(t("2026-03-02T10:01:00Z"));
    assert_eq!(a.due, vec![1, 2]);
    let a1 = r.start_job(a.id, 1, a.now).unwrap();
    // Pass B: job 1 is processing, job 2 is only queued in A, so B takes it.
    let b = r.begin_pass(t("2026-03-02T10:06:00Z"));
    assert_eq!(b.due, vec![2]);
    let b2 = r.start_job(b.id, 2, b.now).unwrap();
    r.finish_job(b2, t("2026-03-02T10:06:30Z"), RunResult::Success).unwrap();
    assert_eq!(next(&r, 2), t("2026-03-02T10:10:00Z"));
    // A goes on with its stale list: job 2 runs again; its datenextrun is already >= A's now.
    r.finish_job(a1, t("2026-03-02T10:08:00Z"), RunResult::Success).unwrap();
    let a2 = r.start_job(a.id, 2, t("2026-03-02T10:08:00Z")).unwrap();
    r.finish_job(a2, t("2026-03-02T10:08:30Z"), RunResult::Success).unwrap();
    assert_eq!(r.view(2).unwrap().nbrun, 2);
    assert_eq!(next(&r, 2), t("2026-03-02T10:10:00Z"));
}

#[test]
fn whole_row_write_back_loses_a_concurrent_run_now_update() {
    // update() writes the whole in-memory object: a "run now" that starts and ends during a
    // pass's run of the same job is overwritten when the pass's run ends.
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    let a = r.begin_pass(t("2026-03-02T10:01:00Z"));
    let run_a = r.start_job(a.id, 1, a.now).unwrap();
    let click = r.run_now(1, t("2026-03-02T10:02:00Z")).unwrap(); // no processing check
    r.finish_job(click, t("2026-03-02T10:03:00Z"), RunResult::Success).unwrap();
    let v = r.view(1).unwrap();
    assert_eq!((v.nbrun, v.processing, v.datenextrun), (2, false, t("2026-03-02T10:05:00Z")));
    // The row says "not processing" although A still runs: the next pass starts it again.
    let b = r.begin_pass(t("2026-03-02T10:06:00Z"));
    assert_eq!(b.due, vec![1]);
    r.finish_job(run_a, t("2026-03-02T10:20:00Z"), RunResult::Success).unwrap();
    let v = r.view(1).unwrap();
    assert_eq!(v.nbrun, 1); // A's object was read when nbrun became 1
    assert_eq!(v.datelastrun, Some(t("2026-03-02T10:01:00Z")));
    assert_eq!(v.datelastresult, Some(t("2026-03-02T10:20:00Z")));
    assert_eq!(v.datenextrun, t("2026-03-02T10:05:00Z"));
}

#[test]
fn a_failed_run_is_reprogrammed_like_a_success() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
    let run = r.start_job(pass.id, 1, pass.now).unwrap();
    r.finish_job(run, t("2026-03-02T10:02:00Z"), RunResult::Error { output: "Bridge 503".into() }).unwrap();
    let v = r.view(1).unwrap();
    assert_eq!(v.lastresult, Some(RunOutcome::Error));
    assert_eq!(v.lastoutput, "Bridge 503");
    assert!(!v.processing);
    assert_eq!(v.datenextrun, t("2026-03-02T10:05:00Z"));
    assert_eq!(v.datelastresult, Some(t("2026-03-02T10:02:00Z")));
}

#[test]
fn datestart_and_dateend_bound_the_due_test_inclusively() {
    let mut spec = job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"));
    spec.datestart = Some(t("2026-03-02T10:10:00Z"));
    spec.dateend = Some(t("2026-03-02T10:20:00Z"));
    let mut r = runner(vec![spec]);
    let s = Duration::SECOND;
    assert!(run_pass(&mut r, t("2026-03-02T10:05:00Z"), s).is_empty()); // before datestart
    assert_eq!(run_pass(&mut r, t("2026-03-02T10:10:00Z"), s), vec![1]); // datestart <= now
    assert_eq!(next(&r, 1), t("2026-03-02T10:10:00Z")); // 10:00 -> 10:05 -> 10:10 (>= now)
    assert_eq!(run_pass(&mut r, t("2026-03-02T10:20:00Z"), s), vec![1]); // dateend >= now
    assert!(run_pass(&mut r, t("2026-03-02T10:20:00.001Z"), s).is_empty());
    assert!(run_pass(&mut r, t("2026-03-09T10:00:00Z"), s).is_empty()); // never again
    assert_eq!(r.view(1).unwrap().nbrun, 2);

    let mut bad = job(2, 0, every(1, FrequencyUnit::Day), t("2026-03-02T10:00:00Z"));
    bad.datestart = Some(t("2026-03-03T00:00:00Z"));
    bad.dateend = Some(t("2026-03-02T00:00:00Z"));
    assert_eq!(Runner::new(vec![bad], paris()).err(), Some(RunnerError::EndBeforeStart(2)));
    let dup = job(3, 0, every(1, FrequencyUnit::Day), t("2026-03-02T10:00:00Z"));
    assert_eq!(Runner::new(vec![dup.clone(), dup], paris()).err(), Some(RunnerError::DuplicateJob(3)));
}

#[test]
fn a_stuck_job_never_runs_again_and_its_datenextrun_never_moves_until_cleanup() {
    let f = every(5, FrequencyUnit::Minute);
    let mut r = runner(vec![job(1, 1, f, t("2026-03-02T10:00:00Z")), job(2, 2, f, t("2026-03-02T10:00:00Z"))]);
    let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
    assert_eq!(pass.due, vec![1, 2]);
    let run = r.start_job(pass.id, 1, pass.now).unwrap();
    r.process_died(run).unwrap();
    // The process is gone: job 2 of that pass never starts.
    assert_eq!(r.start_job(pass.id, 2, t("2026-03-02T10:02:00Z")), Err(RunnerError::UnknownPass(pass.id)));
    assert_eq!(r.finish_job(run, t("2026-03-02T10:02:00Z"), RunResult::Success), Err(RunnerError::UnknownRun(run.run)));
    // Two days of passes every 5 minutes: job 1 is never selected, job 2 runs every time.
    let mut now = t("2026-03-02T10:06:00Z");
    let end = t("2026-03-04T10:00:00Z");
    while now < end {
        assert_eq!(run_pass(&mut r, now, Duration::SECOND), vec![2]);
        now += Duration::from_mins(5);
    }
    let v = r.view(1).unwrap();
    assert!(v.processing);
    assert_eq!(v.datenextrun, t("2026-03-02T10:00:00Z"));
    assert_eq!(v.nbrun, 1);
    assert_eq!((v.datelastrun, v.datelastresult, v.lastresult), (Some(t("2026-03-02T10:01:00Z")), None, None));
    // The clean-up resets it; the next pass runs it once and it is back on the grid.
    assert_eq!(r.cleanup_dead(), vec![1]);
    let v = r.view(1).unwrap();
    assert!(!v.processing);
    assert_eq!(v.lastresult, Some(RunOutcome::Error));
    assert_eq!(v.lastoutput, "Job killed by job cleanUnfinishedCronjob");
    assert_eq!(v.datenextrun, t("2026-03-02T10:00:00Z"));
    assert_eq!(v.datelastresult, None);
    assert_eq!(r.cleanup_dead(), Vec::<u32>::new());
    assert_eq!(run_pass(&mut r, t("2026-03-04T10:01:00Z"), Duration::SECOND), vec![1, 2]);
    assert_eq!(next(&r, 1), t("2026-03-04T10:05:00Z"));
    assert_eq!(r.view(1).unwrap().nbrun, 2);
}

#[test]
fn cleanup_leaves_a_job_whose_process_is_alive() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
    let run = r.start_job(pass.id, 1, pass.now).unwrap();
    assert!(r.cleanup_dead().is_empty());
    assert!(r.view(1).unwrap().processing);
    r.finish_job(run, t("2026-03-02T10:30:00Z"), RunResult::Success).unwrap();
    assert!(!r.view(1).unwrap().processing);
}

#[test]
fn run_now_runs_at_once_then_reprograms_with_the_click_time() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    let run = r.run_now(1, t("2026-03-02T10:02:00Z")).unwrap();
    let v = r.view(1).unwrap();
    assert!(v.processing);
    assert_eq!((v.nbrun, v.datelastrun), (1, Some(t("2026-03-02T10:02:00Z"))));
    r.finish_job(run, t("2026-03-02T10:06:00Z"), RunResult::Success).unwrap();
    // Reprogrammed with 10:02 (the click), not 10:06 (the end, which would give 10:10).
    assert_eq!(next(&r, 1), t("2026-03-02T10:05:00Z"));
    assert_eq!(r.run_now(9, t("2026-03-02T10:07:00Z")), Err(RunnerError::UnknownJob(9)));
}

#[test]
fn run_now_before_the_slot_leaves_datenextrun_so_the_slot_still_runs() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:05:00Z"))]);
    let run = r.run_now(1, t("2026-03-02T10:04:00Z")).unwrap();
    r.finish_job(run, t("2026-03-02T10:04:30Z"), RunResult::Success).unwrap();
    assert_eq!(next(&r, 1), t("2026-03-02T10:05:00Z"));
    assert_eq!(run_pass(&mut r, t("2026-03-02T10:06:00Z"), Duration::SECOND), vec![1]);
    assert_eq!(r.view(1).unwrap().nbrun, 2);
    assert_eq!(next(&r, 1), t("2026-03-02T10:10:00Z"));
}

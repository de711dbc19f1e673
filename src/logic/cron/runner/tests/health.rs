//! The health indicator of the monitoring view.

use super::*;

#[test]
fn health_goes_normal_attention_problem_and_back() {
    let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
    let tick = Duration::from_mins(5);
    let th = HealthThresholds::default();
    let health = |r: &Runner, at: &str| r.health(1, t(at), tick, &th).unwrap();
    let one = |r: &mut Runner, now: &str, secs: i64, result: RunResult| {
        let pass = r.begin_pass(t(now));
        assert_eq!(pass.due, vec![1]);
        let run = r.start_job(pass.id, 1, pass.now).unwrap();
        r.finish_job(run, pass.now + Duration::from_secs(secs), result).unwrap();
    };
    assert_eq!(health(&r, "2026-03-02T10:00:30Z"), Health::Normal); // never ran, not late yet
    for now in ["2026-03-02T10:01:00Z", "2026-03-02T10:06:00Z", "2026-03-02T10:11:00Z"] {
        one(&mut r, now, 60, RunResult::Success);
    }
    assert_eq!(health(&r, "2026-03-02T10:12:30Z"), Health::Normal);
    one(&mut r, "2026-03-02T10:16:00Z", 180, RunResult::Success); // 180 = 3 x median 60: not above
    assert_eq!(health(&r, "2026-03-02T10:19:30Z"), Health::Normal);
    one(&mut r, "2026-03-02T10:21:00Z", 190, RunResult::Success); // median of [60,60,60,180] = 60
    assert_eq!(health(&r, "2026-03-02T10:24:30Z"), Health::Attention);
    one(&mut r, "2026-03-02T10:26:00Z", 10, RunResult::Error { output: "boom".into() });
    assert_eq!(health(&r, "2026-03-02T10:26:30Z"), Health::Problem);
    one(&mut r, "2026-03-02T10:31:00Z", 10, RunResult::Success);
    assert_eq!(health(&r, "2026-03-02T10:31:30Z"), Health::Normal);
    assert_eq!(r.view(1).unwrap().average_duration_ms(), Some((60 * 3 + 180 + 190 + 10 + 10) * 1000 / 7));
    // No start for more than 2 periods + 1 tick after 10:31 (deadline 10:46).
    assert_eq!(health(&r, "2026-03-02T10:46:00Z"), Health::Normal);
    assert_eq!(health(&r, "2026-03-02T10:46:00.001Z"), Health::Problem);
    // A running job: Attention once it runs longer than 3 x median (60 s), Problem once stuck.
    let pass = r.begin_pass(t("2026-03-02T10:36:00Z"));
    let run = r.start_job(pass.id, 1, pass.now).unwrap();
    assert_eq!(health(&r, "2026-03-02T10:39:00Z"), Health::Normal);
    assert_eq!(health(&r, "2026-03-02T10:39:00.001Z"), Health::Attention);
    r.process_died(run).unwrap();
    assert_eq!(health(&r, "2026-03-02T10:51:00Z"), Health::Attention);
    assert_eq!(health(&r, "2026-03-02T10:51:00.001Z"), Health::Problem);
    assert_eq!(r.health(7, t("2026-03-02T10:51:00Z"), tick, &th), None);
}

#[test]
fn health_of_a_monthly_job_counts_calendar_months() {
    let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Month), t("2026-01-31T08:00:00Z"))]);
    run_pass(&mut r, t("2026-01-31T08:05:00Z"), Duration::SECOND);
    let th = HealthThresholds::default();
    // Last start Jan 31 08:05 -> +1 month Mar 3 08:05 -> +1 month Apr 3 08:05, + 1 h tick.
    assert_eq!(r.health(1, t("2026-04-03T09:05:00Z"), Duration::HOUR, &th), Some(Health::Normal));
    assert_eq!(r.health(1, t("2026-04-03T09:05:00.001Z"), Duration::HOUR, &th), Some(Health::Problem));
}

//! The runner's rules, one test each (SPEC 2.2, 2.3), and properties. Shared helpers here.

mod health;
mod machine;
mod properties;
mod schedule;

use super::*;
use crate::time::{Duration, Instant, Zone};

fn t(s: &str) -> Instant {
    Instant::parse_rfc3339(s).unwrap()
}
fn paris() -> Zone {
    Zone::parse("Europe/Paris").unwrap()
}
fn every(count: u32, unit: FrequencyUnit) -> Frequency {
    Frequency::new(count, unit)
}
fn job(id: u32, priority: i32, frequency: Frequency, first_run: Instant) -> JobSpec {
    JobSpec { id, label: format!("job {id}"), priority, enabled: true, frequency, datestart: None, dateend: None, first_run }
}
fn runner(jobs: Vec<JobSpec>) -> Runner {
    Runner::new(jobs, paris()).unwrap()
}
/// One whole pass at `now`: every due job in order, each lasting `each`, all successful.
fn run_pass(r: &mut Runner, now: Instant, each: Duration) -> Vec<u32> {
    let pass = r.begin_pass(now);
    let mut at = now;
    for &id in &pass.due {
        let run = r.start_job(pass.id, id, at).unwrap();
        at += each;
        r.finish_job(run, at, RunResult::Success).unwrap();
    }
    pass.due
}
fn next(r: &Runner, id: u32) -> Instant {
    r.view(id).unwrap().datenextrun
}

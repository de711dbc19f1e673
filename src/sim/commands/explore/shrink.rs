//! Shrinking the worst case to the faults that matter: delta debugging over the added faults
//! (Zeller and Hildebrandt's ddmin: drop halves, then quarters..., keeping any smaller set that
//! still gives the result), then each fault made as short as it can be while the result holds.
//! A batch of candidates runs in parallel and the first in order that holds wins, so the result
//! does not depend on the thread count.

use super::faults::Fault;
use super::goal::{Goal, Verdict};

/// What shrinking kept.
pub struct Shrunk {
    pub faults: Vec<Fault>,
    pub verdict: Verdict,
    /// Runs spent.
    pub runs: usize,
}

/// Reduce `faults` (which give `verdict`) while `goal.still` holds, spending at most `max_runs`.
pub fn shrink(
    goal: &Goal,
    faults: Vec<Fault>,
    verdict: Verdict,
    max_runs: usize,
    evaluate: &mut dyn FnMut(&[Vec<Fault>]) -> Vec<Verdict>,
) -> Shrunk {
    let target = verdict.clone();
    let mut s = Shrunk { faults, verdict, runs: 0 };
    // The first candidate of `sets` that still gives the result, if any.
    let mut first_holding = |s: &mut Shrunk, sets: Vec<Vec<Fault>>| -> Option<(Vec<Fault>, Verdict)> {
        let sets: Vec<Vec<Fault>> = sets.into_iter().take(max_runs.saturating_sub(s.runs)).collect();
        if sets.is_empty() {
            return None;
        }
        s.runs += sets.len();
        let verdicts = evaluate(&sets);
        sets.into_iter().zip(verdicts).find(|(_, v)| goal.still(v, &target))
    };

    // ddmin over the set.
    let mut n = 2usize;
    while !s.faults.is_empty() && s.runs < max_runs {
        let len = s.faults.len();
        let n_now = n.min(len);
        let chunk = len.div_ceil(n_now);
        let parts: Vec<Vec<Fault>> = s.faults.chunks(chunk).map(<[Fault]>::to_vec).collect();
        let complements: Vec<Vec<Fault>> = (0..parts.len())
            .map(|i| parts.iter().enumerate().filter(|&(j, _)| j != i).flat_map(|(_, p)| p.iter().cloned()).collect())
            .collect();
        // The empty set first when one fault is left: the scenario may fail without any.
        let mut candidates = if len == 1 { vec![Vec::new()] } else { parts.clone() };
        let subsets = candidates.len();
        if len > 1 {
            candidates.extend(complements);
        }
        match first_holding(&mut s, candidates.clone()) {
            Some((kept, v)) => {
                let was_subset = candidates.iter().position(|c| *c == kept).is_some_and(|i| i < subsets);
                s.faults = kept;
                s.verdict = v;
                n = if was_subset { 2 } else { n_now.saturating_sub(1).max(2) };
            }
            None if n_now >= len => break,
            None => n = (n_now * 2).min(len),
        }
    }

    // Each fault as short as it can be: halve while the result holds.
    for i in 0..s.faults.len() {
        let lo = s.faults[i].kind.duration_range_ms().map_or(0, |(lo, _)| lo);
        while s.faults[i].duration_ms > lo && s.runs < max_runs {
            let mut shorter = s.faults.clone();
            shorter[i].duration_ms = (shorter[i].duration_ms / 2 / 1_000 * 1_000).max(lo);
            match first_holding(&mut s, vec![shorter]) {
                Some((kept, v)) => {
                    s.faults = kept;
                    s.verdict = v;
                }
                None => break,
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::commands::explore::faults::FaultKind;

    fn fault(kind: FaultKind, at_ms: i64, duration_ms: i64) -> Fault {
        Fault { kind, at_ms, duration_ms, target: 0, failure: None }
    }

    /// A violation iff the set holds a cron stop of at least 20 minutes.
    fn judge(set: &[Fault]) -> Verdict {
        let violated = set.iter().any(|f| f.kind == FaultKind::CronStop && f.duration_ms >= 20 * 60_000);
        Verdict { score: if violated { 1.0 } else { -1.0 }, value: Some(set.len() as f64), violated }
    }

    #[test]
    fn the_one_fault_that_causes_the_violation_is_kept_alone_and_made_as_short_as_it_still_causes_it() {
        let mut set: Vec<Fault> = (0..23).map(|i| fault(FaultKind::JobError, i * 3_600_000, 0)).collect();
        set.insert(17, fault(FaultKind::CronStop, 5 * 3_600_000, 6 * 3_600_000));
        let goal = Goal::Assert(Vec::new());
        let mut evaluate = |sets: &[Vec<Fault>]| sets.iter().map(|s| judge(s)).collect();
        let verdict = judge(&set);
        let s = shrink(&goal, set, verdict, 400, &mut evaluate);
        // 6 h halved to 3 h, 1.5 h, 45 min, 22.5 min; 11.25 min would no longer violate.
        assert_eq!(s.faults, vec![fault(FaultKind::CronStop, 5 * 3_600_000, 1_350_000)]);
        assert!(s.verdict.violated);
        assert!(s.runs < 60, "ddmin on 24 faults needs a few dozen runs, not {}", s.runs);
    }

    #[test]
    fn shrinking_stops_at_its_run_budget_with_a_set_that_still_gives_the_result() {
        let set: Vec<Fault> = (0..40).map(|i| fault(FaultKind::CronStop, i * 3_600_000, 30 * 60_000)).collect();
        let goal = Goal::Assert(Vec::new());
        let mut evaluate = |sets: &[Vec<Fault>]| sets.iter().map(|s| judge(s)).collect();
        let verdict = judge(&set);
        let s = shrink(&goal, set, verdict, 3, &mut evaluate);
        assert_eq!(s.runs, 3);
        assert!(judge(&s.faults).violated);
    }
}

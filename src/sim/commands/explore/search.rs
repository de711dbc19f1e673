//! The search: batches of fault sets, each run as a whole scenario, in parallel. A batch's
//! candidates depend only on the seed, their index and the results of earlier batches, so any
//! thread count gives the same runs in the same order.
//!
//! `evolve` (the default): a quarter of the budget (at least one batch) on random sets, then each
//! candidate is one of the best eight so far, changed one to three times (faults added anywhere
//! or next to one it holds, one removed, moved, made longer or shorter, aimed elsewhere, or
//! another good run's faults merged in) — mutate and keep the worse — with one random set in
//! eight and a whole random batch after four batches without progress (restarts).
//! `random`: every set drawn afresh, the baseline `benches/README.md` compares it with.

use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::faults::{Budget, Fault};
use super::goal::Verdict;
use crate::logic::uniform;
use crate::rng;

/// Candidates run together; fixed, so that results do not depend on the number of threads.
pub const BATCH: usize = 16;
/// Parents are drawn among this many best runs.
const ELITE: usize = 8;
/// Batches without a better score before a whole random batch.
const PATIENCE: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Evolve,
    Random,
}

/// One run of the search.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub index: usize,
    pub faults: Vec<Fault>,
    pub verdict: Verdict,
}

/// What the search did: every run in order, and when it stopped early (a counterexample).
pub struct Searched {
    pub runs: Vec<Run>,
    pub stopped_early: bool,
}

/// Run up to `runs` candidates; `evaluate` runs a batch (in parallel, results in order);
/// `stop_on_violation` ends the search after the first batch holding a counterexample.
pub fn search(
    budget: &Budget,
    strategy: Strategy,
    runs: usize,
    seed: u64,
    stop_on_violation: bool,
    evaluate: &mut dyn FnMut(&[Vec<Fault>]) -> Vec<Verdict>,
) -> Searched {
    let random_phase = (runs / 4).max(BATCH);
    let mut done: Vec<Run> = Vec::new();
    let mut best = f64::NEG_INFINITY;
    let mut stale_batches = 0;
    while done.len() < runs {
        let n = BATCH.min(runs - done.len());
        let restart = stale_batches >= PATIENCE;
        if restart {
            stale_batches = 0;
        }
        let elite = elite(&done);
        let candidates: Vec<Vec<Fault>> = (0..n)
            .map(|i| {
                let index = done.len() + i;
                let mut rng = rng::stream(seed, &format!("explore.{index}"));
                // Half of each later batch stays random: a worst case is often a meeting of
                // faults no small change reaches.
                let fresh = strategy == Strategy::Random || index < random_phase || restart || elite.is_empty() || i % 2 == 1;
                if fresh {
                    random_set(budget, &mut rng)
                } else {
                    let parent = &done[elite[uniform::below(&mut rng, elite.len() as u64) as usize]].faults;
                    let other = &done[elite[uniform::below(&mut rng, elite.len() as u64) as usize]].faults;
                    mutate(budget, parent, other, &mut rng)
                }
            })
            .collect();
        let verdicts = evaluate(&candidates);
        let before = best;
        for (faults, verdict) in candidates.into_iter().zip(verdicts) {
            best = best.max(verdict.score);
            done.push(Run { index: done.len(), faults, verdict });
        }
        stale_batches = if best > before { 0 } else { stale_batches + 1 };
        if stop_on_violation && done.iter().any(|r| r.verdict.violated) {
            return Searched { runs: done, stopped_early: true };
        }
    }
    Searched { runs: done, stopped_early: false }
}

/// The index of the best run (highest score, earliest on ties): the first counterexample when
/// there is one.
pub fn best(runs: &[Run]) -> Option<usize> {
    if let Some(r) = runs.iter().find(|r| r.verdict.violated) {
        return Some(r.index);
    }
    runs.iter().max_by(|a, b| a.verdict.score.total_cmp(&b.verdict.score).then(b.index.cmp(&a.index))).map(|r| r.index)
}

fn elite(done: &[Run]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..done.len()).filter(|&i| done[i].verdict.score > f64::NEG_INFINITY).collect();
    order.sort_by(|&a, &b| done[b].verdict.score.total_cmp(&done[a].verdict.score).then(a.cmp(&b)));
    // One run per score: eight copies of one plateau would make eight parents of one idea.
    order.dedup_by(|a, b| done[*a].verdict.score == done[*b].verdict.score);
    order.truncate(ELITE);
    order
}

/// A random set: for each kind, a count uniform between none and the whole budget, each fault
/// drawn uniformly; a fault that would exceed its day's rate is drawn again (three tries).
pub fn random_set(budget: &Budget, rng: &mut ChaCha8Rng) -> Vec<Fault> {
    let mut set: Vec<Fault> = Vec::new();
    for &kind in budget.per_day.keys() {
        let count = uniform::below(rng, budget.total(kind) as u64 + 1);
        for _ in 0..count {
            for _ in 0..3 {
                let Some(f) = budget.draw(kind, rng) else { break };
                set.push(f);
                if budget.allows(&set) {
                    break;
                }
                set.pop();
            }
        }
    }
    set.sort_by_key(|f| (f.at_ms, f.kind));
    set
}

/// `parent` changed one to three times — faults added (anywhere, or within an hour of one it
/// holds: faults that meet are what makes a worst case), one removed, one moved or resized, or
/// another good run's faults merged in as far as the budget allows. A change that would leave
/// the budget is skipped.
pub fn mutate(budget: &Budget, parent: &[Fault], other: &[Fault], rng: &mut ChaCha8Rng) -> Vec<Fault> {
    let mut set = parent.to_vec();
    let kinds: Vec<_> = budget.per_day.keys().copied().collect();
    for _ in 0..1 + uniform::below(rng, 3) {
        let before = set.clone();
        match uniform::below(rng, 6) {
            0 | 5 => {
                // Up to half of what the budget has left: more chances for faults to meet,
                // around the ones that already do harm.
                let room: usize = kinds.iter().map(|&k| budget.total(k)).sum::<usize>().saturating_sub(set.len());
                for _ in 0..1 + uniform::below(rng, (room as u64 / 2).max(1)) {
                    let kind = kinds[uniform::below(rng, kinds.len() as u64) as usize];
                    if let Some(f) = budget.draw(kind, rng) {
                        set.push(f);
                        if !budget.allows(&set) {
                            set.pop();
                        }
                    }
                }
            }
            1 if !set.is_empty() => {
                let kind = kinds[uniform::below(rng, kinds.len() as u64) as usize];
                let near = set[uniform::below(rng, set.len() as u64) as usize].at_ms;
                if let Some(mut f) = budget.draw(kind, rng) {
                    f.at_ms = near;
                    set.push(budget.tweak_time(f, rng));
                }
            }
            2 if !set.is_empty() => {
                set.remove(uniform::below(rng, set.len() as u64) as usize);
            }
            3 if !set.is_empty() => {
                let i = uniform::below(rng, set.len() as u64) as usize;
                set[i] = budget.tweak(&set[i], rng);
            }
            _ => {
                for f in other {
                    if !set.contains(f) {
                        set.push(f.clone());
                        if !budget.allows(&set) {
                            set.pop();
                        }
                    }
                }
            }
        }
        if !budget.allows(&set) {
            set = before;
        }
    }
    set.sort_by_key(|f| (f.at_ms, f.kind));
    set
}

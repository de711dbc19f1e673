//! The event queue: a min-priority queue ordered by `(instant, class, sequence)`.
//!
//! `class` is the documented tie-break for simultaneous events (ARCHITECTURE.md, "Event order"),
//! `sequence` is insertion order, so two runs of the same scenario pop the same events in the same
//! order. The key is packed into one `u128` so comparisons are a single integer compare, and events
//! are plain `Copy` values stored inline: no allocation or boxing per event in steady state.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::Instant;

/// Tie-break for events at the same instant, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Class {
    /// What the scenario says happens (state changes, user actions, outages): the world changes
    /// first, so everything else at that instant sees the new world.
    Scenario = 0,
    /// Arrivals: responses, pushes, webhook deliveries.
    Arrival = 1,
    /// Timers: sync attempts, monitor checks, runner ticks.
    Timer = 2,
    /// Observers: metric samples, which see the state after everything else at that instant.
    Observer = 3,
}

#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// Maximum sequence number: 2^56 insertions per run, far beyond any accepted scenario.
const SEQ_BITS: u32 = 56;

pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0 }
    }
    pub fn with_capacity(n: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(n), next_seq: 0 }
    }

    fn key(at: Instant, class: Class, seq: u64) -> u128 {
        // Flip the sign bit so that negative instants (before 1970) still sort first.
        let t = (at.0 as u64) ^ (1 << 63);
        ((t as u128) << 64) | ((class as u128) << SEQ_BITS) | seq as u128
    }

    pub fn push(&mut self, at: Instant, class: Class, event: E) {
        debug_assert!(self.next_seq < (1 << SEQ_BITS), "sequence space exhausted");
        let key = Self::key(at, class, self.next_seq);
        self.next_seq += 1;
        self.heap.push(Reverse(Entry { key, event }));
    }

    /// The earliest event, with its instant and class.
    pub fn pop(&mut self) -> Option<(Instant, Class, E)> {
        self.heap.pop().map(|Reverse(e)| {
            let t = ((e.key >> 64) as u64 ^ (1 << 63)) as i64;
            let class = match (e.key >> SEQ_BITS) as u8 {
                0 => Class::Scenario,
                1 => Class::Arrival,
                2 => Class::Timer,
                _ => Class::Observer,
            };
            (Instant(t), class, e.event)
        })
    }

    pub fn peek_time(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| Instant(((e.key >> 64) as u64 ^ (1 << 63)) as i64))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_instants_pop_first_whatever_the_class() {
        let mut q = EventQueue::new();
        q.push(Instant(10), Class::Scenario, 'b');
        q.push(Instant(5), Class::Observer, 'a');
        q.push(Instant(-3), Class::Timer, 'z');
        assert_eq!(q.pop().map(|e| e.2), Some('z'));
        assert_eq!(q.pop().map(|e| e.2), Some('a'));
        assert_eq!(q.pop().map(|e| e.2), Some('b'));
    }

    #[test]
    fn simultaneous_events_pop_scenario_then_arrival_then_timer_then_observer() {
        let mut q = EventQueue::new();
        q.push(Instant(7), Class::Observer, "observer");
        q.push(Instant(7), Class::Timer, "timer");
        q.push(Instant(7), Class::Arrival, "arrival");
        q.push(Instant(7), Class::Scenario, "scenario");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|e| (e.1, e.2)).collect();
        assert_eq!(
            order,
            vec![(Class::Scenario, "scenario"), (Class::Arrival, "arrival"), (Class::Timer, "timer"), (Class::Observer, "observer")]
        );
    }

    #[test]
    fn same_instant_and_class_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..100 {
            q.push(Instant(1), Class::Timer, i);
        }
        let order: Vec<i32> = std::iter::from_fn(|| q.pop()).map(|e| e.2).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }
}

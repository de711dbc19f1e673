//! The banks' truth (SPEC 1.5): what a sync attempt on a connection answers at an instant.
//!
//! The scenario is the truth: a connection's credentials condition (`wrongpass` until the password
//! changes, a user-action state until the user acts), its unavailable windows and transient error
//! probability; a connector's outage windows and per-minute capacity.
//!
//! A million connections: each one's truth is one byte (its condition, and whether it has an
//! unavailable window); the windows themselves, which few connections have, are kept apart, and
//! the transient probabilities as runs of consecutive connections (a population shares one).
//!
//! Verbs as every sans-IO model here: `handle_*` for inputs (world events, and an attempt, which
//! the bank answers at once). The bank has no timers of its own: windows are compared with the
//! attempt's instant, so there is no `poll_timeout`.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;

use crate::logic::sync::ConnectionState;
use crate::logic::uniform::Probability;
use crate::time::Instant;

const NEVER: Instant = Instant(i64::MIN);

#[derive(Clone, Debug)]
struct ConnectorTruth {
    capacity_per_minute: Option<u32>,
    /// Fault plan: error probabilities and the state each answers, checked in order.
    errors: Vec<(Probability, ConnectionState)>,
    outage_until: Instant,
    minute: i64,
    load_this_minute: u32,
}

/// One connection's truth in a byte: its condition (`ConnectionState as u8`, below 16) and
/// `HAS_WINDOW`.
#[derive(Clone, Copy, Debug)]
struct ConnectionTruth(u8);

impl ConnectionTruth {
    const CONDITION: u8 = 0x0f;
    /// `unavailable_until` has an entry for this connection.
    const HAS_WINDOW: u8 = 0x10;

    fn condition(self) -> ConnectionState {
        ConnectionState::ALL[(self.0 & Self::CONDITION) as usize]
    }
    fn set_condition(&mut self, state: ConnectionState) {
        self.0 = (self.0 & !Self::CONDITION) | state as u8;
    }
}

const _: () = assert!(ConnectionState::ALL.len() <= ConnectionTruth::CONDITION as usize + 1);

/// Every bank of a scenario and every connection's truth, indexed by dense ids.
pub struct Bank {
    connectors: Vec<ConnectorTruth>,
    connections: Vec<ConnectionTruth>,
    /// Transient error probabilities: `(first connection, probability)` runs, by first connection.
    transient: Vec<(u32, Probability)>,
    /// The connections' unavailable windows (only those that have one).
    unavailable_until: BTreeMap<u32, Instant>,
    /// The state a transient error answers with *(model choice: `bug`)*.
    transient_state: ConnectionState,
    rng: ChaCha8Rng,
}

impl Bank {
    /// `capacities[c]` is connector `c`'s capacity per minute (None = unlimited); `transient[i]`
    /// is connection `i`'s probability of a transient error on any attempt.
    pub fn new(capacities: &[Option<u32>], transient: impl IntoIterator<Item = Probability>, rng: ChaCha8Rng) -> Self {
        let mut runs: Vec<(u32, Probability)> = Vec::new();
        let mut n = 0u32;
        for p in transient {
            if runs.last().is_none_or(|&(_, q)| q != p) {
                runs.push((n, p));
            }
            n += 1;
        }
        let ok = ConnectionTruth(ConnectionState::Ok as u8);
        Bank {
            connectors: capacities
                .iter()
                .map(|&capacity_per_minute| ConnectorTruth {
                    capacity_per_minute,
                    errors: Vec::new(),
                    outage_until: NEVER,
                    minute: i64::MIN,
                    load_this_minute: 0,
                })
                .collect(),
            connections: vec![ok; n as usize],
            transient: runs,
            unavailable_until: BTreeMap::new(),
            transient_state: ConnectionState::Bug,
            rng,
        }
    }

    /// Connection `connection`'s transient error probability.
    #[inline]
    fn transient(&self, connection: u32) -> Probability {
        match self.transient.as_slice() {
            [] => Probability::NEVER,
            [(_, p)] => *p,
            runs => runs[runs.partition_point(|&(first, _)| first <= connection).saturating_sub(1)].1,
        }
    }

    /// The fault plan's error probabilities for a connector, checked in order on every attempt.
    pub fn set_connector_errors(&mut self, connector: u32, errors: Vec<(Probability, ConnectionState)>) {
        self.connectors[connector as usize].errors = errors;
    }

    /// Answer one sync attempt on `connection` (of `connector`) at `now`.
    ///
    /// Checks in this order (documented in ARCHITECTURE.md): the attempt counts in the connector's
    /// load of the current minute; a connector outage answers `websiteUnavailable`; a load above
    /// the capacity answers `rateLimiting`; the connector's fault-plan errors (each drawn from
    /// the bank stream, in order); then the connection's credentials condition; its
    /// unavailable window (`websiteUnavailable`); a transient error draw (`bug`); else `ok`.
    /// Calls must come in non-decreasing `now` (the minute counter only moves forward).
    pub fn handle_attempt(&mut self, now: Instant, connection: u32, connector: u32) -> ConnectionState {
        let c = &mut self.connectors[connector as usize];
        let minute = now.as_ms().div_euclid(60_000);
        if minute != c.minute {
            c.minute = minute;
            c.load_this_minute = 0;
        }
        c.load_this_minute += 1;
        if now < c.outage_until {
            return ConnectionState::WebsiteUnavailable;
        }
        if c.capacity_per_minute.is_some_and(|cap| c.load_this_minute > cap) {
            return ConnectionState::RateLimiting;
        }
        for &(p, state) in &c.errors {
            if p.chance(&mut self.rng) {
                return state;
            }
        }
        let t = self.connections[connection as usize];
        if t.condition() != ConnectionState::Ok {
            return t.condition();
        }
        if t.0 & ConnectionTruth::HAS_WINDOW != 0 && self.unavailable_until.get(&connection).is_some_and(|&until| now < until) {
            return ConnectionState::WebsiteUnavailable;
        }
        if self.transient(connection).chance(&mut self.rng) {
            return self.transient_state;
        }
        ConnectionState::Ok
    }

    /// The connection's truth will be read soon (a hint: see [`crate::hint::prefetch`]).
    #[inline]
    pub fn prefetch(&self, connection: u32) {
        if let Some(t) = self.connections.get(connection as usize) {
            crate::hint::prefetch(t);
        }
    }

    /// From now on the connection's credentials answer `state` (until the user acts).
    pub fn handle_bank_state(&mut self, connection: u32, state: ConnectionState) {
        self.connections[connection as usize].set_condition(state);
    }

    pub fn condition(&self, connection: u32) -> ConnectionState {
        self.connections[connection as usize].condition()
    }

    /// The user changed the password, finished the SCA or gave the information: the
    /// credentials condition is cleared.
    pub fn handle_user_action(&mut self, connection: u32) {
        self.connections[connection as usize].set_condition(ConnectionState::Ok);
    }

    /// The connection's website is unavailable until `until` (windows extend, never shrink).
    pub fn handle_connection_unavailable(&mut self, connection: u32, until: Instant) {
        let window = self.unavailable_until.entry(connection).or_insert(NEVER);
        *window = (*window).max(until);
        self.connections[connection as usize].0 |= ConnectionTruth::HAS_WINDOW;
    }

    /// The whole bank is down until `until` (windows extend, never shrink).
    pub fn handle_connector_outage(&mut self, connector: u32, until: Instant) {
        let c = &mut self.connectors[connector as usize];
        c.outage_until = c.outage_until.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn bank(capacity: Option<u32>, transient: f64) -> Bank {
        Bank::new(&[capacity], [Probability::from_f64(transient); 3], ChaCha8Rng::from_seed([0; 32]))
    }

    #[test]
    fn capacity_is_per_minute_and_the_next_minute_starts_fresh() {
        let mut b = bank(Some(2), 0.0);
        let t = Instant(120_000);
        assert_eq!(b.handle_attempt(t, 0, 0), ConnectionState::Ok);
        assert_eq!(b.handle_attempt(t, 1, 0), ConnectionState::Ok);
        assert_eq!(b.handle_attempt(t + crate::time::Duration::from_secs(59), 2, 0), ConnectionState::RateLimiting);
        assert_eq!(b.handle_attempt(t + crate::time::Duration::MINUTE, 2, 0), ConnectionState::Ok);
    }

    #[test]
    fn outage_wins_over_credentials_and_ends_on_time() {
        let mut b = bank(None, 0.0);
        b.handle_bank_state(0, ConnectionState::Wrongpass);
        b.handle_connector_outage(0, Instant(1_000));
        assert_eq!(b.handle_attempt(Instant(999), 0, 0), ConnectionState::WebsiteUnavailable);
        assert_eq!(b.handle_attempt(Instant(1_000), 0, 0), ConnectionState::Wrongpass);
        b.handle_user_action(0);
        assert_eq!(b.handle_attempt(Instant(1_001), 0, 0), ConnectionState::Ok);
    }

    #[test]
    fn connector_fault_errors_answer_their_state_before_the_credentials() {
        let mut b = bank(None, 0.0);
        b.handle_bank_state(0, ConnectionState::Wrongpass);
        b.set_connector_errors(0, vec![(Probability::from_f64(1.0), ConnectionState::Validating)]);
        assert_eq!(b.handle_attempt(Instant(0), 0, 0), ConnectionState::Validating);
        b.set_connector_errors(0, Vec::new());
        assert_eq!(b.handle_attempt(Instant(1), 0, 0), ConnectionState::Wrongpass);
    }

    #[test]
    fn connection_windows_extend_and_end_on_time() {
        let mut b = bank(None, 0.0);
        b.handle_connection_unavailable(1, Instant(1_000));
        b.handle_connection_unavailable(1, Instant(500));
        assert_eq!(b.handle_attempt(Instant(999), 1, 0), ConnectionState::WebsiteUnavailable);
        assert_eq!(b.handle_attempt(Instant(999), 0, 0), ConnectionState::Ok, "only that connection");
        assert_eq!(b.handle_attempt(Instant(1_000), 1, 0), ConnectionState::Ok);
    }

    #[test]
    fn each_connection_keeps_its_own_transient_probability() {
        let p = |x| Probability::from_f64(x);
        let mut b = Bank::new(&[None], [p(0.0), p(1.0), p(0.0), p(1.0)], ChaCha8Rng::from_seed([0; 32]));
        let answers: Vec<_> = (0..4).map(|i| b.handle_attempt(Instant(0), i, 0)).collect();
        assert_eq!(answers, [ConnectionState::Ok, ConnectionState::Bug, ConnectionState::Ok, ConnectionState::Bug]);
        // Runs of equal probabilities, and one connection alone.
        let runs = [p(0.0), p(0.0), p(1.0), p(1.0), p(0.0), p(1.0)];
        let mut b = Bank::new(&[None], runs, ChaCha8Rng::from_seed([0; 32]));
        let answers: Vec<_> = (0..6).map(|i| b.handle_attempt(Instant(0), i, 0) == ConnectionState::Bug).collect();
        assert_eq!(answers, [false, false, true, true, false, true]);
    }

    #[test]
    fn certain_transient_errors_answer_bug() {
        let mut b = bank(None, 1.0);
        assert_eq!(b.handle_attempt(Instant(0), 0, 0), ConnectionState::Bug);
    }
}

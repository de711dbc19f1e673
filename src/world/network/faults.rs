//! Fault plans (SPEC 5): per link, outage windows (refused, no answer, or a status), a latency
//! distribution and error probabilities with a status (and `Retry-After`). Every draw comes from
//! the link's own stream (`faults.<link>`), in a fixed order (latency, then each error rule), so
//! the same plan and seed give the same decisions over HTTP and in-process.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::logic::uniform::Probability;
use crate::net::{Link, WireFault};
use crate::rng;
use crate::time::{At, Duration, Instant};
use crate::world::dist::DurationDist;

/// The scenario's `faults` section.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultsSpec {
    #[serde(default)]
    pub bridge_api: Option<LinkFaultsSpec>,
    #[serde(default)]
    pub kuma_push: Option<LinkFaultsSpec>,
    #[serde(default)]
    pub webhooks: Option<LinkFaultsSpec>,
    /// Per bank connector, by id: what the bank's side of a sync attempt suffers.
    #[serde(default)]
    pub banks: BTreeMap<String, BankFaultsSpec>,
}

/// Faults on a bank ("and the banks"): outage windows (every attempt answers
/// `websiteUnavailable`) and error probabilities answering a transient state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BankFaultsSpec {
    #[serde(default)]
    pub outages: Vec<BankOutageSpec>,
    #[serde(default)]
    pub errors: Vec<BankErrorSpec>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BankOutageSpec {
    pub at: At,
    pub duration: Duration,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BankErrorSpec {
    pub probability: f64,
    /// A transient state: `websiteUnavailable`, `rateLimiting`, `bug` or `validating`.
    pub state: crate::logic::sync::ConnectionState,
}

impl FaultsSpec {
    pub fn links(&self) -> Vec<(Link, &LinkFaultsSpec)> {
        [(Link::BridgeApi, &self.bridge_api), (Link::KumaPush, &self.kuma_push), (Link::Webhooks, &self.webhooks)]
            .into_iter()
            .filter_map(|(l, s)| s.as_ref().map(|s| (l, s)))
            .collect()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkFaultsSpec {
    #[serde(default)]
    pub outages: Vec<OutageSpec>,
    /// One-way-and-back latency of every exchange (default: none).
    #[serde(default)]
    pub latency: Option<DurationDist>,
    /// Checked in order on every exchange outside an outage; the first that fires answers.
    #[serde(default)]
    pub errors: Vec<ErrorSpec>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageSpec {
    pub at: At,
    pub duration: Duration,
    #[serde(default)]
    pub kind: OutageKind,
}

/// What a link does during an outage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutageKind {
    /// Connection refused (nothing listens).
    #[default]
    Refused,
    /// No answer: the client's per-attempt timeout fires.
    NoAnswer,
    /// An HTTP status, e.g. `{"status": 503}`.
    Status(u16),
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    pub probability: f64,
    /// 500, 502, 503, 429...
    pub status: u16,
    /// Sent as `Retry-After` (whole seconds).
    #[serde(default)]
    pub retry_after: Option<Duration>,
}

/// The plan's decision for one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultDecision {
    /// The request travels: it reaches the server after `latency / 2` and the answer is back
    /// after `latency` (unless the wire fault stops it first).
    Deliver { latency: Duration, fault: WireFault },
    /// Nothing comes back: the client's timeout decides.
    NoAnswer,
}

struct LinkFaults {
    outages: Vec<(Instant, Instant, OutageKind)>,
    latency: Option<DurationDist>,
    errors: Vec<(Probability, u16, Option<u64>)>,
    rng: ChaCha8Rng,
}

/// The fault plan of a run, one entry per link that has faults.
pub struct FaultPlan {
    links: BTreeMap<Link, LinkFaults>,
}

impl FaultPlan {
    pub fn new(spec: &FaultsSpec, start: Instant, seed: u64) -> Self {
        let links = spec
            .links()
            .into_iter()
            .map(|(link, s)| {
                let faults = LinkFaults {
                    outages: s.outages.iter().map(|o| (o.at.resolve(start), o.at.resolve(start) + o.duration, o.kind)).collect(),
                    latency: s.latency,
                    errors: s
                        .errors
                        .iter()
                        .map(|e| (Probability::from_f64(e.probability), e.status, e.retry_after.map(|d| (d.as_ms() / 1000) as u64)))
                        .collect(),
                    rng: rng::stream(seed, &format!("faults.{}", link.name())),
                };
                (link, faults)
            })
            .collect();
        FaultPlan { links }
    }

    /// No faults anywhere: every exchange is delivered at once.
    pub fn none() -> Self {
        FaultPlan { links: BTreeMap::new() }
    }

    /// Decide what happens to an exchange leaving the client at `now` on `link`.
    pub fn decide(&mut self, now: Instant, link: Link) -> FaultDecision {
        let Some(f) = self.links.get_mut(&link) else {
            return FaultDecision::Deliver { latency: Duration::ZERO, fault: WireFault::None };
        };
        let latency = f.latency.map_or(Duration::ZERO, |d| d.draw(&mut f.rng));
        if let Some(&(_, _, kind)) = f.outages.iter().find(|(from, to, _)| *from <= now && now < *to) {
            return match kind {
                OutageKind::Refused => FaultDecision::Deliver { latency, fault: WireFault::Refuse },
                OutageKind::NoAnswer => FaultDecision::NoAnswer,
                OutageKind::Status(code) => FaultDecision::Deliver { latency, fault: WireFault::Status { code, retry_after_s: None } },
            };
        }
        for &(p, code, retry_after_s) in &f.errors {
            if p.chance(&mut f.rng) {
                return FaultDecision::Deliver { latency, fault: WireFault::Status { code, retry_after_s } };
            }
        }
        FaultDecision::Deliver { latency, fault: WireFault::None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> FaultsSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn outage_windows_refuse_then_end_on_time() {
        let start = Instant(0);
        let mut plan = FaultPlan::new(&spec(r#"{"kuma_push": {"outages": [{"at": "+1h", "duration": "10m"}]}}"#), start, 1);
        let at = |m: i64| start + Duration::from_mins(m);
        assert_eq!(plan.decide(at(59), Link::KumaPush), FaultDecision::Deliver { latency: Duration::ZERO, fault: WireFault::None });
        assert_eq!(plan.decide(at(60), Link::KumaPush), FaultDecision::Deliver { latency: Duration::ZERO, fault: WireFault::Refuse });
        assert_eq!(plan.decide(at(70), Link::KumaPush), FaultDecision::Deliver { latency: Duration::ZERO, fault: WireFault::None });
        assert_eq!(plan.decide(at(60), Link::BridgeApi), FaultDecision::Deliver { latency: Duration::ZERO, fault: WireFault::None });
    }

    #[test]
    fn no_answer_and_status_outages() {
        let mut plan = FaultPlan::new(
            &spec(
                r#"{"bridge_api": {"outages": [{"at": "+0s", "duration": "1m", "kind": "no_answer"}, {"at": "+1m", "duration": "1m", "kind": {"status": 503}}]}}"#,
            ),
            Instant(0),
            1,
        );
        assert_eq!(plan.decide(Instant(0), Link::BridgeApi), FaultDecision::NoAnswer);
        assert_eq!(
            plan.decide(Instant(60_000), Link::BridgeApi),
            FaultDecision::Deliver { latency: Duration::ZERO, fault: WireFault::Status { code: 503, retry_after_s: None } }
        );
    }

    #[test]
    fn error_probabilities_fire_at_their_rate_with_retry_after_and_replay_by_seed() {
        let s = spec(
            r#"{"bridge_api": {"latency": {"uniform": ["10ms", "30ms"]}, "errors": [{"probability": 0.25, "status": 429, "retry_after": "30s"}]}}"#,
        );
        let run = |seed| {
            let mut plan = FaultPlan::new(&s, Instant(0), seed);
            (0..4000).map(|i| plan.decide(Instant(i), Link::BridgeApi)).collect::<Vec<_>>()
        };
        let a = run(5);
        assert_eq!(a, run(5), "same seed, same decisions");
        assert_ne!(a, run(6));
        let limited = a
            .iter()
            .filter(|d| matches!(d, FaultDecision::Deliver { fault: WireFault::Status { code: 429, retry_after_s: Some(30) }, .. }))
            .count();
        assert!((800..1200).contains(&limited), "{limited} of 4000 at p = 0.25");
        assert!(a.iter().all(|d| matches!(d, FaultDecision::Deliver { latency, .. } if (10..=30).contains(&latency.as_ms()))));
    }
}

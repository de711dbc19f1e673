//! The faults `explore` may add to a scenario, in the scenario's own vocabulary (timeline events
//! and fault-plan outages), and the budget that bounds them: what explore writes is an ordinary
//! scenario file that `syncsim run` replays.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::logic::uniform;
use crate::sim::scenario::model::{ScenarioFile, TimelineEvent};
use crate::time::{At, Duration};
use crate::world::network::faults::{LinkFaultsSpec, OutageKind, OutageSpec};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The most faults of one kind a day that `--fault KIND:N` takes.
pub const MAX_PER_DAY: u32 = 24;

/// A kind of fault explore may add.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The next run of a job ends in error (`job_error`).
    JobError,
    /// The next run of a job dies mid-run and stays `processing` (`job_crash`).
    JobCrash,
    /// The next run of a job waits on the network (`job_hang`).
    JobHang,
    /// The host's cron stops calling the runner, then starts again (`cron_stop` + `cron_start`).
    CronStop,
    /// Kuma stops, then starts again (`kuma_restart`).
    KumaRestart,
    /// A maintenance window on a monitor (`kuma_maintenance`).
    KumaMaintenance,
    /// The push link to Kuma fails (`faults.kuma_push.outages`).
    PushOutage,
    /// The Bridge API link fails (`faults.bridge_api.outages`).
    ApiOutage,
    /// Bridge's webhook deliveries fail (`faults.webhooks.outages`).
    WebhookOutage,
    /// A whole bank is down (`connector_outage`).
    ConnectorOutage,
}

impl FaultKind {
    pub const ALL: [FaultKind; 10] = [
        FaultKind::JobError,
        FaultKind::JobCrash,
        FaultKind::JobHang,
        FaultKind::CronStop,
        FaultKind::KumaRestart,
        FaultKind::KumaMaintenance,
        FaultKind::PushOutage,
        FaultKind::ApiOutage,
        FaultKind::WebhookOutage,
        FaultKind::ConnectorOutage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::JobError => "job_error",
            FaultKind::JobCrash => "job_crash",
            FaultKind::JobHang => "job_hang",
            FaultKind::CronStop => "cron_stop",
            FaultKind::KumaRestart => "kuma_restart",
            FaultKind::KumaMaintenance => "kuma_maintenance",
            FaultKind::PushOutage => "push_outage",
            FaultKind::ApiOutage => "api_outage",
            FaultKind::WebhookOutage => "webhook_outage",
            FaultKind::ConnectorOutage => "connector_outage",
        }
    }

    pub fn parse(name: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// How many a day when `--fault KIND` gives no number: a bad day, not a disaster.
    pub fn default_per_day(self) -> u32 {
        match self {
            FaultKind::JobError | FaultKind::PushOutage => 2,
            _ => 1,
        }
    }

    /// The shortest and longest fault of this kind, in ms; `None` for a fault with no length.
    pub fn duration_range_ms(self) -> Option<(i64, i64)> {
        match self {
            FaultKind::JobError | FaultKind::JobCrash => None,
            FaultKind::JobHang => Some((MINUTE_MS, 2 * HOUR_MS)),
            FaultKind::CronStop => Some((5 * MINUTE_MS, 12 * HOUR_MS)),
            FaultKind::KumaRestart => Some((10_000, HOUR_MS)),
            FaultKind::KumaMaintenance => Some((5 * MINUTE_MS, 4 * HOUR_MS)),
            FaultKind::PushOutage | FaultKind::ApiOutage | FaultKind::WebhookOutage => Some((MINUTE_MS, 6 * HOUR_MS)),
            FaultKind::ConnectorOutage => Some((10 * MINUTE_MS, 12 * HOUR_MS)),
        }
    }

    /// How many things of the scenario this kind can hit (jobs, monitors, connectors), or why it
    /// cannot apply to the scenario.
    pub fn targets(self, f: &ScenarioFile) -> Result<usize, &'static str> {
        let (n, why) = match self {
            FaultKind::JobError | FaultKind::JobCrash | FaultKind::JobHang | FaultKind::CronStop => (f.cron.jobs.len(), "needs cron jobs"),
            FaultKind::KumaRestart | FaultKind::KumaMaintenance | FaultKind::PushOutage => (f.kuma.monitors.len(), "needs Kuma monitors"),
            FaultKind::ApiOutage | FaultKind::WebhookOutage => (usize::from(f.payments.is_some()), "needs a payments section"),
            FaultKind::ConnectorOutage => (f.sync.connectors.len(), "needs sync connectors"),
        };
        match (n, self) {
            (0, _) => Err(why),
            // One process, one Kuma, one link: a single target.
            (_, FaultKind::CronStop | FaultKind::KumaRestart | FaultKind::PushOutage | FaultKind::ApiOutage | FaultKind::WebhookOutage) => {
                Ok(1)
            }
            (n, _) => Ok(n),
        }
    }

    fn is_link_outage(self) -> bool {
        matches!(self, FaultKind::PushOutage | FaultKind::ApiOutage | FaultKind::WebhookOutage)
    }
}

/// How a link fails during an outage (the fault plan's `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkFailure {
    Refused,
    NoAnswer,
    Status429,
    Status503,
}

impl LinkFailure {
    const ALL: [LinkFailure; 4] = [LinkFailure::Refused, LinkFailure::NoAnswer, LinkFailure::Status429, LinkFailure::Status503];

    fn outage_kind(self) -> OutageKind {
        match self {
            LinkFailure::Refused => OutageKind::Refused,
            LinkFailure::NoAnswer => OutageKind::NoAnswer,
            LinkFailure::Status429 => OutageKind::Status(429),
            LinkFailure::Status503 => OutageKind::Status(503),
        }
    }
}

/// One added fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub kind: FaultKind,
    /// From the scenario's start.
    pub at_ms: i64,
    /// 0 for a fault with no length.
    pub duration_ms: i64,
    /// Which job, monitor or connector (index in the scenario's order).
    pub target: usize,
    /// For a link outage: how the link fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<LinkFailure>,
}

/// Which faults may be added, and how many a day of each kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Per kind: at most this many starting in any one day of the run (day 0 = the start's 24 h).
    pub per_day: BTreeMap<FaultKind, u32>,
    /// The run's length.
    pub span_ms: i64,
    /// Targets per kind in this scenario.
    targets: BTreeMap<FaultKind, usize>,
}

impl Budget {
    /// The budget for `file` (its run lasting `span_ms`), or the first kind that cannot apply.
    pub fn new(file: &ScenarioFile, span_ms: i64, per_day: BTreeMap<FaultKind, u32>) -> Result<Budget, String> {
        let mut targets = BTreeMap::new();
        for (&kind, &n) in &per_day {
            if n == 0 || n > MAX_PER_DAY {
                return Err(format!("--fault {}:{n}: expected between 1 and {MAX_PER_DAY} a day", kind.name()));
            }
            let count = kind.targets(file).map_err(|why| format!("--fault {}: the scenario has nothing to hit ({why})", kind.name()))?;
            targets.insert(kind, count);
        }
        if per_day.is_empty() {
            return Err("no fault kind applies to this scenario (it has no jobs, monitors, payments or connectors)".into());
        }
        Ok(Budget { per_day, span_ms, targets })
    }

    /// Every kind that applies to `file`, at its default rate (no `--fault` given).
    pub fn defaults(file: &ScenarioFile) -> BTreeMap<FaultKind, u32> {
        FaultKind::ALL.into_iter().filter(|k| k.targets(file).is_ok()).map(|k| (k, k.default_per_day())).collect()
    }

    fn days(&self) -> i64 {
        (self.span_ms + DAY_MS - 1) / DAY_MS
    }

    /// The most faults of `kind` the whole run may hold.
    pub fn total(&self, kind: FaultKind) -> usize {
        self.per_day.get(&kind).map_or(0, |&n| n as usize * self.days() as usize)
    }

    /// Whether `faults` stay within the budget: known kinds, targets and lengths in range, inside
    /// the run, at most the rate of each kind in any day.
    pub fn allows(&self, faults: &[Fault]) -> bool {
        let mut per_day: BTreeMap<(FaultKind, i64), u32> = BTreeMap::new();
        for f in faults {
            let Some(&max) = self.per_day.get(&f.kind) else { return false };
            let fits = f.at_ms >= 0
                && f.at_ms + f.duration_ms < self.span_ms
                && f.target < self.targets[&f.kind]
                && match f.kind.duration_range_ms() {
                    Some((lo, hi)) => (lo..=hi).contains(&f.duration_ms),
                    None => f.duration_ms == 0,
                };
            let count = per_day.entry((f.kind, f.at_ms / DAY_MS)).or_default();
            *count += 1;
            if !fits || *count > max {
                return false;
            }
        }
        true
    }

    /// A fault of `kind` drawn uniformly: instant, target, failure; its length log-uniform in
    /// the kind's range (a minute and six hours are equally likely orders of magnitude). `None`
    /// when the run is shorter than the kind's shortest fault.
    pub fn draw(&self, kind: FaultKind, rng: &mut ChaCha8Rng) -> Option<Fault> {
        let duration_ms = match kind.duration_range_ms() {
            Some((lo, hi)) => {
                let hi = hi.min(self.span_ms - 1);
                if hi < lo {
                    return None;
                }
                log_uniform(rng, lo, hi)
            }
            None => 0,
        };
        let at_ms = whole_seconds(uniform::between(rng, 0, self.span_ms - duration_ms - 1));
        let target = uniform::below(rng, self.targets[&kind] as u64) as usize;
        let failure = kind.is_link_outage().then(|| LinkFailure::ALL[uniform::below(rng, 4) as usize]);
        Some(Fault { kind, at_ms, duration_ms, target, failure })
    }

    /// A changed copy of `fault`: moved a little or anywhere, made longer or shorter, aimed at
    /// another target or failing another way. The caller checks the budget.
    pub fn tweak(&self, fault: &Fault, rng: &mut ChaCha8Rng) -> Fault {
        let mut f = fault.clone();
        match uniform::below(rng, 5) {
            0 => f.at_ms += uniform::between(rng, -HOUR_MS, HOUR_MS),
            4 => f.at_ms += uniform::between(rng, -10 * MINUTE_MS, 10 * MINUTE_MS),
            1 => f.at_ms = uniform::between(rng, 0, (self.span_ms - f.duration_ms - 1).max(0)),
            2 if f.duration_ms > 0 => {
                let (lo, hi) = f.kind.duration_range_ms().unwrap_or((0, 0));
                let scaled = if uniform::below(rng, 2) == 0 { f.duration_ms * 2 } else { f.duration_ms / 2 };
                f.duration_ms = scaled.clamp(lo, hi.min(self.span_ms - 1));
            }
            _ => {
                f.target = uniform::below(rng, self.targets[&f.kind] as u64) as usize;
                if f.failure.is_some() {
                    f.failure = Some(LinkFailure::ALL[uniform::below(rng, 4) as usize]);
                }
            }
        }
        f.at_ms = whole_seconds(f.at_ms).clamp(0, (self.span_ms - f.duration_ms - 1).max(0));
        f
    }

    /// `fault` moved by up to an hour either way, kept inside the run.
    pub fn tweak_time(&self, mut fault: Fault, rng: &mut ChaCha8Rng) -> Fault {
        fault.at_ms =
            whole_seconds(fault.at_ms + uniform::between(rng, -HOUR_MS, HOUR_MS)).clamp(0, (self.span_ms - fault.duration_ms - 1).max(0));
        fault
    }
}

/// Instants in whole seconds read better in a scenario file; the search loses nothing by it.
fn whole_seconds(ms: i64) -> i64 {
    ms.div_euclid(1_000) * 1_000
}

/// Log-uniform in integers only (no float functions whose last bit may differ between
/// machines): an octave `[lo·2^k, lo·2^(k+1)]` drawn uniformly, then a length uniform within it,
/// rounded to whole seconds (they read better in a scenario file).
fn log_uniform(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> i64 {
    let mut octaves = 0u64;
    while lo << (octaves + 1) <= hi {
        octaves += 1;
    }
    let from = lo << uniform::below(rng, octaves + 1);
    let ms = uniform::between(rng, from, (from * 2).min(hi));
    ((ms / 1_000) * 1_000).clamp(lo, hi)
}

/// `file` with `faults` added: timeline events appended (the file's order breaks ties, so they
/// come after the scenario's own events at the same instant) and outages added to the links'
/// fault plans.
pub fn apply(file: &ScenarioFile, faults: &[Fault]) -> ScenarioFile {
    let mut out = file.clone();
    let at = |ms: i64| At::FromStart(Duration::from_ms(ms));
    for f in faults {
        let d = Duration::from_ms(f.duration_ms);
        let job = || file.cron.jobs[f.target].id;
        let monitor = || file.kuma.monitors[f.target].id.clone();
        let event = match f.kind {
            FaultKind::JobError => TimelineEvent::JobError { at: at(f.at_ms), job: job(), count: 1 },
            FaultKind::JobCrash => TimelineEvent::JobCrash { at: at(f.at_ms), job: job() },
            FaultKind::JobHang => TimelineEvent::JobHang { at: at(f.at_ms), job: job(), duration: d },
            FaultKind::CronStop => {
                out.timeline.push(TimelineEvent::CronStop { at: at(f.at_ms) });
                TimelineEvent::CronStart { at: at(f.at_ms + f.duration_ms) }
            }
            FaultKind::KumaRestart => TimelineEvent::KumaRestart { at: at(f.at_ms), duration: d },
            FaultKind::KumaMaintenance => TimelineEvent::KumaMaintenance { at: at(f.at_ms), monitor: monitor(), duration: d },
            FaultKind::ConnectorOutage => {
                TimelineEvent::ConnectorOutage { at: at(f.at_ms), connector: file.sync.connectors[f.target].id.clone(), duration: d }
            }
            FaultKind::PushOutage | FaultKind::ApiOutage | FaultKind::WebhookOutage => {
                let link = match f.kind {
                    FaultKind::PushOutage => &mut out.faults.kuma_push,
                    FaultKind::ApiOutage => &mut out.faults.bridge_api,
                    _ => &mut out.faults.webhooks,
                };
                let kind = f.failure.unwrap_or(LinkFailure::Refused).outage_kind();
                link.get_or_insert_with(LinkFaultsSpec::default).outages.push(OutageSpec { at: at(f.at_ms), duration: d, kind });
                continue;
            }
        };
        out.timeline.push(event);
    }
    out
}

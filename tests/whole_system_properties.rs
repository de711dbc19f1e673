//! Whole-system properties (issue #8): one generator puts everything in a single scenario — bank
//! connections with state changes, user actions and a bank outage; the Bridge recovery job on the
//! Dolibarr-like runner, pushing heartbeats to a Kuma push monitor, with job errors, a crash and
//! its clean-up, a cron stop; Kuma maintenance windows and restarts; invoices, payers, webhooks
//! (lost, duplicated, delayed, forged, replayed, a secret rotation); and network faults on the
//! three links (outages, 429 with Retry-After, 503s, latency). Every rule of SPEC 1–5 that the
//! per-area files check (`sync_engine_properties`, `jobs_engine_properties`,
//! `payments_properties`) is checked again here, on the trace and the report of the combined run,
//! plus determinism and HTTP against in-process. A failing case is written under
//! `target/syncsim-failures/<property>.json` so `syncsim run <file>` replays it, and the seed of
//! the scenario is printed.
//!
//! Three real bugs were found by these properties and fixed (Kuma's first check never armed
//! without a push; one maintenance window's end ending an overlapping one; the job's records
//! traced late); their shrunk cases stay in `whole_system_properties.regressions`.
//!
//! Times in the generator are minutes from the start unless named otherwise. `PROPTEST_CASES`
//! sets the depth (default: 32 cases a property; the HTTP comparison runs an eighth of that).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::{Value, json};
use syncsim::sim::analysis::payments::PaidRow;
use syncsim::sim::analysis::report::Report;
use syncsim::sim::commands::run::{RunOutput, TransportChoice};
use syncsim::world::kuma::monitor::{MonitorSettings, TimerLateness};

mod support;
// The combined runs are heavier than the per-area ones: their default depth is lower than
// proptest's 256.
use support::properties::cases;
use support::scenario_file::{
    Event, Faults, Job, Monitor, Offset, OutageKind, ScenarioFile, Sync, hours, millis, minutes, policy, seconds, uniform,
};

/// 2026-05-04T00:00:00Z, the start of every generated scenario.
const START_MS: i64 = 1_777_852_800_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// The job's grid origin (`first_run: "+2m"`) and the runner's tick.
const FIRST_RUN_MS: i64 = START_MS + 2 * MINUTE;
const TICK_MS: i64 = MINUTE;
/// `Retry-After` of the generated 429s.
const RETRY_AFTER_MS: i64 = 20_000;

#[derive(Debug, Clone)]
struct SyncGen {
    retry_wrongpass: u8,
    spreading: &'static str,
    backoff: &'static str,
    connections: usize,
    /// Create every connection in the same minute (with capacity 1 or 2 the bank answers rateLimiting).
    together: bool,
    capacity: u32,
    /// (minute, connection, kind): kind < 6 is a bank state (`STATES`), else a user action.
    events: Vec<(u32, usize, u8)>,
    outage: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
struct CronGen {
    frequency_s: u32,
    duration_s: (u32, u32),
    /// The monitor's interval is `frequency + longest own duration + margin` (seed 001's formula).
    margin_s: i32,
    errors: Vec<(u32, u32)>,
    /// (minute of the crash, minutes until `cleanup_dead_jobs`).
    crash: Option<(u32, u32)>,
    /// (minute of `cron_stop`, minutes until `cron_start`).
    cron_stop: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
struct KumaGen {
    max_retries: u32,
    retry_interval_s: u32,
    lateness_ms: i64,
    /// (minute, length in minutes).
    maintenance: Vec<(u32, u32)>,
    /// (minute, seconds down).
    restarts: Vec<(u32, u32)>,
}

#[derive(Debug, Clone)]
struct PayGen {
    invoices_per_day: u32,
    page_size: u32,
    validity_h: u32,
    revoke_after_h: u32,
    /// pay, reject, retry, late.
    shares: (f64, f64, f64, f64),
    /// Share of attempts that wait in PDNG before their final status.
    pending: f64,
    loss: f64,
    duplicate: f64,
    delay_max_s: u32,
    forged: Option<(u32, u32)>,
    replay: Option<(u32, u32)>,
    /// (minute, overlap minutes, ERP updates after minutes).
    rotation: Option<(u32, u32, u32)>,
}

/// Faults on one link (SPEC 5).
#[derive(Debug, Clone)]
struct LinkGen {
    /// (minute, minutes, kind: 0 refused, 1 no answer, 2 status 503).
    outage: Option<(u32, u32, u8)>,
    /// (probability, a 429 with Retry-After 20 s, else a 503).
    error: Option<(f64, bool)>,
    /// Uniform latency between 1 ms and this.
    latency_ms: Option<u32>,
}

#[derive(Debug, Clone)]
struct Gen {
    days: u32,
    seed: u64,
    sync: SyncGen,
    cron: CronGen,
    kuma: KumaGen,
    pay: PayGen,
    push: LinkGen,
    api: LinkGen,
    hooks: LinkGen,
}

const STATES: [&str; 6] = ["wrongpass", "SCARequired", "passwordExpired", "websiteUnavailable", "ok", "decoupled"];

/// A minute offset: anywhere in three days; folded into the scenario's duration when written.
fn minute() -> impl Strategy<Value = u32> {
    0u32..3 * 1440
}

fn share() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), 0.0f64..0.5, Just(0.5)]
}

fn any_sync() -> impl Strategy<Value = SyncGen> {
    (
        (0u8..=1, prop_oneof![Just("fixed"), Just("random-hours"), Just("uniform-jitter"), Just("stable-offset"), Just("load-aware")]),
        prop_oneof![Just("exponential"), Just("full-jitter"), Just("equal-jitter"), Just("decorrelated-jitter")],
        (1usize..=5, any::<bool>(), 1u32..=2),
        // Bank states early as often as anywhere, so a second wrongpass in a row fits in 1–3 days.
        prop::collection::vec((prop_oneof![0u32..120, minute()], 0usize..5, 0u8..8), 0..10),
        prop::option::of((minute(), 60u32..900)),
    )
        .prop_map(|((retry_wrongpass, spreading), backoff, (connections, together, capacity), events, outage)| SyncGen {
            retry_wrongpass,
            spreading,
            backoff,
            connections,
            together,
            capacity,
            events,
            outage,
        })
}

fn any_cron() -> impl Strategy<Value = CronGen> {
    (
        prop_oneof![Just(300u32), Just(900), Just(3600)],
        (1u32..30, 0u32..120),
        -30i32..300,
        prop::collection::vec((minute(), 1u32..4), 0..3),
        prop::option::of((minute(), 10u32..600)),
        prop::option::of((minute(), 10u32..300)),
    )
        .prop_map(|(frequency_s, (lo, extra), margin_s, errors, crash, cron_stop)| CronGen {
            frequency_s,
            duration_s: (lo, (lo + extra).min(frequency_s / 2).max(lo)),
            margin_s,
            errors,
            crash,
            cron_stop,
        })
}

fn any_kuma() -> impl Strategy<Value = KumaGen> {
    (
        0u32..=3,
        prop_oneof![Just(20u32), Just(60)],
        0i64..=2,
        prop::collection::vec((minute(), 5u32..300), 0..3),
        prop::collection::vec((minute(), 5u32..900), 0..3),
    )
        .prop_map(|(max_retries, retry_interval_s, lateness_ms, maintenance, restarts)| KumaGen {
            max_retries,
            retry_interval_s,
            lateness_ms,
            maintenance,
            restarts,
        })
}

fn any_pay() -> impl Strategy<Value = PayGen> {
    (
        (2u32..30, prop_oneof![Just(1u32), Just(2), Just(50)]),
        (prop_oneof![Just(6u32), Just(24), Just(48)], prop_oneof![Just(2u32), Just(12), Just(30)]),
        (0.5f64..1.0, share(), share(), share()),
        (share(), share(), prop_oneof![Just(1u32), Just(600), Just(7200)]),
        (
            prop::option::of((minute(), 1u32..10)),
            prop::option::of((minute(), 1u32..30)),
            prop::option::of((minute(), 0u32..120, 0u32..240)),
        ),
        share(),
    )
        .prop_map(
            |(
                (invoices_per_day, page_size),
                (validity_h, revoke_after_h),
                shares,
                (loss, duplicate, delay_max_s),
                (forged, replay, rotation),
                pending,
            )| PayGen {
                invoices_per_day,
                page_size,
                validity_h,
                revoke_after_h,
                shares,
                pending,
                loss,
                duplicate,
                delay_max_s,
                forged,
                replay,
                rotation,
            },
        )
}

fn any_link() -> impl Strategy<Value = LinkGen> {
    (
        prop::option::of((minute(), 1u32..120, 0u8..3)),
        prop::option::of((prop_oneof![Just(0.02f64), Just(0.1), Just(0.3)], any::<bool>())),
        prop::option::of(2u32..400),
    )
        .prop_map(|(outage, error, latency_ms)| LinkGen { outage, error, latency_ms })
}

fn any_system() -> impl Strategy<Value = Gen> {
    (1u32..=3, any::<u64>(), any_sync(), any_cron(), any_kuma(), any_pay(), any_link(), any_link(), any_link())
        .prop_map(|(days, seed, sync, cron, kuma, pay, push, api, hooks)| Gen { days, seed, sync, cron, kuma, pay, push, api, hooks })
}

/// A lighter case for the HTTP comparison (loopback HTTP runs a few thousand calls a second):
/// one day, few invoices, a job every 15 minutes or hourly.
fn small(g: Gen) -> Gen {
    Gen {
        days: 1,
        cron: CronGen { frequency_s: g.cron.frequency_s.max(900), ..g.cron },
        pay: PayGen { invoices_per_day: g.pay.invoices_per_day.min(8), page_size: g.pay.page_size.max(2), ..g.pay },
        ..g
    }
}

impl Gen {
    fn minutes(&self) -> u32 {
        self.days * 1440
    }
    /// A generated minute, folded into the scenario's duration.
    fn fold(&self, m: u32) -> u32 {
        m % self.minutes()
    }
    fn ms(&self, m: u32) -> i64 {
        START_MS + i64::from(self.fold(m)) * MINUTE
    }
    fn end_ms(&self) -> i64 {
        START_MS + i64::from(self.days) * DAY
    }
    fn created_min(&self, i: usize) -> u32 {
        if self.sync.together { 0 } else { i as u32 * 37 }
    }
    /// Kuma's interval I in seconds.
    fn interval_s(&self) -> u32 {
        (self.cron.frequency_s as i32 + self.cron.duration_s.1 as i32 + self.cron.margin_s).max(20) as u32
    }
    /// Maintenance windows, absolute [begin, end) in ms.
    fn maintenance(&self) -> Vec<(i64, i64)> {
        self.kuma.maintenance.iter().map(|&(m, len)| (self.ms(m), self.ms(m) + i64::from(len) * MINUTE)).collect()
    }
    /// When Kuma is stopped, as the engine plays the restarts: each `kuma_restart` stops the
    /// server (if it runs) and schedules a start `duration` later; the first start after a stop
    /// ends the down period (a second start while up is an instant restart).
    fn kuma_down(&self) -> Vec<(i64, i64)> {
        let mut events: Vec<(i64, bool)> = Vec::new(); // (at, is_stop)
        for &(m, len_s) in &self.kuma.restarts {
            events.push((self.ms(m), true));
            events.push((self.ms(m) + i64::from(len_s) * 1000, false));
        }
        events.sort();
        let mut down = Vec::new();
        let mut since: Option<i64> = None;
        for (at, stop) in events {
            match (stop, since) {
                (true, None) => since = Some(at),
                (false, Some(s)) => {
                    down.push((s, at));
                    since = None;
                }
                _ => {}
            }
        }
        if let Some(s) = since {
            down.push((s, i64::MAX));
        }
        down
    }
    /// Every instant a Kuma restart ends (a check chain restarts there).
    fn kuma_starts(&self) -> Vec<i64> {
        self.kuma.restarts.iter().map(|&(m, len_s)| self.ms(m) + i64::from(len_s) * 1000).collect()
    }
}

fn link_faults(g: &Gen, l: &LinkGen) -> Faults {
    let mut faults = Faults::new();
    if let Some((at, len, kind)) = l.outage {
        let kind = [OutageKind::Refused, OutageKind::NoAnswer, OutageKind::Status(503)][kind as usize];
        faults = faults.outage(g.fold(at), &minutes(len), Some(kind));
    }
    if let Some((p, is_429)) = l.error {
        let retry_after = seconds((RETRY_AFTER_MS / 1000) as u32);
        faults = if is_429 { faults.error(p, 429, Some(&retry_after)) } else { faults.error(p, 503, None) };
    }
    if let Some(ms) = l.latency_ms {
        faults = faults.latency(uniform("1ms", &millis(ms)));
    }
    faults
}

fn scenario_text(g: &Gen) -> String {
    let s = &g.sync;
    let sync = Sync::new()
        .retry_wrongpass(u32::from(s.retry_wrongpass))
        .spreading(policy(s.spreading))
        .backoff(policy(s.backoff))
        .connector("bank", Some(s.capacity));
    let sync = (0..s.connections).fold(sync, |sync, i| sync.connection(&format!("c{i}"), "bank", Some(Offset::minutes(g.created_min(i)))));
    let c = &g.cron;
    let job = Job::new(1, "Récupération des paiements Bridge", &seconds(c.frequency_s))
        .first_run("+2m")
        .duration(uniform(&seconds(c.duration_s.0), &seconds(c.duration_s.1)))
        .heartbeat("bridge");
    let k = &g.kuma;
    let monitor = Monitor::new("bridge", g.interval_s())
        .max_retries(k.max_retries)
        .retry_interval_s(k.retry_interval_s)
        .timer_lateness_ms(k.lateness_ms);
    let p = &g.pay;
    let (pay, rej, ret, late) = p.shares;
    let payments = json!({
        "recovery_job": 1, "invoices_per_day": p.invoices_per_day, "page_size": p.page_size,
        "link_validity": hours(p.validity_h), "revoke_after": hours(p.revoke_after_h),
        "payers": {"pay_share": pay, "pay_delay": uniform("1m", "30h"), "reject_share": rej, "retry_share": ret, "late_share": late,
                   "pending_share": p.pending, "pending_delay": uniform("10m", "20h")},
        "webhooks": {"loss": p.loss, "duplicate": p.duplicate, "delay": uniform("100ms", &seconds(p.delay_max_s))}
    });
    let mut file = ScenarioFile::new("generated-whole-system", "2026-05-04T00:00:00Z", &format!("{}d", g.days))
        .seed(g.seed)
        .time_zone("UTC")
        .sync(sync)
        .cron(Some("1m"), vec![job])
        .kuma(vec![monitor])
        .payments(payments)
        .faults("kuma_push", &link_faults(g, &g.push))
        .faults("bridge_api", &link_faults(g, &g.api))
        .faults("webhooks", &link_faults(g, &g.hooks))
        .timeline();
    for &(m, c, kind) in &s.events {
        let connection = format!("c{}", c % s.connections);
        let event =
            if kind < 6 { Event::BankState { connection, state: STATES[kind as usize].into() } } else { Event::UserAction { connection } };
        file = file.at(g.fold(m), event);
    }
    if let Some((at, len)) = s.outage {
        file = file.at(g.fold(at), Event::ConnectorOutage { connector: "bank".into(), duration: minutes(len) });
    }
    for &(m, n) in &c.errors {
        file = file.at(g.fold(m), Event::JobError { job: 1, count: Some(n) });
    }
    if let Some((at, len)) = c.crash {
        file = file.at(g.fold(at), Event::JobCrash { job: 1 }).at(g.fold(at) + len, Event::CleanupDeadJobs);
    }
    if let Some((at, len)) = c.cron_stop {
        file = file.at(g.fold(at), Event::CronStop).at(g.fold(at) + len, Event::CronStart);
    }
    for &(m, len) in &k.maintenance {
        file = file.at(g.fold(m), Event::KumaMaintenance { monitor: "bridge".into(), duration: minutes(len) });
    }
    for &(m, len_s) in &k.restarts {
        file = file.at(g.fold(m), Event::KumaRestart { duration: seconds(len_s) });
    }
    if let Some((at, n)) = p.forged {
        file = file.at(g.fold(at), Event::WebhookForged { count: n });
    }
    if let Some((at, n)) = p.replay {
        file = file.at(g.fold(at), Event::WebhookReplay { count: n });
    }
    if let Some((at, overlap, late)) = p.rotation {
        file = file.at(g.fold(at), Event::WebhookSecretRotation { overlap: minutes(overlap), erp_updates_after: minutes(late) });
    }
    file.text()
}

// ---- running a case -----------------------------------------------------------------------

/// Run the case in-process and check it; a failure (or a panic in the engine) keeps the case
/// as a file, names the property and prints the seed and the replay command.
fn check(g: &Gen, property: &str, ok: impl FnOnce(&RunOutput, &[Value]) -> Result<(), String>) -> Result<(), TestCaseError> {
    let text = scenario_text(g);
    let ran = std::panic::catch_unwind(|| support::output_and_trace(&text));
    let verdict = match ran {
        Ok((out, lines)) => ok(&out, &lines),
        Err(panic) => Err(format!(
            "the run panicked: {}",
            panic.downcast_ref::<String>().map(String::as_str).or(panic.downcast_ref::<&str>().copied()).unwrap_or("?")
        )),
    };
    verdict.map_err(|why| fail(g, &text, property, &why))
}

fn fail(g: &Gen, text: &str, property: &str, why: &str) -> TestCaseError {
    TestCaseError::fail(format!("{property}: {why}\nscenario seed {}\n{}", g.seed, support::keep_failure(text, property)))
}

fn ms(l: &Value) -> i64 {
    l["t_ms"].as_i64().unwrap()
}

fn is(l: &Value, component: &str, kind: &str) -> bool {
    l["component"] == component && l["kind"] == kind
}

fn conn(l: &Value) -> String {
    l["connection"].as_str().unwrap_or("").to_string()
}

fn payments(r: &Report) -> &syncsim::sim::analysis::payments::PaymentFigures {
    r.variants[0].payments.as_ref().expect("a payments section")
}

/// The ledger's truth, one row per payment Bridge holds as ACSC (what `payments.csv` lists).
fn paid_rows(out: &RunOutput) -> &[PaidRow] {
    &out.plots[0].payments.as_ref().expect("a payments section").rows
}

// ---- SPEC 1: sync rules -------------------------------------------------------------------

/// Every attempt: its rule is the rule of its state given the counters, the counters follow the
/// answers (reset by a user action), and its next try is what the rule says (SPEC 1.3): A at
/// `t + F + J` with J in the policy's bounds, B and C-wait none, C-first `+12 h`, C-repeat
/// `+7 d`, D-first `+2 h` right after a success, D-backoff inside `[2 h, 5 d]`.
fn rules_and_delays(lines: &[Value], g: &Gen) -> Result<(), String> {
    let f = DAY; // autosync.frequency (the connector has none)
    let j_max = match g.sync.spreading {
        "fixed" => 0,
        "stable-offset" => f - 1,
        _ => 6 * HOUR,
    };
    let retry_wrongpass = g.sync.retry_wrongpass == 1;
    let mut counters: BTreeMap<String, (i64, i64)> = BTreeMap::new(); // (failures, wrongpass) in a row
    for l in lines {
        if is(l, "scenario", "user_action") {
            // Rule D's row restarts; rule C's row of statuses goes on (seed 002, the default of
            // wrongpass_row_resets_on_user_action, which these scenarios leave unset).
            counters.entry(conn(l)).and_modify(|(fails, _)| *fails = 0);
            continue;
        }
        if !is(l, "sync", "attempt") {
            continue;
        }
        let (state, rule, t) = (l["state"].as_str().unwrap(), l["rule"].as_str().unwrap(), ms(l));
        let next = l["next_try_ms"].as_i64();
        let (fails, wrong) = counters.entry(conn(l)).or_insert((0, 0));
        let class = match state {
            "ok" => "success",
            "wrongpass" => "wrongpass",
            "websiteUnavailable" | "rateLimiting" | "bug" | "validating" => "transient",
            _ => "user",
        };
        *fails = if class == "success" { 0 } else { *fails + 1 };
        *wrong = if class == "wrongpass" { *wrong + 1 } else { 0 };
        let (fails, wrong) = (*fails, *wrong);
        let at = || format!("{} at {}", conn(l), l["t"]);
        if l["failures_in_a_row"].as_i64() != Some(fails) || l["wrongpass_in_a_row"].as_i64() != Some(wrong) {
            return Err(format!(
                "{}: counters {} / {} but the answers give {fails} / {wrong}",
                at(),
                l["failures_in_a_row"],
                l["wrongpass_in_a_row"]
            ));
        }
        let expected_rule = match class {
            "success" => "A",
            "user" => "B",
            "wrongpass" if wrong == 1 => "C-first",
            "wrongpass" if retry_wrongpass => "C-repeat",
            "wrongpass" => "C-wait",
            _ if fails == 1 => "D-first",
            _ => "D-backoff",
        };
        if rule != expected_rule {
            return Err(format!("{}: state {state} scheduled by rule {rule}, expected {expected_rule}", at()));
        }
        let delay = next.map(|n| n - t);
        let fine = match rule {
            "A" => {
                let j = l["chosen_ms"].as_i64().unwrap();
                l["frequency_ms"].as_i64() == Some(f) && (0..=j_max).contains(&j) && delay == Some(f + j)
            }
            "B" | "C-wait" => delay.is_none(),
            "C-first" => delay == Some(12 * HOUR),
            "C-repeat" => delay == Some(7 * DAY),
            "D-first" => delay == Some(2 * HOUR),
            _ => delay.is_some_and(|d| (2 * HOUR..=5 * DAY).contains(&d) && l["chosen_ms"].as_i64() == Some(d)),
        };
        if !fine {
            return Err(format!("{}: rule {rule} chose a next try {delay:?} ms later ({l})", at()));
        }
    }
    Ok(())
}

/// The engine keeps the rules' decisions: a connection's first attempt is at its creation, each
/// later one exactly at the next try its previous attempt chose, or at once after a user action.
fn attempts_on_schedule(lines: &[Value], g: &Gen) -> Result<(), String> {
    let mut due: BTreeMap<String, Option<i64>> =
        (0..g.sync.connections).map(|i| (format!("c{i}"), Some(START_MS + i64::from(g.created_min(i)) * MINUTE))).collect();
    for l in lines {
        if is(l, "scenario", "user_action") {
            if let Some(at) = l["sync_at_ms"].as_i64() {
                due.insert(conn(l), Some(at));
            }
        } else if is(l, "sync", "attempt") {
            let expected = due.get(&conn(l)).copied().flatten();
            if expected != Some(ms(l)) {
                return Err(format!("{} attempted at {} but its next try was {expected:?}", conn(l), ms(l)));
            }
            due.insert(conn(l), l["next_try_ms"].as_i64());
        }
    }
    Ok(())
}

// ---- SPEC 2.2: the runner -----------------------------------------------------------------

/// The job is alone on its runner, so each run starts at the tick of its pass, and that instant is
/// the `now` it is reprogrammed with. Every run serves a slot of the grid `first_run + k·F` that
/// was due (`slot < start`); the first serves `first_run`; after a run that ended, the next serves
/// the first grid slot at or after that run's start (missed slots are skipped, never replayed);
/// after a crash the slot does not move (the job is stuck until the clean-up).
fn runner_grid_and_skip_rule(lines: &[Value], g: &Gen) -> Result<(), String> {
    let f = i64::from(g.cron.frequency_s) * 1000;
    let mut previous: Option<(i64, i64, String)> = None; // (slot, start, fate)
    for l in lines.iter().filter(|l| is(l, "cron", "run")) {
        let slot = syncsim::time::Instant::parse_rfc3339(l["slot"].as_str().unwrap()).unwrap().as_ms();
        let start = ms(l) - l["duration_ms"].as_i64().unwrap();
        let fate = l["fate"].as_str().unwrap().to_string();
        if slot < FIRST_RUN_MS || (slot - FIRST_RUN_MS) % f != 0 {
            return Err(format!("the run started at {start} served slot {} off the grid", l["slot"]));
        }
        if (start - START_MS) % TICK_MS != 0 {
            return Err(format!("a run started at {start}, not at a tick"));
        }
        if slot >= start {
            return Err(format!("the run started at {start} served slot {} that was not due (datenextrun < now)", l["slot"]));
        }
        let expected = match &previous {
            None => FIRST_RUN_MS,
            Some((slot, _, fate)) if fate == "crashed" || fate == "time_limit" => *slot,
            Some((_, start, _)) => FIRST_RUN_MS + (start - FIRST_RUN_MS + f - 1) / f * f,
        };
        if slot != expected {
            return Err(format!("the run started at {start} served slot {slot}, expected {expected} (after {previous:?})"));
        }
        previous = Some((slot, start, fate));
    }
    Ok(())
}

// ---- SPEC 3.3: Kuma's timing, modulo maintenance and restarts ------------------------------

/// `(I, R, N, lateness)` in ms and retries.
fn kuma_settings(g: &Gen) -> (i64, i64, i64, i64) {
    (i64::from(g.interval_s()) * 1000, i64::from(g.kuma.retry_interval_s) * 1000, i64::from(g.kuma.max_retries), g.kuma.lateness_ms)
}

/// How long after the last UP push (or after the end of a maintenance window or a Kuma restart)
/// a silent monitor has sent its DOWN at the latest: the model's own answer
/// (`MonitorSettings::silence_to_down`, `max(I + 2 s, R) + N·R + (N + 1)·lateness`), plus the
/// slack this property has always allowed over it (one more buffer second and one more late timer).
fn worst_case_deadline(g: &Gen) -> i64 {
    let settings = MonitorSettings {
        retry_interval_s: g.kuma.retry_interval_s,
        max_retries: g.kuma.max_retries,
        timer_lateness: TimerLateness::Constant(g.kuma.lateness_ms),
        ..MonitorSettings::new(g.interval_s())
    };
    settings.silence_to_down().worst_case().as_ms() + 1000 + g.kuma.lateness_ms
}

/// A PENDING or DOWN row (checks store them: the generated pushes are all `status=up`) comes only
/// when the last UP push is more than `I + 1 s` old (strict: `msSinceLastBeat > I·1000 + 1000`),
/// or, before any UP, at least I after Kuma started. Exempt: a failure after a MAINTENANCE row
/// stored since the last UP, because "after a maintenance window the first check fails at once
/// unless an UP push arrived after it" (SPEC 3.3; `PushMonitor::end_maintenance`). Restarts need
/// no exemption: they only delay checks (the chain restarts a full I later), never hasten one.
fn kuma_failures_need_a_gap(lines: &[Value], g: &Gen) -> Result<(), String> {
    let (i, _, _, _) = kuma_settings(g);
    let mut last_up: Option<i64> = None;
    let mut maintenance_since_up = false;
    for l in lines.iter().filter(|l| l["component"] == "kuma") {
        let t = ms(l);
        let status = l["status"].as_str().unwrap_or("");
        let failure = (l["kind"] == "beat" && (status == "PENDING" || status == "DOWN")) || l["notification"] == "down";
        if l["kind"] == "beat" && status == "UP" {
            last_up = Some(t);
            maintenance_since_up = false;
        } else if l["kind"] == "beat" && status == "MAINTENANCE" {
            maintenance_since_up = true;
        } else if failure && !maintenance_since_up {
            let fine = match last_up {
                Some(u) => t - u > i + 1000,
                None => t - START_MS >= i,
            };
            if !fine {
                return Err(format!(
                    "{status} ({}) at {t}, {:?} ms after the last UP (I + 1 s = {} ms)",
                    l["kind"],
                    last_up.map(|u| t - u),
                    i + 1000
                ));
            }
        }
    }
    Ok(())
}

/// Every silence between UP rows (and, with `from_kuma_start`, the one before the first UP row,
/// from Kuma's start) that outlasts the worst-case deadline holds a DOWN notification. Maintenance windows and Kuma restarts move the
/// deadline: while a window is on, checks store MAINTENANCE and never fail; while Kuma is
/// stopped no check runs; after either, the chain needs at most the same deadline again (the
/// check after a window fails at once with N retries to go, a restarted chain checks after a full
/// I). So the deadline counts from the end of the last window or stop that overlaps it.
fn kuma_gaps_end_in_down(lines: &[Value], g: &Gen) -> Result<(), String> {
    let deadline = worst_case_deadline(g);
    let end = g.end_ms();
    let mut resets: Vec<(i64, i64)> = g.maintenance();
    resets.extend(g.kuma_down());
    resets.extend(g.kuma_starts().into_iter().map(|t| (t, t))); // an instant restart restarts the chain too
    let mut ups: Vec<i64> = vec![START_MS];
    ups.extend(lines.iter().filter(|l| is(l, "kuma", "beat") && l["status"] == "UP").map(ms));
    ups.push(end);
    let downs: Vec<i64> = lines.iter().filter(|l| is(l, "kuma", "notification") && l["notification"] == "down").map(ms).collect();
    for w in ups.windows(2) {
        let (u0, u1) = (w[0], w[1]);
        let mut from = u0;
        while let Some(e) = resets.iter().filter(|(b, e)| *b <= from + deadline && *e >= from).map(|(_, e)| *e).filter(|e| *e > from).max()
        {
            from = e;
        }
        let due = from.saturating_add(deadline);
        if u1 > due && due < end && !downs.iter().any(|&d| d > u0 && d <= due) {
            return Err(format!("no DOWN between the UP at {u0} and {due} (next UP {u1}, deadline {deadline} ms from {from})"));
        }
    }
    Ok(())
}

/// Which windows a property looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Windows {
    /// Every maintenance window.
    Maintenance,
    /// The periods Kuma is stopped.
    Stopped,
}

/// Inside a maintenance window every stored row is MAINTENANCE (checks and pushes alike:
/// `beat()` and the push route both ask `Monitor.isUnderMaintenance`, true while *any*
/// maintenance linked to the monitor is on, so overlapping windows act as their union); while
/// Kuma is stopped nothing is stored. Open intervals: an event at the very instant a window
/// begins or ends may come before or after it.
fn kuma_windows_hold(lines: &[Value], g: &Gen, which: Windows) -> Result<(), String> {
    let maintenance = g.maintenance();
    let windows: Vec<(i64, i64)> = match which {
        Windows::Maintenance => maintenance.clone(),
        Windows::Stopped => g.kuma_down(),
    };
    for l in lines.iter().filter(|l| is(l, "kuma", "beat")) {
        let t = ms(l);
        if which == Windows::Stopped || l["status"] != "MAINTENANCE" {
            if let Some((b, e)) = windows.iter().find(|&&(b, e)| b < t && t < e) {
                let during = if which == Windows::Stopped { "while Kuma was stopped" } else { "inside the maintenance window" };
                return Err(format!("{} row at {t} {during} [{b}, {e})", l["status"]));
            }
        }
    }
    Ok(())
}

// ---- SPEC 4: payments ---------------------------------------------------------------------

/// Every ACSC at Bridge before the start of a successful recovery run is recorded in the ledger
/// (read from the ledger, see `paid_rows`), and no payment is recorded twice (ledger, report and
/// trace agree).
fn acsc_recorded_once(out: &RunOutput, lines: &[Value]) -> Result<(), String> {
    let mut traced: BTreeMap<&str, u32> = BTreeMap::new();
    for l in lines.iter().filter(|l| is(l, "erp", "recorded")) {
        *traced.entry(l["request"].as_str().unwrap()).or_default() += 1;
    }
    if let Some((r, n)) = traced.iter().find(|(_, n)| **n > 1) {
        return Err(format!("{r} recorded {n} times in the trace"));
    }
    let p = payments(&out.report);
    if p.double_records != 0 || p.unrecovered_despite_a_run != 0 {
        return Err(format!("report: {} double records, {} unrecovered despite a run", p.double_records, p.unrecovered_despite_a_run));
    }
    let ok_run_starts: Vec<i64> = lines
        .iter()
        .filter(|l| is(l, "cron", "run") && l["fate"] == "success")
        .map(|l| ms(l) - l["duration_ms"].as_i64().unwrap())
        .collect();
    for row in paid_rows(out) {
        let acsc = row.acsc_at.as_ms();
        if row.recorded.is_none() && ok_run_starts.iter().any(|&s| s > acsc) {
            return Err(format!("ACSC {} at {acsc} never recorded though a run succeeded after it", row.request));
        }
    }
    Ok(())
}

/// The trace tells every record: one `erp`/`recorded` line per payment the ledger recorded,
/// stamped with the instant it was recorded and naming its path (docs/trace.md: one line per
/// decision, in the order the engine made them), and none for a payment it did not record.
fn records_traced_when_made(out: &RunOutput, lines: &[Value]) -> Result<(), String> {
    let traced: Vec<(&str, i64, &str)> = lines
        .iter()
        .filter(|l| is(l, "erp", "recorded"))
        .map(|l| (l["request"].as_str().unwrap(), ms(l), l["path"].as_str().unwrap_or("")))
        .collect();
    let mut recorded = 0;
    for row in paid_rows(out) {
        let lines_of: Vec<&(&str, i64, &str)> = traced.iter().filter(|(r, _, _)| *r == row.request).collect();
        match row.recorded {
            Some((at, path)) => {
                recorded += 1;
                if lines_of.len() != 1 || lines_of[0].1 != at.as_ms() || lines_of[0].2 != path.name() {
                    return Err(format!("{} recorded by {} at {}, traced as {lines_of:?}", row.request, path.name(), at.as_ms()));
                }
            }
            None if !lines_of.is_empty() => return Err(format!("{} traced as recorded but not in the ledger: {lines_of:?}", row.request)),
            None => {}
        }
    }
    match traced.len() == recorded {
        true => Ok(()),
        false => Err(format!("{} recorded lines for {recorded} records", traced.len())),
    }
}

/// Nothing is recorded that Bridge did not hold as ACSC by then (forged webhooks claim ACSC).
fn only_acsc_recorded(out: &RunOutput, lines: &[Value]) -> Result<(), String> {
    let mut acsc_at: BTreeMap<&str, i64> = BTreeMap::new();
    for l in lines {
        if is(l, "bridge", "request") && l["status"] == "ACSC" {
            acsc_at.insert(l["request"].as_str().unwrap(), ms(l));
        }
        if is(l, "erp", "recorded") {
            let r = l["request"].as_str().unwrap();
            if acsc_at.get(r).is_none_or(|&a| a > ms(l)) {
                return Err(format!("{r} recorded at {} without ACSC before", ms(l)));
            }
        }
    }
    match payments(&out.report).recorded_not_paid {
        0 => Ok(()),
        n => Err(format!("report: {n} recorded not paid")),
    }
}

/// A link is revoked only `revoke_after` after its creation, once, and never after a payer
/// completed it.
fn revocations(out: &RunOutput, lines: &[Value], g: &Gen) -> Result<(), String> {
    let delay = i64::from(g.pay.revoke_after_h) * HOUR;
    let mut created: BTreeMap<&str, i64> = BTreeMap::new();
    let mut completed: BTreeSet<&str> = BTreeSet::new();
    let mut revoked: BTreeSet<&str> = BTreeSet::new();
    for l in lines {
        if is(l, "erp", "link") {
            if let Some(link) = l["link"].as_str() {
                created.insert(link, ms(l));
            }
        } else if is(l, "payer", "attempt") && l["request"].is_string() {
            completed.insert(l["link"].as_str().unwrap());
        } else if is(l, "erp", "revoke") && l["outcome"] == "revoked" {
            let link = l["link"].as_str().unwrap();
            if created.get(link).is_none_or(|&c| ms(l) < c + delay) {
                return Err(format!("{link} revoked at {} before its delay (created {:?})", ms(l), created.get(link)));
            }
            if !revoked.insert(link) {
                return Err(format!("{link} revoked twice"));
            }
            if completed.contains(link) {
                return Err(format!("{link} revoked after a payer completed it"));
            }
        }
    }
    match payments(&out.report).links.revoked_early {
        0 => Ok(()),
        n => Err(format!("report: {n} links revoked early")),
    }
}

// ---- the properties -----------------------------------------------------------------------

proptest! {
    #![proptest_config(support::properties::config(32))]

    #[test]
    fn sync_rule_b_no_attempt_while_a_connection_waits_for_its_user(g in any_system()) {
        check(&g, "whole_rule_b_no_attempt_while_waiting", |_, lines| support::rule_b(lines, g.sync.retry_wrongpass == 1, false))?;
    }

    #[test]
    fn sync_rule_c_at_most_two_wrongpass_attempts_in_any_24h_plus_one_per_user_action(g in any_system()) {
        check(&g, "whole_rule_c_wrongpass_limit", |_, lines| support::wrongpass_limit(lines))?;
    }

    #[test]
    fn sync_every_attempt_follows_the_rule_of_its_state_with_that_rules_delay(g in any_system()) {
        check(&g, "whole_rules_a_to_d_and_delays", |_, lines| rules_and_delays(lines, &g))?;
    }

    #[test]
    fn sync_each_attempt_comes_exactly_when_the_previous_one_decided_or_at_a_user_action(g in any_system()) {
        check(&g, "whole_attempts_on_schedule", |_, lines| attempts_on_schedule(lines, &g))?;
    }

    #[test]
    fn runner_every_run_serves_a_due_grid_slot_and_missed_slots_are_skipped(g in any_system()) {
        check(&g, "whole_runner_grid_and_skip", |_, lines| runner_grid_and_skip_rule(lines, &g))?;
    }

    #[test]
    fn kuma_no_pending_or_down_within_i_plus_1s_of_the_last_up_except_after_maintenance(g in any_system()) {
        check(&g, "whole_kuma_failure_needs_a_gap", |_, lines| kuma_failures_need_a_gap(lines, &g))?;
    }

    /// From Kuma's start too (SPEC 3.3: the chain starts a full I after the server starts): a
    /// job that never pushes must still end in DOWN. Found the first check never being armed.
    #[test]
    fn kuma_a_silence_after_an_up_or_from_the_start_beyond_the_worst_case_deadline_ends_in_a_down(g in any_system()) {
        check(&g, "whole_kuma_gap_ends_in_down", |_, lines| kuma_gaps_end_in_down(lines, &g))?;
    }

    /// Overlapping or back-to-back windows act as their union. Found one window's end ending
    /// the other.
    #[test]
    fn kuma_stores_only_maintenance_rows_inside_a_maintenance_window(g in any_system()) {
        check(&g, "whole_kuma_maintenance_rows", |_, lines| kuma_windows_hold(lines, &g, Windows::Maintenance))?;
    }

    #[test]
    fn kuma_stores_nothing_while_it_is_stopped(g in any_system()) {
        check(&g, "whole_kuma_nothing_while_stopped", |_, lines| kuma_windows_hold(lines, &g, Windows::Stopped))?;
    }

    #[test]
    fn payments_every_acsc_is_recorded_exactly_once_whenever_a_successful_run_started_after_it(g in any_system()) {
        check(&g, "whole_payments_recorded_once", acsc_recorded_once)?;
    }

    /// The trace tells each record when it is made (by webhook or by the job). Found the job's
    /// records traced at the next call's arrival, or never.
    #[test]
    fn payments_the_trace_has_one_recorded_line_per_record_at_the_instant_it_was_made(g in any_system()) {
        check(&g, "whole_payments_records_traced", records_traced_when_made)?;
    }

    #[test]
    fn payments_nothing_is_recorded_that_bridge_does_not_hold_as_acsc(g in any_system()) {
        check(&g, "whole_payments_only_acsc", only_acsc_recorded)?;
    }

    #[test]
    fn payments_a_link_is_never_revoked_before_its_delay_twice_or_once_completed(g in any_system()) {
        check(&g, "whole_payments_revocation", |out, lines| revocations(out, lines, &g))?;
    }

    #[test]
    fn the_same_scenario_and_seed_give_byte_identical_report_files_and_trace(g in any_system()) {
        let text = scenario_text(&g);
        let (files_a, trace_a, _) = support::files_and_trace(&text, TransportChoice::InProcess);
        let (files_b, trace_b, _) = support::files_and_trace(&text, TransportChoice::InProcess);
        let same = |why: &str| fail(&g, &text, "whole_determinism", why);
        if let Some(((name, _), _)) = files_a.iter().zip(&files_b).find(|(a, b)| a != b) {
            return Err(same(&format!("{name} differs between two runs")));
        }
        if files_a.len() != files_b.len() || trace_a != trace_b || trace_a.is_empty() {
            return Err(same("the file lists or the traces differ between two runs"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: (cases(32) / 8).max(1), ..support::properties::config(32) })]

    #[test]
    fn http_and_in_process_give_byte_identical_report_files_and_trace(g in any_system().prop_map(small)) {
        let text = scenario_text(&g);
        let (files_http, trace_http, transport) = support::files_and_trace(&text, TransportChoice::Http);
        let (files_in, trace_in, _) = support::files_and_trace(&text, TransportChoice::InProcess);
        let differ = |why: &str| fail(&g, &text, "whole_http_vs_in_process", why);
        if transport != "http" {
            return Err(differ(&format!("the calls went {transport}, not over HTTP")));
        }
        if let Some(((name, _), _)) = files_http.iter().zip(&files_in).find(|(a, b)| a != b) {
            return Err(differ(&format!("{name} differs between HTTP and in-process")));
        }
        if files_http.len() != files_in.len() || trace_http != trace_in || trace_http.is_empty() {
            return Err(differ("the file lists or the traces differ between HTTP and in-process"));
        }
    }
}

// ---- coverage -----------------------------------------------------------------------------

/// What one case reached, by name.
fn reached(g: &Gen, report: &Report, lines: &[Value], seen: &mut BTreeMap<&'static str, u64>) {
    let mut hit = |k: &'static str| *seen.entry(k).or_default() += 1;
    let deadline = worst_case_deadline(g);
    let maintenance = g.maintenance();
    let down = g.kuma_down();
    let push_outage = g.push.outage.map(|(m, len, _)| (g.ms(m), g.ms(m) + i64::from(len) * MINUTE));
    let mut last_beat = "";
    // Per caller (API) or job (pushes): when the last attempt came back 429 with a retry to come.
    let mut last_429: BTreeMap<String, i64> = BTreeMap::new();
    let mut previous_slot: Option<i64> = None;
    let mut maintenance_since_up = false;
    for l in lines {
        let t = ms(l);
        match (l["component"].as_str().unwrap_or(""), l["kind"].as_str().unwrap_or("")) {
            ("sync", "attempt") => {
                if let Some(rule @ ("B" | "D-first" | "D-backoff")) = l["rule"].as_str() {
                    hit(match rule {
                        "B" => "rule B",
                        "D-first" => "rule D-first",
                        _ => "rule D-backoff",
                    });
                }
                if l["wrongpass_in_a_row"].as_i64() >= Some(2) {
                    hit("a second wrongpass in a row");
                }
                if l["state"] == "rateLimiting" {
                    hit("a rateLimiting answer");
                }
            }
            ("scenario", "user_action") => hit("a user action"),
            ("kuma", "beat") => {
                let s = l["status"].as_str().unwrap();
                if last_beat == "PENDING" && s == "UP" {
                    hit("a PENDING that recovers");
                }
                if (s == "PENDING" || s == "DOWN") && maintenance_since_up {
                    hit("a failure right after maintenance");
                }
                match s {
                    "UP" => maintenance_since_up = false,
                    "MAINTENANCE" => maintenance_since_up = true,
                    _ => {}
                }
                last_beat = s;
            }
            ("kuma", "notification") if l["notification"] == "down" => hit("a DOWN notification"),
            ("heartbeat", "push") if l["wire"] == "refused" => {
                let in_outage = push_outage.is_some_and(|(b, e)| b <= t && t <= e);
                if !in_outage && down.iter().any(|&(b, e)| b <= t && t <= e) {
                    hit("a push refused by a restarting Kuma");
                }
            }
            ("cron", "run") => {
                let slot = syncsim::time::Instant::parse_rfc3339(l["slot"].as_str().unwrap()).unwrap().as_ms();
                if l["fate"] == "crashed" {
                    hit("a stuck job");
                }
                if previous_slot.is_some_and(|p| slot > p + i64::from(g.cron.frequency_s) * 1000) {
                    hit("a missed slot skipped");
                }
                previous_slot = Some(slot);
            }
            ("webhook", "delivery") if l["copy"] == true => hit("a duplicate webhook"),
            ("api", "call") | ("heartbeat", "push") => {
                let key = format!("{}{}", l["caller"], l["job"]);
                if last_429.get(&key).is_some_and(|&at| l["attempt"].as_u64() > Some(1) && t >= at + RETRY_AFTER_MS) {
                    hit("a 429 honoured");
                }
                if l["status"] == 429 && l["next"] == "retry" {
                    last_429.insert(key, t);
                } else {
                    last_429.remove(&key);
                }
            }
            ("erp", "recorded") if l["path"] == "job" => hit("a payment recorded by the job"),
            ("erp", "revoke") if l["outcome"] == "revoked" => hit("a link revoked"),
            ("bridge", "request") if l["status"] == "PDNG" => hit("a payment pending (PDNG) at the bank"),
            _ => {}
        }
    }
    // A forged delivery's answer is not in the trace: the report counts every 401; without a
    // rotation, the only ones not traced as regular deliveries are the forged ones.
    let traced_401 = lines.iter().filter(|l| is(l, "webhook", "delivery") && l["receiver"] == "bad_signature").count() as u64;
    let w = &payments(report).webhooks;
    if g.pay.rotation.is_none() && w.forged_sent > 0 && w.rejected_signature > traced_401 {
        hit("a forged webhook rejected");
    }
    // A silence that the plain deadline says must hold a DOWN, excused by a maintenance window.
    let ups: Vec<i64> = lines.iter().filter(|l| is(l, "kuma", "beat") && l["status"] == "UP").map(ms).collect();
    let downs: Vec<i64> = lines.iter().filter(|l| is(l, "kuma", "notification") && l["notification"] == "down").map(ms).collect();
    for w in ups.windows(2) {
        let (u0, u1) = (w[0], w[1]);
        let no_down = !downs.iter().any(|&d| d > u0 && d <= u0 + deadline);
        if u1 - u0 > deadline && no_down {
            if maintenance.iter().any(|&(b, e)| b < u0 + deadline && e > u0) {
                hit("a maintenance window that swallowed a gap");
            }
            if down.iter().any(|&(b, e)| b < u0 + deadline && e > u0) || g.kuma_starts().iter().any(|&s| s > u0 && s < u0 + deadline) {
                hit("a Kuma restart that postponed a DOWN");
            }
        }
    }
}

/// "Sometimes" assertions: over a fixed sample of the combined generator, every situation the
/// properties are about happens at least once, so a generator that stops producing one makes
/// this fail instead of letting the properties pass vacuously.
#[test]
fn the_combined_generator_reaches_every_situation_the_properties_are_about() {
    use proptest::strategy::ValueTree;
    let mut runner = support::properties::coverage_runner();
    let mut seen: BTreeMap<&'static str, u64> = BTreeMap::new();
    for _ in 0..SAMPLE {
        let g = any_system().new_tree(&mut runner).unwrap().current();
        let (report, lines) = support::report_and_trace(&scenario_text(&g));
        reached(&g, &report, &lines, &mut seen);
    }
    println!("reached over {SAMPLE} cases: {seen:#?}");
    for case in [
        "rule B",
        "rule D-first",
        "rule D-backoff",
        "a second wrongpass in a row",
        "a rateLimiting answer",
        "a user action",
        "a PENDING that recovers",
        "a DOWN notification",
        "a failure right after maintenance",
        "a maintenance window that swallowed a gap",
        "a push refused by a restarting Kuma",
        "a Kuma restart that postponed a DOWN",
        "a stuck job",
        "a missed slot skipped",
        "a duplicate webhook",
        "a forged webhook rejected",
        "a 429 honoured",
        "a payment recorded by the job",
        "a link revoked",
        "a payment pending (PDNG) at the bank",
    ] {
        assert!(seen.get(case).copied().unwrap_or(0) > 0, "never reached: {case}; reached: {seen:?}");
    }
}

const SAMPLE: usize = 40;

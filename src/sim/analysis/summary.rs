//! The plain-words verdict at the top of every report: three to five sentences that say what
//! happened, what it means and what to change, with a concrete number. Written for the people
//! who act on a report (operators, QA), from the report's figures alone, so it is as
//! deterministic as the report.

use crate::sim::analysis::report::{ExpectationResult, MonitorFigures, Report, VariantReport};

/// A whole number with a thin space between thousands ("3 841"), as the reports print counts.
pub fn int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("−{out}") } else { out }
}

/// A ratio at a precision a reader can use: 3 significant figures, never more than 1 decimal
/// above 10 ("3 235", "18.5", "2.59").
pub fn ratio(x: f64) -> String {
    if x >= 100.0 {
        int(x.round() as i64)
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// A duration in seconds, in the unit a person would say it in.
pub fn duration_s(s: i64) -> String {
    let a = s.abs();
    if a < 120 {
        format!("{s} s")
    } else if a < 7200 {
        format!("{} min", (s as f64 / 60.0).round() as i64)
    } else if a < 3 * 86_400 {
        format!("{:.1} h", s as f64 / 3600.0)
    } else {
        format!("{:.1} days", s as f64 / 86_400.0)
    }
}

/// A figure as people read it: integers without ".0", others at 4 significant decimals at most.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `expected ttd_down_max_s <= 300, measured 412 (112 above the bound)`.
pub fn expectation_text(e: &ExpectationResult) -> String {
    let measured = match e.actual {
        None => "measured nothing: the figure is not a number in this report".to_string(),
        Some(a) => {
            let gap = a - e.bound;
            let how = if gap > 0.0 {
                format!(" ({} above the bound)", number(gap))
            } else if gap < 0.0 {
                format!(" ({} below the bound)", number(-gap))
            } else {
                String::new()
            };
            format!("measured {}{how}", number(a))
        }
    };
    format!("expected {} {} {}, {measured}", e.metric, e.op, number(e.bound))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{} {many}", int(n as i64)) }
}

fn times(n: u64) -> String {
    match n {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{} times", int(n as i64)),
    }
}

/// A scenario's duration as written ("14d", "36h") in words ("14 days", "36 hours").
fn span(duration: &str) -> String {
    let (digits, unit) = duration.split_at(duration.find(|c: char| !c.is_ascii_digit()).unwrap_or(duration.len()));
    let name = match unit {
        "d" => "day",
        "h" => "hour",
        "m" => "minute",
        _ => return duration.to_string(),
    };
    if digits == "1" { format!("1 {name}") } else { format!("{digits} {name}s") }
}

/// Whether the report shows something a person should act on, whatever its expectations say
/// (a scenario written to show a problem passes when the problem shows).
pub fn needs_attention(report: &Report) -> bool {
    !report.passed
        || report.variants.iter().any(|v| {
            v.monitors.values().any(|m| m.false_alerts > 0 || m.missed > 0)
                || v.payments.as_ref().is_some_and(|p| p.unrecovered_at_end > 0 || p.double_records > 0 || p.recorded_not_paid > 0)
                || v.sync.overall.rate_limited > 0
        })
}

/// The sentences, in order. Never empty.
pub fn sentences(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let monitors: Vec<(&VariantReport, &String, &MonitorFigures)> =
        report.variants.iter().flat_map(|v| v.monitors.iter().map(move |(id, m)| (v, id, m))).collect();
    let many = report.variants.len() > 1;
    let tag = |v: &VariantReport| if many { format!(" (variant {})", v.name) } else { String::new() };
    if let Some((v, id, m)) = monitors.iter().find(|(_, _, m)| m.false_alerts > 0).copied() {
        out.extend(false_alerts(report, id, m, &tag(v)));
    } else if let Some((v, id, m)) = monitors.iter().find(|(_, _, m)| m.missed > 0).copied() {
        out.extend(missed(id, m, &tag(v)));
    } else if let Some((v, id, m)) = monitors.iter().filter(|(_, _, m)| m.incidents > 0).max_by_key(|(_, _, m)| m.ttd_down_max_s).copied() {
        out.extend(detected(id, m, &tag(v)));
    } else if let Some((_, id, m)) = monitors.first().copied() {
        out.push(format!(
            "The job behind monitor `{id}` never failed and Kuma sent no alert: {} pushes arrived, each gap between them at least {} inside the alert window.",
            int(m.pushes_delivered as i64),
            duration_s(m.min_slack_s)
        ));
    }
    if report.variants.iter().any(|v| v.payments.is_some()) {
        out.extend(payments(report));
    }
    if report.variants.iter().any(|v| v.sync.connections > 0) {
        out.extend(sync(report));
    }
    out.push(expectations(report));
    out
}

/// Kuma's alert window before a DOWN, in words, with its parts defined (I, N, R): Kuma 2's push
/// monitor is healthy while the last push is at most `I s + 1 s` old, then retries N times R apart.
fn window_words(m: &MonitorFigures) -> String {
    let retry = if m.retry_interval_s > 0 { m.retry_interval_s } else { m.interval_s };
    if m.max_retries == 0 {
        format!(
            "Kuma's alert window of {} s (the monitor's interval I = {} s, plus 1 s, no retry)",
            int(m.interval_s as i64 + 1),
            int(m.interval_s as i64)
        )
    } else {
        format!(
            "Kuma's alert window of {} s (the monitor's interval I = {} s, plus 1 s, plus N = {} R = {} s apart)",
            int((m.interval_s + 1 + m.max_retries * retry) as i64),
            int(m.interval_s as i64),
            plural(m.max_retries, "retry", "retries"),
            int(retry as i64)
        )
    }
}

fn false_alerts(report: &Report, id: &str, m: &MonitorFigures, tag: &str) -> Vec<String> {
    let longest_gap = m.interval_s as i64 + 1 - m.min_slack_s;
    let mut out = vec![format!(
        "Over {}{tag}, Kuma sent {} for monitor `{id}` while nothing was wrong (false alerts: DOWN notifications while the job was working).",
        span(&report.duration),
        plural(m.false_alerts, "DOWN alert", "DOWN alerts")
    )];
    // With no incident, the shortest slack comes from a slow but successful run (with incidents it
    // is the incident's own gap, which says nothing about the settings).
    if m.min_slack_s < 0 && m.incidents == 0 {
        // What to add to the window: the excess rounded up to whole minutes, plus a minute's margin.
        let excess = -m.min_slack_s;
        let extra = (excess + 59) / 60 * 60 + 60;
        out.push(format!(
            "The longest gap between two successful pushes was {} s, longer than {}: a run pushed late, or a run was skipped.",
            int(longest_gap),
            window_words(m)
        ));
        let interval = m.interval_s as i64 + extra;
        let in_words = if interval >= 7200 { format!(" ({})", duration_s(interval)) } else { String::new() };
        // Retries 60 s apart only make sense for a short excess; beyond ten, name the interval alone.
        let retries = if extra / 60 <= 10 {
            format!(", or keep it and set {} with a retry interval of 60 s", plural((extra / 60) as u64, "retry", "retries"))
        } else {
            String::new()
        };
        out.push(format!(
            "Alerts that cry wolf teach the team to ignore the monitor; raise the monitor's interval to {} s{in_words}{retries}.",
            int(interval),
        ));
    } else if m.min_slack_s >= 0 {
        out.push(format!(
            "Every gap between successful pushes fitted {}, so these alerts come from Kuma itself (a restart, or a maintenance window ending), not from the job.",
            window_words(m)
        ));
    } else {
        out.push(format!(
            "Besides the job's real failures, some pushes came later than {} allows; `syncsim advise` on this scenario replays the job under other settings and names the ones without false alerts.",
            window_words(m)
        ));
    }
    out
}

fn missed(id: &str, m: &MonitorFigures, tag: &str) -> Vec<String> {
    vec![
        format!(
            "The job behind monitor `{id}` failed {}{tag} and Kuma reported {}: {} ended with no DOWN notification.",
            times(m.incidents),
            if m.detected == 0 { "none".to_string() } else { format!("{} of those incidents", m.detected) },
            plural(m.missed, "incident", "incidents")
        ),
        format!(
            "The job was really down for {} in total (an incident runs from the first run that did not push successfully to the next push that did), yet Kuma counted {} of downtime: the team never heard of it.",
            duration_s(m.true_downtime_minutes as i64 * 60),
            duration_s(m.kuma_down_minutes as i64 * 60)
        ),
        format!(
            "Kuma alerts only when no push came within {}, and each restart of Kuma starts that wait again: keep Kuma from restarting more often than every {} s, or shorten the window below the incidents' length.",
            window_words(m),
            int(m.interval_s as i64)
        ),
    ]
}

fn detected(id: &str, m: &MonitorFigures, tag: &str) -> Vec<String> {
    let mut out = vec![format!(
        "The job behind monitor `{id}` failed {}{tag}; Kuma reported every incident, at worst {} after it started (median {}), with no false alert.",
        times(m.incidents),
        duration_s(m.ttd_down_max_s),
        m.ttd_down_median_s.map_or_else(|| "—".to_string(), duration_s)
    )];
    // The smallest interval that still covers every gap measured, with a minute's margin.
    let tight = (m.interval_s as i64 - m.min_slack_s + 59) / 60 * 60 + 60;
    if m.min_slack_s >= 120 && tight < m.interval_s as i64 {
        out.push(format!(
            "The time to detect (TTD, from the incident's start to Kuma's DOWN) is bounded by {}; every gap between pushes left at least {} to spare, so an interval of {} s would still raise no false alert and warn {} sooner.",
            window_words(m),
            duration_s(m.min_slack_s),
            int(tight),
            duration_s(m.interval_s as i64 - tight)
        ));
    } else {
        out.push(format!(
            "The time to detect (TTD, from the incident's start to Kuma's DOWN) is bounded by {}: the settings fit the job, nothing to change.",
            window_words(m)
        ));
    }
    out
}

fn payments(report: &Report) -> Vec<String> {
    let vs: Vec<(&str, &crate::sim::analysis::payments::PaymentFigures)> =
        report.variants.iter().filter_map(|v| v.payments.as_ref().map(|p| (v.name.as_str(), p))).collect();
    let mut out = Vec::new();
    for (name, p) in &vs {
        let tag = if vs.len() > 1 { format!("With `{name}`, ") } else { String::new() };
        out.push(format!(
            "{tag}Bridge took {} payments; the ERP recorded {} from the webhook and {} by its recovery job, {} were still unrecorded at the end and {} recorded twice.",
            int(p.paid_at_bridge as i64),
            int(p.recorded_by_webhook as i64),
            int(p.recorded_by_job as i64),
            int(p.unrecovered_at_end as i64),
            int(p.double_records as i64)
        ));
    }
    let worst = vs.iter().max_by(|a, b| a.1.recovery_delay.job.p95_s.total_cmp(&b.1.recovery_delay.job.p95_s));
    let best = vs.iter().min_by(|a, b| a.1.recovery_delay.job.p95_s.total_cmp(&b.1.recovery_delay.job.p95_s));
    if let (Some(w), Some(b)) = (worst, best) {
        if vs.len() > 1 && w.0 != b.0 {
            out.push(format!(
                "A payment whose webhook was lost waits for the recovery job: 95 % of those were recorded within {} with `{}`, within {} with `{}`; choose by how long a customer may wait.",
                duration_s(b.1.recovery_delay.job.p95_s.round() as i64),
                b.0,
                duration_s(w.1.recovery_delay.job.p95_s.round() as i64),
                w.0
            ));
        } else if b.1.double_records > 0 || b.1.recorded_not_paid > 0 {
            out.push("A payment recorded twice, or recorded while Bridge does not hold it as paid, is a bug in the ERP's receiver or recovery job: fix it before anything else.".to_string());
        } else if b.1.recovery_delay.job.count > 0 {
            out.push(format!(
                "Payments whose webhook was lost waited for the recovery job: 95 % of them were recorded within {}; run the job more often to shorten that wait.",
                duration_s(b.1.recovery_delay.job.p95_s.round() as i64)
            ));
        }
    }
    out
}

fn sync(report: &Report) -> Vec<String> {
    let vs: Vec<&VariantReport> = report.variants.iter().filter(|v| v.sync.connections > 0).collect();
    let mut out = Vec::new();
    let by_peak = |a: &&&VariantReport, b: &&&VariantReport| a.sync.overall.peak_to_mean.total_cmp(&b.sync.overall.peak_to_mean);
    let (Some(flat), Some(steep)) = (vs.iter().min_by(by_peak), vs.iter().max_by(by_peak)) else { return out };
    if vs.len() == 1 {
        let s = &flat.sync;
        out.push(format!(
            "{} made {} sync attempts; the busiest minute had {} attempts, {} times the average minute, and {}.",
            plural(s.connections, "bank connection", "bank connections"),
            int(s.attempts as i64),
            int(s.overall.peak_per_minute as i64),
            ratio(s.overall.peak_to_mean),
            if s.overall.rate_limited == 0 {
                "no bank refused a sync as over its limit (rateLimiting)".to_string()
            } else {
                format!("{} were refused by a bank as over its limit (rateLimiting)", plural(s.overall.rate_limited, "attempt", "attempts"))
            }
        ));
        out.push(format!(
            "95 % of the time a connection's data was at most {} old (the time since its last successful sync){}.",
            duration_s(s.freshness.p95_minutes as i64 * 60),
            if s.waiting_for_user.still_waiting_at_end > 0 {
                format!(
                    ", and {} connections were still waiting for their user to act at the end",
                    int(s.waiting_for_user.still_waiting_at_end as i64)
                )
            } else {
                String::new()
            }
        ));
        if s.overall.rate_limited > 0 {
            out.push("Banks refused syncs as over their limit: spread the syncs over the day (a random offset per connection) or lower the number of attempts per minute the scheduler sends to each bank.".to_string());
        } else if s.overall.peak_to_mean > 10.0 {
            out.push(format!(
                "A peak {} times the mean means syncs arrive in bursts; spreading them with a random offset per connection flattens the load without making the data older.",
                ratio(s.overall.peak_to_mean)
            ));
        } else {
            out.push("No bank refused a sync and the load has no burst worth flattening: nothing to change in the scheduling.".to_string());
        }
    } else {
        let refusals = |v: &&VariantReport| v.sync.overall.rate_limited;
        let (lo, hi) = (vs.iter().map(refusals).min().unwrap_or(0), vs.iter().map(refusals).max().unwrap_or(0));
        let refused = if hi == 0 {
            "no bank refused a sync as over its limit (rateLimiting)".to_string()
        } else {
            format!("banks refused between {} and {} syncs as over their limit (rateLimiting)", int(lo as i64), int(hi as i64))
        };
        out.push(format!(
            "{} variants were replayed on {}: the busiest minute ranged from {} times the average minute (`{}`) to {} times (`{}`), and {refused}.",
            vs.len(),
            plural(flat.sync.connections, "bank connection", "bank connections"),
            ratio(flat.sync.overall.peak_to_mean),
            flat.name,
            ratio(steep.sync.overall.peak_to_mean),
            steep.name,
        ));
        let by_fresh = |a: &&&VariantReport, b: &&&VariantReport| a.sync.freshness.p95_minutes.cmp(&b.sync.freshness.p95_minutes);
        let (fresh, stale) = (vs.iter().min_by(by_fresh).copied().unwrap_or(flat), vs.iter().max_by(by_fresh).copied().unwrap_or(steep));
        // A variant is worth naming as the one to avoid only when it is at least twice as peaky.
        if steep.sync.overall.peak_to_mean >= 2.0 * flat.sync.overall.peak_to_mean
            && steep.sync.overall.peak_per_minute > flat.sync.overall.peak_per_minute
        {
            out.push(format!(
                "A flat load keeps each bank under its limit: `{}` is the flattest here, with data at most {} old 95 % of the time, against {} for `{}`.",
                flat.name,
                duration_s(flat.sync.freshness.p95_minutes as i64 * 60),
                duration_s(steep.sync.freshness.p95_minutes as i64 * 60),
                steep.name
            ));
            out.push(format!(
                "Avoid `{}`; `{}` keeps the peak at {} attempts a minute against {} (with it, {:.0} % of connections sync at the same hour on two days running: prefer another variant if banks must not see a daily pattern).",
                steep.name,
                flat.name,
                int(flat.sync.overall.peak_per_minute as i64),
                int(steep.sync.overall.peak_per_minute as i64),
                flat.sync.same_hour_share * 100.0
            ));
        } else {
            out.push(format!(
                "The variants load the banks alike; they differ in freshness: data at most {} old 95 % of the time with `{}`, {} with `{}`, the figure to choose by here.",
                duration_s(fresh.sync.freshness.p95_minutes as i64 * 60),
                fresh.name,
                duration_s(stale.sync.freshness.p95_minutes as i64 * 60),
                stale.name
            ));
        }
    }
    out
}

fn expectations(report: &Report) -> String {
    let total = report.expectations.len();
    let failed: Vec<_> = report.expectations.iter().filter(|e| !e.passed).collect();
    match failed.first() {
        None if total == 0 => "The scenario states no expectation, so it cannot fail.".to_string(),
        None => format!(
            "All {} the scenario states hold (they describe what this scenario is meant to show, which may be a problem, not that all is well).",
            plural(total as u64, "expectation", "expectations")
        ),
        Some(e) => format!(
            "{} of {total} expectations failed, first `{}`{}: {}.",
            failed.len(),
            e.metric,
            if report.variants.len() > 1 { format!(" in variant {}", e.variant) } else { String::new() },
            expectation_text(e)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_drop_a_trailing_zero_fraction_and_keep_four_decimals_at_most() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.3333");
        assert_eq!(number(-76.0), "-76");
    }

    #[test]
    fn thousands_are_grouped_and_negatives_use_a_minus_sign() {
        assert_eq!(int(3841), "3\u{202f}841");
        assert_eq!(int(-76), "−76");
        assert_eq!(int(100), "100");
    }

    #[test]
    fn ratios_carry_three_significant_figures_at_most() {
        assert_eq!(ratio(3235.3247), "3\u{202f}235");
        assert_eq!(ratio(18.474), "18.5");
        assert_eq!(ratio(2.592), "2.59");
    }

    #[test]
    fn a_false_alert_from_a_slow_run_gives_a_new_interval_that_covers_the_gap_plus_a_minute() {
        let m = MonitorFigures { interval_s: 3720, false_alerts: 22, min_slack_s: -76, ..Default::default() };
        let s = false_alerts(&Report { duration: "14d".into(), ..empty() }, "bridge", &m, "");
        // Gap 3797 s exceeds 3721 s by 76 s: 2 minutes rounded up, plus one, is 180 s.
        assert!(s[2].contains("raise the monitor's interval to 3\u{202f}900 s, or keep it and set 3 retries"), "{}", s[2]);
    }

    fn empty() -> Report {
        Report {
            scenario: String::new(),
            passed: true,
            expectations: vec![],
            description: String::new(),
            seed: 0,
            start: String::new(),
            end: String::new(),
            time_zone: String::new(),
            duration: String::new(),
            connections: 0,
            syncsim_version: String::new(),
            variants: vec![],
        }
    }

    #[test]
    fn durations_as_written_become_words() {
        assert_eq!(span("14d"), "14 days");
        assert_eq!(span("1h"), "1 hour");
        assert_eq!(span("2d3h"), "2d3h");
    }

    #[test]
    fn a_report_always_gets_at_least_one_sentence() {
        assert_eq!(sentences(&empty()), vec!["The scenario states no expectation, so it cannot fail.".to_string()]);
    }
}

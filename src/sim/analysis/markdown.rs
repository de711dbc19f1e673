//! The Markdown rendering of a report, for people: expectations first, then the variants side by
//! side, the plots, and the details of each variant.

use std::fmt::Write;

use crate::sim::analysis::report::{Report, VariantReport};

fn hours(minutes: u64) -> String {
    if minutes < 120 { format!("{minutes} min") } else { format!("{:.1} h", minutes as f64 / 60.0) }
}

/// The verdict alone: the title, the plain-words summary and the expectations, what a CI job summary shows.
pub fn verdict(report: &Report) -> String {
    let mut md = title(report);
    md.push_str(&expectations(report));
    md
}

/// The title, then the verdict in plain words (`summary`): what happened, what it means, what to change.
fn title(report: &Report) -> String {
    let verdict = match (report.passed, crate::sim::analysis::summary::needs_attention(report)) {
        (false, _) => "FAILED",
        (true, true) => "PASSED, with a problem to act on",
        (true, false) => "PASSED",
    };
    let mut md = format!("# {} — {verdict}\n\n", report.scenario);
    for s in crate::sim::analysis::summary::sentences(report) {
        let _ = writeln!(md, "> {s}");
    }
    md.push('\n');
    md
}

fn expectations(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## Expectations\n");
    if report.expectations.is_empty() {
        let _ = writeln!(md, "None.\n");
    } else {
        let _ = writeln!(md, "| | variant | figure | expected | actual |\n|---|---|---|---|---|");
        for e in &report.expectations {
            let actual = e.actual.map(crate::sim::analysis::summary::number).unwrap_or_else(|| "not a number".into());
            let _ = writeln!(
                md,
                "| {} | {} | `{}` | {} {} | {} |",
                if e.passed { "pass" } else { "**FAIL**" },
                e.variant,
                e.metric,
                e.op,
                crate::sim::analysis::summary::number(e.bound),
                actual
            );
        }
        md.push('\n');
    }
    md
}

pub fn markdown(report: &Report, plot_files: &[String]) -> String {
    let mut md = title(report);
    if !report.description.is_empty() {
        let _ = writeln!(md, "{}\n", report.description);
    }
    let _ = writeln!(
        md,
        "Seed {} · {} → {} ({}) · {} · {} connections · syncsim {}\n",
        report.seed, report.start, report.end, report.duration, report.time_zone, report.connections, report.syncsim_version
    );
    md.push_str(&expectations(report));

    let has_sync = report.variants.iter().any(|v| v.sync.connections > 0);
    let has_jobs = report.variants.iter().any(|v| !v.jobs.is_empty() || !v.monitors.is_empty());
    if has_jobs {
        for v in &report.variants {
            jobs_section(&mut md, v, report.variants.len() > 1);
        }
    }
    if report.variants.iter().any(|v| v.payments.is_some()) {
        payments_section(&mut md, &report.variants);
    }
    if !has_sync {
        for f in plot_files {
            let _ = writeln!(md, "![{f}]({f})\n");
        }
        return md;
    }
    let _ = writeln!(md, "## Sync spreading, side by side\n");
    let _ = writeln!(
        md,
        "| variant | spreading | backoff | attempts | peak / min | mean / min | peak ÷ mean | rateLimiting | freshness p50 | p95 | max | same hour next day | attempts / conn / day | waiting for user |"
    );
    let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for v in &report.variants {
        let s = &v.sync;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1}% | {} | {} |",
            v.name,
            v.spreading,
            v.backoff,
            s.overall.attempts,
            s.overall.peak_per_minute,
            s.overall.mean_per_minute,
            s.overall.peak_to_mean,
            s.overall.rate_limited,
            hours(s.freshness.p50_minutes),
            hours(s.freshness.p95_minutes),
            hours(s.freshness.max_minutes),
            s.same_hour_share * 100.0,
            s.attempts_per_connection_per_day,
            s.waiting_for_user.still_waiting_at_end,
        );
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "Peak ÷ mean is 1 for a perfectly flat load; \"same hour next day\" is the share of connections whose first successful sync fell in the same local hour on two consecutive days (lower is better: a bank may read a sync at the same hour every day as a robot). Load figures exclude the warm-up.\n"
    );
    for f in plot_files {
        let _ = writeln!(md, "![{f}]({f})\n");
    }

    for v in &report.variants {
        variant_section(&mut md, v);
    }
    md
}

fn secs(s: i64) -> String {
    if s.abs() < 120 {
        format!("{s} s")
    } else if s.abs() < 7200 {
        format!("{:.1} min", s as f64 / 60.0)
    } else {
        format!("{:.1} h", s as f64 / 3600.0)
    }
}

/// An empty figure (a median of nothing) is "—", never "0 s".
fn secs_or_dash(s: Option<i64>) -> String {
    s.map_or_else(|| "—".to_string(), secs)
}

fn delays(d: &crate::sim::analysis::payments::DelayFigures) -> String {
    if d.count == 0 {
        return "—".into();
    }
    let f = |x: f64| secs(x.round() as i64);
    format!("{} / {} / {}", f(d.p50_s), f(d.p95_s), f(d.max_s))
}

fn counts(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "—".into();
    }
    m.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")
}

/// SPEC 4.3, one column per variant.
fn payments_section(md: &mut String, variants: &[VariantReport]) {
    let vs: Vec<(&str, &crate::sim::analysis::payments::PaymentFigures)> =
        variants.iter().filter_map(|v| v.payments.as_ref().map(|p| (v.name.as_str(), p))).collect();
    let _ = writeln!(md, "## Missed-payment recovery\n");
    let _ = writeln!(md, "| | {} |", vs.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(md, "|---|{}", "---:|".repeat(vs.len()));
    let row = |md: &mut String, label: &str, f: &dyn Fn(&crate::sim::analysis::payments::PaymentFigures) -> String| {
        let _ = writeln!(md, "| {label} | {} |", vs.iter().map(|(_, p)| f(p)).collect::<Vec<_>>().join(" | "));
    };
    row(md, "invoices (links created / not created)", &|p| format!("{} ({} / {})", p.invoices, p.links.created, p.links.not_created));
    row(md, "invoices paid at Bridge", &|p| p.invoices_paid.to_string());
    row(md, "**paid at Bridge (ACSC)**", &|p| p.paid_at_bridge.to_string());
    row(md, "recorded by webhook / by the job", &|p| format!("{} / {}", p.recorded_by_webhook, p.recorded_by_job));
    row(md, "**unrecovered at the end** (after a successful run: must be 0)", &|p| {
        format!("{} ({})", p.unrecovered_at_end, p.unrecovered_despite_a_run)
    });
    row(md, "**double records** (must be 0)", &|p| p.double_records.to_string());
    row(md, "recorded but not ACSC at Bridge (must be 0)", &|p| p.recorded_not_paid.to_string());
    row(md, "recovery delay p50 / p95 / max, all", &|p| delays(&p.recovery_delay.all));
    row(md, "… by webhook", &|p| delays(&p.recovery_delay.webhook));
    row(md, "… by the job", &|p| delays(&p.recovery_delay.job));
    row(md, "rejected at Bridge (RJCT); completed links rejected after confirmation", &|p| {
        format!("{}; {}", p.rejected_at_bridge, p.links.completed_with_rejection)
    });
    row(md, "… found by the job (a new link needed); new links created", &|p| {
        format!("{}; {}", p.links.rejected_after_completion, p.links.replacements)
    });
    row(md, "payer attempts (refused)", &|p| format!("{} ({})", p.payer_attempts, counts(&p.payer_refused)));
    row(md, "webhook events / lost / duplicated", &|p| format!("{} / {} / {}", p.webhooks.events, p.webhooks.lost, p.webhooks.duplicated));
    row(md, "deliveries / attempts / given up", &|p| {
        format!("{} / {} / {}", p.webhooks.deliveries, p.webhooks.attempts, p.webhooks.given_up)
    });
    row(md, "delivery answers", &|p| {
        let mut c = p.webhooks.answers.clone();
        if p.webhooks.refused > 0 {
            c.insert("refused".into(), p.webhooks.refused);
        }
        if p.webhooks.timed_out > 0 {
            c.insert("timed out".into(), p.webhooks.timed_out);
        }
        counts(&c)
    });
    row(md, "receiver outcomes", &|p| counts(&p.webhooks.receiver));
    row(md, "forged sent; rejected for their signature (401); replayed sent", &|p| {
        format!("{}; {}; {}", p.webhooks.forged_sent, p.webhooks.rejected_signature, p.webhooks.replayed_sent)
    });
    row(md, "links completed / expired / revoked / archived", &|p| {
        format!("{} / {} / {} / {}", p.links.completed, p.links.expired, p.links.revoked, p.links.archived)
    });
    row(md, "revoked links whose payer abandoned at the bank", &|p| p.links.revoked_after_abandon.to_string());
    row(md, "revocation lateness p50 / p95 / max (early: must be 0)", &|p| {
        format!("{} ({})", delays(&p.links.revoke_lateness), p.links.revoked_early)
    });
    row(md, "API attempts; answers", &|p| format!("{}; {}", p.api.attempts, counts(&p.api.answers)));
    row(md, "API 429 / refused / timed out / given up", &|p| {
        format!("{} / {} / {} / {}", p.api.rate_limited, p.api.refused, p.api.timed_out, p.api.given_up)
    });
    row(md, "recovery runs (in error); calls per run mean / max", &|p| {
        format!("{} ({}); {} / {}", p.api.recovery_runs, p.api.recovery_runs_in_error, p.api.calls_per_run_mean, p.api.calls_per_run_max)
    });
    md.push('\n');
    let _ = writeln!(
        md,
        "Recovery delay runs from `ACSC` at Bridge to the ERP's record. Every paid invoice, when it was found and by which path: `payments.csv`. The story of one payment: `grep <payment_request_id> trace.jsonl` (see docs/trace.md).\n"
    );
}

fn jobs_section(md: &mut String, v: &VariantReport, named: bool) {
    let suffix = if named { format!(" (`{}`)", v.name) } else { String::new() };
    if !v.jobs.is_empty() {
        let _ = writeln!(md, "## Scheduled jobs{suffix}\n");
        let _ = writeln!(
            md,
            "| job | frequency | runs | ok | error | crashed | killed (600 s) | avg duration | next run | health at end | normal / attention / problem |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|");
        for (id, j) in &v.jobs {
            let _ = writeln!(
                md,
                "| {id} {} | {} | {} | {} | {} | {} | {} | {} | {} | {}{} | {} / {} / {} min |",
                j.label,
                j.frequency,
                j.runs,
                j.successes,
                j.errors,
                j.crashed,
                j.killed_by_time_limit,
                secs(crate::sim::analysis::round::whole_seconds(crate::time::Duration::from_ms(j.average_duration_ms as i64))),
                j.next_run,
                j.health_at_end,
                if j.stuck_at_end { " (stuck)" } else { "" },
                j.normal_minutes,
                j.attention_minutes,
                j.problem_minutes
            );
        }
        md.push('\n');
    }
    if !v.monitors.is_empty() {
        let _ = writeln!(md, "## Alert timing{suffix}\n");
        let _ = writeln!(
            md,
            "| monitor | job | I / N / R | incidents | detected | missed | false alerts | time to DOWN (median / max) | first PENDING (median) | min slack | true / Kuma downtime | notifications down / up / reminder |"
        );
        let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---|---|---:|---|---|");
        for (id, m) in &v.monitors {
            let _ = writeln!(
                md,
                "| {id} | {} | {} s / {} / {} s | {} | {} | {} | {} | {} / {} | {} | {} | {} / {} min | {} / {} / {} |",
                m.job,
                m.interval_s,
                m.max_retries,
                m.retry_interval_s,
                m.incidents,
                m.detected,
                m.missed,
                m.false_alerts,
                secs_or_dash(m.ttd_down_median_s),
                secs(m.ttd_down_max_s),
                secs_or_dash(m.first_pending_median_s),
                secs(m.min_slack_s),
                m.true_downtime_minutes,
                m.kuma_down_minutes,
                m.notifications_down,
                m.notifications_up,
                m.notifications_reminder
            );
        }
        md.push('\n');
        for (id, m) in &v.monitors {
            if m.incident_list.is_empty() {
                continue;
            }
            let _ = writeln!(md, "Incidents of `{id}` (ground truth) and when Kuma told:\n");
            let _ = writeln!(md, "| start | end | first PENDING after | DOWN notification after |\n|---|---|---|---|");
            for i in &m.incident_list {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} |",
                    i.start,
                    i.end.as_deref().unwrap_or("still open"),
                    i.first_pending_after_s.map(secs).unwrap_or_else(|| "—".into()),
                    i.down_notification_after_s.map(secs).unwrap_or_else(|| "never (missed)".into())
                );
            }
            md.push('\n');
        }
        let _ = writeln!(md, "Pushes on the wire (fault plan `kuma_push`, Kuma restarts):\n");
        let _ = writeln!(md, "| monitor | attempts | answered | refused | timed out | given up (lost) |\n|---|---:|---|---:|---:|---:|");
        for (id, m) in &v.monitors {
            let answers: Vec<String> = m.push_answers.iter().map(|(c, n)| format!("{c}: {n}")).collect();
            let _ = writeln!(
                md,
                "| {id} | {} | {} | {} | {} | {} |",
                m.push_attempts,
                if answers.is_empty() { "—".to_string() } else { answers.join(", ") },
                m.push_refused,
                m.push_timed_out,
                m.pushes_given_up
            );
        }
        md.push('\n');
        healthchecks_section(md, v);
        let _ = writeln!(
            md,
            "I / N / R are the monitor's interval, its number of retries and the retry interval: Kuma sends DOWN when no push came for I + 1 s and N retries R apart. Time to DOWN (TTD) is measured from the incident's start (the scheduled time of the first run without a successful, delivered push). A false alert is a DOWN notification while no incident is open (for example a late but successful run). Slack is `I + 1 s − gap` between successful pushes: negative means a gap beyond the window.\n"
        );
    }
}

/// Kuma beside the Healthchecks checks on the same runs, with each check's settings and why.
fn healthchecks_section(md: &mut String, v: &VariantReport) {
    let _ = writeln!(md, "The same runs judged by Healthchecks checks (`world::healthchecks`; settings and why below the table):\n");
    let _ = writeln!(
        md,
        "| monitor | check | settings | alerts | detected | missed | false alerts | time to alert (median / max) |\n|---|---|---|---:|---:|---:|---:|---|"
    );
    for (id, m) in &v.monitors {
        let _ = writeln!(
            md,
            "| {id} | Kuma push (as configured) | I {} s, {} | {} | {} | {} | {} | {} / {} |",
            m.interval_s,
            match (m.max_retries, m.retry_interval_s) {
                (0, _) => "no retries".to_string(),
                (n, 0) => format!("{n} retries every I"),
                (n, r) => format!("{n} retries every {r} s"),
            },
            m.notifications_down,
            m.detected,
            m.missed,
            m.false_alerts,
            secs_or_dash(m.ttd_down_median_s),
            secs(m.ttd_down_max_s)
        );
        if m.job.is_empty() {
            let _ = writeln!(md, "| {id} | Healthchecks | no job pushes to this monitor | — | — | — | — | — |");
            continue;
        }
        for (name, b) in healthchecks_rows(m) {
            if let Some(reason) = &b.not_applicable {
                let _ = writeln!(md, "| {id} | {name} | no cron expression: {reason} | — | — | — | — | — |");
                continue;
            }
            let _ = writeln!(
                md,
                "| {id} | {name} | {} | {} | {} | {} | {} | {} / {} |",
                baseline_settings(b),
                b.alerts,
                b.detected,
                b.missed,
                b.false_alerts,
                secs_or_dash(b.ttd_median_s),
                secs(b.ttd_max_s)
            );
        }
    }
    md.push('\n');
    for (id, m) in &v.monitors {
        if m.job.is_empty() {
            continue;
        }
        let _ = writeln!(md, "Why these settings for `{id}`:\n");
        for (name, b) in healthchecks_rows(m) {
            if b.not_applicable.is_none() {
                let _ = writeln!(md, "- {name}: {}", b.why);
            }
        }
        md.push('\n');
    }
}

fn healthchecks_rows(
    m: &crate::sim::analysis::report::MonitorFigures,
) -> [(&'static str, &crate::sim::analysis::report::BaselineFigures); 4] {
    [
        ("Healthchecks simple", &m.healthchecks_simple),
        ("Healthchecks simple, defaults", &m.healthchecks_simple_defaults),
        ("Healthchecks cron", &m.healthchecks_cron),
        ("Healthchecks cron, default grace", &m.healthchecks_cron_defaults),
    ]
}

/// "timeout 300 s, grace 2 min, /fail" or "`0 2 * * *` Europe/Paris, grace 1 h, /start".
fn baseline_settings(b: &crate::sim::analysis::report::BaselineFigures) -> String {
    let mut parts = Vec::new();
    if let Some(t) = b.timeout_s {
        parts.push(format!("timeout {}", secs(t)));
    }
    if let Some(schedule) = &b.schedule {
        parts.push(format!("`{schedule}` {}", b.tz.as_deref().unwrap_or("UTC")));
    }
    parts.push(format!("grace {}", secs(b.grace_s)));
    if b.start_signal {
        parts.push("/start".into());
    }
    if b.fail_signal {
        parts.push("/fail".into());
    }
    parts.join(", ")
}

fn variant_section(md: &mut String, v: &VariantReport) {
    let s = &v.sync;
    let _ = writeln!(md, "## Variant `{}`\n", v.name);
    let _ = writeln!(
        md,
        "Spreading {} · backoff {} · retry_wrongpass {} · autosync.frequency {}\n",
        v.spreading, v.backoff, v.retry_wrongpass, v.autosync_frequency
    );
    let _ = writeln!(md, "- {} attempts on {} connections, {} successful", s.attempts, s.connections, s.successes);
    let outcomes: Vec<String> = s.outcomes.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(md, "- outcomes: {}", outcomes.join(", "));
    let rules: Vec<String> = s.rules.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(md, "- rules applied: {}", rules.join(", "));
    let _ = writeln!(
        md,
        "- wrongpass answers: {} (at most {} for one connection in 24 h)",
        s.wrongpass.attempts, s.wrongpass.max_per_connection_24h
    );
    let w = &s.waiting_for_user;
    let _ = writeln!(
        md,
        "- waiting for the user: {} episodes, {} resolved (median wait {}), {} still waiting at the end, longest {}",
        w.episodes,
        w.resolved,
        w.resolved_wait_p50_minutes.map_or_else(|| "—".to_string(), hours),
        w.still_waiting_at_end,
        hours(w.longest_wait_minutes)
    );
    let _ = writeln!(md, "- attempts on a connection waiting for its user: {} (rule B: 0)", s.attempts_while_waiting);
    let _ = writeln!(
        md,
        "- at most {} attempts by one connection in one local day; {} per connection per day on average\n",
        s.max_attempts_one_connection_one_day, s.attempts_per_connection_per_day
    );
    let _ = writeln!(md, "| bank | connections | attempts | peak / min | peak ÷ mean | rateLimiting | freshness p50 | p95 |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (id, c) in &s.connectors {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            id,
            c.connections,
            c.load.attempts,
            c.load.peak_per_minute,
            c.load.peak_to_mean,
            c.load.rate_limited,
            hours(c.freshness.p50_minutes),
            hours(c.freshness.p95_minutes)
        );
    }
    md.push('\n');
    let _ = writeln!(md, "Attempts by local hour (all banks):\n\n```");
    let max = s.overall.by_local_hour.iter().copied().max().unwrap_or(0).max(1);
    for (h, &n) in s.overall.by_local_hour.iter().enumerate() {
        let bar = "█".repeat(((n * 40).div_ceil(max)) as usize);
        let _ = writeln!(md, "{h:02}h {bar} {n}");
    }
    let _ = writeln!(md, "```\n");
}

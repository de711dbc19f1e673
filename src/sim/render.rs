//! The Markdown rendering of a report, for people: expectations first, then the variants side by
//! side, the plots, and the details of each variant.

use std::fmt::Write;

use crate::sim::report::{Report, VariantReport};

fn hours(minutes: u64) -> String {
    if minutes < 120 { format!("{minutes} min") } else { format!("{:.1} h", minutes as f64 / 60.0) }
}

pub fn markdown(report: &Report, plot_files: &[String]) -> String {
    let mut md = String::new();
    let verdict = if report.passed { "PASSED" } else { "FAILED" };
    let _ = writeln!(md, "# {} — {verdict}\n", report.scenario);
    if !report.description.is_empty() {
        let _ = writeln!(md, "{}\n", report.description);
    }
    let _ = writeln!(
        md,
        "Seed {} · {} → {} ({}) · {} · {} connections · syncsim {}\n",
        report.seed, report.start, report.end, report.duration, report.time_zone, report.connections, report.syncsim_version
    );

    let _ = writeln!(md, "## Expectations\n");
    if report.expectations.is_empty() {
        let _ = writeln!(md, "None.\n");
    } else {
        let _ = writeln!(md, "| | variant | figure | expected | actual |\n|---|---|---|---|---|");
        for e in &report.expectations {
            let actual = e.actual.map(|a| a.to_string()).unwrap_or_else(|| "not a number".into());
            let _ = writeln!(
                md,
                "| {} | {} | `{}` | {} {} | {} |",
                if e.passed { "✅" } else { "❌" },
                e.variant,
                e.metric,
                e.op,
                e.bound,
                actual
            );
        }
        md.push('\n');
    }

    let has_sync = report.variants.iter().any(|v| v.sync.connections > 0);
    let has_jobs = report.variants.iter().any(|v| !v.jobs.is_empty() || !v.monitors.is_empty());
    if has_jobs {
        for v in &report.variants {
            jobs_section(&mut md, v, report.variants.len() > 1);
        }
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
        "Peak ÷ mean is 1 for a perfectly flat load; \"same hour next day\" is the share of connections whose first successful sync fell in the same local hour on two consecutive days (the seed wants it low). Load figures exclude the warm-up.\n"
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
                secs((j.average_duration_ms / 1000) as i64),
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
                secs(m.ttd_down_median_s),
                secs(m.ttd_down_max_s),
                secs(m.first_pending_median_s),
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
        let _ = writeln!(
            md,
            "The same pushes judged by Healthchecks checks (grace = I − frequency, at least 60 s, plus the runner's tick for the cron check):\n"
        );
        let _ = writeln!(
            md,
            "| monitor | check | grace | alerts | detected | missed | false alerts | time to alert (median / max) |\n|---|---|---:|---:|---:|---:|---:|---|"
        );
        for (id, m) in &v.monitors {
            for (name, b) in [
                ("Kuma push (as configured)", None),
                ("Healthchecks simple", Some(&m.healthchecks_simple)),
                ("Healthchecks cron", Some(&m.healthchecks_cron)),
            ] {
                match b {
                    None => {
                        let _ = writeln!(
                            md,
                            "| {id} | {name} | — | {} | {} | {} | {} | {} / {} |",
                            m.notifications_down,
                            m.detected,
                            m.missed,
                            m.false_alerts,
                            secs(m.ttd_down_median_s),
                            secs(m.ttd_down_max_s)
                        );
                    }
                    Some(b) => {
                        let _ = writeln!(
                            md,
                            "| {id} | {name} | {} | {} | {} | {} | {} | {} / {} |",
                            secs(b.grace_s),
                            b.alerts,
                            b.detected,
                            b.missed,
                            b.false_alerts,
                            secs(b.ttd_median_s),
                            secs(b.ttd_max_s)
                        );
                    }
                }
            }
        }
        md.push('\n');
        let _ = writeln!(
            md,
            "Time to DOWN is measured from the incident's start (the scheduled time of the first run without a successful, delivered push). A false alert is a DOWN notification while no incident is open (for example a late but successful run). Slack is `I + 1 s − gap` between successful pushes: negative means a gap beyond the window.\n"
        );
    }
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
        hours(w.resolved_wait_p50_minutes),
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

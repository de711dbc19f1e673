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

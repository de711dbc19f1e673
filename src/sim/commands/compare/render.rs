//! `compare.md` (the table and the verdict, for people) and `samples.csv` (every grid point).

use std::fmt::Write;

use super::stats::Summary;
use super::{CellResult, Comparison, Metric};

/// `mean ± half-width`, with the metric's digits.
fn cell_text(s: &Summary, m: Metric) -> String {
    let d = m.decimals();
    if s.n < 2 { format!("{:.d$}", s.mean) } else { format!("{:.d$} ± {:.d$}", s.mean, s.half_width()) }
}

/// The ranked figures on which `a` is clearly better than `b`.
fn clearly_better(a: &CellResult, b: &CellResult) -> Vec<Metric> {
    Metric::ALL
        .into_iter()
        .filter(|m| m.ranked() && matches!((a.summary(*m), b.summary(*m)), (Some(x), Some(y)) if x.clearly_below(y)))
        .collect()
}

pub fn markdown(c: &Comparison, plot_files: &[String]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Policy comparison — {}\n", c.scenario);
    if !c.description.is_empty() {
        let _ = writeln!(md, "{}\n", c.description);
    }
    let seeds = match (c.seeds.first(), c.seeds.last()) {
        (Some(a), Some(b)) if c.seeds.len() > 1 => format!("seeds {a}..={b}"),
        (Some(a), _) => format!("seed {a}"),
        _ => "no seed".into(),
    };
    let _ = writeln!(
        md,
        "{} connections · {} · {} policies × {} {} · syncsim {} · scenario sha256 {}\n",
        c.connections,
        c.duration,
        c.cells.len(),
        c.seeds.len(),
        seeds,
        c.syncsim_version,
        &c.scenario_sha256[..c.scenario_sha256.len().min(12)]
    );
    let _ = writeln!(
        md,
        "Each figure is the mean over the seeds ± the half-width of its 95 % confidence interval \
         (Student's t, {} seeds). **Lower is better** on every figure but attempts per connection, \
         which is shown and not ranked (a herd stuck behind rate limits also makes few attempts). \
         In bold: no other policy is clearly better on that figure — *clearly* meaning the two \
         intervals do not overlap and the means differ by more than 5 %.\n",
        c.seeds.len()
    );
    let _ = write!(md, "| policy | spreading | backoff |");
    for m in Metric::ALL {
        let _ = write!(md, " {} |", m.title());
    }
    let _ = write!(md, "\n|---|---|---|");
    for _ in Metric::ALL {
        let _ = write!(md, "---:|");
    }
    md.push('\n');
    for cell in &c.cells {
        let _ = write!(md, "| {} | {} | {} |", cell.name, cell.spreading, cell.backoff);
        for m in Metric::ALL {
            let text = cell.summary(m).map(|s| cell_text(s, m)).unwrap_or_default();
            if cell.best_on.iter().any(|k| k == m.key()) {
                let _ = write!(md, " **{text}** |");
            } else {
                let _ = write!(md, " {text} |");
            }
        }
        md.push('\n');
    }

    let _ = writeln!(md, "\n## Verdict\n");
    let mean = |x: &CellResult, m: Metric| x.summary(m).map_or(0.0, |s| s.mean);
    let dropped: Vec<&CellResult> = c.cells.iter().filter(|x| !x.dominated_by.is_empty()).collect();
    if !dropped.is_empty() {
        let _ = writeln!(md, "**Drop**: another policy is clearly better on some figure and clearly worse on none.\n");
        for x in dropped {
            let by: Vec<String> = x
                .dominated_by
                .iter()
                .filter_map(|o| c.cells.iter().find(|y| y.name == *o))
                .map(|o| {
                    let on: Vec<String> = clearly_better(o, x)
                        .into_iter()
                        .map(|m| format!("{} {:.d$} vs {:.d$}", m.title(), mean(o, m), mean(x, m), d = m.decimals()))
                        .collect();
                    format!("{} ({})", o.name, on.join(", "))
                })
                .collect();
            // The first two say enough; the rest are counted.
            let more = if by.len() > 2 { format!("; and {} more", by.len() - 2) } else { String::new() };
            let _ = writeln!(md, "- **{}**: beaten by {}{more}.", x.name, by[..by.len().min(2)].join("; "));
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "**Keep**: no policy beats these without losing elsewhere; choose by the figure that matters most.\n\n\
         | policy | best on | gives up (vs the best on that figure) |\n|---|---|---|"
    );
    for x in c.cells.iter().filter(|x| x.dominated_by.is_empty()) {
        let best: Vec<&str> = Metric::ALL.iter().filter(|m| x.best_on.iter().any(|k| k == m.key())).map(|m| m.title()).collect();
        let gives_up: Vec<String> = Metric::ALL
            .iter()
            .filter(|m| m.ranked() && !x.best_on.iter().any(|k| k == m.key()))
            .filter_map(|&m| {
                let leader =
                    c.cells.iter().filter(|y| y.best_on.iter().any(|k| k == m.key())).min_by(|a, b| mean(a, m).total_cmp(&mean(b, m)))?;
                Some(format!("{} {:.d$} vs {:.d$} ({})", m.title(), mean(x, m), mean(leader, m), leader.name, d = m.decimals()))
            })
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            x.name,
            if best.is_empty() { "—".to_string() } else { best.join(", ") },
            if gives_up.is_empty() { "nothing".to_string() } else { gives_up.join("; ") }
        );
    }
    let _ = writeln!(md, "\n## Best on each figure\n\n| figure | best (or tied) |\n|---|---|");
    for m in Metric::ALL.into_iter().filter(|m| m.ranked()) {
        let best: Vec<&str> = c.cells.iter().filter(|x| x.best_on.iter().any(|k| k == m.key())).map(|x| x.name.as_str()).collect();
        let _ = writeln!(md, "| {} | {} |", m.title(), best.join(", "));
    }
    if !plot_files.is_empty() {
        let _ = writeln!(md, "\n## Plots\n");
        for p in plot_files {
            let _ = writeln!(md, "![{p}]({p})\n");
        }
    }
    let _ = writeln!(
        md,
        "## What the figures are\n\n\
         - **peak/mean load**: the busiest minute's attempts over the mean per minute, all banks, after the warm-up (1 = flat).\n\
         - **rateLimiting answers**: attempts a bank refused for lack of capacity (rule D retries them).\n\
         - **freshness p50/p95**: time since the last successful sync, sampled on every connection.\n\
         - **same-hour share**: among connections synced on two consecutive local days, the share whose first sync fell in the same local hour both days (lower is better: a bank may read a sync at the same hour every day as a robot).\n\
         - **attempts/connection/day**: all attempts, successful or not, per connection and day.\n\n\
         Every grid point is in `samples.csv`; `compare.json` has the means, standard deviations and intervals."
    );
    md
}

/// One line per grid point, in grid order.
pub fn samples_csv(c: &Comparison) -> String {
    let mut out = String::from("policy,seed");
    for m in Metric::ALL {
        let _ = write!(out, ",{}", m.key());
    }
    out.push('\n');
    for s in &c.samples {
        let name = c.cells.get(s.cell).map(|x| x.name.as_str()).unwrap_or("");
        let _ = write!(out, "{},{}", csv_field(name), s.seed);
        for m in Metric::ALL {
            let _ = write!(out, ",{}", m.value(&s.figures));
        }
        out.push('\n');
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

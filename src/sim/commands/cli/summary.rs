//! The one line the command line prints after each scenario run, comparison and shard. The
//! wall-clock seconds are the caller's: the library has no clock.

use std::path::Path;

use crate::sim::analysis::payments::PaymentFigures;
use crate::sim::analysis::report::{MonitorFigures, VariantReport};
use crate::sim::commands::compare::{Comparison, Grid, Partial, Shard};
use crate::sim::commands::run::RunOutput;

/// `PASS`/`FAIL`, the scenario, its expectations and variants, the ranges of the sync figures
/// over the variants (only when the scenario syncs), the Kuma and payments totals (only when it
/// has them), and where its report is.
pub fn run_line(output: &RunOutput, seconds: f64, dir: &Path) -> String {
    let r = &output.report;
    let passed = r.expectations.iter().filter(|e| e.passed).count();
    let range = |f: &dyn Fn(&VariantReport) -> f64| -> String {
        let values: Vec<f64> = r.variants.iter().map(f).collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if (hi - lo).abs() < 1e-9 { format!("{lo}") } else { format!("{lo}..{hi}") }
    };
    let monitors: Vec<&MonitorFigures> = r.variants.iter().flat_map(|v| v.monitors.values()).collect();
    let alerts = if monitors.is_empty() {
        String::new()
    } else {
        let sum = |f: &dyn Fn(&MonitorFigures) -> u64| monitors.iter().map(|m| f(m)).sum::<u64>();
        let ttd = monitors.iter().map(|m| m.ttd_down_max_s).max().unwrap_or(0);
        format!(
            "  incidents {} detected {} missed {} false alerts {} worst TTD {} s",
            sum(&|m| m.incidents),
            sum(&|m| m.detected),
            sum(&|m| m.missed),
            sum(&|m| m.false_alerts),
            ttd
        )
    };
    let pays: Vec<&PaymentFigures> = r.variants.iter().filter_map(|v| v.payments.as_ref()).collect();
    let alerts = if pays.is_empty() {
        alerts
    } else {
        let sum = |f: &dyn Fn(&PaymentFigures) -> u64| pays.iter().map(|p| f(p)).sum::<u64>();
        format!(
            "{alerts}  paid {} by webhook {} by job {} unrecovered {} double {}",
            sum(&|p| p.paid_at_bridge),
            sum(&|p| p.recorded_by_webhook),
            sum(&|p| p.recorded_by_job),
            sum(&|p| p.unrecovered_at_end),
            sum(&|p| p.double_records)
        )
    };
    if r.variants.iter().all(|v| v.sync.connections == 0) {
        return format!(
            "{} {:<28} expectations {}/{}  variants {}{alerts}  [{}, {:.2} s] -> {}",
            if r.passed { "PASS" } else { "FAIL" },
            r.scenario,
            passed,
            r.expectations.len(),
            r.variants.len(),
            output.transport,
            seconds,
            dir.join("report.md").display()
        );
    }
    format!(
        "{} {:<28} expectations {}/{}  variants {}  attempts {}  peak/mean {}  rateLimiting {}  freshness p95 {} min{alerts}  [{:.2} s] -> {}",
        if r.passed { "PASS" } else { "FAIL" },
        r.scenario,
        passed,
        r.expectations.len(),
        r.variants.len(),
        range(&|v| v.sync.attempts as f64),
        range(&|v| v.sync.overall.peak_to_mean),
        range(&|v| v.sync.overall.rate_limited as f64),
        range(&|v| v.sync.freshness.p95_minutes as f64),
        seconds,
        dir.join("report.md").display()
    )
}

/// After `compare --shard i/n`: which shard of which scenario, how many of the grid's runs it
/// made, and the partial file it wrote.
pub fn shard_line(shard: Shard, grid: &Grid, partial: &Partial, seconds: f64, path: &Path) -> String {
    format!(
        "shard {}/{} of {}: {} of {} runs [{seconds:.2} s] -> {}",
        shard.index,
        shard.count,
        grid.scenario,
        partial.samples.len(),
        grid.points(),
        path.display()
    )
}

/// After a whole comparison (or a merge): the policies and seeds compared, the policies no other
/// dominates, and where `compare.md` is.
pub fn compare_line(comparison: &Comparison, seconds: f64, dir: &Path) -> String {
    let keep: Vec<&str> = comparison.cells.iter().filter(|c| c.dominated_by.is_empty()).map(|c| c.name.as_str()).collect();
    format!(
        "COMPARE {:<24} policies {}  seeds {}  worth considering: {}  [{seconds:.2} s] -> {}",
        comparison.scenario,
        comparison.cells.len(),
        comparison.seeds.len(),
        keep.join(", "),
        dir.join("compare.md").display()
    )
}

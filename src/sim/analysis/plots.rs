//! SVG plots of a report (plotters, SVG backend only: no fonts, no C libraries, byte-identical
//! output for the same data). One picture per question: when do the banks get hit (attempts by
//! local hour), how does the load evolve (peak per minute, hour by hour), how fresh is the data.

use plotters::prelude::*;

use crate::sim::analysis::alerts::MonitorTimeline;
use crate::sim::commands::run::RunOutput;
use crate::time::Instant;
use crate::world::kuma::monitor::{NotificationKind, Status};

pub(crate) const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

pub(crate) type Series = (String, Vec<(f64, f64)>);

/// Draw each series as a coloured line with its legend entry. A macro because plotters' linear
/// and logarithmic charts have different types.
macro_rules! draw_lines {
    ($chart:expr, $series:expr, $map:expr) => {{
        for (k, (name, points)) in $series.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            $chart
                .draw_series(LineSeries::new(points.iter().copied().map($map), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        $chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
    }};
}

pub(crate) fn line_chart(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let x_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(1.0f64, f64::max);
        let y_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(1.0f64, f64::max) * 1.05;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(|e| e.to_string())?;
        chart.configure_mesh().x_desc(x_label).y_desc(y_label).draw().map_err(|e| e.to_string())?;
        draw_lines!(chart, series, |p: (f64, f64)| p);
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

const ROWS: [&str; 5] = ["notifications", "beats (not UP)", "pushes", "failed runs", "incidents"];

/// One monitor's story: ground-truth incidents, failed runs, delivered pushes, non-UP beats and
/// notifications on one time axis (hours since the start).
fn timeline_chart(t: &MonitorTimeline, start: Instant, end: Instant) -> Result<String, String> {
    let hours = |i: Instant| (i - start).as_ms() as f64 / 3_600_000.0;
    let x_max = hours(end).max(1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Monitor {}: what happened and what Kuma said", t.monitor), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(120)
            .build_cartesian_2d(0f64..x_max, 0.5f64..5.5f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("hours since the start")
            .y_labels(5)
            .y_label_formatter(&|y| ROWS.get((y.round() as usize).wrapping_sub(1)).map(|s| s.to_string()).unwrap_or_default())
            .draw()
            .map_err(|e| e.to_string())?;
        let red = RGBColor(214, 39, 40);
        let green = RGBColor(44, 160, 44);
        let orange = RGBColor(255, 127, 14);
        let blue = RGBColor(31, 119, 180);
        let grey = RGBColor(127, 127, 127);
        chart
            .draw_series(t.incidents.iter().map(|i| {
                let x1 = i.end.map(hours).unwrap_or(x_max).max(hours(i.start) + x_max / 500.0);
                Rectangle::new([(hours(i.start), 4.7), (x1, 5.3)], red.mix(0.5).filled())
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(t.failed_runs.iter().map(|&(at, _)| Circle::new((hours(at), 4.0), 4, red.filled())))
            .map_err(|e| e.to_string())?;
        chart.draw_series(t.pushes.iter().map(|&at| Circle::new((hours(at), 3.0), 2, green.filled()))).map_err(|e| e.to_string())?;
        chart
            .draw_series(t.beats.iter().map(|&(at, status)| {
                let color = match status {
                    Status::Down => red,
                    Status::Pending => orange,
                    _ => grey,
                };
                Circle::new((hours(at), 2.0), 3, color.filled())
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(t.notifications.iter().map(|&(at, kind)| {
                let color = match kind {
                    NotificationKind::Up => green,
                    NotificationKind::Down => red,
                    NotificationKind::DownReminder => blue,
                };
                TriangleMarker::new((hours(at), 1.0), 6, color.filled())
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A line chart whose y axis is logarithmic (values below 1 are drawn at 1): for loads where
/// one variant is a thousand times the others.
fn log_chart(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let x_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(1.0f64, f64::max);
        let y_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(10.0f64, f64::max) * 1.5;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, (1f64..y_max).log_scale())
            .map_err(|e| e.to_string())?;
        chart.configure_mesh().x_desc(x_label).y_desc(y_label).draw().map_err(|e| e.to_string())?;
        draw_lines!(chart, series, |(x, y): (f64, f64)| (x, y.max(1.0)));
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Recovery delays by path (SPEC 4.3): the share of paid invoices recorded within x, on a log
/// axis from 0.1 s to 10 days, one curve per variant and path.
fn recovery_delays(output: &RunOutput) -> Result<String, String> {
    use crate::logic::bridge::ledger::Path;
    let mut series: Vec<Series> = Vec::new();
    for (v, p) in output.report.variants.iter().zip(&output.plots) {
        let Some(data) = &p.payments else { continue };
        let total = data.rows.len().max(1) as f64;
        for path in [Path::Webhook, Path::Job] {
            let mut d: Vec<f64> = data
                .rows
                .iter()
                .filter_map(|r| r.recorded.filter(|(_, q)| *q == path).map(|(at, _)| ((at - r.acsc_at).as_ms() as f64 / 1000.0).max(0.1)))
                .collect();
            d.sort_by(f64::total_cmp);
            let points = d.iter().enumerate().map(|(k, s)| (*s, (k + 1) as f64 / total)).collect();
            let name = if output.report.variants.len() > 1 { format!("{} · {}", v.name, path.name()) } else { path.name().to_string() };
            series.push((name, points));
        }
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Paid invoices recorded within x seconds of ACSC, by path (share of all paid)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((0.1f64..864_000f64).log_scale(), 0f64..1.05f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("seconds from ACSC to the record (log)")
            .y_desc("share of paid invoices")
            .draw()
            .map_err(|e| e.to_string())?;
        draw_lines!(chart, series, |(x, y): (f64, f64)| (x.clamp(0.1, 864_000.0), y));
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The SVG files of a run: (file name, contents).
pub fn render(output: &RunOutput) -> Result<Vec<(String, String)>, String> {
    let report = &output.report;
    let mut files = Vec::new();
    // The jobs loop does not depend on the variant's sync settings: one timeline per monitor.
    if let Some(first) = output.plots.first() {
        let start = Instant::parse_rfc3339(&report.start).map_err(|e| e.to_string())?;
        let end = Instant::parse_rfc3339(&report.end).map_err(|e| e.to_string())?;
        for t in &first.monitor_timelines {
            files.push((format!("timeline_{}.svg", t.monitor), timeline_chart(t, start, end)?));
        }
    }
    if output.plots.iter().any(|p| p.payments.is_some()) {
        files.push(("recovery_delays.svg".to_string(), recovery_delays(output)?));
    }
    if report.variants.iter().all(|v| v.sync.connections == 0) {
        return Ok(files);
    }

    let by_hour: Vec<Series> = report
        .variants
        .iter()
        .map(|v| (v.name.clone(), v.sync.overall.by_local_hour.iter().enumerate().map(|(h, &n)| (h as f64, n as f64)).collect()))
        .collect();
    files.push((
        "attempts_by_hour.svg".to_string(),
        line_chart("Sync attempts by local hour (all banks)", "local hour", "attempts", &by_hour)?,
    ));

    for v in &report.variants {
        if v.sync.connectors.len() > 1 {
            let series: Vec<Series> = v
                .sync
                .connectors
                .iter()
                .take(COLORS.len())
                .map(|(id, c)| (id.clone(), c.load.by_local_hour.iter().enumerate().map(|(h, &n)| (h as f64, n as f64)).collect()))
                .collect();
            files.push((
                format!("attempts_by_hour_{}.svg", v.name),
                line_chart(&format!("Sync attempts by local hour per bank ({})", v.name), "local hour", "attempts", &series)?,
            ));
        }
    }

    let timeline: Vec<Series> = report
        .variants
        .iter()
        .zip(&output.plots)
        .map(|(v, p)| (v.name.clone(), p.hourly_peaks.iter().enumerate().map(|(h, &n)| (h as f64 / 24.0, n as f64)).collect()))
        .collect();
    files.push((
        "load_timeline.svg".to_string(),
        log_chart("Peak attempts per minute, hour by hour (log scale)", "day", "attempts / minute", &timeline)?,
    ));

    let freshness: Vec<Series> = report
        .variants
        .iter()
        .zip(&output.plots)
        .map(|(v, p)| (v.name.clone(), p.freshness_cdf.iter().map(|&(m, q)| (m as f64 / 60.0, q)).collect()))
        .collect();
    files.push((
        "freshness.svg".to_string(),
        line_chart("Freshness: share of samples synced within x hours", "hours since last successful sync", "share", &freshness)?,
    ));
    Ok(files)
}

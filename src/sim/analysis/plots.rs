//! SVG plots of a report (plotters, SVG backend only: no fonts, no C libraries, byte-identical
//! output for the same data). One picture per question: when do the banks get hit (attempts by
//! local hour), how does the load evolve (peak per minute, hour by hour), how fresh is the data.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    ($chart:expr, $series:expr, $map:expr, $position:expr) => {{
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
            .position($position)
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
        let data_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(0.0f64, f64::max);
        // A share (at most 1) keeps its axis at 1 and its legend at the lower right, where a
        // cumulative curve is not; counts get headroom above the data for the legend, one row
        // per series.
        let share = data_max <= 1.0;
        let y_max = if share { 1.05 } else { data_max.max(1.0) * (1.1 + 0.08 * series.len() as f64) };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(|e| e.to_string())?;
        draw_lines!(
            chart,
            series,
            |p: (f64, f64)| p,
            if share { SeriesLabelPosition::LowerRight } else { SeriesLabelPosition::UpperRight }
        );
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A tick label: whole numbers without ".0" (counts, hours, days), others with at most two
/// decimals.
pub(crate) fn tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The timeline's lanes, bottom (1) to top (7): one kind of mark per lane, so no mark hides
/// another.
const LANES: [&str; 7] = [
    "Kuma restarts / maintenance",
    "UP notifications",
    "DOWN notifications",
    "Kuma beats (not UP)",
    "pushes received",
    "failed runs",
    "incidents (truth)",
];

const RED: RGBColor = RGBColor(214, 39, 40);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const PURPLE: RGBColor = RGBColor(118, 42, 131);
const GREY: RGBColor = RGBColor(90, 90, 90);
const BLUE: RGBColor = RGBColor(31, 119, 180);

/// The marks of the timeline, drawn the same in the plot and in its legend (pixel offsets).
#[derive(Clone, Copy)]
enum Mark {
    Incident,
    Missed,
    FailedRun,
    Push,
    Pending,
    DownBeat,
    Down,
    FalseAlert,
    Up,
    Restart,
    Maintenance,
}

impl Mark {
    fn label(self) -> &'static str {
        match self {
            Mark::Incident => "incident, detected",
            Mark::Missed => "incident, MISSED (no DOWN)",
            Mark::FailedRun => "failed run",
            Mark::Push => "push received",
            Mark::Pending => "beat PENDING",
            Mark::DownBeat => "beat DOWN",
            Mark::Down => "DOWN notification",
            Mark::FalseAlert => "FALSE alert (no incident)",
            Mark::Up => "UP notification",
            Mark::Restart => "Kuma restarting",
            Mark::Maintenance => "maintenance window",
        }
    }

    fn draw<DB: DrawingBackend>(self, area: &DrawingArea<DB, plotters::coord::Shift>, at: (i32, i32)) -> Result<(), String> {
        let e = |r: Result<(), DrawingAreaErrorKind<DB::ErrorType>>| r.map_err(|e| e.to_string());
        let p = EmptyElement::at(at);
        match self {
            Mark::Incident => e(area.draw(&(p + Rectangle::new([(-7, -5), (7, 5)], RED.mix(0.5).filled())))),
            Mark::Missed => e(area.draw(&(p + Rectangle::new([(-7, -5), (7, 5)], PURPLE.filled())))),
            Mark::FailedRun => e(area.draw(&(p + Cross::new((0, 0), 4, RED.stroke_width(2))))),
            Mark::Push => e(area.draw(&(p + Circle::new((0, 0), 2, GREEN.filled())))),
            Mark::Pending => e(area.draw(&(p + Circle::new((0, 0), 3, ORANGE.filled())))),
            Mark::DownBeat => e(area.draw(&(p + Rectangle::new([(-3, -3), (3, 3)], RED.filled())))),
            // Down points down, Up points up: told apart by shape as well as colour.
            Mark::Down => e(area.draw(&(p + Polygon::new(vec![(-6, -5), (6, -5), (0, 6)], RED.filled())))),
            Mark::FalseAlert => {
                e(area.draw(&(EmptyElement::at(at) + Polygon::new(vec![(-7, -6), (7, -6), (0, 7)], BLACK.filled()))))?;
                e(area.draw(&(p + Polygon::new(vec![(-4, -4), (4, -4), (0, 4)], ORANGE.filled()))))
            }
            Mark::Up => e(area.draw(&(p + Polygon::new(vec![(-6, 5), (6, 5), (0, -6)], GREEN.filled())))),
            Mark::Restart => e(area.draw(&(p + Rectangle::new([(-7, -5), (7, 0)], GREY.filled())))),
            Mark::Maintenance => e(area.draw(&(p + Rectangle::new([(-7, 0), (7, 5)], BLUE.mix(0.6).filled())))),
        }
    }
}

/// One monitor's story: ground-truth incidents, failed runs, delivered pushes, non-UP beats,
/// DOWN and UP notifications (false alerts and missed incidents marked), Kuma's restarts and
/// maintenance windows, each in its own lane on one time axis, with a legend.
fn timeline_chart(t: &MonitorTimeline, start: Instant, end: Instant) -> Result<String, String> {
    let span_h = (end - start).as_ms() as f64 / 3_600_000.0;
    // Days past three days, so that ticks stay whole numbers a reader can count.
    let (unit, per_unit) = if span_h > 72.0 { ("days since the start", 24.0) } else { ("hours since the start", 1.0) };
    let x = |i: Instant| (i - start).as_ms() as f64 / 3_600_000.0 / per_unit;
    let x_max = (span_h / per_unit).max(1.0);
    let min_w = x_max / 400.0;
    let covered = |at: Instant| t.incidents.iter().any(|i| i.start <= at && i.end.is_none_or(|e| at <= e));
    let missed = |i: &crate::sim::analysis::alerts::Incident| {
        !t.notifications.iter().any(|&(at, k)| k == NotificationKind::Down && i.start <= at && i.end.is_none_or(|e| at <= e))
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (plot, legend) = root.split_horizontally(790);
        let mut chart = ChartBuilder::on(&plot)
            .caption(format!("Monitor {}: what happened and what Kuma said", t.monitor), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(170)
            .build_cartesian_2d(0f64..x_max, 0.5f64..7.5f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(unit)
            .x_label_formatter(&|v| tick(*v))
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, name) in LANES.iter().enumerate() {
            let lane = (k + 1) as f64;
            chart.draw_series(LineSeries::new([(0.0, lane), (x_max, lane)], RGBColor(225, 225, 225))).map_err(|e| e.to_string())?;
            let (px, py) = chart.backend_coord(&(0.0, lane));
            let style = TextStyle::from(("sans-serif", 13)).pos(Pos::new(HPos::Right, VPos::Center));
            plot.draw(&Text::new(name.to_string(), (px - 8, py), style)).map_err(|e| e.to_string())?;
        }
        let bar = |from: f64, to: f64, lane: f64, half: f64, style: ShapeStyle| {
            Rectangle::new([(from, lane - half), (to.max(from + min_w), lane + half)], style)
        };
        chart
            .draw_series(t.incidents.iter().map(|i| {
                let style = if missed(i) { PURPLE.filled() } else { RED.mix(0.5).filled() };
                bar(x(i.start), i.end.map(x).unwrap_or(x_max), 7.0, 0.3, style)
            }))
            .map_err(|e| e.to_string())?;
        chart.draw_series(t.restarts.iter().map(|&(a, b)| bar(x(a), x(b), 1.15, 0.15, GREY.filled()))).map_err(|e| e.to_string())?;
        chart
            .draw_series(t.maintenance.iter().map(|&(a, b)| bar(x(a), x(b), 0.85, 0.15, BLUE.mix(0.6).filled())))
            .map_err(|e| e.to_string())?;
        let mut marks: Vec<(f64, f64, Mark)> = Vec::new();
        marks.extend(t.failed_runs.iter().map(|&(at, _)| (x(at), 6.0, Mark::FailedRun)));
        marks.extend(t.pushes.iter().map(|&at| (x(at), 5.0, Mark::Push)));
        marks.extend(t.beats.iter().filter_map(|&(at, status)| match status {
            Status::Down => Some((x(at), 4.0, Mark::DownBeat)),
            Status::Pending => Some((x(at), 4.0, Mark::Pending)),
            _ => None,
        }));
        marks.extend(t.notifications.iter().map(|&(at, kind)| match kind {
            NotificationKind::Up => (x(at), 2.0, Mark::Up),
            NotificationKind::Down | NotificationKind::DownReminder if !covered(at) => (x(at), 3.0, Mark::FalseAlert),
            NotificationKind::Down | NotificationKind::DownReminder => (x(at), 3.0, Mark::Down),
        }));
        for (mx, my, mark) in marks {
            mark.draw(&plot, chart.backend_coord(&(mx, my)))?;
        }
        // The legend: only the marks this plot uses, in lane order.
        let used = |m: Mark| match m {
            Mark::Incident => t.incidents.iter().any(|i| !missed(i)),
            Mark::Missed => t.incidents.iter().any(missed),
            Mark::FailedRun => !t.failed_runs.is_empty(),
            Mark::Push => !t.pushes.is_empty(),
            Mark::Pending => t.beats.iter().any(|b| b.1 == Status::Pending),
            Mark::DownBeat => t.beats.iter().any(|b| b.1 == Status::Down),
            Mark::Down => t.notifications.iter().any(|&(at, k)| k != NotificationKind::Up && covered(at)),
            Mark::FalseAlert => t.notifications.iter().any(|&(at, k)| k != NotificationKind::Up && !covered(at)),
            Mark::Up => t.notifications.iter().any(|n| n.1 == NotificationKind::Up),
            Mark::Restart => !t.restarts.is_empty(),
            Mark::Maintenance => !t.maintenance.is_empty(),
        };
        let all = [
            Mark::Incident,
            Mark::Missed,
            Mark::FailedRun,
            Mark::Push,
            Mark::Pending,
            Mark::DownBeat,
            Mark::Down,
            Mark::FalseAlert,
            Mark::Up,
            Mark::Restart,
            Mark::Maintenance,
        ];
        legend.draw(&Text::new("Legend", (12, 40), ("sans-serif", 14).into_font().style(FontStyle::Bold))).map_err(|e| e.to_string())?;
        for (k, m) in all.into_iter().filter(|&m| used(m)).enumerate() {
            let y = 68 + 22 * k as i32;
            m.draw(&legend, (22, y))?;
            let style = TextStyle::from(("sans-serif", 13)).pos(Pos::new(HPos::Left, VPos::Center));
            legend.draw(&Text::new(m.label(), (38, y), style)).map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Small multiples: one panel per series, stacked on one shared time axis, each with its own
/// linear y axis from 0 (so a zero is drawn as zero) and its peak in its title. For loads where
/// one variant is a thousand times the others, which one log axis turned into a tangle.
fn panels(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> Result<String, String> {
    const PANEL_H: u32 = 130;
    let height = 40 + PANEL_H * series.len().max(1) as u32 + 24;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root.titled(title, ("sans-serif", 18)).map_err(|e| e.to_string())?;
        let x_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(1.0f64, f64::max);
        let (panels_area, axis_area) = root.split_vertically(PANEL_H * series.len().max(1) as u32);
        let rows = panels_area.split_evenly((series.len().max(1), 1));
        // The shared axis's name once, under the last panel; every panel repeats the ticks.
        let style = TextStyle::from(("sans-serif", 13)).pos(Pos::new(HPos::Center, VPos::Top));
        axis_area.draw(&Text::new(x_label.to_string(), (480, 4), style)).map_err(|e| e.to_string())?;
        for (k, ((name, points), area)) in series.iter().zip(rows.iter()).enumerate() {
            let peak = points.iter().map(|q| q.1).fold(0.0f64, f64::max);
            let color = COLORS[k % COLORS.len()];
            let mut chart = ChartBuilder::on(area)
                .caption(format!("{name}: peak {} {y_label}", tick(peak)), ("sans-serif", 13))
                .margin_left(12)
                .margin_right(20)
                .x_label_area_size(22)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..x_max, 0f64..(peak * 1.1).max(3.0))
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .y_labels(3)
                .label_style(("sans-serif", 12))
                .y_label_formatter(&|v| tick(*v))
                .x_label_formatter(&|v| tick(*v))
                .light_line_style(WHITE)
                .draw()
                .map_err(|e| e.to_string())?;
            chart.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(1))).map_err(|e| e.to_string())?;
        }
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
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(|e| e.to_string())?;
        draw_lines!(chart, series, |(x, y): (f64, f64)| (x.clamp(0.1, 864_000.0), y), SeriesLabelPosition::UpperRight);
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
        panels("Peak attempts per minute, hour by hour, one panel per variant", "day", "attempts / minute", &timeline)?,
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

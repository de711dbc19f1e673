//! The comparison's pictures: each figure's mean and 95 % interval per policy, side by side in
//! one SVG; and when in the local day each policy sends its attempts.

use plotters::prelude::*;

use super::{Comparison, Metric};
use crate::sim::analysis::plots::{COLORS, Series, line_chart};

const PANEL_W: u32 = 520;
const PANEL_H: u32 = 60 + 44 * 8;

/// One horizontal bar per policy with its interval as a whisker, the value written on the bar.
fn panel(area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>, c: &Comparison, m: Metric) -> Result<(), String> {
    let rows: Vec<(String, f64, f64, f64)> = c
        .cells
        .iter()
        .map(|x| {
            let s = c.summary(&x.name, m).cloned().unwrap_or_else(|| super::stats::summarise(&[]));
            (x.name.clone(), s.mean, s.ci_low.max(0.0), s.ci_high)
        })
        .collect();
    // One far-off policy (a herd stuck behind rate limits) would flatten every other bar: the
    // axis stops at three times the median and longer bars are cut, their value still written.
    let mut tops: Vec<f64> = rows.iter().map(|r| r.3.max(r.1)).collect();
    tops.sort_by(f64::total_cmp);
    let largest = tops.last().copied().unwrap_or(0.0);
    let median = tops.get(tops.len() / 2).copied().unwrap_or(0.0);
    let x_max = if median > 0.0 && largest > 3.0 * median { 3.0 * median } else { largest }.max(1e-9) * 1.08;
    let n = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{} ({})", m.title(), if m.ranked() { "lower is better" } else { "not ranked" }), ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(4)
        .build_cartesian_2d(0f64..x_max, -0.5f64..(n - 0.5))
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().disable_y_mesh().disable_y_axis().x_labels(5).draw().map_err(|e| e.to_string())?;
    let d = m.decimals();
    for (k, (name, mean, lo, hi)) in rows.iter().enumerate() {
        // The first policy at the top.
        let y = n - 1.0 - k as f64;
        let color = COLORS[k % COLORS.len()];
        let cut = *hi > x_max;
        let end = mean.min(x_max);
        chart
            .draw_series(std::iter::once(Rectangle::new([(0.0, y - 0.3), (end, y + 0.3)], color.mix(0.45).filled())))
            .map_err(|e| e.to_string())?;
        if !cut {
            let whisker = vec![(*lo, y), (*hi, y)];
            let caps = [vec![(*lo, y - 0.15), (*lo, y + 0.15)], vec![(*hi, y - 0.15), (*hi, y + 0.15)]];
            chart.draw_series(std::iter::once(PathElement::new(whisker, BLACK.stroke_width(2)))).map_err(|e| e.to_string())?;
            chart.draw_series(caps.into_iter().map(|c| PathElement::new(c, BLACK.stroke_width(2)))).map_err(|e| e.to_string())?;
        }
        let label = if cut { format!("{name}: {mean:.d$} (off the scale)") } else { format!("{name}: {mean:.d$}") };
        chart
            .draw_series(std::iter::once(Text::new(label, (x_max * 0.01, y + 0.42), ("sans-serif", 12).into_font().color(&BLACK))))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn figures_chart(c: &Comparison) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PANEL_W * 3, PANEL_H * 2)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        for (area, m) in root.split_evenly((2, 3)).iter().zip(Metric::ALL) {
            panel(area, c, m)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// `compare.svg` and `load_by_hour.svg`.
pub fn render(c: &Comparison) -> Result<Vec<(String, String)>, String> {
    let by_hour: Vec<Series> = c
        .cells
        .iter()
        .map(|x| {
            let total = x.by_local_hour.iter().sum::<f64>().max(1e-9);
            (x.name.clone(), x.by_local_hour.iter().enumerate().map(|(h, a)| (h as f64, 100.0 * a / total)).collect())
        })
        .collect();
    Ok(vec![
        ("compare.svg".to_string(), figures_chart(c)?),
        (
            "load_by_hour.svg".to_string(),
            line_chart("Share of the day's sync attempts by local hour (mean over seeds)", "local hour", "% of attempts", &by_hour)?,
        ),
    ])
}

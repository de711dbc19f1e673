//! SVG plots of a report (plotters, SVG backend only: no fonts, no C libraries, byte-identical
//! output for the same data). One picture per question: when do the banks get hit (attempts by
//! local hour), how does the load evolve (peak per minute, hour by hour), how fresh is the data.

use plotters::prelude::*;

use crate::sim::run::RunOutput;

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

type Series = (String, Vec<(f64, f64)>);

fn line_chart(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> Result<String, String> {
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
        for (k, (name, points)) in series.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The SVG files of a run: (file name, contents).
pub fn render(output: &RunOutput) -> Result<Vec<(String, String)>, String> {
    let report = &output.report;
    let mut files = Vec::new();
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
        line_chart("Peak attempts per minute, hour by hour", "day", "attempts / minute", &timeline)?,
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

//! Rounding for the reports: figures are written with 4 decimals so that reports stay stable.

/// Round for the report: 4 decimals.
pub fn r4(x: f64) -> f64 {
    if x.is_finite() { (x * 10_000.0).round() / 10_000.0 } else { 0.0 }
}

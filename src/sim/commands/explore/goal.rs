//! What `explore` looks for: the extreme of one report figure (`--objective`), or a
//! counterexample to assertions (`--assert "METRIC OP VALUE"`, the `expect` vocabulary).

use serde::Serialize;

use crate::sim::analysis::report::{VariantReport, metric_value};
use crate::sim::scenario::model::Op;

/// `--assert "METRIC OP VALUE"`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assertion {
    pub metric: String,
    pub op: Op,
    pub value: f64,
}

impl Assertion {
    /// Reads `monitors.bridge.ttd_down_max_s <= 600` (spaces around the operator optional).
    pub fn parse(text: &str) -> Result<Assertion, String> {
        let bad = || {
            format!("--assert {text:?}: expected \"METRIC OP VALUE\", e.g. \"monitors.bridge.ttd_down_max_s <= 600\" (OP: < <= == != >= >)")
        };
        // Longest operators first, so `<=` is not read as `<`.
        let ops = [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("!=", Op::Ne), ("<", Op::Lt), (">", Op::Gt)];
        let (at, symbol, op) = ops
            .iter()
            .filter_map(|&(s, op)| text.find(s).map(|i| (i, s, op)))
            .min_by_key(|&(i, s, _)| (i, usize::MAX - s.len()))
            .ok_or_else(bad)?;
        let metric = text[..at].trim();
        let value: f64 = text[at + symbol.len()..].trim().parse().map_err(|_| bad())?;
        if metric.is_empty() || metric.contains(char::is_whitespace) || !value.is_finite() {
            return Err(bad());
        }
        Ok(Assertion { metric: metric.to_string(), op, value })
    }

    pub fn describe(&self) -> String {
        format!("{} {} {}", self.metric, self.op.symbol(), self.value)
    }

    /// How far the figure is on the failing side, relative to the bound (≥ 0 on the failing
    /// side for `<=`, `>=`, `==`; the search climbs it).
    fn margin(&self, actual: f64) -> f64 {
        let scale = self.value.abs().max(1.0);
        let d = match self.op {
            Op::Le | Op::Lt => actual - self.value,
            Op::Ge | Op::Gt => self.value - actual,
            Op::Eq => (actual - self.value).abs(),
            Op::Ne => -(actual - self.value).abs(),
        };
        d / scale
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// The extreme of `metric` over the variants: its largest value (`maximize`) or smallest.
    Objective { metric: String, maximize: bool },
    /// A run where one of these fails, in any variant.
    Assert(Vec<Assertion>),
}

/// How one run fared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// What the search climbs: the figure (negated when minimising), or the largest assertion
    /// margin. `-inf` when the figure is absent (an empty median).
    pub score: f64,
    /// The objective's figure, or the figure of the assertion closest to failing (or failing the
    /// most: a failing assertion's margin is never below a holding one's).
    pub value: Option<f64>,
    /// Assertions only: the run is a counterexample.
    pub violated: bool,
}

impl Goal {
    pub fn metrics(&self) -> Vec<&str> {
        match self {
            Goal::Objective { metric, .. } => vec![metric.as_str()],
            Goal::Assert(list) => list.iter().map(|a| a.metric.as_str()).collect(),
        }
    }

    pub fn judge(&self, variants: &[VariantReport]) -> Verdict {
        match self {
            Goal::Objective { metric, maximize } => {
                let values = variants.iter().filter_map(|v| metric_value(v, metric));
                let value = if *maximize { values.reduce(f64::max) } else { values.reduce(f64::min) };
                let score = value.map_or(f64::NEG_INFINITY, |v| if *maximize { v } else { -v });
                Verdict { score, value, violated: false }
            }
            Goal::Assert(list) => {
                let mut verdict = Verdict { score: f64::NEG_INFINITY, value: None, violated: false };
                for a in list {
                    for v in variants {
                        let Some(actual) = metric_value(v, &a.metric) else { continue };
                        let margin = a.margin(actual);
                        if margin > verdict.score {
                            verdict.score = margin;
                            verdict.value = Some(actual);
                        }
                        verdict.violated |= !a.op.holds(actual, a.value);
                    }
                }
                verdict
            }
        }
    }

    /// Whether `v` still gives what `best` gave: the same violation, or a figure at least as
    /// extreme. What shrinking keeps.
    pub fn still(&self, v: &Verdict, best: &Verdict) -> bool {
        match self {
            Goal::Assert(_) => v.violated,
            Goal::Objective { .. } => v.score >= best.score,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assertion_reads_metric_operator_and_value_with_or_without_spaces() {
        let a = Assertion::parse("monitors.bridge.ttd_down_max_s <= 600").unwrap();
        assert_eq!((a.metric.as_str(), a.op, a.value), ("monitors.bridge.ttd_down_max_s", Op::Le, 600.0));
        assert_eq!(Assertion::parse("jobs.1.runs>=3").unwrap().op, Op::Ge);
        assert_eq!(Assertion::parse("a < 1").unwrap().op, Op::Lt);
        for bad in ["", "<= 3", "a <= x", "a b <= 3", "a <= NaN", "a ~ 3"] {
            assert!(Assertion::parse(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn the_margin_grows_toward_the_failing_side_and_is_scaled_by_the_bound() {
        let le = Assertion::parse("m <= 600").unwrap();
        assert_eq!(le.margin(300.0), -0.5);
        assert_eq!(le.margin(900.0), 0.5);
        let ge = Assertion::parse("m >= 10").unwrap();
        assert_eq!(ge.margin(5.0), 0.5);
        assert_eq!(Assertion::parse("m == 0").unwrap().margin(-2.0), 2.0);
    }
}

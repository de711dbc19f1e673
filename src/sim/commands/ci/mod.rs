//! What a CI job reads from a run: each failed expectation on stderr ([`failure_line`]), a JUnit
//! XML file ([`junit`]), and on GitHub Actions an annotation per failed expectation and the
//! Markdown verdict in the job summary ([`github`]).
//!
//! Everything here is a pure function of the reports and the scenario files' text: the same run
//! gives the same bytes (no time stamps, no durations).

pub mod github;
pub mod junit;

use std::path::Path;

use crate::sim::analysis::report::{ExpectationResult, Report};
use crate::sim::commands::run::RunOutput;
use crate::sim::scenario::positions::{self, Pos};

/// One scenario file's outcome, as CI reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioVerdict {
    /// The scenario file as given on the command line (CI tools resolve it from the checkout).
    pub file: String,
    pub outcome: VerdictOutcome,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VerdictOutcome {
    /// The scenario ran: its report, and where each expectation result's entry is in the file.
    Ran { report: Box<Report>, at: Vec<Option<Pos>> },
    /// The file could not be loaded or run: the problems, one per line.
    Invalid { problems: Vec<String> },
}

impl ScenarioVerdict {
    /// The verdict of a finished run of `file`, whose text is `text` (read again for positions:
    /// the loader keeps none once the scenario is valid).
    pub fn ran(file: &Path, text: &str, output: &RunOutput) -> Self {
        let index = positions::index(text);
        let at = output.sources.iter().map(|i| index.get(&format!("expect[{i}]")).copied()).collect();
        ScenarioVerdict { file: file.display().to_string(), outcome: VerdictOutcome::Ran { report: Box::new(output.report.clone()), at } }
    }

    pub fn invalid(file: &Path, problems: Vec<String>) -> Self {
        ScenarioVerdict { file: file.display().to_string(), outcome: VerdictOutcome::Invalid { problems } }
    }

    /// The failed expectations with their position in the file.
    pub fn failures(&self) -> Vec<(&ExpectationResult, Option<Pos>)> {
        match &self.outcome {
            VerdictOutcome::Ran { report, at } => {
                report.expectations.iter().zip(at).filter(|(e, _)| !e.passed).map(|(e, p)| (e, *p)).collect()
            }
            VerdictOutcome::Invalid { .. } => Vec::new(),
        }
    }
}

/// A figure as people read it: integers without ".0", others at 4 significant decimals at most.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `expected ttd_down_max_s <= 300, measured 412 (112 above the bound)`.
pub fn expectation_text(e: &ExpectationResult) -> String {
    let measured = match e.actual {
        None => "measured nothing: the figure is not a number in this report".to_string(),
        Some(a) => {
            let gap = a - e.bound;
            let how = if gap > 0.0 {
                format!(" ({} above the bound)", number(gap))
            } else if gap < 0.0 {
                format!(" ({} below the bound)", number(-gap))
            } else {
                String::new()
            };
            format!("measured {}{how}", number(a))
        }
    };
    format!("expected {} {} {}, {measured}", e.metric, e.op, number(e.bound))
}

/// The stderr line of a failed expectation, in the `file:line:column: ` form editors and CI
/// logs turn into links.
pub fn failure_line(file: &str, scenario: &str, e: &ExpectationResult, at: Option<Pos>) -> String {
    let place = at.map_or_else(|| format!("{file}: "), |p| format!("{file}:{}:{}: ", p.line, p.column));
    format!("{place}expectation failed in scenario {scenario}, variant {}: {}", e.variant, expectation_text(e))
}

/// Every stderr line of a verdict (none when everything held).
pub fn failure_lines(v: &ScenarioVerdict) -> Vec<String> {
    match &v.outcome {
        VerdictOutcome::Ran { report, .. } => {
            v.failures().into_iter().map(|(e, at)| failure_line(&v.file, &report.scenario, e, at)).collect()
        }
        VerdictOutcome::Invalid { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(actual: Option<f64>) -> ExpectationResult {
        ExpectationResult {
            metric: "monitors.m.ttd_down_max_s".into(),
            variant: "baseline".into(),
            op: "<=".into(),
            bound: 300.0,
            actual,
            passed: false,
        }
    }

    #[test]
    fn a_failure_line_names_the_place_the_metric_the_bound_and_the_measured_value() {
        let line = failure_line("s.json", "herd", &result(Some(412.0)), Some(Pos { line: 7, column: 5 }));
        assert_eq!(
            line,
            "s.json:7:5: expectation failed in scenario herd, variant baseline: expected monitors.m.ttd_down_max_s <= 300, measured 412 (112 above the bound)"
        );
    }

    #[test]
    fn a_figure_that_is_not_a_number_is_said_so() {
        assert!(failure_line("s.json", "x", &result(None), None).ends_with("measured nothing: the figure is not a number in this report"));
    }

    #[test]
    fn numbers_drop_a_trailing_zero_fraction_and_keep_four_decimals_at_most() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.3333");
        assert_eq!(number(-76.0), "-76");
    }
}

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
pub use crate::sim::analysis::summary::{expectation_text, number};
use crate::sim::commands::run::RunOutput;
use crate::sim::scenario::field_path::FieldPath;
use crate::sim::scenario::positions::{self, Pos, PositionIndex};

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
        let expect = FieldPath::keys("expect");
        let index = if output.sources.is_empty() { PositionIndex::new() } else { positions::index_within(text, &expect) };
        let at = output.sources.iter().map(|i| index.get(&expect.index(*i)).copied()).collect();
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
}

//! GitHub Actions: a workflow command `::error file=…,line=…,col=…::` per failed expectation (the
//! run's page shows it on the scenario file's line), and the Markdown verdict appended to the
//! file named by `GITHUB_STEP_SUMMARY` (the job's summary page). Both are documented in GitHub's
//! "Workflow commands for GitHub Actions" page.

use super::{ScenarioVerdict, VerdictOutcome, expectation_text};

/// Whether the process runs on GitHub Actions, which sets `GITHUB_ACTIONS=true` in every step.
pub fn active(github_actions: Option<&str>) -> bool {
    github_actions == Some("true")
}

/// Escaping of a workflow command's message: `%`, CR and LF.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escaping of a property value: the message's, plus `:` and `,` that separate properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` line per failed expectation, and one per invalid scenario file.
pub fn annotations(v: &ScenarioVerdict) -> Vec<String> {
    match &v.outcome {
        VerdictOutcome::Ran { report, .. } => v
            .failures()
            .into_iter()
            .map(|(e, at)| {
                let place = at.map_or_else(String::new, |p| format!(",line={},col={}", p.line, p.column));
                format!(
                    "::error file={}{place},title={}::{}",
                    escape_property(&v.file),
                    escape_property(&format!("expectation failed: {} ({})", report.scenario, e.variant)),
                    escape_data(&expectation_text(e))
                )
            })
            .collect(),
        VerdictOutcome::Invalid { problems } => {
            vec![format!("::error file={},title=invalid scenario::{}", escape_property(&v.file), escape_data(&problems.join("\n")))]
        }
    }
}

/// Append `markdown` to the job summary file (GitHub creates it empty for each step).
pub fn append_summary(path: &std::path::Path, markdown: &str) -> Result<(), String> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()))
        .map_err(|e| format!("cannot append to the job summary {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::analysis::report::{ExpectationResult, Report};
    use crate::sim::scenario::positions::Pos;

    #[test]
    fn only_the_exact_value_true_means_github_actions() {
        assert!(active(Some("true")));
        assert!(!active(Some("1")) && !active(None));
    }

    #[test]
    fn a_failed_expectation_is_one_error_on_its_line_with_separators_escaped() {
        let failed = ExpectationResult {
            metric: "sync.attempts".into(),
            variant: "a,b".into(),
            op: "==".into(),
            bound: 4.0,
            actual: Some(3.0),
            passed: false,
        };
        let held = ExpectationResult { passed: true, ..failed.clone() };
        let report = Report {
            scenario: "s".into(),
            passed: false,
            expectations: vec![held, failed],
            description: String::new(),
            seed: 1,
            start: String::new(),
            end: String::new(),
            time_zone: String::new(),
            duration: String::new(),
            connections: 0,
            syncsim_version: String::new(),
            variants: vec![],
        };
        let v = ScenarioVerdict {
            file: "scenarios/s.json".into(),
            outcome: VerdictOutcome::Ran { report: Box::new(report), at: vec![None, Some(Pos { line: 9, column: 5 })] },
        };
        assert_eq!(
            annotations(&v),
            vec![
                "::error file=scenarios/s.json,line=9,col=5,title=expectation failed%3A s (a%2Cb)::expected sync.attempts == 4, measured 3 (1 below the bound)"
            ]
        );
    }
}

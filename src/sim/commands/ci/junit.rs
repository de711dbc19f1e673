//! JUnit XML, the format GitLab, Jenkins, Azure Pipelines and most CI dashboards read: one test
//! suite per scenario file, one test case per expectation and variant. A failure's message holds
//! the measured value and the bound; an invalid scenario is one test case in error, with its
//! problems. No time stamps or durations, so the same run gives the same bytes.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{ScenarioVerdict, VerdictOutcome, expectation_text};

/// The JUnit XML of a run of several scenario files.
pub fn junit(verdicts: &[ScenarioVerdict]) -> Result<String, String> {
    let mut report = Report::new("syncsim");
    for v in verdicts {
        report.add_test_suite(suite(v));
    }
    report.to_string().map_err(|e| format!("cannot write the JUnit XML: {e}"))
}

fn suite(v: &ScenarioVerdict) -> TestSuite {
    match &v.outcome {
        VerdictOutcome::Ran { report, at } => {
            let mut suite = TestSuite::new(report.scenario.clone());
            suite.add_property(Property::new("file", v.file.clone()));
            suite.add_property(Property::new("seed", report.seed.to_string()));
            for (e, pos) in report.expectations.iter().zip(at) {
                let name = format!("{}: {} {} {}", e.variant, e.metric, e.op, super::number(e.bound));
                let status = if e.passed {
                    TestCaseStatus::success()
                } else {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_type("expectation failed");
                    s.set_message(expectation_text(e));
                    if let Some(p) = pos {
                        s.set_description(format!("{}:{}:{}", v.file, p.line, p.column));
                    }
                    s
                };
                let mut case = TestCase::new(name, status);
                case.set_classname(report.scenario.clone());
                suite.add_test_case(case);
            }
            suite
        }
        VerdictOutcome::Invalid { problems } => {
            let mut suite = TestSuite::new(v.file.clone());
            suite.add_property(Property::new("file", v.file.clone()));
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type("invalid scenario");
            s.set_message(format!("{} problem(s) in {}", problems.len(), v.file));
            s.set_description(problems.join("\n"));
            let mut case = TestCase::new("load the scenario", s);
            case.set_classname(v.file.clone());
            suite.add_test_case(case);
            suite
        }
    }
}

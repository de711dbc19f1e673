//! `report.html` and `index.html`: the report for people in a browser, on a phone and on paper.
//! Self-contained (CSS and SVG plots inline, no script, no network, no web font), and a pure
//! function of the report, so its bytes are as deterministic as `report.md`.
//!
//! Order: the verdict in plain words, the expectations, then the Markdown report's sections
//! (rendered by pulldown-cmark) with each plot inlined where the Markdown links it. A table longer
//! than [`FOLD_ROWS`] rows is folded in a `<details>` element; wide tables scroll sideways inside
//! their own box so the page never does.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::sim::analysis::report::Report;
use crate::sim::analysis::summary;

/// Tables with more body rows than this start folded.
pub const FOLD_ROWS: usize = 12;

const CSS: &str = r#"
:root { color-scheme: light; --ok: #1a7f37; --bad: #b3261e; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --warn: #f0b72f; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; }
p, li { overflow-wrap: anywhere; }
code { font: 0.9em/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
td code, th code { overflow-wrap: normal; white-space: nowrap; }
.mark { display: inline-block; padding: 0 0.4em; border-radius: 0.25em; font-weight: 700; font-size: 0.85em; color: #fff; letter-spacing: 0.03em; }
.mark.ok { background: var(--ok); } .mark.bad { background: var(--bad); } .mark.warn { background: var(--warn); color: #1f2328; }
.verdict { border-left: 0.4rem solid var(--ok); padding: 0.5rem 1rem; background: #f6f8fa; }
.verdict.failed { border-color: var(--bad); } .verdict.attention { border-color: var(--warn); }
.verdict p { margin: 0.4rem 0; }
.meta { color: var(--muted); font-size: 0.9rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
td[style*="right"], th[style*="right"] { font-variant-numeric: tabular-nums; }
details { margin: 0.5rem 0; }
summary { cursor: pointer; color: var(--muted); }
figure { margin: 1rem 0; overflow-x: auto; }
figure svg { max-width: 100%; min-width: 40rem; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.85rem; }
pre { overflow-x: auto; background: #f6f8fa; padding: 0.5rem; }
ul.runs { padding-left: 1.2rem; }
@media print {
  main { max-width: none; padding: 0; }
  details > summary { display: none; }
  .scroll, figure { overflow: visible; }
  figure svg { min-width: 0; }
  figure, table { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// A sentence whose `backticked` words are code, as in the Markdown.
fn inline_code(s: &str) -> Markup {
    html! {
        @for (k, part) in s.split('`').enumerate() {
            @if k % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

fn mark(passed: bool) -> Markup {
    html! {
        @if passed { span.mark.ok { "PASS" } } @else { span.mark.bad { "FAIL" } }
    }
}

fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body { main { (body) } }
        }
    }
    .into_string()
}

/// The report of one scenario. `markdown` is its report.md, `plots` its SVG files by name.
pub fn report(report: &Report, markdown: &str, plots: &[(String, String)]) -> String {
    let verdict = if report.passed { "passed" } else { "failed" };
    let attention = report.passed && summary::needs_attention(report);
    let body = html! {
        h1 { (mark(report.passed)) " " @if attention { span.mark.warn { "ATTENTION" } " " } (report.scenario) }
        section class={ "verdict " (verdict) @if attention { " attention" } } {
            @if attention { p { strong { "The expectations hold, but this report shows a problem to act on:" } } }
            @for s in summary::sentences(report) { p { (inline_code(&s)) } }
        }
        @if !report.description.is_empty() { p { (report.description) } }
        p.meta {
            "Seed " (report.seed) " · " (report.start) " to " (report.end) " (" (report.duration) ", " (report.time_zone) ") · "
            (summary::int(report.connections as i64)) " connections · syncsim " (report.syncsim_version)
        }
        h2 { "Expectations" }
        @if report.expectations.is_empty() {
            p { "None: this scenario states no expectation." }
        } @else {
            (PreEscaped(fold(&html! {
                div.scroll { table {
                    thead { tr { th { "result" } th { "variant" } th { "figure" } th { "expected" } th { "measured" } } }
                    tbody { @for e in &report.expectations {
                        tr {
                            td { (mark(e.passed)) }
                            td { (e.variant) }
                            td { code { (e.metric) } }
                            td { (e.op) " " (summary::number(e.bound)) }
                            td { @match e.actual { Some(a) => (summary::number(a)), None => "not a number" } }
                        }
                    } }
                } }
            }.into_string(), report.expectations.len())))
        }
        (PreEscaped(sections(markdown, plots)))
    };
    page(&format!("{} — {}", report.scenario, verdict.to_uppercase()), body)
}

/// The Markdown after its Expectations section, as HTML, with plots inlined and long tables folded.
fn sections(markdown: &str, plots: &[(String, String)]) -> String {
    // The title, description, meta line and expectations are drawn above from the report itself.
    let rest = markdown.find("\n## ").and_then(|i| markdown[i + 1..].find("\n## ").map(|j| &markdown[i + 1 + j + 1..])).unwrap_or("");
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    let parser = pulldown_cmark::Parser::new_ext(rest, options);
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, parser);
    let out = inline_plots(&out, plots);
    wrap_tables(&out)
}

/// `<p><img src="x.svg" alt="x.svg" /></p>` becomes a figure holding the SVG itself.
fn inline_plots(html: &str, plots: &[(String, String)]) -> String {
    let mut out = html.to_string();
    for (name, svg) in plots {
        let img = format!("<p><img src=\"{name}\" alt=\"{name}\" /></p>");
        let svg = svg.trim_start_matches(|c| c != '<').trim();
        let svg = if svg.starts_with("<?xml") { svg.split_once("?>").map_or(svg, |(_, s)| s.trim()) } else { svg };
        let svg = svg.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{}\" ", caption(name)), 1);
        out = out.replace(&img, &format!("<figure>{svg}<figcaption>{}</figcaption></figure>", caption(name)));
    }
    out
}

/// A plot's caption from its file name: `timeline_bridge.svg` → "timeline bridge".
fn caption(name: &str) -> String {
    name.trim_end_matches(".svg").replace('_', " ")
}

/// Every table in a sideways-scrolling box, folded when it has more than [`FOLD_ROWS`] rows.
fn wrap_tables(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<table>") {
        let Some(len) = rest[start..].find("</table>") else { break };
        let end = start + len + "</table>".len();
        out.push_str(&rest[..start]);
        let table = &rest[start..end];
        let rows = table.matches("<tr>").count().saturating_sub(1);
        out.push_str(&fold(&format!("<div class=\"scroll\">{table}</div>"), rows));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn fold(table: &str, rows: usize) -> String {
    if rows > FOLD_ROWS {
        format!("<details><summary>Table of {rows} rows (click to open)</summary>{table}</details>")
    } else {
        table.to_string()
    }
}

/// One scenario on the index page.
pub struct IndexEntry<'a> {
    /// The folder of its report, relative to the index.
    pub dir: String,
    pub report: &'a Report,
}

/// `index.html` over a run: each scenario's verdict and first sentence, linking to its report.
pub fn index(title: &str, entries: &[IndexEntry<'_>]) -> String {
    let failed = entries.iter().filter(|e| !e.report.passed).count();
    let body = html! {
        h1 { (title) }
        section class={ "verdict " (if failed == 0 { "passed" } else { "failed" }) } {
            p {
                @if failed == 0 { "Every expectation of the " (entries.len()) " scenarios holds." }
                @else { (failed) " of " (entries.len()) " scenarios have a failed expectation: open them first." }
                " A scenario that passes may still show a problem it was written to show: read each verdict."
            }
        }
        ul.runs {
            @for e in entries {
                li {
                    (mark(e.report.passed)) " "
                    @if e.report.passed && summary::needs_attention(e.report) { span.mark.warn { "ATTENTION" } " " }
                    a href={ (e.dir) "/report.html" } { (e.report.scenario) }
                    " — " (inline_code(&summary::sentences(e.report).first().cloned().unwrap_or_default()))
                }
            }
        }
    };
    page(title, body)
}

//! Reading a scenario file: JSON syntax, then the typed structure, then the semantic checks, with
//! *every* problem reported with file, line, column, field path, expected and found (SPEC 6).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use super::finding::Finding;
use super::model::*;
use std::collections::{BTreeMap, BTreeSet};

use super::field_path::{FieldPath, Seg};
use super::nearest::nearest;
use super::positions::{self, Pos, PositionIndex};
use super::validate::{self, Scenario};

/// Files larger than this are refused before parsing (a typo'd path to a log file, say).
pub const MAX_FILE_BYTES: usize = 64 << 20;
/// What a file over [`MAX_FILE_BYTES`] is told (README, "Why files stop at 64 MiB": a refused
/// file is read into a tree of about 16 bytes a byte).
const TOO_BIG: &str = "a file of at most 64 MiB (1 000 000 timeline events fit when written one compact event a line)";

/// One problem in one file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Problem {
    pub file: String,
    /// 1-based; 0 when the problem is with the file as a whole (it cannot be read).
    pub line: u32,
    pub column: u32,
    /// The field path, e.g. `sync.connectors[2].capacity` (`.` for the whole file); keys that
    /// are not plain names are printed quoted and escaped (see [`FieldPath`]).
    pub path: String,
    pub expected: String,
    pub found: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: expected {}, found {}", self.file, self.expected, self.found)
        } else {
            write!(f, "{}:{}:{}: {}: expected {}, found {}", self.file, self.line, self.column, self.path, self.expected, self.found)
        }
    }
}

/// A problem with the file itself (it cannot be read), with no position in it.
fn unreadable(file: &str, expected: &str, found: String) -> Vec<Problem> {
    vec![Problem { file: file.into(), line: 0, column: 0, path: ".".into(), expected: expected.into(), found }]
}

/// Read and check a scenario file. Only regular files are read (a FIFO without a writer would
/// block, `/dev/zero` would never end), and never more than [`MAX_FILE_BYTES`].
pub fn load_file(path: &Path) -> Result<Scenario, Vec<Problem>> {
    use std::io::Read;
    let label = path.display().to_string();
    let what = "a readable scenario file";
    let meta = std::fs::metadata(path).map_err(|e| unreadable(&label, what, os_reason(&e)))?;
    if !meta.is_file() {
        let kind = if meta.is_dir() { "a directory" } else { "a special file (device, FIFO or socket)" };
        return Err(unreadable(&label, "a regular file", kind.into()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| unreadable(&label, what, os_reason(&e)))?;
    if bytes.len() > MAX_FILE_BYTES {
        let size = meta.len().max(bytes.len() as u64);
        return Err(unreadable(&label, TOO_BIG, format!("{size} bytes")));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        unreadable(&label, "UTF-8 text", format!("invalid UTF-8 at byte {at}"))
    })?;
    load_str(&label, &text)
}

/// The OS's reason without Rust's " (os error N)" suffix: "No such file or directory".
fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Check a scenario given as text; `file` names it in problems.
pub fn load_str(file: &str, text: &str) -> Result<Scenario, Vec<Problem>> {
    let whole = |expected: &str, found: String| Problem {
        file: file.into(),
        line: 1,
        column: 1,
        path: ".".into(),
        expected: expected.into(),
        found,
    };
    if text.len() > MAX_FILE_BYTES {
        return Err(vec![whole(TOO_BIG, format!("{} bytes", text.len()))]);
    }
    // Editors on Windows often start UTF-8 files with a byte order mark; it carries no meaning.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The common case first: a valid file is read straight into its types, with no tree and
    // no position index (1 000 000 timeline events: see benches/README.md). Anything wrong
    // takes the slow path below, which locates every problem.
    if let Some(scenario) = valid_fast(text) {
        return Ok(scenario);
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![Problem {
                file: file.into(),
                line: (e.line() as u32).max(1),
                // serde_json says column 0 for an error at a line break: point at the line.
                column: (e.column() as u32).max(1),
                path: ".".into(),
                expected: "valid JSON".into(),
                found: strip_position(&e.to_string()),
            }]);
        }
    };
    // serde_json keeps the last of two equal keys silently; a second value is almost always a
    // pasting mistake, and the first one is the one a reader sees.
    let mut problems: Vec<(Pos, Problem)> = positions::duplicate_keys(text)
        .iter()
        .map(|(path, at)| {
            let p = Problem {
                file: file.into(),
                line: at.line,
                column: at.column,
                path: path.to_string(),
                expected: "each key once in its object".into(),
                found: "the key a second time".into(),
            };
            (*at, p)
        })
        .collect();
    let findings = match findings_of(value) {
        Ok(scenario) if problems.is_empty() => return Ok(scenario),
        Ok(_) => Vec::new(),
        Err(findings) => findings,
    };
    // Positions of the findings' paths and of their parents only (a missing field points at
    // its parent): an index of every value of a 1 000 000-event file would take gigabytes.
    let wanted: BTreeSet<FieldPath> = findings.iter().flat_map(|f| (0..=f.path.segments().len()).map(|n| f.path.prefix(n))).collect();
    let index = positions::index_of(text, wanted);
    problems.extend(findings.into_iter().map(|f| locate(file, &index, f)));
    // In file order, as an editor lists them (the sort is stable: problems at one place keep
    // the order of the checks).
    problems.sort_by_key(|(pos, _)| (pos.line, pos.column));
    Err(problems.into_iter().map(|(_, p)| p).collect())
}

/// What is wrong with a file serde_json could read: its structural findings and the semantic
/// ones despite them, or the semantic ones only. Takes the tree, and lets it go as soon as it
/// can: a 1 000 000-event file's tree weighs hundreds of MB.
fn findings_of(value: Value) -> Result<Scenario, Vec<Finding>> {
    match serde_path_to_error::deserialize::<_, ScenarioFile>(&value) {
        Ok(parsed) => {
            drop(value);
            validate::validate(parsed)
        }
        Err(first) => {
            let mut findings = Vec::new();
            collect_structure(&value, &mut findings);
            if findings.is_empty() {
                findings.push(from_serde(&FieldPath::root(), first.path(), &first.inner().to_string()));
            }
            // Report the semantic problems too: check a repaired copy (bad parts removed) and
            // keep what it finds outside the removed parts.
            let semantic = semantic_findings_despite(value, &findings);
            findings.extend(semantic);
            Err(findings)
        }
    }
}

/// The scenario, if the file is valid: no key repeated, the types read, the meaning checked.
fn valid_fast(text: &str) -> Option<Scenario> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let file: ScenarioFile = serde::Deserialize::deserialize(&mut reader).ok()?;
    reader.end().ok()?;
    // The scanner only runs on text serde_json accepted (it relies on the syntax being right).
    if !positions::duplicate_keys(text).is_empty() {
        return None;
    }
    validate::validate(file).ok()
}

/// Remove what the structural findings point at (or put a placeholder in a required field),
/// parse again, and validate. Findings come back with the original array indices, and none of
/// them lies inside a removed part or repeats a structural finding.
fn semantic_findings_despite(value: Value, structural: &[Finding]) -> Vec<Finding> {
    let originals = Originals::keep(&value, structural);
    let mut repaired = value;
    // Every removal, in the coordinates of the tree it was removed from, in order.
    let mut removed: Vec<FieldPath> = Vec::new();
    let mut removed_set: BTreeSet<FieldPath> = BTreeSet::new();
    let mut pending: Vec<FieldPath> = structural.iter().map(|f| f.path.clone()).collect();
    // The first round's paths are in the file's own coordinates.
    let structural_paths: Vec<&FieldPath> = structural.iter().map(|f| &f.path).collect();
    for _round in 0..6 {
        // Deepest and highest index first, so removing an array element never shifts another
        // pending path (segments compare indices as numbers: a[10] goes before a[9]).
        pending.sort_by(|a, b| b.cmp(a));
        pending.dedup();
        remove_all(&mut repaired, &pending);
        for path in pending.drain(..) {
            removed_set.insert(path.clone());
            removed.push(path);
        }
        match serde_path_to_error::deserialize::<_, ScenarioFile>(&repaired) {
            Ok(file) => {
                let Err(semantic) = validate::validate(file) else { return Vec::new() };
                let structural: BTreeSet<&FieldPath> = structural.iter().map(|f| &f.path).collect();
                let back = IndexMapBack::new(&removed);
                return semantic
                    .into_iter()
                    .map(|mut f| {
                        f.path = back.original(&f.path);
                        f
                    })
                    .filter(|f| !removed_set.iter().any(|r| f.path.within(r)) && !structural.contains(&f.path))
                    .filter(|f| !follows_from_removal(f, &originals, &structural_paths))
                    .collect();
            }
            Err(e) => {
                let mut again = Vec::new();
                collect_structure(&repaired, &mut again);
                if again.is_empty() {
                    again.push(from_serde(&FieldPath::root(), e.path(), &e.inner().to_string()));
                }
                pending = again.into_iter().map(|f| f.path).filter(|p| !removed_set.contains(p)).collect();
                if pending.is_empty() {
                    break;
                }
            }
        }
    }
    Vec::new()
}

/// Whether a semantic finding on the repaired copy only says that something removed for a
/// structural problem is missing: a reference to a job, monitor, connector or variant whose
/// declaration was removed (or could not be read), or a metric of such a part. The root problem
/// is already reported; this would be a second, misleading one (issue #16, item 6). A reference
/// to a name that was never declared is still reported.
fn follows_from_removal(f: &Finding, originals: &Originals, structural: &[&FieldPath]) -> bool {
    let referred = f.found.trim_matches('"');
    validate::sections_behind(&f.expected).iter().any(|(section, id_key)| {
        let section = FieldPath::keys(section);
        structural.iter().any(|p| {
            if section.within(p) {
                return true; // the whole section (or what holds it) is gone
            }
            if !p.within(&section) {
                return false;
            }
            let Some(Seg::Index(i)) = p.segments().get(section.segments().len()) else { return true };
            let element = originals.element(&section.index(*i));
            match element.and_then(|e| e.get(*id_key)) {
                Some(Value::String(id)) => id == referred || id_key.is_empty(),
                Some(Value::Number(id)) => id.to_string() == referred || id_key.is_empty(),
                _ => true, // the declaration's id itself is unreadable
            }
        })
    })
}

/// The array elements the structural findings point into, as they were before the repair
/// removed them: all [`follows_from_removal`] reads of the original file, instead of a copy of
/// the whole tree.
struct Originals(BTreeMap<FieldPath, Value>);

impl Originals {
    fn keep(value: &Value, structural: &[Finding]) -> Self {
        let mut elements = BTreeMap::new();
        for f in structural {
            for (n, seg) in f.path.segments().iter().enumerate() {
                if let Seg::Index(_) = seg {
                    let path = f.path.prefix(n + 1);
                    if let Some(element) = node(value, path.segments()) {
                        elements.entry(path).or_insert_with(|| element.clone());
                    }
                }
            }
        }
        Originals(elements)
    }
    fn element(&self, path: &FieldPath) -> Option<&Value> {
        self.0.get(path)
    }
}

fn node<'v>(value: &'v Value, path: &[Seg]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Seg::Key(k) => v.get(k),
        Seg::Index(i) => v.get(i),
    })
}

/// Placeholders for required top-level fields, so the rest of the file can still be checked.
fn placeholder(path: &FieldPath) -> Option<(&'static str, Value)> {
    let [Seg::Key(key)] = path.segments() else { return None };
    match key.as_str() {
        "name" => Some(("name", Value::String("placeholder".into()))),
        "start" => Some(("start", Value::String("2026-01-01T00:00:00Z".into()))),
        "duration" => Some(("duration", Value::String("1d".into()))),
        _ => None,
    }
}

fn node_mut<'v>(value: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Seg::Key(k) => v.as_object_mut()?.get_mut(k),
        Seg::Index(i) => v.as_array_mut()?.get_mut(*i),
    })
}

/// Remove every path (sorted deepest and highest index first), or put a placeholder in a
/// required field. Elements of one array go in one pass, so removing thousands of bad elements
/// costs one pass over the array, not one shift per element.
fn remove_all(value: &mut Value, paths: &[FieldPath]) {
    let mut by_array: BTreeMap<FieldPath, BTreeSet<usize>> = BTreeMap::new();
    for path in paths {
        if let Some((key, v)) = placeholder(path) {
            if let Some(obj) = value.as_object_mut() {
                obj.insert(key.into(), v);
            }
            continue;
        }
        let Some((parent, last)) = path.split_last() else { continue };
        match last {
            Seg::Index(i) => {
                by_array.entry(parent).or_default().insert(*i);
            }
            Seg::Key(k) => {
                if let Some(Value::Object(map)) = node_mut(value, parent.segments()) {
                    map.remove(k);
                }
            }
        }
    }
    // Deepest arrays first: an element removed from an outer array cannot move an inner one.
    for (parent, gone) in by_array.into_iter().rev() {
        if let Some(Value::Array(items)) = node_mut(value, parent.segments()) {
            let mut i = 0;
            items.retain(|_| {
                let keep = !gone.contains(&i);
                i += 1;
                keep
            });
        }
    }
}

/// Maps array indices of the repaired tree back to the file's: an element removed at or before
/// an index shifts it by one, round by round in reverse.
struct IndexMapBack<'a> {
    /// For each array (in the coordinates of its removal round), the removed indices, sorted.
    gone: BTreeMap<&'a [Seg], Vec<usize>>,
}

impl<'a> IndexMapBack<'a> {
    fn new(removed: &'a [FieldPath]) -> Self {
        let mut gone: BTreeMap<&[Seg], Vec<usize>> = BTreeMap::new();
        for r in removed {
            if let Some((Seg::Index(i), parent)) = r.segments().split_last() {
                gone.entry(parent).or_default().push(*i);
            }
        }
        for v in gone.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        IndexMapBack { gone }
    }

    fn original(&self, path: &FieldPath) -> FieldPath {
        let mut out = path.clone();
        for (at, seg) in path.segments().iter().enumerate() {
            let &Seg::Index(mut index) = seg else { continue };
            let array = &out.segments()[..at];
            if let Some(gone) = self.gone.get(array) {
                for &g in gone {
                    if g <= index {
                        index += 1;
                    }
                }
            }
            out = out.with_index_at(at, index);
        }
        out
    }
}

/// serde_json appends " at line L column C" to syntax errors; the Problem carries those apart.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn locate(file: &str, index: &PositionIndex, f: Finding) -> (Pos, Problem) {
    // The deepest prefix of the path that exists in the text (a missing field points at its
    // parent object).
    let segments = f.path.segments().len();
    let pos = (0..=segments).rev().find_map(|n| index.get(&f.path.prefix(n)).copied()).unwrap_or(Pos { line: 1, column: 1 });
    let problem = Problem {
        file: file.into(),
        line: pos.line,
        column: pos.column,
        path: f.path.to_string(),
        expected: printable(&f.expected),
        found: printable(&f.found),
    };
    (pos, problem)
}

/// Text from the file, safe to print: control characters (line breaks, ESC, DEL…) escaped, so
/// that one problem stays on one line and a file cannot send escape codes to a terminal.
fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// Turn a serde message into expected/found, and extend the path with an unknown field's name.
fn from_serde(base: &FieldPath, inner: &serde_path_to_error::Path, msg: &str) -> Finding {
    let mut path = base.join_serde(inner);
    let between = |s: &str| s.split('`').nth(1).map(str::to_string);
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let name = between(rest).unwrap_or_default();
        if !name.is_empty() && !path.ends_with_key(&name) {
            path = path.key(&name);
        }
        let expected = match rest.split_once(", expected ") {
            Some((_, e)) => {
                let names = e.split('`').skip(1).step_by(2);
                match nearest(&name, names) {
                    Some(near) => format!("a known field: did you mean `{near}`?"),
                    None => e.to_string(),
                }
            }
            None => "no such field".into(),
        };
        return Finding::new(path, expected, format!("unknown field `{name}`"));
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return Finding::new(path, format!("field {rest}"), "nothing");
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return Finding::new(path, expected, found);
        }
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.split_once(", expected ") {
                return Finding::new(path, expected, found);
            }
        }
    }
    if let Some(rest) = msg.strip_prefix("expected ") {
        if let Some((expected, found)) = rest.rsplit_once(", found ") {
            return Finding::new(path, expected, found);
        }
    }
    Finding::new(path, msg, "")
}

fn check<T: DeserializeOwned>(value: &Value, path: &FieldPath, out: &mut Vec<Finding>) {
    if let Err(e) = serde_path_to_error::deserialize::<_, T>(value) {
        let mut f = from_serde(path, e.path(), &e.inner().to_string());
        // Internally tagged enums (timeline events) lose the path inside the element: find the
        // member that holds the unknown value.
        if f.path == *path {
            let quoted = |open: char, close: char| f.found.strip_prefix(open).and_then(|x| x.strip_suffix(close));
            if let (Some(obj), Some(bad)) = (value.as_object(), quoted('`', '`').or_else(|| quoted('"', '"'))) {
                if let Some((key, _)) = obj.iter().find(|(_, v)| v.as_str() == Some(bad)) {
                    f.path = path.key(key);
                }
            }
        }
        out.push(f);
    }
}

fn check_each<T: DeserializeOwned>(value: &Value, path: &FieldPath, out: &mut Vec<Finding>) {
    match value.as_array() {
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                check::<T>(item, &path.index(i), out);
            }
        }
        None => check::<Vec<T>>(value, path, out),
    }
}

/// Checks one member (key, value, path) and says whether the key is known.
type MemberCheck<'a> = &'a dyn Fn(&str, &Value, &FieldPath, &mut Vec<Finding>) -> bool;

/// Check an object's members one by one so that every bad member is reported, not just the first.
/// `known` lists every field `member` accepts, for "did you mean".
fn check_members(value: &Value, path: &FieldPath, required: &[&str], known: &[&str], member: MemberCheck<'_>, out: &mut Vec<Finding>) {
    let Some(map) = value.as_object() else {
        out.push(Finding::new(path, "an object", kind_of(value)));
        return;
    };
    for name in required {
        if !map.contains_key(*name) {
            out.push(Finding::new(path, format!("field `{name}`"), "nothing"));
        }
    }
    for (key, v) in map {
        let child = path.key(key);
        if !member(key, v, &child, out) {
            let expected = match nearest(key, known.iter().copied()) {
                Some(near) => format!("a known field: did you mean `{near}`?"),
                None => format!("one of {}", known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")),
            };
            out.push(Finding::new(child, expected, format!("unknown field `{key}`")));
        }
    }
}

fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Walk the file section by section, element by element, collecting every structural problem.
fn collect_structure(value: &Value, out: &mut Vec<Finding>) {
    check_members(
        value,
        &FieldPath::root(),
        &["name", "start", "duration"],
        &[
            "$schema",
            "name",
            "description",
            "seed",
            "start",
            "duration",
            "time_zone",
            "sync",
            "cron",
            "kuma",
            "payments",
            "faults",
            "timeline",
            "variants",
            "report",
            "expect",
        ],
        &|key, v, path, out| {
            match key {
                "name" | "description" | "time_zone" | "$schema" => check::<String>(v, path, out),
                "seed" => check::<u64>(v, path, out),
                "start" => check::<crate::time::At>(v, path, out),
                "duration" => check::<crate::time::Duration>(v, path, out),
                "sync" => collect_sync(v, path, out),
                "cron" => check::<CronSection>(v, path, out),
                "kuma" => check::<KumaSection>(v, path, out),
                "payments" => check::<super::payments::PaymentsSection>(v, path, out),
                "faults" => check::<crate::world::network::faults::FaultsSpec>(v, path, out),
                "timeline" => check_each::<TimelineEvent>(v, path, out),
                "variants" => check_each::<Variant>(v, path, out),
                "report" => check::<ReportSettings>(v, path, out),
                "expect" => check_each::<Expectation>(v, path, out),
                _ => return false,
            }
            true
        },
        out,
    );
}

fn collect_sync(value: &Value, path: &FieldPath, out: &mut Vec<Finding>) {
    check_members(
        value,
        path,
        &[],
        &[
            "autosync_frequency",
            "retry_wrongpass",
            "wrongpass_row_resets_on_user_action",
            "spreading",
            "backoff",
            "connectors",
            "connections",
            "populations",
        ],
        &|key, v, path, out| {
            match key {
                "autosync_frequency" => check::<crate::time::Duration>(v, path, out),
                "retry_wrongpass" => check::<u8>(v, path, out),
                "wrongpass_row_resets_on_user_action" => check::<bool>(v, path, out),
                "spreading" => check::<crate::logic::sync::SpreadingSettings>(v, path, out),
                "backoff" => check::<crate::logic::sync::BackoffSettings>(v, path, out),
                "connectors" => check_each::<ConnectorSpec>(v, path, out),
                "connections" => check_each::<ConnectionSpec>(v, path, out),
                "populations" => check_each::<PopulationSpec>(v, path, out),
                _ => return false,
            }
            true
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_split_into_expected_and_found() {
        let mut out = Vec::new();
        let at = FieldPath::keys("sync.connectors").index(0);
        check::<ConnectorSpec>(&serde_json::json!({"id": "a", "capacity": "ten"}), &at, &mut out);
        assert_eq!(out, vec![Finding::new(at.key("capacity"), "u32", "string \"ten\"")]);
        out.clear();
        let at = FieldPath::keys("timeline").index(2);
        check::<TimelineEvent>(&serde_json::json!({"at": "+1h", "event": "user_action", "conection": "c1"}), &at, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].path.to_string(), "timeline[2].conection");
        assert_eq!(out[0].found, "unknown field `conection`");
    }

    #[test]
    fn a_map_key_with_path_characters_and_another_error_is_reported_without_panic() {
        // Issue #17 item 1: this file made the loader panic (exit 101).
        let text = r#"{"name":"x","start":"2026-01-01T00:00:00Z","duration":"1d","seed":"x",
            "sync":{"connectors":[{"id":"a"}],"populations":[{"name":"p","count":1,"connectors":{"[":1,"a.b[0]":2}}]}}"#;
        let problems = load_str("f.json", text).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"seed"), "{paths:?}");
        assert!(paths.contains(&"sync.populations[0].connectors[\"[\"]"), "{paths:?}");
        assert!(problems.iter().all(|p| p.line >= 1), "{problems:?}");
    }

    #[test]
    fn bad_elements_are_removed_highest_index_first_so_none_shifts_another() {
        let mut v = serde_json::json!({"a": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]});
        let a = FieldPath::keys("a");
        let mut paths = vec![a.index(9), a.index(10), a.index(2)];
        paths.sort_by(|x, y| y.cmp(x));
        remove_all(&mut v, &paths);
        assert_eq!(v, serde_json::json!({"a": [0, 1, 3, 4, 5, 6, 7, 8, 11]}));
        let removed = paths;
        let back = IndexMapBack::new(&removed);
        assert_eq!(back.original(&a.index(2)), a.index(3));
        assert_eq!(back.original(&a.index(8)), a.index(11));
    }

    #[test]
    fn a_repeated_key_is_a_problem_at_its_second_place() {
        let text = "{\"name\": \"x\", \"name\": \"y\", \"start\": \"2026-01-01T00:00:00Z\", \"duration\": \"1d\"}";
        let problems = load_str("f.json", text).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!((problems[0].line, problems[0].column, problems[0].path.as_str()), (1, 15, "name"));
    }

    #[test]
    fn keys_with_line_breaks_or_escapes_print_escaped_on_one_line_at_their_place() {
        let text = "{\"name\": \"x\", \"start\": \"2026-01-01T00:00:00Z\", \"duration\": \"1d\",\n \"a\\u001b[31m\\r\\nb\": 1}";
        let problems = load_str("f.json", text).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        let line = problems[0].to_string();
        assert!(!line.contains(['\n', '\r', '\u{1b}']), "{line}");
        assert_eq!((problems[0].line, problems[0].column), (2, 2));
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let text = "\u{feff}{\"name\": \"x\", \"start\": \"2026-01-01T00:00:00Z\", \"duration\": \"1d\"}";
        assert!(load_str("f.json", text).is_ok());
    }
}

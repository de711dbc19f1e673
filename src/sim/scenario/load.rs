//! Reading a scenario file: JSON syntax, then the typed structure, then the semantic checks, with
//! *every* problem reported with file, line, column, field path, expected and found (SPEC 6).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use super::finding::Finding;
use super::model::*;
use super::positions::{self, Pos, PositionIndex, join_index, join_key};
use super::validate::{self, Scenario};

/// Files larger than this are refused before parsing (a typo'd path to a log file, say).
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// One problem in one file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {path}: expected {expected}, found {found}")]
pub struct Problem {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The field path, e.g. `sync.connectors[2].capacity` (`.` for the whole file).
    pub path: String,
    pub expected: String,
    pub found: String,
}

/// Read and check a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, Vec<Problem>> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Problem {
            file: label.clone(),
            line: 0,
            column: 0,
            path: ".".into(),
            expected: "a readable scenario file".into(),
            found: e.to_string(),
        }]
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![Problem {
            file: label.clone(),
            line: 0,
            column: 0,
            path: ".".into(),
            expected: "UTF-8 text".into(),
            found: format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        }]
    })?;
    load_str(&label, &text)
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
        return Err(vec![whole("a file of at most 64 MiB", format!("{} bytes", text.len()))]);
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
    let index = positions::index(text);
    let located = |findings: Vec<Finding>| -> Vec<Problem> { findings.into_iter().map(|f| locate(file, &index, f)).collect() };
    let parsed: Result<ScenarioFile, _> = serde_path_to_error::deserialize(&value);
    match parsed {
        Ok(file) => validate::validate(file).map_err(located),
        Err(first) => {
            let mut findings = Vec::new();
            collect_structure(&value, &mut findings);
            if findings.is_empty() {
                findings.push(from_serde("", &first.path().to_string(), &first.inner().to_string()));
            }
            // Report the semantic problems too: check a repaired copy (bad parts removed) and
            // keep what it finds outside the removed parts.
            findings.extend(semantic_findings_despite(&value, &findings));
            Err(located(findings))
        }
    }
}

/// Remove what the structural findings point at (or put a placeholder in a required field),
/// parse again, and validate. Findings come back with the original array indices, and none of
/// them lies inside a removed part.
fn semantic_findings_despite(value: &Value, structural: &[Finding]) -> Vec<Finding> {
    let mut repaired = value.clone();
    let mut removed: Vec<String> = Vec::new();
    let mut pending: Vec<String> = structural.iter().map(|f| f.path.clone()).collect();
    for _round in 0..6 {
        // Deepest paths first, so removing an array element never shifts another pending path.
        pending.sort_by(|a, b| b.cmp(a));
        pending.dedup();
        for path in pending.drain(..) {
            remove_at(&mut repaired, &path);
            removed.push(path);
        }
        match serde_path_to_error::deserialize::<_, ScenarioFile>(&repaired) {
            Ok(file) => {
                let Err(semantic) = validate::validate(file) else { return Vec::new() };
                return semantic
                    .into_iter()
                    .map(|mut f| {
                        f.path = original_path(&f.path, &removed);
                        f
                    })
                    .filter(|f| {
                        !removed
                            .iter()
                            .any(|r| f.path == *r || f.path.starts_with(&format!("{r}.")) || f.path.starts_with(&format!("{r}[")))
                    })
                    .filter(|f| !structural.iter().any(|s| s.path == f.path))
                    .collect();
            }
            Err(e) => {
                let mut again = Vec::new();
                collect_structure(&repaired, &mut again);
                if again.is_empty() {
                    again.push(from_serde("", &e.path().to_string(), &e.inner().to_string()));
                }
                pending = again.into_iter().map(|f| f.path).filter(|p| !removed.contains(p)).collect();
                if pending.is_empty() {
                    break;
                }
            }
        }
    }
    Vec::new()
}

/// Placeholders for required top-level fields, so the rest of the file can still be checked.
fn placeholder(path: &str) -> Option<Value> {
    match path {
        "name" => Some(Value::String("placeholder".into())),
        "start" => Some(Value::String("2026-01-01T00:00:00Z".into())),
        "duration" => Some(Value::String("1d".into())),
        _ => None,
    }
}

fn split_last(path: &str) -> (&str, Option<usize>, &str) {
    // Returns (parent, Some(index)) for `a.b[3]`, or (parent, None, key) for `a.b.key`.
    if path.ends_with(']') {
        if let Some(open) = path.rfind('[') {
            return (&path[..open], path[open + 1..path.len() - 1].parse().ok(), "");
        }
    }
    match path.rfind('.') {
        Some(dot) => (&path[..dot], None, &path[dot + 1..]),
        None => ("", None, path),
    }
}

fn node_mut<'v>(value: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    if path.is_empty() {
        return Some(value);
    }
    let (parent, index, key) = split_last(path);
    let p = node_mut(value, parent)?;
    match index {
        Some(i) => p.as_array_mut()?.get_mut(i),
        None => p.as_object_mut()?.get_mut(key),
    }
}

fn remove_at(value: &mut Value, path: &str) {
    if let Some(v) = placeholder(path) {
        if let Some(obj) = value.as_object_mut() {
            obj.insert(path.to_string(), v);
        }
        return;
    }
    let (parent, index, key) = split_last(path);
    let Some(p) = node_mut(value, parent) else { return };
    match (index, p) {
        (Some(i), Value::Array(items)) if i < items.len() => {
            items.remove(i);
        }
        (None, Value::Object(map)) => {
            map.remove(key);
        }
        _ => {}
    }
}

/// Map array indices of the repaired tree back to the file's: every removed element at or
/// before an index shifts it by one.
fn original_path(path: &str, removed: &[String]) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('[') {
        let close = rest[open..].find(']').map(|c| open + c).unwrap_or(rest.len() - 1);
        out.push_str(&rest[..open]);
        let array = out.clone();
        let mut index: usize = rest[open + 1..close].parse().unwrap_or(0);
        let mut gone: Vec<usize> = removed
            .iter()
            .filter_map(|r| {
                r.strip_prefix(&array).and_then(|t| t.strip_prefix('[')).and_then(|t| t.strip_suffix(']')).and_then(|t| t.parse().ok())
            })
            .collect();
        gone.sort_unstable();
        for g in gone {
            if g <= index {
                index += 1;
            }
        }
        out.push_str(&format!("[{index}]"));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// serde_json appends " at line L column C" to syntax errors; the Problem carries those apart.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn locate(file: &str, index: &PositionIndex, f: Finding) -> Problem {
    // The deepest prefix of the path that exists in the text (a missing field points at its
    // parent object).
    let mut probe = f.path.as_str();
    let pos = loop {
        if let Some(p) = index.get(probe) {
            break *p;
        }
        match probe.rfind(['.', '[']) {
            Some(i) => probe = &probe[..i],
            None => break index.get("").copied().unwrap_or(Pos { line: 1, column: 1 }),
        }
    };
    Problem {
        file: file.into(),
        line: pos.line,
        column: pos.column,
        path: if f.path.is_empty() { ".".into() } else { f.path },
        expected: f.expected,
        found: f.found,
    }
}

/// Turn a serde message into expected/found, and extend the path with an unknown field's name.
fn from_serde(base: &str, inner_path: &str, msg: &str) -> Finding {
    let mut path = base.to_string();
    if inner_path != "." && !inner_path.is_empty() {
        path = if path.is_empty() {
            inner_path.to_string()
        } else if inner_path.starts_with('[') {
            format!("{path}{inner_path}")
        } else {
            format!("{path}.{inner_path}")
        };
    }
    let between = |s: &str| s.split('`').nth(1).map(str::to_string);
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let name = between(rest).unwrap_or_default();
        if !name.is_empty() && !path.ends_with(&name) {
            path = join_key(&path, &name);
        }
        let expected = match rest.split_once(", expected ") {
            Some((_, e)) => e.to_string(),
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

fn check<T: DeserializeOwned>(value: &Value, path: &str, out: &mut Vec<Finding>) {
    if let Err(e) = serde_path_to_error::deserialize::<_, T>(value) {
        let mut f = from_serde(path, &e.path().to_string(), &e.inner().to_string());
        // Internally tagged enums (timeline events) lose the path inside the element: find the
        // member that holds the unknown value.
        if f.path == path {
            let quoted = |open: char, close: char| f.found.strip_prefix(open).and_then(|x| x.strip_suffix(close));
            if let (Some(obj), Some(bad)) = (value.as_object(), quoted('`', '`').or_else(|| quoted('"', '"'))) {
                if let Some((key, _)) = obj.iter().find(|(_, v)| v.as_str() == Some(bad)) {
                    f.path = join_key(path, key);
                }
            }
        }
        out.push(f);
    }
}

fn check_each<T: DeserializeOwned>(value: &Value, path: &str, out: &mut Vec<Finding>) {
    match value.as_array() {
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                check::<T>(item, &join_index(path, i), out);
            }
        }
        None => check::<Vec<T>>(value, path, out),
    }
}

/// Checks one member (key, value, path) and says whether the key is known.
type MemberCheck<'a> = &'a dyn Fn(&str, &Value, &str, &mut Vec<Finding>) -> bool;

/// Check an object's members one by one so that every bad member is reported, not just the first.
fn check_members(value: &Value, path: &str, required: &[&str], member: MemberCheck<'_>, out: &mut Vec<Finding>) {
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
        let child = join_key(path, key);
        if !member(key, v, &child, out) {
            out.push(Finding::new(child, "a known field", format!("unknown field `{key}`")));
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
        "",
        &["name", "start", "duration"],
        &|key, v, path, out| {
            match key {
                "name" | "description" | "time_zone" | "$schema" => check::<String>(v, path, out),
                "seed" => check::<u64>(v, path, out),
                "start" => check::<crate::time::At>(v, path, out),
                "duration" => check::<crate::time::Duration>(v, path, out),
                "sync" => collect_sync(v, path, out),
                "cron" => check::<CronSection>(v, path, out),
                "kuma" => check::<KumaSection>(v, path, out),
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

fn collect_sync(value: &Value, path: &str, out: &mut Vec<Finding>) {
    check_members(
        value,
        path,
        &[],
        &|key, v, path, out| {
            match key {
                "autosync_frequency" => check::<crate::time::Duration>(v, path, out),
                "retry_wrongpass" => check::<u8>(v, path, out),
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
        let f = from_serde("sync", "connectors[0].capacity", "invalid type: string \"ten\", expected u32");
        assert_eq!(f, Finding::new("sync.connectors[0].capacity", "u32", "string \"ten\""));
        let f = from_serde("timeline[2]", ".", "unknown field `conection`, expected one of `at`, `connection`");
        assert_eq!(f.path, "timeline[2].conection");
        assert_eq!(f.found, "unknown field `conection`");
    }
}

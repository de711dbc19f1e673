//! Reads an Uptime Kuma setup, in any of three forms, into one typed [`KumaSetup`]:
//! - the SQLite database (`kuma.db`, 1.23 or 2.x), opened read-only *and immutable*: Kuma keeps it
//!   in WAL mode, and a plain open, even read-only, creates `-wal`/`-shm` files beside it and may
//!   take locks on a live server's file. `immutable=1` (SQLite's URI parameter) reads the main
//!   file as it is, takes no lock and writes nothing. The cost: pages still in a live server's
//!   `-wal` are not seen (Kuma checkpoints it regularly; stop Kuma or copy the file for a
//!   consistent snapshot, the README says so);
//! - the JSON of the `monitor` table (`sqlite3 -json kuma.db "select * from monitor"`), snake_case;
//! - a Kuma 1.x backup (Settings → Backup → Export, `src/components/settings/Backup.vue`:
//!   `{version, notificationList, monitorList}`, each monitor as `Monitor.toJSON()` writes it,
//!   camelCase: `retryInterval`, `resendInterval`, `upsideDown`, `pushToken`).
//!
//! Columns (public source: Kuma's `db/kuma.sqlite` and its `patch-*.sql` for 1.x, the knex
//! migrations for 2.x; both name them alike): `interval`, `retry_interval`, `maxretries`,
//! `resend_interval` (counted in DOWN beats), `upside_down`, `active`, `push_token`, `parent`
//! (a group monitor). Maintenance windows live in `maintenance`, linked by `monitor_maintenance`;
//! `Monitor.isUnderMaintenance()` (`server/model/monitor.js`) also follows `parent`, so a group's
//! window covers its children. Only the database carries them: the JSON forms have none.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use super::error::{ImportError, Loc};
use super::maintenance::{DayOfMonth, KumaMaintenance, Strategy};

/// Which form the Kuma input was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KumaForm {
    Database,
    MonitorTableJson,
    BackupJson,
}

impl KumaForm {
    pub fn describe(self) -> &'static str {
        match self {
            KumaForm::Database => "Uptime Kuma SQLite database, tables monitor, maintenance, monitor_maintenance",
            KumaForm::MonitorTableJson => "JSON of Kuma's monitor table (sqlite3 -json)",
            KumaForm::BackupJson => "Kuma 1.x backup JSON, monitorList",
        }
    }
}

/// Kuma's major line, which changes push semantics (`kuma.version` in a scenario).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KumaLine {
    V2,
    V1_23,
}

/// One monitor row, typed. Every type is kept: non-push ones are listed and skipped later.
#[derive(Clone, Debug, PartialEq)]
pub struct KumaMonitor {
    pub id: i64,
    pub name: String,
    /// `type`: `push`, `http`, `group`…
    pub kind: String,
    pub push_token: Option<String>,
    pub interval_s: u32,
    /// 0 when the column is absent or NULL (the scenario reads 0 as "use the interval").
    pub retry_interval_s: u32,
    pub max_retries: u32,
    pub resend_interval: u32,
    pub upside_down: bool,
    /// `active = 0`: paused.
    pub active: bool,
    pub parent: Option<i64>,
    /// Ids of the maintenance windows linked to this very monitor (not through its parent).
    pub maintenance_ids: Vec<i64>,
}

impl KumaMonitor {
    pub fn is_push(&self) -> bool {
        self.kind == "push"
    }
}

/// Everything the importer takes from Kuma.
#[derive(Clone, Debug)]
pub struct KumaSetup {
    pub file: String,
    pub form: KumaForm,
    pub line: KumaLine,
    /// Monitors by id.
    pub monitors: Vec<KumaMonitor>,
    pub maintenances: Vec<KumaMaintenance>,
    /// `setting.serverTimezone`, the zone of maintenance windows set to "same as server".
    pub server_timezone: Option<String>,
}

impl KumaSetup {
    /// The monitor and its ancestors (group monitors), nearest first; stops on a cycle.
    pub fn lineage(&self, id: i64) -> Vec<&KumaMonitor> {
        let mut out: Vec<&KumaMonitor> = Vec::new();
        let mut next = Some(id);
        while let Some(id) = next {
            let Some(m) = self.monitors.iter().find(|m| m.id == id) else { break };
            if out.iter().any(|seen| seen.id == m.id) {
                break;
            }
            out.push(m);
            next = m.parent;
        }
        out
    }
}

const ACCEPTED: &str = "a Kuma input: its SQLite database (kuma.db), the JSON of its monitor table (sqlite3 -json), or a 1.x backup JSON";

/// Read `path` in whichever form it is. The file is never written, locked or modified.
pub fn read(path: &Path) -> Result<KumaSetup, ImportError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError::Read(file.clone(), e))?;
    if bytes.starts_with(b"SQLite format 3\0") {
        return read_database(&file, path);
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| ImportError::Unrecognised {
        file: file.clone(),
        expected: ACCEPTED,
        found: "binary data that is not an SQLite database".into(),
    })?;
    let json: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| ImportError::Unrecognised {
        file: file.clone(),
        expected: ACCEPTED,
        found: format!("text that is not JSON ({e})"),
    })?;
    match json {
        Value::Array(items) => read_json_monitors(&file, KumaForm::MonitorTableJson, &items, &SNAKE, "row"),
        Value::Object(map) => match map.get("monitorList") {
            Some(Value::Array(items)) => read_json_monitors(&file, KumaForm::BackupJson, items, &CAMEL, "monitorList"),
            _ => Err(ImportError::Unrecognised { file, expected: ACCEPTED, found: "a JSON object without a `monitorList` array".into() }),
        },
        other => Err(ImportError::Unrecognised { file, expected: ACCEPTED, found: format!("JSON {}", kind_of(&other)) }),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Column names in each naming: (snake_case of the table, camelCase of `Monitor.toJSON()`).
struct Naming {
    id: &'static str,
    name: &'static str,
    kind: &'static str,
    push_token: &'static str,
    interval: &'static str,
    retry_interval: &'static str,
    max_retries: &'static str,
    resend_interval: &'static str,
    upside_down: &'static str,
    active: &'static str,
    parent: &'static str,
}

const SNAKE: Naming = Naming {
    id: "id",
    name: "name",
    kind: "type",
    push_token: "push_token",
    interval: "interval",
    retry_interval: "retry_interval",
    max_retries: "maxretries",
    resend_interval: "resend_interval",
    upside_down: "upside_down",
    active: "active",
    parent: "parent",
};

const CAMEL: Naming = Naming {
    id: "id",
    name: "name",
    kind: "type",
    push_token: "pushToken",
    interval: "interval",
    retry_interval: "retryInterval",
    max_retries: "maxretries",
    resend_interval: "resendInterval",
    upside_down: "upsideDown",
    active: "active",
    parent: "parent",
};

/// A row as column → JSON value, wherever it came from.
struct Record<'a> {
    loc: Loc,
    fields: &'a serde_json::Map<String, Value>,
}

impl Record<'_> {
    fn get(&self, column: &str) -> Option<&Value> {
        self.fields.get(column).filter(|v| !v.is_null())
    }
    fn int(&self, column: &str) -> Result<Option<i64>, ImportError> {
        match self.get(column) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| ImportError::bad(self.loc.clone(), column, "an integer", n.to_string()))
            }
            Some(Value::Bool(b)) => Ok(Some(*b as i64)),
            Some(Value::String(s)) => {
                s.trim().parse().map(Some).map_err(|_| ImportError::bad(self.loc.clone(), column, "an integer", format!("{s:?}")))
            }
            Some(other) => Err(ImportError::bad(self.loc.clone(), column, "an integer", kind_of(other))),
        }
    }
    fn seconds(&self, column: &str) -> Result<Option<u32>, ImportError> {
        match self.int(column)? {
            None => Ok(None),
            Some(v) => {
                u32::try_from(v).map(Some).map_err(|_| ImportError::bad(self.loc.clone(), column, "a number of 0 or more", v.to_string()))
            }
        }
    }
    fn flag(&self, column: &str) -> Result<Option<bool>, ImportError> {
        Ok(self.int(column)?.map(|v| v != 0))
    }
    fn text(&self, column: &str) -> Option<String> {
        match self.get(column)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
    fn require<T>(&self, column: &str, v: Option<T>) -> Result<T, ImportError> {
        match v {
            Some(v) => Ok(v),
            None if self.fields.contains_key(column) => Err(ImportError::bad(self.loc.clone(), column, "a value", "null")),
            None => Err(ImportError::MissingColumn { at: self.loc.clone(), table: "Kuma monitor", column: column.to_string() }),
        }
    }
    fn monitor(&self, n: &Naming) -> Result<KumaMonitor, ImportError> {
        let id = self.int(n.id)?;
        let id = self.require(n.id, id)?;
        let name = self.require(n.name, self.text(n.name))?;
        let kind = self.require(n.kind, self.text(n.kind))?;
        let interval = self.seconds(n.interval)?;
        let interval_s = self.require(n.interval, interval)?;
        let active = self.flag(n.active)?;
        let active = self.require(n.active, active)?;
        if !self.fields.contains_key(n.push_token) {
            return Err(ImportError::MissingColumn { at: self.loc.clone(), table: "Kuma monitor", column: n.push_token.to_string() });
        }
        Ok(KumaMonitor {
            id,
            name,
            kind,
            push_token: self.text(n.push_token).filter(|t| !t.is_empty()),
            interval_s,
            retry_interval_s: self.seconds(n.retry_interval)?.unwrap_or(0),
            max_retries: self.seconds(n.max_retries)?.unwrap_or(0),
            resend_interval: self.seconds(n.resend_interval)?.unwrap_or(0),
            upside_down: self.flag(n.upside_down)?.unwrap_or(false),
            active,
            parent: self.int(n.parent)?,
            maintenance_ids: Vec::new(),
        })
    }
}

fn read_json_monitors(file: &str, form: KumaForm, items: &[Value], naming: &Naming, what: &str) -> Result<KumaSetup, ImportError> {
    let mut monitors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let loc = Loc::file(file).with_record(format!("{what}[{i}]"));
        let Value::Object(fields) = item else {
            return Err(ImportError::Syntax { at: loc, message: format!("expected a monitor object, found {}", kind_of(item)) });
        };
        monitors.push(Record { loc, fields }.monitor(naming)?);
    }
    monitors.sort_by_key(|m| m.id);
    // The monitor table's JSON carries no version: 2.0 added the `conditions` column, 1.23 has none.
    let line = match form {
        KumaForm::BackupJson => KumaLine::V1_23,
        _ if items.iter().any(|i| i.get("conditions").is_some()) => KumaLine::V2,
        _ => KumaLine::V1_23,
    };
    Ok(KumaSetup { file: file.to_string(), form, line, monitors, maintenances: Vec::new(), server_timezone: None })
}

fn sqlite_error(file: &str, e: rusqlite::Error) -> ImportError {
    ImportError::Sqlite { file: file.to_string(), message: e.to_string() }
}

/// `file:<absolute path>?immutable=1`, the path percent-encoded as RFC 3986 wants for a URI.
fn immutable_uri(path: &Path) -> Result<String, ImportError> {
    let absolute = std::path::absolute(path).map_err(|e| ImportError::Read(path.display().to_string(), e))?;
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    let text = absolute.to_string_lossy();
    Ok(format!("file:{}?immutable=1", percent_encoding::utf8_percent_encode(&text, SET)))
}

fn read_database(file: &str, path: &Path) -> Result<KumaSetup, ImportError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = Connection::open_with_flags(immutable_uri(path)?, flags).map_err(|e| sqlite_error(file, e))?;
    let tables = table_names(&db).map_err(|e| sqlite_error(file, e))?;
    if !tables.iter().any(|t| t == "monitor") {
        return Err(ImportError::Unrecognised {
            file: file.to_string(),
            expected: ACCEPTED,
            found: "an SQLite database without a `monitor` table".into(),
        });
    }
    let rows = select_all(&db, "monitor").map_err(|e| sqlite_error(file, e))?;
    let mut monitors = Vec::new();
    for fields in &rows {
        let id = fields.get("id").map(|v| v.to_string()).unwrap_or_default();
        let rec = Record { loc: Loc::file(file).with_record(format!("table monitor, id {id}")), fields };
        monitors.push(rec.monitor(&SNAKE)?);
    }
    if rows.is_empty() {
        // No row to name the missing column: check the header alone.
        let columns = column_names(&db, "monitor").map_err(|e| sqlite_error(file, e))?;
        for c in ["id", "name", "type", "interval", "active", "push_token"] {
            if !columns.iter().any(|x| x == c) {
                return Err(ImportError::MissingColumn {
                    at: Loc::file(file).with_record("table monitor"),
                    table: "Kuma monitor",
                    column: c.into(),
                });
            }
        }
    }
    monitors.sort_by_key(|m| m.id);
    let mut maintenances = Vec::new();
    if tables.iter().any(|t| t == "maintenance") {
        for fields in select_all(&db, "maintenance").map_err(|e| sqlite_error(file, e))? {
            let id = fields.get("id").map(|v| v.to_string()).unwrap_or_default();
            maintenances
                .push(maintenance(&Record { loc: Loc::file(file).with_record(format!("table maintenance, id {id}")), fields: &fields })?);
        }
        maintenances.sort_by_key(|m| m.id);
    }
    if tables.iter().any(|t| t == "monitor_maintenance") {
        for fields in select_all(&db, "monitor_maintenance").map_err(|e| sqlite_error(file, e))? {
            let rec = Record { loc: Loc::file(file).with_record("table monitor_maintenance"), fields: &fields };
            let monitor = rec.int("monitor_id")?;
            let window = rec.int("maintenance_id")?;
            if let (Some(monitor), Some(window)) = (monitor, window) {
                if let Some(m) = monitors.iter_mut().find(|m| m.id == monitor) {
                    m.maintenance_ids.push(window);
                }
            }
        }
        for m in &mut monitors {
            m.maintenance_ids.sort_unstable();
            m.maintenance_ids.dedup();
        }
    }
    let server_timezone = if tables.iter().any(|t| t == "setting") {
        db.query_row("SELECT value FROM setting WHERE key = 'serverTimezone'", [], |r| r.get::<_, Option<String>>(0))
            .ok()
            .flatten()
            // Settings are stored JSON-encoded: "\"Europe/Paris\"".
            .map(|v| serde_json::from_str::<String>(&v).unwrap_or(v))
            .filter(|v| !v.is_empty())
    } else {
        None
    };
    // 2.x migrates with knex (`knex_migrations`); 1.x with its own patch list in `setting`.
    let line = if tables.iter().any(|t| t == "knex_migrations") { KumaLine::V2 } else { KumaLine::V1_23 };
    Ok(KumaSetup { file: file.to_string(), form: KumaForm::Database, line, monitors, maintenances, server_timezone })
}

fn table_names(db: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(names)
}

fn column_names(db: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let stmt = db.prepare(&format!("SELECT * FROM \"{table}\" LIMIT 0"))?;
    Ok(stmt.column_names().iter().map(|c| c.to_string()).collect())
}

/// Every row of `table` as column → JSON value, in rowid order.
fn select_all(db: &Connection, table: &str) -> rusqlite::Result<Vec<serde_json::Map<String, Value>>> {
    let mut stmt = db.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"))?;
    let names: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let rows = stmt.query_map([], |row| {
        let mut map = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            let v = match row.get::<_, SqlValue>(i)? {
                SqlValue::Null => Value::Null,
                SqlValue::Integer(n) => Value::from(n),
                SqlValue::Real(x) => Value::from(x),
                SqlValue::Text(t) => Value::String(t),
                SqlValue::Blob(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
            };
            map.insert(name.clone(), v);
        }
        Ok(map)
    })?;
    rows.collect()
}

/// One `maintenance` row (2.x columns; 1.23 has the same since `patch-maintenance-cron.sql`).
fn maintenance(rec: &Record<'_>) -> Result<KumaMaintenance, ImportError> {
    let id = rec.int("id")?;
    let id = rec.require("id", id)?;
    let strategy_text = rec.text("strategy").unwrap_or_else(|| "single".into());
    let strategy = match strategy_text.as_str() {
        "manual" => Strategy::Manual,
        "single" => Strategy::Single,
        "recurring-interval" => Strategy::RecurringInterval,
        "recurring-weekday" => Strategy::RecurringWeekday,
        "recurring-day-of-month" => Strategy::RecurringDayOfMonth,
        "cron" => Strategy::Cron,
        other => Strategy::Unknown(other.to_string()),
    };
    let list =
        |column: &str| -> Vec<Value> { rec.text(column).and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok()).unwrap_or_default() };
    let weekdays = list("weekdays").iter().filter_map(|v| v.as_u64().and_then(|d| u8::try_from(d).ok())).collect();
    let days_of_month = list("days_of_month")
        .iter()
        .filter_map(|v| match v {
            Value::Number(n) => n.as_u64().and_then(|d| u8::try_from(d).ok()).map(DayOfMonth::Day),
            Value::String(s) if s.starts_with("lastDay") => s[7..].parse().ok().map(DayOfMonth::LastDay),
            Value::String(s) => s.parse().ok().map(DayOfMonth::Day),
            _ => None,
        })
        .collect();
    Ok(KumaMaintenance {
        id,
        title: rec.text("title").unwrap_or_default(),
        active: rec.flag("active")?.unwrap_or(true),
        strategy,
        start_date: rec.text("start_date").filter(|s| !s.is_empty()),
        end_date: rec.text("end_date").filter(|s| !s.is_empty()),
        start_time: rec.text("start_time").filter(|s| !s.is_empty()),
        end_time: rec.text("end_time").filter(|s| !s.is_empty()),
        weekdays,
        days_of_month,
        interval_day: rec.int("interval_day")?,
        cron: rec.text("cron").filter(|s| !s.trim().is_empty()),
        duration_s: rec.int("duration")?,
        timezone: rec.text("timezone").filter(|s| !s.is_empty()),
        last_start_date: rec.text("last_start_date").filter(|s| !s.is_empty()),
        loc: rec.loc.clone(),
    })
}

/// The monitors by id, for lookups.
pub fn by_id(setup: &KumaSetup) -> BTreeMap<i64, &KumaMonitor> {
    setup.monitors.iter().map(|m| (m.id, m)).collect()
}

//! Reads Dolibarr's `llx_cronjob` table, exported three ways, into typed [`CronJobRow`]s:
//! `mysql --batch` (TSV with a header), `psql --csv` (CSV with a header) and `mysqldump`.
//!
//! Public source, read for this module (Dolibarr, github.com/Dolibarr/dolibarr):
//! - `htdocs/install/mysql/tables/llx_cronjob.sql`: the columns and their meaning (`status`
//!   0 = disabled, 1 = enabled, 2 = archived; `processing` 1 = a run is in progress; `maxrun`
//!   "set this to 1 for a job queued for one run only"; `unitfrequency` a varchar of seconds,
//!   default '3600'; `datelastrun` the start and `datelastresult` the end of the last run).
//! - `htdocs/cron/class/cronjob.class.php` `reprogram_jobs()`: the period is `frequency ×
//!   unitfrequency` seconds, except `unitfrequency == 2678400`, which adds calendar months with
//!   `dol_time_plus_duree(…, 'm')`. The card (`htdocs/cron/card.php`) offers 60, 3600, 86400,
//!   604800 and 2678400 only: any other value is refused here rather than guessed.
//! - `htdocs/core/db/DoliDB.class.php` `idate()` → `dol_print_date(…, 'tzserver')`
//!   (`htdocs/core/lib/functions.lib.php`): DATETIME columns hold the PHP server's *local* wall
//!   clock, not UTC, and nothing in the table says which zone; hence `--tz`. `tms` is a TIMESTAMP:
//!   the server stores it in UTC and prints it in the session's zone, which `mysqldump` sets to
//!   UTC (`SET TIME_ZONE='+00:00'`), so in a dump `tms` alone is UTC.

use chrono::{NaiveDate, NaiveDateTime};

use super::error::{ImportError, Loc};
use crate::time::{Instant, Zone};

/// Which export a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceForm {
    /// `mysql --batch -e "select * from llx_cronjob"`: tabs, `NULL`, `\n` `\t` `\\` `\0` escapes.
    MysqlBatchTsv,
    /// `psql --csv -c "select * from llx_cronjob"` (or any RFC 4180 CSV): NULL and '' are both empty.
    Csv,
    /// `mysqldump dolibarr llx_cronjob`.
    MysqlDump,
}

impl SourceForm {
    pub fn describe(self) -> &'static str {
        match self {
            SourceForm::MysqlBatchTsv => "TSV as `mysql --batch` prints it",
            SourceForm::Csv => "CSV with a header, as `psql --csv` prints it",
            SourceForm::MysqlDump => "a mysqldump",
        }
    }
}

/// The table as text: column names and rows of optional values (`None` is SQL NULL).
#[derive(Clone, Debug)]
pub struct RawTable {
    pub file: String,
    pub form: SourceForm,
    pub columns: Vec<String>,
    pub rows: Vec<RawRow>,
    /// `tms` (a TIMESTAMP) is written in UTC (a default mysqldump); DATETIME columns never are.
    pub timestamps_utc: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRow {
    /// 1-based line in the file where the row starts.
    pub line: usize,
    pub values: Vec<Option<String>>,
}

/// `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Disabled,
    Enabled,
    Archived,
}

/// A job's period: `frequency × unitfrequency` seconds, or calendar months (`2678400`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Seconds(i64),
    Months(u32),
}

impl Period {
    /// A fixed length for comparisons (audit margins): 31 days a month, Dolibarr's own marker.
    pub fn nominal_s(self) -> i64 {
        match self {
            Period::Seconds(s) => s,
            Period::Months(n) => n as i64 * 2_678_400,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Seconds(s) => write!(f, "{s} s"),
            Period::Months(1) => f.write_str("1 month"),
            Period::Months(n) => write!(f, "{n} months"),
        }
    }
}

/// One `llx_cronjob` row, typed; datetimes already converted from the server's local time.
#[derive(Clone, Debug, PartialEq)]
pub struct CronJobRow {
    pub rowid: u32,
    pub label: String,
    pub priority: i32,
    pub status: JobStatus,
    /// `frequency` and `unitfrequency` as stored.
    pub frequency: i64,
    pub unitfrequency: i64,
    /// `None` when `frequency` is 0: Dolibarr never reprograms such a job.
    pub period: Option<Period>,
    pub datenextrun: Option<Instant>,
    pub datestart: Option<Instant>,
    pub dateend: Option<Instant>,
    pub datelastrun: Option<Instant>,
    pub datelastresult: Option<Instant>,
    pub tms: Option<Instant>,
    /// `'0'` success, an error code, `''` while running or after a crash, NULL never run.
    pub lastresult: Option<String>,
    pub nbrun: u64,
    pub maxrun: u64,
    pub processing: bool,
    pub pid: Option<i64>,
    /// Where the row is in its file.
    pub line: usize,
}

/// The columns a row needs; the others (`tms`, `pid`, `lastresult`, the job's code…) are optional.
pub const REQUIRED_COLUMNS: [&str; 14] = [
    "rowid",
    "label",
    "priority",
    "status",
    "frequency",
    "unitfrequency",
    "datenextrun",
    "datestart",
    "dateend",
    "datelastrun",
    "datelastresult",
    "nbrun",
    "maxrun",
    "processing",
];

/// Dolibarr's `unitfrequency` values (the cron card's choices) and their seconds.
pub const UNITS: [(i64, &str); 5] = [(60, "minutes"), (3_600, "hours"), (86_400, "days"), (604_800, "weeks"), (2_678_400, "months")];

const ACCEPTED: &str = "an llx_cronjob export: TSV with a header (`mysql --batch`), CSV with a header (`psql --csv`) or a mysqldump";

/// Read `bytes` (named `file` in messages) in whichever of the three forms it is.
pub fn read_table(file: &str, bytes: &[u8]) -> Result<RawTable, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::Unrecognised {
        file: file.to_string(),
        expected: ACCEPTED,
        found: format!("bytes that are not UTF-8 text (at byte {})", e.valid_up_to()),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let is_dump = text.lines().any(|l| {
        let l = l.trim_start();
        l.get(..11).is_some_and(|head| head.eq_ignore_ascii_case("INSERT INTO")) || l.starts_with("CREATE TABLE")
    }) || first.starts_with("-- MySQL dump")
        || first.starts_with("-- MariaDB dump")
        || first.starts_with("/*M!");
    let header_has = |sep: char| first.split(sep).any(|c| c.trim().trim_matches('"').eq_ignore_ascii_case("rowid"));
    if is_dump {
        super::mysqldump::read(file, text)
    } else if first.contains('\t') && header_has('\t') {
        Ok(read_tsv(file, text))
    } else if header_has(',') {
        read_csv(file, text)
    } else {
        let shown: String = first.chars().take(60).collect();
        Err(ImportError::Unrecognised { file: file.to_string(), expected: ACCEPTED, found: format!("a first line {shown:?}") })
    }
}

/// `mysql --batch`: one row a line (newlines inside values are escaped), `NULL` for SQL NULL.
fn read_tsv(file: &str, text: &str) -> RawTable {
    let mut lines = text.split('\n').enumerate();
    let columns: Vec<String> =
        lines.next().map(|(_, h)| h.trim_end_matches('\r').split('\t').map(|c| c.to_string()).collect()).unwrap_or_default();
    let rows = lines
        .filter(|(_, l)| !l.trim_end_matches('\r').is_empty())
        .map(|(i, l)| RawRow { line: i + 1, values: l.trim_end_matches('\r').split('\t').map(unescape_batch).collect() })
        .collect();
    RawTable { file: file.to_string(), form: SourceForm::MysqlBatchTsv, columns, rows, timestamps_utc: false }
}

/// mysql's batch escapes (`mysql --batch`, see the client's `print_tab_data`).
fn unescape_batch(field: &str) -> Option<String> {
    if field == "NULL" {
        return None;
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// CSV with a header. An empty field is NULL (psql --csv writes NULL as an empty field; an
/// empty string would be `""`, which the csv crate reads the same way, so both are NULL here).
fn read_csv(file: &str, text: &str) -> Result<RawTable, ImportError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Syntax { at: Loc::line(file, 1), message: format!("CSV header: {e}") })?
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            ImportError::Syntax { at: Loc::line(file, line), message: format!("CSV: {e}") }
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        rows.push(RawRow { line, values: record.iter().map(|f| (!f.is_empty()).then(|| f.to_string())).collect() });
    }
    Ok(RawTable { file: file.to_string(), form: SourceForm::Csv, columns, rows, timestamps_utc: false })
}

/// Type every row: check the columns once, then each value. `zone` is the PHP server's zone.
pub fn rows(table: &RawTable, zone: Zone) -> Result<Vec<CronJobRow>, ImportError> {
    let index = |name: &str| table.columns.iter().position(|c| c.trim().eq_ignore_ascii_case(name));
    for column in REQUIRED_COLUMNS {
        if index(column).is_none() {
            return Err(ImportError::MissingColumn { at: Loc::line(&table.file, 1), table: "llx_cronjob", column: column.to_string() });
        }
    }
    let mut out: Vec<CronJobRow> = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        if row.values.len() != table.columns.len() && table.form != SourceForm::MysqlDump {
            return Err(ImportError::Syntax {
                at: Loc::line(&table.file, row.line),
                message: format!("{} fields where the header has {}", row.values.len(), table.columns.len()),
            });
        }
        let cell = Cell { table, row, index: &index };
        let typed = cell.typed(zone)?;
        if out.iter().any(|r| r.rowid == typed.rowid) {
            return Err(ImportError::bad(cell.loc(), "rowid", "a rowid that appears once", typed.rowid.to_string()));
        }
        out.push(typed);
    }
    out.sort_by_key(|r| r.rowid);
    Ok(out)
}

struct Cell<'a, F: Fn(&str) -> Option<usize>> {
    table: &'a RawTable,
    row: &'a RawRow,
    index: &'a F,
}

impl<F: Fn(&str) -> Option<usize>> Cell<'_, F> {
    fn loc(&self) -> Loc {
        let loc = Loc::line(&self.table.file, self.row.line);
        match self.text("rowid") {
            Some(id) => loc.with_record(format!("rowid {id}")),
            None => loc,
        }
    }
    fn text(&self, column: &str) -> Option<&str> {
        (self.index)(column).and_then(|i| self.row.values.get(i)).and_then(|v| v.as_deref())
    }
    fn int(&self, column: &str, default: Option<i64>) -> Result<i64, ImportError> {
        match self.text(column).map(str::trim) {
            None | Some("") => default.ok_or_else(|| ImportError::bad(self.loc(), column, "an integer", "NULL")),
            Some(t) => t.parse::<i64>().map_err(|_| ImportError::bad(self.loc(), column, "an integer", format!("{t:?}"))),
        }
    }
    fn nonneg(&self, column: &str, default: Option<i64>) -> Result<u64, ImportError> {
        let v = self.int(column, default)?;
        u64::try_from(v).map_err(|_| ImportError::bad(self.loc(), column, "an integer of 0 or more", v.to_string()))
    }
    /// A DATETIME in `zone`, or UTC when `utc`. NULL, '' and MySQL's zero date are "not set".
    fn datetime(&self, column: &str, zone: Zone, utc: bool) -> Result<Option<Instant>, ImportError> {
        let Some(t) = self.text(column).map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if t.starts_with("0000-00-00") {
            return Ok(None);
        }
        let local = parse_local_datetime(t).ok_or_else(|| {
            ImportError::bad(self.loc(), column, "a date and time such as 2026-11-30 10:00:01 (YYYY-MM-DD HH:MM:SS)", format!("{t:?}"))
        })?;
        Ok(Some(if utc { Instant::from_ms(local.and_utc().timestamp_millis()) } else { zone.instant_of(local) }))
    }
    fn typed(&self, zone: Zone) -> Result<CronJobRow, ImportError> {
        let rowid = self.int("rowid", None)?;
        let rowid =
            u32::try_from(rowid).map_err(|_| ImportError::bad(self.loc(), "rowid", "a rowid from 0 to 4294967295", rowid.to_string()))?;
        let status = match self.int("status", Some(1))? {
            0 => JobStatus::Disabled,
            1 => JobStatus::Enabled,
            2 => JobStatus::Archived,
            other => return Err(ImportError::bad(self.loc(), "status", "0 (disabled), 1 (enabled) or 2 (archived)", other.to_string())),
        };
        let frequency = self.int("frequency", Some(0))?;
        if frequency < 0 {
            return Err(ImportError::bad(self.loc(), "frequency", "an integer of 0 or more", frequency.to_string()));
        }
        let unit_text = self.text("unitfrequency").map(str::trim).unwrap_or("3600");
        let unitfrequency = unit_text.parse::<i64>().ok().filter(|u| UNITS.iter().any(|(s, _)| s == u)).ok_or_else(|| {
            ImportError::bad(
                self.loc(),
                "unitfrequency",
                "one of Dolibarr's units: 60 (minutes), 3600 (hours), 86400 (days), 604800 (weeks), 2678400 (months)",
                format!("{unit_text:?}"),
            )
        })?;
        let period = match (frequency, unitfrequency) {
            (0, _) => None,
            (n, 2_678_400) => Some(Period::Months(
                u32::try_from(n)
                    .map_err(|_| ImportError::bad(self.loc(), "frequency", "a number of months below 4294967296", n.to_string()))?,
            )),
            (n, u) => Some(Period::Seconds(
                n.checked_mul(u)
                    .ok_or_else(|| ImportError::bad(self.loc(), "frequency", "a period that fits in 64 bits", n.to_string()))?,
            )),
        };
        let processing = self.int("processing", Some(0))? != 0;
        Ok(CronJobRow {
            rowid,
            label: self.text("label").unwrap_or_default().to_string(),
            priority: i32::try_from(self.int("priority", Some(0))?).unwrap_or(i32::MAX),
            status,
            frequency,
            unitfrequency,
            period,
            datenextrun: self.datetime("datenextrun", zone, false)?,
            datestart: self.datetime("datestart", zone, false)?,
            dateend: self.datetime("dateend", zone, false)?,
            datelastrun: self.datetime("datelastrun", zone, false)?,
            datelastresult: self.datetime("datelastresult", zone, false)?,
            tms: if (self.index)("tms").is_some() { self.datetime("tms", zone, self.table.timestamps_utc)? } else { None },
            lastresult: self.text("lastresult").map(|s| s.to_string()),
            nbrun: self.nonneg("nbrun", Some(0))?,
            maxrun: self.nonneg("maxrun", Some(0))?,
            processing,
            pid: if (self.index)("pid").is_some() { self.text("pid").and_then(|p| p.trim().parse().ok()) } else { None },
            line: self.row.line,
        })
    }
}

/// `YYYY-MM-DD HH:MM:SS` (MySQL, PostgreSQL), also with a `T`, fractional seconds, or no time.
pub fn parse_local_datetime(text: &str) -> Option<NaiveDateTime> {
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> Zone {
        Zone::parse("Europe/Paris").unwrap()
    }

    const HEADER: &str = "rowid\tlabel\tpriority\tstatus\tfrequency\tunitfrequency\tdatenextrun\tdatestart\tdateend\tdatelastrun\tdatelastresult\tnbrun\tmaxrun\tprocessing";

    #[test]
    fn batch_escapes_and_null_are_read_back() {
        assert_eq!(unescape_batch("a\\nb\\tc\\\\d"), Some("a\nb\tc\\d".into()));
        assert_eq!(unescape_batch("NULL"), None);
        assert_eq!(unescape_batch(""), Some(String::new()));
    }

    #[test]
    fn datetimes_are_local_to_the_php_zone_winter_and_summer() {
        let text = format!("{HEADER}\n1\ta\t10\t1\t5\t60\t2026-11-30 10:04:27\t2026-07-01 10:30:00\tNULL\tNULL\tNULL\t0\t0\t0\n");
        let rows = rows(&read_table("t.tsv", text.as_bytes()).unwrap(), paris()).unwrap();
        assert_eq!(rows[0].datenextrun.unwrap().to_rfc3339(), "2026-11-30T09:04:27.000Z"); // CET
        assert_eq!(rows[0].datestart.unwrap().to_rfc3339(), "2026-07-01T08:30:00.000Z"); // CEST
        assert_eq!(rows[0].period, Some(Period::Seconds(300)));
    }

    #[test]
    fn an_unknown_unitfrequency_is_one_located_error() {
        let text = format!("{HEADER}\n1\ta\t10\t1\t1\t2592000\tNULL\tNULL\tNULL\tNULL\tNULL\t0\t0\t0\n");
        let e = rows(&read_table("t.tsv", text.as_bytes()).unwrap(), paris()).unwrap_err().to_string();
        assert!(e.starts_with("t.tsv:2 (rowid 1): column `unitfrequency`: expected one of Dolibarr's units"), "{e}");
        assert!(e.ends_with("found \"2592000\""), "{e}");
    }

    #[test]
    fn a_bad_date_names_its_row_and_column() {
        let text = format!("{HEADER}\n7\ta\t10\t1\t1\t3600\t2026-02-30 10:00:00\tNULL\tNULL\tNULL\tNULL\t0\t0\t0\n");
        let e = rows(&read_table("t.tsv", text.as_bytes()).unwrap(), paris()).unwrap_err().to_string();
        assert!(e.starts_with("t.tsv:2 (rowid 7): column `datenextrun`: expected a date and time"), "{e}");
    }

    #[test]
    fn a_missing_column_is_named() {
        let text = HEADER.replace("\tmaxrun", "") + "\n";
        let e = rows(&read_table("t.tsv", text.as_bytes()).unwrap(), paris()).unwrap_err().to_string();
        assert_eq!(e, "t.tsv:1: no column `maxrun` (a llx_cronjob export needs it)");
    }

    #[test]
    fn months_are_calendar_months_and_frequency_zero_has_no_period() {
        let text = format!(
            "{HEADER}\n1\ta\t10\t1\t1\t2678400\tNULL\tNULL\tNULL\tNULL\tNULL\t0\t0\t0\n2\tb\t10\t1\t0\t3600\tNULL\tNULL\tNULL\tNULL\tNULL\t0\t0\t0\n"
        );
        let rows = rows(&read_table("t.tsv", text.as_bytes()).unwrap(), paris()).unwrap();
        assert_eq!(rows[0].period, Some(Period::Months(1)));
        assert_eq!(rows[1].period, None);
    }

    #[test]
    fn a_text_of_accented_lines_is_refused_without_a_panic() {
        // Byte 11 falls inside "é": a byte slice there would panic.
        let e = read_table("notes.txt", "éééééé des paiements\nété\n".as_bytes()).unwrap_err().to_string();
        assert!(e.starts_with("notes.txt: not an llx_cronjob export"), "{e}");
    }

    #[test]
    fn a_file_of_another_kind_is_refused() {
        let e = read_table("x.json", b"[{\"id\": 1}]").unwrap_err().to_string();
        assert!(e.starts_with("x.json: not an llx_cronjob export"), "{e}");
    }
}

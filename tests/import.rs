//! `syncsim import` (issue #15): the real fixtures end to end through the CLI, each accepted form
//! of each input, every hazard of the audit, bad inputs (one located error, nothing written),
//! and a snapshot of the written scenario.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use syncsim::import::dolibarr::{self, CronJobRow, Period};
use syncsim::import::kuma::{self, KumaForm, KumaLine};
use syncsim::time::Zone;

fn syncsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_syncsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// The real artifacts (`../shared/fixtures/README.md` says how each was made).
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures").join(name)
}

/// The same path as the CLI is given it in the README and the bundled scenario.
fn fixture_arg(name: &str) -> String {
    format!("../shared/fixtures/{name}")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("syncsim-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn paris() -> Zone {
    Zone::parse("Europe/Paris").unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn import(kuma: &str, dolibarr: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> =
        vec!["import".into(), "--kuma".into(), kuma.into(), "--dolibarr".into(), dolibarr.into(), "-o".into(), out.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    syncsim().args(&args).output().unwrap()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

// ---------------------------------------------------------------------------------------------
// The fixtures, end to end.

#[test]
fn the_fixtures_import_check_and_run_through_the_cli_and_the_same_inputs_give_the_same_bytes() {
    let dir = temp_dir("e2e");
    let out = dir.join("fixtures.json");
    let first = import(&fixture_arg("kuma-2.5.3.db"), &fixture_arg("dolibarr-llx_cronjob.tsv"), &out, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let bytes = std::fs::read(&out).unwrap();
    let again = import(&fixture_arg("kuma-2.5.3.db"), &fixture_arg("dolibarr-llx_cronjob.tsv"), &out, &[]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(std::fs::read(&out).unwrap(), bytes, "same inputs, same bytes");
    assert_eq!(first.stdout, again.stdout, "same audit");

    let check = syncsim().args(["check", out.to_str().unwrap()]).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let run = syncsim()
        .args(["run", out.to_str().unwrap(), "--out", dir.join("reports").to_str().unwrap(), "--transport", "in-process"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("reports/fixtures/report.json")).unwrap()).unwrap();
    let monitors = &report["variants"][0]["monitors"];
    // Kuma's monitor 3 waits 7 days + 1 h for a job that runs every 14 days: false DOWNs.
    assert!(monitors["purge-fichiers-temporaires"]["false_alerts"].as_u64().unwrap() >= 1, "{monitors}");
    // The paused monitor answers 404 and never alerts.
    assert_eq!(monitors["relance-factures-impayees"]["notifications_down"], 0, "{monitors}");
    // The stuck job crashes once at the start and never runs again.
    assert_eq!(report["variants"][0]["jobs"]["6"]["crashed"], 1);
    assert_eq!(report["variants"][0]["jobs"]["6"]["runs"], 1);
}

#[test]
fn the_fixture_audit_names_its_pairs_and_hazards() {
    let dir = temp_dir("audit");
    let out = dir.join("fixtures.json");
    let o = import(&fixture_arg("kuma-2.5.3.db"), &fixture_arg("dolibarr-llx_cronjob.tsv"), &out, &[]);
    let t = text(&o);
    assert!(t.contains("| 5 Récupération des paiements Bridge | 1 Récupération des paiements Bridge | names, score 1.00 |"), "{t}");
    assert!(t.contains("| 4 PurgeDeleteTemporaryFilesShort | 3 Purge fichiers temporaires | names, score 0.50 |"), "{t}");
    assert!(t.contains("Push monitors without a job: 2 Sync bancaire nocturne, 4 Relance factures impayées (paused)"), "{t}");
    assert!(t.contains("| 4 PurgeDeleteTemporaryFilesShort | purge-fichiers-temporaires | 1209600 s | 2 s | 1209662 s | 609000 s | shorter than the period |"), "{t}");
    assert!(
        t.contains(
            "| 5 Récupération des paiements Bridge | recuperation-des-paiements-bridge | 300 s | 3 s | 363 s | 3720 s | covers, loosely |"
        ),
        "{t}"
    );
    assert!(t.contains("stuck job: job 6 \"MakeLocalDatabaseDumpShort\""), "{t}");
    assert!(t.contains("not push monitors, skipped: id 5 \"Site ERP Dolibarr\" (http)"), "{t}");
    // `advise` on the written file prints the same audit.
    let advise = syncsim().args(["advise", out.to_str().unwrap(), "--monitor", "recuperation-des-paiements-bridge"]).output().unwrap();
    assert_eq!(advise.status.code(), Some(0), "{}", text(&advise));
    let audit_start = t.find("Coverage:").unwrap();
    let audit_end = t.find("\nWrote ").unwrap();
    assert!(text(&advise).contains(t[audit_start..audit_end].trim_end()), "advise prints the import's audit:\n{}", text(&advise));
}

#[test]
fn the_written_scenario_matches_its_snapshot() {
    let dir = temp_dir("snapshot");
    let out = dir.join("imported-fixtures.json");
    let o = import(&fixture_arg("kuma-2.5.3.db"), &fixture_arg("dolibarr-llx_cronjob.tsv"), &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    insta::assert_json_snapshot!("imported-fixtures", written);
}

#[test]
fn the_bundled_imported_scenario_is_what_import_writes_today() {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/imported-fixtures.json");
    let dir = temp_dir("bundled");
    let out = dir.join("imported-fixtures.json");
    let o = import(&fixture_arg("kuma-2.5.3.db"), &fixture_arg("dolibarr-llx_cronjob.tsv"), &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let strip = |p: &Path| {
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("$schema"); // a relative path, which depends on the folder
        v
    };
    assert_eq!(
        strip(&bundled),
        strip(&out),
        "scenarios/imported-fixtures.json is stale: run `cargo run --release -- import --kuma ../shared/fixtures/kuma-2.5.3.db --dolibarr ../shared/fixtures/dolibarr-llx_cronjob.tsv -o scenarios/imported-fixtures.json`"
    );
    let on_disk: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundled).unwrap()).unwrap();
    assert_eq!(on_disk["$schema"], "../docs/scenario.schema.json");
}

#[test]
fn the_kuma_database_is_opened_immutable_no_file_appears_and_its_bytes_do_not_change() {
    // The fixture folder itself (read-only here), and a writable copy: Kuma's file is in WAL
    // mode, where even a read-only plain open would create -wal and -shm beside it.
    let fixtures = fixture("kuma-2.5.3.db").parent().unwrap().to_path_buf();
    let before = listing(&fixtures);
    let dir = temp_dir("immutable");
    std::fs::copy(fixture("kuma-2.5.3.db"), dir.join("kuma.db")).unwrap();
    let hash = fnv(&std::fs::read(dir.join("kuma.db")).unwrap());
    assert_eq!(std::fs::read(dir.join("kuma.db")).unwrap()[18..20], [2, 2], "the fixture is in WAL mode");
    let out_dir = temp_dir("immutable-out");
    for kuma in [fixture_arg("kuma-2.5.3.db"), dir.join("kuma.db").display().to_string()] {
        let o = import(&kuma, &fixture_arg("dolibarr-llx_cronjob.tsv"), &out_dir.join("s.json"), &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    assert_eq!(listing(&fixtures), before, "the fixture folder gains no file");
    assert_eq!(listing(&dir), ["kuma.db"], "no -wal, no -shm");
    assert_eq!(fnv(&std::fs::read(dir.join("kuma.db")).unwrap()), hash, "the database is unchanged");
    assert_eq!(fnv(&std::fs::read(fixture("kuma-2.5.3.db")).unwrap()), hash);
}

// ---------------------------------------------------------------------------------------------
// Each accepted form.

fn fixture_rows(name: &str) -> Vec<CronJobRow> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let table = dolibarr::read_table(name, &bytes).unwrap_or_else(|e| panic!("{e}"));
    dolibarr::rows(&table, paris()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_three_dolibarr_exports_give_the_same_jobs_and_mysqldump_tms_is_utc() {
    let tsv = fixture_rows("dolibarr-llx_cronjob.tsv");
    let csv = fixture_rows("dolibarr-llx_cronjob.csv");
    let dump = fixture_rows("dolibarr-llx_cronjob.sql");
    assert_eq!(tsv.len(), 7);
    let same = |a: &CronJobRow, b: &CronJobRow| {
        let mut b = b.clone();
        b.line = a.line;
        // The CSV cannot tell NULL from '' (lastresult of the stuck job).
        if b.lastresult.is_none() && a.lastresult.as_deref() == Some("") {
            b.lastresult = Some(String::new());
        }
        b
    };
    for i in 0..7 {
        // tms: CET in the TSV, UTC in the dump (SET TIME_ZONE='+00:00'): the same instants.
        assert_eq!(same(&tsv[i], &dump[i]), tsv[i], "dump row {}", tsv[i].rowid);
        let mut c = same(&tsv[i], &csv[i]);
        if tsv[i].lastresult.is_none() {
            c.lastresult = None;
        }
        assert_eq!(c, tsv[i], "csv row {}", tsv[i].rowid);
    }
    assert_eq!(tsv[0].tms.unwrap().to_rfc3339(), "2026-11-30T09:00:01.000Z");
}

#[test]
fn the_rows_mean_what_the_fixture_says_they_mean() {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("dolibarr-llx_cronjob-expected.json")).unwrap()).unwrap();
    assert_eq!(expected["timezone"], "Europe/Paris");
    let rows = fixture_rows("dolibarr-llx_cronjob.sql");
    let local = |t: Option<syncsim::time::Instant>| t.map(|t| paris().local(t).format("%Y-%m-%d %H:%M:%S").to_string());
    for (row, want) in rows.iter().zip(expected["jobs"].as_array().unwrap()) {
        assert_eq!(row.rowid as u64, want["rowid"].as_u64().unwrap());
        assert_eq!(row.label, want["label"].as_str().unwrap());
        match row.period.unwrap() {
            Period::Seconds(s) => assert_eq!(Some(s as u64), want["period_seconds"].as_u64(), "{}", row.label),
            Period::Months(1) => assert!(want["period_seconds"].is_null()),
            other => panic!("{other:?}"),
        }
        assert_eq!(row.priority as i64, want["priority"].as_i64().unwrap());
        assert_eq!(row.processing as u64, want["processing"].as_u64().unwrap());
        assert_eq!(row.pid, want["pid"].as_i64());
        assert_eq!(row.nbrun, want["nbrun"].as_u64().unwrap());
        assert_eq!(row.maxrun, want["maxrun"].as_u64().unwrap());
        for (got, col) in [
            (row.datenextrun, "datenextrun"),
            (row.datelastrun, "datelastrun"),
            (row.datelastresult, "datelastresult"),
            (row.datestart, "datestart"),
            (row.dateend, "dateend"),
        ] {
            assert_eq!(local(got).as_deref(), want[col].as_str(), "{} {col}", row.label);
        }
    }
}

#[test]
fn a_psql_csv_export_is_read() {
    // psql --csv: lower-case header, NULL as an empty field, a quoted label with a comma.
    let header = "rowid,label,priority,status,frequency,unitfrequency,datenextrun,datestart,dateend,datelastrun,datelastresult,nbrun,maxrun,processing,tms";
    let csv = format!(
        "{header}\n3,\"Relance, factures\",50,1,1,3600,2026-07-01 10:00:00,,,2026-07-01 09:00:00,2026-07-01 09:00:42,12,0,0,2026-07-01 09:00:42\n"
    );
    let rows = dolibarr::rows(&dolibarr::read_table("pg.csv", csv.as_bytes()).unwrap(), paris()).unwrap();
    assert_eq!(rows[0].label, "Relance, factures");
    assert_eq!(rows[0].period, Some(Period::Seconds(3600)));
    assert_eq!(rows[0].datelastrun.unwrap().to_rfc3339(), "2026-07-01T07:00:00.000Z", "summer time: CEST");
}

#[test]
fn the_monitor_table_json_reads_as_the_database_does() {
    let db = kuma::read(&fixture("kuma-2.5.3.db")).unwrap();
    let json = kuma::read(&fixture("kuma-2.5.3-monitors.json")).unwrap();
    assert_eq!((db.form, json.form), (KumaForm::Database, KumaForm::MonitorTableJson));
    assert_eq!((db.line, json.line), (KumaLine::V2, KumaLine::V2));
    let strip = |m: &kuma::KumaMonitor| kuma::KumaMonitor { maintenance_ids: vec![], ..m.clone() };
    assert_eq!(db.monitors.iter().map(strip).collect::<Vec<_>>(), json.monitors.iter().map(strip).collect::<Vec<_>>());
    assert_eq!(db.monitors.len(), 5);
    assert!(!db.monitors[3].active, "monitor 4 is paused");
    assert_eq!(db.monitors[1].maintenance_ids, [1]);
    assert_eq!(db.maintenances[0].cron.as_deref(), Some("0 2 * * 0"));
}

/// A Kuma 1.23-style database: the 1.x column set (no `conditions`, no knex), WAL mode, a group
/// monitor with a maintenance window that covers its push child, and a server time zone.
fn kuma_1_23_database(dir: &Path) -> PathBuf {
    let path = dir.join("kuma.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE monitor (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name VARCHAR(150), active BOOLEAN DEFAULT 1 NOT NULL,
           user_id INTEGER, interval INTEGER DEFAULT 20 NOT NULL, url TEXT, type VARCHAR(20), weight INTEGER DEFAULT 2000,
           hostname VARCHAR(255), port INTEGER, created_date DATETIME, keyword VARCHAR(255), maxretries INTEGER NOT NULL DEFAULT 0,
           ignore_tls BOOLEAN DEFAULT 0 NOT NULL, upside_down BOOLEAN DEFAULT 0 NOT NULL, retry_interval INTEGER DEFAULT 0 NOT NULL,
           push_token VARCHAR(20) DEFAULT NULL, resend_interval INTEGER DEFAULT 0 NOT NULL, parent INTEGER REFERENCES monitor(id));
         CREATE TABLE setting (id INTEGER PRIMARY KEY AUTOINCREMENT, key VARCHAR(200) NOT NULL UNIQUE, value TEXT, type VARCHAR(20));
         INSERT INTO setting (key, value) VALUES ('serverTimezone', '\"Europe/Paris\"');
         CREATE TABLE maintenance (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, title VARCHAR(150) NOT NULL, description TEXT NOT NULL,
           user_id INTEGER, active BOOLEAN DEFAULT 1 NOT NULL, strategy VARCHAR(50) DEFAULT 'single' NOT NULL, start_date DATETIME,
           end_date DATETIME, start_time TIME, end_time TIME, weekdays VARCHAR(250) DEFAULT '[]', days_of_month TEXT DEFAULT '[]',
           interval_day INTEGER, cron TEXT, timezone VARCHAR(255), duration INTEGER);
         CREATE TABLE monitor_maintenance (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, monitor_id INTEGER NOT NULL, maintenance_id INTEGER NOT NULL);
         INSERT INTO monitor (id, name, type, interval, maxretries, retry_interval, push_token, active) VALUES (1, 'Jobs', 'group', 60, 0, 60, NULL, 1);
         INSERT INTO monitor (id, name, type, interval, maxretries, retry_interval, push_token, resend_interval, parent, active)
           VALUES (2, 'Nightly invoices', 'push', 86460, 1, 300, 'tok123', 2, 1, 1);
         INSERT INTO maintenance (title, description, strategy, start_date, end_date, start_time, end_time, days_of_month, timezone)
           VALUES ('Month end', '', 'recurring-day-of-month', '2026-01-01 00:00:00', NULL, '22:00', '23:30', '[\"lastDay1\"]', 'SAME_AS_SERVER');
         INSERT INTO monitor_maintenance (monitor_id, maintenance_id) VALUES (1, 1);",
    )
    .unwrap();
    drop(db);
    path
}

#[test]
fn a_kuma_1_23_database_is_read_with_its_group_maintenance_and_server_zone() {
    let dir = temp_dir("k123");
    let path = kuma_1_23_database(&dir);
    let before = listing(&dir);
    let setup = kuma::read(&path).unwrap();
    assert_eq!(listing(&dir), before, "no -wal, no -shm");
    assert_eq!(setup.line, KumaLine::V1_23);
    assert_eq!(setup.server_timezone.as_deref(), Some("Europe/Paris"));
    let push = &setup.monitors[1];
    assert_eq!((push.interval_s, push.max_retries, push.retry_interval_s, push.resend_interval), (86460, 1, 300, 2));
    assert_eq!(setup.lineage(2).iter().map(|m| m.id).collect::<Vec<_>>(), [2, 1]);

    let tsv = dir.join("cron.tsv");
    std::fs::write(&tsv, format!("{HEADER}\n9\tNightly invoices\t50\t1\t1\t86400\t2026-12-01 23:00:00\tNULL\tNULL\t2026-11-30 23:00:00\t2026-11-30 23:00:30\t5\t0\t0\tNULL\n")).unwrap();
    let out = dir.join("s.json");
    let o = import(path.to_str().unwrap(), tsv.to_str().unwrap(), &out, &["--start", "2026-12-01T00:00:00+01:00", "--duration", "40d"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(s["kuma"]["version"], "1.23");
    assert_eq!(s["cron"]["jobs"][0]["heartbeat"]["monitor"], "nightly-invoices");
    // The group's month-end window (last day, 22:00-23:30 Paris) reaches its push child.
    let windows: Vec<&serde_json::Value> = s["timeline"].as_array().unwrap().iter().filter(|e| e["event"] == "kuma_maintenance").collect();
    assert_eq!(windows.iter().map(|w| w["at"].as_str().unwrap()).collect::<Vec<_>>(), ["2026-12-31T22:00:00+01:00"]);
    assert_eq!(windows[0]["duration"], "1h30m");
    assert!(s["description"].as_str().unwrap().contains("through group 1"));
}

#[test]
fn a_kuma_1_x_backup_json_is_read() {
    let dir = temp_dir("backup");
    let backup = dir.join("Uptime_Kuma_Backup.json");
    std::fs::write(
        &backup,
        r#"{"version": "1.23.16", "notificationList": [],
            "monitorList": [
              {"id": 7, "name": "Récupération des paiements Bridge", "type": "push", "interval": 363, "retryInterval": 60,
               "resendInterval": 0, "maxretries": 1, "upsideDown": false, "active": true, "pushToken": "abc", "parent": null,
               "notificationIDList": {}, "tags": []},
              {"id": 8, "name": "Site", "type": "http", "interval": 60, "retryInterval": 60, "resendInterval": 0,
               "maxretries": 0, "upsideDown": true, "active": false, "pushToken": null}
            ]}"#,
    )
    .unwrap();
    let setup = kuma::read(&backup).unwrap();
    assert_eq!((setup.form, setup.line), (KumaForm::BackupJson, KumaLine::V1_23));
    assert_eq!(setup.monitors[0].push_token.as_deref(), Some("abc"));
    assert_eq!((setup.monitors[0].interval_s, setup.monitors[0].max_retries), (363, 1));
    assert!(setup.monitors[1].upside_down && !setup.monitors[1].active);
    let out = dir.join("s.json");
    let o = import(backup.to_str().unwrap(), &fixture_arg("dolibarr-llx_cronjob.sql"), &out, &["--duration", "2d"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("| 5 Récupération des paiements Bridge | 7 Récupération des paiements Bridge | names, score 1.00 |"),
        "{}",
        text(&o)
    );
}

#[test]
fn every_form_of_the_fixtures_gives_the_same_jobs_and_monitors() {
    let dir = temp_dir("forms");
    let mut scenarios = Vec::new();
    for (i, (kuma, dolibarr)) in [
        ("kuma-2.5.3.db", "dolibarr-llx_cronjob.tsv"),
        ("kuma-2.5.3.db", "dolibarr-llx_cronjob.sql"),
        ("kuma-2.5.3-monitors.json", "dolibarr-llx_cronjob.csv"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.join(format!("s{i}.json"));
        let o = import(&fixture_arg(kuma), &fixture_arg(dolibarr), &out, &["--no-advise"]);
        assert_eq!(o.status.code(), Some(0), "{kuma} + {dolibarr}: {}", text(&o));
        let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        scenarios.push(s);
    }
    for s in &scenarios[1..] {
        for key in ["start", "cron", "kuma"] {
            assert_eq!(s[key], scenarios[0][key], "{key}");
        }
    }
    // Only the database carries maintenance windows; the JSON says so.
    assert!(scenarios[2]["description"].as_str().unwrap().contains("only the database carries maintenance windows"));
}

// ---------------------------------------------------------------------------------------------
// Every hazard of the audit, on one made-up setup (a 1.x backup and a TSV, paired by --link).

const HEADER: &str = "rowid\tlabel\tpriority\tstatus\tfrequency\tunitfrequency\tdatenextrun\tdatestart\tdateend\tdatelastrun\tdatelastresult\tnbrun\tmaxrun\tprocessing\tpid";

fn hazard_report() -> &'static str {
    static REPORT: OnceLock<String> = OnceLock::new();
    REPORT.get_or_init(|| {
        let dir = temp_dir("hazards");
        let row = |id: u32, label: &str, status: u8, freq: u32, unit: u32, end: &str, last: &str, result: &str, processing: u8| {
            format!("{id}\t{label}\t50\t{status}\t{freq}\t{unit}\t2026-12-01 10:30:00\tNULL\t{end}\t{last}\t{result}\t10\t0\t{processing}\t{}\n", if processing == 1 { "4242" } else { "NULL" })
        };
        let mut tsv = format!("{HEADER}\n");
        tsv += &row(1, "Hourly fine", 1, 1, 3600, "NULL", "2026-12-01 09:30:00", "2026-12-01 09:31:00", 0);
        tsv += &row(2, "Paused watch", 1, 1, 3600, "NULL", "2026-12-01 09:30:00", "2026-12-01 09:30:05", 0);
        tsv += &row(3, "Disabled job", 0, 1, 3600, "NULL", "NULL", "NULL", 0);
        tsv += &row(4, "Ended job", 1, 1, 3600, "2026-11-01 00:00:00", "2026-10-31 23:30:00", "2026-10-31 23:30:02", 0);
        tsv += &row(5, "Stuck job", 1, 1, 3600, "NULL", "2026-12-01 08:30:00", "NULL", 1);
        tsv += &row(6, "Slow job", 1, 5, 60, "NULL", "2026-12-01 09:30:00", "2026-12-01 09:36:40", 0);
        tsv += &row(7, "Short watch", 1, 1, 3600, "NULL", "2026-12-01 09:30:00", "2026-12-01 09:30:05", 0);
        tsv += &row(8, "Monthly job", 1, 1, 2678400, "NULL", "2026-11-01 10:30:00", "2026-11-01 10:30:05", 0);
        tsv += &row(9, "Upside watch", 1, 1, 3600, "NULL", "2026-12-01 09:30:00", "2026-12-01 09:30:05", 0);
        std::fs::write(dir.join("cron.tsv"), tsv).unwrap();
        let monitor = |id: u32, name: &str, interval: u32, active: bool, upside: bool| {
            format!(r#"{{"id": {id}, "name": "{name}", "type": "push", "interval": {interval}, "retryInterval": 60, "resendInterval": 0, "maxretries": 0, "upsideDown": {upside}, "active": {active}, "pushToken": "t{id}"}}"#)
        };
        let monitors = [
            monitor(1, "A fine", 3720, true, false),
            monitor(2, "B paused", 3720, false, false),
            monitor(3, "C on disabled", 3720, true, false),
            monitor(4, "D on ended", 3720, true, false),
            monitor(5, "E on stuck", 3720, true, false),
            monitor(7, "F short", 1800, true, false),
            monitor(8, "G monthly", 2073600, true, false),
            monitor(9, "H upside", 3720, true, true),
            monitor(10, "I lonely", 600, true, false),
        ];
        std::fs::write(dir.join("backup.json"), format!(r#"{{"version": "1.23.16", "monitorList": [{}]}}"#, monitors.join(","))).unwrap();
        let links: Vec<String> = [(1, "1"), (2, "B paused"), (3, "t3"), (4, "4"), (5, "5"), (7, "7"), (8, "8"), (9, "9")]
            .iter()
            .flat_map(|(j, m)| ["--link".to_string(), format!("{j}={m}")])
            .collect();
        let mut extra: Vec<&str> = links.iter().map(String::as_str).collect();
        extra.extend(["--duration", "3d"]);
        let o = import(dir.join("backup.json").to_str().unwrap(), dir.join("cron.tsv").to_str().unwrap(), &dir.join("s.json"), &extra);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        text(&o)
    })
}

fn assert_hazard(line: &str) {
    let report = hazard_report();
    assert!(report.lines().any(|l| l.starts_with("- ") && l.contains(line)), "no hazard line with {line:?} in:\n{report}");
}

#[test]
fn hazard_a_paused_monitor_on_an_enabled_job() {
    assert_hazard("paused monitor on an enabled job: `b-paused` is paused while job 2 \"Paused watch\" runs");
}

#[test]
fn hazard_an_enabled_monitor_on_a_disabled_job_is_a_guaranteed_false_down() {
    assert_hazard(
        "enabled monitor on a disabled job: job 3 \"Disabled job\" never runs, so nothing pushes to `c-on-disabled`: a guaranteed false DOWN 3721 s",
    );
}

#[test]
fn hazard_an_enabled_monitor_on_an_ended_job() {
    assert_hazard("enabled monitor on an ended job: job 4 \"Ended job\" never runs");
}

#[test]
fn hazard_a_job_stuck_in_processing() {
    assert_hazard("stuck job: job 5 \"Stuck job\" is in `processing` now");
    assert_hazard("stays stuck in the replay and `e-on-stuck` goes DOWN");
}

#[test]
fn hazard_a_job_whose_period_is_shorter_than_its_runs() {
    assert_hazard("period shorter than its runs: job 6 \"Slow job\" runs about 400 s every 300 s");
}

#[test]
fn hazard_a_monitor_without_a_job() {
    assert_hazard("monitor without a job: no llx_cronjob job pushes to `i-lonely`; it goes DOWN 601 s after Kuma starts");
}

#[test]
fn hazard_a_job_without_a_monitor() {
    assert_hazard("job without a monitor: job 6 \"Slow job\" runs with no push monitor");
}

#[test]
fn hazard_a_monitor_shorter_than_its_job() {
    assert_hazard("monitor too short for its job: `f-short` goes DOWN 1800 s after the last push, job 7 \"Short watch\" needs 3665 s");
}

#[test]
fn hazard_a_monthly_job_no_push_monitor_can_wait_for() {
    assert_hazard("job slower than any push monitor: job 8 \"Monthly job\"");
}

#[test]
fn hazard_an_upside_down_monitor_on_a_job() {
    assert_hazard("upside-down monitor: `h-upside` flips each push");
}

#[test]
fn the_seed_rule_pair_is_covered_and_raises_no_hazard() {
    let report = hazard_report();
    assert!(report.contains("| 1 Hourly fine | a-fine | 3600 s | 60 s | 3720 s | 3720 s | covers |"), "{report}");
    assert!(!report.lines().any(|l| l.starts_with("- ") && l.contains("a-fine")), "{report}");
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: one located error each, exit 2, nothing written.

fn assert_refused(kuma: &str, dolibarr: &str, extra: &[&str], located: &str) {
    let dir = temp_dir(&format!("bad-{:x}", fnv(located.as_bytes())));
    let out = dir.join("s.json");
    let o = import(kuma, dolibarr, &out, extra);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    let errors: Vec<&str> = t.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error: {t}");
    assert!(errors[0].contains(located), "expected {located:?} in {t}");
    assert!(t.contains("nothing was written"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    assert_eq!(listing(&dir), Vec::<String>::new(), "nothing written, no temporary file left");
}

fn write_temp(name: &str, body: &str) -> String {
    let dir = temp_dir(&format!("in-{}", fnv(body.as_bytes())));
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[test]
fn a_kuma_file_of_no_accepted_form_is_refused() {
    let notes = write_temp("notes.txt", "monitor list\n");
    assert_refused(&notes, &fixture_arg("dolibarr-llx_cronjob.tsv"), &[], "notes.txt: not a Kuma input");
}

#[test]
fn a_dolibarr_file_of_no_accepted_form_is_refused() {
    assert_refused(
        &fixture_arg("kuma-2.5.3.db"),
        &fixture_arg("kuma-2.5.3-monitors.json"),
        &[],
        "kuma-2.5.3-monitors.json: not an llx_cronjob export",
    );
}

#[test]
fn a_missing_dolibarr_column_is_named_with_its_line() {
    let tsv = write_temp("cron.tsv", &format!("{}\n", HEADER.replace("\tunitfrequency", "")));
    assert_refused(&fixture_arg("kuma-2.5.3.db"), &tsv, &[], "cron.tsv:1: no column `unitfrequency`");
}

#[test]
fn a_missing_kuma_column_is_named_with_its_row() {
    let json = write_temp("monitors.json", r#"[{"id": 1, "name": "x", "type": "push", "interval": 60, "active": 1}]"#);
    assert_refused(&json, &fixture_arg("dolibarr-llx_cronjob.tsv"), &[], "monitors.json (row[0]): no column `push_token`");
}

#[test]
fn an_unknown_unitfrequency_is_located_at_its_row_and_column() {
    let tsv = write_temp("cron.tsv", &format!("{HEADER}\n1\tx\t50\t1\t1\t2592000\tNULL\tNULL\tNULL\tNULL\tNULL\t0\t0\t0\tNULL\n"));
    assert_refused(
        &fixture_arg("kuma-2.5.3.db"),
        &tsv,
        &[],
        "cron.tsv:2 (rowid 1): column `unitfrequency`: expected one of Dolibarr's units",
    );
}

#[test]
fn a_bad_date_is_located_at_its_row_and_column() {
    let csv = std::fs::read_to_string(fixture("dolibarr-llx_cronjob.csv")).unwrap().replace("2026-11-29 23:00:01", "2026-11-31 23:00:01");
    let csv = write_temp("cron.csv", &csv);
    assert_refused(&fixture_arg("kuma-2.5.3.db"), &csv, &[], "cron.csv:3 (rowid 2): column `datelastrun`: expected a date and time");
}

#[test]
fn a_broken_mysqldump_is_located_at_its_line() {
    let sql = std::fs::read_to_string(fixture("dolibarr-llx_cronjob.sql"))
        .unwrap()
        .replace("(7,'2026-11-01 05:00:19'", "(7,'2026-11-01 05:00:19");
    let sql = write_temp("dump.sql", &sql);
    assert_refused(&fixture_arg("kuma-2.5.3.db"), &sql, &[], "dump.sql:");
}

#[test]
fn an_output_equal_to_an_input_is_refused() {
    let dir = temp_dir("same");
    let tsv = dir.join("cron.tsv");
    std::fs::copy(fixture("dolibarr-llx_cronjob.tsv"), &tsv).unwrap();
    let before = std::fs::read(&tsv).unwrap();
    let o = import(&fixture_arg("kuma-2.5.3.db"), tsv.to_str().unwrap(), &tsv, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("an import never overwrites its inputs"), "{}", text(&o));
    assert_eq!(std::fs::read(&tsv).unwrap(), before);
}

#[test]
fn a_link_to_an_unknown_job_or_a_non_push_monitor_is_refused() {
    assert_refused(
        &fixture_arg("kuma-2.5.3.db"),
        &fixture_arg("dolibarr-llx_cronjob.tsv"),
        &["--link", "99=1"],
        "--link 99=1: no llx_cronjob row has rowid 99",
    );
    assert_refused(
        &fixture_arg("kuma-2.5.3.db"),
        &fixture_arg("dolibarr-llx_cronjob.tsv"),
        &["--link", "5=Site ERP Dolibarr"],
        "is a http monitor",
    );
}

#[test]
fn links_by_id_name_and_push_token_pair_exactly_those() {
    let dir = temp_dir("links");
    let out = dir.join("s.json");
    let o = import(
        &fixture_arg("kuma-2.5.3.db"),
        &fixture_arg("dolibarr-llx_cronjob.tsv"),
        &out,
        &["--link", "5=1", "--link", "3=Relance factures impayées", "--link", "2=z6WWI9ChuzRg1uLEAJ3oj0J4V9sLEk37", "--duration", "2d"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let hb: BTreeMap<u64, String> = s["cron"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| Some((j["id"].as_u64()?, j["heartbeat"]["monitor"].as_str()?.to_string())))
        .collect();
    assert_eq!(
        hb,
        BTreeMap::from([
            (2, "sync-bancaire-nocturne".into()),
            (3, "relance-factures-impayees".into()),
            (5, "recuperation-des-paiements-bridge".into())
        ])
    );
}

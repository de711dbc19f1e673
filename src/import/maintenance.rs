//! Kuma maintenance windows → the instants a scenario's `kuma_maintenance` events need.
//!
//! Public source: Kuma 2.x `server/model/maintenance.js` (1.23 has the same since its
//! `patch-maintenance-cron.sql`):
//! - `getStatus()`: inactive → never; `manual` → under maintenance as long as it is active;
//!   outside `[start_date, end_date]` (read in the window's own zone with `dayjs.tz`) → not;
//!   `single` → under maintenance between its two dates.
//! - `generateCron()`: `recurring-weekday` → cron `m h * * <weekdays>`, `recurring-day-of-month`
//!   → `m h <days> * *` (`lastDay1` → `L`; "lastDay2-4 is not supported by cron", so Kuma drops
//!   them and so do we), `recurring-interval` → `m h * * *` with a start only every
//!   `interval_day` days; `duration` = `end_time − start_time`, plus 24 h when negative
//!   (`calcDuration()`); the `cron` strategy is the user's own pattern and `duration`.
//! - `run()`: croner fires the pattern in `getTimezone()`: the window's `timezone`, or the
//!   server's when it is empty or `SAME_AS_SERVER`; each start lasts `duration`, cut at `end_date`.
//!
//! Supported cron syntax: five fields (a sixth, leading seconds field of `0` is accepted), with
//! `*`, numbers, ranges, steps, lists, month and weekday names, `7` for Sunday and `L` for the
//! last day of the month; day-of-month and day-of-week are OR-ed when both are set (croner's
//! legacy mode, Kuma's default). Anything else (`W`, `#`, `?`, seconds) is reported as not
//! supported and that window is skipped, never guessed.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration as ChronoDuration, NaiveDate, NaiveTime};

use super::dolibarr::parse_local_datetime;
use super::error::Loc;
use crate::time::{Duration, Instant, Zone};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    Manual,
    Single,
    RecurringInterval,
    RecurringWeekday,
    RecurringDayOfMonth,
    Cron,
    Unknown(String),
}

impl Strategy {
    pub fn name(&self) -> &str {
        match self {
            Strategy::Manual => "manual",
            Strategy::Single => "single",
            Strategy::RecurringInterval => "recurring-interval",
            Strategy::RecurringWeekday => "recurring-weekday",
            Strategy::RecurringDayOfMonth => "recurring-day-of-month",
            Strategy::Cron => "cron",
            Strategy::Unknown(s) => s,
        }
    }
}

/// A `days_of_month` entry: a day, or `lastDayN` (N-th last day; only N = 1 works in Kuma).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayOfMonth {
    Day(u8),
    LastDay(u8),
}

/// One `maintenance` row.
#[derive(Clone, Debug, PartialEq)]
pub struct KumaMaintenance {
    pub id: i64,
    pub title: String,
    pub active: bool,
    pub strategy: Strategy,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `HH:MM` (recurring strategies).
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    /// 0 = Sunday … 6 = Saturday.
    pub weekdays: Vec<u8>,
    pub days_of_month: Vec<DayOfMonth>,
    pub interval_day: Option<i64>,
    pub cron: Option<String>,
    pub duration_s: Option<i64>,
    pub timezone: Option<String>,
    pub last_start_date: Option<String>,
    pub loc: Loc,
}

/// A window `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

/// What a maintenance row gives over the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Expansion {
    /// The windows that touch `[from, to)`, cut to it, in time order; `zone` is the one used.
    Windows {
        windows: Vec<Window>,
        zone: &'static str,
    },
    Inactive,
    /// Why it was skipped.
    Unsupported(String),
}

/// More windows than this from one row is a pattern the scenario should not carry event by event.
pub const MAX_WINDOWS: usize = 10_000;

/// The windows of `m` that touch `[from, to)`. `server` is the zone of "same as server" windows.
pub fn expand(m: &KumaMaintenance, server: Zone, from: Instant, to: Instant) -> Expansion {
    if !m.active {
        return Expansion::Inactive;
    }
    let zone = match m.timezone.as_deref() {
        None | Some("SAME_AS_SERVER") => server,
        Some(name) => match Zone::parse(name) {
            Ok(z) => z,
            Err(_) => return Expansion::Unsupported(format!("time zone {name:?} is not an IANA zone")),
        },
    };
    match windows(m, zone, from, to) {
        Ok(mut w) => {
            w.retain(|w| w.end > from && w.start < to && w.end > w.start);
            for w in &mut w {
                w.start = w.start.max(from);
                w.end = w.end.min(to);
            }
            w.sort();
            w.dedup();
            if w.len() > MAX_WINDOWS {
                return Expansion::Unsupported(format!("more than {MAX_WINDOWS} windows over the run"));
            }
            Expansion::Windows { windows: w, zone: zone.name() }
        }
        Err(why) => Expansion::Unsupported(why),
    }
}

fn instant(text: &str, zone: Zone) -> Option<Instant> {
    if text.ends_with('Z') || text.get(10..).is_some_and(|rest| rest.contains('+') || rest.rfind('-').is_some()) {
        if let Ok(i) = Instant::parse_rfc3339(text) {
            return Some(i);
        }
    }
    parse_local_datetime(text).map(|local| zone.instant_of(local))
}

fn time_of_day(text: Option<&str>, what: &str) -> Result<NaiveTime, String> {
    let t = text.ok_or_else(|| format!("no {what}"))?;
    NaiveTime::parse_from_str(t, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
        .map_err(|_| format!("{what} {t:?} is not HH:MM"))
}

fn windows(m: &KumaMaintenance, zone: Zone, from: Instant, to: Instant) -> Result<Vec<Window>, String> {
    let start_date =
        m.start_date.as_deref().map(|d| instant(d, zone).ok_or_else(|| format!("start_date {d:?} is not a date"))).transpose()?;
    let end_date = m.end_date.as_deref().map(|d| instant(d, zone).ok_or_else(|| format!("end_date {d:?} is not a date"))).transpose()?;
    match &m.strategy {
        Strategy::Manual => Ok(vec![Window { start: from, end: to }]),
        Strategy::Single => {
            let start = start_date.ok_or("a single window without start_date")?;
            Ok(vec![Window { start, end: end_date.unwrap_or(to) }])
        }
        Strategy::Unknown(s) => Err(format!("strategy {s:?} is unknown")),
        recurring => {
            let duration = match m.duration_s.filter(|d| *d > 0) {
                Some(d) => Duration::from_secs(d),
                None => {
                    let a = time_of_day(m.start_time.as_deref(), "start_time")?;
                    let b = time_of_day(m.end_time.as_deref(), "end_time")?;
                    let mut d = (b - a).num_seconds();
                    if d < 0 {
                        d += 86_400; // calcDuration(): "Add 24hours if it is across day"
                    }
                    Duration::from_secs(d)
                }
            };
            let pattern = match (&m.cron, recurring) {
                (Some(c), _) => c.clone(),
                (None, Strategy::Cron) => return Err("a cron window without its pattern".into()),
                (None, _) => generate_cron(m)?,
            };
            let cron = CronPattern::parse(&pattern)?;
            let mut starts = cron.occurrences(zone, from - duration - Duration::DAY, to)?;
            if *recurring == Strategy::RecurringInterval {
                starts = every_nth_day(m, zone, starts)?;
            }
            let mut out = Vec::new();
            for s in starts {
                // startEvent(): nothing outside [start_date, end_date]; inferDuration(): cut at end_date.
                if start_date.is_some_and(|d| s < d) || end_date.is_some_and(|d| s > d) {
                    continue;
                }
                let end = end_date.map_or(s + duration, |d| (s + duration).min(d));
                out.push(Window { start: s, end });
                if out.len() > MAX_WINDOWS {
                    break;
                }
            }
            Ok(out)
        }
    }
}

/// `generateCron()` for rows stored without a pattern (written before 1.21.2).
fn generate_cron(m: &KumaMaintenance) -> Result<String, String> {
    let t = time_of_day(m.start_time.as_deref(), "start_time")?;
    let (h, min) = (t.format("%-H"), t.format("%-M"));
    Ok(match m.strategy {
        Strategy::RecurringInterval => format!("{min} {h} * * *"),
        Strategy::RecurringWeekday => {
            let mut days = m.weekdays.clone();
            days.sort_unstable();
            if days.is_empty() {
                return Err("a weekday window without weekdays".into());
            }
            format!("{min} {h} * * {}", days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(","))
        }
        _ => {
            let mut days: Vec<String> = Vec::new();
            for d in &m.days_of_month {
                let text = match d {
                    DayOfMonth::Day(n) => n.to_string(),
                    DayOfMonth::LastDay(1) => "L".into(),
                    DayOfMonth::LastDay(_) => continue, // "lastDay2-4 is not supported by cron"
                };
                if !days.contains(&text) {
                    days.push(text);
                }
            }
            if days.is_empty() {
                return Err("a day-of-month window without a day".into());
            }
            format!("{min} {h} {} * *", days.join(","))
        }
    })
}

/// `recurring-interval`: a start only every `interval_day` days, counted from the last start
/// Kuma recorded (`last_start_date`) or else from the first occurrence at or after `start_date`.
fn every_nth_day(m: &KumaMaintenance, zone: Zone, starts: Vec<Instant>) -> Result<Vec<Instant>, String> {
    let n = m.interval_day.filter(|n| (1..=3650).contains(n)).ok_or("recurring-interval without an interval_day from 1 to 3650")?;
    let anchor = m.last_start_date.as_deref().or(m.start_date.as_deref()).and_then(|d| instant(d, zone));
    let Some(anchor) = anchor else { return Ok(starts) };
    let anchor_day = zone.local(anchor).date();
    Ok(starts
        .into_iter()
        .filter(|s| {
            let days = (zone.local(*s).date() - anchor_day).num_days();
            days >= 0 && days % n == 0
        })
        .collect())
}

/// A cron pattern in the subset described at the top of this file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronPattern {
    minutes: BTreeSet<u32>,
    hours: BTreeSet<u32>,
    days: BTreeSet<u32>,
    last_day: bool,
    months: BTreeSet<u32>,
    weekdays: BTreeSet<u32>,
    days_restricted: bool,
    weekdays_restricted: bool,
}

impl CronPattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() == 6 && fields[0] == "0" {
            fields.remove(0);
        }
        if fields.len() != 5 {
            return Err(format!("cron pattern {text:?} has {} fields; only five-field patterns are supported", fields.len()));
        }
        let unsupported = |why: String| format!("cron pattern {text:?}: {why}");
        let minutes = field(fields[0], 0, 59, &[]).map_err(unsupported)?;
        let hours = field(fields[1], 0, 23, &[]).map_err(unsupported)?;
        let (days_text, last_day) = split_last(fields[2]);
        let days = if days_text.is_empty() { BTreeSet::new() } else { field(&days_text, 1, 31, &[]).map_err(unsupported)? };
        const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
        let months = field(fields[3], 1, 12, &MONTHS).map_err(unsupported)?;
        const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        let weekdays: BTreeSet<u32> = field(fields[4], 0, 7, &DAYS).map_err(unsupported)?.into_iter().map(|d| d % 7).collect();
        Ok(CronPattern {
            minutes,
            hours,
            days,
            last_day,
            months,
            weekdays,
            days_restricted: fields[2] != "*",
            weekdays_restricted: fields[4] != "*",
        })
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        if !self.months.contains(&date.month()) {
            return false;
        }
        let last = date.succ_opt().is_none_or(|next| next.month() != date.month());
        let dom = self.days.contains(&date.day()) || (self.last_day && last);
        let dow = self.weekdays.contains(&date.weekday().num_days_from_sunday());
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }

    /// Every start in `[from, to)`, as local wall-clock times of `zone` (a time in a DST gap
    /// moves forward by the gap, one in a fold takes the earlier instant: `time::Zone`'s rule).
    pub fn occurrences(&self, zone: Zone, from: Instant, to: Instant) -> Result<Vec<Instant>, String> {
        let mut out = Vec::new();
        let mut date = zone.local(from).date() - ChronoDuration::days(1);
        let last = zone.local(to).date() + ChronoDuration::days(1);
        while date <= last {
            if self.day_matches(date) {
                for h in &self.hours {
                    for m in &self.minutes {
                        if let Some(local) = date.and_hms_opt(*h, *m, 0) {
                            let t = zone.instant_of(local);
                            if t >= from && t < to {
                                out.push(t);
                            }
                        }
                    }
                }
                if out.len() > MAX_WINDOWS {
                    return Err(format!("more than {MAX_WINDOWS} windows over the run"));
                }
            }
            date = date.succ_opt().ok_or("a date out of range")?;
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// The day-of-month field without its `L` items, and whether there was one.
fn split_last(field: &str) -> (String, bool) {
    let (last, days): (Vec<&str>, Vec<&str>) = field.split(',').partition(|p| *p == "L");
    (days.join(","), !last.is_empty())
}

/// One field: `*`, `n`, `a-b`, `*/s`, `a-b/s`, `a/s`, names, comma lists.
fn field(text: &str, lo: u32, hi: u32, names: &[&str]) -> Result<BTreeSet<u32>, String> {
    let value = |t: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(t)) {
            return Ok(i as u32 + if lo == 1 { 1 } else { 0 });
        }
        let v: u32 = t.parse().map_err(|_| format!("{t:?} is not supported"))?;
        if v < lo || v > hi { Err(format!("{v} is outside {lo}-{hi}")) } else { Ok(v) }
    };
    let mut out = BTreeSet::new();
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0).ok_or_else(|| format!("step {s:?} is not supported"))?),
            None => (item, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            (a, if item.contains('/') { hi } else { a })
        };
        if a > b {
            return Err(format!("range {range:?} goes backwards"));
        }
        out.extend((a..=b).step_by(step as usize));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> Zone {
        Zone::parse("Europe/Paris").unwrap()
    }

    fn weekly_sunday() -> KumaMaintenance {
        // The fixture's row: recurring-weekday, Sunday 02:00-04:00 Europe/Paris, 2026-12-01 → 2027-12-31.
        KumaMaintenance {
            id: 1,
            title: "Maintenance hebdomadaire banque".into(),
            active: true,
            strategy: Strategy::RecurringWeekday,
            start_date: Some("2026-12-01 00:00:00".into()),
            end_date: Some("2027-12-31 00:00:00".into()),
            start_time: Some("02:00".into()),
            end_time: Some("04:00".into()),
            weekdays: vec![0],
            days_of_month: vec![],
            interval_day: Some(1),
            cron: Some("0 2 * * 0".into()),
            duration_s: Some(7200),
            timezone: Some("Europe/Paris".into()),
            last_start_date: None,
            loc: Loc::file("k.db"),
        }
    }

    fn at(text: &str) -> Instant {
        Instant::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn a_weekly_window_starts_on_sundays_at_two_local_inside_its_date_range() {
        let from = at("2026-11-30T11:00:00+01:00");
        let Expansion::Windows { windows, zone } = expand(&weekly_sunday(), paris(), from, from + Duration::from_days(30)) else {
            panic!("windows expected")
        };
        assert_eq!(zone, "Europe/Paris");
        let starts: Vec<String> = windows.iter().map(|w| w.start.to_rfc3339()).collect();
        assert_eq!(
            starts,
            ["2026-12-06T01:00:00.000Z", "2026-12-13T01:00:00.000Z", "2026-12-20T01:00:00.000Z", "2026-12-27T01:00:00.000Z"]
        );
        assert!(windows.iter().all(|w| w.end - w.start == Duration::from_hours(2)));
    }

    #[test]
    fn without_a_stored_pattern_the_cron_is_generated_as_kuma_does() {
        let mut m = weekly_sunday();
        m.cron = None;
        m.duration_s = None;
        assert_eq!(generate_cron(&m).unwrap(), "0 2 * * 0");
        m.strategy = Strategy::RecurringDayOfMonth;
        m.days_of_month = vec![DayOfMonth::Day(15), DayOfMonth::LastDay(1), DayOfMonth::LastDay(2)];
        assert_eq!(generate_cron(&m).unwrap(), "0 2 15,L * *");
    }

    #[test]
    fn a_window_across_midnight_lasts_until_the_next_day() {
        let mut m = weekly_sunday();
        (m.cron, m.duration_s, m.start_time, m.end_time) = (None, None, Some("23:00".into()), Some("01:00".into()));
        let from = at("2026-12-01T00:00:00+01:00");
        let Expansion::Windows { windows, .. } = expand(&m, paris(), from, from + Duration::from_days(7)) else { panic!() };
        assert_eq!(windows[0].end - windows[0].start, Duration::from_hours(2));
    }

    #[test]
    fn single_windows_are_read_in_their_own_zone_and_cut_to_the_run() {
        let mut m = weekly_sunday();
        m.strategy = Strategy::Single;
        m.timezone = Some("America/New_York".into());
        m.start_date = Some("2026-12-02 08:00:00".into());
        m.end_date = Some("2026-12-02 09:30:00".into());
        let from = at("2026-12-01T00:00:00Z");
        let Expansion::Windows { windows, .. } = expand(&m, paris(), from, from + Duration::from_days(3)) else { panic!() };
        assert_eq!(windows, [Window { start: at("2026-12-02T13:00:00Z"), end: at("2026-12-02T14:30:00Z") }]);
    }

    #[test]
    fn inactive_and_unsupported_patterns_are_reported_not_guessed() {
        let mut m = weekly_sunday();
        m.active = false;
        assert_eq!(expand(&m, paris(), at("2026-12-01T00:00:00Z"), at("2026-12-31T00:00:00Z")), Expansion::Inactive);
        m.active = true;
        m.strategy = Strategy::Cron;
        m.cron = Some("0 2 * * 1#2".into());
        let Expansion::Unsupported(why) = expand(&m, paris(), at("2026-12-01T00:00:00Z"), at("2026-12-31T00:00:00Z")) else { panic!() };
        assert!(why.contains("1#2"), "{why}");
    }

    #[test]
    fn day_of_month_and_weekday_are_ored_and_l_is_the_last_day() {
        let p = CronPattern::parse("30 1 L * MON").unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(p.day_matches(d("2027-02-28")), "last day of February");
        assert!(p.day_matches(d("2026-12-07")), "a Monday");
        assert!(!p.day_matches(d("2026-12-08")));
        assert_eq!(CronPattern::parse("*/20 0 * * *").unwrap().minutes, BTreeSet::from([0, 20, 40]));
    }

    #[test]
    fn a_start_in_the_spring_gap_moves_forward() {
        let p = CronPattern::parse("30 2 * * *").unwrap();
        let t = p.occurrences(paris(), at("2026-03-29T00:00:00Z"), at("2026-03-29T12:00:00Z")).unwrap();
        assert_eq!(t, [at("2026-03-29T01:30:00Z")]); // 03:30 CEST
    }

    #[test]
    fn recurring_interval_keeps_every_nth_day_from_its_start_date() {
        let mut m = weekly_sunday();
        (m.strategy, m.cron, m.interval_day, m.start_date) =
            (Strategy::RecurringInterval, Some("0 2 * * *".into()), Some(3), Some("2026-12-01 00:00:00".into()));
        let from = at("2026-12-01T00:00:00+01:00");
        let Expansion::Windows { windows, .. } = expand(&m, paris(), from, from + Duration::from_days(8)) else { panic!() };
        let days: Vec<u32> = windows.iter().map(|w| paris().local(w.start).day()).collect();
        assert_eq!(days, [1, 4, 7]);
    }
}

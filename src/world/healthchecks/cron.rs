//! Cron schedules as a Healthchecks "cron" check reads them: five fields, evaluated in the
//! check's time zone, with cronsim's DST rules (public source: `cuu508/cronsim`,
//! `cronsim/cronsim.py`, `CronSim.__init__` / `__next__`; Healthchecks calls it from
//! `hc/api/models.py`, `Check.get_grace_start`: `next(CronSim(self.schedule, last_local))`).
//!
//! What cronsim does, and this module with it:
//! - the start is truncated to the minute and the first result is strictly after that minute
//!   (`self.dt = dt.replace(second=0, microsecond=0)`, then `__next__` ticks one minute first);
//! - when neither the minute nor the hour field starts with `*` (a job "at a time of day"), the
//!   schedule runs on the local wall clock (`fixup_tz`): a time in a spring-forward gap fires at
//!   the first real minute after it (`while is_imaginary(result): self.dt += td(minutes=1)`),
//!   a time in an autumn fold fires once, at its first occurrence (`fold=0`);
//! - otherwise it steps through real minutes and reads each one on the local clock;
//! - day of month and day of week are ANDed when either field starts with `*`, else ORed
//!   (Debian cron, `self.day_and`);
//! - no match within 50 years: no next time (`StopIteration`; Healthchecks then never expects a ping).
//!
//! Not modelled: `L` and `nth` weekday (`5#2`), symbolic names; such expressions are refused
//! with a message rather than evaluated differently.
//!
//! [`for_grid`] writes the cron expression a user would enter for a Dolibarr job's grid, or
//! says why there is none ([`NotACron`]).

use std::fmt;

use chrono::{Datelike, Duration as ChronoDuration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use crate::time::{Duration, Instant, Zone};

/// A parsed five-field cron expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronExpr {
    text: String,
    minutes: u64,
    hours: u32,
    /// Bits 1..=31.
    days: u32,
    /// Bits 1..=12.
    months: u16,
    /// Bits 0..=6, Sunday = 0 (7 is read as 0).
    weekdays: u8,
    /// cronsim `day_and`: either day field starts with `*`.
    day_and: bool,
    /// cronsim `fixup_tz`: neither the minute nor the hour field starts with `*`.
    wall_clock: bool,
}

/// An expression this model cannot read, with the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cron expression {text:?}: bad {field} field (five fields of numbers, `*`, `a-b`, `/step` and `,` lists)")]
pub struct CronError {
    pub text: String,
    pub field: &'static str,
}

const FIELDS: [(&str, u32, u32); 5] =
    [("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 0, 7)];

/// One field's values as a bit set (cronsim `Field.parse`: `*`, lists, ranges, steps).
fn parse_field(s: &str, lo: u32, hi: u32) -> Option<u64> {
    if s == "*" {
        return Some((lo..=hi).fold(0, |acc, v| acc | 1 << v));
    }
    if s.contains(',') {
        return s.split(',').try_fold(0u64, |acc, term| parse_field(term, lo, hi).map(|b| acc | b));
    }
    let int = |v: &str| -> Option<u32> {
        if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) || v.len() > 3 {
            return None;
        }
        v.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n))
    };
    if let Some((term, step)) = s.split_once('/') {
        let step: u32 = step.parse().ok().filter(|&n| n > 0 && step.bytes().all(|c| c.is_ascii_digit()))?;
        // "a/s" runs from a to the field's end; "*/s" and "a-b/s" take every s-th value.
        let items: Vec<u32> = match term.split_once('-') {
            _ if term == "*" => (lo..=hi).collect(),
            Some((a, b)) => {
                let (a, b) = (int(a)?, int(b)?);
                if b < a {
                    return None;
                }
                (a..=b).collect()
            }
            None => (int(term)?..=hi).collect(),
        };
        return Some(items.iter().step_by(step as usize).fold(0, |acc, v| acc | 1 << v));
    }
    if let Some((a, b)) = s.split_once('-') {
        let (a, b) = (int(a)?, int(b)?);
        if b < a {
            return None;
        }
        return Some((a..=b).fold(0, |acc, v| acc | 1 << v));
    }
    int(s).map(|v| 1 << v)
}

impl CronExpr {
    pub fn parse(text: &str) -> Result<CronExpr, CronError> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(CronError { text: text.into(), field: "count of" });
        }
        let mut bits = [0u64; 5];
        for (k, (name, lo, hi)) in FIELDS.iter().enumerate() {
            bits[k] = parse_field(parts[k], *lo, *hi).ok_or(CronError { text: text.into(), field: name })?;
        }
        let weekdays = (bits[4] & 0x7f) as u8 | if bits[4] & (1 << 7) != 0 { 1 } else { 0 };
        Ok(CronExpr {
            text: parts.join(" "),
            minutes: bits[0],
            hours: bits[1] as u32,
            days: bits[2] as u32,
            months: bits[3] as u16,
            weekdays,
            day_and: parts[2].starts_with('*') || parts[4].starts_with('*'),
            wall_clock: !parts[0].starts_with('*') && !parts[1].starts_with('*'),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn day_ok(&self, d: NaiveDate) -> bool {
        let dom = self.days & (1 << d.day()) != 0;
        let dow = self.weekdays & (1 << d.weekday().num_days_from_sunday()) != 0;
        if self.day_and { dom && dow } else { dom || dow }
    }

    /// The first scheduled instant after the minute of `after`, in `zone` (see the module docs);
    /// `None` when nothing matches within 50 years.
    pub fn next_after(&self, after: Instant, zone: Zone) -> Option<Instant> {
        if self.wall_clock { self.next_wall_clock(after, zone) } else { self.next_real_minutes(after, zone) }
    }

    /// cronsim's `fixup_tz` path: search the naive local calendar, then place the match.
    fn next_wall_clock(&self, after: Instant, zone: Zone) -> Option<Instant> {
        let start = floor_minute(zone.local(after));
        let limit_year = start.year() + 50;
        let mut n = start + ChronoDuration::minutes(1);
        while n.year() <= limit_year {
            if self.months & (1 << n.month()) == 0 {
                n = first_of_next_month(n.date()).and_time(NaiveTime::MIN);
            } else if !self.day_ok(n.date()) {
                n = (n.date() + ChronoDuration::days(1)).and_time(NaiveTime::MIN);
            } else if self.hours & (1 << n.hour()) == 0 {
                n = floor_hour(n) + ChronoDuration::hours(1);
            } else if self.minutes & (1 << n.minute()) == 0 {
                n += ChronoDuration::minutes(1);
            } else {
                // `while is_imaginary(result): self.dt += td(minutes=1)`; an ambiguous time
                // takes `fold=0`, the earlier instant ([`Zone::instant_of`]).
                let mut r = n;
                while zone.local(zone.instant_of(r)) != r {
                    r += ChronoDuration::minutes(1);
                }
                return Some(zone.instant_of(r));
            }
        }
        None
    }

    /// cronsim's aware path: real minutes, each read on the local clock.
    fn next_real_minutes(&self, after: Instant, zone: Zone) -> Option<Instant> {
        let minute = Duration::MINUTE.as_ms();
        let mut t = Instant(after.as_ms().div_euclid(minute) * minute) + Duration::MINUTE;
        let limit = after + Duration::from_days(366 * 50);
        while t <= limit {
            let l = zone.local(t);
            let skip_to = if self.months & (1 << l.month()) == 0 {
                Some(zone.instant_of(first_of_next_month(l.date()).and_time(NaiveTime::MIN)))
            } else if !self.day_ok(l.date()) {
                Some(zone.instant_of((l.date() + ChronoDuration::days(1)).and_time(NaiveTime::MIN)))
            } else if self.hours & (1 << l.hour()) == 0 {
                Some(t + Duration::from_mins(60 - l.minute() as i64))
            } else if self.minutes & (1 << l.minute()) == 0 {
                Some(t + Duration::MINUTE)
            } else {
                None
            };
            match skip_to {
                None => return Some(t),
                // Always move forward, whatever a gap at midnight does to `instant_of`.
                Some(next) => t = if next > t { next } else { t + Duration::MINUTE },
            }
        }
        None
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn floor_minute(n: NaiveDateTime) -> NaiveDateTime {
    n.date().and_hms_opt(n.hour(), n.minute(), 0).unwrap_or(n)
}

fn floor_hour(n: NaiveDateTime) -> NaiveDateTime {
    n.date().and_hms_opt(n.hour(), 0, 0).unwrap_or(n)
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// Why a Dolibarr job's grid has no cron expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotACron {
    /// Dolibarr adds calendar months in UTC with PHP's overflow (Jan 31 + 1 month = Mar 3).
    CalendarMonths,
    /// Cron's resolution is the minute.
    BelowAMinute,
    /// The period is not a whole number of minutes.
    NotWholeMinutes,
    /// Neither a divisor of an hour or of a day, nor a day or a week.
    NoCronGrid,
}

impl fmt::Display for NotACron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotACron::CalendarMonths => {
                "calendar months are added in UTC with PHP's overflow (Jan 31 + 1 month = Mar 3): no cron expression follows that grid"
            }
            NotACron::BelowAMinute => "the period is below a minute, cron's resolution",
            NotACron::NotWholeMinutes => "the period is not a whole number of minutes",
            NotACron::NoCronGrid => {
                "the period divides neither an hour nor a day and is not a day or a week: no cron expression repeats it"
            }
        })
    }
}

/// The cron expression a user would enter for a job that runs every `period` from `first`, read
/// in `zone` (the check's time zone): the minutes (and hours) of `first` on that zone's wall clock,
/// at the minute (cron fires on the minute, the job's slot is at or after it). A daily job's
/// local hour moves at a DST change (Dolibarr adds fixed seconds) while the expression stays:
/// that mismatch is Healthchecks' real behaviour, not a modelling shortcut.
pub fn for_grid(first: Instant, period: Duration, zone: Zone) -> Result<CronExpr, NotACron> {
    let minute = Duration::MINUTE.as_ms();
    let p = period.as_ms();
    if p < minute {
        return Err(NotACron::BelowAMinute);
    }
    if p % minute != 0 {
        return Err(NotACron::NotWholeMinutes);
    }
    let mins = p / minute;
    let l = zone.local(first);
    let (m, h) = (l.minute() as i64, l.hour() as i64);
    let list = |start: i64, step: i64, end: i64| (start..end).step_by(step as usize).map(|v| v.to_string()).collect::<Vec<_>>().join(",");
    let text = if 60 % mins == 0 {
        if mins == 1 { "* * * * *".to_string() } else { format!("{} * * * *", list(m % mins, mins, 60)) }
    } else if mins % 60 == 0 && (24 * 60) % mins == 0 {
        let hrs = mins / 60;
        format!("{m} {} * * *", list(h % hrs, hrs, 24))
    } else if mins == 7 * 24 * 60 {
        format!("{m} {h} * * {}", l.weekday().num_days_from_sunday())
    } else {
        return Err(NotACron::NoCronGrid);
    };
    CronExpr::parse(&text).map_err(|_| NotACron::NoCronGrid)
}

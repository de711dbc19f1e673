//! Schedule arithmetic (SPEC 2.2): frequencies, calendar months (`dol_time_plus_duree`) and the
//! next run after a pass (`reprogram_jobs`). Pure functions of instants: no job state.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};

use crate::time::{Duration, Instant, Zone};

/// Unit of a job's frequency. Dolibarr stores it as `unitfrequency`, a number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrequencyUnit {
    /// `unitfrequency = 1`: not offered by Dolibarr's form, but the column is a plain multiplier.
    Second,
    Minute,
    Hour,
    /// 86 400 s, not a calendar day: the grid ignores daylight-saving changes (see `Runner`).
    Day,
    /// 604 800 s.
    Week,
    /// Calendar months (`unitfrequency = 2678400` is only a marker), see [`MonthCalendar`].
    Month,
}

impl FrequencyUnit {
    /// Dolibarr's `unitfrequency` value for this unit.
    pub const fn unitfrequency(self) -> i64 {
        match self {
            FrequencyUnit::Second => 1,
            FrequencyUnit::Minute => 60,
            FrequencyUnit::Hour => 3_600,
            FrequencyUnit::Day => 86_400,
            FrequencyUnit::Week => 604_800,
            FrequencyUnit::Month => 2_678_400,
        }
    }
}

/// "Every `count` `unit`s". `count = 0` means the job is never reprogrammed (Dolibarr's
/// `frequency > 0` guard): once due it stays due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Frequency {
    pub count: u32,
    pub unit: FrequencyUnit,
}

impl Frequency {
    pub const fn new(count: u32, unit: FrequencyUnit) -> Self {
        Frequency { count, unit }
    }
    /// The fixed period in milliseconds, or `None` for calendar months.
    pub const fn fixed_period(self) -> Option<Duration> {
        match self.unit {
            FrequencyUnit::Month => None,
            unit => Some(Duration(self.count as i64 * unit.unitfrequency() * 1_000)),
        }
    }
}

/// In which calendar a monthly job adds its months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MonthCalendar {
    /// Current Dolibarr (`date.lib.php` `dol_time_plus_duree`, default setup): the month is added
    /// to the UTC date and time, so the local hour moves with daylight saving.
    #[default]
    Utc,
    /// Older Dolibarr, or `MAIN_DATE_IN_MEMORY_ARE_NOT_GMT = 1`: added to the local wall-clock
    /// date and time in the scenario's zone (PHP's default zone is the server's). A local time
    /// that falls in a spring-forward gap moves forward by the gap, one in an autumn fold takes
    /// the earlier instant (the `time::Zone::instant_of` rule, which is also PHP's).
    ScenarioZone,
}

/// Where a runner adds its periods: fixed units in seconds, months by [`MonthCalendar`] in the
/// scenario's zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    pub months: MonthCalendar,
    pub zone: Zone,
}

impl Calendar {
    /// `reprogram_jobs()`: `if (datenextrun < now && frequency > 0) while (datenextrun < now)
    /// datenextrun += period`. Fixed periods jump in one step to the same result as the loop.
    pub fn reprogram(self, datenextrun: Instant, freq: Frequency, now: Instant) -> Instant {
        if datenextrun >= now || freq.count == 0 {
            // "datenextrun is already in future, we do not change it"
            return datenextrun;
        }
        match freq.fixed_period() {
            Some(period) => {
                let p = period.as_ms();
                let k = (now.0 - datenextrun.0 + p - 1) / p; // smallest k with dnr + k·p >= now
                Instant(datenextrun.0.saturating_add(k.saturating_mul(p)))
            }
            None => {
                let mut next = datenextrun;
                while next < now {
                    next = self.step(next, freq);
                }
                next
            }
        }
    }

    /// One period after `t`: seconds for fixed units, `dol_time_plus_duree(t, count, 'm')` for months.
    pub fn step(self, t: Instant, freq: Frequency) -> Instant {
        match freq.fixed_period() {
            Some(p) => Instant(t.0.saturating_add(p.0)),
            None => add_months(t, freq.count, self.months, self.zone),
        }
    }
}

/// `dol_time_plus_duree($t, $months, 'm')` without `$ruleforendofmonth`: PHP `DateInterval('PnM')`.
/// The wall-clock time is kept; a day that the target month lacks overflows into the next month
/// (Jan 31 + 1 month = Mar 3, or Mar 2 in a leap year). Out of chrono's range: the far future.
pub fn add_months(t: Instant, months: u32, calendar: MonthCalendar, zone: Zone) -> Instant {
    let result = match calendar {
        MonthCalendar::Utc => chrono::DateTime::from_timestamp_millis(t.0)
            .and_then(|dt| add_months_naive(dt.naive_utc(), months))
            .map(|n| Instant(n.and_utc().timestamp_millis())),
        MonthCalendar::ScenarioZone => add_months_naive(zone.local(t), months).map(|n| zone.instant_of(n)),
    };
    result.unwrap_or(Instant(i64::MAX))
}

fn add_months_naive(dt: NaiveDateTime, months: u32) -> Option<NaiveDateTime> {
    let total = i64::from(dt.year()) * 12 + i64::from(dt.month0()) + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    // PHP normalises "month N, day d" by counting d − 1 days from the 1st.
    let date = first.checked_add_days(Days::new(u64::from(dt.day0())))?;
    Some(date.and_time(dt.time()))
}

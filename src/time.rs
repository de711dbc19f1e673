//! The one time vocabulary of syncsim: integer milliseconds, UTC (SPEC 0).
//!
//! `Instant` is milliseconds since the Unix epoch, `Duration` a signed span of milliseconds.
//! No floating point, no clock: these types can only be built from numbers or parsed from text.
//! `chrono`/`chrono-tz` appear only here, at the edges (parsing, formatting, local time).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// A virtual instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub i64);

/// A span of virtual time in milliseconds (may be negative as a difference of instants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub i64);

impl Duration {
    pub const ZERO: Duration = Duration(0);
    pub const MILLISECOND: Duration = Duration(1);
    pub const SECOND: Duration = Duration(1_000);
    pub const MINUTE: Duration = Duration(60_000);
    pub const HOUR: Duration = Duration(3_600_000);
    pub const DAY: Duration = Duration(86_400_000);

    pub const fn from_ms(ms: i64) -> Self {
        Duration(ms)
    }
    pub const fn from_secs(s: i64) -> Self {
        Duration(s * 1_000)
    }
    pub const fn from_mins(m: i64) -> Self {
        Duration(m * 60_000)
    }
    pub const fn from_hours(h: i64) -> Self {
        Duration(h * 3_600_000)
    }
    pub const fn from_days(d: i64) -> Self {
        Duration(d * 86_400_000)
    }
    pub const fn as_ms(self) -> i64 {
        self.0
    }
    /// `self * n`, saturating (used for exponential backoff before clamping).
    pub const fn saturating_mul(self, n: i64) -> Self {
        Duration(self.0.saturating_mul(n))
    }
    pub fn clamp(self, lo: Duration, hi: Duration) -> Self {
        Duration(self.0.clamp(lo.0, hi.0))
    }
}

impl Instant {
    pub const fn from_ms(ms: i64) -> Self {
        Instant(ms)
    }
    pub const fn as_ms(self) -> i64 {
        self.0
    }
    /// The instant as RFC 3339 UTC with milliseconds, e.g. `2026-03-29T01:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let mut text = String::with_capacity(24);
        self.write_rfc3339(&mut text);
        text
    }
    /// Append [`Instant::to_rfc3339`]'s text to `out`. A trace writes two instants a line, tens
    /// of millions of lines a run: this writes the digits itself instead of interpreting a
    /// format string each time (issue #17, item 13), with chrono's text for years it cannot
    /// write in four digits.
    pub fn write_rfc3339(self, out: &mut String) {
        use chrono::{Datelike, Timelike};
        use std::fmt::Write;
        let Some(dt) = DateTime::<Utc>::from_timestamp_millis(self.0) else {
            let _ = write!(out, "<out of range: {} ms>", self.0);
            return;
        };
        let (date, time) = (dt.date_naive(), dt.time());
        if !(0..=9999).contains(&date.year()) {
            let _ = write!(out, "{}", dt.format("%Y-%m-%dT%H:%M:%S%.3fZ"));
            return;
        }
        let digits = |out: &mut String, value: u32, width: u32| {
            for k in (0..width).rev() {
                out.push(char::from(b'0' + (value / 10u32.pow(k) % 10) as u8));
            }
        };
        digits(out, date.year() as u32, 4);
        out.push('-');
        digits(out, date.month(), 2);
        out.push('-');
        digits(out, date.day(), 2);
        out.push('T');
        digits(out, time.hour(), 2);
        out.push(':');
        digits(out, time.minute(), 2);
        out.push(':');
        digits(out, time.second(), 2);
        out.push('.');
        digits(out, self.0.rem_euclid(1_000) as u32, 3);
        out.push('Z');
    }
    /// Parse an RFC 3339 instant (any offset) into UTC milliseconds.
    pub fn parse_rfc3339(text: &str) -> Result<Instant, TimeParseError> {
        DateTime::parse_from_rfc3339(text)
            .map(|dt| Instant(dt.timestamp_millis()))
            .map_err(|_| TimeParseError::new(text, "an RFC 3339 instant such as 2026-03-01T00:00:00+01:00"))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0 + d.0)
    }
}
impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        self.0 += d.0;
    }
}
impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        Instant(self.0 - d.0)
    }
}
impl Sub for Instant {
    type Output = Duration;
    fn sub(self, other: Instant) -> Duration {
        Duration(self.0 - other.0)
    }
}
impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0 + d.0)
    }
}
impl Sub for Duration {
    type Output = Duration;
    fn sub(self, d: Duration) -> Duration {
        Duration(self.0 - d.0)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Display for Duration {
    /// Compact form that `parse_duration` reads back: `1d2h30m`, `90s`, `250ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0;
        if ms == 0 {
            return f.write_str("0s");
        }
        if ms < 0 {
            f.write_str("-")?;
            ms = -ms;
        }
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
            if ms >= size {
                write!(f, "{}{}", ms / size, unit)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

/// A time text that could not be read: what was found and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, found {found:?}")]
pub struct TimeParseError {
    pub found: String,
    pub expected: &'static str,
}

impl TimeParseError {
    fn new(found: &str, expected: &'static str) -> Self {
        TimeParseError { found: found.to_string(), expected }
    }
}

const DURATION_EXPECTED: &str = "a duration such as \"250ms\", \"90s\", \"5m\", \"12h\", \"7d\" or \"2d3h\"";

/// Parse `"90s"`, `"5m"`, `"12h"`, `"7d"`, `"250ms"` and compounds such as `"2d3h30m"`.
/// Units must appear from largest to smallest, each at most once; the value must be non-negative
/// and below 100 years (a larger one is a typo, not a simulation).
pub fn parse_duration(text: &str) -> Result<Duration, TimeParseError> {
    let err = || TimeParseError::new(text, DURATION_EXPECTED);
    let bytes = text.trim().as_bytes();
    if bytes.is_empty() {
        return Err(err());
    }
    let mut total: i64 = 0;
    let mut i = 0;
    let mut last_rank = usize::MAX; // rank of the previous unit, largest = 0
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 12 {
            return Err(err());
        }
        let value: i64 = std::str::from_utf8(&bytes[start..i]).ok().and_then(|s| s.parse().ok()).ok_or_else(err)?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let (rank, size) = match &bytes[unit_start..i] {
            b"d" => (0, 86_400_000),
            b"h" => (1, 3_600_000),
            b"m" => (2, 60_000),
            b"s" => (3, 1_000),
            b"ms" => (4, 1),
            _ => return Err(err()),
        };
        if last_rank != usize::MAX && rank <= last_rank {
            return Err(err());
        }
        last_rank = rank;
        total = value.checked_mul(size).and_then(|v| total.checked_add(v)).ok_or_else(err)?;
    }
    if total > 100 * 366 * 86_400_000 {
        return Err(TimeParseError::new(text, "a duration below 100 years"));
    }
    Ok(Duration(total))
}

/// An instant in a scenario: RFC 3339, or an offset from the scenario start such as `"+2d3h"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    Absolute(Instant),
    FromStart(Duration),
}

impl At {
    pub fn parse(text: &str) -> Result<At, TimeParseError> {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix('+') {
            parse_duration(rest)
                .map(At::FromStart)
                .map_err(|_| TimeParseError::new(text, "an offset from the start such as \"+2d3h\", or an RFC 3339 instant"))
        } else {
            Instant::parse_rfc3339(t)
                .map(At::Absolute)
                .map_err(|_| TimeParseError::new(text, "an RFC 3339 instant or an offset from the start such as \"+2d3h\""))
        }
    }
    pub fn resolve(self, start: Instant) -> Instant {
        match self {
            At::Absolute(i) => i,
            At::FromStart(d) => start + d,
        }
    }
}

/// Local time in one IANA zone, DST-correct.
///
/// Rule for local times that do not exist or exist twice (documented in ARCHITECTURE.md):
/// a time in a spring-forward gap is moved forward by the gap's length (02:30 on 2026-03-29 in
/// Europe/Paris is 03:30 CEST); a time in an autumn fold takes the earlier instant (the first
/// 02:30 on 2026-10-25 is 02:30 CEST = 00:30 UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl Zone {
    pub fn parse(name: &str) -> Result<Zone, TimeParseError> {
        name.parse::<Tz>().map(Zone).map_err(|_| TimeParseError::new(name, "an IANA time zone name such as \"Europe/Paris\""))
    }
    pub fn name(self) -> &'static str {
        self.0.name()
    }
    /// The zone's offset from UTC at `t`, in milliseconds.
    pub fn offset_at(self, t: Instant) -> Duration {
        match DateTime::<Utc>::from_timestamp_millis(t.0) {
            Some(dt) => Duration::from_secs(self.0.offset_from_utc_datetime(&dt.naive_utc()).fix().local_minus_utc() as i64),
            None => Duration::ZERO,
        }
    }
    /// The local wall-clock time at `t`.
    pub fn local(self, t: Instant) -> NaiveDateTime {
        let shifted = t + self.offset_at(t);
        DateTime::<Utc>::from_timestamp_millis(shifted.0).map(|d| d.naive_utc()).unwrap_or_default()
    }
    /// The instant of a local wall-clock time (see the gap/fold rule above).
    pub fn instant_of(self, local: NaiveDateTime) -> Instant {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(dt) => Instant(dt.timestamp_millis()),
            LocalResult::Ambiguous(earliest, _) => Instant(earliest.timestamp_millis()),
            LocalResult::None => {
                // In a gap: read the wall time with the offset in force just before the gap,
                // which lands as far past the gap's end as the time was past its start.
                let probe = Instant(local.and_utc().timestamp_millis()) - Duration::DAY;
                let before = self.offset_at(probe);
                Instant(local.and_utc().timestamp_millis()) - before
            }
        }
    }
}

/// Fast local-time lookups over a bounded range, for the event loop's hot path.
///
/// Offsets are precomputed for every 15-minute UTC quarter in `[from, to)` (every zone's
/// transitions fall on a quarter hour), so local hour and local day cost one table read.
/// Outside the range it falls back to `chrono-tz`.
#[derive(Clone, Debug)]
pub struct LocalClock {
    zone: Zone,
    from_quarter: i64,
    offsets_s: Vec<i32>,
}

const QUARTER_MS: i64 = 900_000;

impl LocalClock {
    pub fn new(zone: Zone, from: Instant, to: Instant) -> Self {
        let from_quarter = from.0.div_euclid(QUARTER_MS);
        let to_quarter = to.0.div_euclid(QUARTER_MS) + 1;
        let n = (to_quarter - from_quarter).clamp(0, 4 * 24 * 3700) as usize;
        let offsets_s = (0..n).map(|k| (zone.offset_at(Instant((from_quarter + k as i64) * QUARTER_MS)).0 / 1000) as i32).collect();
        LocalClock { zone, from_quarter, offsets_s }
    }
    pub fn zone(&self) -> Zone {
        self.zone
    }
    #[inline]
    fn offset_ms(&self, t: Instant) -> i64 {
        let q = t.0.div_euclid(QUARTER_MS) - self.from_quarter;
        match usize::try_from(q).ok().and_then(|q| self.offsets_s.get(q)) {
            Some(&s) => s as i64 * 1000,
            None => self.zone.offset_at(t).0,
        }
    }
    /// Local hour of day, 0..=23.
    pub fn hour(&self, t: Instant) -> u8 {
        ((t.0 + self.offset_ms(t)).rem_euclid(86_400_000) / 3_600_000) as u8
    }
    /// Local calendar day as a day number (days since 1970-01-01 in local time).
    pub fn day(&self, t: Instant) -> i32 {
        (t.0 + self.offset_ms(t)).div_euclid(86_400_000) as i32
    }
    /// `(hour(t), day(t))` with one offset lookup.
    #[inline]
    pub fn hour_and_day(&self, t: Instant) -> (u8, i32) {
        let local = t.0 + self.offset_ms(t);
        ((local.rem_euclid(86_400_000) / 3_600_000) as u8, local.div_euclid(86_400_000) as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn durations_parse_in_every_unit_and_compound() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_mins(5)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_hours(12)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_days(7)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_ms(250)));
        assert_eq!(parse_duration("2d3h"), Ok(Duration::from_hours(51)));
        assert_eq!(parse_duration("1h30m15s"), Ok(Duration::from_secs(5415)));
    }

    #[test]
    fn durations_reject_typos_and_disorder() {
        for bad in ["", "h", "12", "12x", "3h2d", "1h1h", "-5m", "1.5h", "99999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn durations_display_round_trips() {
        for text in ["0s", "250ms", "90s", "1d2h30m", "7d"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&d.to_string()).unwrap(), d);
        }
        assert_eq!(Duration::from_secs(90).to_string(), "1m30s");
    }

    #[test]
    fn rfc3339_text_is_chronos_strftime_text_for_every_instant_it_can_name() {
        // The hand-written digits must print what `%Y-%m-%dT%H:%M:%S%.3fZ` printed before, from
        // year 0 to past 9999 (chrono's text there), before 1970 and on leap days.
        let reference = |ms: i64| match DateTime::<Utc>::from_timestamp_millis(ms) {
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            None => format!("<out of range: {ms} ms>"),
        };
        let year_0 = -62_167_219_200_000_i64;
        let year_12000 = 316_504_886_400_000_i64;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut samples = vec![0, -1, 1, 999, year_0, year_0 - 1, 253_402_300_799_999, 253_402_300_800_000, i64::MAX, i64::MIN];
        samples.push(Instant::parse_rfc3339("2028-02-29T23:59:59.999Z").unwrap().as_ms());
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            samples.push(year_0 - 86_400_000 + (x >> 1) as i64 % (year_12000 - year_0));
        }
        for ms in samples {
            assert_eq!(Instant(ms).to_rfc3339(), reference(ms), "{ms} ms");
        }
    }

    #[test]
    fn offsets_and_rfc3339_resolve_against_the_start() {
        let start = Instant::parse_rfc3339("2026-03-01T00:00:00+01:00").unwrap();
        assert_eq!(start.to_rfc3339(), "2026-02-28T23:00:00.000Z");
        assert_eq!(At::parse("+2d3h").unwrap().resolve(start), start + Duration::from_hours(51));
        assert_eq!(At::parse("2026-03-01T00:00:00Z").unwrap().resolve(start), start + Duration::HOUR);
        assert!(At::parse("+tomorrow").is_err());
    }

    fn paris() -> Zone {
        Zone::parse("Europe/Paris").unwrap()
    }

    #[test]
    fn spring_forward_gap_moves_forward_by_the_gap() {
        // 2026-03-29 02:30 does not exist in Paris; it becomes 03:30 CEST = 01:30 UTC.
        let local = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(paris().instant_of(local), Instant::parse_rfc3339("2026-03-29T01:30:00Z").unwrap());
    }

    #[test]
    fn autumn_fold_takes_the_earlier_instant() {
        // 2026-10-25 02:30 happens twice in Paris; the first is CEST, 00:30 UTC.
        let local = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(paris().instant_of(local), Instant::parse_rfc3339("2026-10-25T00:30:00Z").unwrap());
    }

    #[test]
    fn local_clock_matches_chrono_across_both_2026_changes() {
        let from = Instant::parse_rfc3339("2026-03-27T00:00:00Z").unwrap();
        let to = Instant::parse_rfc3339("2026-10-27T00:00:00Z").unwrap();
        let clock = LocalClock::new(paris(), from, to);
        let mut t = from;
        while t < to {
            let local = paris().local(t);
            assert_eq!(clock.hour(t) as u32, chrono::Timelike::hour(&local), "at {t}");
            t += Duration::from_mins(37);
        }
        // The spring day has 23 local hours: 00:00 to 24:00 local spans 23 h of UTC.
        let day_start = paris().instant_of(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap().and_hms_opt(0, 0, 0).unwrap());
        let next_start = paris().instant_of(NaiveDate::from_ymd_opt(2026, 3, 30).unwrap().and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(next_start - day_start, Duration::from_hours(23));
        assert_eq!(clock.day(next_start) - clock.day(day_start), 1);
    }
}

// ---- serde and JSON Schema: durations and instants are strings in scenario files (DESIGN). ----

mod serde_impls {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{At, DURATION_EXPECTED, Duration, parse_duration};

    impl Serialize for Duration {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }

    struct DurationVisitor;
    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(DURATION_EXPECTED)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration(v).map_err(|e| E::custom(format!("expected {}, found {:?}", e.expected, e.found)))
        }
    }

    impl<'de> Deserialize<'de> for Duration {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
            d.deserialize_str(DurationVisitor)
        }
    }

    impl JsonSchema for Duration {
        fn schema_name() -> Cow<'static, str> {
            "Duration".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "description": "A duration: \"250ms\", \"90s\", \"5m\", \"12h\", \"7d\" or a compound such as \"2d3h\".",
                "pattern": "^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$",
                "examples": ["90s", "5m", "12h", "7d", "2d3h"]
            })
        }
    }

    impl Serialize for At {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                At::Absolute(i) => s.collect_str(i),
                At::FromStart(d) => s.collect_str(&format_args!("+{d}")),
            }
        }
    }

    struct AtVisitor;
    impl Visitor<'_> for AtVisitor {
        type Value = At;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 instant or an offset from the start such as \"+2d3h\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<At, E> {
            At::parse(v).map_err(|e| E::custom(format!("expected {}, found {:?}", e.expected, e.found)))
        }
    }

    impl<'de> Deserialize<'de> for At {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<At, D::Error> {
            d.deserialize_str(AtVisitor)
        }
    }

    impl JsonSchema for At {
        fn schema_name() -> Cow<'static, str> {
            "At".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "description": "An instant: RFC 3339 (\"2026-03-01T00:00:00+01:00\") or an offset from the scenario start (\"+2d3h\").",
                "examples": ["+0s", "+2d3h", "2026-03-29T02:30:00+01:00"]
            })
        }
    }
}

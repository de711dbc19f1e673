//! JavaScript's `parseFloat` on a push's `ping`, then the route's range check, without floating
//! point (Kuma 2.x `server/routers/api-router.js`: `parseFloat(request.query.ping) || null`, then
//! `if (ping < 0 || ping > MAX_PING_MS)` → 404). Kept apart because it emulates a language, not
//! Kuma.

/// Largest `ping` the push endpoint accepts (`api-router.js`: `const MAX_PING_MS = 100000000000;`).
pub const MAX_PING_MS: i64 = 100_000_000_000;

// `classify_ping` compares decimal exponents with 11: it is written for exactly 1e11.
const _: () = assert!(MAX_PING_MS == 10_i64.pow(11));

/// How `parseFloat(request.query.ping) || null` then the range check classify a `ping`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PingClass {
    /// NaN or 0 (or -0): stored as null, accepted.
    Null,
    /// In `(0, MAX_PING_MS]`: accepted.
    InRange,
    /// Negative or above `MAX_PING_MS` (Infinity included): 404.
    OutOfRange,
}

/// JavaScript `parseFloat` on the longest decimal prefix, without floating point: leading
/// white space, an optional sign, then `Infinity` or digits with an optional fraction and an
/// optional exponent. The value is compared exactly as a decimal with `0` and `1e11`; it can
/// differ from JavaScript's double only within one ulp of those bounds and below ~1e-323
/// (treated as 0, as JavaScript underflows there).
pub(super) fn classify_ping(ping: Option<&str>) -> PingClass {
    let Some(raw) = ping else {
        return PingClass::Null;
    };
    // ECMAScript StrWhiteSpaceChar: Unicode white space and line terminators, plus BOM, minus NEL.
    let text = raw.trim_start_matches(|c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}');
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.starts_with("Infinity") {
        return PingClass::OutOfRange;
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut digits: Vec<u8> = Vec::new();
    let mut int_len: i64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        digits.push(bytes[i] - b'0');
        int_len += 1;
        i += 1;
    }
    let mut frac_len: i64 = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        let mut j = i + 1;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            digits.push(bytes[j] - b'0');
            frac_len += 1;
            j += 1;
        }
        if int_len > 0 || frac_len > 0 {
            i = j;
        }
    }
    if int_len + frac_len == 0 {
        return PingClass::Null; // NaN || null
    }
    let mut exponent: i64 = 0;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        let mut exp_negative = false;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            exp_negative = bytes[j] == b'-';
            j += 1;
        }
        let start = j;
        let mut e: i64 = 0;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            e = (e * 10 + i64::from(bytes[j] - b'0')).min(1_000_000);
            j += 1;
        }
        if j > start {
            exponent = if exp_negative { -e } else { e };
        }
    }
    let Some(first_nonzero) = digits.iter().position(|&d| d != 0) else {
        return PingClass::Null; // 0 || null
    };
    // Decimal exponent of the leading non-zero digit.
    let lead = int_len - 1 - first_nonzero as i64 + exponent;
    if lead <= -324 {
        return PingClass::Null; // underflows to (-)0 in a double
    }
    if negative {
        return PingClass::OutOfRange;
    }
    // MAX_PING_MS = 1e11: leading digit at 10^11 and nothing after it is exactly 1e11.
    match lead.cmp(&11) {
        std::cmp::Ordering::Less => PingClass::InRange,
        std::cmp::Ordering::Greater => PingClass::OutOfRange,
        std::cmp::Ordering::Equal => {
            let rest_nonzero = digits[first_nonzero + 1..].iter().any(|&d| d != 0);
            if digits[first_nonzero] == 1 && !rest_nonzero { PingClass::InRange } else { PingClass::OutOfRange }
        }
    }
}

//! Date and datetime answers.
//!
//! * `date` (decisions item 20): upstream uses python-dateutil's free-form parser,
//!   which accepts almost anything (even `"2025"`). We accept a fixed set of
//!   unambiguous forms instead: ISO `YYYY-MM-DD`, `YYYY/MM/DD`, US `MM/DD/YYYY`,
//!   European `DD.MM.YYYY`, and month-name forms (`Sep 4 2025`, `September 4, 2025`,
//!   `4 September 2025`, `4-Sep-2025`). This is a recorded divergence.
//! * `datetime`: Python 3.11's `datetime.fromisoformat`, reproduced for the forms it
//!   documents.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::domain::python::py_strip;

/// Parses a `date` answer in one of the accepted forms; `None` if it is not one of
/// them or names no real day.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = py_strip(input);
    parse_numeric_date(s).or_else(|| parse_month_name_date(s))
}

/// Whether a string is an accepted `date` answer.
pub fn is_valid_date(input: &str) -> bool {
    parse_date(input).is_some()
}

fn ymd(year: u32, month: u32, day: u32) -> Option<NaiveDate> {
    if !(1..=9999).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// Reads 1 or 2 ASCII digits (`max_len` 2) or exactly 4 (`max_len` 4, for years).
fn number(part: &str, min_len: usize, max_len: usize) -> Option<u32> {
    let ok = (min_len..=max_len).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
    if ok {
        part.parse().ok()
    } else {
        None
    }
}

fn parse_numeric_date(s: &str) -> Option<NaiveDate> {
    let (sep, parts) =
        ['-', '/', '.'].into_iter().find(|c| s.contains(*c)).map(|c| (c, s.split(c).collect::<Vec<_>>()))?;
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    match sep {
        // YYYY-MM-DD
        '-' => ymd(number(a, 4, 4)?, number(b, 1, 2)?, number(c, 1, 2)?),
        // YYYY/MM/DD or MM/DD/YYYY, told apart by where the four-digit year is
        '/' if a.len() == 4 => ymd(number(a, 4, 4)?, number(b, 1, 2)?, number(c, 1, 2)?),
        '/' => ymd(number(c, 4, 4)?, number(a, 1, 2)?, number(b, 1, 2)?),
        // DD.MM.YYYY
        _ => ymd(number(c, 4, 4)?, number(b, 1, 2)?, number(a, 1, 2)?),
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A month name or its three-letter abbreviation (`sept` too), any case, with an
/// optional trailing dot (`Sep.`).
fn month_number(token: &str) -> Option<u32> {
    let t = token.strip_suffix('.').unwrap_or(token).to_lowercase();
    if t == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| *m == t || (t.len() == 3 && m.starts_with(t.as_str())))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// A day of the month, optionally with an English ordinal suffix (`4th`, `1st`).
fn day_number(token: &str) -> Option<u32> {
    let lower = token.to_ascii_lowercase();
    let digits = ["st", "nd", "rd", "th"].iter().find_map(|suffix| lower.strip_suffix(suffix)).unwrap_or(&lower);
    number(digits, 1, 2)
}

fn parse_month_name_date(s: &str) -> Option<NaiveDate> {
    let tokens: Vec<&str> =
        s.split(|c: char| c.is_whitespace() || c == ',' || c == '-').filter(|t| !t.is_empty()).collect();
    let [first, second, year] = tokens.as_slice() else {
        return None;
    };
    let year = number(year, 4, 4)?;
    if let Some(month) = month_number(first) {
        ymd(year, month, day_number(second)?)
    } else {
        ymd(year, month_number(second)?, day_number(first)?)
    }
}

/// Parses a `datetime` answer the way Python 3.11's `datetime.fromisoformat` does:
/// a date (`YYYY-MM-DD`, `YYYYMMDD`, or ISO week forms `YYYY-Www[-D]`, `YYYYWww[D]`),
/// optionally followed by any single separator character and a time
/// `HH[:MM[:SS[.f…]]]` (or basic `HHMMSS`), optionally ending in `Z` or an offset
/// `±HH[:MM[:SS[.f…]]]`. The offset is validated and dropped.
pub fn parse_iso_datetime(s: &str) -> Option<NaiveDateTime> {
    let (date, date_len) = parse_iso_date_prefix(s)?;
    let midnight = NaiveTime::from_hms_opt(0, 0, 0)?;
    if s.len() == date_len {
        return Some(date.and_time(midnight));
    }
    // Any single character separates the date from the time.
    let mut rest = s.get(date_len..)?.chars();
    rest.next()?;
    let time_str = rest.as_str();
    if time_str.is_empty() {
        return None;
    }
    parse_iso_time_with_offset(time_str).map(|t| date.and_time(t))
}

/// Whether a string is an accepted `datetime` answer.
pub fn is_valid_datetime(s: &str) -> bool {
    parse_iso_datetime(s).is_some()
}

fn digits_at(s: &[u8], from: usize, len: usize) -> Option<u32> {
    let part = s.get(from..from + len)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(part).ok()?.parse().ok()
}

/// The date at the start of `s` and its length in bytes.
fn parse_iso_date_prefix(s: &str) -> Option<(NaiveDate, usize)> {
    let b = s.as_bytes();
    let year = digits_at(b, 0, 4)?;
    let year_i = i32::try_from(year).ok()?;
    if year == 0 {
        return None;
    }
    let extended = b.get(4) == Some(&b'-');
    let p = if extended { 5 } else { 4 };
    if b.get(p) == Some(&b'W') {
        let week = digits_at(b, p + 1, 2)?;
        let mut len = p + 3;
        let mut weekday = 1;
        if extended {
            if b.get(len) == Some(&b'-') {
                weekday = digits_at(b, len + 1, 1)?;
                len += 2;
            }
        } else if let Some(d) = digits_at(b, len, 1) {
            weekday = d;
            len += 1;
        }
        let weekday = match weekday {
            1 => chrono::Weekday::Mon,
            2 => chrono::Weekday::Tue,
            3 => chrono::Weekday::Wed,
            4 => chrono::Weekday::Thu,
            5 => chrono::Weekday::Fri,
            6 => chrono::Weekday::Sat,
            7 => chrono::Weekday::Sun,
            _ => return None,
        };
        return NaiveDate::from_isoywd_opt(year_i, week, weekday).map(|d| (d, len));
    }
    let month = digits_at(b, p, 2)?;
    let day_pos = if extended {
        if b.get(p + 2) != Some(&b'-') {
            return None;
        }
        p + 3
    } else {
        p + 2
    };
    let day = digits_at(b, day_pos, 2)?;
    NaiveDate::from_ymd_opt(year_i, month, day).map(|d| (d, day_pos + 2))
}

/// Python's `_parse_hh_mm_ss_ff`: hour, minute, second, microsecond.
fn parse_hh_mm_ss_ff(t: &str) -> Option<(u32, u32, u32, u32)> {
    let b = t.as_bytes();
    let mut comps = [0u32; 3];
    let mut pos = 0;
    let mut has_sep = false;
    for (i, comp) in comps.iter_mut().enumerate() {
        *comp = digits_at(b, pos, 2)?;
        pos += 2;
        let next = b.get(pos);
        if i == 0 {
            has_sep = next == Some(&b':');
        }
        if next.is_none() || i >= 2 {
            break;
        }
        if has_sep {
            if next != Some(&b':') {
                return None;
            }
            pos += 1;
        }
    }
    let mut micros = 0;
    if pos < b.len() {
        if b[pos] != b'.' && b[pos] != b',' {
            return None;
        }
        let frac = &b[pos + 1..];
        // At least one digit; digits past the sixth are read and ignored.
        if frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let used = frac.len().min(6);
        micros = digits_at(frac, 0, used)? * 10u32.pow(u32::try_from(6 - used).ok()?);
    }
    let [h, m, s] = comps;
    (h < 24 && m < 60 && s < 60).then_some((h, m, s, micros))
}

fn parse_iso_time_with_offset(t: &str) -> Option<NaiveTime> {
    // Python looks for '-', then '+', then 'Z', in that order.
    let tz_pos = t.find('-').or_else(|| t.find('+')).or_else(|| t.find('Z'));
    let time_part = match tz_pos {
        Some(p) => &t[..p],
        None => t,
    };
    let (h, m, s, us) = parse_hh_mm_ss_ff(time_part)?;
    if let Some(p) = tz_pos {
        let tz = &t[p + 1..];
        let is_trailing_z = tz.is_empty() && t.ends_with('Z');
        if !is_trailing_z {
            if matches!(tz.len(), 0 | 1 | 3) {
                return None;
            }
            parse_hh_mm_ss_ff(tz)?;
        }
    }
    NaiveTime::from_hms_micro_opt(h, m, s, us)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn date_answers_in_the_accepted_formats_parse() {
        let table = vec![
            ("2025-09-04", d(2025, 9, 4)),
            (" 2025-9-4 ", d(2025, 9, 4)),
            ("09/04/2025", d(2025, 9, 4)),
            ("04.09.2025", d(2025, 9, 4)),
            ("2025/09/04", d(2025, 9, 4)),
            ("Sep 4 2025", d(2025, 9, 4)),
            ("Sep 4, 2025", d(2025, 9, 4)),
            ("September 4, 2025", d(2025, 9, 4)),
            ("4 September 2025", d(2025, 9, 4)),
            ("4 sep 2025", d(2025, 9, 4)),
            ("4th Sept. 2025", d(2025, 9, 4)),
            ("4-Sep-2025", d(2025, 9, 4)),
            ("2024-02-29", d(2024, 2, 29)),
        ];
        for (s, expected) in table {
            assert_eq!(parse_date(s), expected, "{s:?}");
        }
    }

    #[test]
    fn date_answers_outside_the_accepted_formats_are_rejected() {
        let table = vec![
            "",
            "   ",
            "not a date",
            "2025",
            "2025-13-01",
            "2025-02-30",
            "2023-02-29",
            "13/13/2025",
            "2025-09-04T10:00:00",
            "Foo 4 2025",
            "4 September",
            "25-09-04",
            "0000-01-01",
        ];
        for s in table {
            assert_eq!(parse_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn datetime_answers_follow_python_fromisoformat() {
        // §11.5 #45 and the forms Python 3.11 documents
        let table = vec![
            ("2024-01-15T10:30:00", true),
            ("2024-12-31T23:59:59", true),
            ("2024-06-15T14:30:00+00:00", true),
            ("2024-06-15T14:30:00.123456", true),
            ("2024-01-15", true),
            ("2024-01-15 10:30", true),
            ("2024-01-15T10", true),
            ("2024-01-15T10:30:00Z", true),
            ("2024-01-15T10:30:00.5-05:30", true),
            ("2024-01-15T10:30:00,123", true),
            ("2024-01-15T103000", true),
            ("20240115T103000+0100", true),
            ("20240115", true),
            ("2024-W03-1", true),
            ("2024W031", true),
            ("2024-01-15T10:30:00.1234567", true),
            ("not a datetime", false),
            ("15/01/2024 10:30", false),
            ("2024-01-15T", false),
            ("2024-01-15T25:00", false),
            ("2024-01-15T10:3", false),
            ("2024-01-15T10:30:00.", false),
            ("2024-01-15T10:30+1", false),
            ("2024-01-15T10:30:00ZZ", false),
            ("2024-02-30", false),
            ("2024-1-5", false),
        ];
        for (s, expected) in table {
            assert_eq!(is_valid_datetime(s), expected, "{s:?}");
        }
    }
}

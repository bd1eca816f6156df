//! Scalars on the wire (docs/spec/decisions.md 2): response structs hold `Uuid` and
//! `DateTime<Utc>` wrapped in these newtypes, and each is written in its wire form by the one
//! `Display` here, so no struct holds a pre-formatted string and no two places format alike.
//!
//! - [`Hex`]: a uuid as 32 lowercase hex digits, without dashes;
//! - [`Timestamp`]: DRF's ISO-8601 in UTC with `Z`, microseconds only when non-zero;
//! - [`Hyperlink`]: a record's URL, `{root}{route}{hex}/`;
//! - [`PythonTimestamp`]: Python's `isoformat()` of an aware UTC time, `+00:00`, microseconds
//!   only when non-zero (`consent_data.agreement_date`, docs/spec/offering-users-2026.md §4.6);
//! - [`StringList`]: a stored JSON list of strings, `[]` whatever else was stored.

use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

/// The route of offering users, in front of a record's hex uuid.
pub const OFFERING_USERS_ROUTE: &str = "/api/marketplace-offering-users/";
/// The route of users.
pub const USERS_ROUTE: &str = "/api/users/";
/// The route of provider offerings.
pub const OFFERINGS_ROUTE: &str = "/api/marketplace-provider-offerings/";
/// The route of customers.
pub const CUSTOMERS_ROUTE: &str = "/api/customers/";

/// A uuid as Waldur renders every uuid: 32 lowercase hex digits, without dashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Hex(pub Uuid);

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.simple(), f)
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A point in time as DRF renders it: ISO-8601 in UTC with `Z`; microseconds only when
/// non-zero (Python's `isoformat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Timestamp(pub DateTime<Utc>);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso8601(f, self.0)?;
        f.write_str("Z")
    }
}

/// `YYYY-MM-DDTHH:MM:SS`, then `.ffffff` when the microseconds are not zero: the part that
/// DRF's and Python's renderings share. Written field by field rather than through chrono's
/// `format`, which parses its pattern again for every value: a list page writes two or three
/// timestamps per record.
fn write_iso8601(f: &mut fmt::Formatter<'_>, time: DateTime<Utc>) -> fmt::Result {
    let (date, clock) = (time.date_naive(), time.time());
    if !(0..=9999).contains(&date.year()) {
        // Beyond four digits chrono writes a sign; keep its form for such (stored, never typed) times.
        let pattern = if time.nanosecond() / 1000 == 0 { "%Y-%m-%dT%H:%M:%S" } else { "%Y-%m-%dT%H:%M:%S%.6f" };
        return write!(f, "{}", time.format(pattern));
    }
    write!(
        f,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date.year(),
        date.month(),
        date.day(),
        clock.hour(),
        clock.minute(),
        clock.second()
    )?;
    // A leap second (nanoseconds past 1e9) keeps its fraction, as chrono's `%.6f` did.
    match time.nanosecond() / 1000 {
        0 => Ok(()),
        micros => write!(f, ".{:06}", micros % 1_000_000),
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A point in time as Python's `datetime.isoformat()` writes an aware UTC value: `+00:00`
/// instead of `Z`, microseconds only when non-zero. Upstream renders `consent_data`'s
/// `agreement_date` so (docs/spec/offering-users-2026.md §4.6, open question Q13), a code path
/// apart from DRF's [`Timestamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct PythonTimestamp(pub DateTime<Utc>);

impl fmt::Display for PythonTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso8601(f, self.0)?;
        f.write_str("+00:00")
    }
}

impl Serialize for PythonTimestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A list of strings stored as JSON (a user's `affiliations`, `nationalities`, …): written as
/// an array of its string items, never `null` (docs/spec/offering-users-2026.md §4.1); any
/// other stored value gives `[]`.
#[derive(Debug, Clone, Copy)]
pub struct StringList<'a>(pub &'a Value);

impl Serialize for StringList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items: &[Value] = match self.0 {
            Value::Array(items) => items,
            _ => &[],
        };
        let mut seq = serializer.serialize_seq(None)?;
        for item in items.iter().filter_map(Value::as_str) {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

/// A hyperlink to a record: the root of every link (`request::BaseUrl`), the route of its
/// kind, its [`Hex`] uuid and the trailing slash.
#[derive(Debug, Clone, Copy)]
pub struct Hyperlink<'a> {
    pub root: &'a str,
    pub route: &'static str,
    pub uuid: Uuid,
}

impl<'a> Hyperlink<'a> {
    pub fn new(root: &'a str, route: &'static str, uuid: Uuid) -> Self {
        Hyperlink { root, route, uuid }
    }
}

impl fmt::Display for Hyperlink<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}/", self.root, self.route, Hex(self.uuid))
    }
}

impl Serialize for Hyperlink<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: impl Serialize) -> String {
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn timestamps_keep_microseconds_only_when_present() {
        let at = |text: &str| Timestamp(text.parse::<DateTime<Utc>>().unwrap());
        assert_eq!(json(at("2026-01-02T10:11:12.123456Z")), r#""2026-01-02T10:11:12.123456Z""#);
        assert_eq!(json(at("2026-01-02T10:11:12Z")), r#""2026-01-02T10:11:12Z""#);
        assert_eq!(json(at("2026-01-02T10:11:12.000100Z")), r#""2026-01-02T10:11:12.000100Z""#);
        // Nanoseconds below a microsecond are not shown, as Python never has them.
        assert_eq!(json(at("2026-01-02T10:11:12.000000500Z")), r#""2026-01-02T10:11:12Z""#);
        assert_eq!(json(at("2026-01-02T12:11:12+02:00")), r#""2026-01-02T10:11:12Z""#);
        assert_eq!(json(None::<Timestamp>), "null");
    }

    #[test]
    fn python_timestamps_end_in_plus_zero_and_keep_microseconds_only_when_present() {
        let at = |text: &str| PythonTimestamp(text.parse::<DateTime<Utc>>().unwrap());
        assert_eq!(json(at("2026-01-02T10:00:00.123456Z")), r#""2026-01-02T10:00:00.123456+00:00""#);
        assert_eq!(json(at("2026-01-02T10:00:00Z")), r#""2026-01-02T10:00:00+00:00""#);
        assert_eq!(json(at("2026-01-02T12:00:00.000001+02:00")), r#""2026-01-02T10:00:00.000001+00:00""#);
    }

    #[test]
    fn timestamps_are_written_as_chronos_patterns_wrote_them() {
        let times = [
            "2024-01-20T09:09:24Z",
            "2024-01-20T09:09:24.000001Z",
            "0001-01-01T00:00:00.999999Z",
            "9999-12-31T23:59:59.5Z",
            "1970-01-01T00:00:00.000000999Z",
        ];
        for text in times {
            let time = text.parse::<DateTime<Utc>>().unwrap();
            let pattern = if time.nanosecond() / 1000 == 0 { "%Y-%m-%dT%H:%M:%S" } else { "%Y-%m-%dT%H:%M:%S%.6f" };
            let expected = time.format(pattern).to_string();
            assert_eq!(Timestamp(time).to_string(), format!("{expected}Z"), "{text}");
            assert_eq!(PythonTimestamp(time).to_string(), format!("{expected}+00:00"), "{text}");
        }
        let far = DateTime::<Utc>::from_timestamp(400_000_000_000, 0).unwrap();
        assert_eq!(Timestamp(far).to_string(), format!("{}Z", far.format("%Y-%m-%dT%H:%M:%S")));
    }

    #[test]
    fn string_lists_hold_strings_only() {
        let table = [
            (serde_json::json!(["a", "b"]), r#"["a","b"]"#),
            (serde_json::json!([]), "[]"),
            (serde_json::json!(["a", 1, null, "c"]), r#"["a","c"]"#),
            (serde_json::json!(null), "[]"),
            (serde_json::json!({"a": 1}), "[]"),
        ];
        for (value, expected) in table {
            assert_eq!(json(StringList(&value)), expected, "{value}");
        }
    }

    #[test]
    fn uuids_are_32_hex() {
        let uuid = Uuid::parse_str("9C08033F-7846-4E06-A273-ED0D98CCAC1E").unwrap();
        assert_eq!(json(Hex(uuid)), r#""9c08033f78464e06a273ed0d98ccac1e""#);
        assert_eq!(Hex(uuid).to_string(), "9c08033f78464e06a273ed0d98ccac1e");
        assert_eq!(json(Some(Hex(Uuid::nil()))), r#""00000000000000000000000000000000""#);
    }

    #[test]
    fn hyperlinks_are_root_route_hex_and_slash() {
        let link = Hyperlink::new("https://example.org/waldur", USERS_ROUTE, Uuid::from_u128(0xa01));
        assert_eq!(json(link), r#""https://example.org/waldur/api/users/00000000000000000000000000000a01/""#);
        // Text that JSON escapes is escaped as any string would be.
        let odd = Hyperlink::new("http://h\"x", CUSTOMERS_ROUTE, Uuid::nil());
        assert_eq!(json(odd), serde_json::to_string(&odd.to_string()).unwrap());
    }
}

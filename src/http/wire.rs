//! Scalars on the wire: 32-hex uuids and DRF's timestamps (docs/spec/decisions.md 2).

use chrono::{DateTime, Timelike, Utc};
use uuid::Uuid;

/// Waldur renders every uuid as 32 lowercase hex digits, without dashes.
pub fn hex(uuid: &Uuid) -> String {
    uuid.simple().to_string()
}

/// ISO-8601 in UTC with `Z`; microseconds only when non-zero (Python's `isoformat`).
pub fn timestamp(value: &DateTime<Utc>) -> String {
    if value.nanosecond() / 1000 == 0 {
        value.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        value.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_microseconds_only_when_present() {
        let with = "2026-01-02T10:11:12.123456Z".parse::<DateTime<Utc>>().unwrap();
        let without = "2026-01-02T10:11:12Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(timestamp(&with), "2026-01-02T10:11:12.123456Z");
        assert_eq!(timestamp(&without), "2026-01-02T10:11:12Z");
        let small = "2026-01-02T10:11:12.000100Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(timestamp(&small), "2026-01-02T10:11:12.000100Z");
    }

    #[test]
    fn uuids_are_32_hex() {
        let uuid = Uuid::parse_str("9c08033f-7846-4e06-a273-ed0d98ccac1e").unwrap();
        assert_eq!(hex(&uuid), "9c08033f78464e06a273ed0d98ccac1e");
    }
}

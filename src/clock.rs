//! Time as a value. Logic takes `now` as an argument; only the edges read the clock, so
//! windows, expiries and schedules are testable without sleeping.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since the Unix epoch, UTC.
pub type Timestamp = i64;

pub const SECONDS_PER_DAY: i64 = 86_400;

pub fn now() -> Timestamp {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Days since the Unix epoch: the key of a UTC calendar day.
pub fn day_of(ts: Timestamp) -> i64 {
    ts.div_euclid(SECONDS_PER_DAY)
}

/// The UTC calendar date of a timestamp.
pub fn date_of(ts: Timestamp) -> time::Date {
    OffsetDateTime::from_unix_timestamp(ts)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

/// RFC 3339 in UTC with a `Z`, as every response writes times.
pub fn rfc3339(ts: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_z() {
        assert_eq!(rfc3339(1_795_341_600), "2026-11-22T10:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn day_boundaries() {
        assert_eq!(day_of(SECONDS_PER_DAY - 1), 0);
        assert_eq!(day_of(SECONDS_PER_DAY), 1);
        assert_eq!(day_of(-1), -1);
    }
}

//! Time zones. Timestamps are stored and exchanged in UTC; people read them in
//! Vietnam time (Asia/Ho_Chi_Minh, UTC+7 all year: Vietnam has no daylight saving, so
//! a fixed offset is exact and needs no time-zone database).

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};

/// UTC+7. Evaluated at compile time, so an invalid offset could not even build.
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

pub fn vietnam() -> FixedOffset {
    VIETNAM
}

/// The calendar date in Vietnam at `now`: what "today" means for registry dates.
pub fn vietnam_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&vietnam()).date_naive()
}

/// RFC 3339 UTC with microseconds, as the API returns times.
pub fn rfc3339_micros(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `21/11/2026 15:04` in Vietnam time, as the UI shows times.
pub fn display_vn(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_utc_evening_is_the_next_day_in_vietnam() {
        let t: DateTime<Utc> = "2026-11-21T18:30:00Z".parse().unwrap();
        assert_eq!(vietnam_date(t).to_string(), "2026-11-22");
        assert_eq!(display_vn(t), "22/11/2026 01:30");
    }
}

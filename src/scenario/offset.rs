//! The duration syntax shared by `duration`, `offset` and `target`:
//! `"HH:MM:SS"` (an optional leading `+` reads as "T+"), or whole seconds.
//!
//! Two-part forms such as `"01:30"` are refused on purpose: a reader cannot
//! tell whether they mean hours:minutes or minutes:seconds.

use thiserror::Error;

use super::problem::{Said, said};

/// Why a duration could not be read. The parser adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration; write \"+HH:MM:SS\" (e.g. \"+01:30:00\") or whole seconds")]
    Malformed(String),
    #[error("{0} must be between 00 and 59 in `{1}`")]
    FieldOutOfRange(&'static str, String),
    #[error("a duration cannot be negative")]
    Negative,
    #[error("`{0}` is too long")]
    TooLarge(String),
}

impl DurationError {
    /// The problem in both languages (the `Display` text is the English one).
    pub(crate) fn said(&self) -> Said {
        match self {
            DurationError::Malformed(text) => said!(
                "`{text}` is not a duration; write \"+HH:MM:SS\" (e.g. \"+01:30:00\") or whole seconds",
                "`{text}` không phải là một khoảng thời gian; hãy viết \"+HH:MM:SS\" (ví dụ \"+01:30:00\") hoặc số giây nguyên"
            ),
            DurationError::FieldOutOfRange(part, text) => {
                let part_vi = if *part == "minutes" {
                    "số phút"
                } else {
                    "số giây"
                };
                said!(
                    "{part} must be between 00 and 59 in `{text}`",
                    "{part_vi} trong `{text}` phải từ 00 đến 59"
                )
            }
            DurationError::Negative => said!(
                "a duration cannot be negative",
                "khoảng thời gian không được là số âm"
            ),
            DurationError::TooLarge(text) => said!("`{text}` is too long", "`{text}` quá dài"),
        }
    }
}

/// Reads `"+HH:MM:SS"` / `"HH:MM:SS"` (hours may have more than two digits).
pub fn parse_hms(text: &str) -> Result<u32, DurationError> {
    let malformed = || DurationError::Malformed(text.to_owned());
    if text.trim_start().starts_with('-') {
        return Err(DurationError::Negative);
    }
    let body = text.strip_prefix('+').unwrap_or(text);
    let mut parts = body.split(':');
    let (Some(h), Some(m), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h) || m.len() != 2 || s.len() != 2 || !all_digits(m) || !all_digits(s) {
        return Err(malformed());
    }
    let too_large = || DurationError::TooLarge(text.to_owned());
    let hours: u64 = h.parse().map_err(|_| too_large())?;
    let minutes: u64 = m.parse().map_err(|_| malformed())?;
    let seconds: u64 = s.parse().map_err(|_| malformed())?;
    if minutes > 59 {
        return Err(DurationError::FieldOutOfRange("minutes", text.to_owned()));
    }
    if seconds > 59 {
        return Err(DurationError::FieldOutOfRange("seconds", text.to_owned()));
    }
    let total = hours
        .checked_mul(3600)
        .and_then(|h| h.checked_add(minutes * 60 + seconds))
        .ok_or_else(too_large)?;
    u32::try_from(total).map_err(|_| too_large())
}

/// Reads an integer number of seconds.
pub fn from_seconds(seconds: i64) -> Result<u32, DurationError> {
    if seconds < 0 {
        return Err(DurationError::Negative);
    }
    u32::try_from(seconds).map_err(|_| DurationError::TooLarge(seconds.to_string()))
}

/// Writes seconds as `HH:MM:SS` (hours grow past two digits if needed).
pub fn format_hms(total: u32) -> String {
    let (hours, rest) = (total / 3600, total % 3600);
    format!("{hours:02}:{:02}:{:02}", rest / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_offsets_are_read_as_seconds() {
        assert_eq!(parse_hms("+01:30:00"), Ok(5400));
        assert_eq!(parse_hms("00:00:45"), Ok(45));
        assert_eq!(parse_hms("120:00:00"), Ok(432_000));
    }

    #[test]
    fn out_of_range_minutes_are_named() {
        assert_eq!(
            parse_hms("+01:99:00"),
            Err(DurationError::FieldOutOfRange(
                "minutes",
                "+01:99:00".into()
            ))
        );
    }

    #[test]
    fn two_part_and_garbage_offsets_are_refused() {
        for bad in [
            "+99:99",
            "01:30",
            "soon",
            "",
            "+",
            "1:2:3",
            "01:30:00:00",
            "+-1:00:00",
        ] {
            assert!(
                matches!(parse_hms(bad), Err(DurationError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn negative_durations_are_refused() {
        assert_eq!(parse_hms("-00:10:00"), Err(DurationError::Negative));
        assert_eq!(from_seconds(-5), Err(DurationError::Negative));
    }

    #[test]
    fn huge_durations_are_refused_without_overflow() {
        assert!(matches!(
            parse_hms("99999999999999999999:00:00"),
            Err(DurationError::TooLarge(_))
        ));
        assert!(matches!(
            from_seconds(i64::MAX),
            Err(DurationError::TooLarge(_))
        ));
    }

    #[test]
    fn formatting_then_parsing_gives_the_same_seconds() {
        for secs in [0, 59, 60, 3599, 3600, 14_400, 360_000, u32::MAX] {
            assert_eq!(parse_hms(&format_hms(secs)), Ok(secs));
        }
    }
}

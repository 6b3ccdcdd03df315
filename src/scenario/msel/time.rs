//! Times as planners write them in MSEL sheets, turned into seconds after
//! the start of the drill:
//!
//! | written | means |
//! |---|---|
//! | `+01:15:00`, `01:15:00` | 1 h 15 min after the start (hours may exceed 24) |
//! | `H+2`, `H+1:30`, `H+0:45:30` | 2 h, 1 h 30 min, 45 min 30 s after the start |
//! | `T+90m`, `T+1h30m`, `90m`, `2h`, `45s` | the same, in units |
//! | `D+1 08:30`, `D+0 13:00`, `D+2` | a clock time on a drill day (below) |
//! | `manual` (or `thủ công`) | released by a controller (offsets only) |
//!
//! Day rule: `D+0` is the first day of the drill, which starts at
//! [`DayStart`] (08:00 unless the import says otherwise), so
//! `D+0 08:00` is offset 0, `D+0 13:00` is `+05:00:00` and `D+1 08:30` is
//! `+24:30:00`. A clock time before the start on `D+0` is refused. `D+n`
//! without a clock means the start time on that day.
//!
//! Two-part times such as `01:30` or `+99:99` are refused, as in scenario
//! files: nobody can tell hours:minutes from minutes:seconds.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::super::offset::{DurationError, parse_hms};
use super::super::problem::{Said, said};
use super::headers::keyword_form;

/// Time of day at which drill day `D+0` starts; default 08:00.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DayStart(u32);

impl DayStart {
    /// From hours and minutes of the clock (`DayStart::at(7, 30)`).
    pub fn at(hours: u32, minutes: u32) -> Option<Self> {
        (hours < 24 && minutes < 60).then(|| DayStart(hours * 3600 + minutes * 60))
    }

    /// Seconds after midnight.
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl Default for DayStart {
    fn default() -> Self {
        DayStart(8 * 3600)
    }
}

impl fmt::Display for DayStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 3600, self.0 % 3600 / 60)
    }
}

impl TryFrom<String> for DayStart {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        clock(&text)
            .filter(|secs| secs % 60 == 0)
            .map(DayStart)
            .ok_or_else(|| format!("`{text}` is not a time of day like 08:00"))
    }
}

impl From<DayStart> for String {
    fn from(start: DayStart) -> Self {
        start.to_string()
    }
}

/// When an imported inject goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum When {
    At(u32),
    Manual,
}

const FORMS: &str = "write +HH:MM:SS (e.g. +01:30:00), H+2, H+1:30, D+1 08:30 or T+90m";
const FORMS_VI: &str = "hãy ghi +HH:MM:SS (ví dụ +01:30:00), H+2, H+1:30, D+1 08:30 hoặc T+90m";

/// An inject's release time: any form in the module docs, or `manual`.
pub(super) fn parse_offset(text: &str, day_start: DayStart) -> Result<When, Said> {
    let trimmed = text.trim();
    if matches!(
        keyword_form(trimmed).as_str(),
        "manual" | "thu_cong" | "khi_can"
    ) {
        return Ok(When::Manual);
    }
    let upper = trimmed.to_ascii_uppercase();
    if let Some(rest) = upper.strip_prefix('D') {
        return day_time(trimmed, rest, day_start).map(When::At);
    }
    parse_span(trimmed).map(When::At)
}

/// A span of time (expectation targets, the planned duration): every form
/// but `D+n` and `manual`.
pub(super) fn parse_span(text: &str) -> Result<u32, Said> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(said!(
            "the time is empty; {FORMS}",
            "thời gian đang để trống; {FORMS_VI}"
        ));
    }
    let upper = trimmed.to_ascii_uppercase();
    let secs = if let Some(rest) = upper.strip_prefix("H+") {
        hours_form(rest)
    } else if let Some(rest) = upper.strip_prefix("T+") {
        if rest.contains(':') {
            hms(rest)
        } else {
            units(rest)
        }
    } else if upper.ends_with(['H', 'M', 'S']) {
        units(&upper)
    } else {
        hms(trimmed)
    };
    secs.ok_or_else(|| explain(trimmed))
}

fn explain(text: &str) -> Said {
    let body = text.strip_prefix('+').unwrap_or(text);
    if body.split(':').count() == 2 {
        return said!(
            "`{text}` is a two-part time, which is ambiguous (hours:minutes or minutes:seconds?); {FORMS}",
            "`{text}` chỉ có hai phần nên không rõ nghĩa (giờ:phút hay phút:giây?); {FORMS_VI}"
        );
    }
    match parse_hms(text) {
        Err(error @ (DurationError::FieldOutOfRange(..) | DurationError::TooLarge(_))) => {
            error.said()
        }
        Err(DurationError::Negative) => said!(
            "`{text}` is negative; times count from the start",
            "`{text}` là số âm; thời gian được tính từ lúc bắt đầu"
        ),
        _ => said!(
            "`{text}` is not a time; {FORMS}",
            "`{text}` không phải là thời gian; {FORMS_VI}"
        ),
    }
}

/// `HH:MM:SS`, with an optional `+`.
fn hms(text: &str) -> Option<u32> {
    parse_hms(text.trim()).ok()
}

/// After `H+`: `2`, `1:30` or `1:30:15`.
fn hours_form(rest: &str) -> Option<u32> {
    let parts: Vec<&str> = rest.trim().split(':').collect();
    let number = |p: &str| -> Option<u64> {
        (!p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let sixty = |p: &str| number(p).filter(|n| p.len() == 2 && *n < 60);
    let secs = match parts.as_slice() {
        [h] => number(h)? * 3600,
        [h, m] => number(h)? * 3600 + sixty(m)? * 60,
        [h, m, s] => number(h)? * 3600 + sixty(m)? * 60 + sixty(s)?,
        _ => return None,
    };
    u32::try_from(secs).ok()
}

/// `90m`, `1h30m`, `2H`, `45s`, `1h 30m`: at least one number-unit pair,
/// units in h, m, s order and each at most once.
fn units(text: &str) -> Option<u32> {
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut last_rank = 0;
    let mut seen_any = false;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            if number.len() >= 9 {
                return None;
            }
            number.push(c);
            continue;
        }
        let (rank, scale) = match c {
            'H' => (1, 3600),
            'M' => (2, 60),
            'S' => (3, 1),
            _ => return None,
        };
        if number.is_empty() || rank <= last_rank {
            return None;
        }
        total += number.parse::<u64>().ok()? * scale;
        number.clear();
        last_rank = rank;
        seen_any = true;
    }
    if !number.is_empty() || !seen_any {
        return None;
    }
    u32::try_from(total).ok()
}

/// `HH:MM` or `HH:MM:SS` on a 24-hour clock, as seconds after midnight.
fn clock(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    let two = |p: &str, max: u32| {
        (matches!(p.len(), 1 | 2) && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
            .filter(|n| *n <= max)
    };
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (two(h, 23)?, two(m, 59)?, 0),
        [h, m, sec] => (two(h, 23)?, two(m, 59)?, two(sec, 59)?),
        _ => return None,
    };
    (parts[1].len() == 2).then_some(h * 3600 + m * 60 + s)
}

/// After the `D`: `+1 08:30`, `+0`, `+2 13:00:00`.
fn day_time(text: &str, rest: &str, day_start: DayStart) -> Result<u32, Said> {
    let bad = || {
        said!(
            "`{text}` is not a drill day and time; write D+1 08:30 (D+0 is the first day)",
            "`{text}` không phải là ngày và giờ diễn tập; hãy ghi D+1 08:30 (D+0 là ngày đầu tiên)"
        )
    };
    let rest = rest
        .trim_start()
        .strip_prefix('+')
        .ok_or_else(bad)?
        .trim_start();
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (day, time) = rest.split_at(digits_end);
    if day.is_empty() || day.len() > 3 {
        return Err(bad());
    }
    let day: u64 = day.parse().map_err(|_| bad())?;
    let time = time.trim();
    let clock_secs = if time.is_empty() {
        day_start.seconds()
    } else {
        clock(time).ok_or_else(|| {
            said!(
                "`{time}` in `{text}` is not a clock time; write HH:MM on a 24-hour clock, e.g. D+1 08:30",
                "`{time}` trong `{text}` không phải là giờ trong ngày; hãy ghi HH:MM theo 24 giờ, ví dụ D+1 08:30"
            )
        })?
    };
    let at = day * 86_400 + u64::from(clock_secs);
    let start = u64::from(day_start.seconds());
    if at < start {
        return Err(said!(
            "`{text}` is before the drill starts ({day_start} on D+0)",
            "`{text}` sớm hơn giờ bắt đầu diễn tập ({day_start} ngày D+0)"
        ));
    }
    u32::try_from(at - start).map_err(|_| {
        said!(
            "`{text}` is too far after the start",
            "`{text}` quá xa so với lúc bắt đầu"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The English message of a refusal, for the assertions.
    fn offset(text: &str) -> Result<When, String> {
        parse_offset(text, DayStart::default()).map_err(|said| said.en)
    }

    #[test]
    fn clock_durations_with_or_without_plus_are_read() {
        assert_eq!(offset("+01:15:00"), Ok(When::At(4500)));
        assert_eq!(offset("01:15:00"), Ok(When::At(4500)));
        assert_eq!(offset(" 30:00:00 "), Ok(When::At(108_000)));
    }

    #[test]
    fn hour_forms_are_read() {
        assert_eq!(offset("H+2"), Ok(When::At(7200)));
        assert_eq!(offset("h+1:30"), Ok(When::At(5400)));
        assert_eq!(offset("H+0:45:30"), Ok(When::At(2730)));
        assert!(offset("H+1:5").is_err());
    }

    #[test]
    fn unit_forms_are_read() {
        assert_eq!(offset("T+90m"), Ok(When::At(5400)));
        assert_eq!(offset("T+1h30m"), Ok(When::At(5400)));
        assert_eq!(offset("45s"), Ok(When::At(45)));
        assert_eq!(parse_span("2h"), Ok(7200));
        assert!(offset("T+30m1h").is_err());
        assert!(offset("T+m").is_err());
    }

    #[test]
    fn drill_days_count_from_the_start_of_day() {
        assert_eq!(offset("D+0 08:00"), Ok(When::At(0)));
        assert_eq!(offset("D+0 13:00"), Ok(When::At(5 * 3600)));
        assert_eq!(offset("D+1 08:30"), Ok(When::At(24 * 3600 + 1800)));
        assert_eq!(offset("d+2"), Ok(When::At(48 * 3600)));
        let early = DayStart::at(7, 30).unwrap();
        assert_eq!(parse_offset("D+0 08:00", early), Ok(When::At(1800)));
        let before = offset("D+0 07:00").unwrap_err();
        assert!(
            before.contains("before the drill starts (08:00 on D+0)"),
            "{before}"
        );
        assert!(offset("D+1 25:00").is_err());
        assert!(offset("D1").is_err());
    }

    #[test]
    fn manual_is_a_release_mode_not_a_time() {
        assert_eq!(offset("manual"), Ok(When::Manual));
        assert_eq!(offset("Thủ công"), Ok(When::Manual));
        assert!(parse_span("manual").is_err());
    }

    #[test]
    fn two_part_and_out_of_range_times_are_explained() {
        let ambiguous = offset("+99:99").unwrap_err();
        assert!(
            ambiguous.contains("`+99:99` is a two-part time"),
            "{ambiguous}"
        );
        let minutes = offset("+01:99:00").unwrap_err();
        assert!(
            minutes.contains("minutes must be between 00 and 59"),
            "{minutes}"
        );
        assert!(offset("soon").unwrap_err().contains("is not a time"));
        assert!(offset("").is_err());
        assert!(offset("-00:10:00").unwrap_err().contains("negative"));
    }

    #[test]
    fn huge_times_are_refused_without_overflow() {
        assert!(offset("H+9999999").is_err());
        assert!(offset("T+999999999h").is_err());
        assert!(offset("D+9999 08:00").is_err());
        assert!(offset("99999999999999999999:00:00").is_err());
    }
}

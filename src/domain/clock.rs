//! The drill clock: when an inject is due.
//!
//! Scenario offsets are in *drill time*: the time the exercise has been running,
//! scaled by its speed, with pauses removed. The rule of the issue — an inject is due
//! at `started_at + offset / speed + total paused time before it` — is kept, and made
//! robust to speed changes mid-drill by anchoring: the clock remembers one wall-clock
//! instant (`anchor_at`) and the drill time reached then (`anchor_elapsed_ms`); drill
//! time advances from there at `speed` while not paused. Starting sets the anchor to
//! (started_at, 0); pausing freezes drill time; resuming and changing speed re-anchor
//! at the current drill time. Without speed changes this is exactly the formula above.
//!
//! Pure: every function takes `now`; nothing here reads the wall clock.

use chrono::{DateTime, Duration, Utc};

/// The clock state stored with a drill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrillClock {
    /// Wall-clock instant of the anchor; `None` before the drill starts.
    pub anchor_at: Option<DateTime<Utc>>,
    /// Drill time (ms) reached at the anchor.
    pub anchor_elapsed_ms: i64,
    /// Drill seconds per wall second (1.0 = real time; 60.0 = a minute per second).
    pub speed: f64,
    /// Set while paused: when the pause began.
    pub paused_since: Option<DateTime<Utc>>,
}

pub const MIN_SPEED: f64 = 0.01;
pub const MAX_SPEED: f64 = 1000.0;

impl DrillClock {
    pub fn new(speed: f64) -> Self {
        DrillClock {
            anchor_at: None,
            anchor_elapsed_ms: 0,
            speed,
            paused_since: None,
        }
    }

    pub fn is_valid_speed(speed: f64) -> bool {
        speed.is_finite() && (MIN_SPEED..=MAX_SPEED).contains(&speed)
    }

    /// Drill time elapsed at `now`, in milliseconds (0 before the start).
    pub fn elapsed_ms(&self, now: DateTime<Utc>) -> i64 {
        let Some(anchor) = self.anchor_at else {
            return 0;
        };
        let until = self.paused_since.unwrap_or(now).min(now);
        let wall_ms = (until - anchor).num_milliseconds().max(0);
        self.anchor_elapsed_ms + scale(wall_ms, self.speed)
    }

    /// When an inject at `offset_ms` of drill time is due; `None` while the clock
    /// is not running (before the start or during a pause), because a held inject has
    /// no due time until the clock moves again. An offset already reached is due at
    /// the instant drill time reached it (which may be in the past).
    pub fn due_at(&self, offset_ms: i64) -> Option<DateTime<Utc>> {
        let anchor = self.anchor_at?;
        if self.paused_since.is_some() {
            return None;
        }
        let ahead_ms = offset_ms - self.anchor_elapsed_ms;
        Some(anchor + Duration::milliseconds(unscale(ahead_ms, self.speed)))
    }

    /// True when the inject at `offset_ms` should be released at `now`.
    pub fn is_due(&self, offset_ms: i64, now: DateTime<Utc>) -> bool {
        self.due_at(offset_ms).is_some_and(|due| due <= now)
    }

    pub fn start(&mut self, now: DateTime<Utc>) {
        self.anchor_at = Some(now);
        self.anchor_elapsed_ms = 0;
        self.paused_since = None;
    }

    pub fn pause(&mut self, now: DateTime<Utc>) {
        if self.anchor_at.is_some() && self.paused_since.is_none() {
            self.paused_since = Some(now);
        }
    }

    pub fn resume(&mut self, now: DateTime<Utc>) {
        if let Some(since) = self.paused_since {
            // Drill time stood still during the pause: re-anchor at the paused value.
            self.anchor_elapsed_ms = self.elapsed_ms(since);
            self.anchor_at = Some(now);
            self.paused_since = None;
        }
    }

    /// Changes the speed from `now` on; what has elapsed stays elapsed.
    pub fn set_speed(&mut self, speed: f64, now: DateTime<Utc>) {
        if self.anchor_at.is_some() {
            let at = self.paused_since.unwrap_or(now);
            self.anchor_elapsed_ms = self.elapsed_ms(at);
            self.anchor_at = Some(at);
        }
        self.speed = speed;
    }

    /// The earliest due time among pending offsets, for the scheduler's sleep.
    pub fn next_due(
        &self,
        pending_offsets_ms: impl IntoIterator<Item = i64>,
    ) -> Option<DateTime<Utc>> {
        pending_offsets_ms
            .into_iter()
            .filter_map(|o| self.due_at(o))
            .min()
    }
}

fn scale(wall_ms: i64, speed: f64) -> i64 {
    (wall_ms as f64 * speed).round() as i64
}

fn unscale(drill_ms: i64, speed: f64) -> i64 {
    (drill_ms as f64 / speed).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const MIN: i64 = 60_000;

    #[test]
    fn nothing_is_due_before_the_start() {
        let clock = DrillClock::new(1.0);
        assert_eq!(clock.due_at(0), None);
        assert!(!clock.is_due(0, t("2026-11-21T08:00:00Z")));
    }

    #[test]
    fn an_inject_is_due_at_start_plus_offset_over_speed() {
        let mut clock = DrillClock::new(2.0);
        clock.start(t("2026-11-21T08:00:00Z"));
        assert_eq!(clock.due_at(30 * MIN), Some(t("2026-11-21T08:15:00Z")));
        assert!(!clock.is_due(30 * MIN, t("2026-11-21T08:14:59.999Z")));
        assert!(clock.is_due(30 * MIN, t("2026-11-21T08:15:00Z")));
    }

    #[test]
    fn a_pause_holds_pending_injects_and_resume_shifts_them_by_the_pause() {
        let mut clock = DrillClock::new(1.0);
        clock.start(t("2026-11-21T08:00:00Z"));
        clock.pause(t("2026-11-21T08:10:00Z"));
        // Held: no due time while paused, even long after the original due time.
        assert_eq!(clock.due_at(20 * MIN), None);
        assert!(!clock.is_due(20 * MIN, t("2026-11-21T09:00:00Z")));
        assert_eq!(clock.elapsed_ms(t("2026-11-21T09:00:00Z")), 10 * MIN);
        clock.resume(t("2026-11-21T08:25:00Z"));
        // 15 minutes of pause before it: due at 08:20 + 15 min.
        assert_eq!(clock.due_at(20 * MIN), Some(t("2026-11-21T08:35:00Z")));
    }

    #[test]
    fn total_paused_time_accumulates_over_several_pauses() {
        let mut clock = DrillClock::new(1.0);
        clock.start(t("2026-11-21T08:00:00Z"));
        clock.pause(t("2026-11-21T08:05:00Z"));
        clock.resume(t("2026-11-21T08:07:00Z"));
        clock.pause(t("2026-11-21T08:10:00Z"));
        clock.resume(t("2026-11-21T08:13:00Z"));
        // 5 minutes of pauses in total.
        assert_eq!(clock.due_at(60 * MIN), Some(t("2026-11-21T09:05:00Z")));
        assert_eq!(clock.elapsed_ms(t("2026-11-21T08:20:00Z")), 15 * MIN);
    }

    #[test]
    fn a_pause_with_speed_counts_in_wall_time() {
        let mut clock = DrillClock::new(4.0);
        clock.start(t("2026-11-21T08:00:00Z"));
        clock.pause(t("2026-11-21T08:05:00Z")); // 20 drill minutes
        clock.resume(t("2026-11-21T08:35:00Z"));
        // 60 drill minutes = 20 reached + 40 more at 4x = 10 wall minutes after resume.
        assert_eq!(clock.due_at(60 * MIN), Some(t("2026-11-21T08:45:00Z")));
    }

    #[test]
    fn changing_the_speed_keeps_what_has_elapsed() {
        let mut clock = DrillClock::new(1.0);
        clock.start(t("2026-11-21T08:00:00Z"));
        clock.set_speed(10.0, t("2026-11-21T08:10:00Z"));
        assert_eq!(clock.elapsed_ms(t("2026-11-21T08:10:00Z")), 10 * MIN);
        // 110 drill minutes = 10 elapsed + 100 at 10x = 10 wall minutes.
        assert_eq!(clock.due_at(110 * MIN), Some(t("2026-11-21T08:20:00Z")));
        // An offset already passed is overdue, not due in the future.
        assert!(clock.due_at(5 * MIN).unwrap() < t("2026-11-21T08:10:00Z"));
    }

    #[test]
    fn changing_the_speed_while_paused_applies_after_resume() {
        let mut clock = DrillClock::new(1.0);
        clock.start(t("2026-11-21T08:00:00Z"));
        clock.pause(t("2026-11-21T08:10:00Z"));
        clock.set_speed(2.0, t("2026-11-21T08:20:00Z"));
        assert_eq!(clock.due_at(30 * MIN), None);
        clock.resume(t("2026-11-21T08:30:00Z"));
        assert_eq!(clock.elapsed_ms(t("2026-11-21T08:30:00Z")), 10 * MIN);
        assert_eq!(clock.due_at(30 * MIN), Some(t("2026-11-21T08:40:00Z")));
    }

    #[test]
    fn pausing_twice_or_resuming_when_running_changes_nothing() {
        let mut clock = DrillClock::new(1.0);
        clock.start(t("2026-11-21T08:00:00Z"));
        let before = clock;
        clock.resume(t("2026-11-21T08:05:00Z"));
        assert_eq!(clock, before);
        clock.pause(t("2026-11-21T08:05:00Z"));
        let paused = clock;
        clock.pause(t("2026-11-21T08:06:00Z"));
        assert_eq!(clock, paused);
    }

    #[test]
    fn next_due_is_the_earliest_pending_offset() {
        let mut clock = DrillClock::new(1.0);
        clock.start(t("2026-11-21T08:00:00Z"));
        assert_eq!(
            clock.next_due([40 * MIN, 10 * MIN, 25 * MIN]),
            Some(t("2026-11-21T08:10:00Z"))
        );
        assert_eq!(clock.next_due([]), None);
    }

    #[test]
    fn speeds_outside_the_range_are_invalid() {
        assert!(DrillClock::is_valid_speed(1.0));
        assert!(!DrillClock::is_valid_speed(0.0));
        assert!(!DrillClock::is_valid_speed(f64::NAN));
        assert!(!DrillClock::is_valid_speed(5000.0));
    }
}

//! Drills: their kinds, their states and the transitions between them.
//!
//! `planned → running ⇄ paused → ended`. Every other move is refused, so that a
//! second start, a resume while running or a release after the end cannot slip
//! through (OpenBAS issues #1395, #2282 and #2798 come from exactly such gaps).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kind of a drill (`shared/API.md`). Only live-fire drills require every target
/// system to be of level 3 or above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DrillKind {
    /// Diễn tập thực chiến: red against blue on production systems.
    LiveFire,
    /// Diễn tập trên bàn: discussion-based.
    Tabletop,
    /// Diễn tập chức năng: on a simulated range.
    Functional,
}

impl DrillKind {
    pub fn code(self) -> &'static str {
        match self {
            DrillKind::LiveFire => "live_fire",
            DrillKind::Tabletop => "tabletop",
            DrillKind::Functional => "functional",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            DrillKind::LiveFire,
            DrillKind::Tabletop,
            DrillKind::Functional,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DrillStatus {
    Planned,
    Running,
    Paused,
    Ended,
}

impl DrillStatus {
    pub fn code(self) -> &'static str {
        match self {
            DrillStatus::Planned => "planned",
            DrillStatus::Running => "running",
            DrillStatus::Paused => "paused",
            DrillStatus::Ended => "ended",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            DrillStatus::Planned,
            DrillStatus::Running,
            DrillStatus::Paused,
            DrillStatus::Ended,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// Injects may be released, acknowledged and reported on in these states. A
    /// paused drill still accepts a controller's release-now and the teams' reports:
    /// pausing stops the clock, not the people.
    pub fn is_live(self) -> bool {
        matches!(self, DrillStatus::Running | DrillStatus::Paused)
    }
}

/// What a controller asks of a drill's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Start,
    Pause,
    Resume,
    End,
}

impl Transition {
    /// The event kind recorded in the drill log for this transition.
    pub fn event_kind(self) -> &'static str {
        match self {
            Transition::Start => "drill_started",
            Transition::Pause => "drill_paused",
            Transition::Resume => "drill_resumed",
            Transition::End => "drill_ended",
        }
    }
}

/// A refused transition, for a 409.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {transition:?} a drill that is {from:?}")]
pub struct IllegalTransition {
    pub from: DrillStatus,
    pub transition: Transition,
}

/// The state after `transition`, or why it is not allowed.
pub fn next_status(
    from: DrillStatus,
    transition: Transition,
) -> Result<DrillStatus, IllegalTransition> {
    use DrillStatus::*;
    use Transition::*;
    match (from, transition) {
        (Planned, Start) => Ok(Running),
        (Running, Pause) => Ok(Paused),
        (Paused, Resume) => Ok(Running),
        (Running | Paused, End) => Ok(Ended),
        _ => Err(IllegalTransition { from, transition }),
    }
}

#[cfg(test)]
mod tests {
    use super::DrillStatus::*;
    use super::Transition::*;
    use super::*;

    #[test]
    fn the_happy_path_runs_planned_to_ended_through_a_pause() {
        let mut s = Planned;
        for t in [Start, Pause, Resume, Pause, End] {
            s = next_status(s, t).unwrap();
        }
        assert_eq!(s, Ended);
    }

    #[test]
    fn a_second_start_a_resume_while_running_and_anything_after_the_end_are_refused() {
        assert!(next_status(Running, Start).is_err());
        assert!(next_status(Running, Resume).is_err());
        assert!(next_status(Paused, Pause).is_err());
        assert!(next_status(Planned, Pause).is_err());
        assert!(next_status(Planned, End).is_err());
        for t in [Start, Pause, Resume, End] {
            assert!(next_status(Ended, t).is_err());
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in [Planned, Running, Paused, Ended] {
            assert_eq!(DrillStatus::parse(s.code()), Some(s));
        }
        assert_eq!(DrillKind::parse("live_fire"), Some(DrillKind::LiveFire));
        assert_eq!(DrillKind::parse("ctf"), None);
    }
}

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

/// Who organises a drill, and so whom it draws in. Orthogonal to the kind: a national
/// drill may be live-fire or tabletop. The maturity model asks for a national or
/// international drill at level 5 (NĐ 85 Art. 20.2.d and NĐ 331 Art. 31.3: take part
/// in the national and international drills the ministry organises).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DrillScale {
    /// Nội bộ: inside one agency or enterprise.
    #[default]
    Internal,
    /// Cấp bộ, ngành, địa phương: a ministry, a sector or a province.
    Sector,
    /// Diễn tập quốc gia (e.g. VNCERT/CC's yearly drill).
    National,
    /// Diễn tập quốc tế (ACID, APCERT…).
    International,
}

impl DrillScale {
    pub const ALL: [DrillScale; 4] = [
        DrillScale::Internal,
        DrillScale::Sector,
        DrillScale::National,
        DrillScale::International,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DrillScale::Internal => "internal",
            DrillScale::Sector => "sector",
            DrillScale::National => "national",
            DrillScale::International => "international",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Counts towards the maturity model's "national or international drill".
    pub fn is_national_or_international(self) -> bool {
        matches!(self, DrillScale::National | DrillScale::International)
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

/// A target system as the live-fire rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct TargetSystem<'a> {
    /// Position in the request's `system_ids`, to name the field.
    pub index: usize,
    pub name: &'a str,
    pub level: crate::domain::SecurityLevel,
}

/// Live-fire drills attack production systems, which Directive 14/CT-TTg reserves for
/// systems of level 3 and above; tabletop and functional drills suit any level.
/// Problems are keyed `system_ids.N` (the position in the request) and name the system.
pub fn check_targets(kind: DrillKind, systems: &[TargetSystem<'_>]) -> crate::domain::FieldErrors {
    let mut errors = crate::domain::FieldErrors::new();
    if kind == DrillKind::LiveFire {
        for s in systems {
            if !s.level.needs_live_fire_drill() {
                errors.add(
                    format!("system_ids.{}", s.index),
                    "level_too_low_for_live_fire",
                    format!(
                        "“{}” is a level {} system; live-fire drills need level 3 or above (run a tabletop or functional drill instead)",
                        s.name,
                        s.level.get()
                    ),
                );
            }
        }
    }
    errors
}

/// Who may see which events of a drill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Controllers, evaluators, observers and administrators see the whole log.
    All,
    /// Responders see events addressed to these audiences only.
    Audiences(Vec<String>),
}

impl Visibility {
    /// A responder sees `all`, their side (`blue` or `red`) and their own team
    /// (`team:UUID`), for each drill team they are a member of. A blue responder never
    /// sees red-side events, and a responder in no team of the drill sees `all` only.
    pub fn of(role: crate::domain::Role, teams: &[(uuid::Uuid, crate::domain::Side)]) -> Self {
        use crate::domain::Role;
        match role {
            Role::Admin | Role::Controller | Role::Evaluator | Role::Observer => Visibility::All,
            Role::Responder => {
                let mut audiences = vec!["all".to_owned()];
                for (team_id, side) in teams {
                    audiences.push(side.code().to_owned());
                    audiences.push(format!("team:{team_id}"));
                }
                audiences.sort();
                audiences.dedup();
                Visibility::Audiences(audiences)
            }
        }
    }

    pub fn allows(&self, audience: &str) -> bool {
        match self {
            Visibility::All => true,
            Visibility::Audiences(list) => list.iter().any(|a| a == audience),
        }
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

    fn level(n: i64) -> crate::domain::SecurityLevel {
        crate::domain::SecurityLevel::new(n).unwrap()
    }

    #[test]
    fn a_live_fire_drill_names_each_system_below_level_3() {
        let systems = [
            TargetSystem {
                index: 0,
                name: "Cổng dịch vụ công",
                level: level(3),
            },
            TargetSystem {
                index: 2,
                name: "Thư điện tử",
                level: level(2),
            },
        ];
        let errors = check_targets(DrillKind::LiveFire, &systems);
        assert!(errors.get("system_ids.0").is_none());
        let problem = errors
            .get("system_ids.2")
            .expect("the level-2 system is named by its position in the request");
        assert!(problem.message.contains("Thư điện tử") && problem.message.contains("level 2"));
        assert!(check_targets(DrillKind::Tabletop, &systems).is_empty());
        assert!(check_targets(DrillKind::Functional, &systems).is_empty());
    }

    #[test]
    fn responders_see_their_side_and_team_but_never_the_other_side() {
        use crate::domain::{Role, Side};
        let team = uuid::Uuid::nil();
        let blue = Visibility::of(Role::Responder, &[(team, Side::Blue)]);
        assert!(blue.allows("all") && blue.allows("blue"));
        assert!(blue.allows(&format!("team:{team}")));
        assert!(!blue.allows("red") && !blue.allows("controllers"));
        assert!(!blue.allows("team:00000000-0000-0000-0000-000000000001"));
        let outsider = Visibility::of(Role::Responder, &[]);
        assert!(outsider.allows("all") && !outsider.allows("blue"));
        assert_eq!(Visibility::of(Role::Observer, &[]), Visibility::All);
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

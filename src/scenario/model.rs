//! The parsed scenario: plain data, already checked, with every duration in
//! whole seconds. Nothing here knows about TOML or spans; `parse.rs` builds
//! these values and `write.rs` turns them back into a file.
//!
//! The serde derives give the JSON form used by the API and exports. Types
//! that carry a rule (`Slug`, `SecurityLevel`, `TechniqueId`, `Audience`)
//! deserialise through their constructors, so JSON cannot smuggle in a value
//! the TOML parser would refuse.

use std::fmt;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

pub use super::attack::TechniqueId;

/// Largest body accepted per language (64 KiB): an inject is read by people
/// during the drill, and the live hub fans it out to every participant.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One drill scenario: the master scenario events list (MSEL) plus what it
/// is for and where it fits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable identifier; the library file is named `<id>.toml`.
    pub id: Slug,
    /// Bumped when the content changes, so drills can record what they ran.
    pub version: NonZeroU32,
    pub title: Bilingual,
    pub summary: Bilingual,
    /// Incident category (TT 20/2017 Form 05 rows, plus supply chain).
    pub category: IncidentCategory,
    /// MITRE ATT&CK Enterprise techniques the scenario exercises.
    pub techniques: Vec<TechniqueId>,
    /// Lowest system security level (NĐ 85/2016) the scenario suits.
    pub min_level: SecurityLevel,
    pub drill_kinds: Vec<DrillKind>,
    /// Planned length of the drill, in seconds.
    pub duration_secs: u32,
    pub objectives: Vec<Bilingual>,
    /// In the order the file lists them (the order controllers read them).
    pub injects: Vec<Inject>,
}

/// One message or event released to participants during the drill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    /// Unique within the scenario; drills refer to injects by key.
    pub key: Slug,
    pub release: Release,
    pub audience: Audience,
    pub channel: Channel,
    pub title: Bilingual,
    /// Markdown, at most [`MAX_BODY_BYTES`] per language.
    pub body: Bilingual,
    pub playbook_step: Option<PlaybookStep>,
    pub expectations: Vec<Expectation>,
}

/// When an inject goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Release {
    /// Released automatically this many seconds after the drill starts.
    Scheduled { offset_secs: u32 },
    /// Released by a controller when the situation calls for it.
    Manual,
}

impl Release {
    /// The planned offset, if the inject is scheduled.
    pub fn offset_secs(self) -> Option<u32> {
        match self {
            Release::Scheduled { offset_secs } => Some(offset_secs),
            Release::Manual => None,
        }
    }
}

/// What a team is expected to do after an inject, and how it is scored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub kind: ExpectationKind,
    /// Target time after the inject's release, in seconds.
    pub target_secs: u32,
    pub points: u32,
    /// Required for `detect` (it feeds detection coverage, KPI K1).
    pub technique: Option<TechniqueId>,
    pub description: Option<Bilingual>,
}

/// The step of the response playbook an inject exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookStep {
    pub category: IncidentCategory,
    pub step: NonZeroU32,
}

/// A text every participant-facing field carries in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    pub vi: String,
    pub en: String,
}

/// Lets the parser read any keyword enum with one generic function.
pub(crate) trait Keyword: Sized + Copy + PartialEq {
    fn parse_keyword(keyword: &str) -> Option<Self>;
    fn allowed_keywords() -> String;
}

/// Declares a closed set of snake_case keywords with the helpers the parser
/// and writer need, so each list is written exactly once.
macro_rules! keywords {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in the order the format documents them.
            pub const ALL: &'static [Self] = &[ $( Self::$variant ),+ ];

            /// The keyword as written in scenario files.
            pub fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $text, )+ }
            }

            /// The value a keyword names, if any.
            pub fn from_keyword(keyword: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == keyword)
            }

            /// "a, b, c" for error messages.
            pub(crate) fn allowed() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Keyword for $name {
            fn parse_keyword(keyword: &str) -> Option<Self> {
                Self::from_keyword(keyword)
            }

            fn allowed_keywords() -> String {
                Self::allowed()
            }
        }
    };
}

/// Incident categories are the registry's own (Form 05 rows plus supply chain), so
/// that a scenario, a playbook and a report name a category the same way.
pub use crate::domain::IncidentCategory;

impl Keyword for IncidentCategory {
    fn parse_keyword(keyword: &str) -> Option<Self> {
        keyword.parse().ok()
    }

    fn allowed_keywords() -> String {
        Self::allowed()
    }
}

keywords! {
    /// Kinds of drill a scenario can be run as.
    pub enum DrillKind {
        LiveFire = "live_fire",
        Tabletop = "tabletop",
        Functional = "functional",
    }
}

keywords! {
    /// How an inject reaches its audience.
    pub enum Channel {
        SocAlert = "soc_alert",
        Email = "email",
        PhoneCall = "phone_call",
        News = "news",
        Ticket = "ticket",
        SituationUpdate = "situation_update",
    }
}

keywords! {
    /// What a team must do in answer to an inject.
    pub enum ExpectationKind {
        /// Detect the attacker action (needs a technique).
        Detect = "detect",
        /// Acknowledge receipt to the organisers (Ban tổ chức).
        Acknowledge = "acknowledge",
        /// Send a report (to the organisers, the owner, the authorities).
        Report = "report",
        /// Contain the threat, with evidence that it worked.
        Contain = "contain",
        /// Judged by a controller against the description.
        Manual = "manual",
    }
}

/// Who receives an inject.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Audience {
    All,
    Blue,
    Red,
    Controllers,
    /// A named team slot, bound to a real team when a drill is planned.
    Team(Slug),
}

impl Audience {
    pub(crate) const ALLOWED: &'static str = "all, blue, red, controllers, team:SLOT";

    /// Parses `all`, `blue`, `red`, `controllers` or `team:SLOT`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "all" => Some(Audience::All),
            "blue" => Some(Audience::Blue),
            "red" => Some(Audience::Red),
            "controllers" => Some(Audience::Controllers),
            _ => {
                let slot = text.strip_prefix("team:")?;
                Slug::parse(slot).map(Audience::Team)
            }
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::All => f.write_str("all"),
            Audience::Blue => f.write_str("blue"),
            Audience::Red => f.write_str("red"),
            Audience::Controllers => f.write_str("controllers"),
            Audience::Team(slot) => write!(f, "team:{slot}"),
        }
    }
}

impl TryFrom<String> for Audience {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Audience::parse(&text)
            .ok_or_else(|| format!("unknown audience `{text}`; allowed: {}", Self::ALLOWED))
    }
}

impl From<Audience> for String {
    fn from(audience: Audience) -> Self {
        audience.to_string()
    }
}

/// A stable identifier: lowercase ASCII letters and digits separated by
/// single hyphens, starting with a letter, at most 64 characters. Safe in
/// file names, URLs and CSV without escaping.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 64;
    pub(crate) const RULE: &'static str = "lowercase letters, digits and single hyphens, starting with a letter, at most 64 characters";
    pub(crate) const RULE_VI: &'static str = "chữ thường không dấu, chữ số và dấu gạch nối đơn, bắt đầu bằng một chữ cái, tối đa 64 ký tự";

    pub fn parse(text: &str) -> Option<Self> {
        let starts_with_letter = text.starts_with(|c: char| c.is_ascii_lowercase());
        let charset_ok = text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let hyphens_ok = !text.ends_with('-') && !text.contains("--");
        (starts_with_letter && charset_ok && hyphens_ok && text.len() <= Self::MAX_LEN)
            .then(|| Slug(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Slug::parse(&text).ok_or_else(|| format!("`{text}` is not a slug ({})", Self::RULE))
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> Self {
        slug.0
    }
}

/// The registry's security level (1–5), shared with systems.
pub use crate::domain::SecurityLevel;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        assert!(Slug::parse("ransomware-public-portal").is_some());
        assert!(Slug::parse("soc-alert-2").is_some());
        for bad in [
            "",
            "Ransomware",
            "-lead",
            "trail-",
            "dou--ble",
            "under_score",
            "2fast",
        ] {
            assert!(Slug::parse(bad).is_none(), "{bad} accepted");
        }
        assert!(Slug::parse(&"a".repeat(65)).is_none());
    }

    #[test]
    fn a_security_level_is_between_one_and_five() {
        assert_eq!(SecurityLevel::new(3).map(SecurityLevel::get), Ok(3));
        assert!(SecurityLevel::new(0).is_err());
        assert!(SecurityLevel::new(6).is_err());
        assert!(SecurityLevel::new(-1).is_err());
    }

    #[test]
    fn an_audience_is_a_fixed_role_or_a_named_team_slot() {
        assert_eq!(Audience::parse("red"), Some(Audience::Red));
        assert_eq!(
            Audience::parse("team:soc-tinh").map(|a| a.to_string()),
            Some("team:soc-tinh".to_owned())
        );
        assert!(Audience::parse("team:").is_none());
        assert!(Audience::parse("purple").is_none());
    }

    #[test]
    fn keywords_round_trip_through_their_text() {
        for category in IncidentCategory::ALL {
            assert_eq!(category.code().parse::<IncidentCategory>(), Ok(*category));
        }
        assert_eq!(
            serde_json::to_string(&IncidentCategory::UnauthAccess).unwrap(),
            "\"unauth_access\""
        );
    }
}

//! The security level of an information system (cấp độ 1–5, NĐ 85 / NĐ 331).

use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// A security level that can only be 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct SecurityLevel(u8);

impl PartialSchema for SecurityLevel {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(5))
            .description(Some("Security level (cấp độ) 1–5"))
            .into()
    }
}

impl ToSchema for SecurityLevel {}

impl SecurityLevel {
    /// Live-fire drills are required yearly from this level up (CT 18/CT-TTg).
    pub const LIVE_FIRE_MINIMUM: SecurityLevel = SecurityLevel(3);

    pub fn new(level: i64) -> Result<Self, String> {
        match u8::try_from(level) {
            Ok(l @ 1..=5) => Ok(SecurityLevel(l)),
            _ => Err("must be between 1 and 5".to_owned()),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Systems of level 3 and above need a yearly live-fire drill and a current playbook.
    pub fn needs_live_fire_drill(self) -> bool {
        self >= Self::LIVE_FIRE_MINIMUM
    }
}

impl TryFrom<i64> for SecurityLevel {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        SecurityLevel::new(value)
    }
}

impl From<SecurityLevel> for u8 {
    fn from(level: SecurityLevel) -> u8 {
        level.0
    }
}

impl std::fmt::Display for SecurityLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_outside_one_to_five_are_refused() {
        assert!(SecurityLevel::new(0).is_err());
        assert!(SecurityLevel::new(6).is_err());
        assert!(SecurityLevel::new(-1).is_err());
        assert_eq!(SecurityLevel::new(3).unwrap().get(), 3);
    }

    #[test]
    fn level_three_and_above_need_live_fire_drills() {
        assert!(!SecurityLevel::new(2).unwrap().needs_live_fire_drill());
        assert!(SecurityLevel::new(3).unwrap().needs_live_fire_drill());
        assert!(SecurityLevel::new(5).unwrap().needs_live_fire_drill());
    }

    #[test]
    fn json_level_six_is_a_deserialisation_error() {
        assert!(serde_json::from_str::<SecurityLevel>("6").is_err());
        assert_eq!(serde_json::from_str::<SecurityLevel>("4").unwrap().get(), 4);
    }
}

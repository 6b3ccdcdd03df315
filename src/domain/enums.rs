//! The enumerations of the registry, with the codes of `shared/domain.md`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a code enumeration: snake_case serde codes, `ALL`, `code()`, `FromStr`,
/// and the Fluent key prefix used for its labels.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $fluent:literal { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Prefix of this enumeration's label keys in the Fluent files.
            pub const FLUENT_PREFIX: &'static str = $fluent;

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Fluent key of this value's label, e.g. `sector-banking`.
            pub fn label_key(self) -> String {
                format!("{}-{}", $fluent, self.code().replace('_', "-"))
            }

            /// The allowed codes, for error messages.
            pub fn allowed() -> String {
                [$($code),+].join(", ")
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(format!("unknown value; expected one of {}", Self::allowed())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum! {
    /// What a user may do. Scope (which organisations) is separate: see `auth::scope`.
    Role, "role" {
        Admin => "admin",
        /// Ban tổ chức: organises drills and maintains the registry.
        Controller => "controller",
        /// Ban giám khảo: judges drill results.
        Evaluator => "evaluator",
        /// A blue- or red-team member.
        Responder => "responder",
        Observer => "observer",
    }
}

impl Role {
    /// Roles allowed to create and change registry records (systems, teams, playbooks).
    pub fn may_edit_registry(self) -> bool {
        matches!(self, Role::Admin | Role::Controller)
    }
}

code_enum! {
    /// Loại hệ thống thông tin (NĐ 85 Art. 6.2 / NĐ 331 Art. 9.2).
    SystemType, "system-type" {
        Internal => "internal",
        CitizenBusiness => "citizen_business",
        InfoInfra => "info_infra",
        Ics => "ics",
        Other => "other",
    }
}

code_enum! {
    /// The 11 priority sectors of Decision 632/QĐ-TTg.
    Sector, "sector" {
        Transport => "transport",
        Energy => "energy",
        NatresEnv => "natres_env",
        Information => "information",
        Health => "health",
        Finance => "finance",
        Banking => "banking",
        Defence => "defence",
        SecurityOrder => "security_order",
        Urban => "urban",
        GovDirection => "gov_direction",
    }
}

code_enum! {
    /// Status of the level dossier (hồ sơ đề xuất cấp độ).
    DossierStatus, "dossier-status" {
        Drafting => "drafting",
        Submitted => "submitted",
        Appraised => "appraised",
        Approved => "approved",
    }
}

impl DossierStatus {
    /// Position in the drafting → submitted → appraised → approved sequence.
    pub fn rank(self) -> u8 {
        match self {
            DossierStatus::Drafting => 0,
            DossierStatus::Submitted => 1,
            DossierStatus::Appraised => 2,
            DossierStatus::Approved => 3,
        }
    }
}

code_enum! {
    /// Incident categories: the 10 rows of Circular 20/2017 Form 05, plus supply chain.
    IncidentCategory, "category" {
        Dos => "dos",
        Spoofing => "spoofing",
        Malware => "malware",
        UnauthAccess => "unauth_access",
        Defacement => "defacement",
        Encryption => "encryption",
        Destruction => "destruction",
        EspionageTheft => "espionage_theft",
        Combined => "combined",
        Other => "other",
        SupplyChain => "supply_chain",
    }
}

code_enum! {
    /// Which side of a drill a team plays.
    Side, "side" {
        Blue => "blue",
        Red => "red",
    }
}

code_enum! {
    /// In-house staff or an outsourced expert (outsourced experts count, CT 18 §1.c).
    Employment, "employment" {
        InHouse => "in_house",
        Outsourced => "outsourced",
    }
}

code_enum! {
    /// Expert groups of Circular 20/2017 Form 01.
    ExpertGroup, "expert-group" {
        /// Quản lý ATTT: security management.
        Qlattt => "qlattt",
        /// Kỹ thuật phòng thủ, chống tấn công: defence and incident handling.
        Ktpt => "ktpt",
        /// Kỹ thuật bảo vệ an toàn hệ thống và ứng dụng: system and application protection.
        Ktbv => "ktbv",
        /// Kỹ thuật kiểm tra, đánh giá ATTT: testing and assessment.
        Ktkt => "ktkt",
    }
}

code_enum! {
    /// Lĩnh vực đào tạo (Form 01).
    FieldOfStudy, "field-of-study" {
        It => "it",
        Infosec => "infosec",
        Equivalent => "equivalent",
    }
}

code_enum! {
    /// Trình độ đào tạo (Form 01).
    DegreeLevel, "degree" {
        Postgraduate => "postgraduate",
        Bachelor => "bachelor",
        College => "college",
        Vocational => "vocational",
    }
}

code_enum! {
    /// Chứng chỉ quốc tế / trong nước (Form 01).
    CertificateScope, "certificate-scope" {
        International => "international",
        Domestic => "domestic",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_from_str_and_serde() {
        for s in Sector::ALL {
            assert_eq!(s.code().parse::<Sector>(), Ok(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.code()));
        }
        assert_eq!(IncidentCategory::ALL.len(), 11);
        assert_eq!(Sector::ALL.len(), 11);
    }

    #[test]
    fn an_unknown_code_names_the_allowed_values() {
        let err = "bank".parse::<Sector>().unwrap_err();
        assert!(err.contains("banking"), "{err}");
    }

    #[test]
    fn label_keys_use_dashes() {
        assert_eq!(Sector::NatresEnv.label_key(), "sector-natres-env");
        assert_eq!(
            SystemType::CitizenBusiness.label_key(),
            "system-type-citizen-business"
        );
    }
}

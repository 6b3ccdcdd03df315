//! SeaORM entities: one module per table, no logic. The store (`crate::store`) is the
//! only code that uses them; views and handlers work with domain types and DTOs.

pub mod aar_observation;
pub mod api_token;
pub mod assessment_evidence;
pub mod capability_assessment;
pub mod corrective_action;
pub mod drill;
pub mod drill_event;
pub mod drill_evidence;
pub mod drill_inject;
pub mod drill_lease;
pub mod drill_record;
pub mod drill_scorecard;
pub mod drill_system;
pub mod drill_team;
pub mod maturity_framework;
pub mod maturity_result;
pub mod org;
pub mod playbook;
pub mod playbook_version;
pub mod scenario;
pub mod scenario_upload;
pub mod scenario_version;
pub mod session;
pub mod system;
pub mod team;
pub mod team_member;
pub mod user;

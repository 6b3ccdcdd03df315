//! Registry rules: what makes a system, team, member or playbook valid, when a
//! playbook is stale, and who counts as a qualified expert.
//!
//! Drafts are what a client sends (the JSON body, or a form converted to it); the
//! `validate_*` functions turn a draft into the checked values the store writes, and
//! report every problem at once by field name.

use std::net::IpAddr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    CertificateScope, DegreeLevel, DossierStatus, Employment, ExpertGroup, FieldErrors,
    FieldOfStudy, IncidentCategory, Sector, SecurityLevel, Side, SystemType,
};

/// Directive 18/CT-TTg §1.c: a response team needs at least five qualified experts.
pub const MINIMUM_QUALIFIED_EXPERTS: usize = 5;

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 10_000;
const SHORT_MAX: usize = 100;
const LIST_MAX: usize = 100;

/// Deserialises a field that may be absent (`None`), `null` (`Some(None)`) or a value,
/// so that PATCH can tell "leave as is" from "clear".
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn check_name(errors: &mut FieldErrors, field: &str, value: &str, max: usize) {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.add(field, "required", "must not be empty");
    } else {
        check_len(errors, field, value, max);
    }
}

fn check_len(errors: &mut FieldErrors, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.add(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        );
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(field, "invalid", "must not contain control characters");
    }
}

fn check_not_future(
    errors: &mut FieldErrors,
    field: &str,
    date: Option<NaiveDate>,
    today: NaiveDate,
) {
    if let Some(d) = date
        && d > today
    {
        errors.add(field, "future_date", "must not be in the future");
    }
}

/// A hostname as registered in DNS: labels of letters, digits and hyphens.
fn is_valid_domain(domain: &str) -> bool {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

// ---------------------------------------------------------------- systems

/// The level dossier (hồ sơ đề xuất cấp độ) of a system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dossier {
    pub status: DossierStatus,
    #[serde(default)]
    pub submitted_on: Option<NaiveDate>,
    #[serde(default)]
    pub appraised_on: Option<NaiveDate>,
    #[serde(default)]
    pub approved_on: Option<NaiveDate>,
    /// Number of the approval decision (số quyết định phê duyệt).
    #[serde(default)]
    pub decision_no: Option<String>,
}

impl Default for Dossier {
    fn default() -> Self {
        Dossier {
            status: DossierStatus::Drafting,
            submitted_on: None,
            appraised_on: None,
            approved_on: None,
            decision_no: None,
        }
    }
}

/// An information system as a client describes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemDraft {
    /// Owner organisation; defaults to the caller's organisation.
    #[serde(default)]
    pub org_id: Option<Uuid>,
    #[serde(default)]
    pub operator_org_id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub system_type: SystemType,
    #[serde(default)]
    pub sector: Option<Sector>,
    pub level: SecurityLevel,
    #[serde(default)]
    pub dossier: Dossier,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub public_ips: Vec<String>,
    /// Date of the last significant change; playbooks reviewed before it are stale.
    #[serde(default)]
    pub last_changed_on: Option<NaiveDate>,
}

/// A partial update of a system: absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemPatch {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub operator_org_id: Option<Option<Uuid>>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub system_type: Option<SystemType>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Sector>)]
    pub sector: Option<Option<Sector>>,
    pub level: Option<SecurityLevel>,
    pub dossier: Option<Dossier>,
    pub domains: Option<Vec<String>>,
    pub public_ips: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub last_changed_on: Option<Option<NaiveDate>>,
}

impl SystemPatch {
    pub fn apply(self, mut draft: SystemDraft) -> SystemDraft {
        if let Some(v) = self.operator_org_id {
            draft.operator_org_id = v;
        }
        if let Some(v) = self.name {
            draft.name = v;
        }
        if let Some(v) = self.description {
            draft.description = v;
        }
        if let Some(v) = self.system_type {
            draft.system_type = v;
        }
        if let Some(v) = self.sector {
            draft.sector = v;
        }
        if let Some(v) = self.level {
            draft.level = v;
        }
        if let Some(v) = self.dossier {
            draft.dossier = v;
        }
        if let Some(v) = self.domains {
            draft.domains = v;
        }
        if let Some(v) = self.public_ips {
            draft.public_ips = v;
        }
        if let Some(v) = self.last_changed_on {
            draft.last_changed_on = v;
        }
        draft
    }
}

/// Checks a system draft. Returns it normalised (trimmed names, lower-case domains,
/// canonical IP text) or every problem found.
pub fn validate_system(
    mut draft: SystemDraft,
    today: NaiveDate,
) -> Result<SystemDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "name", &draft.name, NAME_MAX);
    draft.name = draft.name.trim().to_owned();
    check_len(&mut errors, "description", &draft.description, TEXT_MAX);
    check_not_future(&mut errors, "last_changed_on", draft.last_changed_on, today);
    validate_dossier(&mut errors, &mut draft.dossier, today);

    if draft.domains.len() > LIST_MAX {
        errors.add("domains", "too_many", format!("at most {LIST_MAX} entries"));
    }
    let mut domains = Vec::with_capacity(draft.domains.len());
    for (i, d) in draft.domains.iter().enumerate() {
        let d = d.trim().to_ascii_lowercase();
        if !is_valid_domain(&d) {
            errors.add(
                format!("domains.{i}"),
                "invalid",
                "is not a valid domain name",
            );
        } else if !domains.contains(&d) {
            domains.push(d);
        }
    }
    draft.domains = domains;

    if draft.public_ips.len() > LIST_MAX {
        errors.add(
            "public_ips",
            "too_many",
            format!("at most {LIST_MAX} entries"),
        );
    }
    let mut ips = Vec::with_capacity(draft.public_ips.len());
    for (i, ip) in draft.public_ips.iter().enumerate() {
        match ip.trim().parse::<IpAddr>() {
            Ok(addr) => {
                let text = addr.to_string();
                if !ips.contains(&text) {
                    ips.push(text);
                }
            }
            Err(_) => errors.add(format!("public_ips.{i}"), "invalid", "is not an IP address"),
        }
    }
    draft.public_ips = ips;
    errors.into_result(draft)
}

fn validate_dossier(errors: &mut FieldErrors, dossier: &mut Dossier, today: NaiveDate) {
    let rank = dossier.status.rank();
    let stages = [
        (
            "dossier.submitted_on",
            dossier.submitted_on,
            DossierStatus::Submitted,
        ),
        (
            "dossier.appraised_on",
            dossier.appraised_on,
            DossierStatus::Appraised,
        ),
        (
            "dossier.approved_on",
            dossier.approved_on,
            DossierStatus::Approved,
        ),
    ];
    for (field, date, stage) in stages {
        check_not_future(errors, field, date, today);
        if date.is_some() && rank < stage.rank() {
            errors.add(
                field,
                "stage_not_reached",
                format!("is set but the dossier status is {}", dossier.status),
            );
        }
    }
    // Dates must follow the order of the procedure.
    let mut previous: Option<(&str, NaiveDate)> = None;
    for (field, date, _) in stages {
        if let Some(d) = date {
            if let Some((prev_field, prev)) = previous
                && d < prev
            {
                errors.add(
                    field,
                    "date_order",
                    format!("must not be before {prev_field}"),
                );
            }
            previous = Some((field, d));
        }
    }
    if let Some(no) = &dossier.decision_no {
        check_len(errors, "dossier.decision_no", no, SHORT_MAX);
        if no.trim().is_empty() {
            dossier.decision_no = None;
        } else {
            dossier.decision_no = Some(no.trim().to_owned());
        }
    }
    if dossier.status == DossierStatus::Approved {
        if dossier.approved_on.is_none() {
            errors.add(
                "dossier.approved_on",
                "required",
                "is required once the dossier is approved",
            );
        }
        if dossier.decision_no.is_none() {
            errors.add(
                "dossier.decision_no",
                "required",
                "is required once the dossier is approved",
            );
        }
    }
}

// ---------------------------------------------------------------- teams

/// A contact point of a team (Form 01 §3: primary and backup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamDraft {
    /// Owning organisation; defaults to the caller's organisation.
    #[serde(default)]
    pub org_id: Option<Uuid>,
    pub name: String,
    pub side: Side,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub contact_primary: Option<Contact>,
    #[serde(default)]
    pub contact_backup: Option<Contact>,
    /// Reachable around the clock (TT 20 Art. 6.1.b).
    #[serde(default)]
    pub is_24x7: bool,
    /// Decision establishing the team (QĐ 05 Art. 6).
    #[serde(default)]
    pub established_decision_no: Option<String>,
    #[serde(default)]
    pub established_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub side: Option<Side>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Contact>)]
    pub contact_primary: Option<Option<Contact>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Contact>)]
    pub contact_backup: Option<Option<Contact>>,
    pub is_24x7: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub established_decision_no: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub established_on: Option<Option<NaiveDate>>,
}

impl TeamPatch {
    pub fn apply(self, mut draft: TeamDraft) -> TeamDraft {
        if let Some(v) = self.name {
            draft.name = v;
        }
        if let Some(v) = self.side {
            draft.side = v;
        }
        if let Some(v) = self.description {
            draft.description = v;
        }
        if let Some(v) = self.contact_primary {
            draft.contact_primary = v;
        }
        if let Some(v) = self.contact_backup {
            draft.contact_backup = v;
        }
        if let Some(v) = self.is_24x7 {
            draft.is_24x7 = v;
        }
        if let Some(v) = self.established_decision_no {
            draft.established_decision_no = v;
        }
        if let Some(v) = self.established_on {
            draft.established_on = v;
        }
        draft
    }
}

fn validate_contact(errors: &mut FieldErrors, field: &str, contact: &mut Contact) {
    check_name(errors, &format!("{field}.name"), &contact.name, NAME_MAX);
    contact.name = contact.name.trim().to_owned();
    for (sub, value) in [
        ("title", &mut contact.title),
        ("phone", &mut contact.phone),
        ("email", &mut contact.email),
    ] {
        check_len(errors, &format!("{field}.{sub}"), value, NAME_MAX);
        *value = value.trim().to_owned();
    }
    if contact.phone.is_empty() && contact.email.is_empty() {
        errors.add(
            format!("{field}.phone"),
            "required",
            "a phone number or an email is required",
        );
    }
    if !contact.email.is_empty() && !looks_like_email(&contact.email) {
        errors.add(
            format!("{field}.email"),
            "invalid",
            "is not an email address",
        );
    }
    if !contact.phone.is_empty()
        && !contact
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        errors.add(
            format!("{field}.phone"),
            "invalid",
            "may contain only digits, spaces and + - ( ) .",
        );
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && is_valid_domain(domain) && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

pub fn validate_team(mut draft: TeamDraft, today: NaiveDate) -> Result<TeamDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "name", &draft.name, NAME_MAX);
    draft.name = draft.name.trim().to_owned();
    check_len(&mut errors, "description", &draft.description, TEXT_MAX);
    if let Some(c) = draft.contact_primary.as_mut() {
        validate_contact(&mut errors, "contact_primary", c);
    }
    if let Some(c) = draft.contact_backup.as_mut() {
        validate_contact(&mut errors, "contact_backup", c);
    }
    if let Some(no) = &draft.established_decision_no {
        check_len(&mut errors, "established_decision_no", no, SHORT_MAX);
        draft.established_decision_no = Some(no.trim().to_owned()).filter(|s| !s.is_empty());
    }
    check_not_future(&mut errors, "established_on", draft.established_on, today);
    errors.into_result(draft)
}

// ---------------------------------------------------------------- members

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    pub name: String,
    #[serde(default)]
    pub issuer: String,
    pub scope: CertificateScope,
    #[serde(default)]
    pub issued_on: Option<NaiveDate>,
    /// None: the certificate does not expire.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

impl Certificate {
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.expires_on.is_none_or(|e| e >= date)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberDraft {
    pub full_name: String,
    #[serde(default)]
    pub title: String,
    /// The member's user account, if any; it must belong to the team's organisation.
    #[serde(default)]
    pub user_id: Option<Uuid>,
    pub employment: Employment,
    #[serde(default)]
    pub field_of_study: Option<FieldOfStudy>,
    #[serde(default)]
    pub degree_level: Option<DegreeLevel>,
    #[serde(default)]
    pub expert_groups: Vec<ExpertGroup>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub certificates: Vec<Certificate>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    pub full_name: Option<String>,
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<Option<Uuid>>,
    pub employment: Option<Employment>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<FieldOfStudy>)]
    pub field_of_study: Option<Option<FieldOfStudy>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DegreeLevel>)]
    pub degree_level: Option<Option<DegreeLevel>>,
    pub expert_groups: Option<Vec<ExpertGroup>>,
    pub skills: Option<Vec<String>>,
    pub certificates: Option<Vec<Certificate>>,
}

impl MemberPatch {
    pub fn apply(self, mut draft: MemberDraft) -> MemberDraft {
        if let Some(v) = self.full_name {
            draft.full_name = v;
        }
        if let Some(v) = self.title {
            draft.title = v;
        }
        if let Some(v) = self.user_id {
            draft.user_id = v;
        }
        if let Some(v) = self.employment {
            draft.employment = v;
        }
        if let Some(v) = self.field_of_study {
            draft.field_of_study = v;
        }
        if let Some(v) = self.degree_level {
            draft.degree_level = v;
        }
        if let Some(v) = self.expert_groups {
            draft.expert_groups = v;
        }
        if let Some(v) = self.skills {
            draft.skills = v;
        }
        if let Some(v) = self.certificates {
            draft.certificates = v;
        }
        draft
    }
}

pub fn validate_member(mut draft: MemberDraft) -> Result<MemberDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "full_name", &draft.full_name, NAME_MAX);
    draft.full_name = draft.full_name.trim().to_owned();
    check_len(&mut errors, "title", &draft.title, NAME_MAX);
    draft.title = draft.title.trim().to_owned();
    draft.expert_groups.sort();
    draft.expert_groups.dedup();
    if draft.skills.len() > LIST_MAX {
        errors.add("skills", "too_many", format!("at most {LIST_MAX} entries"));
    }
    for (i, skill) in draft.skills.iter_mut().enumerate() {
        check_name(&mut errors, &format!("skills.{i}"), skill, NAME_MAX);
        *skill = skill.trim().to_owned();
    }
    if draft.certificates.len() > LIST_MAX {
        errors.add(
            "certificates",
            "too_many",
            format!("at most {LIST_MAX} entries"),
        );
    }
    for (i, cert) in draft.certificates.iter_mut().enumerate() {
        check_name(
            &mut errors,
            &format!("certificates.{i}.name"),
            &cert.name,
            NAME_MAX,
        );
        cert.name = cert.name.trim().to_owned();
        check_len(
            &mut errors,
            &format!("certificates.{i}.issuer"),
            &cert.issuer,
            NAME_MAX,
        );
        cert.issuer = cert.issuer.trim().to_owned();
        if let (Some(issued), Some(expires)) = (cert.issued_on, cert.expires_on)
            && expires < issued
        {
            errors.add(
                format!("certificates.{i}.expires_on"),
                "date_order",
                "must not be before issued_on",
            );
        }
    }
    errors.into_result(draft)
}

/// A member counts towards the minimum of five when they belong to at least one
/// Form-01 expert group and hold at least one certificate that has not expired.
/// [PROPOSAL] — the directive says "qualified experts" without a test; this one can
/// be checked from the records the team keeps.
pub fn is_qualified_expert(
    expert_groups: &[ExpertGroup],
    certificates: &[Certificate],
    today: NaiveDate,
) -> bool {
    !expert_groups.is_empty() && certificates.iter().any(|c| c.is_valid_on(today))
}

// ---------------------------------------------------------------- playbooks

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaybookStep {
    /// 1-based position; steps are stored in this order and renumbered without gaps.
    #[serde(default)]
    pub order: Option<u32>,
    pub action: String,
    /// Who carries it out (e.g. "Trưởng nhóm ứng cứu", "Quản trị hệ thống").
    pub role: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaybookDraft {
    pub category: IncidentCategory,
    pub title: String,
    pub steps: Vec<PlaybookStep>,
    /// Conditions and priorities for keeping the service running during the response
    /// (mandatory, TT 20 Art. 12.2).
    pub priority_conditions: String,
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub approved_on: Option<NaiveDate>,
    #[serde(default)]
    pub reviewed_on: Option<NaiveDate>,
    /// What changed in this version, for the history.
    #[serde(default)]
    pub change_note: String,
}

const STEPS_MAX: usize = 100;

pub fn validate_playbook(
    mut draft: PlaybookDraft,
    today: NaiveDate,
) -> Result<PlaybookDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "title", &draft.title, NAME_MAX);
    draft.title = draft.title.trim().to_owned();
    check_name(
        &mut errors,
        "priority_conditions",
        &draft.priority_conditions,
        TEXT_MAX,
    );
    draft.priority_conditions = draft.priority_conditions.trim().to_owned();
    check_len(&mut errors, "change_note", &draft.change_note, TEXT_MAX);
    if let Some(by) = &draft.approved_by {
        check_len(&mut errors, "approved_by", by, NAME_MAX);
        draft.approved_by = Some(by.trim().to_owned()).filter(|s| !s.is_empty());
    }
    check_not_future(&mut errors, "approved_on", draft.approved_on, today);
    check_not_future(&mut errors, "reviewed_on", draft.reviewed_on, today);
    if draft.approved_on.is_some() && draft.approved_by.is_none() {
        errors.add(
            "approved_by",
            "required",
            "is required when approved_on is set",
        );
    }
    if draft.steps.is_empty() {
        errors.add("steps", "required", "at least one step is required");
    } else if draft.steps.len() > STEPS_MAX {
        errors.add("steps", "too_many", format!("at most {STEPS_MAX} steps"));
    }
    // Steps given with explicit orders are sorted by them (stable for ties), then renumbered.
    draft.steps.sort_by_key(|s| s.order.unwrap_or(u32::MAX));
    for (i, step) in draft.steps.iter_mut().enumerate() {
        check_name(
            &mut errors,
            &format!("steps.{i}.action"),
            &step.action,
            TEXT_MAX,
        );
        check_name(
            &mut errors,
            &format!("steps.{i}.role"),
            &step.role,
            NAME_MAX,
        );
        step.action = step.action.trim().to_owned();
        step.role = step.role.trim().to_owned();
        step.order = Some(i as u32 + 1);
    }
    errors.into_result(draft)
}

/// A playbook is stale when its system changed after the playbook was last reviewed
/// (R09). A playbook never reviewed counts as reviewed on its approval date; one
/// neither reviewed nor approved is stale as soon as the system has a change date.
pub fn playbook_is_stale(
    system_last_changed_on: Option<NaiveDate>,
    reviewed_on: Option<NaiveDate>,
    approved_on: Option<NaiveDate>,
) -> bool {
    match (system_last_changed_on, reviewed_on.or(approved_on)) {
        (Some(changed), Some(reviewed)) => changed > reviewed,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn system() -> SystemDraft {
        SystemDraft {
            org_id: None,
            operator_org_id: None,
            name: " Cổng dịch vụ công ".into(),
            description: String::new(),
            system_type: SystemType::CitizenBusiness,
            sector: None,
            level: SecurityLevel::new(3).unwrap(),
            dossier: Dossier::default(),
            domains: vec!["DichVuCong.Example.gov.vn".into()],
            public_ips: vec!["203.0.113.10".into()],
            last_changed_on: Some(date("2026-10-01")),
        }
    }

    #[test]
    fn a_valid_system_is_normalised() {
        let s = validate_system(system(), date("2026-11-21")).unwrap();
        assert_eq!(s.name, "Cổng dịch vụ công");
        assert_eq!(s.domains, vec!["dichvucong.example.gov.vn"]);
    }

    #[test]
    fn every_problem_of_a_system_is_reported_by_field() {
        let mut s = system();
        s.name = "x".repeat(10_000);
        s.domains = vec!["not a domain".into()];
        s.public_ips = vec!["300.1.1.1".into()];
        s.last_changed_on = Some(date("2027-01-01"));
        let errors = validate_system(s, date("2026-11-21")).unwrap_err();
        for field in ["name", "domains.0", "public_ips.0", "last_changed_on"] {
            assert!(errors.get(field).is_some(), "{field} missing in {errors:?}");
        }
    }

    #[test]
    fn an_approved_dossier_needs_a_decision_and_ordered_dates() {
        let mut s = system();
        s.dossier = Dossier {
            status: DossierStatus::Approved,
            submitted_on: Some(date("2026-05-10")),
            appraised_on: Some(date("2026-05-01")),
            approved_on: None,
            decision_no: None,
        };
        let errors = validate_system(s, date("2026-11-21")).unwrap_err();
        assert_eq!(
            errors.get("dossier.appraised_on").unwrap().code,
            "date_order"
        );
        assert_eq!(errors.get("dossier.approved_on").unwrap().code, "required");
        assert_eq!(errors.get("dossier.decision_no").unwrap().code, "required");
    }

    #[test]
    fn a_date_for_a_stage_not_reached_is_refused() {
        let mut s = system();
        s.dossier.approved_on = Some(date("2026-05-01"));
        let errors = validate_system(s, date("2026-11-21")).unwrap_err();
        assert_eq!(
            errors.get("dossier.approved_on").unwrap().code,
            "stage_not_reached"
        );
    }

    #[test]
    fn a_playbook_is_stale_when_the_system_changed_after_its_review() {
        let changed = Some(date("2026-10-01"));
        assert!(playbook_is_stale(changed, Some(date("2026-09-30")), None));
        assert!(!playbook_is_stale(changed, Some(date("2026-10-01")), None));
        assert!(!playbook_is_stale(changed, None, Some(date("2026-10-02"))));
        assert!(playbook_is_stale(changed, None, None));
        assert!(!playbook_is_stale(None, None, None));
    }

    #[test]
    fn an_expert_needs_a_group_and_an_unexpired_certificate() {
        let today = date("2026-11-21");
        let cert = |expires: Option<&str>| Certificate {
            name: "GCIH".into(),
            issuer: "GIAC".into(),
            scope: CertificateScope::International,
            issued_on: None,
            expires_on: expires.map(date),
        };
        assert!(is_qualified_expert(
            &[ExpertGroup::Ktpt],
            &[cert(None)],
            today
        ));
        assert!(is_qualified_expert(
            &[ExpertGroup::Ktpt],
            &[cert(Some("2026-11-21"))],
            today
        ));
        assert!(!is_qualified_expert(
            &[ExpertGroup::Ktpt],
            &[cert(Some("2026-11-20"))],
            today
        ));
        assert!(!is_qualified_expert(&[], &[cert(None)], today));
    }

    #[test]
    fn playbook_steps_are_sorted_and_renumbered() {
        let draft = PlaybookDraft {
            category: IncidentCategory::Encryption,
            title: "Ransomware".into(),
            steps: vec![
                PlaybookStep {
                    order: Some(5),
                    action: "Khôi phục".into(),
                    role: "Quản trị".into(),
                },
                PlaybookStep {
                    order: Some(1),
                    action: "Cô lập".into(),
                    role: "Trưởng nhóm".into(),
                },
            ],
            priority_conditions: "Giữ dịch vụ công trực tuyến".into(),
            approved_by: None,
            approved_on: None,
            reviewed_on: None,
            change_note: String::new(),
        };
        let p = validate_playbook(draft, date("2026-11-21")).unwrap();
        assert_eq!(p.steps[0].action, "Cô lập");
        assert_eq!(p.steps[1].order, Some(2));
    }

    #[test]
    fn a_playbook_without_priority_conditions_or_steps_is_refused() {
        let draft = PlaybookDraft {
            category: IncidentCategory::Dos,
            title: "DDoS".into(),
            steps: vec![],
            priority_conditions: "  ".into(),
            approved_by: None,
            approved_on: None,
            reviewed_on: None,
            change_note: String::new(),
        };
        let errors = validate_playbook(draft, date("2026-11-21")).unwrap_err();
        assert!(errors.get("steps").is_some());
        assert!(errors.get("priority_conditions").is_some());
    }
}

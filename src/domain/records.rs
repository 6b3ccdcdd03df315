//! What drill participants submit, and the rules their content must follow:
//! detections and containments (blue teams), attack actions and vulnerability
//! findings (red teams), incident reports on the Circular 20/2017 forms (blue teams),
//! and evaluators' verdicts.
//!
//! Pure: these functions check the content of one submission (lengths, codes, the
//! ATT&CK id, mandatory report fields). References to other things of the drill (a
//! released inject, a target system, an earlier detection, an evidence file) are
//! checked by the store, inside the transaction that writes the record.
//!
//! Text is stored as given (trimmed) and returned as JSON strings; nothing here is
//! ever HTML. Consoles must insert it as text (`textContent`), never as markup.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::FieldErrors;
use crate::scenario::TechniqueId;

/// The kinds of record, with their event kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Detection,
    Containment,
    RedAction,
    RedFinding,
    Report,
    Evaluation,
    /// Whether a blue team's target service was up when checked (K6 availability).
    ServiceCheck,
}

impl RecordKind {
    pub const ALL: [RecordKind; 7] = [
        RecordKind::Detection,
        RecordKind::Containment,
        RecordKind::RedAction,
        RecordKind::RedFinding,
        RecordKind::Report,
        RecordKind::Evaluation,
        RecordKind::ServiceCheck,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RecordKind::Detection => "detection",
            RecordKind::Containment => "containment",
            RecordKind::RedAction => "red_action",
            RecordKind::RedFinding => "red_finding",
            RecordKind::Report => "report",
            RecordKind::Evaluation => "evaluation",
            RecordKind::ServiceCheck => "service_check",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind of the event appended to the drill log.
    pub fn event_kind(self) -> &'static str {
        match self {
            RecordKind::Detection => "detection_recorded",
            RecordKind::Containment => "containment_recorded",
            RecordKind::RedAction => "red_action_recorded",
            RecordKind::RedFinding => "red_finding_recorded",
            RecordKind::Report => "report_submitted",
            RecordKind::Evaluation => "evaluation_recorded",
            RecordKind::ServiceCheck => "service_check_recorded",
        }
    }

    /// Which side submits it; `None` for what the staff record (verdicts, service
    /// checks).
    pub fn side(self) -> Option<crate::domain::Side> {
        use crate::domain::Side;
        match self {
            RecordKind::Detection | RecordKind::Containment | RecordKind::Report => {
                Some(Side::Blue)
            }
            RecordKind::RedAction | RecordKind::RedFinding => Some(Side::Red),
            RecordKind::Evaluation | RecordKind::ServiceCheck => None,
        }
    }
}

/// The longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest free text (description, steps, notes), in characters.
pub const MAX_TEXT: usize = 20_000;
/// Evidence files one record may reference.
pub const MAX_EVIDENCE: usize = 20;

/// Checks a required short text and returns it trimmed.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    max: usize,
) -> Option<String> {
    let t = value.trim();
    let n = t.chars().count();
    if n == 0 {
        errors.add(field, "required", "must not be empty");
        None
    } else if n > max {
        errors.add(field, "too_long", format!("at most {max} characters"));
        None
    } else {
        Some(t.to_owned())
    }
}

/// Checks an optional text; empty becomes `None`.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let t = value.map(str::trim).filter(|t| !t.is_empty())?;
    if t.chars().count() > max {
        errors.add(field, "too_long", format!("at most {max} characters"));
        None
    } else {
        Some(t.to_owned())
    }
}

/// An ATT&CK technique that is both well formed and in the shipped list.
pub fn technique(errors: &mut FieldErrors, field: &str, value: &str) -> Option<TechniqueId> {
    match TechniqueId::parse(value.trim()) {
        None => {
            errors.add(
                field,
                "invalid",
                "expected an ATT&CK technique id such as T1486 or T1566.001",
            );
            None
        }
        Some(id) if id.name().is_none() => {
            errors.add(
                field,
                "unknown_technique",
                format!(
                    "{id} is not an ATT&CK Enterprise {} technique",
                    crate::scenario::ATTACK_VERSION
                ),
            );
            None
        }
        Some(id) => Some(id),
    }
}

/// Evidence ids: at most [`MAX_EVIDENCE`], no repeats.
pub fn evidence_ids(errors: &mut FieldErrors, ids: &[uuid::Uuid]) {
    if ids.len() > MAX_EVIDENCE {
        errors.add(
            "evidence_ids",
            "too_many",
            format!("at most {MAX_EVIDENCE} files per record"),
        );
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            errors.add(format!("evidence_ids.{i}"), "duplicate", "listed twice");
        }
    }
}

/// A blue team's containment action (domain.md §1.5 `DetectionEvent.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContainmentAction {
    BlockIp,
    WafRule,
    Isolate,
    Patch,
    Restore,
    Other,
}

/// Severity of a red-team finding (VNCERT guide; K5 points 40/20/8/2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// The incident reports of Circular 20/2017 (domain.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Thông báo sự cố (Art. 9.3.a).
    Notice,
    /// Báo cáo ban đầu, Form 03.
    Initial,
    /// Báo cáo kết thúc ứng phó, Form 04.
    Closure,
}

impl ReportKind {
    pub fn code(self) -> &'static str {
        match self {
            ReportKind::Notice => "notice",
            ReportKind::Initial => "initial",
            ReportKind::Closure => "closure",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [ReportKind::Notice, ReportKind::Initial, ReportKind::Closure]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// To whom a report was sent (domain.md §1.6 `recipient`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Owner,
    IrUnitSameLevel,
    Coordinator,
    NetworkMember,
    Isp,
    Steering,
    MpsA05,
}

/// The type of one field of a report form.
#[derive(Debug, Clone, Copy)]
enum FormType {
    /// Up to [`MAX_TEXT`] characters.
    Text,
    /// RFC 3339, any offset; stored in UTC with microseconds.
    Time,
    /// A whole number in a range.
    Int(i64, i64),
    Bool,
    /// One of these codes.
    Choice(&'static [&'static str]),
    /// A list of these codes (at least one when mandatory).
    Choices(&'static [&'static str]),
}

/// `(name, mandatory, type)`.
type FormField = (&'static str, bool, FormType);

const DETECTION_METHODS: &[&str] = &["ids", "log_review", "notified_by", "other"];
const NOTIFIED: &[&str] = &["network_member", "isp", "coordinator"];
const SERVICES: &[&str] = &["web", "mail", "database", "other"];
const MEASURES: &[&str] = &["antivirus", "firewall", "ids", "other"];
const ATTACHMENTS: &[&str] = &["system_logs", "malware_samples", "other"];

/// Incident notice: TT 20/2017 Art. 9.3.a (domain.md §4.1); (*) fields are mandatory.
const NOTICE: &[FormField] = &[
    ("reporter_name", true, FormType::Text),
    ("reporter_address", true, FormType::Text),
    ("system", true, FormType::Text),
    ("operator", true, FormType::Text),
    ("owner", false, FormType::Text),
    ("description", true, FormType::Text),
    ("detected_at", true, FormType::Time),
    ("proposed_handling", true, FormType::Text),
    ("recommendations", false, FormType::Text),
];

/// Initial report, Form 03 (domain.md §4.2), sections A–I.
const INITIAL: &[FormField] = &[
    // A. Reporter
    ("reporter_org", true, FormType::Text),
    ("reporter_address", true, FormType::Text),
    ("reporter_phone", true, FormType::Text),
    ("reporter_email", true, FormType::Text),
    // B. Contact person
    ("contact_name", true, FormType::Text),
    ("contact_title", false, FormType::Text),
    ("contact_phone", true, FormType::Text),
    ("contact_email", true, FormType::Text),
    // C. Affected system
    ("operator", true, FormType::Text),
    ("owner", false, FormType::Text),
    ("system_name", false, FormType::Text),
    ("system_level", false, FormType::Int(1, 5)),
    ("security_provider", false, FormType::Text),
    ("connectivity_provider", false, FormType::Text),
    ("other_providers", false, FormType::Text),
    ("description", true, FormType::Text),
    ("detected_at", true, FormType::Time),
    // D. Status
    (
        "status",
        true,
        FormType::Choice(&["handled", "not_handled"]),
    ),
    // E. Detection methods
    (
        "detection_methods",
        true,
        FormType::Choices(DETECTION_METHODS),
    ),
    ("notified_by_detail", false, FormType::Text),
    ("other_method_detail", false, FormType::Text),
    // F. Notifications already sent
    ("notified", true, FormType::Choices(NOTIFIED)),
    // G. Additional system information
    ("os", false, FormType::Text),
    ("services", false, FormType::Choices(SERVICES)),
    ("security_measures", false, FormType::Choices(MEASURES)),
    ("public_ips", false, FormType::Text),
    ("domains", false, FormType::Text),
    ("purpose", false, FormType::Text),
    ("attachments", false, FormType::Choices(ATTACHMENTS)),
    ("confidential", false, FormType::Bool),
    // H. Recommendations
    ("recommendations", false, FormType::Text),
    // I. Time of report
    ("reported_at", true, FormType::Time),
];

/// Closure report, Form 04 (domain.md §4.3). The initial report it closes is the
/// request's `initial_report_id`. `handling_result` is mandatory here although the
/// form does not star it: a closure without it says nothing. `damage_*` is the
/// explicit damage structure domain.md proposes beside the narrative.
const CLOSURE: &[FormField] = &[
    ("reporter_name", true, FormType::Text),
    ("reporter_address", true, FormType::Text),
    ("reporter_phone", true, FormType::Text),
    ("reporter_email", true, FormType::Text),
    ("operator", true, FormType::Text),
    ("owner", false, FormType::Text),
    ("system_name", false, FormType::Text),
    ("system_level", false, FormType::Int(1, 5)),
    ("incident_name", false, FormType::Text),
    ("description", false, FormType::Text),
    ("detected_at", true, FormType::Time),
    ("handling_result", true, FormType::Text),
    ("lessons_learned", false, FormType::Text),
    ("damage_cost_vnd", false, FormType::Int(0, i64::MAX)),
    ("damage_affected_users", false, FormType::Int(0, i64::MAX)),
    ("damage_downtime_minutes", false, FormType::Int(0, i64::MAX)),
    ("damage_data_records", false, FormType::Int(0, i64::MAX)),
    ("attachments", false, FormType::Text),
];

fn form_fields(kind: ReportKind) -> &'static [FormField] {
    match kind {
        ReportKind::Notice => NOTICE,
        ReportKind::Initial => INITIAL,
        ReportKind::Closure => CLOSURE,
    }
}

/// The mandatory fields of a report form, for consoles and documentation.
pub fn mandatory_form_fields(kind: ReportKind) -> Vec<&'static str> {
    form_fields(kind)
        .iter()
        .filter(|f| f.1)
        .map(|f| f.0)
        .collect()
}

/// Checks a report form against its kind: every mandatory field present and not
/// empty, every field of the right type, no field the form does not have. Problems
/// are named `form.FIELD`. Returns the normalised form (texts trimmed, times in UTC
/// with microseconds, empty optional fields dropped).
pub fn check_form(
    kind: ReportKind,
    form: &Map<String, Value>,
) -> Result<Map<String, Value>, FieldErrors> {
    let spec = form_fields(kind);
    let mut errors = FieldErrors::new();
    let mut out = Map::new();
    for key in form.keys() {
        if !spec.iter().any(|f| f.0 == key) {
            errors.add(
                format!("form.{key}"),
                "unknown_field",
                format!("the {} form has no such field", kind.code()),
            );
        }
    }
    for &(name, mandatory, ty) in spec {
        let field = format!("form.{name}");
        let value = form.get(name).filter(|v| !v.is_null());
        let Some(value) = value else {
            if mandatory {
                errors.add(field, "required", "this field of the form is mandatory");
            }
            continue;
        };
        match ty {
            FormType::Text => match value.as_str().map(str::trim) {
                Some("") if mandatory => errors.add(field, "required", "must not be empty"),
                Some("") => {}
                Some(t) if t.chars().count() > MAX_TEXT => {
                    errors.add(field, "too_long", format!("at most {MAX_TEXT} characters"))
                }
                Some(t) => {
                    out.insert(name.to_owned(), Value::from(t));
                }
                None => errors.add(field, "invalid", "must be text"),
            },
            FormType::Time => match value
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
            {
                Some(t) => {
                    out.insert(
                        name.to_owned(),
                        Value::from(crate::time::rfc3339_micros(t.with_timezone(&Utc))),
                    );
                }
                None => errors.add(
                    field,
                    "invalid",
                    "must be an RFC 3339 time, e.g. 2026-11-21T08:00:00+07:00",
                ),
            },
            FormType::Int(min, max) => match value.as_i64() {
                Some(n) if (min..=max).contains(&n) => {
                    out.insert(name.to_owned(), Value::from(n));
                }
                _ => errors.add(
                    field,
                    "invalid",
                    if max == i64::MAX {
                        format!("must be a whole number of at least {min}")
                    } else {
                        format!("must be a whole number from {min} to {max}")
                    },
                ),
            },
            FormType::Bool => match value.as_bool() {
                Some(b) => {
                    out.insert(name.to_owned(), Value::from(b));
                }
                None => errors.add(field, "invalid", "must be true or false"),
            },
            FormType::Choice(codes) => match value.as_str() {
                Some(c) if codes.contains(&c) => {
                    out.insert(name.to_owned(), Value::from(c));
                }
                _ => errors.add(field, "invalid", format!("one of {}", codes.join(", "))),
            },
            FormType::Choices(codes) => {
                let list: Option<Vec<&str>> = value
                    .as_array()
                    .and_then(|a| a.iter().map(Value::as_str).collect());
                match list {
                    Some(l) if l.iter().all(|c| codes.contains(c)) => {
                        if mandatory && l.is_empty() {
                            errors.add(field, "required", "choose at least one");
                        } else {
                            let mut l = l;
                            l.dedup();
                            out.insert(name.to_owned(), Value::from(l));
                        }
                    }
                    _ => errors.add(field, "invalid", format!("a list of {}", codes.join(", "))),
                }
            }
        }
    }
    errors.into_result(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_notice_names_each_missing_mandatory_field() {
        let errors = check_form(
            ReportKind::Notice,
            &map(json!({"reporter_name": "Sở TT", "description": "  "})),
        )
        .unwrap_err();
        for f in [
            "form.reporter_address",
            "form.system",
            "form.operator",
            "form.description",
            "form.detected_at",
            "form.proposed_handling",
        ] {
            assert!(errors.get(f).is_some(), "{f} not named: {errors:?}");
        }
        assert!(errors.get("form.reporter_name").is_none());
        assert!(errors.get("form.owner").is_none(), "optional");
    }

    #[test]
    fn an_initial_report_checks_types_and_codes_and_normalises_times() {
        let form = map(json!({
            "reporter_org": "Sở TT&TT", "reporter_address": "1 Lê Lợi", "reporter_phone": "0243",
            "reporter_email": "a@b.vn", "contact_name": "An", "contact_phone": "09", "contact_email": "an@b.vn",
            "operator": "Trung tâm CNTT", "description": "Mã hóa tệp", "detected_at": "2026-11-21T15:04:05.5+07:00",
            "status": "not_handled", "detection_methods": ["ids", "log_review"], "notified": ["coordinator"],
            "reported_at": "2026-11-21T09:00:00Z", "system_level": 3, "confidential": true,
        }));
        let out = check_form(ReportKind::Initial, &form).unwrap();
        assert_eq!(out["detected_at"], "2026-11-21T08:04:05.500000Z");
        let mut bad = form.clone();
        bad.insert("status".into(), json!("done"));
        bad.insert("system_level".into(), json!(7));
        bad.insert("notified".into(), json!([]));
        bad.insert("colour".into(), json!("red"));
        let errors = check_form(ReportKind::Initial, &bad).unwrap_err();
        for f in [
            "form.status",
            "form.system_level",
            "form.notified",
            "form.colour",
        ] {
            assert!(errors.get(f).is_some(), "{f} not named: {errors:?}");
        }
    }

    #[test]
    fn techniques_must_be_real_attack_ids() {
        let mut e = FieldErrors::new();
        assert!(technique(&mut e, "technique", "T1486").is_some());
        assert!(technique(&mut e, "technique", "T9999").is_none());
        assert_eq!(e.get("technique").unwrap().code, "unknown_technique");
        let mut e = FieldErrors::new();
        assert!(technique(&mut e, "technique", "<script>").is_none());
        assert_eq!(e.get("technique").unwrap().code, "invalid");
    }

    #[test]
    fn mandatory_fields_of_the_closure_report() {
        let m = mandatory_form_fields(ReportKind::Closure);
        assert!(m.contains(&"handling_result") && m.contains(&"detected_at"));
        assert!(!m.contains(&"lessons_learned"));
    }
}

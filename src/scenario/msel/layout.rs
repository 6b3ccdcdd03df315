//! The columns of an MSEL spreadsheet and the scenario metadata keys: the
//! one place that says which cell holds which field, used by both writers
//! and by the importer. See "MSEL spreadsheets" in `scenarios/README.md`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::super::model::{Bilingual, Expectation, Inject, Release, Scenario};
use super::super::offset::format_hms;

/// What an offset cell says for an inject a controller releases by hand.
pub(super) const MANUAL: &str = "manual";

/// Prefix of the metadata rows at the top of a CSV file (`scenario.id`, …);
/// the XLSX "Scenario" sheet uses the same keys without it.
pub(super) const CSV_META_PREFIX: &str = "scenario.";

/// An inject field a spreadsheet column can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Field {
    Key,
    Offset,
    Audience,
    Channel,
    TitleVi,
    TitleEn,
    BodyVi,
    BodyEn,
    PlaybookCategory,
    PlaybookStep,
    /// One part of the expectation in slot `n` (1-based): `exp{n}_{part}`.
    Expectation(u16, ExpectationPart),
}

/// The six columns of one expectation slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExpectationPart {
    Kind,
    Target,
    Points,
    Technique,
    DescriptionVi,
    DescriptionEn,
}

impl ExpectationPart {
    pub const ALL: [Self; 6] = [
        Self::Kind,
        Self::Target,
        Self::Points,
        Self::Technique,
        Self::DescriptionVi,
        Self::DescriptionEn,
    ];

    fn suffix(self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::Target => "target",
            Self::Points => "points",
            Self::Technique => "technique",
            Self::DescriptionVi => "desc_vi",
            Self::DescriptionEn => "desc_en",
        }
    }
}

/// The fields before the expectation slots, in column order.
const SIMPLE_FIELDS: [Field; 10] = [
    Field::Key,
    Field::Offset,
    Field::Audience,
    Field::Channel,
    Field::TitleVi,
    Field::TitleEn,
    Field::BodyVi,
    Field::BodyEn,
    Field::PlaybookCategory,
    Field::PlaybookStep,
];

/// Fields every imported sheet must have a column for (the key is generated
/// when there is none; playbook and expectations are optional).
pub(super) const REQUIRED_FIELDS: [Field; 7] = [
    Field::Offset,
    Field::Audience,
    Field::Channel,
    Field::TitleVi,
    Field::TitleEn,
    Field::BodyVi,
    Field::BodyEn,
];

impl Field {
    /// The column header our exports write, e.g. `title_vi`, `exp2_target`.
    pub fn name(self) -> String {
        match self {
            Field::Key => "key".into(),
            Field::Offset => "offset".into(),
            Field::Audience => "audience".into(),
            Field::Channel => "channel".into(),
            Field::TitleVi => "title_vi".into(),
            Field::TitleEn => "title_en".into(),
            Field::BodyVi => "body_vi".into(),
            Field::BodyEn => "body_en".into(),
            Field::PlaybookCategory => "playbook_category".into(),
            Field::PlaybookStep => "playbook_step".into(),
            Field::Expectation(slot, part) => format!("exp{slot}_{}", part.suffix()),
        }
    }

    /// The field an exact export header names (`exp2_target` → slot 2).
    pub fn parse(name: &str) -> Option<Field> {
        if let Some(field) = SIMPLE_FIELDS.iter().find(|f| f.name() == name) {
            return Some(*field);
        }
        let rest = name.strip_prefix("exp")?;
        let (slot, suffix) = rest.split_once('_')?;
        let slot: u16 = slot.parse().ok().filter(|s| *s >= 1)?;
        if slot.to_string() != slot_text(rest) {
            return None; // "exp01_kind" is not a name we write
        }
        let part = ExpectationPart::ALL
            .into_iter()
            .find(|p| p.suffix() == suffix)?;
        Some(Field::Expectation(slot, part))
    }
}

fn slot_text(rest: &str) -> &str {
    rest.split('_').next().unwrap_or_default()
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl TryFrom<String> for Field {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Field::parse(&name).ok_or_else(|| format!("`{name}` is not an MSEL column"))
    }
}

impl From<Field> for String {
    fn from(field: Field) -> Self {
        field.name()
    }
}

/// A cell as the writers see it. Counts are numbers so planners can sum
/// points in Excel; everything else is text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    Text(String),
    Number(u32),
}

impl Value {
    pub(super) fn text(text: &str) -> Self {
        Value::Text(text.to_owned())
    }

    pub(super) fn as_text(&self) -> String {
        match self {
            Value::Text(text) => text.clone(),
            Value::Number(n) => n.to_string(),
        }
    }
}

/// How many expectation slots the columns need: the most any inject has,
/// and at least one so a blank template still shows the columns.
pub(super) fn slots_needed(scenario: &Scenario) -> u16 {
    let most = scenario
        .injects
        .iter()
        .map(|i| i.expectations.len())
        .max()
        .unwrap_or(0);
    u16::try_from(most.max(1)).unwrap_or(u16::MAX)
}

/// The header row: the simple fields, then `slots` expectation slots.
pub(super) fn columns(slots: u16) -> Vec<Field> {
    let mut fields = SIMPLE_FIELDS.to_vec();
    for slot in 1..=slots {
        fields.extend(
            ExpectationPart::ALL
                .into_iter()
                .map(|part| Field::Expectation(slot, part)),
        );
    }
    fields
}

/// One inject as the cells of `columns(slots)`.
pub(super) fn inject_row(inject: &Inject, slots: u16) -> Vec<Value> {
    let mut row = vec![
        Value::text(inject.key.as_str()),
        Value::Text(match inject.release {
            Release::Scheduled { offset_secs } => format!("+{}", format_hms(offset_secs)),
            Release::Manual => MANUAL.to_owned(),
        }),
        Value::Text(inject.audience.to_string()),
        Value::text(inject.channel.as_str()),
        Value::text(&inject.title.vi),
        Value::text(&inject.title.en),
        Value::text(&inject.body.vi),
        Value::text(&inject.body.en),
    ];
    match inject.playbook_step {
        Some(step) => {
            row.push(Value::text(step.category.code()));
            row.push(Value::Number(step.step.get()));
        }
        None => row.extend([Value::text(""), Value::text("")]),
    }
    for slot in 0..usize::from(slots) {
        match inject.expectations.get(slot) {
            Some(expectation) => row.extend(expectation_cells(expectation)),
            None => row.extend(std::iter::repeat_n(Value::text(""), 6)),
        }
    }
    row
}

fn expectation_cells(expectation: &Expectation) -> [Value; 6] {
    let (vi, en) = match &expectation.description {
        Some(Bilingual { vi, en }) => (vi.as_str(), en.as_str()),
        None => ("", ""),
    };
    [
        Value::text(expectation.kind.as_str()),
        Value::Text(format_hms(expectation.target_secs)),
        Value::Number(expectation.points),
        Value::text(expectation.technique.as_ref().map_or("", |t| t.as_str())),
        Value::text(vi),
        Value::text(en),
    ]
}

/// The scenario metadata as `(key, value)` rows, in a fixed order.
pub(super) fn metadata(scenario: &Scenario) -> Vec<(String, Value)> {
    let list = |items: Vec<&str>| Value::Text(items.join(", "));
    let mut rows = vec![
        ("id".to_owned(), Value::text(scenario.id.as_str())),
        ("version".to_owned(), Value::Number(scenario.version.get())),
        ("title_vi".to_owned(), Value::text(&scenario.title.vi)),
        ("title_en".to_owned(), Value::text(&scenario.title.en)),
        ("summary_vi".to_owned(), Value::text(&scenario.summary.vi)),
        ("summary_en".to_owned(), Value::text(&scenario.summary.en)),
        ("category".to_owned(), Value::text(scenario.category.code())),
        (
            "techniques".to_owned(),
            list(scenario.techniques.iter().map(|t| t.as_str()).collect()),
        ),
        (
            "min_level".to_owned(),
            Value::Number(u32::from(scenario.min_level.get())),
        ),
        (
            "drill_kinds".to_owned(),
            list(scenario.drill_kinds.iter().map(|k| k.as_str()).collect()),
        ),
        (
            "duration".to_owned(),
            Value::Text(format_hms(scenario.duration_secs)),
        ),
    ];
    for (i, objective) in scenario.objectives.iter().enumerate() {
        let n = i + 1;
        rows.push((format!("objective_{n}_vi"), Value::text(&objective.vi)));
        rows.push((format!("objective_{n}_en"), Value::text(&objective.en)));
    }
    rows
}

/// `A`, `B`, …, `Z`, `AA`, … for a 0-based column index.
pub(super) fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_name_reads_back_as_its_field() {
        for field in columns(3) {
            assert_eq!(Field::parse(&field.name()), Some(field), "{field}");
        }
        assert_eq!(Field::parse("exp01_kind"), None);
        assert_eq!(Field::parse("exp0_kind"), None);
        assert_eq!(Field::parse("exp1_colour"), None);
    }

    #[test]
    fn column_letters_follow_excel() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}

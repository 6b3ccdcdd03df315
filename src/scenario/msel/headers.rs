//! Matching spreadsheet headers and keyword cells written by people:
//! case, Vietnamese diacritics, punctuation and spacing do not matter, and
//! the usual Vietnamese names are known (`Thời điểm` → offset, `Đội phòng
//! thủ` → blue). Also the column mapping a planner confirms before import.

use serde::{Deserialize, Serialize};

use super::layout::{ExpectationPart, Field};

/// Lowercase, without Vietnamese diacritics (`Đối tượng` → `doi tuong`).
/// Handles both precomposed (NFC) text and text with combining marks.
pub(super) fn fold(text: &str) -> String {
    const GROUPS: [(&str, char); 7] = [
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    text.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| {
            GROUPS
                .iter()
                .find(|(accented, _)| accented.contains(c))
                .map_or(c, |(_, base)| *base)
        })
        .collect()
}

/// A header reduced to words: folded, punctuation as spaces, and letters
/// split from digits (`Tiêu đề (VI)` → `tieu de vi`, `exp2_kind` →
/// `exp 2 kind`).
pub(super) fn header_words(header: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in fold(header).chars() {
        if c.is_alphanumeric() {
            let boundary = previous
                .is_some_and(|p| p.is_alphanumeric() && (p.is_ascii_digit() != c.is_ascii_digit()));
            if boundary {
                out.push(' ');
            }
            out.push(c);
            previous = Some(c);
        } else {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            previous = None;
        }
    }
    out.trim_end().to_owned()
}

/// A keyword cell reduced to `snake_case` (`Đội phòng thủ` → `doi_phong_thu`,
/// `Phone call` → `phone_call`).
pub(super) fn keyword_form(text: &str) -> String {
    header_words(text).replace(' ', "_")
}

/// Header names (as [`header_words`]) the importer recognises, beyond the
/// exact names our exports write.
const HEADER_ALIASES: &[(&str, Field)] = &[
    ("ma", Field::Key),
    ("ma tinh huong", Field::Key),
    ("ma inject", Field::Key),
    ("ma su kien", Field::Key),
    ("inject key", Field::Key),
    ("inject id", Field::Key),
    ("thoi diem", Field::Offset),
    ("thoi gian", Field::Offset),
    ("gio", Field::Offset),
    ("moc thoi gian", Field::Offset),
    ("thoi diem phat", Field::Offset),
    ("release", Field::Offset),
    ("release time", Field::Offset),
    ("doi tuong nhan", Field::Audience),
    ("doi tuong", Field::Audience),
    ("nguoi nhan", Field::Audience),
    ("noi nhan", Field::Audience),
    ("gui den", Field::Audience),
    ("recipient", Field::Audience),
    ("kenh", Field::Channel),
    ("kenh gui", Field::Channel),
    ("kenh truyen", Field::Channel),
    ("hinh thuc", Field::Channel),
    ("tieu de", Field::TitleVi),
    ("tieu de vi", Field::TitleVi),
    ("tieu de tieng viet", Field::TitleVi),
    ("ten tinh huong", Field::TitleVi),
    ("tieu de en", Field::TitleEn),
    ("tieu de tieng anh", Field::TitleEn),
    ("noi dung", Field::BodyVi),
    ("noi dung vi", Field::BodyVi),
    ("noi dung tieng viet", Field::BodyVi),
    ("noi dung en", Field::BodyEn),
    ("noi dung tieng anh", Field::BodyEn),
    ("loai su co", Field::PlaybookCategory),
    ("playbook", Field::PlaybookCategory),
    ("buoc", Field::PlaybookStep),
    ("buoc playbook", Field::PlaybookStep),
    ("buoc xu ly", Field::PlaybookStep),
    ("buoc ung cuu", Field::PlaybookStep),
    ("diem", Field::Expectation(1, ExpectationPart::Points)),
];

/// Words that open an expectation column (`exp 2 kind`, `ky vong 2 diem`).
const EXPECTATION_PREFIXES: &[&str] = &["exp", "expectation", "ky vong", "expected"];

const PART_ALIASES: &[(&str, ExpectationPart)] = &[
    ("kind", ExpectationPart::Kind),
    ("loai", ExpectationPart::Kind),
    ("target", ExpectationPart::Target),
    ("thoi han", ExpectationPart::Target),
    ("han", ExpectationPart::Target),
    ("points", ExpectationPart::Points),
    ("diem", ExpectationPart::Points),
    ("technique", ExpectationPart::Technique),
    ("ky thuat", ExpectationPart::Technique),
    ("", ExpectationPart::DescriptionVi),
    ("vi", ExpectationPart::DescriptionVi),
    ("desc vi", ExpectationPart::DescriptionVi),
    ("description vi", ExpectationPart::DescriptionVi),
    ("mo ta", ExpectationPart::DescriptionVi),
    ("mo ta vi", ExpectationPart::DescriptionVi),
    ("en", ExpectationPart::DescriptionEn),
    ("desc en", ExpectationPart::DescriptionEn),
    ("description en", ExpectationPart::DescriptionEn),
    ("mo ta en", ExpectationPart::DescriptionEn),
];

/// The field a header most likely names, if any.
pub(super) fn suggest(header: &str) -> Option<Field> {
    let words = header_words(header);
    if words.is_empty() {
        return None;
    }
    if let Some(field) = Field::parse(&words.replace(' ', "_").replacen("exp_", "exp", 1)) {
        return Some(field);
    }
    if let Some((_, field)) = HEADER_ALIASES.iter().find(|(alias, _)| *alias == words) {
        return Some(*field);
    }
    expectation_header(&words)
}

/// `exp 2 kind`, `ky vong 2 diem`, `ky vong` (slot 1 description), …
fn expectation_header(words: &str) -> Option<Field> {
    let rest = EXPECTATION_PREFIXES.iter().find_map(|prefix| {
        let rest = words.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with(' ')).then(|| rest.trim_start())
    })?;
    let (slot, part_words) = match rest.split_once(' ') {
        Some((number, tail)) if number.bytes().all(|b| b.is_ascii_digit()) => (number, tail),
        _ if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) => (rest, ""),
        _ => ("1", rest),
    };
    let slot: u16 = slot.parse().ok().filter(|s| *s >= 1)?;
    let (_, part) = PART_ALIASES
        .iter()
        .find(|(alias, _)| *alias == part_words)?;
    Some(Field::Expectation(slot, *part))
}

/// Which column a mapping rule is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnRef {
    /// 0-based position in the header row, as in [`Preview::headers`](super::Preview).
    Position(usize),
    /// The header text; matched like headers are (case, diacritics and
    /// punctuation do not matter).
    Header(String),
}

/// One confirmed choice of the column-mapping step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnRule {
    pub column: ColumnRef,
    /// `None` ignores the column even if its header looks like a field.
    pub field: Option<Field>,
}

/// The planner's answer to the column-mapping step. Columns without a rule
/// keep the suggestion the importer made from their header.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    /// 1-based row holding the headers; found automatically when `None`.
    #[serde(default)]
    pub header_row: Option<usize>,
    #[serde(default)]
    pub rules: Vec<ColumnRule>,
}

impl ColumnMapping {
    /// Maps the column with this header to `field`.
    pub fn map(mut self, header: &str, field: Field) -> Self {
        self.rules.push(ColumnRule {
            column: ColumnRef::Header(header.to_owned()),
            field: Some(field),
        });
        self
    }

    /// Ignores the column with this header.
    pub fn ignore(mut self, header: &str) -> Self {
        self.rules.push(ColumnRule {
            column: ColumnRef::Header(header.to_owned()),
            field: None,
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_vietnamese_diacritics_in_both_unicode_forms() {
        assert_eq!(fold("Đối tượng nhận"), "doi tuong nhan");
        assert_eq!(fold("THỜI ĐIỂM"), "thoi diem");
        // "ở" written as o + combining horn + combining hook above.
        assert_eq!(fold("o\u{31b}\u{309}"), "o");
    }

    #[test]
    fn vietnamese_and_export_headers_suggest_their_fields() {
        assert_eq!(suggest("Mã tình huống"), Some(Field::Key));
        assert_eq!(suggest(" thời  điểm "), Some(Field::Offset));
        assert_eq!(suggest("Đối tượng nhận"), Some(Field::Audience));
        assert_eq!(suggest("Tiêu đề (VI)"), Some(Field::TitleVi));
        assert_eq!(suggest("Tiêu đề (EN)"), Some(Field::TitleEn));
        assert_eq!(suggest("Nội dung"), Some(Field::BodyVi));
        assert_eq!(suggest("title_en"), Some(Field::TitleEn));
        assert_eq!(
            suggest("exp2_desc_en"),
            Some(Field::Expectation(2, ExpectationPart::DescriptionEn))
        );
        assert_eq!(
            suggest("Kỳ vọng 2 - Điểm"),
            Some(Field::Expectation(2, ExpectationPart::Points))
        );
        assert_eq!(
            suggest("Kỳ vọng"),
            Some(Field::Expectation(1, ExpectationPart::DescriptionVi))
        );
        assert_eq!(suggest("Ghi chú"), None);
        assert_eq!(suggest(""), None);
    }

    #[test]
    fn keyword_cells_are_reduced_to_snake_case() {
        assert_eq!(keyword_form(" Đội phòng thủ "), "doi_phong_thu");
        assert_eq!(keyword_form("Phone-Call"), "phone_call");
        assert_eq!(keyword_form("soc_alert"), "soc_alert");
    }
}

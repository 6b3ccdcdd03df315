//! A small reader over toml's spanned document tree (`toml::de::DeTable`).
//!
//! Why not `#[derive(Deserialize)]` with `deny_unknown_fields`? Serde stops
//! at the first error, and authors want every problem of a file in one run.
//! Walking the spanned tree lets each field report on its own and keeps the
//! exact position of every key and value.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::problem::{Diagnostics, Said, said};

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// A TOML table being read as one kind of record (`what`), with a closed
/// set of field names.
pub(crate) struct Table<'a, 'i> {
    entries: &'a DeTable<'i>,
    span: Range<usize>,
    what: Said,
}

impl<'a, 'i> Table<'a, 'i> {
    /// Opens `value` as a table, reporting a type error or any key not in
    /// `fields`.
    pub(crate) fn open(
        diag: &mut Diagnostics,
        value: &'a Value<'i>,
        what: Said,
        fields: &[&str],
    ) -> Option<Self> {
        let DeValue::Table(entries) = value.get_ref() else {
            let (found, found_vi) = type_name(value);
            let (what, what_vi) = (&what.en, &what.vi);
            diag.report(
                value.span(),
                said!(
                    "{what} must be a table, found {found}",
                    "{what_vi} phải là một bảng (table), nhưng đây là {found_vi}"
                ),
            );
            return None;
        };
        let table = Table {
            entries,
            span: value.span(),
            what,
        };
        table.report_unknown_fields(diag, fields);
        Some(table)
    }

    fn report_unknown_fields(&self, diag: &mut Diagnostics, fields: &[&str]) {
        for key in self.entries.keys() {
            let name = key.get_ref().as_ref();
            if fields.contains(&name) {
                continue;
            }
            let (what, what_vi) = (&self.what.en, &self.what.vi);
            let said = match closest(name, fields) {
                Some(near) => said!(
                    "unknown field `{name}` in {what}; did you mean `{near}`?",
                    "trường `{name}` không có trong {what_vi}; có phải ý bạn là `{near}`?"
                ),
                None => said!(
                    "unknown field `{name}` in {what}; allowed: {allowed}",
                    "trường `{name}` không có trong {what_vi}; các trường được phép: {allowed}",
                    allowed = fields.join(", ")
                ),
            };
            diag.report(key.span(), said);
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a Value<'i>> {
        self.entries.get(name)
    }

    /// The span of a key, for problems about the field as a whole.
    pub(crate) fn key_span(&self, name: &str) -> Option<Range<usize>> {
        self.entries.get_key_value(name).map(|(key, _)| key.span())
    }

    /// The field's value, or a "missing" problem at the table itself.
    pub(crate) fn require(&self, diag: &mut Diagnostics, name: &str) -> Option<&'a Value<'i>> {
        let value = self.get(name);
        if value.is_none() {
            let (what, what_vi) = (&self.what.en, &self.what.vi);
            diag.report(
                self.span.clone(),
                said!(
                    "missing `{name}` in {what}",
                    "thiếu `{name}` trong {what_vi}"
                ),
            );
        }
        value
    }

    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

pub(crate) fn string<'a>(
    diag: &mut Diagnostics,
    value: &'a Value<'_>,
    field: &str,
) -> Option<&'a str> {
    match value.get_ref() {
        DeValue::String(text) => Some(text.as_ref()),
        _ => {
            type_error(diag, value, field, said!("a string", "một chuỗi văn bản"));
            None
        }
    }
}

pub(crate) fn integer(diag: &mut Diagnostics, value: &Value<'_>, field: &str) -> Option<i64> {
    let DeValue::Integer(int) = value.get_ref() else {
        type_error(diag, value, field, said!("an integer", "một số nguyên"));
        return None;
    };
    let digits = int.as_str().replace('_', "");
    let parsed = i64::from_str_radix(&digits, int.radix()).ok();
    if parsed.is_none() {
        diag.report(
            value.span(),
            said!("`{field}` is too large", "`{field}` quá lớn"),
        );
    }
    parsed
}

pub(crate) fn boolean(diag: &mut Diagnostics, value: &Value<'_>, field: &str) -> Option<bool> {
    match value.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        _ => {
            type_error(diag, value, field, said!("a boolean", "true hoặc false"));
            None
        }
    }
}

pub(crate) fn array<'a, 'i>(
    diag: &mut Diagnostics,
    value: &'a Value<'i>,
    field: &str,
) -> Option<&'a [Value<'i>]> {
    match value.get_ref() {
        DeValue::Array(items) => Some(items),
        _ => {
            type_error(diag, value, field, said!("an array", "một danh sách [ … ]"));
            None
        }
    }
}

pub(crate) fn type_error(diag: &mut Diagnostics, value: &Value<'_>, field: &str, expected: Said) {
    let (found, found_vi) = type_name(value);
    let (expected, expected_vi) = (&expected.en, &expected.vi);
    diag.report(
        value.span(),
        said!(
            "`{field}` must be {expected}, found {found}",
            "`{field}` phải là {expected_vi}, nhưng đây là {found_vi}"
        ),
    );
}

/// The kind of a TOML value, in English and in Vietnamese.
pub(crate) fn type_name(value: &Value<'_>) -> (&'static str, &'static str) {
    match value.get_ref() {
        DeValue::String(_) => ("a string", "một chuỗi văn bản"),
        DeValue::Integer(_) => ("an integer", "một số nguyên"),
        DeValue::Float(_) => ("a float", "một số thập phân"),
        DeValue::Boolean(_) => ("a boolean", "giá trị true/false"),
        DeValue::Datetime(_) => ("a date-time", "một ngày giờ"),
        DeValue::Array(_) => ("an array", "một danh sách"),
        DeValue::Table(_) => ("a table", "một bảng (table)"),
    }
}

/// The allowed name nearest to a misspelt one, if it is near enough to be a
/// typo (one edit per three characters, so short names are not "corrected"
/// into unrelated ones).
fn closest<'f>(name: &str, allowed: &[&'f str]) -> Option<&'f str> {
    let tolerance = (name.chars().count() / 3).max(1);
    allowed
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= tolerance)
        .min()
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_field_names_get_a_suggestion() {
        assert_eq!(closest("ofset", &["offset", "manual"]), Some("offset"));
        assert_eq!(closest("offest", &["offset", "manual"]), Some("offset"));
        assert_eq!(closest("colour", &["offset", "manual"]), None);
        assert_eq!(closest("fr", &["vi", "en"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

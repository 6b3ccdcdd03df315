//! What the registry pages share: reading form fields into typed values (collecting
//! parse problems under the API's field names), turning store failures into field
//! messages, the organisation picker, and the registry-editor check.
//!
//! Business rules stay in `domain::registry`; this module only converts text.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::form::FormData;
use super::{ErrorsVm, PageCtx, PageError};
use crate::auth::CurrentUser;
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::store::StoreError;
use crate::store::orgs::Org;

/// Security levels as select options (text, like the form values they are compared to).
pub const LEVELS: [&str; 5] = ["1", "2", "3", "4", "5"];

/// Rows of certificates or steps offered empty below the filled ones.
pub const EXTRA_ROWS: usize = 3;

/// The signed-in user, who must be allowed to change the registry (else the 403 page).
pub fn require_editor(ctx: &PageCtx) -> Result<CurrentUser, PageError> {
    let me = ctx.require_user()?.clone();
    if me.user.role.may_edit_registry() {
        Ok(me)
    } else {
        Err(ctx.fail(AppError::Forbidden))
    }
}

/// A path id; anything that is not a UUID is a page that does not exist.
pub fn parse_id(ctx: &PageCtx, raw: &str) -> Result<Uuid, PageError> {
    raw.parse().map_err(|_| ctx.fail(AppError::NotFound))
}

/// Store failures a form can explain beside a field (duplicate name, unknown
/// reference) become field errors; "not found" and database failures become pages.
pub fn store_field_errors(ctx: &PageCtx, e: StoreError) -> Result<FieldErrors, PageError> {
    match e {
        StoreError::Conflict { .. } | StoreError::Invalid { .. } => {
            let app = AppError::from(e);
            Ok(app.fields().cloned().unwrap_or_default())
        }
        other => Err(ctx.fail(other)),
    }
}

/// Appends `more` to `errors`; a field keeps the first problem found (the parse error
/// of the form, before the domain rule that ran on a placeholder value).
pub fn merge(errors: &mut FieldErrors, more: FieldErrors) {
    for (field, e) in more.0 {
        errors.add(field, e.code, e.message);
    }
}

/// Field errors of one repeated row (`certificates.2.name` → `name` for row 2).
pub fn row_errors(errors: &FieldErrors, prefix: &str, index: usize) -> ErrorsVm {
    let head = format!("{prefix}.{index}.");
    let mut rows = FieldErrors::new();
    for (field, e) in &errors.0 {
        if let Some(rest) = field.strip_prefix(&head) {
            rows.add(rest, e.code, e.message.clone());
        }
    }
    ErrorsVm::from(&rows)
}

/// Shows the first problem of a list entry (`domains.3`) beside the list's textarea.
pub fn roll_up(errors: &mut FieldErrors, list: &str) {
    let head = format!("{list}.");
    let first = errors
        .0
        .iter()
        .find(|(k, _)| k.starts_with(&head))
        .map(|(_, e)| e.clone());
    if let Some(e) = first {
        errors.add(list, e.code, e.message);
    }
}

/// Reads form fields into typed values. Problems are recorded under the field's name
/// (the same names the JSON API uses), so the page can show them beside the input.
pub struct FormReader<'a> {
    form: &'a FormData,
    pub errors: FieldErrors,
}

impl<'a> FormReader<'a> {
    pub fn new(form: &'a FormData) -> Self {
        FormReader {
            form,
            errors: FieldErrors::new(),
        }
    }

    /// The raw text, as typed.
    pub fn text(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }

    pub fn opt(&self, name: &str) -> Option<String> {
        self.form.opt(name)
    }

    pub fn checked(&self, name: &str) -> bool {
        self.form.checked(name)
    }

    /// Non-empty lines of a textarea, trimmed.
    pub fn lines(&self, name: &str) -> Vec<String> {
        lines(self.form.get(name))
    }

    /// An optional date: empty is `None`; text that is no date is an error.
    pub fn date(&mut self, name: &str) -> Option<NaiveDate> {
        let raw = self.form.get(name).to_owned();
        self.date_value(name, &raw)
    }

    /// Like [`FormReader::date`] for a value read from a repeated row.
    pub fn date_value(&mut self, field: &str, raw: &str) -> Option<NaiveDate> {
        match parse_date(raw) {
            Ok(d) => d,
            Err(_) => {
                self.errors
                    .add(field, "invalid_date", "is not a valid date (dd/mm/yyyy)");
                None
            }
        }
    }

    /// A required code of an enumeration.
    pub fn choice<T: FromStr<Err = String>>(&mut self, name: &str) -> Option<T> {
        let raw = self.form.get(name).trim().to_owned();
        if raw.is_empty() {
            self.errors.add(name, "required", "must be chosen");
            return None;
        }
        self.code(name, &raw)
    }

    /// An optional code of an enumeration ("" is none).
    pub fn opt_choice<T: FromStr<Err = String>>(&mut self, name: &str) -> Option<T> {
        let raw = self.form.get(name).trim().to_owned();
        if raw.is_empty() {
            None
        } else {
            self.code(name, &raw)
        }
    }

    /// Every checked code of a checkbox group; unknown codes are an error.
    pub fn choices<T: FromStr<Err = String>>(&mut self, name: &str) -> Vec<T> {
        let raws: Vec<String> = self.form.all(name).into_iter().map(str::to_owned).collect();
        raws.iter().filter_map(|raw| self.code(name, raw)).collect()
    }

    pub fn code<T: FromStr<Err = String>>(&mut self, field: &str, raw: &str) -> Option<T> {
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(message) => {
                self.errors.add(field, "unknown_value", message);
                None
            }
        }
    }

    /// An optional reference ("" is none).
    pub fn opt_uuid(&mut self, name: &str) -> Option<Uuid> {
        let raw = self.form.get(name).trim().to_owned();
        if raw.is_empty() {
            return None;
        }
        match raw.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                self.errors.add(name, "invalid_reference", "no such item");
                None
            }
        }
    }

    /// Every value of a repeated field, by row.
    pub fn column(&self, name: &str) -> Vec<String> {
        self.form.all(name).into_iter().map(str::to_owned).collect()
    }
}

/// Accepts the ISO form a date input sends (`2026-11-21`) and the way people in
/// Vietnam type dates (`21/11/2026`). Impossible dates (`2026-02-30`) are refused.
pub fn parse_date(raw: &str) -> Result<Option<NaiveDate>, chrono::ParseError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map(Some)
}

pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A date as the forms show it (`dd/mm/yyyy`, how people in Vietnam write dates), or "".
pub fn form_date(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

/// An organisation in a picker or the tree list, indented by depth.
#[derive(Serialize, Clone, Debug)]
pub struct OrgOption {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub sector: Option<&'static str>,
    pub parent_name: Option<String>,
    pub depth: usize,
    /// Depth as a CSS class suffix (`depth-0` … `depth-6`): no inline styles (CSP).
    pub indent: usize,
    /// Indentation for `<option>` text, where CSS padding is not honoured.
    pub tree_prefix: String,
}

/// Orders organisations as a tree (parents before children, siblings by name).
/// Organisations whose parent the caller cannot see start a tree of their own.
pub fn org_tree(orgs: &[Org]) -> Vec<OrgOption> {
    let by_id: HashMap<Uuid, &Org> = orgs.iter().map(|o| (o.id, o)).collect();
    let mut children: BTreeMap<Option<Uuid>, Vec<&Org>> = BTreeMap::new();
    for o in orgs {
        let parent = o.parent_id.filter(|p| by_id.contains_key(p));
        children.entry(parent).or_default().push(o);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let mut out = Vec::with_capacity(orgs.len());
    // Depth-first with an explicit stack; the hierarchy is acyclic (store invariant),
    // and the `seen` set keeps a corrupted one from looping.
    let mut stack: Vec<(&Org, usize)> = children
        .get(&None)
        .map(|v| v.iter().rev().map(|o| (*o, 0)).collect())
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    while let Some((o, depth)) = stack.pop() {
        if !seen.insert(o.id) {
            continue;
        }
        out.push(OrgOption {
            id: o.id.to_string(),
            name: o.name.clone(),
            slug: o.slug.clone(),
            sector: o.sector.map(|s| s.code()),
            parent_name: o
                .parent_id
                .and_then(|p| by_id.get(&p))
                .map(|p| p.name.clone()),
            depth,
            indent: depth.min(6),
            tree_prefix: "\u{2003}".repeat(depth),
        });
        if let Some(kids) = children.get(&Some(o.id)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

/// The codes of an enumeration, for select options.
pub fn codes<T: Copy>(all: &[T], code: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| code(*v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_iso_and_vietnamese_order_and_impossible_ones_refused() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 21);
        assert_eq!(parse_date("2026-11-21"), Ok(d));
        assert_eq!(parse_date("21/11/2026"), Ok(d));
        assert_eq!(parse_date(""), Ok(None));
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("30/02/2026").is_err());
    }

    #[test]
    fn the_tree_lists_parents_before_children() {
        let org = |name: &str, parent: Option<Uuid>| Org {
            id: Uuid::now_v7(),
            slug: name.to_lowercase(),
            name: name.to_owned(),
            parent_id: parent,
            sector: None,
        };
        let root = org("Root", None);
        let b = org("B", Some(root.id));
        let a = org("A", Some(root.id));
        let a1 = org("A1", Some(a.id));
        let tree = org_tree(&[a1.clone(), b.clone(), root.clone(), a.clone()]);
        let names: Vec<(&str, usize)> = tree.iter().map(|o| (o.name.as_str(), o.depth)).collect();
        assert_eq!(names, vec![("Root", 0), ("A", 1), ("A1", 2), ("B", 1)]);
    }

    #[test]
    fn row_errors_keep_only_the_fields_of_that_row() {
        let mut e = FieldErrors::new();
        e.add("certificates.1.name", "required", "x");
        e.add("certificates.0.issuer", "too_long", "y");
        let row = row_errors(&e, "certificates", 1);
        assert!(row.0.contains_key("name"));
        assert_eq!(row.0.len(), 1);
    }
}

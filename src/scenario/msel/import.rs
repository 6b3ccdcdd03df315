//! Grid → [`Scenario`]: finds the metadata and the header row, applies the
//! column mapping, reads every cell into the model with a problem naming
//! its row and column, then runs the scenario file validator over the
//! result so an imported scenario obeys exactly the rules of a `.toml` file.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;

use super::super::model::{
    Audience, Bilingual, Channel, DrillKind, Expectation, ExpectationKind, IncidentCategory,
    Inject, Keyword, MAX_BODY_BYTES, PlaybookStep, Release, Scenario, SecurityLevel, Slug,
    TechniqueId,
};
use super::super::offset::format_hms;
use super::super::parse::{MAX_DURATION_SECS, parse_scenario};
use super::super::problem::{Said, said};
use super::super::write::to_toml;
use super::headers::{self, ColumnMapping, ColumnRef, fold, header_words, keyword_form};
use super::layout::{CSV_META_PREFIX, ExpectationPart, Field, REQUIRED_FIELDS, column_letter};
use super::problem::{ImportProblem, Place, capped};
use super::sheet::{Row, Sheet, Source};
use super::time::{DayStart, When, parse_offset, parse_span};
use super::{ImportOptions, MAX_INJECTS};

/// How far down the header row is looked for (title rows above it are
/// common in planners' sheets).
const HEADER_SEARCH_ROWS: usize = 30;

/// The inject table of a sheet once the header row is known.
pub(super) struct Table<'s> {
    pub sheet: &'s Sheet,
    /// `scenario.*` rows above the table.
    pub meta_rows: &'s [Row],
    pub header: &'s Row,
    /// The field each header position feeds, if any.
    pub columns: Vec<Option<Field>>,
    /// Each column's name for problems: its header, or its letter.
    pub labels: Vec<String>,
    /// The rows below the header.
    pub body: &'s [Row],
}

impl Table<'_> {
    pub(super) fn column_of(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|f| *f == Some(field))
    }

    fn label(&self, column: usize) -> String {
        self.labels
            .get(column)
            .cloned()
            .unwrap_or_else(|| column_letter(column))
    }
}

fn is_meta_row(row: &Row) -> bool {
    fold(row.cell(0).trim()).starts_with(CSV_META_PREFIX)
}

/// Finds the metadata rows, the header row and the column of each field.
pub(super) fn locate<'s>(
    sheet: &'s Sheet,
    mapping: Option<&ColumnMapping>,
) -> Result<Table<'s>, Vec<ImportProblem>> {
    let (table, problems) = locate_leniently(sheet, mapping)?;
    if problems.is_empty() {
        Ok(table)
    } else {
        Err(problems)
    }
}

/// Like [`locate`], but returns the table along with the problems of the
/// mapping (a missing or doubly mapped field), for the preview. Fails only
/// when there is no header row at all.
pub(super) fn locate_leniently<'s>(
    sheet: &'s Sheet,
    mapping: Option<&ColumnMapping>,
) -> Result<(Table<'s>, Vec<ImportProblem>), Vec<ImportProblem>> {
    let meta_end = sheet.rows.iter().take_while(|r| is_meta_row(r)).count();
    let (meta_rows, rest) = sheet.rows.split_at(meta_end);
    let header_index = match mapping.and_then(|m| m.header_row) {
        Some(number) => rest.iter().position(|r| r.number == number).ok_or_else(|| {
            vec![ImportProblem::at(
                &sheet.place(number),
                None,
                said!(
                    "the mapping names this row as the header row, but it is empty or holds scenario metadata",
                    "bảng ghép cột chọn dòng này làm dòng tiêu đề, nhưng dòng này trống hoặc chứa thông tin chung của kịch bản"
                ),
            )]
        })?,
        None => rest
            .iter()
            .take(HEADER_SEARCH_ROWS)
            .position(|r| r.cells.iter().filter_map(|c| headers::suggest(c)).count() >= 2)
            .unwrap_or(0),
    };
    let Some(header) = rest.get(header_index) else {
        let said = said!(
            "the sheet has no inject table: expected a header row (key, offset, audience, …) followed by one row per inject",
            "trang tính không có bảng tình huống: cần một dòng tiêu đề (mã, thời điểm, đối tượng nhận, …) rồi mỗi tình huống một dòng"
        );
        return Err(vec![ImportProblem {
            sheet: sheet.name.clone(),
            ..ImportProblem::file(said)
        }]);
    };
    let labels: Vec<String> = header
        .cells
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = h.trim();
            if h.is_empty() {
                column_letter(i)
            } else {
                h.to_owned()
            }
        })
        .collect();
    let mut problems = Vec::new();
    let place = sheet.place(header.number);
    let mut columns: Vec<Option<Field>> = vec![None; header.cells.len()];
    let mut suggested = HashSet::new();
    for (i, cell) in header.cells.iter().enumerate() {
        // When two headers look like the same field, the first one wins;
        // the mapping step shows the other as unmapped.
        if let Some(field) = headers::suggest(cell).filter(|f| suggested.insert(*f)) {
            columns[i] = Some(field);
        }
    }
    for rule in mapping.map(|m| m.rules.as_slice()).unwrap_or_default() {
        let found = match &rule.column {
            ColumnRef::Position(i) => (*i < columns.len()).then_some(*i),
            ColumnRef::Header(name) => {
                let wanted = header_words(name);
                header.cells.iter().position(|h| header_words(h) == wanted)
            }
        };
        match found {
            Some(i) => columns[i] = rule.field,
            None => {
                let (column, column_vi) = match &rule.column {
                    ColumnRef::Position(i) => (
                        format!("{} (position {i})", column_letter(*i)),
                        format!("{} (vị trí {i})", column_letter(*i)),
                    ),
                    ColumnRef::Header(name) => (format!("\"{name}\""), format!("\"{name}\"")),
                };
                problems.push(ImportProblem::at(
                    &place,
                    None,
                    said!(
                        "the column mapping names column {column}, which the header row does not have",
                        "bảng ghép cột nêu cột {column_vi}, nhưng dòng tiêu đề không có cột này"
                    ),
                ));
            }
        }
    }
    let mut first_column: HashMap<Field, usize> = HashMap::new();
    for (i, field) in columns.iter().enumerate() {
        let Some(field) = field else { continue };
        if let Some(first) = first_column.get(field) {
            problems.push(ImportProblem::at(
                &place,
                Some(labels[i].clone()),
                said!(
                    "both this column and \"{other}\" are mapped to `{field}`; map one of them to another field or ignore it",
                    "cả cột này và cột \"{other}\" đều được ghép vào `{field}`; hãy ghép một cột sang trường khác hoặc bỏ qua nó",
                    other = &labels[*first]
                ),
            ));
        } else {
            first_column.insert(*field, i);
        }
    }
    for field in REQUIRED_FIELDS {
        if !first_column.contains_key(&field) {
            problems.push(ImportProblem::at(
                &place,
                None,
                said!(
                    "no column holds `{field}` ({what}); map one in the column-mapping step",
                    "không có cột nào chứa `{field}` ({what_vi}); hãy ghép một cột ở bước ghép cột",
                    what = describe(field).0,
                    what_vi = describe(field).1
                ),
            ));
        }
    }
    let table = Table {
        sheet,
        meta_rows,
        header,
        columns,
        labels,
        body: &rest[header_index + 1..],
    };
    Ok((table, problems))
}

/// What a required field holds, in English and in Vietnamese.
fn describe(field: Field) -> (&'static str, &'static str) {
    match field {
        Field::Offset => (
            "release time, e.g. +01:30:00, H+2 or D+1 08:30",
            "thời điểm phát, ví dụ +01:30:00, H+2 hoặc D+1 08:30",
        ),
        Field::Audience => (
            "who receives the inject: all, blue, red, controllers or team:SLOT",
            "ai nhận tình huống: all, blue, red, controllers hoặc team:SLOT",
        ),
        Field::Channel => (
            "soc_alert, email, phone_call, news, ticket or situation_update",
            "soc_alert, email, phone_call, news, ticket hoặc situation_update",
        ),
        Field::TitleVi => ("the Vietnamese title", "tiêu đề tiếng Việt"),
        Field::TitleEn => ("the English title", "tiêu đề tiếng Anh"),
        Field::BodyVi => (
            "the Vietnamese text of the inject",
            "nội dung tiếng Việt của tình huống",
        ),
        Field::BodyEn => (
            "the English text of the inject",
            "nội dung tiếng Anh của tình huống",
        ),
        _ => ("an inject field", "một trường của tình huống"),
    }
}

/// The whole import: a scenario, or every problem found (capped).
pub(super) fn build(
    source: &Source,
    options: &ImportOptions<'_>,
) -> Result<Scenario, Vec<ImportProblem>> {
    let table = locate(&source.msel, options.mapping)?;
    check_sheet_features(&table, source)?;
    let mut problems = Vec::new();

    let data_rows: Vec<&Row> = table
        .body
        .iter()
        .filter(|row| {
            table
                .columns
                .iter()
                .enumerate()
                .any(|(i, f)| f.is_some() && !row.cell(i).trim().is_empty())
        })
        .collect();
    let unread = source
        .msel
        .total_rows
        .saturating_sub(source.msel.rows.len());
    let inject_count = data_rows.len() + unread;
    if inject_count > MAX_INJECTS {
        return Err(vec![ImportProblem::file(said!(
            "the file has {inject_count} inject rows; a scenario holds at most {MAX_INJECTS} injects. Split it into several scenarios",
            "tệp có {inject_count} dòng tình huống; mỗi kịch bản có tối đa {MAX_INJECTS} tình huống. Hãy tách thành nhiều kịch bản"
        ))]);
    }
    if data_rows.is_empty() {
        problems.push(ImportProblem::at(
            &source.msel.place(table.header.number),
            None,
            said!(
                "there are no inject rows below the header row",
                "không có dòng tình huống nào dưới dòng tiêu đề"
            ),
        ));
    }

    let entries = metadata_entries(&table, source, &mut problems);
    let head = if entries.is_empty() {
        match options.metadata {
            Some(base) => Some(Head::of(base)),
            None => {
                problems.push(ImportProblem::file(said!(
                    "the file has no scenario metadata (the `scenario.*` rows at the top of a CSV file, or the \"Scenario\" sheet of a workbook); add them, or import the injects into an existing scenario",
                    "tệp không có thông tin chung của kịch bản (các dòng `scenario.*` ở đầu tệp CSV, hoặc trang tính \"Scenario\" của sổ tính); hãy bổ sung, hoặc nhập các tình huống vào một kịch bản đã có"
                )));
                None
            }
        }
    } else {
        read_head(&entries, &mut problems)
    };

    let mut reader = InjectReader {
        table: &table,
        head: head.as_ref(),
        day_start: options.day_start,
        problems: &mut problems,
        keys: HashMap::new(),
    };
    let mut injects = Vec::with_capacity(data_rows.len());
    let mut places = Vec::with_capacity(data_rows.len());
    for (i, row) in data_rows.iter().enumerate() {
        if let Some(inject) = reader.inject(row, i + 1) {
            injects.push(inject);
            places.push(row.number);
        }
    }
    if !problems.is_empty() {
        return Err(capped(problems));
    }
    let Some(head) = head else {
        return Err(vec![ImportProblem::file(said!(
            "the scenario metadata could not be read",
            "không đọc được thông tin chung của kịch bản"
        ))]);
    };
    let scenario = head.with_injects(injects);
    gate(scenario, &table, &places)
}

/// Formulas and merged cells in the part of an XLSX sheet that is read.
fn check_sheet_features(table: &Table<'_>, source: &Source) -> Result<(), Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let first_row = table
        .meta_rows
        .first()
        .map_or(table.header.number, |r| r.number);
    let sheets =
        std::iter::once((&source.msel, first_row)).chain(source.scenario.iter().map(|s| (s, 1)));
    for (sheet, from_row) in sheets {
        for merge in sheet.merged.iter().filter(|m| m.last_row >= from_row) {
            problems.push(ImportProblem::at(
                &sheet.place(merge.first_row),
                None,
                said!(
                    "cells {range} are merged; unmerge them and write the value in every row it applies to",
                    "các ô {range} đang được gộp; hãy bỏ gộp và ghi giá trị vào từng dòng cần dùng",
                    range = &merge.range
                ),
            ));
        }
        for formula in sheet.formulas.iter().filter(|f| f.row >= from_row) {
            problems.push(ImportProblem::at(
                &sheet.place(formula.row),
                None,
                said!(
                    "cell {cell} holds a formula (={text}); imports read only typed values, so copy the cells and use Paste Values before importing",
                    "ô {cell} chứa công thức (={text}); chức năng nhập chỉ đọc giá trị đã gõ, nên hãy sao chép các ô rồi dùng Dán giá trị (Paste Values) trước khi nhập",
                    cell = &formula.cell,
                    text = formula.formula.trim_start_matches('=')
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(capped(problems))
    }
}

/// One `key = value` of the scenario metadata and where it was written.
struct MetaEntry {
    place: Place,
    /// The key as written, for problems.
    label: String,
    key: String,
    value: String,
}

fn metadata_entries(
    table: &Table<'_>,
    source: &Source,
    problems: &mut Vec<ImportProblem>,
) -> Vec<MetaEntry> {
    let mut entries = Vec::new();
    let mut add = |sheet: &Sheet, row: &Row, key: &str| {
        let place = sheet.place(row.number);
        let label = row.cell(0).trim().to_owned();
        if key.contains([',', ';', '\t']) || row.cells.iter().skip(2).any(|c| !c.trim().is_empty())
        {
            problems.push(ImportProblem::at(
                &place,
                Some(label),
                said!(
                    "a metadata row holds two cells, a key and a value; this one has more. Does the file mix delimiters (`,` and `;`)?",
                    "một dòng thông tin chung có hai ô, tên trường và giá trị; dòng này có nhiều hơn. Tệp có dùng lẫn dấu phân cách (`,` và `;`) không?"
                ),
            ));
            return;
        }
        entries.push(MetaEntry {
            place,
            label,
            key: key.to_owned(),
            value: row.cell(1).to_owned(),
        });
    };
    for row in table.meta_rows {
        let folded = fold(row.cell(0).trim());
        let key = folded.strip_prefix(CSV_META_PREFIX).unwrap_or(&folded);
        add(table.sheet, row, key);
    }
    if let Some(sheet) = &source.scenario {
        for (i, row) in sheet.rows.iter().enumerate() {
            let key = fold(row.cell(0).trim());
            if i == 0 && key == "field" {
                continue; // the header row
            }
            let key = key.strip_prefix(CSV_META_PREFIX).unwrap_or(&key).to_owned();
            add(sheet, row, &key);
        }
    }
    entries
}

/// Everything of a scenario but its injects.
struct Head {
    id: Slug,
    version: NonZeroU32,
    title: Bilingual,
    summary: Bilingual,
    category: IncidentCategory,
    techniques: Vec<TechniqueId>,
    min_level: SecurityLevel,
    drill_kinds: Vec<DrillKind>,
    duration_secs: u32,
    objectives: Vec<Bilingual>,
}

impl Head {
    fn of(scenario: &Scenario) -> Self {
        Head {
            id: scenario.id.clone(),
            version: scenario.version,
            title: scenario.title.clone(),
            summary: scenario.summary.clone(),
            category: scenario.category,
            techniques: scenario.techniques.clone(),
            min_level: scenario.min_level,
            drill_kinds: scenario.drill_kinds.clone(),
            duration_secs: scenario.duration_secs,
            objectives: scenario.objectives.clone(),
        }
    }

    fn with_injects(self, injects: Vec<Inject>) -> Scenario {
        Scenario {
            id: self.id,
            version: self.version,
            title: self.title,
            summary: self.summary,
            category: self.category,
            techniques: self.techniques,
            min_level: self.min_level,
            drill_kinds: self.drill_kinds,
            duration_secs: self.duration_secs,
            objectives: self.objectives,
            injects,
        }
    }
}

const META_KEYS: &[&str] = &[
    "id",
    "version",
    "title_vi",
    "title_en",
    "summary_vi",
    "summary_en",
    "category",
    "techniques",
    "min_level",
    "drill_kinds",
    "duration",
];

fn read_head(entries: &[MetaEntry], problems: &mut Vec<ImportProblem>) -> Option<Head> {
    let mut by_key: HashMap<&str, &MetaEntry> = HashMap::new();
    let mut objectives: Vec<(u32, Option<&MetaEntry>, Option<&MetaEntry>)> = Vec::new();
    for entry in entries {
        let known = META_KEYS.contains(&entry.key.as_str()) || objective_key(&entry.key).is_some();
        if !known {
            problems.push(ImportProblem::at(
                &entry.place,
                Some(entry.label.clone()),
                said!(
                    "unknown scenario field `{key}`; known: {known}, objective_N_vi, objective_N_en",
                    "trường `{key}` của kịch bản không hợp lệ; các trường hợp lệ: {known}, objective_N_vi, objective_N_en",
                    key = &entry.key,
                    known = META_KEYS.join(", ")
                ),
            ));
            continue;
        }
        if let Some(first) = by_key.insert(&entry.key, entry) {
            problems.push(ImportProblem::at(
                &entry.place,
                Some(entry.label.clone()),
                said!(
                    "`{key}` is given twice (also on row {row})",
                    "`{key}` được ghi hai lần (cả ở dòng {row})",
                    key = &entry.key,
                    row = first.place.row
                ),
            ));
        }
        if let Some((n, vi)) = objective_key(&entry.key) {
            let slot = match objectives.iter().position(|(m, _, _)| *m == n) {
                Some(i) => i,
                None => {
                    objectives.push((n, None, None));
                    objectives.len() - 1
                }
            };
            if vi {
                objectives[slot].1 = Some(entry);
            } else {
                objectives[slot].2 = Some(entry);
            }
        }
    }
    let before = problems.len();
    let mut get = |key: &str| -> Option<&MetaEntry> {
        let found = by_key.get(key).copied();
        if found.is_none() {
            problems.push(ImportProblem::file(said!(
                "the scenario metadata has no `{key}`",
                "thông tin chung của kịch bản thiếu `{key}`"
            )));
        }
        found
    };
    let id = get("id");
    let version = get("version");
    let title = (get("title_vi"), get("title_en"));
    let summary = (get("summary_vi"), get("summary_en"));
    let category = get("category");
    let techniques = get("techniques");
    let min_level = get("min_level");
    let drill_kinds = get("drill_kinds");
    let duration = get("duration");

    let mut check = |entry: Option<&MetaEntry>, read: &dyn Fn(&str) -> Result<MetaValue, Said>| {
        let entry = entry?;
        match read(&entry.value) {
            Ok(value) => Some(value),
            Err(said) => {
                problems.push(ImportProblem::at(
                    &entry.place,
                    Some(entry.label.clone()),
                    said,
                ));
                None
            }
        }
    };
    let id = check(id, &|v| slug(v, "id").map(MetaValue::Slug));
    let version = check(version, &|v| {
        whole(v)
            .and_then(|n| {
                NonZeroU32::new(n).ok_or_else(|| {
                    said!(
                        "`version` must be at least 1",
                        "`version` phải từ 1 trở lên"
                    )
                })
            })
            .map(MetaValue::Version)
    });
    let title_vi = check(title.0, &|v| text(v, None).map(MetaValue::Text));
    let title_en = check(title.1, &|v| text(v, None).map(MetaValue::Text));
    let summary_vi = check(summary.0, &|v| text(v, None).map(MetaValue::Text));
    let summary_en = check(summary.1, &|v| text(v, None).map(MetaValue::Text));
    let category = check(category, &|v| {
        keyword(v, "category", CATEGORY_ALIASES).map(MetaValue::Category)
    });
    let techniques = check(techniques, &|v| {
        technique_list(v).map(MetaValue::Techniques)
    });
    let min_level = check(min_level, &|v| {
        let n = whole(v)?;
        SecurityLevel::new(i64::from(n))
            .ok()
            .map(MetaValue::Level)
            .ok_or_else(|| {
                said!(
                    "`min_level` must be a security level between 1 and 5, found {n}",
                    "`min_level` phải là cấp độ an toàn từ 1 đến 5, nhưng đây là {n}"
                )
            })
    });
    let drill_kinds = check(drill_kinds, &|v| drill_kind_list(v).map(MetaValue::Kinds));
    let duration = check(duration, &|v| {
        let secs = parse_span(v)?;
        if secs == 0 {
            return Err(said!(
                "`duration` must be more than zero",
                "`duration` phải lớn hơn 0"
            ));
        }
        if secs > MAX_DURATION_SECS {
            return Err(said!(
                "`duration` must be at most {limit} (14 days)",
                "`duration` tối đa là {limit} (14 ngày)",
                limit = format_hms(MAX_DURATION_SECS)
            ));
        }
        Ok(MetaValue::Secs(secs))
    });
    objectives.sort_by_key(|(n, _, _)| *n);
    if objectives.is_empty() {
        problems.push(ImportProblem::file(said!(
            "the scenario metadata has no objective; add `objective_1_vi` and `objective_1_en`",
            "thông tin chung của kịch bản chưa có mục tiêu nào; hãy thêm `objective_1_vi` và `objective_1_en`"
        )));
    }
    let mut read_objectives = Vec::new();
    for (n, vi, en) in &objectives {
        let mut language = |entry: &Option<&MetaEntry>, code: &str| match entry {
            None => {
                let other = vi.or(*en);
                if let Some(other) = other {
                    problems.push(ImportProblem::at(
                        &other.place,
                        Some(other.label.clone()),
                        said!(
                            "objective {n} has no `objective_{n}_{code}`; both languages are required",
                            "mục tiêu {n} thiếu `objective_{n}_{code}`; cần cả hai ngôn ngữ"
                        ),
                    ));
                }
                None
            }
            Some(entry) => match text(&entry.value, None) {
                Ok(text) => Some(text),
                Err(said) => {
                    problems.push(ImportProblem::at(
                        &entry.place,
                        Some(entry.label.clone()),
                        said,
                    ));
                    None
                }
            },
        };
        let vi = language(vi, "vi");
        let en = language(en, "en");
        if let (Some(vi), Some(en)) = (vi, en) {
            read_objectives.push(Bilingual { vi, en });
        }
    }
    if problems.len() > before {
        return None;
    }
    Some(Head {
        id: id?.slug()?,
        version: version?.version()?,
        title: Bilingual {
            vi: title_vi?.text()?,
            en: title_en?.text()?,
        },
        summary: Bilingual {
            vi: summary_vi?.text()?,
            en: summary_en?.text()?,
        },
        category: category?.category()?,
        techniques: techniques?.techniques()?,
        min_level: min_level?.level()?,
        drill_kinds: drill_kinds?.kinds()?,
        duration_secs: duration?.secs()?,
        objectives: read_objectives,
    })
}

/// `objective_3_vi` → (3, true).
fn objective_key(key: &str) -> Option<(u32, bool)> {
    let rest = key.strip_prefix("objective_")?;
    let (n, code) = rest.split_once('_')?;
    let n: u32 = n.parse().ok().filter(|n| *n >= 1)?;
    match code {
        "vi" => Some((n, true)),
        "en" => Some((n, false)),
        _ => None,
    }
}

/// The value of one metadata cell once read; lets one closure type read
/// every key.
enum MetaValue {
    Slug(Slug),
    Version(NonZeroU32),
    Text(String),
    Category(IncidentCategory),
    Techniques(Vec<TechniqueId>),
    Level(SecurityLevel),
    Kinds(Vec<DrillKind>),
    Secs(u32),
}

impl MetaValue {
    fn slug(self) -> Option<Slug> {
        if let MetaValue::Slug(v) = self {
            Some(v)
        } else {
            None
        }
    }
    fn version(self) -> Option<NonZeroU32> {
        if let MetaValue::Version(v) = self {
            Some(v)
        } else {
            None
        }
    }
    fn text(self) -> Option<String> {
        if let MetaValue::Text(v) = self {
            Some(v)
        } else {
            None
        }
    }
    fn category(self) -> Option<IncidentCategory> {
        if let MetaValue::Category(v) = self {
            Some(v)
        } else {
            None
        }
    }
    fn techniques(self) -> Option<Vec<TechniqueId>> {
        if let MetaValue::Techniques(v) = self {
            Some(v)
        } else {
            None
        }
    }
    fn level(self) -> Option<SecurityLevel> {
        if let MetaValue::Level(v) = self {
            Some(v)
        } else {
            None
        }
    }
    fn kinds(self) -> Option<Vec<DrillKind>> {
        if let MetaValue::Kinds(v) = self {
            Some(v)
        } else {
            None
        }
    }
    fn secs(self) -> Option<u32> {
        if let MetaValue::Secs(v) = self {
            Some(v)
        } else {
            None
        }
    }
}

/// Reads the cells of one inject row.
struct InjectReader<'t, 'p> {
    table: &'t Table<'t>,
    head: Option<&'t Head>,
    day_start: DayStart,
    problems: &'p mut Vec<ImportProblem>,
    /// Keys seen so far, with their rows.
    keys: HashMap<String, usize>,
}

impl InjectReader<'_, '_> {
    /// The cell of `field` in `row` (`None` when no column holds the field)
    /// and the column's label.
    fn cell<'r>(&self, row: &'r Row, field: Field) -> Option<(&'r str, String)> {
        let column = self.table.column_of(field)?;
        Some((row.cell(column), self.table.label(column)))
    }

    fn report(&mut self, row: &Row, label: Option<String>, said: Said) {
        let place = self.table.sheet.place(row.number);
        self.problems.push(ImportProblem::at(&place, label, said));
    }

    /// Reads a required cell with `read`, reporting what is wrong.
    fn required<T>(
        &mut self,
        row: &Row,
        field: Field,
        read: impl FnOnce(&str) -> Result<T, Said>,
    ) -> Option<T> {
        let (value, label) = self.cell(row, field)?;
        if value.trim().is_empty() {
            self.report(
                row,
                Some(label),
                said!("`{field}` is empty", "`{field}` đang để trống"),
            );
            return None;
        }
        match read(value) {
            Ok(v) => Some(v),
            Err(said) => {
                self.report(row, Some(label), said);
                None
            }
        }
    }

    /// Reads an optional cell: `Some(None)` when blank or absent, `None`
    /// when invalid.
    fn optional<T>(
        &mut self,
        row: &Row,
        field: Field,
        read: impl FnOnce(&str) -> Result<T, Said>,
    ) -> Option<Option<T>> {
        match self.cell(row, field) {
            None => Some(None),
            Some((value, _)) if value.trim().is_empty() => Some(None),
            Some((value, label)) => match read(value) {
                Ok(v) => Some(Some(v)),
                Err(said) => {
                    self.report(row, Some(label), said);
                    None
                }
            },
        }
    }

    fn inject(&mut self, row: &Row, position: usize) -> Option<Inject> {
        if let Some(width) = self
            .table
            .sheet
            .delimiter
            .map(|_| self.table.header.cells.len())
        {
            if row.cells.len() < width {
                let Said {
                    en: hint,
                    vi: hint_vi,
                } = mixed_delimiter_hint(row, self.table.sheet.delimiter);
                self.report(
                    row,
                    None,
                    said!(
                        "the row has {count} cells but the header row has {width}{hint}",
                        "dòng có {count} ô nhưng dòng tiêu đề có {width}{hint_vi}",
                        count = row.cells.len()
                    ),
                );
                return None;
            }
            if let Some(extra) = row
                .cells
                .iter()
                .skip(width)
                .position(|c| !c.trim().is_empty())
            {
                let Said {
                    en: hint,
                    vi: hint_vi,
                } = mixed_delimiter_hint(row, self.table.sheet.delimiter);
                self.report(
                    row,
                    Some(column_letter(width + extra)),
                    said!(
                        "the cell is right of the last header column{hint}",
                        "ô nằm bên phải cột tiêu đề cuối cùng{hint_vi}"
                    ),
                );
                return None;
            }
        }
        let key = match self.cell(row, Field::Key) {
            Some((value, _)) if value.trim().is_empty() => generated_key(position),
            None => generated_key(position),
            Some(_) => self.required(row, Field::Key, |v| slug(v, "key")),
        };
        let key = key.and_then(|key| {
            if let Some(first) = self.keys.insert(key.as_str().to_owned(), row.number) {
                let label = self.cell(row, Field::Key).map(|(_, l)| l);
                self.report(
                    row,
                    label,
                    said!(
                        "key `{key}` is already used on row {first}; keys must be unique",
                        "mã `{key}` đã dùng ở dòng {first}; mỗi mã chỉ dùng một lần"
                    ),
                );
                return None;
            }
            Some(key)
        });
        let day_start = self.day_start;
        let duration = self.head.map(|h| h.duration_secs);
        let release = self.required(row, Field::Offset, |v| match parse_offset(v, day_start)? {
            When::Manual => Ok(Release::Manual),
            When::At(secs) => match duration.filter(|limit| secs > *limit) {
                Some(limit) => Err(said!(
                    "offset +{offset} is beyond the planned duration {limit}",
                    "thời điểm +{offset} vượt quá thời lượng dự kiến {limit}",
                    offset = format_hms(secs),
                    limit = format_hms(limit)
                )),
                None => Ok(Release::Scheduled { offset_secs: secs }),
            },
        });
        let audience = self.required(row, Field::Audience, audience);
        let channel = self.required(row, Field::Channel, |v| {
            keyword(v, "channel", CHANNEL_ALIASES)
        });
        let title_vi = self.required(row, Field::TitleVi, |v| text(v, None));
        let title_en = self.required(row, Field::TitleEn, |v| text(v, None));
        let body_vi = self.required(row, Field::BodyVi, |v| text(v, Some(MAX_BODY_BYTES)));
        let body_en = self.required(row, Field::BodyEn, |v| text(v, Some(MAX_BODY_BYTES)));
        let playbook_step = self.playbook_step(row);
        let expectations = self.expectations(row);
        Some(Inject {
            key: key?,
            release: release?,
            audience: audience?,
            channel: channel?,
            title: Bilingual {
                vi: title_vi?,
                en: title_en?,
            },
            body: Bilingual {
                vi: body_vi?,
                en: body_en?,
            },
            playbook_step: playbook_step?,
            expectations: expectations?,
        })
    }

    fn playbook_step(&mut self, row: &Row) -> Option<Option<PlaybookStep>> {
        let category = self.optional(row, Field::PlaybookCategory, |v| {
            keyword(v, "playbook_category", CATEGORY_ALIASES)
        });
        let step = self.optional(row, Field::PlaybookStep, |v| {
            whole(v).and_then(|n| {
                NonZeroU32::new(n)
                    .ok_or_else(|| said!("the step must be at least 1", "bước phải từ 1 trở lên"))
            })
        });
        match (category?, step?) {
            (None, None) => Some(None),
            (Some(category), Some(step)) => Some(Some(PlaybookStep { category, step })),
            (Some(_), None) => {
                let label = self.cell(row, Field::PlaybookStep).map(|(_, l)| l);
                self.report(
                    row,
                    label,
                    said!(
                        "`playbook_category` is given but `playbook_step` is not; give both or neither",
                        "có `playbook_category` nhưng thiếu `playbook_step`; hãy ghi cả hai hoặc bỏ cả hai"
                    ),
                );
                None
            }
            (None, Some(_)) => {
                let label = self.cell(row, Field::PlaybookCategory).map(|(_, l)| l);
                self.report(
                    row,
                    label,
                    said!(
                        "`playbook_step` is given but `playbook_category` is not; give both or neither",
                        "có `playbook_step` nhưng thiếu `playbook_category`; hãy ghi cả hai hoặc bỏ cả hai"
                    ),
                );
                None
            }
        }
    }

    fn expectations(&mut self, row: &Row) -> Option<Vec<Expectation>> {
        let mut slots: Vec<u16> = self
            .table
            .columns
            .iter()
            .filter_map(|f| match f {
                Some(Field::Expectation(slot, _)) => Some(*slot),
                _ => None,
            })
            .collect();
        slots.sort_unstable();
        slots.dedup();
        let mut expectations = Vec::new();
        let mut complete = true;
        for slot in slots {
            match self.expectation(row, slot) {
                Some(Some(expectation)) => expectations.push(expectation),
                Some(None) => {}
                None => complete = false,
            }
        }
        complete.then_some(expectations)
    }

    /// `Some(None)` when the slot is blank in this row.
    fn expectation(&mut self, row: &Row, slot: u16) -> Option<Option<Expectation>> {
        let part = |p| Field::Expectation(slot, p);
        let blank = ExpectationPart::ALL.into_iter().all(|p| {
            self.cell(row, part(p))
                .is_none_or(|(v, _)| v.trim().is_empty())
        });
        if blank {
            return Some(None);
        }
        let missing = |reader: &mut Self, p: ExpectationPart| {
            if reader.cell(row, part(p)).is_none() {
                reader.report(
                    row,
                    None,
                    said!(
                        "expectation {slot} has no `{field}` column; map one, or clear the other cells of expectation {slot}",
                        "yêu cầu đánh giá {slot} không có cột `{field}`; hãy ghép một cột, hoặc xoá các ô khác của yêu cầu {slot}",
                        field = part(p)
                    ),
                );
            }
        };
        missing(self, ExpectationPart::Kind);
        missing(self, ExpectationPart::Target);
        missing(self, ExpectationPart::Points);
        let kind = self.required(row, part(ExpectationPart::Kind), |v| {
            keyword(v, "kind", KIND_ALIASES)
        });
        let target = self.required(row, part(ExpectationPart::Target), |v| {
            let secs = parse_span(v)?;
            if secs == 0 {
                Err(said!(
                    "the target must be more than zero",
                    "thời hạn phải lớn hơn 0"
                ))
            } else {
                Ok(secs)
            }
        });
        let points = self.required(row, part(ExpectationPart::Points), whole);
        let listed = self.head.map(|h| h.techniques.as_slice());
        let technique = self.optional(row, part(ExpectationPart::Technique), |v| {
            let id = technique(v)?;
            match listed {
                Some(listed) if !listed.contains(&id) => Err(said!(
                    "technique {id} is not listed in the scenario's `techniques`",
                    "kỹ thuật {id} không có trong danh sách `techniques` của kịch bản"
                )),
                _ => Ok(id),
            }
        });
        if kind == Some(ExpectationKind::Detect) && technique == Some(None) {
            let label = self
                .cell(row, part(ExpectationPart::Technique))
                .map(|(_, l)| l);
            self.report(
                row,
                label,
                said!(
                    "expectation {slot} is `detect` and needs a technique (the ATT&CK id to detect)",
                    "yêu cầu đánh giá {slot} là `detect` nên cần một kỹ thuật (mã ATT&CK cần phát hiện)"
                ),
            );
            return None;
        }
        let vi = self.optional(row, part(ExpectationPart::DescriptionVi), |v| text(v, None));
        let en = self.optional(row, part(ExpectationPart::DescriptionEn), |v| text(v, None));
        let description = match (vi?, en?) {
            (None, None) => None,
            (Some(vi), Some(en)) => Some(Bilingual { vi, en }),
            (vi, _) => {
                let (have, lacking) = if vi.is_some() {
                    (
                        ExpectationPart::DescriptionVi,
                        ExpectationPart::DescriptionEn,
                    )
                } else {
                    (
                        ExpectationPart::DescriptionEn,
                        ExpectationPart::DescriptionVi,
                    )
                };
                let label = self.cell(row, part(have)).map(|(_, l)| l);
                self.report(
                    row,
                    label,
                    said!(
                        "expectation {slot} has a description in one language only; fill `{field}` too",
                        "yêu cầu đánh giá {slot} mới có mô tả bằng một ngôn ngữ; hãy điền cả `{field}`",
                        field = part(lacking)
                    ),
                );
                return None;
            }
        };
        Some(Some(Expectation {
            kind: kind?,
            target_secs: target?,
            points: points?,
            technique: technique?,
            description,
        }))
    }
}

fn generated_key(position: usize) -> Option<Slug> {
    Slug::parse(&format!("inject-{position}"))
}

fn mixed_delimiter_hint(row: &Row, delimiter: Option<char>) -> Said {
    let others = [',', ';', '\t'];
    let found = others
        .iter()
        .filter(|c| Some(**c) != delimiter)
        .find(|c| row.cells.iter().any(|cell| cell.contains(**c)));
    match (found, delimiter) {
        (Some(other), Some(used)) => said!(
            "; the file is read with `{used}` as delimiter but this row contains `{other}`: does it mix delimiters?",
            "; tệp được đọc với dấu phân cách `{used}` nhưng dòng này có `{other}`: tệp có dùng lẫn dấu phân cách không?",
            used = shown(used),
            other = shown(*other)
        ),
        _ => said!(
            "; does the file mix delimiters?",
            "; tệp có dùng lẫn dấu phân cách không?"
        ),
    }
}

fn shown(c: char) -> String {
    if c == '\t' {
        "TAB".into()
    } else {
        c.to_string()
    }
}

// Cell readers. Each returns the value or a message; the caller adds the
// place. Texts are taken verbatim (leading spaces and line breaks are part
// of Markdown); everything else is trimmed.

fn text(value: &str, limit: Option<usize>) -> Result<String, Said> {
    if value.trim().is_empty() {
        return Err(said!(
            "the text is empty; both languages are required",
            "văn bản đang để trống; cần cả hai ngôn ngữ"
        ));
    }
    if let Some(limit) = limit.filter(|l| value.len() > *l) {
        return Err(said!(
            "the text is {size} bytes; the limit is {limit} bytes (64 KiB)",
            "văn bản dài {size} byte; tối đa {limit} byte (64 KiB)",
            size = value.len()
        ));
    }
    Ok(value.to_owned())
}

fn slug(value: &str, field: &str) -> Result<Slug, Said> {
    let value = value.trim();
    Slug::parse(value).ok_or_else(|| {
        let example = Slug::parse(&keyword_form(value).replace('_', "-"));
        let (hint, hint_vi) = match example {
            Some(s) => (format!(", e.g. `{s}`"), format!(", ví dụ `{s}`")),
            None => (String::new(), String::new()),
        };
        said!(
            "`{field}` must be a slug ({rule}){hint}, found `{value}`",
            "`{field}` phải là một slug ({rule_vi}){hint_vi}, nhưng đây là `{value}`",
            rule = Slug::RULE,
            rule_vi = Slug::RULE_VI
        )
    })
}

fn whole(value: &str) -> Result<u32, Said> {
    let value = value.trim();
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(said!(
            "`{value}` is not a whole number",
            "`{value}` không phải là số nguyên"
        ));
    }
    value
        .parse()
        .map_err(|_| said!("`{value}` is too large", "`{value}` quá lớn"))
}

fn technique(value: &str) -> Result<TechniqueId, Said> {
    let value = value.trim();
    let id = TechniqueId::parse(value).ok_or_else(|| {
        said!(
            "malformed technique id `{value}`; expected T1234 or T1234.001",
            "mã kỹ thuật `{value}` sai dạng; cần dạng T1234 hoặc T1234.001"
        )
    })?;
    if id.name().is_none() {
        return Err(said!(
            "technique {id} is not in the shipped ATT&CK Enterprise v{version} list; check for a typo",
            "kỹ thuật {id} không có trong danh mục ATT&CK Enterprise v{version} kèm theo; hãy kiểm tra lỗi chính tả",
            version = super::super::ATTACK_VERSION
        ));
    }
    Ok(id)
}

fn list_items(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|item| !item.is_empty())
}

fn technique_list(value: &str) -> Result<Vec<TechniqueId>, Said> {
    let mut ids: Vec<TechniqueId> = Vec::new();
    for item in list_items(value) {
        let id = technique(item)?;
        if ids.contains(&id) {
            return Err(said!(
                "technique {id} is listed twice",
                "kỹ thuật {id} được ghi hai lần"
            ));
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(said!(
            "`techniques` must list at least one ATT&CK technique, e.g. T1486, T1190",
            "`techniques` phải có ít nhất một kỹ thuật ATT&CK, ví dụ T1486, T1190"
        ));
    }
    Ok(ids)
}

fn drill_kind_list(value: &str) -> Result<Vec<DrillKind>, Said> {
    let mut kinds = Vec::new();
    for item in value
        .split([',', ';', '\n'])
        .filter(|i| !i.trim().is_empty())
    {
        let kind = keyword(item, "drill_kinds", KIND_OF_DRILL_ALIASES)?;
        if kinds.contains(&kind) {
            return Err(said!(
                "`drill_kinds` repeats `{kind}`",
                "`drill_kinds` ghi lặp `{kind}`"
            ));
        }
        kinds.push(kind);
    }
    if kinds.is_empty() {
        return Err(said!(
            "`drill_kinds` must list at least one of: {allowed}",
            "`drill_kinds` phải có ít nhất một trong: {allowed}",
            allowed = DrillKind::allowed()
        ));
    }
    Ok(kinds)
}

/// A keyword as written in exports, or one of its Vietnamese names.
fn keyword<K: Keyword>(value: &str, field: &str, aliases: &[(&str, K)]) -> Result<K, Said> {
    let form = keyword_form(value);
    K::parse_keyword(&form)
        .or_else(|| aliases.iter().find(|(a, _)| *a == form).map(|(_, k)| *k))
        .ok_or_else(|| {
            said!(
                "unknown `{field}` value `{value}`; allowed: {allowed}",
                "giá trị `{value}` của `{field}` không hợp lệ; các giá trị được phép: {allowed}",
                value = value.trim(),
                allowed = K::allowed_keywords()
            )
        })
}

fn audience(value: &str) -> Result<Audience, Said> {
    let value = value.trim();
    if let Some(slot) = value.strip_prefix("team:") {
        return Audience::parse(value).ok_or_else(|| {
            said!(
                "team slot `{slot}` must be a slug ({rule})",
                "vị trí đội `{slot}` phải là một slug ({rule_vi})",
                rule = Slug::RULE,
                rule_vi = Slug::RULE_VI
            )
        });
    }
    let form = keyword_form(value);
    Audience::parse(&form)
        .or_else(|| {
            AUDIENCE_ALIASES
                .iter()
                .find(|(a, _)| *a == form)
                .map(|(_, audience)| audience.clone())
        })
        .ok_or_else(|| {
            said!(
                "unknown audience `{value}`; allowed: {allowed}",
                "đối tượng nhận `{value}` không hợp lệ; các giá trị được phép: {allowed}",
                allowed = Audience::ALLOWED
            )
        })
}

const AUDIENCE_ALIASES: &[(&str, Audience)] = &[
    ("tat_ca", Audience::All),
    ("toan_bo", Audience::All),
    ("everyone", Audience::All),
    ("doi_phong_thu", Audience::Blue),
    // Drill documents also name the sides by their colours.
    ("doi_xanh", Audience::Blue),
    ("doi_do", Audience::Red),
    ("phong_thu", Audience::Blue),
    ("blue_team", Audience::Blue),
    ("doi_tan_cong", Audience::Red),
    ("tan_cong", Audience::Red),
    ("red_team", Audience::Red),
    ("ban_to_chuc", Audience::Controllers),
    ("btc", Audience::Controllers),
    ("controller", Audience::Controllers),
];

const CHANNEL_ALIASES: &[(&str, Channel)] = &[
    ("soc", Channel::SocAlert),
    ("siem", Channel::SocAlert),
    ("canh_bao", Channel::SocAlert),
    ("canh_bao_soc", Channel::SocAlert),
    ("thu_dien_tu", Channel::Email),
    ("e_mail", Channel::Email),
    ("mail", Channel::Email),
    ("dien_thoai", Channel::PhoneCall),
    ("goi_dien", Channel::PhoneCall),
    ("cuoc_goi", Channel::PhoneCall),
    ("phone", Channel::PhoneCall),
    ("bao_chi", Channel::News),
    ("tin_tuc", Channel::News),
    ("mang_xa_hoi", Channel::News),
    ("phieu", Channel::Ticket),
    ("phieu_ho_tro", Channel::Ticket),
    ("cap_nhat", Channel::SituationUpdate),
    ("cap_nhat_tinh_hinh", Channel::SituationUpdate),
    ("thong_bao", Channel::SituationUpdate),
];

const KIND_ALIASES: &[(&str, ExpectationKind)] = &[
    ("phat_hien", ExpectationKind::Detect),
    ("xac_nhan", ExpectationKind::Acknowledge),
    ("bao_cao", ExpectationKind::Report),
    ("ngan_chan", ExpectationKind::Contain),
    ("co_lap", ExpectationKind::Contain),
    ("thu_cong", ExpectationKind::Manual),
    ("danh_gia", ExpectationKind::Manual),
];

const CATEGORY_ALIASES: &[(&str, IncidentCategory)] = &[
    ("tu_choi_dich_vu", IncidentCategory::Dos),
    ("gia_mao", IncidentCategory::Spoofing),
    ("ma_doc", IncidentCategory::Malware),
    ("truy_cap_trai_phep", IncidentCategory::UnauthAccess),
    ("thay_doi_giao_dien", IncidentCategory::Defacement),
    ("ma_hoa", IncidentCategory::Encryption),
    ("pha_hoai", IncidentCategory::Destruction),
    ("danh_cap_du_lieu", IncidentCategory::EspionageTheft),
    ("tong_hop", IncidentCategory::Combined),
    ("khac", IncidentCategory::Other),
    ("chuoi_cung_ung", IncidentCategory::SupplyChain),
];

const KIND_OF_DRILL_ALIASES: &[(&str, DrillKind)] = &[
    ("thuc_chien", DrillKind::LiveFire),
    ("tren_ban", DrillKind::Tabletop),
    ("chuc_nang", DrillKind::Functional),
];

/// The last word: the scenario goes through the TOML writer and the file
/// validator, so an import can never hold what a scenario file may not.
/// The reads above should already have caught everything; whatever the
/// validator still finds is placed on the inject's row.
fn gate(
    scenario: Scenario,
    table: &Table<'_>,
    rows: &[usize],
) -> Result<Scenario, Vec<ImportProblem>> {
    let toml = to_toml(&scenario);
    match parse_scenario(&toml) {
        Ok(parsed) if parsed == scenario => Ok(scenario),
        Ok(_) => Err(vec![ImportProblem::file(said!(
            "the imported scenario does not survive being written as a scenario file; please report this",
            "kịch bản vừa nhập bị sai lệch khi ghi thành tệp kịch bản; vui lòng báo lỗi này"
        ))]),
        Err(found) => {
            let lines: Vec<&str> = toml.lines().collect();
            let problems = found
                .into_iter()
                .map(|problem| {
                    let before = lines
                        .get(..problem.line.saturating_sub(1))
                        .unwrap_or(&lines);
                    let inject = before.iter().filter(|l| **l == "[[injects]]").count();
                    match inject.checked_sub(1).and_then(|i| rows.get(i)) {
                        Some(row) => ImportProblem::at(
                            &table.sheet.place(*row),
                            None,
                            Said {
                                en: problem.message,
                                vi: problem.message_vi,
                            },
                        ),
                        None => {
                            let (message, message_vi) = (problem.message, problem.message_vi);
                            ImportProblem::file(said!(
                                "scenario metadata: {message}",
                                "thông tin chung của kịch bản: {message_vi}"
                            ))
                        }
                    }
                })
                .collect();
            Err(capped(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sides_are_read_by_their_vietnamese_names_and_colours() {
        for (written, side) in [
            ("Đội phòng thủ", Audience::Blue),
            ("Đội xanh", Audience::Blue),
            ("Đội tấn công", Audience::Red),
            ("Đội đỏ", Audience::Red),
            ("Ban tổ chức", Audience::Controllers),
            ("Tất cả", Audience::All),
        ] {
            assert_eq!(audience(written), Ok(side), "{written}");
        }
        let refused = audience("Đội vàng").unwrap_err();
        assert!(refused.vi.contains("không hợp lệ"), "{refused:?}");
        assert!(refused.en.contains("unknown audience"), "{refused:?}");
    }
}

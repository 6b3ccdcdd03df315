//! Scenario file (TOML) → [`Scenario`], reporting every problem of the file
//! at once with its line and column.
//!
//! Each field is read on its own: a reader reports what is wrong and yields
//! `None`, and the record is only assembled once all its fields were tried,
//! so one bad field never hides the next. Rules that span fields (offsets
//! within the duration, unique inject keys, detect expectations naming a
//! listed technique) are checked here too, where the spans are at hand.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::attack::ATTACK_VERSION;
use super::model::{
    Audience, Bilingual, Channel, DrillKind, Expectation, ExpectationKind, IncidentCategory,
    Inject, Keyword, MAX_BODY_BYTES, PlaybookStep, Release, Scenario, SecurityLevel, Slug,
    TechniqueId,
};
use super::msel::MAX_INJECTS;
use super::offset::{self, format_hms};
use super::problem::{Diagnostics, Problem, said};
use super::reader::{self, Table, Value};

/// The longest planned duration accepted (14 days): live-fire drills run for
/// up to a week, and anything longer is almost surely a typo.
pub const MAX_DURATION_SECS: u32 = 14 * 24 * 3600;

const SCENARIO_FIELDS: &[&str] = &[
    "id",
    "version",
    "title",
    "summary",
    "category",
    "techniques",
    "min_level",
    "drill_kinds",
    "duration",
    "objectives",
    "injects",
];
const INJECT_FIELDS: &[&str] = &[
    "key",
    "offset",
    "manual",
    "audience",
    "channel",
    "title",
    "body",
    "playbook_step",
    "expectations",
];
const EXPECTATION_FIELDS: &[&str] = &["kind", "target", "points", "technique", "description"];
const PLAYBOOK_STEP_FIELDS: &[&str] = &["category", "step"];
const TEXT_FIELDS: &[&str] = &["vi", "en"];

/// Parses and validates one scenario file.
pub fn parse_scenario(src: &str) -> Result<Scenario, Vec<Problem>> {
    let mut diag = Diagnostics::default();
    let (document, syntax_errors) = DeTable::parse_recoverable(src);
    if !syntax_errors.is_empty() {
        // The tree recovered after a syntax error is a guess; checking it
        // would only add confusing follow-on problems.
        for error in syntax_errors {
            diag.report(
                error.span().unwrap_or(0..0),
                said!(
                    "TOML syntax error: {detail}",
                    "lỗi cú pháp TOML: {detail}",
                    detail = error.message()
                ),
            );
        }
        return Err(diag.into_problems(src));
    }
    let span = document.span();
    let root = Spanned::new(span, DeValue::Table(document.into_inner()));
    match read_scenario(&mut diag, &root) {
        Some(scenario) if diag.is_empty() => Ok(scenario),
        _ => {
            if diag.is_empty() {
                // Every reader reports before giving up; keep the promise of
                // never returning an empty problem list regardless.
                diag.report(
                    0..0,
                    said!("the scenario could not be read", "không đọc được kịch bản"),
                );
            }
            Err(diag.into_problems(src))
        }
    }
}

/// Parses an uploaded file: UTF-8, with or without a byte-order mark. Anything
/// else is one problem at 1:1, so uploads get the same answer shape as text.
pub fn parse_scenario_bytes(bytes: &[u8]) -> Result<Scenario, Vec<Problem>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(src) => parse_scenario(src),
        Err(e) => {
            let (line, col) = position_of_byte(bytes, e.valid_up_to());
            Err(vec![Problem {
                line,
                col,
                message: "the file is not UTF-8 text; save it as UTF-8 and upload it again".into(),
                message_vi:
                    "tệp không phải văn bản UTF-8; hãy lưu lại dưới dạng UTF-8 rồi tải lên lại"
                        .into(),
            }])
        }
    }
}

/// Line and column of the first invalid byte, counted over the valid prefix.
fn position_of_byte(bytes: &[u8], at: usize) -> (usize, usize) {
    let prefix = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let line = prefix.matches('\n').count() + 1;
    let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Checks a file on disk; each problem as `FILE:LINE:COL: message`.
/// An empty list means the file is a valid scenario.
pub fn check_file(path: &Path) -> Vec<String> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(src) => match parse_scenario(&src) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(|p| format!("{shown}:{p}")).collect(),
        },
        Err(error) => vec![format!("{shown}: cannot read the file: {error}")],
    }
}

fn read_scenario(diag: &mut Diagnostics, root: &Value<'_>) -> Option<Scenario> {
    let table = Table::open(
        diag,
        root,
        said!("the scenario", "kịch bản"),
        SCENARIO_FIELDS,
    )?;
    let id = table.require(diag, "id").and_then(|v| slug(diag, v, "id"));
    let version = table
        .require(diag, "version")
        .and_then(|v| positive(diag, v, "version"));
    let title = table
        .require(diag, "title")
        .and_then(|v| text(diag, v, "title", None));
    let summary = table
        .require(diag, "summary")
        .and_then(|v| text(diag, v, "summary", None));
    let category = table
        .require(diag, "category")
        .and_then(|v| keyword::<IncidentCategory>(diag, v, "category"));
    let techniques = table
        .require(diag, "techniques")
        .and_then(|v| techniques(diag, v));
    let min_level = table
        .require(diag, "min_level")
        .and_then(|v| min_level(diag, v));
    let drill_kinds = table
        .require(diag, "drill_kinds")
        .and_then(|v| keyword_list::<DrillKind>(diag, v, "drill_kinds"));
    let duration = table
        .require(diag, "duration")
        .and_then(|v| planned_duration(diag, v));
    let objectives = table
        .require(diag, "objectives")
        .and_then(|v| objectives(diag, v));
    let injects = table.require(diag, "injects").and_then(|v| {
        let context = InjectContext {
            duration_secs: duration,
            techniques: techniques.as_deref(),
        };
        injects(diag, v, &context)
    });
    Some(Scenario {
        id: id?,
        version: version?,
        title: title?,
        summary: summary?,
        category: category?,
        techniques: techniques?,
        min_level: min_level?,
        drill_kinds: drill_kinds?,
        duration_secs: duration?,
        objectives: objectives?,
        injects: injects?,
    })
}

/// What inject checks need from the scenario level. `None` means that field
/// was itself invalid (already reported), so the dependent check is skipped.
struct InjectContext<'s> {
    duration_secs: Option<u32>,
    techniques: Option<&'s [TechniqueId]>,
}

fn injects(
    diag: &mut Diagnostics,
    value: &Value<'_>,
    cx: &InjectContext<'_>,
) -> Option<Vec<Inject>> {
    let items = reader::array(diag, value, "injects")?;
    if items.is_empty() {
        diag.report(
            value.span(),
            said!(
                "a scenario needs at least one inject",
                "kịch bản cần ít nhất một tình huống (inject)"
            ),
        );
        return None;
    }
    if items.len() > MAX_INJECTS {
        // Same limit as the MSEL importer: a drill of more injects than this is a
        // mistake (a pasted log, a duplicated sheet), and it would swamp the live hub.
        diag.report(
            value.span(),
            said!(
                "the scenario has {count} injects; a scenario holds at most {MAX_INJECTS}. Split it into several scenarios",
                "kịch bản có {count} tình huống; mỗi kịch bản có tối đa {MAX_INJECTS}. Hãy tách thành nhiều kịch bản",
                count = items.len()
            ),
        );
        return None;
    }
    let mut keys = HashSet::new();
    let mut injects = Vec::with_capacity(items.len());
    let mut complete = true;
    for item in items {
        match inject(diag, item, cx, &mut keys) {
            Some(inject) => injects.push(inject),
            None => complete = false,
        }
    }
    complete.then_some(injects)
}

fn inject(
    diag: &mut Diagnostics,
    value: &Value<'_>,
    cx: &InjectContext<'_>,
    keys: &mut HashSet<String>,
) -> Option<Inject> {
    let table = Table::open(
        diag,
        value,
        said!("inject", "tình huống (inject)"),
        INJECT_FIELDS,
    )?;
    let key = table.require(diag, "key").and_then(|v| {
        let key = slug(diag, v, "key")?;
        if keys.insert(key.as_str().to_owned()) {
            Some(key)
        } else {
            diag.report(
                v.span(),
                said!(
                    "duplicate inject key `{key}`; keys must be unique within a scenario",
                    "mã tình huống `{key}` bị trùng; mỗi mã chỉ dùng một lần trong một kịch bản"
                ),
            );
            None
        }
    });
    let release = release(diag, &table, cx.duration_secs);
    let audience = table
        .require(diag, "audience")
        .and_then(|v| audience(diag, v));
    let channel = table
        .require(diag, "channel")
        .and_then(|v| keyword::<Channel>(diag, v, "channel"));
    let title = table
        .require(diag, "title")
        .and_then(|v| text(diag, v, "title", None));
    let body = table
        .require(diag, "body")
        .and_then(|v| text(diag, v, "body", Some(MAX_BODY_BYTES)));
    let playbook_step = optional(table.get("playbook_step"), |v| playbook_step(diag, v));
    let expectations = match table.get("expectations") {
        None => Some(Vec::new()),
        Some(v) => expectations(diag, v, cx.techniques),
    };
    Some(Inject {
        key: key?,
        release: release?,
        audience: audience?,
        channel: channel?,
        title: title?,
        body: body?,
        playbook_step: playbook_step?,
        expectations: expectations?,
    })
}

/// Exactly one of `offset` and `manual = true`.
fn release(
    diag: &mut Diagnostics,
    table: &Table<'_, '_>,
    duration: Option<u32>,
) -> Option<Release> {
    match (table.get("offset"), table.get("manual")) {
        (Some(_), Some(_)) => {
            // Point at whichever of the two was written second.
            let span = [table.key_span("offset"), table.key_span("manual")]
                .into_iter()
                .flatten()
                .max_by_key(|span| span.start)
                .unwrap_or_else(|| table.span());
            diag.report(
                span,
                said!(
                    "an inject has either `offset` or `manual = true`, not both",
                    "một tình huống có `offset` hoặc `manual = true`, không có cả hai"
                ),
            );
            None
        }
        (None, None) => {
            diag.report(
                table.span(),
                said!(
                    "inject needs `offset` (e.g. \"+00:30:00\") or `manual = true`",
                    "tình huống cần `offset` (ví dụ \"+00:30:00\") hoặc `manual = true`"
                ),
            );
            None
        }
        (Some(v), None) => {
            let offset_secs = duration_value(diag, v, "offset")?;
            if let Some(limit) = duration.filter(|limit| offset_secs > *limit) {
                diag.report(
                    v.span(),
                    said!(
                        "offset +{offset} is beyond the planned duration {limit}",
                        "thời điểm +{offset} vượt quá thời lượng dự kiến {limit}",
                        offset = format_hms(offset_secs),
                        limit = format_hms(limit)
                    ),
                );
                return None;
            }
            Some(Release::Scheduled { offset_secs })
        }
        (None, Some(v)) => {
            if reader::boolean(diag, v, "manual")? {
                Some(Release::Manual)
            } else {
                diag.report(
                    v.span(),
                    said!(
                        "`manual` can only be `true`; to schedule the inject, give `offset` instead",
                        "`manual` chỉ có thể là `true`; muốn hẹn giờ phát tình huống thì ghi `offset`"
                    ),
                );
                None
            }
        }
    }
}

fn expectations(
    diag: &mut Diagnostics,
    value: &Value<'_>,
    techniques: Option<&[TechniqueId]>,
) -> Option<Vec<Expectation>> {
    let items = reader::array(diag, value, "expectations")?;
    let mut expectations = Vec::with_capacity(items.len());
    let mut complete = true;
    for item in items {
        match expectation(diag, item, techniques) {
            Some(expectation) => expectations.push(expectation),
            None => complete = false,
        }
    }
    complete.then_some(expectations)
}

fn expectation(
    diag: &mut Diagnostics,
    value: &Value<'_>,
    listed: Option<&[TechniqueId]>,
) -> Option<Expectation> {
    let table = Table::open(
        diag,
        value,
        said!("expectation", "yêu cầu đánh giá (expectation)"),
        EXPECTATION_FIELDS,
    )?;
    let kind_value = table.require(diag, "kind");
    let kind = kind_value.and_then(|v| keyword::<ExpectationKind>(diag, v, "kind"));
    let target = match table.get("target") {
        None => {
            diag.report(
                table.span(),
                said!(
                    "expectation has no `target` (time after release, e.g. \"00:15:00\")",
                    "yêu cầu đánh giá thiếu `target` (thời gian sau khi phát, ví dụ \"00:15:00\")"
                ),
            );
            None
        }
        Some(v) => duration_value(diag, v, "target").and_then(|secs| {
            if secs == 0 {
                diag.report(
                    v.span(),
                    said!("`target` must be more than zero", "`target` phải lớn hơn 0"),
                );
                None
            } else {
                Some(secs)
            }
        }),
    };
    let points = table.require(diag, "points").and_then(|v| {
        let points = reader::integer(diag, v, "points")?;
        let converted = u32::try_from(points).ok();
        if converted.is_none() {
            diag.report(
                v.span(),
                said!(
                    "`points` must be a whole number of at least 0, found {points}",
                    "`points` phải là số nguyên không âm, nhưng đây là {points}"
                ),
            );
        }
        converted
    });
    let technique = optional(table.get("technique"), |v| {
        let id = technique(diag, v, "technique")?;
        if listed.is_some_and(|listed| !listed.contains(&id)) {
            diag.report(
                v.span(),
                said!(
                    "technique {id} is not listed in the scenario's `techniques`",
                    "kỹ thuật {id} không có trong danh sách `techniques` của kịch bản"
                ),
            );
            return None;
        }
        Some(id)
    });
    if kind == Some(ExpectationKind::Detect) && table.get("technique").is_none() {
        let span = kind_value.map_or_else(|| table.span(), Spanned::span);
        diag.report(
            span,
            said!(
                "a `detect` expectation needs a `technique` (the ATT&CK id to detect)",
                "yêu cầu `detect` cần có `technique` (mã ATT&CK cần phát hiện)"
            ),
        );
        return None;
    }
    let description = optional(table.get("description"), |v| {
        text(diag, v, "description", None)
    });
    Some(Expectation {
        kind: kind?,
        target_secs: target?,
        points: points?,
        technique: technique?,
        description: description?,
    })
}

fn playbook_step(diag: &mut Diagnostics, value: &Value<'_>) -> Option<PlaybookStep> {
    let table = Table::open(
        diag,
        value,
        said!("`playbook_step`", "`playbook_step`"),
        PLAYBOOK_STEP_FIELDS,
    )?;
    let category = table
        .require(diag, "category")
        .and_then(|v| keyword::<IncidentCategory>(diag, v, "category"));
    let step = table
        .require(diag, "step")
        .and_then(|v| positive(diag, v, "step"));
    Some(PlaybookStep {
        category: category?,
        step: step?,
    })
}

/// `Some(None)` when absent, `Some(Some(x))` when valid, `None` when invalid.
fn optional<'v, 'i: 'v, T>(
    value: Option<&'v Value<'i>>,
    read: impl FnOnce(&'v Value<'i>) -> Option<T>,
) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(v) => read(v).map(Some),
    }
}

fn text(
    diag: &mut Diagnostics,
    value: &Value<'_>,
    field: &str,
    limit: Option<usize>,
) -> Option<Bilingual> {
    if matches!(value.get_ref(), DeValue::String(_)) {
        diag.report(
            value.span(),
            said!(
                "`{field}` needs both languages: {field} = {{ vi = \"…\", en = \"…\" }}",
                "`{field}` cần đủ hai ngôn ngữ: {field} = {{ vi = \"…\", en = \"…\" }}"
            ),
        );
        return None;
    }
    let table = Table::open(diag, value, said!("`{field}`", "`{field}`"), TEXT_FIELDS)?;
    let mut language = |code: &str| {
        let Some(v) = table.get(code) else {
            diag.report(
                table.span(),
                said!(
                    "missing `{code}` in `{field}`; both `vi` and `en` are required",
                    "thiếu `{code}` trong `{field}`; cần cả `vi` và `en`"
                ),
            );
            return None;
        };
        let text = reader::string(diag, v, &format!("{field}.{code}"))?;
        if text.trim().is_empty() {
            diag.report(
                v.span(),
                said!(
                    "`{field}.{code}` is empty",
                    "`{field}.{code}` đang để trống"
                ),
            );
            return None;
        }
        if let Some(limit) = limit.filter(|limit| text.len() > *limit) {
            diag.report(
                v.span(),
                said!(
                    "`{field}.{code}` is {size} bytes; the limit is {limit} bytes (64 KiB)",
                    "`{field}.{code}` dài {size} byte; tối đa {limit} byte (64 KiB)",
                    size = text.len()
                ),
            );
            return None;
        }
        Some(text.to_owned())
    };
    let vi = language("vi");
    let en = language("en");
    Some(Bilingual { vi: vi?, en: en? })
}

fn objectives(diag: &mut Diagnostics, value: &Value<'_>) -> Option<Vec<Bilingual>> {
    let items = reader::array(diag, value, "objectives")?;
    if items.is_empty() {
        diag.report(
            value.span(),
            said!(
                "`objectives` must list at least one objective",
                "`objectives` phải có ít nhất một mục tiêu"
            ),
        );
        return None;
    }
    let read: Vec<_> = items
        .iter()
        .map(|item| text(diag, item, "objectives", None))
        .collect();
    read.into_iter().collect()
}

fn techniques(diag: &mut Diagnostics, value: &Value<'_>) -> Option<Vec<TechniqueId>> {
    let items = reader::array(diag, value, "techniques")?;
    if items.is_empty() {
        diag.report(
            value.span(),
            said!(
                "`techniques` must list at least one ATT&CK technique",
                "`techniques` phải có ít nhất một kỹ thuật ATT&CK"
            ),
        );
        return None;
    }
    let mut seen = HashSet::new();
    let mut complete = true;
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        match technique(diag, item, "techniques") {
            Some(id) if !seen.insert(id.clone()) => {
                diag.report(
                    item.span(),
                    said!(
                        "technique {id} is listed twice",
                        "kỹ thuật {id} được ghi hai lần"
                    ),
                );
                complete = false;
            }
            Some(id) => ids.push(id),
            None => complete = false,
        }
    }
    complete.then_some(ids)
}

fn technique(diag: &mut Diagnostics, value: &Value<'_>, field: &str) -> Option<TechniqueId> {
    let text = reader::string(diag, value, field)?;
    let Some(id) = TechniqueId::parse(text) else {
        diag.report(
            value.span(),
            said!(
                "malformed technique id `{text}`; expected T1234 or T1234.001",
                "mã kỹ thuật `{text}` sai dạng; cần dạng T1234 hoặc T1234.001"
            ),
        );
        return None;
    };
    if id.name().is_none() {
        diag.report(
            value.span(),
            said!(
                "technique {id} is not in the shipped ATT&CK Enterprise v{ATTACK_VERSION} list; check for a typo",
                "kỹ thuật {id} không có trong danh mục ATT&CK Enterprise v{ATTACK_VERSION} kèm theo; hãy kiểm tra lỗi chính tả"
            ),
        );
        return None;
    }
    Some(id)
}

fn keyword<K: Keyword>(diag: &mut Diagnostics, value: &Value<'_>, field: &str) -> Option<K> {
    let text = reader::string(diag, value, field)?;
    let parsed = K::parse_keyword(text);
    if parsed.is_none() && text.trim().is_empty() {
        diag.report(
            value.span(),
            said!(
                "`{field}` is empty; choose one of: {allowed}",
                "`{field}` đang để trống; hãy chọn một trong: {allowed}",
                allowed = K::allowed_keywords()
            ),
        );
    } else if parsed.is_none() {
        diag.report(
            value.span(),
            said!(
                "unknown `{field}` value `{text}`; allowed: {allowed}",
                "giá trị `{text}` của `{field}` không hợp lệ; các giá trị được phép: {allowed}",
                allowed = K::allowed_keywords()
            ),
        );
    }
    parsed
}

fn keyword_list<K: Keyword>(
    diag: &mut Diagnostics,
    value: &Value<'_>,
    field: &str,
) -> Option<Vec<K>> {
    let items = reader::array(diag, value, field)?;
    if items.is_empty() {
        diag.report(
            value.span(),
            said!(
                "`{field}` must list at least one of: {allowed}",
                "`{field}` phải có ít nhất một trong: {allowed}",
                allowed = K::allowed_keywords()
            ),
        );
        return None;
    }
    let mut complete = true;
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        match keyword::<K>(diag, item, field) {
            Some(k) if list.contains(&k) => {
                diag.report(
                    item.span(),
                    said!("`{field}` repeats a value", "`{field}` có giá trị bị lặp"),
                );
                complete = false;
            }
            Some(k) => list.push(k),
            None => complete = false,
        }
    }
    complete.then_some(list)
}

fn audience(diag: &mut Diagnostics, value: &Value<'_>) -> Option<Audience> {
    let text = reader::string(diag, value, "audience")?;
    let parsed = Audience::parse(text);
    if parsed.is_none() {
        let message = match text.strip_prefix("team:") {
            Some(slot) => said!(
                "team slot `{slot}` must be a slug ({rule})",
                "vị trí đội `{slot}` phải là một slug ({rule_vi})",
                rule = Slug::RULE,
                rule_vi = Slug::RULE_VI
            ),
            None => said!(
                "unknown audience `{text}`; allowed: {allowed}",
                "đối tượng nhận `{text}` không hợp lệ; các giá trị được phép: {allowed}",
                allowed = Audience::ALLOWED
            ),
        };
        diag.report(value.span(), message);
    }
    parsed
}

fn slug(diag: &mut Diagnostics, value: &Value<'_>, field: &str) -> Option<Slug> {
    let text = reader::string(diag, value, field)?;
    let parsed = Slug::parse(text);
    if parsed.is_none() {
        diag.report(
            value.span(),
            said!(
                "`{field}` must be a slug ({rule}), found `{text}`",
                "`{field}` phải là một slug ({rule_vi}), nhưng đây là `{text}`",
                rule = Slug::RULE,
                rule_vi = Slug::RULE_VI
            ),
        );
    }
    parsed
}

fn positive(diag: &mut Diagnostics, value: &Value<'_>, field: &str) -> Option<NonZeroU32> {
    let number = reader::integer(diag, value, field)?;
    let parsed = u32::try_from(number).ok().and_then(NonZeroU32::new);
    if parsed.is_none() {
        diag.report(
            value.span(),
            said!(
                "`{field}` must be a whole number of at least 1, found {number}",
                "`{field}` phải là số nguyên từ 1 trở lên, nhưng đây là {number}"
            ),
        );
    }
    parsed
}

fn min_level(diag: &mut Diagnostics, value: &Value<'_>) -> Option<SecurityLevel> {
    let number = reader::integer(diag, value, "min_level")?;
    let level = SecurityLevel::new(number).ok();
    if level.is_none() {
        diag.report(
            value.span(),
            said!(
                "`min_level` must be a security level between 1 and 5, found {number}",
                "`min_level` phải là cấp độ an toàn từ 1 đến 5, nhưng đây là {number}"
            ),
        );
    }
    level
}

fn planned_duration(diag: &mut Diagnostics, value: &Value<'_>) -> Option<u32> {
    let secs = duration_value(diag, value, "duration")?;
    if secs == 0 {
        diag.report(
            value.span(),
            said!(
                "`duration` must be more than zero",
                "`duration` phải lớn hơn 0"
            ),
        );
        return None;
    }
    if secs > MAX_DURATION_SECS {
        diag.report(
            value.span(),
            said!(
                "`duration` must be at most {limit} (14 days)",
                "`duration` tối đa là {limit} (14 ngày)",
                limit = format_hms(MAX_DURATION_SECS)
            ),
        );
        return None;
    }
    Some(secs)
}

/// `"+HH:MM:SS"`, `"HH:MM:SS"` or an integer number of seconds.
fn duration_value(diag: &mut Diagnostics, value: &Value<'_>, field: &str) -> Option<u32> {
    let parsed = match value.get_ref() {
        DeValue::String(text) => offset::parse_hms(text),
        DeValue::Integer(_) => offset::from_seconds(reader::integer(diag, value, field)?),
        _ => {
            reader::type_error(
                diag,
                value,
                field,
                said!(
                    "\"+HH:MM:SS\" or whole seconds",
                    "\"+HH:MM:SS\" hoặc số giây nguyên"
                ),
            );
            return None;
        }
    };
    parsed
        .map_err(|error| {
            let (detail, detail_vi) = (error.to_string(), error.said().vi);
            diag.report(
                value.span(),
                said!(
                    "invalid `{field}`: {detail}",
                    "`{field}` không hợp lệ: {detail_vi}"
                ),
            )
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small valid scenario; tests change one line and look for the
    /// problem at an exact line and column.
    const VALID: &str = r#"id = "test-scenario"
version = 1
title = { vi = "Kịch bản thử", en = "Test scenario" }
summary = { vi = "Tóm tắt", en = "Summary" }
category = "encryption"
techniques = ["T1486", "T1190"]
min_level = 3
drill_kinds = ["tabletop"]
duration = "02:00:00"
objectives = [{ vi = "Mục tiêu", en = "Objective" }]

[[injects]]
key = "first"
offset = "+00:10:00"
audience = "blue"
channel = "soc_alert"
title = { vi = "Cảnh báo", en = "Alert" }
body = { vi = "Nội dung", en = "Body" }

[[injects.expectations]]
kind = "detect"
target = "00:15:00"
points = 10
technique = "T1486"

[[injects]]
key = "second"
manual = true
audience = "controllers"
channel = "situation_update"
title = { vi = "Ghi chú", en = "Note" }
body = { vi = "Ghi chú cho Ban tổ chức", en = "Note for the organisers" }
"#;

    /// `VALID` with one exact fragment replaced.
    fn with(old: &str, new: &str) -> String {
        assert_eq!(VALID.matches(old).count(), 1, "`{old}` must occur once");
        VALID.replacen(old, new, 1)
    }

    fn problems(src: &str) -> Vec<Problem> {
        match parse_scenario(src) {
            Ok(_) => panic!("expected problems in:\n{src}"),
            Err(problems) => problems,
        }
    }

    /// Asserts a problem at `line:col` whose message contains `fragment`.
    #[track_caller]
    fn assert_problem(src: &str, line: usize, col: usize, fragment: &str) {
        let found = problems(src);
        assert!(
            found
                .iter()
                .any(|p| p.line == line && p.col == col && p.message.contains(fragment)),
            "no problem at {line}:{col} containing {fragment:?}; found:\n{}",
            found
                .iter()
                .map(Problem::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn the_valid_example_parses_into_the_model() {
        let scenario = parse_scenario(VALID).unwrap();
        assert_eq!(scenario.id.as_str(), "test-scenario");
        assert_eq!(scenario.duration_secs, 7200);
        assert_eq!(scenario.min_level.get(), 3);
        assert_eq!(scenario.title.vi, "Kịch bản thử");
        assert_eq!(scenario.injects.len(), 2);
        assert_eq!(
            scenario.injects[0].release,
            Release::Scheduled { offset_secs: 600 }
        );
        assert_eq!(scenario.injects[1].release, Release::Manual);
        let expectation = &scenario.injects[0].expectations[0];
        assert_eq!(expectation.kind, ExpectationKind::Detect);
        assert_eq!(expectation.target_secs, 900);
        assert_eq!(
            expectation.technique.as_ref().map(TechniqueId::as_str),
            Some("T1486")
        );
    }

    #[test]
    fn offsets_and_targets_may_be_given_in_seconds() {
        let src = with(r#"offset = "+00:10:00""#, "offset = 600")
            .replace(r#"target = "00:15:00""#, "target = 900");
        let scenario = parse_scenario(&src).unwrap();
        assert_eq!(scenario.injects[0].release.offset_secs(), Some(600));
        assert_eq!(scenario.injects[0].expectations[0].target_secs, 900);
    }

    #[test]
    fn a_toml_syntax_error_is_reported_with_its_position() {
        assert_problem(
            &with("version = 1", "version = "),
            2,
            11,
            "TOML syntax error",
        );
    }

    #[test]
    fn unknown_fields_are_reported_wherever_they_are() {
        let at_root = with("min_level = 3", "min_level = 3\ncolour = \"red\"");
        assert_problem(&at_root, 8, 1, "unknown field `colour` in the scenario");
        let in_inject = with("key = \"first\"", "key = \"first\"\nofset = 10");
        assert_problem(
            &in_inject,
            14,
            1,
            "unknown field `ofset` in inject; did you mean `offset`?",
        );
        let in_expectation = with("points = 10", "points = 10\nweight = 2");
        assert_problem(
            &in_expectation,
            24,
            1,
            "unknown field `weight` in expectation",
        );
        let in_text = with(
            r#"title = { vi = "Ghi chú", en = "Note" }"#,
            r#"title = { vi = "Ghi chú", en = "Note", fr = "Note" }"#,
        );
        assert_problem(&in_text, 31, 40, "unknown field `fr` in `title`");
    }

    #[test]
    fn a_duplicate_inject_key_is_reported_at_the_second_key() {
        let src = with("key = \"second\"", "key = \"first\"");
        assert_problem(&src, 27, 7, "duplicate inject key `first`");
    }

    #[test]
    fn a_malformed_offset_is_reported_at_its_value() {
        for bad in [r#""+99:99""#, r#""soon""#, r#""+01:99:00""#, "1.5"] {
            let src = with(r#""+00:10:00""#, bad);
            let problems = problems(&src);
            assert!(
                problems
                    .iter()
                    .any(|p| (p.line, p.col) == (14, 10) && p.message.contains("offset")),
                "{bad}: {problems:?}"
            );
        }
        let src = with(r#""+00:10:00""#, r#""+00:99:00""#);
        assert_problem(&src, 14, 10, "minutes must be between 00 and 59");
    }

    #[test]
    fn a_negative_offset_is_reported() {
        assert_problem(
            &with(r#""+00:10:00""#, "-600"),
            14,
            10,
            "cannot be negative",
        );
        assert_problem(
            &with(r#""+00:10:00""#, r#""-00:10:00""#),
            14,
            10,
            "cannot be negative",
        );
    }

    #[test]
    fn an_offset_beyond_the_duration_is_reported_with_its_line() {
        let src = with(r#""+00:10:00""#, r#""+02:30:00""#);
        assert_problem(
            &src,
            14,
            10,
            "offset +02:30:00 is beyond the planned duration 02:00:00",
        );
    }

    #[test]
    fn an_inject_with_both_offset_and_manual_is_reported_at_the_second_of_them() {
        let src = with(
            r#"offset = "+00:10:00""#,
            "offset = \"+00:10:00\"\nmanual = true",
        );
        assert_problem(&src, 15, 1, "either `offset` or `manual = true`, not both");
    }

    #[test]
    fn an_inject_with_neither_offset_nor_manual_is_reported_at_its_header() {
        let src = with("manual = true\n", "");
        assert_problem(&src, 26, 1, "inject needs `offset`");
    }

    #[test]
    fn manual_false_is_refused() {
        assert_problem(
            &with("manual = true", "manual = false"),
            28,
            10,
            "`manual` can only be `true`",
        );
    }

    #[test]
    fn a_malformed_technique_id_is_reported() {
        let listed = with(r#"["T1486", "T1190"]"#, r#"["T1486", "T190"]"#);
        assert_problem(
            &listed,
            6,
            24,
            "malformed technique id `T190`; expected T1234 or T1234.001",
        );
        let expected = with(r#"technique = "T1486""#, r#"technique = "t1486""#);
        assert_problem(&expected, 24, 13, "malformed technique id `t1486`");
    }

    #[test]
    fn a_technique_missing_from_the_shipped_list_is_reported_as_a_typo() {
        let src = with(r#"["T1486", "T1190"]"#, r#"["T1486", "T1486.001"]"#);
        assert_problem(
            &src,
            6,
            24,
            "technique T1486.001 is not in the shipped ATT&CK Enterprise v18.0 list",
        );
    }

    #[test]
    fn a_detect_technique_must_be_listed_by_the_scenario() {
        let src = with(r#"technique = "T1486""#, r#"technique = "T1566.001""#);
        assert_problem(
            &src,
            24,
            13,
            "T1566.001 is not listed in the scenario's `techniques`",
        );
    }

    #[test]
    fn a_missing_language_is_reported_at_the_text() {
        let src = with(
            r#"{ vi = "Kịch bản thử", en = "Test scenario" }"#,
            r#"{ vi = "Kịch bản thử" }"#,
        );
        assert_problem(
            &src,
            3,
            9,
            "missing `en` in `title`; both `vi` and `en` are required",
        );
        let src = with(
            r#"{ vi = "Mục tiêu", en = "Objective" }"#,
            r#"{ en = "Objective" }"#,
        );
        assert_problem(&src, 10, 15, "missing `vi` in `objectives`");
        let src = with(
            r#"title = { vi = "Cảnh báo", en = "Alert" }"#,
            r#"title = { vi = "Cảnh báo", en = " " }"#,
        );
        assert_problem(&src, 17, 33, "`title.en` is empty");
        let src = with(
            r#"summary = { vi = "Tóm tắt", en = "Summary" }"#,
            r#"summary = "Tóm tắt""#,
        );
        assert_problem(&src, 4, 11, "`summary` needs both languages");
    }

    #[test]
    fn an_expectation_without_a_target_is_reported_at_its_header() {
        let src = with("target = \"00:15:00\"\n", "");
        assert_problem(&src, 20, 1, "expectation has no `target`");
    }

    #[test]
    fn a_body_over_64_kib_is_reported_at_that_language() {
        let long = "x".repeat(MAX_BODY_BYTES + 1);
        let src = with(
            r#"body = { vi = "Nội dung", en = "Body" }
"#,
            &format!("body = {{ vi = \"Nội dung\", en = \"{long}\" }}\n"),
        );
        assert_problem(
            &src,
            18,
            32,
            "`body.en` is 65537 bytes; the limit is 65536 bytes (64 KiB)",
        );
    }

    #[test]
    fn a_body_of_exactly_64_kib_is_accepted() {
        let long = "đ".repeat(MAX_BODY_BYTES / 2);
        let src = with(
            r#"en = "Body" }
"#,
            &format!("en = \"{long}\" }}\n"),
        );
        assert!(parse_scenario(&src).is_ok());
    }

    #[test]
    fn a_detect_expectation_without_a_technique_is_reported_at_its_kind() {
        let src = with("technique = \"T1486\"\n", "");
        assert_problem(&src, 21, 8, "a `detect` expectation needs a `technique`");
    }

    #[test]
    fn a_min_level_outside_1_to_5_is_reported() {
        assert_problem(
            &with("min_level = 3", "min_level = 0"),
            7,
            13,
            "between 1 and 5, found 0",
        );
        assert_problem(
            &with("min_level = 3", "min_level = 6"),
            7,
            13,
            "between 1 and 5, found 6",
        );
    }

    #[test]
    fn unknown_enum_values_are_reported_with_the_allowed_ones() {
        assert_problem(
            &with(r#""soc_alert""#, r#""sms""#),
            16,
            11,
            "unknown `channel` value `sms`; allowed: soc_alert, email, phone_call, news, ticket, situation_update",
        );
        assert_problem(
            &with(r#""encryption""#, r#""ransomware""#),
            5,
            12,
            "allowed: dos, spoofing, malware, unauth_access, defacement, encryption, destruction, espionage_theft, combined, other, supply_chain",
        );
        assert_problem(
            &with(r#""tabletop""#, r#""war_game""#),
            8,
            16,
            "allowed: live_fire, tabletop, functional",
        );
        assert_problem(
            &with(r#""detect""#, r#""spot""#),
            21,
            8,
            "allowed: detect, acknowledge, report, contain, manual",
        );
        assert_problem(
            &with(r#""blue""#, r#""purple""#),
            15,
            12,
            "allowed: all, blue, red, controllers, team:SLOT",
        );
    }

    #[test]
    fn a_missing_required_field_is_reported_at_its_table() {
        assert_problem(
            &with("version = 1\n", ""),
            1,
            1,
            "missing `version` in the scenario",
        );
        assert_problem(
            &with("channel = \"soc_alert\"\n", ""),
            12,
            1,
            "missing `channel` in inject",
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_reported() {
        assert_problem(
            &with("version = 1", "version = \"1\""),
            2,
            11,
            "`version` must be an integer, found a string",
        );
        assert_problem(
            &with("points = 10", "points = -3"),
            23,
            10,
            "at least 0, found -3",
        );
    }

    #[test]
    fn every_problem_of_a_file_is_reported_at_once() {
        let src = with("min_level = 3", "min_level = 9")
            .replace(r#""soc_alert""#, r#""fax""#)
            .replace("technique = \"T1486\"\n", "");
        let found = problems(&src);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found.windows(2).all(|w| w[0] <= w[1]),
            "problems are in file order"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = with(
            r#"{ vi = "Cảnh báo", en = "Alert" }"#,
            r#"{ vi = "Cảnh báo", en = 5 }"#,
        );
        assert_problem(&src, 17, 33, "`title.en` must be a string");
    }

    fn shipped_sources() -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut sources = vec![VALID.to_owned()];
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                sources.push(std::fs::read_to_string(path).unwrap());
            }
        }
        sources
    }

    /// A valid file with a slice replaced by arbitrary text, so mutations
    /// reach the checks behind the TOML syntax.
    fn mutate(src: &str, at: usize, len: usize, insert: &str) -> String {
        let chars: Vec<char> = src.chars().collect();
        let at = at % (chars.len() + 1);
        let end = (at + len).min(chars.len());
        let mut out: String = chars[..at].iter().collect();
        out.push_str(insert);
        out.extend(&chars[end..]);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_parser_never_panics_on_arbitrary_text(src in any::<String>()) {
            let _ = parse_scenario(&src);
        }

        #[test]
        fn the_parser_never_panics_on_toml_like_text(
            src in r#"([a-z_\.]{1,12} = ("[^"\n]{0,12}"|-?[0-9]{1,12}|true|\[\]|\{ ?\}|"\+[0-9:]{1,9}")\n|\[\[injects(\.expectations)?\]\]\n){0,30}"#
        ) {
            let _ = parse_scenario(&src);
        }

        #[test]
        fn the_parser_never_panics_on_mutated_valid_files(
            pick in any::<prop::sample::Index>(),
            at in any::<usize>(),
            len in 0usize..40,
            insert in r#"[ -~\nđệ]{0,12}|"|\[\[|\]|=|\{|\}|"\+99:99"|-1|T1486|[0-9]{1,20}"#,
        ) {
            let sources = shipped_sources();
            let source: &String = pick.get(&sources);
            let src = mutate(source, at, len, &insert);
            if let Err(problems) = parse_scenario(&src) {
                prop_assert!(!problems.is_empty());
                let lines = src.lines().count().max(1) + 1;
                prop_assert!(problems.iter().all(|p| p.line >= 1 && p.line <= lines && p.col >= 1));
            }
        }
    }
}

//! The scenario editor's form: the rows as typed, the row actions that work
//! without JavaScript (add, move up/down, remove: the form comes back changed and
//! nothing is saved), and the way the form is checked.
//!
//! The form is written out as a scenario file, one field per line, and read back
//! by the file validator (`parse_scenario`), so the editor accepts exactly what
//! `cyberdrill scenario check` accepts. The line of each field is remembered, so
//! each problem (`LINE:COL`) is shown beside the field it is about.

use serde::Serialize;

use super::form::FormData;
use crate::scenario::{Problem, Release, Scenario, format_hms};
use crate::views::Lang;

/// Expectation slots shown per inject (more when a scenario already has more).
pub const EXPECTATION_SLOTS: usize = 3;
/// Empty objective rows offered below the filled ones.
const EXTRA_OBJECTIVES: usize = 2;
/// Inject rows read from one form; the form body limit keeps real forms far below.
const MAX_ROWS: usize = crate::scenario::msel::MAX_INJECTS + 1;

/// Problems beside a field; several are joined.
fn put(slot: &mut Option<String>, message: &str) {
    match slot {
        Some(existing) => {
            existing.push_str("; ");
            existing.push_str(message);
        }
        None => *slot = Some(message.to_owned()),
    }
}

#[derive(Serialize, Default, Clone, Debug)]
pub struct TopErrors {
    pub id: Option<String>,
    pub title_vi: Option<String>,
    pub title_en: Option<String>,
    pub summary_vi: Option<String>,
    pub summary_en: Option<String>,
    pub category: Option<String>,
    pub min_level: Option<String>,
    pub drill_kinds: Option<String>,
    pub duration: Option<String>,
    pub techniques: Option<String>,
    pub objectives: Option<String>,
}

#[derive(Serialize, Default, Clone, Debug)]
pub struct ObjectiveRow {
    /// 1-based, as shown.
    pub n: usize,
    pub vi: String,
    pub en: String,
    pub error: Option<String>,
}

#[derive(Serialize, Default, Clone, Debug)]
pub struct ExpErrors {
    pub kind: Option<String>,
    pub target: Option<String>,
    pub points: Option<String>,
    pub technique: Option<String>,
    pub description: Option<String>,
    pub general: Option<String>,
}

#[derive(Serialize, Default, Clone, Debug)]
pub struct ExpRow {
    /// 0-based slot, as in the field names.
    pub j: usize,
    pub n: usize,
    pub kind: String,
    pub target: String,
    pub points: String,
    pub technique: String,
    pub desc_vi: String,
    pub desc_en: String,
    pub errors: ExpErrors,
}

impl ExpRow {
    fn is_blank(&self) -> bool {
        [
            &self.kind,
            &self.target,
            &self.points,
            &self.technique,
            &self.desc_vi,
            &self.desc_en,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

#[derive(Serialize, Default, Clone, Debug)]
pub struct InjectErrors {
    pub key: Option<String>,
    pub offset: Option<String>,
    pub audience: Option<String>,
    pub channel: Option<String>,
    pub title_vi: Option<String>,
    pub title_en: Option<String>,
    pub body_vi: Option<String>,
    pub body_en: Option<String>,
    pub playbook: Option<String>,
    pub general: Option<String>,
}

#[derive(Serialize, Default, Clone, Debug)]
pub struct InjectRow {
    /// 0-based position, as in the field names and the row buttons.
    pub i: usize,
    /// 1-based, as shown.
    pub n: usize,
    pub first: bool,
    pub last: bool,
    pub key: String,
    pub offset: String,
    pub manual: bool,
    pub audience: String,
    pub channel: String,
    pub title_vi: String,
    pub title_en: String,
    pub body_vi: String,
    pub body_en: String,
    pub pb_category: String,
    pub pb_step: String,
    pub expectations: Vec<ExpRow>,
    pub errors: InjectErrors,
}

impl InjectRow {
    fn new_blank() -> Self {
        InjectRow {
            audience: "blue".into(),
            channel: "situation_update".into(),
            ..Default::default()
        }
    }

    /// A row the author added but never filled: skipped when saving.
    fn is_blank(&self) -> bool {
        !self.manual
            && [
                &self.key,
                &self.offset,
                &self.title_vi,
                &self.title_en,
                &self.body_vi,
                &self.body_en,
            ]
            .iter()
            .all(|v| v.trim().is_empty())
            && self.expectations.iter().all(ExpRow::is_blank)
    }
}

/// The whole form, as typed.
#[derive(Serialize, Default, Clone, Debug)]
pub struct ScenarioFields {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub summary_vi: String,
    pub summary_en: String,
    pub category: String,
    pub min_level: String,
    pub drill_kinds: Vec<String>,
    pub duration: String,
    /// ATT&CK ids separated by commas or spaces.
    pub techniques: String,
    pub objectives: Vec<ObjectiveRow>,
    pub injects: Vec<InjectRow>,
    pub errors: TopErrors,
}

/// What the author asked for with the button they pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Save,
    /// Validate and show problems and the timeline; save nothing.
    Check,
    Add,
    MoveUp(usize),
    MoveDown(usize),
    Remove(usize),
}

impl Action {
    pub fn parse(text: &str) -> Action {
        let (verb, row) = text.split_once(':').unwrap_or((text, ""));
        let row = row.parse::<usize>().ok();
        match (verb, row) {
            ("save", _) => Action::Save,
            ("add", _) => Action::Add,
            ("move-up", Some(i)) => Action::MoveUp(i),
            ("move-down", Some(i)) => Action::MoveDown(i),
            ("remove", Some(i)) => Action::Remove(i),
            _ => Action::Check,
        }
    }
}

/// Form text with browser line ends (`\r\n`) made plain.
fn text(form: &FormData, name: &str) -> String {
    form.get(name).replace("\r\n", "\n")
}

fn trimmed(form: &FormData, name: &str) -> String {
    form.get(name).trim().to_owned()
}

/// The row numbers that appear in `prefix.N.` field names, in order.
fn indices(form: &FormData, prefix: &str) -> Vec<usize> {
    let mut found: Vec<usize> = form
        .0
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(prefix))
        .filter_map(|rest| rest.split('.').next())
        .filter_map(|n| n.parse().ok())
        .collect();
    found.sort_unstable();
    found.dedup();
    found.truncate(MAX_ROWS);
    found
}

impl ScenarioFields {
    /// A new scenario: one empty inject to start from.
    pub fn blank() -> Self {
        ScenarioFields {
            drill_kinds: vec!["tabletop".into()],
            duration: "02:00:00".into(),
            min_level: "1".into(),
            injects: vec![InjectRow::new_blank()],
            ..Default::default()
        }
    }

    pub fn from_scenario(s: &Scenario) -> Self {
        ScenarioFields {
            id: s.id.to_string(),
            title_vi: s.title.vi.clone(),
            title_en: s.title.en.clone(),
            summary_vi: s.summary.vi.clone(),
            summary_en: s.summary.en.clone(),
            category: s.category.code().to_owned(),
            min_level: s.min_level.get().to_string(),
            drill_kinds: s
                .drill_kinds
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
            duration: format_hms(s.duration_secs),
            techniques: s
                .techniques
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            objectives: s
                .objectives
                .iter()
                .map(|o| ObjectiveRow {
                    vi: o.vi.clone(),
                    en: o.en.clone(),
                    ..Default::default()
                })
                .collect(),
            injects: s
                .injects
                .iter()
                .map(|inj| InjectRow {
                    key: inj.key.to_string(),
                    offset: match inj.release {
                        Release::Scheduled { offset_secs } => {
                            format!("+{}", format_hms(offset_secs))
                        }
                        Release::Manual => String::new(),
                    },
                    manual: inj.release == Release::Manual,
                    audience: inj.audience.to_string(),
                    channel: inj.channel.as_str().to_owned(),
                    title_vi: inj.title.vi.clone(),
                    title_en: inj.title.en.clone(),
                    body_vi: inj.body.vi.clone(),
                    body_en: inj.body.en.clone(),
                    pb_category: inj
                        .playbook_step
                        .map(|p| p.category.code().to_owned())
                        .unwrap_or_default(),
                    pb_step: inj
                        .playbook_step
                        .map(|p| p.step.to_string())
                        .unwrap_or_default(),
                    expectations: inj
                        .expectations
                        .iter()
                        .map(|e| ExpRow {
                            kind: e.kind.as_str().to_owned(),
                            target: format_hms(e.target_secs),
                            points: e.points.to_string(),
                            technique: e
                                .technique
                                .as_ref()
                                .map(|t| t.as_str().to_owned())
                                .unwrap_or_default(),
                            desc_vi: e
                                .description
                                .as_ref()
                                .map(|d| d.vi.clone())
                                .unwrap_or_default(),
                            desc_en: e
                                .description
                                .as_ref()
                                .map(|d| d.en.clone())
                                .unwrap_or_default(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            errors: TopErrors::default(),
        }
    }

    pub fn from_form(form: &FormData) -> Self {
        let objectives = indices(form, "obj.")
            .into_iter()
            .map(|i| ObjectiveRow {
                vi: text(form, &format!("obj.{i}.vi")).trim().to_owned(),
                en: text(form, &format!("obj.{i}.en")).trim().to_owned(),
                ..Default::default()
            })
            .filter(|o| !o.vi.is_empty() || !o.en.is_empty())
            .collect();
        let injects = indices(form, "inj.")
            .into_iter()
            .map(|i| {
                let f = |name: &str| format!("inj.{i}.{name}");
                let expectations = indices(form, &format!("inj.{i}.exp."))
                    .into_iter()
                    .map(|j| {
                        let g = |name: &str| format!("inj.{i}.exp.{j}.{name}");
                        ExpRow {
                            kind: trimmed(form, &g("kind")),
                            target: trimmed(form, &g("target")),
                            points: trimmed(form, &g("points")),
                            technique: trimmed(form, &g("technique")),
                            desc_vi: text(form, &g("desc_vi")).trim().to_owned(),
                            desc_en: text(form, &g("desc_en")).trim().to_owned(),
                            ..Default::default()
                        }
                    })
                    .filter(|e| !e.is_blank())
                    .collect();
                InjectRow {
                    key: trimmed(form, &f("key")),
                    offset: trimmed(form, &f("offset")),
                    manual: form.checked(&f("manual")),
                    audience: trimmed(form, &f("audience")),
                    channel: trimmed(form, &f("channel")),
                    title_vi: text(form, &f("title_vi")).trim().to_owned(),
                    title_en: text(form, &f("title_en")).trim().to_owned(),
                    body_vi: text(form, &f("body_vi")),
                    body_en: text(form, &f("body_en")),
                    pb_category: trimmed(form, &f("pb_category")),
                    pb_step: trimmed(form, &f("pb_step")),
                    expectations,
                    ..Default::default()
                }
            })
            .collect();
        ScenarioFields {
            id: trimmed(form, "id"),
            title_vi: text(form, "title_vi").trim().to_owned(),
            title_en: text(form, "title_en").trim().to_owned(),
            summary_vi: text(form, "summary_vi").trim().to_owned(),
            summary_en: text(form, "summary_en").trim().to_owned(),
            category: trimmed(form, "category"),
            min_level: trimmed(form, "min_level"),
            drill_kinds: form
                .all("drill_kinds")
                .into_iter()
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
            duration: trimmed(form, "duration"),
            techniques: trimmed(form, "techniques"),
            objectives,
            injects,
            errors: TopErrors::default(),
        }
    }

    /// Applies a row button. Returns false for save and check, which are not row edits.
    pub fn apply(&mut self, action: Action) -> bool {
        let rows = &mut self.injects;
        match action {
            Action::Add => rows.push(InjectRow::new_blank()),
            Action::MoveUp(i) if i > 0 && i < rows.len() => rows.swap(i - 1, i),
            Action::MoveDown(i) if i + 1 < rows.len() => rows.swap(i, i + 1),
            Action::Remove(i) if i < rows.len() => {
                rows.remove(i);
            }
            Action::MoveUp(_) | Action::MoveDown(_) | Action::Remove(_) => {}
            Action::Save | Action::Check => return false,
        }
        if rows.is_empty() {
            rows.push(InjectRow::new_blank());
        }
        true
    }

    /// Numbers the rows and adds the empty slots the form offers.
    pub fn finish(mut self) -> Self {
        let count = self.injects.len();
        for (i, row) in self.injects.iter_mut().enumerate() {
            row.i = i;
            row.n = i + 1;
            row.first = i == 0;
            row.last = i + 1 == count;
            while row.expectations.len() < EXPECTATION_SLOTS {
                row.expectations.push(ExpRow::default());
            }
            for (j, e) in row.expectations.iter_mut().enumerate() {
                e.j = j;
                e.n = j + 1;
            }
        }
        self.objectives
            .extend((0..EXTRA_OBJECTIVES).map(|_| ObjectiveRow::default()));
        for (i, o) in self.objectives.iter_mut().enumerate() {
            o.n = i + 1;
        }
        self
    }
}

// ---------------------------------------------------------------- form → file

/// What a line of the written file holds, to place problems back on the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    General,
    Top(TopField),
    Objective(usize),
    Inject(usize, InjectField),
    Expectation(usize, usize, ExpField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopField {
    Id,
    TitleVi,
    TitleEn,
    SummaryVi,
    SummaryEn,
    Category,
    MinLevel,
    DrillKinds,
    Duration,
    Techniques,
    Objectives,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectField {
    Header,
    Key,
    Offset,
    Audience,
    Channel,
    TitleVi,
    TitleEn,
    BodyVi,
    BodyEn,
    Playbook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpField {
    Header,
    Kind,
    Target,
    Points,
    Technique,
    Description,
}

/// A TOML basic string on one line, whatever the text holds.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A whole number as a number (so `points = 10` reads as the validator expects),
/// anything else as a string (so a typo is a problem on this line, not a syntax
/// error that would hide every other problem).
fn number_or_text(text: &str) -> String {
    let t = text.trim();
    if !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit()) {
        t.to_owned()
    } else {
        quote(t)
    }
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Splits "T1566.001, T1204 T1059" into ids.
fn technique_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The file, line by line, with what each line holds.
#[derive(Default)]
struct Writer {
    lines: Vec<(String, Slot)>,
}

impl Writer {
    fn line(&mut self, text: String, slot: Slot) {
        self.lines.push((text, slot));
    }
}

impl ScenarioFields {
    /// The form as a scenario file, and what each line (0-based) holds. Injects the
    /// author added but never filled are left out.
    pub fn to_file(&self) -> (String, Vec<Slot>) {
        use TopField as T;
        let mut w = Writer::default();
        w.line("# scenario editor".into(), Slot::General);
        w.line(format!("id = {}", quote(&self.id)), Slot::Top(T::Id));
        // The server numbers versions; any number the validator accepts will do.
        w.line("version = 1".into(), Slot::General);
        w.line(
            format!("title.vi = {}", quote(&self.title_vi)),
            Slot::Top(T::TitleVi),
        );
        w.line(
            format!("title.en = {}", quote(&self.title_en)),
            Slot::Top(T::TitleEn),
        );
        w.line(
            format!("summary.vi = {}", quote(&self.summary_vi)),
            Slot::Top(T::SummaryVi),
        );
        w.line(
            format!("summary.en = {}", quote(&self.summary_en)),
            Slot::Top(T::SummaryEn),
        );
        w.line(
            format!("category = {}", quote(&self.category)),
            Slot::Top(T::Category),
        );
        w.line(
            format!("techniques = {}", list(&technique_list(&self.techniques))),
            Slot::Top(T::Techniques),
        );
        w.line(
            format!("min_level = {}", number_or_text(&self.min_level)),
            Slot::Top(T::MinLevel),
        );
        w.line(
            format!("drill_kinds = {}", list(&self.drill_kinds)),
            Slot::Top(T::DrillKinds),
        );
        w.line(
            format!("duration = {}", number_or_text(&self.duration)),
            Slot::Top(T::Duration),
        );
        w.line("objectives = [".into(), Slot::Top(T::Objectives));
        for (i, o) in self.objectives.iter().enumerate() {
            if o.vi.trim().is_empty() && o.en.trim().is_empty() {
                continue;
            }
            w.line(
                format!("  {{ vi = {}, en = {} }},", quote(&o.vi), quote(&o.en)),
                Slot::Objective(i),
            );
        }
        w.line("]".into(), Slot::Top(T::Objectives));
        for (i, row) in self.injects.iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            write_inject(&mut w, i, row);
        }
        let mut file = String::new();
        let mut slots = Vec::with_capacity(w.lines.len());
        for (text, slot) in w.lines {
            file.push_str(&text);
            file.push('\n');
            slots.push(slot);
        }
        (file, slots)
    }
}

fn write_inject(w: &mut Writer, i: usize, row: &InjectRow) {
    use InjectField as F;
    let at = |f| Slot::Inject(i, f);
    w.line(String::new(), at(F::Header));
    w.line("[[injects]]".into(), at(F::Header));
    w.line(format!("key = {}", quote(&row.key)), at(F::Key));
    if row.manual {
        w.line("manual = true".into(), at(F::Offset));
    }
    if !row.offset.is_empty() || !row.manual {
        w.line(
            format!("offset = {}", number_or_text(&row.offset)),
            at(F::Offset),
        );
    }
    w.line(
        format!("audience = {}", quote(&row.audience)),
        at(F::Audience),
    );
    w.line(format!("channel = {}", quote(&row.channel)), at(F::Channel));
    if !row.pb_category.is_empty() || !row.pb_step.is_empty() {
        w.line(
            format!(
                "playbook_step = {{ category = {}, step = {} }}",
                quote(&row.pb_category),
                number_or_text(&row.pb_step)
            ),
            at(F::Playbook),
        );
    }
    w.line(
        format!("title.vi = {}", quote(&row.title_vi)),
        at(F::TitleVi),
    );
    w.line(
        format!("title.en = {}", quote(&row.title_en)),
        at(F::TitleEn),
    );
    w.line(format!("body.vi = {}", quote(&row.body_vi)), at(F::BodyVi));
    w.line(format!("body.en = {}", quote(&row.body_en)), at(F::BodyEn));
    for (j, e) in row.expectations.iter().enumerate() {
        if e.is_blank() {
            continue;
        }
        let at = |f| Slot::Expectation(i, j, f);
        w.line("[[injects.expectations]]".into(), at(ExpField::Header));
        w.line(format!("kind = {}", quote(&e.kind)), at(ExpField::Kind));
        w.line(
            format!("target = {}", number_or_text(&e.target)),
            at(ExpField::Target),
        );
        w.line(
            format!("points = {}", number_or_text(&e.points)),
            at(ExpField::Points),
        );
        if !e.technique.is_empty() {
            w.line(
                format!("technique = {}", quote(&e.technique)),
                at(ExpField::Technique),
            );
        }
        if !e.desc_vi.is_empty() || !e.desc_en.is_empty() {
            w.line(
                format!(
                    "description = {{ vi = {}, en = {} }}",
                    quote(&e.desc_vi),
                    quote(&e.desc_en)
                ),
                at(ExpField::Description),
            );
        }
    }
}

// ---------------------------------------------------------------- problems → form

/// A problem for the list at the top of the form.
#[derive(Serialize, Debug, Clone)]
pub struct ProblemVm {
    /// Fluent key of the place: the scenario, an objective or an inject.
    pub place: &'static str,
    /// Row number (1-based) for objectives and injects.
    pub n: usize,
    /// Fluent key of the field, if the problem is about one.
    pub field: Option<&'static str>,
    /// `LINE:COL` in the file the form was checked as.
    pub at: String,
    pub message: String,
}

impl ScenarioFields {
    /// Puts each problem beside its field and returns the list for the top of the
    /// form, in the page's language. `slots` comes from [`ScenarioFields::to_file`]
    /// for this same form.
    pub fn place_problems(
        &mut self,
        problems: &[Problem],
        slots: &[Slot],
        lang: Lang,
    ) -> Vec<ProblemVm> {
        let mut list = Vec::with_capacity(problems.len());
        for p in problems {
            let slot = slots
                .get(p.line.saturating_sub(1))
                .copied()
                .unwrap_or(Slot::General);
            let message = p.message_in(lang == Lang::Vi);
            let (place, n, field) = self.place_one(slot, message);
            list.push(ProblemVm {
                place,
                n,
                field,
                at: format!("{}:{}", p.line, p.col),
                message: message.to_owned(),
            });
        }
        list
    }

    fn place_one(
        &mut self,
        slot: Slot,
        message: &str,
    ) -> (&'static str, usize, Option<&'static str>) {
        use TopField as T;
        match slot {
            Slot::General => ("scenario-place-scenario", 0, None),
            Slot::Top(f) => {
                let e = &mut self.errors;
                let (target, key) = match f {
                    T::Id => (&mut e.id, "scenario-field-id"),
                    T::TitleVi => (&mut e.title_vi, "scenario-field-title-vi"),
                    T::TitleEn => (&mut e.title_en, "scenario-field-title-en"),
                    T::SummaryVi => (&mut e.summary_vi, "scenario-field-summary-vi"),
                    T::SummaryEn => (&mut e.summary_en, "scenario-field-summary-en"),
                    T::Category => (&mut e.category, "scenario-field-category"),
                    T::MinLevel => (&mut e.min_level, "scenario-field-min-level"),
                    T::DrillKinds => (&mut e.drill_kinds, "scenario-field-drill-kinds"),
                    T::Duration => (&mut e.duration, "scenario-field-duration"),
                    T::Techniques => (&mut e.techniques, "scenario-field-techniques"),
                    T::Objectives => (&mut e.objectives, "scenario-field-objectives"),
                };
                put(target, message);
                ("scenario-place-scenario", 0, Some(key))
            }
            Slot::Objective(i) => {
                if let Some(o) = self.objectives.get_mut(i) {
                    put(&mut o.error, message);
                }
                ("scenario-place-objective", i + 1, None)
            }
            Slot::Inject(i, f) => {
                let Some(row) = self.injects.get_mut(i) else {
                    return ("scenario-place-scenario", 0, None);
                };
                let e = &mut row.errors;
                let (target, key) = match f {
                    InjectField::Header => (&mut e.general, None),
                    InjectField::Key => (&mut e.key, Some("inject-field-key")),
                    InjectField::Offset => (&mut e.offset, Some("inject-field-offset")),
                    InjectField::Audience => (&mut e.audience, Some("inject-field-audience")),
                    InjectField::Channel => (&mut e.channel, Some("inject-field-channel")),
                    InjectField::TitleVi => (&mut e.title_vi, Some("inject-field-title-vi")),
                    InjectField::TitleEn => (&mut e.title_en, Some("inject-field-title-en")),
                    InjectField::BodyVi => (&mut e.body_vi, Some("inject-field-body-vi")),
                    InjectField::BodyEn => (&mut e.body_en, Some("inject-field-body-en")),
                    InjectField::Playbook => (&mut e.playbook, Some("inject-field-playbook")),
                };
                put(target, message);
                ("scenario-place-inject", i + 1, key)
            }
            Slot::Expectation(i, j, f) => {
                let Some(exp) = self
                    .injects
                    .get_mut(i)
                    .and_then(|r| r.expectations.get_mut(j))
                else {
                    return ("scenario-place-scenario", 0, None);
                };
                let e = &mut exp.errors;
                let (target, key) = match f {
                    ExpField::Header => (&mut e.general, None),
                    ExpField::Kind => (&mut e.kind, Some("exp-field-kind")),
                    ExpField::Target => (&mut e.target, Some("exp-field-target")),
                    ExpField::Points => (&mut e.points, Some("exp-field-points")),
                    ExpField::Technique => (&mut e.technique, Some("exp-field-technique")),
                    ExpField::Description => (&mut e.description, Some("exp-field-description")),
                };
                put(target, message);
                ("scenario-place-inject", i + 1, key)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn valid_pairs() -> Vec<(&'static str, &'static str)> {
        vec![
            ("id", "web-form-drill"),
            ("title_vi", "Diễn tập \"thử\""),
            ("title_en", "A \"test\" drill"),
            ("summary_vi", "Tóm tắt\r\nhai dòng"),
            ("summary_en", "Summary"),
            ("category", "malware"),
            ("min_level", "2"),
            ("drill_kinds", "tabletop"),
            ("duration", "02:00:00"),
            ("techniques", "T1566.001, T1204"),
            ("obj.0.vi", "Phát hiện"),
            ("obj.0.en", "Detect"),
            ("inj.0.key", "first"),
            ("inj.0.offset", "+00:10:00"),
            ("inj.0.audience", "blue"),
            ("inj.0.channel", "soc_alert"),
            ("inj.0.title_vi", "Cảnh báo"),
            ("inj.0.title_en", "Alert"),
            ("inj.0.body_vi", "Nội dung"),
            ("inj.0.body_en", "Body"),
            ("inj.0.exp.0.kind", "detect"),
            ("inj.0.exp.0.target", "00:15:00"),
            ("inj.0.exp.0.points", "10"),
            ("inj.0.exp.0.technique", "T1566.001"),
            ("inj.0.exp.1.kind", ""),
            ("inj.1.key", "second"),
            ("inj.1.manual", "on"),
            ("inj.1.audience", "controllers"),
            ("inj.1.channel", "situation_update"),
            ("inj.1.title_vi", "Ghi chú"),
            ("inj.1.title_en", "Note"),
            ("inj.1.body_vi", "Nội dung"),
            ("inj.1.body_en", "Body"),
        ]
    }

    #[test]
    fn a_filled_form_is_a_valid_scenario_file() {
        let fields = ScenarioFields::from_form(&form(&valid_pairs()));
        let (file, slots) = fields.to_file();
        assert_eq!(file.lines().count(), slots.len());
        let scenario = parse_scenario(&file).unwrap_or_else(|p| panic!("{p:?}\n{file}"));
        assert_eq!(scenario.injects.len(), 2);
        assert_eq!(scenario.injects[1].release, Release::Manual);
        assert_eq!(scenario.summary.vi, "Tóm tắt\nhai dòng");
        assert_eq!(scenario.title.en, "A \"test\" drill");
        // And back: the form of a scenario writes the same scenario.
        let again = ScenarioFields::from_scenario(&scenario).to_file().0;
        assert_eq!(parse_scenario(&again), Ok(scenario));
    }

    #[test]
    fn problems_land_beside_their_fields() {
        let mut pairs = valid_pairs();
        pairs.retain(|(k, _)| *k != "inj.0.offset" && *k != "inj.0.exp.0.points");
        pairs.push(("inj.0.offset", "+99:99"));
        pairs.push(("inj.0.exp.0.points", "many"));
        let mut fields = ScenarioFields::from_form(&form(&pairs));
        let (file, slots) = fields.to_file();
        let problems = parse_scenario(&file).expect_err("invalid");
        let list = fields.place_problems(&problems, &slots, Lang::Vi);
        assert!(fields.injects[0].errors.offset.is_some(), "{list:?}");
        // Beside the field and in the list, in the page's language.
        assert!(
            list.iter().any(|p| p
                .message
                .contains("`+99:99` không phải là một khoảng thời gian")),
            "{list:?}"
        );
        assert!(
            fields.injects[0].expectations[0].errors.points.is_some(),
            "{list:?}"
        );
        assert!(
            list.iter()
                .all(|p| p.place == "scenario-place-inject" && p.n == 1)
        );
    }

    #[test]
    fn row_buttons_move_and_remove_rows() {
        let mut fields = ScenarioFields::from_form(&form(&valid_pairs()));
        assert!(fields.apply(Action::parse("move-down:0")));
        assert_eq!(fields.injects[0].key, "second");
        assert!(fields.apply(Action::parse("move-up:1")));
        assert_eq!(fields.injects[0].key, "first");
        assert!(fields.apply(Action::parse("remove:0")));
        assert_eq!(fields.injects.len(), 1);
        assert!(fields.apply(Action::parse("add")));
        assert_eq!(fields.injects.len(), 2);
        assert!(!fields.apply(Action::parse("save")));
        // Out of range does nothing rather than panic.
        assert!(fields.apply(Action::parse("move-up:99")));
        assert_eq!(fields.injects.len(), 2);
    }
}

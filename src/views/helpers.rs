//! Handlebars helpers: translation (`t`, `label`), Vietnam-time formatting, and small
//! list helpers. Helpers never build HTML; handlebars escapes what they return.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
    ScopedJson,
};
use serde_json::Value;

use super::i18n::{self, Lang};
use crate::time::display_vn;

pub fn register(registry: &mut Handlebars<'static>) {
    registry.register_helper("t", Box::new(translate));
    registry.register_helper("label", Box::new(label));
    registry.register_helper("vn_time", Box::new(VnTime));
    registry.register_helper("vn_date", Box::new(VnDate));
    registry.register_helper("join", Box::new(join));
    registry.register_helper("contains", Box::new(Contains));
    registry.register_helper("concat", Box::new(Concat));
    registry.register_helper("words", Box::new(Words));
}

fn lang_of(ctx: &Context) -> Lang {
    ctx.data()
        .get("lang")
        .and_then(Value::as_str)
        .and_then(Lang::from_code)
        .unwrap_or_default()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn lookup_or_key(lang: Lang, key: &str, args: &HashMap<String, String>) -> String {
    i18n::lookup(lang, key, args).unwrap_or_else(|| {
        tracing::warn!(key, "missing translation");
        key.to_owned()
    })
}

/// `{{t "key" name=value}}`: the message in the page's language.
fn translate(
    h: &Helper,
    _: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let key = h
        .param(0)
        .map(|p| text_of(p.value()))
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
    let args: HashMap<String, String> = h
        .hash()
        .iter()
        .map(|(k, v)| ((*k).to_owned(), text_of(v.value())))
        .collect();
    out.write(&lookup_or_key(lang_of(ctx), &key, &args))?;
    Ok(())
}

/// `{{label "sector" code}}`: the label of an enumeration value (key `sector-CODE`).
fn label(
    h: &Helper,
    _: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let prefix = h
        .param(0)
        .map(|p| text_of(p.value()))
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("label", 0))?;
    let code = h
        .param(1)
        .map(|p| text_of(p.value()))
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("label", 1))?;
    if code.is_empty() {
        return Ok(());
    }
    let key = format!("{prefix}-{}", code.replace('_', "-"));
    out.write(&lookup_or_key(lang_of(ctx), &key, &HashMap::new()))?;
    Ok(())
}

/// `{{vn_time t}}`: an RFC 3339 time shown as `dd/mm/yyyy HH:MM` in Vietnam time.
/// Also usable as a subexpression, e.g. as an argument of `t`.
struct VnTime;

impl HelperDef for VnTime {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let raw = h.param(0).map(|p| text_of(p.value())).unwrap_or_default();
        let shown = raw.parse::<DateTime<Utc>>().map(display_vn).unwrap_or(raw);
        Ok(ScopedJson::Derived(Value::String(shown)))
    }
}

/// `{{vn_date d}}`: an ISO date shown as `dd/mm/yyyy`; also usable as a subexpression.
struct VnDate;

impl HelperDef for VnDate {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let raw = h.param(0).map(|p| text_of(p.value())).unwrap_or_default();
        let shown = raw
            .parse::<NaiveDate>()
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or(raw);
        Ok(ScopedJson::Derived(Value::String(shown)))
    }
}

/// `{{join list ", "}}`.
fn join(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let sep = h
        .param(1)
        .map(|p| text_of(p.value()))
        .unwrap_or_else(|| ", ".to_owned());
    if let Some(Value::Array(items)) = h.param(0).map(|p| p.value()) {
        out.write(&items.iter().map(text_of).collect::<Vec<_>>().join(&sep))?;
    }
    Ok(())
}

/// `(contains list value)`: for checked boxes and selected options.
struct Contains;

impl HelperDef for Contains {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let found = match (h.param(0).map(|p| p.value()), h.param(1).map(|p| p.value())) {
            (Some(Value::Array(items)), Some(v)) => items.contains(v),
            _ => false,
        };
        Ok(ScopedJson::Derived(Value::Bool(found)))
    }
}

/// `(words "block_ip isolate patch")`: a list of codes written in a template, for the
/// options of a fixed choice (`{{#each (words …)}}`).
struct Words;

impl HelperDef for Words {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let list = h
            .param(0)
            .map(|p| text_of(p.value()))
            .unwrap_or_default()
            .split_whitespace()
            .map(|w| Value::String(w.to_owned()))
            .collect();
        Ok(ScopedJson::Derived(Value::Array(list)))
    }
}

/// `(concat "error-page-" code)`: builds a translation key from parts.
struct Concat;

impl HelperDef for Concat {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let joined: String = h.params().iter().map(|p| text_of(p.value())).collect();
        Ok(ScopedJson::Derived(Value::String(joined)))
    }
}

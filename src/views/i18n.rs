//! Languages and message lookup. Vietnamese is the default; English by a switch.

use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};
use serde::Serialize;

static_loader! {
    pub static LOCALES = {
        locales: "./web/locales",
        fallback_language: "vi",
        // No Unicode isolation marks around arguments: they show as stray boxes in
        // some PDF and terminal viewers.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub const COOKIE: &'static str = "lang";

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Vi => fluent_templates::langid!("vi"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }
}

/// Looks a message up; `None` when the key exists in neither language.
pub fn lookup(lang: Lang, key: &str, args: &HashMap<String, String>) -> Option<String> {
    let args: HashMap<std::borrow::Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| (std::borrow::Cow::Owned(k.clone()), FluentValue::from(v.clone())))
        .collect();
    let args = if args.is_empty() { None } else { Some(&args) };
    LOCALES.try_lookup_complete(&lang.id(), key, args)
}

/// Looks a message up, falling back to the key itself (visible, and caught by the
/// translation test) rather than failing a whole page.
pub fn t(lang: Lang, key: &str) -> String {
    lookup(lang, key, &HashMap::new()).unwrap_or_else(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_and_english_differ_for_the_app_name_tagline() {
        let vi = lookup(Lang::Vi, "nav-home", &HashMap::new()).unwrap();
        let en = lookup(Lang::En, "nav-home", &HashMap::new()).unwrap();
        assert_ne!(vi, en);
    }
}

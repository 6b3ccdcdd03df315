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
        .map(|(k, v)| {
            (
                std::borrow::Cow::Owned(k.clone()),
                FluentValue::from(v.clone()),
            )
        })
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
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::domain::{
        CertificateScope, DegreeLevel, DossierStatus, Employment, ExpertGroup, FieldOfStudy,
        IncidentCategory, Role, Sector, Side, SystemType,
    };

    fn web(dir: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("web").join(dir)
    }

    /// Files under `dir` whose name ends with `ext`, recursively.
    fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.to_string_lossy().ends_with(ext) {
                    out.push(path);
                }
            }
        }
        out.sort();
        out
    }

    /// The message ids of every `.ftl` file of one language: lines that start a
    /// message (`id = ...`), not comments, attributes or continuation lines.
    fn message_ids(lang: &str) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for file in files(&web("locales").join(lang), ".ftl") {
            for line in std::fs::read_to_string(&file).unwrap().lines() {
                let Some((id, _)) = line.split_once('=') else {
                    continue;
                };
                let id = id.trim_end();
                let starts_message = id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if starts_message {
                    assert!(ids.insert(id.to_owned()), "{id} is defined twice in {lang}");
                }
            }
        }
        ids
    }

    /// Literal translation keys in a template: `{{t "key"}}`, `(t "key")`, and the
    /// `text=`, `hint=` and `blank=` labels handed to the form partials.
    fn template_keys(source: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for opener in ["{{t \"", "(t \"", "text=\"", "hint=\"", "blank=\""] {
            let mut rest = source;
            while let Some(at) = rest.find(opener) {
                rest = &rest[at + opener.len()..];
                if let Some(end) = rest.find('"') {
                    keys.push(rest[..end].to_owned());
                }
            }
        }
        keys
    }

    #[test]
    fn vietnamese_and_english_differ_for_the_app_name_tagline() {
        let vi = lookup(Lang::Vi, "nav-home", &HashMap::new()).unwrap();
        let en = lookup(Lang::En, "nav-home", &HashMap::new()).unwrap();
        assert_ne!(vi, en);
    }

    #[test]
    fn vietnamese_and_english_define_the_same_messages() {
        let vi = message_ids("vi");
        let en = message_ids("en");
        assert!(
            vi.len() > 100,
            "the locale files were not found: {} ids",
            vi.len()
        );
        let only_vi: Vec<_> = vi.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&vi).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "only in vi: {only_vi:?}; only in en: {only_en:?}"
        );
    }

    #[test]
    fn every_key_a_template_names_is_translated_in_both_languages() {
        let templates = files(&web("templates"), ".hbs");
        assert!(templates.len() > 10, "templates not found");
        // Defined ids rather than lookups: a message with variables does not resolve
        // without its arguments.
        let defined = [("vi", message_ids("vi")), ("en", message_ids("en"))];
        let mut missing = Vec::new();
        for file in &templates {
            let source = std::fs::read_to_string(file).unwrap();
            for key in template_keys(&source) {
                for (lang, ids) in &defined {
                    if !ids.contains(&key) {
                        missing.push(format!("{} ({lang}): {key}", file.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "untranslated keys: {missing:#?}");
    }

    #[test]
    fn the_key_scanner_finds_helper_calls_and_partial_labels() {
        let keys = template_keys(
            r#"{{t "a"}} {{label "sector" x}} {{t (concat "b" c)}} {{#if (t "d")}} {{> p text="e" hint="f"}}"#,
        );
        assert_eq!(keys, vec!["a", "d", "e", "f"]);
    }

    #[test]
    fn every_enumeration_value_has_a_label_in_both_languages() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(Role::ALL.iter().map(|v| v.label_key()));
        keys.extend(SystemType::ALL.iter().map(|v| v.label_key()));
        keys.extend(Sector::ALL.iter().map(|v| v.label_key()));
        keys.extend(DossierStatus::ALL.iter().map(|v| v.label_key()));
        keys.extend(IncidentCategory::ALL.iter().map(|v| v.label_key()));
        keys.extend(Side::ALL.iter().map(|v| v.label_key()));
        keys.extend(Employment::ALL.iter().map(|v| v.label_key()));
        keys.extend(ExpertGroup::ALL.iter().map(|v| v.label_key()));
        keys.extend(FieldOfStudy::ALL.iter().map(|v| v.label_key()));
        keys.extend(DegreeLevel::ALL.iter().map(|v| v.label_key()));
        keys.extend(CertificateScope::ALL.iter().map(|v| v.label_key()));
        let missing: Vec<String> = keys
            .iter()
            .flat_map(|k| [Lang::Vi, Lang::En].map(|lang| (lang, k)))
            .filter(|(lang, k)| lookup(*lang, k, &HashMap::new()).is_none())
            .map(|(lang, k)| format!("{}: {k}", lang.code()))
            .collect();
        assert!(
            missing.is_empty(),
            "enumeration values without a label: {missing:?}"
        );
    }

    #[test]
    fn field_error_codes_the_forms_produce_have_messages() {
        for code in [
            "required",
            "too_long",
            "too_many",
            "invalid",
            "future_date",
            "date_order",
            "stage_not_reached",
            "duplicate",
            "invalid_reference",
            "invalid_date",
            "level_range",
            "unknown_value",
        ] {
            let key = format!("error-{}", code.replace('_', "-"));
            for lang in [Lang::Vi, Lang::En] {
                assert!(
                    lookup(lang, &key, &HashMap::new()).is_some(),
                    "{key} missing in {}",
                    lang.code()
                );
            }
        }
    }
}

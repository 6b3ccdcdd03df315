//! [`Scenario`] → scenario file, laid out the way people write them by hand
//! (see `scenarios/README.md`), so exports can be edited and re-imported.
//! `parse_scenario(&to_toml(s)) == Ok(s)` for every valid scenario.

use std::fmt::Write as _;

use super::model::{Bilingual, Expectation, Inject, Release, Scenario};
use super::offset::format_hms;

/// Bilingual texts shorter than this (both languages together) stay on one
/// line as `{ vi = "…", en = "…" }`; longer ones get a line per language.
const INLINE_TEXT_LIMIT: usize = 100;

/// Writes a scenario as a TOML scenario file.
pub fn to_toml(scenario: &Scenario) -> String {
    let mut out = String::new();
    let keywords = |list: Vec<&str>| {
        let quoted: Vec<String> = list.into_iter().map(quote_line).collect();
        format!("[{}]", quoted.join(", "))
    };
    put(&mut out, "id", &quote_line(scenario.id.as_str()));
    put(&mut out, "version", &scenario.version.to_string());
    put(&mut out, "category", &quote_line(scenario.category.code()));
    put(&mut out, "min_level", &scenario.min_level.get().to_string());
    put(
        &mut out,
        "drill_kinds",
        &keywords(scenario.drill_kinds.iter().map(|k| k.as_str()).collect()),
    );
    put(
        &mut out,
        "duration",
        &quote_line(&format_hms(scenario.duration_secs)),
    );
    put(
        &mut out,
        "techniques",
        &keywords(scenario.techniques.iter().map(|t| t.as_str()).collect()),
    );
    bilingual(&mut out, "title", &scenario.title);
    bilingual(&mut out, "summary", &scenario.summary);
    out.push_str("objectives = [\n");
    for objective in &scenario.objectives {
        let _ = writeln!(out, "  {},", inline_text(objective));
    }
    out.push_str("]\n");
    for inject in &scenario.injects {
        write_inject(&mut out, inject);
    }
    out
}

fn write_inject(out: &mut String, inject: &Inject) {
    out.push_str("\n[[injects]]\n");
    put(out, "key", &quote_line(inject.key.as_str()));
    match inject.release {
        Release::Scheduled { offset_secs } => {
            put(
                out,
                "offset",
                &quote_line(&format!("+{}", format_hms(offset_secs))),
            );
        }
        Release::Manual => put(out, "manual", "true"),
    }
    put(out, "audience", &quote_line(&inject.audience.to_string()));
    put(out, "channel", &quote_line(inject.channel.as_str()));
    if let Some(step) = inject.playbook_step {
        put(
            out,
            "playbook_step",
            &format!(
                "{{ category = {}, step = {} }}",
                quote_line(step.category.code()),
                step.step
            ),
        );
    }
    bilingual(out, "title", &inject.title);
    // Bodies are Markdown and usually span lines: always one key per language.
    put(out, "body.vi", &quote_block(&inject.body.vi));
    put(out, "body.en", &quote_block(&inject.body.en));
    for expectation in &inject.expectations {
        write_expectation(out, expectation);
    }
}

fn write_expectation(out: &mut String, expectation: &Expectation) {
    out.push_str("\n[[injects.expectations]]\n");
    put(out, "kind", &quote_line(expectation.kind.as_str()));
    put(
        out,
        "target",
        &quote_line(&format_hms(expectation.target_secs)),
    );
    put(out, "points", &expectation.points.to_string());
    if let Some(technique) = &expectation.technique {
        put(out, "technique", &quote_line(technique.as_str()));
    }
    if let Some(description) = &expectation.description {
        bilingual(out, "description", description);
    }
}

fn put(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

fn bilingual(out: &mut String, key: &str, text: &Bilingual) {
    let short = text.vi.len() + text.en.len() <= INLINE_TEXT_LIMIT;
    if short && !text.vi.contains('\n') && !text.en.contains('\n') {
        put(out, key, &inline_text(text));
    } else {
        put(out, &format!("{key}.vi"), &quote_block(&text.vi));
        put(out, &format!("{key}.en"), &quote_block(&text.en));
    }
}

fn inline_text(text: &Bilingual) -> String {
    format!(
        "{{ vi = {}, en = {} }}",
        quote_line(&text.vi),
        quote_line(&text.en)
    )
}

/// A multi-line literal string when the text spans lines and can be written
/// verbatim; a one-line basic string otherwise.
fn quote_block(text: &str) -> String {
    let verbatim = text.contains('\n')
        && !text.contains("'''")
        && !text.ends_with('\'')
        && text
            .chars()
            .all(|c| c == '\n' || c == '\t' || !c.is_control());
    if verbatim {
        // The newline right after the opening quotes is not part of the value.
        format!("'''\n{text}'''")
    } else {
        quote_line(text)
    }
}

/// A one-line TOML basic string with the escapes the spec requires.
fn quote_line(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::{
        Audience, Channel, DrillKind, ExpectationKind, IncidentCategory, PlaybookStep,
        SecurityLevel, Slug, TechniqueId,
    };
    use crate::scenario::{MAX_DURATION_SECS, all_techniques, parse_scenario};
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};
    use std::num::NonZeroU32;

    /// Reads back a single string the way the parser would see it.
    fn read_back(quoted: &str) -> String {
        let doc = format!("v = {quoted}\n");
        let table: toml::Table = toml::from_str(&doc).unwrap();
        table["v"].as_str().unwrap().to_owned()
    }

    #[test]
    fn multi_line_text_is_written_verbatim() {
        assert_eq!(quote_block("a\nb \"c\"\n"), "'''\na\nb \"c\"\n'''");
    }

    #[test]
    fn text_that_cannot_be_verbatim_is_escaped() {
        assert_eq!(quote_block("it's '''\n"), "\"it's '''\\n\"");
        assert_eq!(quote_line("tab\there \u{7f}"), "\"tab\\there \\u007F\"");
    }

    proptest! {
        #[test]
        fn any_text_survives_quoting(text in prop_oneof![any::<String>(), "(?s)[\\x00-\\x7F]{0,40}"]) {
            prop_assert_eq!(read_back(&quote_line(&text)), text.clone());
            prop_assert_eq!(read_back(&quote_block(&text)), text);
        }

        #[test]
        fn any_multi_line_text_survives_quoting(
            lines in proptest::collection::vec("[^\r]{0,20}", 1..5)
        ) {
            let text = lines.join("\n");
            prop_assert_eq!(read_back(&quote_block(&text)), text);
        }
    }

    fn some_text() -> impl Strategy<Value = String> {
        // `any::<String>()` avoids control characters; the second arm brings
        // newlines, quotes, backslashes and controls into play.
        prop_oneof![any::<String>(), "(?s)[\\x00-\\x7Fđệ]{1,40}"]
            .prop_filter("blank text is refused", |t| !t.trim().is_empty())
    }

    fn bilingual_text() -> impl Strategy<Value = Bilingual> {
        (some_text(), some_text()).prop_map(|(vi, en)| Bilingual { vi, en })
    }

    fn expectation(techniques: Vec<TechniqueId>) -> impl Strategy<Value = Expectation> {
        (
            select(ExpectationKind::ALL),
            1..=MAX_DURATION_SECS,
            any::<u32>(),
            proptest::option::of(select(techniques.clone())),
            proptest::option::of(bilingual_text()),
        )
            .prop_map(move |(kind, target_secs, points, technique, description)| {
                // A detect expectation always names a technique.
                let technique = match (kind, technique) {
                    (ExpectationKind::Detect, None) => Some(techniques[0].clone()),
                    (_, technique) => technique,
                };
                Expectation {
                    kind,
                    target_secs,
                    points,
                    technique,
                    description,
                }
            })
    }

    fn inject(duration: u32, techniques: Vec<TechniqueId>) -> impl Strategy<Value = Inject> {
        let release = prop_oneof![
            (0..=duration).prop_map(|offset_secs| Release::Scheduled { offset_secs }),
            Just(Release::Manual),
        ];
        let audience = prop_oneof![
            Just(Audience::All),
            Just(Audience::Blue),
            Just(Audience::Red),
            Just(Audience::Controllers),
            "[a-z][a-z0-9]{0,10}".prop_map(|slot| Audience::Team(Slug::parse(&slot).unwrap())),
        ];
        let step =
            (select(IncidentCategory::ALL), 1..100u32).prop_map(|(category, step)| PlaybookStep {
                category,
                step: NonZeroU32::new(step).unwrap(),
            });
        (
            release,
            audience,
            select(Channel::ALL),
            bilingual_text(),
            bilingual_text(),
            proptest::option::of(step),
            proptest::collection::vec(expectation(techniques), 0..3),
        )
            .prop_map(
                |(release, audience, channel, title, body, playbook_step, expectations)| Inject {
                    key: Slug::parse("placeholder").unwrap(),
                    release,
                    audience,
                    channel,
                    title,
                    body,
                    playbook_step,
                    expectations,
                },
            )
    }

    fn scenario() -> impl Strategy<Value = Scenario> {
        let known: Vec<TechniqueId> = all_techniques()
            .filter_map(|(id, _)| TechniqueId::parse(id))
            .collect();
        (1..=MAX_DURATION_SECS, subsequence(known, 1..6)).prop_flat_map(|(duration, techniques)| {
            (
                1..1000u32,
                bilingual_text(),
                bilingual_text(),
                select(IncidentCategory::ALL),
                1..=5i64,
                subsequence(DrillKind::ALL, 1..=3),
                proptest::collection::vec(bilingual_text(), 1..3),
                proptest::collection::vec(inject(duration, techniques.clone()), 1..5),
            )
                .prop_map(
                    move |(
                        version,
                        title,
                        summary,
                        category,
                        level,
                        kinds,
                        objectives,
                        mut injects,
                    )| {
                        for (i, inject) in injects.iter_mut().enumerate() {
                            inject.key = Slug::parse(&format!("inject-{i}")).unwrap();
                        }
                        Scenario {
                            id: Slug::parse("generated").unwrap(),
                            version: NonZeroU32::new(version).unwrap(),
                            title,
                            summary,
                            category,
                            techniques: techniques.clone(),
                            min_level: SecurityLevel::new(level).unwrap(),
                            drill_kinds: kinds,
                            duration_secs: duration,
                            objectives,
                            injects,
                        }
                    },
                )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_valid_scenario_survives_a_toml_round_trip(scenario in scenario()) {
            let written = to_toml(&scenario);
            prop_assert_eq!(parse_scenario(&written), Ok(scenario));
        }
    }
}

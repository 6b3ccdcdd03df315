//! The scenario library: every `*.toml` file of a folder (the repository's
//! `scenarios/`). [`load_library`] refuses a library with any invalid file,
//! listing every problem (for checks and tests); [`load_each`] keeps the valid
//! files and lists the problems of the others, which is what the server uses
//! at boot so that one bad edit does not take every scenario offline.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::model::Scenario;
use super::parse::parse_scenario_bytes;

#[derive(Debug, Error)]
pub enum LibraryError {
    #[error("cannot read scenario library {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// One line per problem, as `FILE:LINE:COL: message`.
    #[error("the scenario library has problems:\n{}", .problems.join("\n"))]
    Invalid { problems: Vec<String> },
}

/// What [`load_each`] found: the valid scenarios (sorted by id) and one line
/// per problem of the files that were skipped.
#[derive(Debug, Default)]
pub struct LibraryLoad {
    pub scenarios: Vec<Scenario>,
    /// `FILE:LINE:COL: message` (or `FILE: message`), in file order.
    pub problems: Vec<String>,
}

/// Loads and validates every `*.toml` file in `dir`, sorted by id. Each file
/// must be named after the scenario id it holds (`<id>.toml`), which also
/// makes ids unique. Any invalid file fails the whole library.
pub fn load_library(dir: &Path) -> Result<Vec<Scenario>, LibraryError> {
    let load = load_each(dir)?;
    if !load.problems.is_empty() {
        return Err(LibraryError::Invalid {
            problems: load.problems,
        });
    }
    Ok(load.scenarios)
}

/// Like [`load_library`], but a bad file is skipped rather than failing the
/// rest: the server keeps serving the good scenarios while an author fixes
/// one. Only an unreadable folder is an error.
pub fn load_each(dir: &Path) -> Result<LibraryLoad, LibraryError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LibraryError::Io { path, source }
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            paths.push(path);
        }
    }
    paths.sort();

    let mut load = LibraryLoad::default();
    for path in &paths {
        let shown = path.display();
        // One unreadable file (permissions, removed mid-scan) is that file's problem.
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                load.problems
                    .push(format!("{shown}: cannot read the file: {e}"));
                continue;
            }
        };
        match parse_scenario_bytes(&bytes) {
            Ok(scenario) => {
                let stem = path.file_stem().and_then(|s| s.to_str());
                if stem == Some(scenario.id.as_str()) {
                    load.scenarios.push(scenario);
                } else {
                    load.problems.push(format!(
                        "{shown}: the file must be named `{}.toml` after the scenario id",
                        scenario.id
                    ));
                }
            }
            Err(found) => load
                .problems
                .extend(found.iter().map(|p| format!("{shown}:{p}"))),
        }
    }
    load.scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(load)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Audience, Channel, ExpectationKind, Release, parse_scenario, to_toml};

    fn library_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
    }

    fn shipped_files() -> Vec<(PathBuf, String)> {
        let mut files: Vec<_> = std::fs::read_dir(library_dir())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .map(|path| {
                let src = std::fs::read_to_string(&path).unwrap();
                (path, src)
            })
            .collect();
        files.sort();
        files
    }

    fn readme_examples() -> Vec<String> {
        let readme = std::fs::read_to_string(library_dir().join("README.md")).unwrap();
        let mut blocks = Vec::new();
        let mut rest = readme.as_str();
        while let Some(start) = rest.find("```toml\n") {
            let body = &rest[start + "```toml\n".len()..];
            let end = body.find("\n```").expect("unclosed ```toml block");
            blocks.push(body[..=end].to_owned());
            rest = &body[end..];
        }
        blocks
    }

    #[test]
    fn every_shipped_scenario_is_valid() {
        let files = shipped_files();
        assert!(files.len() >= 8, "only {} scenarios shipped", files.len());
        for (path, src) in &files {
            if let Err(problems) = parse_scenario(src) {
                let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                panic!("{}:\n{}", path.display(), lines.join("\n"));
            }
        }
    }

    #[test]
    fn the_library_loads_with_ids_matching_file_names() {
        let scenarios = load_library(&library_dir()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenarios.len(), shipped_files().len());
    }

    #[test]
    fn every_shipped_scenario_has_8_to_20_injects_over_2_to_8_hours() {
        for scenario in load_library(&library_dir()).unwrap() {
            let injects = scenario.injects.len();
            assert!(
                (8..=20).contains(&injects),
                "{}: {injects} injects",
                scenario.id
            );
            let hours = f64::from(scenario.duration_secs) / 3600.0;
            assert!((2.0..=8.0).contains(&hours), "{}: {hours} h", scenario.id);
        }
    }

    #[test]
    fn every_shipped_scenario_mixes_blue_red_and_controller_injects() {
        for scenario in load_library(&library_dir()).unwrap() {
            let has = |audience: Audience| scenario.injects.iter().any(|i| i.audience == audience);
            assert!(has(Audience::Red), "{}: no red guidance", scenario.id);
            assert!(
                has(Audience::Controllers),
                "{}: no controller note",
                scenario.id
            );
            assert!(
                scenario
                    .injects
                    .iter()
                    .any(|i| i.channel == Channel::SocAlert),
                "{}: no SOC alert",
                scenario.id
            );
            let detects = scenario
                .injects
                .iter()
                .flat_map(|i| &i.expectations)
                .filter(|e| e.kind == ExpectationKind::Detect)
                .count();
            assert!(
                detects >= 2,
                "{}: {detects} detect expectations",
                scenario.id
            );
            assert!(
                scenario
                    .injects
                    .iter()
                    .any(|i| i.release == Release::Manual),
                "{}: no manual inject",
                scenario.id
            );
        }
    }

    #[test]
    fn every_shipped_scenario_survives_a_toml_round_trip() {
        for (path, src) in shipped_files() {
            let scenario = parse_scenario(&src).unwrap();
            let written = to_toml(&scenario);
            let reread = parse_scenario(&written).unwrap_or_else(|problems| {
                panic!(
                    "{}: re-read failed: {problems:?}\n{written}",
                    path.display()
                )
            });
            assert_eq!(reread, scenario, "{}", path.display());
        }
    }

    #[test]
    fn every_shipped_scenario_survives_a_json_round_trip() {
        for scenario in load_library(&library_dir()).unwrap() {
            let json = serde_json::to_string(&scenario).unwrap();
            let back: Scenario = serde_json::from_str(&json).unwrap();
            assert_eq!(back, scenario);
        }
    }

    #[test]
    fn the_annotated_example_in_the_readme_is_a_valid_scenario() {
        let examples = readme_examples();
        assert_eq!(
            examples.len(),
            1,
            "the README must hold exactly one ```toml example"
        );
        if let Err(problems) = parse_scenario(&examples[0]) {
            panic!("README example: {problems:?}");
        }
    }

    #[test]
    fn a_file_not_named_after_its_id_is_refused() {
        let dir = std::env::temp_dir().join(format!("scenario-lib-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let example = &readme_examples()[0];
        std::fs::write(dir.join("wrong-name.toml"), example).unwrap();
        let result = load_library(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        match result {
            Err(LibraryError::Invalid { problems }) => {
                assert!(problems[0].contains("must be named"), "{problems:?}");
            }
            other => panic!("expected a naming problem, got {other:?}"),
        }
    }
}

//! Problems found in a scenario file, positioned as 1-based line and column
//! (columns count characters, so Vietnamese text does not shift them).

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// One thing wrong with a scenario file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    pub line: usize,
    pub col: usize,
    /// In English: the API, the command line and the English pages show it.
    pub message: String,
    /// In Vietnamese, for the pages in Vietnamese.
    #[serde(skip)]
    pub message_vi: String,
}

impl Problem {
    /// The message in the page's language.
    pub fn message_in(&self, vietnamese: bool) -> &str {
        if vietnamese {
            &self.message_vi
        } else {
            &self.message
        }
    }
}

/// What a problem says, in English and in Vietnamese. Build it with [`said!`], which
/// formats both texts with the same variables, so neither language can be forgotten.
///
/// Why here and not in Fluent files like the pages' texts: these messages are made
/// deep in the validators from the values found in a file (a key, a column, a
/// limit), and the command line and the API use them too.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Said {
    pub en: String,
    pub vi: String,
}

/// `said!("English {x}", "Tiếng Việt {x}")`, or with named arguments after the two
/// texts: `said!("{n} rows", "{n} dòng", n = rows.len())`.
macro_rules! said {
    ($en:literal, $vi:literal $(,)?) => {
        $crate::scenario::problem::Said {
            en: format!($en),
            vi: format!($vi),
        }
    };
    ($en:literal, $vi:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        $(let $name = $value;)+
        $crate::scenario::problem::Said {
            en: format!($en),
            vi: format!($vi),
        }
    }};
}
pub(crate) use said;

impl fmt::Display for Problem {
    /// `LINE:COL: message`; prefix the file name to get the usual
    /// `FILE:LINE:COL: message` that editors can jump to.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// Collects problems by byte offset while a file is read; positions are
/// resolved once at the end.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    found: Vec<(usize, Said)>,
}

impl Diagnostics {
    pub(crate) fn report(&mut self, span: Range<usize>, said: Said) {
        self.found.push((span.start, said));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The problems in file order, without repeats.
    pub(crate) fn into_problems(self, src: &str) -> Vec<Problem> {
        let lines = LineIndex::new(src);
        let mut problems: Vec<Problem> = self
            .found
            .into_iter()
            .map(|(offset, said)| {
                let (line, col) = lines.position(src, offset);
                Problem {
                    line,
                    col,
                    message: said.en,
                    message_vi: said.vi,
                }
            })
            .collect();
        problems.sort();
        problems.dedup();
        problems
    }
}

/// Byte offsets of line starts, for offset → line/column.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(src: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    fn position(&self, src: &str, offset: usize) -> (usize, usize) {
        // Spans come from the TOML parser and should be in bounds and on char
        // boundaries; clamp anyway, a bad position must never become a panic.
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line.saturating_sub(1)];
        let col = src[line_start..offset].chars().count() + 1;
        (line.max(1), col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = "a = 1\ntiêu_đề = 2\n";
        let lines = LineIndex::new(src);
        assert_eq!(lines.position(src, 0), (1, 1));
        assert_eq!(lines.position(src, 6), (2, 1));
        let eq = src.find(" = 2").unwrap();
        assert_eq!(lines.position(src, eq), (2, 8));
        assert_eq!(lines.position(src, src.len() + 10), (3, 1));
    }
}

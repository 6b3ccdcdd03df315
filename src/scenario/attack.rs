//! MITRE ATT&CK Enterprise technique ids: the `T1234` / `T1234.001` shape,
//! and the shipped list of real techniques used to catch typos.
//!
//! The list lives in `attack_techniques.tsv` next to this file and is
//! compiled in, so a scenario check needs no network and no data directory.
//! Updating ATT&CK means replacing that file (its header names the version).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const TECHNIQUES_TSV: &str = include_str!("attack_techniques.tsv");

/// The ATT&CK Enterprise release the shipped list was taken from.
pub const ATTACK_VERSION: &str = "18.0";

/// A syntactically valid technique id (`T1486`, `T1566.001`). Whether ATT&CK
/// knows it is a separate question: see [`TechniqueId::name`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TechniqueId(String);

impl TechniqueId {
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            bytes
                .get(range)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        };
        let well_formed = match bytes.len() {
            5 => bytes[0] == b'T' && digits(1..5),
            9 => bytes[0] == b'T' && digits(1..5) && bytes[5] == b'.' && digits(6..9),
            _ => false,
        };
        well_formed.then(|| TechniqueId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ATT&CK name ("Data Encrypted for Impact"; sub-techniques as
    /// "Phishing: Spearphishing Attachment"), or `None` when the shipped list
    /// does not contain the id.
    pub fn name(&self) -> Option<&'static str> {
        technique_name(&self.0)
    }
}

impl fmt::Display for TechniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TechniqueId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        TechniqueId::parse(&text)
            .ok_or_else(|| format!("malformed technique id `{text}`; expected T1234 or T1234.001"))
    }
}

impl From<TechniqueId> for String {
    fn from(id: TechniqueId) -> Self {
        id.0
    }
}

/// The name of a technique in the shipped list.
pub fn technique_name(id: &str) -> Option<&'static str> {
    techniques().get(id).copied()
}

/// Every shipped technique as `(id, name)`, in id order.
pub fn all_techniques() -> impl Iterator<Item = (&'static str, &'static str)> {
    rows()
}

fn techniques() -> &'static HashMap<&'static str, &'static str> {
    // Built once: the table is static data compiled into the binary.
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| rows().collect())
}

fn rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    TECHNIQUES_TSV
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('\t'))
        .filter(|(id, _)| *id != "id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_have_four_digits_and_an_optional_three_digit_suffix() {
        assert!(TechniqueId::parse("T1486").is_some());
        assert!(TechniqueId::parse("T1566.001").is_some());
        for bad in [
            "T148",
            "T14860",
            "t1486",
            "T1486.1",
            "T1486.0001",
            "T1486.",
            "1486",
            "",
        ] {
            assert!(TechniqueId::parse(bad).is_none(), "{bad} accepted");
        }
    }

    #[test]
    fn the_shipped_list_is_well_formed_and_names_its_version() {
        assert!(
            TECHNIQUES_TSV
                .lines()
                .next()
                .is_some_and(|h| h.contains(ATTACK_VERSION))
        );
        let mut previous = "";
        let mut count = 0;
        for (id, name) in all_techniques() {
            assert!(TechniqueId::parse(id).is_some(), "bad id {id}");
            assert!(!name.trim().is_empty(), "{id} has no name");
            assert!(id > previous, "{id} out of order");
            if let Some((parent, _)) = id.split_once('.') {
                assert!(technique_name(parent).is_some(), "{id} has no parent");
            }
            previous = id;
            count += 1;
        }
        assert_eq!(count, techniques().len());
        assert!(count > 600, "only {count} techniques");
    }

    #[test]
    fn known_techniques_have_their_attack_names() {
        assert_eq!(technique_name("T1486"), Some("Data Encrypted for Impact"));
        assert_eq!(
            technique_name("T1505.003"),
            Some("Server Software Component: Web Shell")
        );
        assert_eq!(technique_name("T1999"), None);
    }
}

//! The content hash every export carries.
//!
//! `content_sha256` is the SHA-256, in lowercase hex, of the export's `content`
//! object written as canonical JSON: object keys sorted by Unicode code point, no
//! whitespace between tokens, strings UTF-8 with only `"` `\` and control characters
//! escaped (`\b \f \n \r \t`, others as `\u00XX`), numbers in their shortest
//! round-trip form (`72.5`, `100.0` for a float, `3` for an integer). It is the same
//! string Python writes with
//! `json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`,
//! so an inspector can recompute it from the JSON export without this program
//! (`docs/exports.md` shows how).
//!
//! The hash covers the data (the year, the organisation, the framework, the drill logs
//! with their head hashes, every team's scores and KPIs), not who generated the file or
//! when: two exports of the same evidence carry the same hash, and a changed score or
//! a drill log with a different head gives a different one.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Writes `value` as canonical JSON (see the module documentation).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // Rust's `str` ordering is byte order, which for UTF-8 is code point order.
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v);
            }
            out.push(']');
        }
        Value::String(s) => write_string(out, s),
        // serde_json writes numbers, booleans and null in their shortest form.
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push_str(&Value::String(s.to_owned()).to_string());
}

/// Lowercase hex SHA-256 of the canonical JSON of `content`.
pub fn content_sha256(content: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(content).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth_and_nothing_else_moves() {
        let v =
            json!({"b": 1, "a": {"z": [3, {"y": true, "x": null}], "m": "Đội ứng cứu"}, "c": 72.5});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"m":"Đội ứng cứu","z":[3,{"x":null,"y":true}]},"b":1,"c":72.5}"#
        );
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_canonical_text() {
        let v = json!({"year": 2026, "teams": []});
        // printf '{"teams":[],"year":2026}' | sha256sum
        assert_eq!(
            content_sha256(&v),
            hex::encode(Sha256::digest(br#"{"teams":[],"year":2026}"#))
        );
    }

    #[test]
    fn control_characters_and_quotes_are_escaped_as_python_does() {
        let v = json!({"t": "a\"b\\c\nd\u{1}"});
        assert_eq!(canonical_json(&v), r#"{"t":"a\"b\\c\nd\u0001"}"#);
    }
}

//! The drill log's hash chain.
//!
//! Each event's hash is SHA-256 over the previous event's hash and the event's
//! canonical JSON (keys sorted, no insignificant whitespace, times in RFC 3339 UTC
//! with microseconds). Changing, removing or reordering any stored event breaks the
//! chain from that event on, and [`verify`] names the first event that does not fit.
//!
//! Pure: no database here. The store appends events through [`next_link`] and the
//! verifier reads them back in `seq` order.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The "previous hash" of the first event of every drill.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What is hashed for one event (everything but the hashes themselves).
#[derive(Debug, Clone, PartialEq)]
pub struct EventContent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    /// Who may see the event: `all`, `blue`, `red`, `controllers` or `team:UUID`.
    pub audience: String,
    pub data: Value,
}

/// A stored event with its chain fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainedEvent {
    pub content: EventContent,
    pub prev_hash: String,
    pub hash: String,
}

/// Event times are kept to the microsecond, the precision both databases store, so a
/// time read back hashes the same as the time written.
pub fn event_time(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(6)
}

/// JSON with object keys sorted at every depth and no whitespace.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    // Serialising a Value cannot fail; keys are emitted in insertion order, which
    // `sorted` made alphabetical whether or not serde_json preserves order.
    serde_json::to_string(&sorted(value)).unwrap_or_default()
}

/// The canonical JSON of an event's content.
pub fn content_json(c: &EventContent) -> String {
    let mut obj = Map::new();
    obj.insert("seq".into(), Value::from(c.seq));
    obj.insert(
        "at".into(),
        Value::from(c.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
    );
    obj.insert("kind".into(), Value::from(c.kind.clone()));
    obj.insert(
        "actor_id".into(),
        c.actor_id
            .map_or(Value::Null, |a| Value::from(a.to_string())),
    );
    obj.insert("audience".into(), Value::from(c.audience.clone()));
    obj.insert("data".into(), c.data.clone());
    canonical_json(&Value::Object(obj))
}

pub fn hash_event(prev_hash: &str, content: &EventContent) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(content_json(content).as_bytes());
    hex::encode(h.finalize())
}

/// Chains `content` after the event whose hash is `prev_hash`.
pub fn next_link(prev_hash: &str, content: EventContent) -> ChainedEvent {
    let hash = hash_event(prev_hash, &content);
    ChainedEvent {
        content,
        prev_hash: prev_hash.to_owned(),
        hash,
    }
}

/// Why a log does not verify, naming the first event at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainFault {
    /// An event is missing or the order was changed: `seq` is not the expected one.
    #[error("event {expected} is missing or out of order (found seq {found})")]
    Sequence { expected: i64, found: i64 },
    /// The event does not point at the hash of the event before it.
    #[error("event {seq} does not follow the event before it (previous hash differs)")]
    BrokenLink { seq: i64 },
    /// The event's content was altered after it was written.
    #[error("event {seq} was altered (its hash does not match its content)")]
    Altered { seq: i64 },
}

impl ChainFault {
    pub fn seq(&self) -> i64 {
        match self {
            ChainFault::Sequence { expected, .. } => *expected,
            ChainFault::BrokenLink { seq } | ChainFault::Altered { seq } => *seq,
        }
    }
}

/// A verified log: how many events and the head hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub events: i64,
    pub head: String,
}

/// Recomputes the chain over events in storage order (by `seq`).
pub fn verify<'a>(
    events: impl IntoIterator<Item = &'a ChainedEvent>,
) -> Result<Verified, ChainFault> {
    let mut prev = GENESIS_HASH.to_owned();
    let mut expected = 1;
    for e in events {
        if e.content.seq != expected {
            return Err(ChainFault::Sequence {
                expected,
                found: e.content.seq,
            });
        }
        if e.prev_hash != prev {
            return Err(ChainFault::BrokenLink { seq: e.content.seq });
        }
        if hash_event(&prev, &e.content) != e.hash {
            return Err(ChainFault::Altered { seq: e.content.seq });
        }
        prev = e.hash.clone();
        expected += 1;
    }
    Ok(Verified {
        events: expected - 1,
        head: prev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn log(n: i64) -> Vec<ChainedEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let e = next_link(
                    &prev,
                    EventContent {
                        seq,
                        at: event_time("2026-11-21T08:00:00.123456789Z".parse().unwrap()),
                        kind: "inject_released".into(),
                        actor_id: None,
                        audience: "blue".into(),
                        data: json!({"key": format!("inject-{seq}"), "b": 1, "a": [ {"z": 1, "y": 2} ]}),
                    },
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn an_untouched_log_verifies_and_reports_its_head() {
        let events = log(5);
        let v = verify(&events).unwrap();
        assert_eq!(v.events, 5);
        assert_eq!(v.head, events[4].hash);
        assert_eq!(
            verify(&[]).unwrap(),
            Verified {
                events: 0,
                head: GENESIS_HASH.into()
            }
        );
    }

    #[test]
    fn an_altered_event_is_named() {
        let mut events = log(5);
        events[2].content.data = json!({"key": "forged"});
        assert_eq!(verify(&events), Err(ChainFault::Altered { seq: 3 }));
    }

    #[test]
    fn a_removed_event_is_named() {
        let mut events = log(5);
        events.remove(1);
        assert_eq!(
            verify(&events),
            Err(ChainFault::Sequence {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn reordered_events_are_named() {
        let mut events = log(5);
        events.swap(1, 2);
        assert_eq!(verify(&events).unwrap_err().seq(), 2);
    }

    #[test]
    fn a_renumbered_and_rehashed_event_still_breaks_the_link_after_it() {
        // An attacker who rewrites event 3 consistently must also rewrite every later
        // event; rewriting only event 3 leaves event 4 pointing at the old hash.
        let mut events = log(5);
        let forged = next_link(
            &events[1].hash,
            EventContent {
                data: json!({"forged": true}),
                ..events[2].content.clone()
            },
        );
        events[2] = forged;
        assert_eq!(verify(&events), Err(ChainFault::BrokenLink { seq: 4 }));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": {"d": 1, "c": [ {"f": 1, "e": 2} ]}, "a": null});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":null,"b":{"c":[{"e":2,"f":1}],"d":1}}"#
        );
    }

    #[test]
    fn canonical_json_survives_a_trip_through_text_for_any_float() {
        // Event data is stored as text and hashed again on verify: a float that parsed
        // back one ulp off broke the chain of a drill with a live scoreboard.
        // Without serde_json's `float_roundtrip` about one float in ten comes back off,
        // these among them.
        for x in [
            0.41545864759712203,
            93.33561522131723,
            42951.652227135084,
            0.1,
            1e-7,
        ] {
            let v = json!({"x": x});
            let text = canonical_json(&v);
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(canonical_json(&back), text, "{x}");
        }
    }

    #[test]
    fn event_times_are_kept_to_the_microsecond() {
        let t = event_time("2026-11-21T08:00:00.123456789Z".parse().unwrap());
        assert_eq!(
            t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            "2026-11-21T08:00:00.123456000Z"
        );
    }
}

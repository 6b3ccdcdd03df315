//! A drill's scorecard, computed from its event log alone.
//!
//! Pure: [`compute`] reads the events in `seq` order and nothing else (no clock, no
//! database), so the same log always gives the same scorecard, and a scorecard can be
//! frozen beside the log's head hash and recomputed by anyone who holds the log.
//!
//! What it reads: `drill_created` (the teams and their sides), `inject_released`
//! (`inject_id`, `audience`, `released_at`, `expectations`), `ack_recorded`,
//! `detection_recorded`, `containment_recorded`, `red_action_recorded`,
//! `red_finding_recorded`, `report_submitted`, `evaluation_recorded` (a later
//! verdict on the same `target_key` supersedes an earlier one) and
//! `service_check_recorded` (availability: the share of a team's service checks that
//! found the service up).
//!
//! Time definitions (all durations end at a server-stamped `received_at`; a time a
//! client claims is never used as an end):
//! - **time to acknowledge**: the inject's `released_at` → the team's first
//!   `ack_recorded.received_at`, for every inject the team could see (audience
//!   `all`, `blue` or `team:ID`).
//! - **time to detect**, per item: a red action (start: the evaluator-verified
//!   execution time, else its `executed_at`) or an inject with a `detect`
//!   expectation, or any inject one of the team's detections is linked to (start: its
//!   `released_at`) → the `received_at` of the team's first detection linked to it.
//!   A detection is linked by the evaluator's latest verdict on it when there is one
//!   (which may also mark it a false positive), else by the `red_action_id` /
//!   `inject_id` the team gave. Every red action of the drill is an item for every
//!   blue team (the drill's systems are defended together). A detection received
//!   before the claimed start counts as 0 s. Items never detected are counted in
//!   `undetected` and have no duration.
//! - **time to report**: a detection's `received_at` → the `received_at` of the
//!   team's first initial report (Form 03) naming that detection.
//! - **time to contain**: a detection's `received_at` → the `received_at` of the
//!   first containment on it that an evaluator has not judged ineffective (judged
//!   effective, or not judged yet). The claimed `effective_at` is shown, not used.
//!
//! Statistics: mean; median (the mean of the two middle values of an even set);
//! 90th percentile by nearest rank (the ⌈0.9·n⌉-th smallest value). Durations are
//! whole milliseconds (truncated); the statistics are rounded to the millisecond and given in
//! seconds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::store::drill_log::Event;

/// The whole drill's scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Scorecard {
    /// `seq` of the last event read: the scorecard is a function of events 1…head_seq.
    pub head_seq: i64,
    /// One entry per blue team, in the order the drill lists them.
    pub teams: Vec<TeamScore>,
    /// Red-team findings by the evaluators' latest verdicts (K5 reads `accepted`).
    pub red_findings: RedFindings,
}

/// Mean, median and 90th percentile of a set of durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    pub count: usize,
    pub mean_s: Option<f64>,
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
}

/// One blue team's times and verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TeamScore {
    pub team_id: Uuid,

    pub mean_time_to_detect_s: Option<f64>,
    pub median_time_to_detect_s: Option<f64>,
    pub p90_time_to_detect_s: Option<f64>,
    /// Items to detect (red actions and injects; see the module documentation).
    pub items: usize,
    pub detected: usize,
    pub undetected: usize,
    /// Detections an evaluator marked as false positives.
    pub false_positives: usize,
    /// Detections not linked to anything yet (neither by the team nor by a verdict).
    pub unlinked_detections: usize,

    pub mean_time_to_acknowledge_s: Option<f64>,
    pub median_time_to_acknowledge_s: Option<f64>,
    pub p90_time_to_acknowledge_s: Option<f64>,
    pub acknowledged: usize,
    pub unacknowledged: usize,

    pub mean_time_to_report_s: Option<f64>,
    pub median_time_to_report_s: Option<f64>,
    pub p90_time_to_report_s: Option<f64>,
    /// Detections (not false positives) with an initial report naming them.
    pub reported: usize,
    pub unreported: usize,

    pub mean_time_to_contain_s: Option<f64>,
    pub median_time_to_contain_s: Option<f64>,
    pub p90_time_to_contain_s: Option<f64>,
    /// Detections (not false positives) with a containment not judged ineffective.
    pub contained: usize,
    pub uncontained: usize,
    pub containments_effective: usize,
    pub containments_ineffective: usize,
    pub containments_unjudged: usize,

    /// Sum of the points of the latest expectation verdicts for this team.
    pub expectation_points: f64,
    pub expectations: Vec<ExpectationVerdict>,
    /// Mean report quality (0–4) over the team's judged reports.
    pub mean_report_quality: Option<f64>,
    pub report_quality: Vec<ReportQuality>,

    pub detect_items: Vec<DetectItem>,
    pub acknowledgements: Vec<AckItem>,
    pub detections: Vec<DetectionTimes>,

    /// Checks of the team's target services (`service_check` records) and how many
    /// found the service up.
    pub service_checks: usize,
    pub service_checks_up: usize,
    /// The share of those checks that found the service up, in percent; `None`
    /// without checks (availability was not recorded).
    pub availability_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DetectItem {
    /// `red_action` or `inject`.
    pub kind: &'static str,
    pub id: Uuid,
    /// The inject's key, or the red action's title.
    pub label: String,
    pub started_at: DateTime<Utc>,
    /// True when the start is the evaluator-verified execution time.
    pub start_verified: bool,
    pub detection_id: Option<Uuid>,
    pub detected_at: Option<DateTime<Utc>>,
    pub time_to_detect_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AckItem {
    pub inject_id: Uuid,
    pub key: String,
    pub released_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub time_to_acknowledge_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DetectionTimes {
    pub detection_id: Uuid,
    pub received_at: DateTime<Utc>,
    /// `linked`, `false_positive` or `unlinked`.
    pub status: &'static str,
    pub report_id: Option<Uuid>,
    pub time_to_report_s: Option<f64>,
    pub containment_id: Option<Uuid>,
    pub time_to_contain_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ExpectationVerdict {
    pub inject_id: Uuid,
    /// Index of the expectation in the inject; `None`: the inject as a whole.
    pub expectation: Option<u64>,
    /// `met`, `partial` or `not_met`.
    pub verdict: String,
    pub points: f64,
    pub evaluation_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportQuality {
    pub report_id: Uuid,
    /// `notice`, `initial` or `closure`.
    pub report_kind: String,
    pub quality: u8,
    pub evaluation_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
pub struct RedFindings {
    pub total: usize,
    /// Accepted by the evaluators, by the severity they settled on.
    pub accepted: SeverityCounts,
    pub rejected: usize,
    pub unjudged: usize,
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn id(v: &Value) -> Option<Uuid> {
    v.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

/// Whole milliseconds from `from` to `to`, never negative.
fn duration_ms(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds().max(0)
}

fn seconds(ms: f64) -> f64 {
    ms.round() / 1000.0
}

/// Mean, median and nearest-rank 90th percentile of durations in milliseconds.
pub fn stats(durations_ms: &[i64]) -> Stats {
    let n = durations_ms.len();
    if n == 0 {
        return Stats::default();
    }
    let mut sorted = durations_ms.to_vec();
    sorted.sort_unstable();
    let sum: i64 = sorted.iter().sum();
    let mean = sum as f64 / n as f64;
    let median = if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
    };
    // Nearest rank: the smallest value with at least 90% of the set at or below it.
    let rank = (n * 9).div_ceil(10).max(1);
    let p90 = sorted[rank - 1] as f64;
    Stats {
        count: n,
        mean_s: Some(seconds(mean)),
        median_s: Some(seconds(median)),
        p90_s: Some(seconds(p90)),
    }
}

struct Inject {
    id: Uuid,
    key: String,
    audience: String,
    released_at: DateTime<Utc>,
    has_detect: bool,
}

struct Record<'a> {
    id: Uuid,
    team_id: Option<Uuid>,
    received_at: DateTime<Utc>,
    data: &'a Value,
}

fn record(e: &Event) -> Option<Record<'_>> {
    Some(Record {
        id: id(&e.data["id"])?,
        team_id: id(&e.data["team_id"]),
        received_at: time(&e.data["received_at"]).unwrap_or(e.at),
        data: &e.data,
    })
}

/// Where a detection points, after the evaluators' verdicts.
#[derive(Debug, Clone, PartialEq)]
enum Link {
    FalsePositive,
    To {
        red_action: Option<Uuid>,
        inject: Option<Uuid>,
    },
}

/// Computes the scorecard of a drill from its events (in `seq` order).
pub fn compute(events: &[Event]) -> Scorecard {
    let mut blue_teams: Vec<Uuid> = Vec::new();
    let mut injects: Vec<Inject> = Vec::new();
    let mut acks: Vec<(Uuid, Uuid, DateTime<Utc>)> = Vec::new(); // (inject, team, at)
    let mut detections: Vec<Record<'_>> = Vec::new();
    let mut containments: Vec<Record<'_>> = Vec::new();
    let mut red_actions: Vec<Record<'_>> = Vec::new();
    let mut findings: Vec<Record<'_>> = Vec::new();
    let mut reports: Vec<Record<'_>> = Vec::new();
    let mut service_checks: Vec<Record<'_>> = Vec::new();
    // Latest verdict per target: later events overwrite earlier ones.
    let mut verdicts: BTreeMap<String, Record<'_>> = BTreeMap::new();
    let mut head_seq = 0;

    for e in events {
        head_seq = head_seq.max(e.seq);
        match e.kind.as_str() {
            "drill_created" => {
                for t in e.data["teams"].as_array().into_iter().flatten() {
                    if t["side"] == "blue"
                        && let Some(team) = id(&t["team_id"])
                        && !blue_teams.contains(&team)
                    {
                        blue_teams.push(team);
                    }
                }
            }
            "inject_released" => {
                if let (Some(inject), Some(at)) =
                    (id(&e.data["inject_id"]), time(&e.data["released_at"]))
                {
                    let has_detect = e.data["expectations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|x| x["kind"] == "detect");
                    injects.push(Inject {
                        id: inject,
                        key: e.data["key"].as_str().unwrap_or_default().to_owned(),
                        audience: e.data["audience"].as_str().unwrap_or_default().to_owned(),
                        released_at: at,
                        has_detect,
                    });
                }
            }
            "ack_recorded" => {
                if let (Some(inject), Some(team)) =
                    (id(&e.data["inject_id"]), id(&e.data["team_id"]))
                {
                    acks.push((inject, team, time(&e.data["received_at"]).unwrap_or(e.at)));
                }
            }
            "detection_recorded" => detections.extend(record(e)),
            "containment_recorded" => containments.extend(record(e)),
            "red_action_recorded" => red_actions.extend(record(e)),
            "red_finding_recorded" => findings.extend(record(e)),
            "report_submitted" => reports.extend(record(e)),
            "service_check_recorded" => service_checks.extend(record(e)),
            "evaluation_recorded" => {
                if let (Some(key), Some(r)) = (e.data["target_key"].as_str(), record(e)) {
                    verdicts.insert(key.to_owned(), r);
                }
            }
            _ => {}
        }
    }

    let verdict = |prefix: &str, target: Uuid| verdicts.get(&format!("{prefix}:{target}"));

    // The start of each red action: verified time, else the executed time.
    let red_starts: Vec<(Uuid, String, DateTime<Utc>, bool)> = red_actions
        .iter()
        .map(|r| {
            let verified =
                verdict("red_action", r.id).and_then(|v| time(&v.data["verified_executed_at"]));
            let executed = time(&r.data["executed_at"]).unwrap_or(r.received_at);
            (
                r.id,
                r.data["title"].as_str().unwrap_or_default().to_owned(),
                verified.unwrap_or(executed),
                verified.is_some(),
            )
        })
        .collect();

    let link_of = |d: &Record<'_>| -> Option<Link> {
        let links = match verdict("detection", d.id) {
            Some(v) if v.data["false_positive"] == true => return Some(Link::FalsePositive),
            Some(v) => &v.data["links"],
            None => d.data,
        };
        let red_action = id(&links["red_action_id"]);
        let inject = id(&links["inject_id"]);
        (red_action.is_some() || inject.is_some()).then_some(Link::To { red_action, inject })
    };

    let mut teams = Vec::with_capacity(blue_teams.len());
    for team in blue_teams {
        let audience = format!("team:{team}");
        let visible =
            |i: &&Inject| i.audience == "all" || i.audience == "blue" || i.audience == audience;
        let mut own: Vec<&Record<'_>> = detections
            .iter()
            .filter(|d| d.team_id == Some(team))
            .collect();
        own.sort_by_key(|d| d.received_at);
        let links: Vec<(&Record<'_>, Option<Link>)> =
            own.iter().map(|d| (*d, link_of(d))).collect();

        // Detection items.
        let mut items: Vec<DetectItem> = Vec::new();
        let first_linked = |pred: &dyn Fn(&Link) -> bool| {
            links
                .iter()
                .find(|(_, l)| l.as_ref().is_some_and(pred))
                .map(|(d, _)| (d.id, d.received_at))
        };
        for (rid, title, start, verified) in &red_starts {
            let hit =
                first_linked(&|l| matches!(l, Link::To { red_action: Some(r), .. } if r == rid));
            items.push(detect_item(
                "red_action",
                *rid,
                title.clone(),
                *start,
                *verified,
                hit,
            ));
        }
        for inject in &injects {
            let hit =
                first_linked(&|l| matches!(l, Link::To { inject: Some(i), .. } if *i == inject.id));
            if (visible(&inject) && inject.has_detect) || hit.is_some() {
                items.push(detect_item(
                    "inject",
                    inject.id,
                    inject.key.clone(),
                    inject.released_at,
                    false,
                    hit,
                ));
            }
        }
        let detect_ms: Vec<i64> = items
            .iter()
            .filter_map(|i| Some(duration_ms(i.started_at, i.detected_at?)))
            .collect();
        let detect = stats(&detect_ms);

        // Acknowledgements.
        let mut ack_items = Vec::new();
        let mut ack_ms = Vec::new();
        for inject in injects.iter().filter(visible) {
            let first = acks
                .iter()
                .filter(|(i, t, _)| *i == inject.id && *t == team)
                .map(|(_, _, at)| *at)
                .min();
            let ms = first.map(|at| duration_ms(inject.released_at, at));
            ack_ms.extend(ms);
            ack_items.push(AckItem {
                inject_id: inject.id,
                key: inject.key.clone(),
                released_at: inject.released_at,
                acknowledged_at: first,
                time_to_acknowledge_s: ms.map(|m| seconds(m as f64)),
            });
        }
        let ack = stats(&ack_ms);

        // Per detection: report and containment.
        let (mut report_ms, mut contain_ms) = (Vec::new(), Vec::new());
        let mut detection_times = Vec::new();
        let (mut effective, mut ineffective, mut unjudged) = (0, 0, 0);
        for c in containments.iter().filter(|c| c.team_id == Some(team)) {
            match verdict("containment", c.id).map(|v| &v.data["effective"]) {
                Some(Value::Bool(true)) => effective += 1,
                Some(Value::Bool(false)) => ineffective += 1,
                _ => unjudged += 1,
            }
        }
        let mut false_positives = 0;
        let mut unlinked = 0;
        for (d, link) in &links {
            let status = match link {
                Some(Link::FalsePositive) => {
                    false_positives += 1;
                    "false_positive"
                }
                Some(Link::To { .. }) => "linked",
                None => {
                    unlinked += 1;
                    "unlinked"
                }
            };
            let d_id = Value::from(d.id.to_string());
            let report = reports
                .iter()
                .filter(|r| {
                    r.team_id == Some(team)
                        && r.data["kind"] == "initial"
                        && r.data["detection_id"] == d_id
                })
                .min_by_key(|r| r.received_at);
            let containment = containments
                .iter()
                .filter(|c| c.team_id == Some(team) && c.data["detection_id"] == d_id)
                .filter(|c| {
                    verdict("containment", c.id).is_none_or(|v| v.data["effective"] != false)
                })
                .min_by_key(|c| c.received_at);
            let counted = status != "false_positive";
            let r_ms = report.map(|r| duration_ms(d.received_at, r.received_at));
            let c_ms = containment.map(|c| duration_ms(d.received_at, c.received_at));
            if counted {
                report_ms.extend(r_ms);
                contain_ms.extend(c_ms);
            }
            detection_times.push(DetectionTimes {
                detection_id: d.id,
                received_at: d.received_at,
                status,
                report_id: report.map(|r| r.id),
                time_to_report_s: r_ms.map(|m| seconds(m as f64)),
                containment_id: containment.map(|c| c.id),
                time_to_contain_s: c_ms.map(|m| seconds(m as f64)),
            });
        }
        let true_detections = links.len() - false_positives;
        let report = stats(&report_ms);
        let contain = stats(&contain_ms);

        // Verdicts on expectations and reports.
        let mut expectations = Vec::new();
        let mut quality = Vec::new();
        for v in verdicts.values().filter(|v| v.team_id == Some(team)) {
            match v.data["target"].as_str() {
                Some("expectation") => {
                    if let Some(inject_id) = id(&v.data["inject_id"]) {
                        expectations.push(ExpectationVerdict {
                            inject_id,
                            expectation: v.data["expectation"].as_u64(),
                            verdict: v.data["verdict"].as_str().unwrap_or_default().to_owned(),
                            points: v.data["points"].as_f64().unwrap_or(0.0),
                            evaluation_id: v.id,
                        });
                    }
                }
                Some("report") => {
                    if let (Some(report_id), Some(q)) =
                        (id(&v.data["report_id"]), v.data["quality"].as_u64())
                    {
                        quality.push(ReportQuality {
                            report_id,
                            report_kind: v.data["report_kind"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                            quality: u8::try_from(q).unwrap_or(u8::MAX),
                            evaluation_id: v.id,
                        });
                    }
                }
                _ => {}
            }
        }
        let mean_quality = (!quality.is_empty()).then(|| {
            let sum: f64 = quality.iter().map(|q| f64::from(q.quality)).sum();
            (sum / quality.len() as f64 * 1000.0).round() / 1000.0
        });

        let checks: Vec<bool> = service_checks
            .iter()
            .filter(|c| c.team_id == Some(team))
            .map(|c| c.data["up"] == true)
            .collect();
        let checks_up = checks.iter().filter(|up| **up).count();
        let availability_pct = (!checks.is_empty())
            .then(|| (100.0 * checks_up as f64 / checks.len() as f64 * 1000.0).round() / 1000.0);

        let detected = items.iter().filter(|i| i.detected_at.is_some()).count();
        teams.push(TeamScore {
            team_id: team,
            mean_time_to_detect_s: detect.mean_s,
            median_time_to_detect_s: detect.median_s,
            p90_time_to_detect_s: detect.p90_s,
            items: items.len(),
            detected,
            undetected: items.len() - detected,
            false_positives,
            unlinked_detections: unlinked,
            mean_time_to_acknowledge_s: ack.mean_s,
            median_time_to_acknowledge_s: ack.median_s,
            p90_time_to_acknowledge_s: ack.p90_s,
            acknowledged: ack.count,
            unacknowledged: ack_items.len() - ack.count,
            mean_time_to_report_s: report.mean_s,
            median_time_to_report_s: report.median_s,
            p90_time_to_report_s: report.p90_s,
            reported: report.count,
            unreported: true_detections - report.count,
            mean_time_to_contain_s: contain.mean_s,
            median_time_to_contain_s: contain.median_s,
            p90_time_to_contain_s: contain.p90_s,
            contained: contain.count,
            uncontained: true_detections - contain.count,
            containments_effective: effective,
            containments_ineffective: ineffective,
            containments_unjudged: unjudged,
            expectation_points: expectations.iter().map(|e| e.points).sum(),
            expectations,
            mean_report_quality: mean_quality,
            report_quality: quality,
            detect_items: items,
            acknowledgements: ack_items,
            detections: detection_times,
            service_checks: checks.len(),
            service_checks_up: checks_up,
            availability_pct,
        });
    }

    let mut red = RedFindings {
        total: findings.len(),
        ..RedFindings::default()
    };
    for f in &findings {
        match verdict("red_finding", f.id) {
            None => red.unjudged += 1,
            Some(v) if v.data["accepted"] != true => red.rejected += 1,
            Some(v) => {
                let severity = v.data["severity"].as_str().or(f.data["severity"].as_str());
                match severity {
                    Some("critical") => red.accepted.critical += 1,
                    Some("high") => red.accepted.high += 1,
                    Some("medium") => red.accepted.medium += 1,
                    _ => red.accepted.low += 1,
                }
            }
        }
    }

    Scorecard {
        head_seq,
        teams,
        red_findings: red,
    }
}

fn detect_item(
    kind: &'static str,
    id: Uuid,
    label: String,
    started_at: DateTime<Utc>,
    start_verified: bool,
    hit: Option<(Uuid, DateTime<Utc>)>,
) -> DetectItem {
    DetectItem {
        kind,
        id,
        label,
        started_at,
        start_verified,
        detection_id: hit.map(|h| h.0),
        detected_at: hit.map(|h| h.1),
        time_to_detect_s: hit.map(|(_, at)| seconds(duration_ms(started_at, at) as f64)),
    }
}

/// Keeps only the listed teams (a blue responder sees their own team only).
pub fn only_teams(mut card: Scorecard, teams: &[Uuid]) -> Scorecard {
    card.teams.retain(|t| teams.contains(&t.team_id));
    card
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn median_and_p90_of_odd_and_even_sets() {
        let odd = stats(&[3000, 1000, 2000]);
        assert_eq!(odd.mean_s, Some(2.0));
        assert_eq!(odd.median_s, Some(2.0));
        assert_eq!(odd.p90_s, Some(3.0));
        let even = stats(&[1000, 4000, 2000, 3001]);
        assert_eq!(even.median_s, Some(2.501), "mean of the two middle values");
        assert_eq!(even.mean_s, Some(2.5)); // 10001 / 4 = 2500.25 ms → 2.5 s
        assert_eq!(even.p90_s, Some(4.0), "rank ⌈3.6⌉ = 4");
        let ten: Vec<i64> = (1..=10).map(|s| s * 1000).collect();
        assert_eq!(stats(&ten).p90_s, Some(9.0), "rank ⌈9⌉ = 9");
        let one = stats(&[1234]);
        assert_eq!(
            (one.mean_s, one.median_s, one.p90_s),
            (Some(1.234), Some(1.234), Some(1.234))
        );
        assert_eq!(stats(&[]), Stats::default());
    }

    struct Log(Vec<Event>);

    impl Log {
        fn push(&mut self, kind: &str, audience: &str, data: Value) {
            let seq = self.0.len() as i64 + 1;
            self.0.push(Event {
                seq,
                at: "2026-11-21T08:00:00Z".parse().unwrap(),
                kind: kind.to_owned(),
                actor_id: None,
                audience: audience.to_owned(),
                data,
            });
        }
    }

    fn u(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// A fixed drill: team A and team B (blue), red team R; two injects, one red
    /// action, detections, an ack, reports, containments and verdicts.
    fn drill() -> Vec<Event> {
        let (a, b, r) = (u(0xA), u(0xB), u(0xF));
        let (i1, i2, ra) = (u(1), u(2), u(3));
        let mut log = Log(Vec::new());
        log.push("drill_created", "controllers", json!({"teams": [
            {"team_id": a, "side": "blue"}, {"team_id": b, "side": "blue"}, {"team_id": r, "side": "red"}]}));
        log.push(
            "inject_released",
            "blue",
            json!({"inject_id": i1, "key": "alert-1", "audience": "blue",
            "released_at": "2026-11-21T08:00:00.000000Z", "expectations": [{"kind": "detect"}]}),
        );
        log.push(
            "inject_released",
            "controllers",
            json!({"inject_id": i2, "key": "note", "audience": "controllers",
            "released_at": "2026-11-21T08:01:00Z", "expectations": []}),
        );
        log.push(
            "red_action_recorded",
            "red",
            json!({"id": ra, "team_id": r, "title": "Webshell",
            "executed_at": "2026-11-21T08:02:00Z", "received_at": "2026-11-21T08:02:30Z"}),
        );
        log.push(
            "ack_recorded",
            &format!("team:{a}"),
            json!({"inject_id": i1, "team_id": a,
            "received_at": "2026-11-21T08:00:12.345678Z"}),
        );
        log.push(
            "ack_recorded",
            &format!("team:{a}"),
            json!({"inject_id": i1, "team_id": a,
            "received_at": "2026-11-21T08:09:00Z"}),
        );
        // A: detects the inject 90.5 s after release, the red action by a later link.
        log.push(
            "detection_recorded",
            &format!("team:{a}"),
            json!({"id": u(10), "team_id": a, "inject_id": i1,
            "received_at": "2026-11-21T08:01:30.500000Z"}),
        );
        log.push(
            "detection_recorded",
            &format!("team:{a}"),
            json!({"id": u(11), "team_id": a,
            "received_at": "2026-11-21T08:05:00Z"}),
        );
        // B: one detection, marked a false positive.
        log.push(
            "detection_recorded",
            &format!("team:{b}"),
            json!({"id": u(20), "team_id": b, "inject_id": i1,
            "received_at": "2026-11-21T08:00:10Z"}),
        );
        log.push(
            "report_submitted",
            &format!("team:{a}"),
            json!({"id": u(30), "team_id": a, "kind": "initial",
            "detection_id": u(10), "received_at": "2026-11-21T08:11:30.500000Z"}),
        );
        log.push(
            "containment_recorded",
            &format!("team:{a}"),
            json!({"id": u(40), "team_id": a,
            "detection_id": u(11), "received_at": "2026-11-21T08:06:00Z"}),
        );
        log.push(
            "containment_recorded",
            &format!("team:{a}"),
            json!({"id": u(41), "team_id": a,
            "detection_id": u(11), "received_at": "2026-11-21T08:07:00Z"}),
        );
        log.push("evaluation_recorded", "controllers", json!({"id": u(50), "target": "detection",
            "target_key": format!("detection:{}", u(11)), "team_id": a, "links": {"red_action_id": ra},
            "received_at": "2026-11-21T08:20:00Z"}));
        log.push(
            "evaluation_recorded",
            "controllers",
            json!({"id": u(51), "target": "detection",
            "target_key": format!("detection:{}", u(20)), "team_id": b, "false_positive": true,
            "received_at": "2026-11-21T08:20:00Z"}),
        );
        // The first containment was judged effective, then (superseding) ineffective.
        log.push(
            "evaluation_recorded",
            "controllers",
            json!({"id": u(52), "target": "containment",
            "target_key": format!("containment:{}", u(40)), "team_id": a, "effective": true}),
        );
        log.push(
            "evaluation_recorded",
            "controllers",
            json!({"id": u(53), "target": "containment",
            "target_key": format!("containment:{}", u(40)), "team_id": a, "effective": false}),
        );
        // The red action really ran 30 s before it says.
        log.push("evaluation_recorded", "controllers", json!({"id": u(54), "target": "red_action",
            "target_key": format!("red_action:{ra}"), "verified_executed_at": "2026-11-21T08:01:30Z"}));
        log.push("evaluation_recorded", "controllers", json!({"id": u(55), "target": "expectation",
            "target_key": format!("expectation:{i1}:{a}:0"), "team_id": a, "inject_id": i1, "expectation": 0,
            "verdict": "met", "points": 10}));
        log.push("evaluation_recorded", "controllers", json!({"id": u(56), "target": "report",
            "target_key": format!("report:{}", u(30)), "team_id": a, "report_id": u(30), "report_kind": "initial", "quality": 3}));
        log.push(
            "red_finding_recorded",
            "red",
            json!({"id": u(60), "team_id": r, "severity": "high"}),
        );
        log.push(
            "red_finding_recorded",
            "red",
            json!({"id": u(61), "team_id": r, "severity": "low"}),
        );
        log.push("evaluation_recorded", "controllers", json!({"id": u(57), "target": "red_finding",
            "target_key": format!("red_finding:{}", u(60)), "accepted": true, "severity": "critical"}));
        log.0
    }

    #[test]
    fn times_follow_the_definitions_to_the_millisecond() {
        let card = compute(&drill());
        assert_eq!(card.teams.len(), 2, "blue teams only");
        let a = &card.teams[0];
        assert_eq!(a.team_id, u(0xA));
        // Items: the red action and the inject with a detect expectation.
        assert_eq!((a.items, a.detected, a.undetected), (2, 2, 0));
        // Red action: verified 08:01:30 → detection u(11) at 08:05:00 = 210 s.
        // Inject: released 08:00:00 → detection u(10) at 08:01:30.5 = 90.5 s.
        let red = a
            .detect_items
            .iter()
            .find(|i| i.kind == "red_action")
            .unwrap();
        assert_eq!(red.time_to_detect_s, Some(210.0));
        assert!(red.start_verified);
        assert_eq!(a.mean_time_to_detect_s, Some(150.25));
        assert_eq!(a.median_time_to_detect_s, Some(150.25));
        assert_eq!(a.p90_time_to_detect_s, Some(210.0));
        // Acknowledged once (the first ack counts): 12.345678 s → 12 345 whole ms.
        assert_eq!(a.mean_time_to_acknowledge_s, Some(12.345));
        assert_eq!(
            (a.acknowledged, a.unacknowledged),
            (1, 0),
            "the controllers' note is not the team's"
        );
        // Report: 08:01:30.5 → 08:11:30.5 = 600 s; detection u(11) unreported.
        assert_eq!(a.mean_time_to_report_s, Some(600.0));
        assert_eq!((a.reported, a.unreported), (1, 1));
        // Containment: u(40) was judged ineffective at last, so u(41) at 08:07 counts: 120 s.
        assert_eq!(a.mean_time_to_contain_s, Some(120.0));
        assert_eq!((a.contained, a.uncontained), (1, 1));
        assert_eq!(
            (
                a.containments_effective,
                a.containments_ineffective,
                a.containments_unjudged
            ),
            (0, 1, 1)
        );
        assert_eq!(a.expectation_points, 10.0);
        assert_eq!(a.mean_report_quality, Some(3.0));

        let b = &card.teams[1];
        assert_eq!(b.false_positives, 1);
        assert_eq!(
            (b.items, b.detected, b.undetected),
            (2, 0, 2),
            "undetected items are counted"
        );
        assert_eq!(b.mean_time_to_detect_s, None);
        assert_eq!(b.unacknowledged, 1);

        assert_eq!(
            card.red_findings.accepted.critical, 1,
            "the verdict's severity"
        );
        assert_eq!(
            (card.red_findings.total, card.red_findings.unjudged),
            (2, 1)
        );
        assert_eq!(card.head_seq, drill().len() as i64);
    }

    #[test]
    fn the_same_log_gives_the_same_scorecard_and_a_prefix_an_earlier_one() {
        let log = drill();
        assert_eq!(compute(&log), compute(&log));
        let early = compute(&log[..8]);
        assert_eq!(
            early.teams[0].detected, 1,
            "before the evaluator linked u(11)"
        );
        assert_eq!(only_teams(compute(&log), &[u(0xB)]).teams.len(), 1);
    }
}

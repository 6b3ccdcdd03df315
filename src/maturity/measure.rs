//! From a drill's scorecard (`crate::scoring::scorecard`, the times computed from the
//! event log) to the raw KPI measurements of each blue team ([`DrillMeasures`]). The
//! time logic stays in the scorecard; this adds only what the KPIs define beyond it:
//! undetected items counted at the drill's end (K2) and unreported detections
//! likewise (K3). Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::kpi::{DrillMeasures, ReportGrades, SeverityCounts};
use crate::scoring::scorecard::{Scorecard, TeamScore};

/// Seconds from `from` to `to`, never negative, to the millisecond.
fn seconds_until(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_milliseconds().max(0)) as f64 / 1000.0
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The measurements of every blue team of the scorecard. `end` is the drill's end
/// (or, during the drill, the time of its latest event): what an undetected attack
/// or an unreported detection is counted up to.
pub fn measures(card: &Scorecard, end: DateTime<Utc>) -> BTreeMap<Uuid, DrillMeasures> {
    let accepted = SeverityCounts {
        critical: card.red_findings.accepted.critical as u32,
        high: card.red_findings.accepted.high as u32,
        medium: card.red_findings.accepted.medium as u32,
        low: card.red_findings.accepted.low as u32,
    };
    card.teams
        .iter()
        .map(|t| {
            // K5 measures what a red team achieved: with no red action and no finding
            // in the drill there was no attacker, and nothing to measure.
            let attacked = card.red_findings.total > 0
                || t.detect_items.iter().any(|i| i.kind == "red_action");
            (
                t.team_id,
                team_measures(t, attacked.then_some(accepted), end),
            )
        })
        .collect()
}

fn team_measures(
    t: &TeamScore,
    accepted: Option<SeverityCounts>,
    end: DateTime<Utc>,
) -> DrillMeasures {
    // K1 and K2: every item to detect; an undetected one counts until the end.
    let coverage_pct = (t.items > 0).then(|| 100.0 * t.detected as f64 / t.items as f64);
    let detect_times: Vec<f64> = t
        .detect_items
        .iter()
        .map(|i| {
            i.time_to_detect_s
                .unwrap_or_else(|| seconds_until(i.started_at, end))
        })
        .collect();
    // K3 and K4 over the real detections (false positives left out).
    let real: Vec<_> = t
        .detections
        .iter()
        .filter(|d| d.status != "false_positive")
        .collect();
    let report_times: Vec<f64> = real
        .iter()
        .map(|d| {
            d.time_to_report_s
                .unwrap_or_else(|| seconds_until(d.received_at, end))
        })
        .collect();
    let judged_detections = t.contained + t.uncontained;
    // Contained "with verified, effective blocking": containments the evaluators
    // judged effective (a containment not judged yet is not verified).
    let contained_pct = (judged_detections > 0).then(|| {
        100.0 * t.containments_effective.min(t.contained) as f64 / judged_detections as f64
    });
    let report = (!t.report_quality.is_empty()).then(|| ReportGrades {
        sections: t.report_quality.iter().map(|r| r.quality as f64).collect(),
        // Tools deployed but not used are not recorded by cyberdrill.
        unused_tools: 0,
    });
    DrillMeasures {
        coverage_pct,
        mttd_s: mean(&detect_times),
        time_to_report_s: mean(&report_times),
        contained_pct,
        mttc_s: t.mean_time_to_contain_s,
        accepted_findings: accepted,
        // The share of the service checks that found the team's services up.
        availability_pct: t.availability_pct,
        report,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::store::drill_log::Event;

    fn event(seq: i64, kind: &str, audience: &str, data: Value) -> Event {
        Event {
            seq,
            at: "2026-11-21T09:00:00Z".parse().unwrap(),
            kind: kind.to_owned(),
            actor_id: None,
            audience: audience.to_owned(),
            data,
        }
    }

    #[test]
    fn the_compromise_outcome_is_measured_only_when_a_red_team_acted() {
        let (blue, red) = (Uuid::from_u128(0xB), Uuid::from_u128(0xF));
        let mut log = vec![
            event(
                1,
                "drill_created",
                "controllers",
                json!({"teams": [
                {"team_id": blue, "side": "blue"}, {"team_id": red, "side": "red"}]}),
            ),
            event(
                2,
                "inject_released",
                "blue",
                json!({"inject_id": Uuid::from_u128(1),
                "key": "alert-1", "audience": "blue", "released_at": "2026-11-21T08:00:00Z",
                "expectations": [{"kind": "detect"}]}),
            ),
        ];
        let end = "2026-11-21T10:00:00Z".parse().unwrap();
        let quiet = measures(&crate::scoring::scorecard::compute(&log), end);
        assert_eq!(
            quiet[&blue].accepted_findings, None,
            "no attacker, nothing to measure"
        );
        assert!(
            quiet[&blue].coverage_pct.is_some(),
            "the inject is still an item to detect"
        );

        log.push(event(
            3,
            "red_action_recorded",
            "red",
            json!({"id": Uuid::from_u128(3),
            "team_id": red, "title": "Webshell", "executed_at": "2026-11-21T08:02:00Z",
            "received_at": "2026-11-21T08:02:30Z"}),
        ));
        let attacked = measures(&crate::scoring::scorecard::compute(&log), end);
        assert_eq!(
            attacked[&blue].accepted_findings,
            Some(SeverityCounts::default())
        );
    }

    #[test]
    fn availability_is_the_share_of_service_checks_that_found_the_service_up() {
        let (blue, other) = (Uuid::from_u128(0xB), Uuid::from_u128(0xC));
        let mut log = vec![event(
            1,
            "drill_created",
            "controllers",
            json!({"teams": [{"team_id": blue, "side": "blue"}, {"team_id": other, "side": "blue"}]}),
        )];
        for (seq, up) in [(2, true), (3, true), (4, false), (5, true), (6, true)] {
            log.push(event(
                seq,
                "service_check_recorded",
                &format!("team:{blue}"),
                json!({"id": Uuid::from_u128(seq as u128 + 100), "team_id": blue,
                "system_id": Uuid::from_u128(7), "up": up, "received_at": "2026-11-21T08:00:00Z"}),
            ));
        }
        let end = "2026-11-21T10:00:00Z".parse().unwrap();
        let m = measures(&crate::scoring::scorecard::compute(&log), end);
        assert_eq!(m[&blue].availability_pct, Some(80.0));
        assert_eq!(m[&other].availability_pct, None, "no checks: not recorded");
    }
}

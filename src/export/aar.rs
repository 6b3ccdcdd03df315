//! The after-action report (HSEEP AAR/IP layout) as a PDF, and its detection/
//! acknowledgement timeline chart (shared with the page).

use chrono::{DateTime, Utc};

use super::chart::{Timeline, TimelineRow, fmt_duration};
use super::pdf::{Report, RunningText};
use crate::store::after_action::{ActionStatus, AfterActionReport};
use crate::time::display_vn;

/// Each released inject on the drill's clock, with the time until the first team
/// acknowledged it (or a red line to the end when no team did).
pub fn timeline_chart(report: &AfterActionReport) -> Timeline {
    let end_s = match (report.drill.started_at, report.drill.ended_at) {
        (Some(s), Some(e)) => (e - s).num_milliseconds() as f64 / 1000.0,
        _ => report
            .injects
            .iter()
            .filter_map(|i| i.released_after_start_s)
            .fold(0.0, f64::max),
    };
    Timeline {
        title: "Thời gian phản hồi theo từng tình huống / Time to respond per inject".into(),
        rows: report
            .injects
            .iter()
            .filter_map(|i| {
                Some(TimelineRow {
                    label: format!("{} · {}", i.entry.key, i.entry.title.vi),
                    released_s: i.released_after_start_s?,
                    detected_after_s: i.time_to_ack_s,
                })
            })
            .collect(),
        end_s,
        missed: "chưa phản hồi / no response".into(),
        no_data: "chưa phát tình huống nào / no inject released".into(),
    }
}

fn vn(t: Option<DateTime<Utc>>) -> String {
    t.map(display_vn).unwrap_or_else(|| "—".into())
}

pub fn to_pdf(
    report: &AfterActionReport,
    organisation: &str,
    generated_at: DateTime<Utc>,
    generated_by: &str,
) -> anyhow::Result<Vec<u8>> {
    let d = &report.drill;
    let title = format!("Báo cáo sau diễn tập / After-action report: {}", d.title);
    let mut pdf = Report::new(RunningText {
        title: title.clone(),
        organisation: organisation.to_owned(),
        footer: format!(
            "Nhật ký / Log: {} sự kiện / events, hash đầu / head {}",
            report.log_events, report.log_head
        ),
        generated_at,
        author: generated_by.to_owned(),
    })?;
    pdf.title(
        &title,
        &[
            format!("Đơn vị / Organisation: {organisation}"),
            format!(
                "Tạo lúc / Generated: {} (giờ Việt Nam / Vietnam time), bởi / by {generated_by}",
                display_vn(generated_at)
            ),
            format!(
                "Nhật ký sự kiện / Event log: {} sự kiện / events, hash đầu / head {}",
                report.log_events, report.log_head
            ),
        ],
    );

    pdf.heading("1. Tóm tắt / Summary");
    pdf.fields(&[
        (
            "Kịch bản / Scenario".into(),
            format!(
                "{} / {} (v{})",
                report.scenario_title.vi, report.scenario_title.en, d.scenario_version
            ),
        ),
        ("Loại / Kind".into(), d.kind.code().to_owned()),
        ("Trạng thái / Status".into(), d.status.code().to_owned()),
        ("Bắt đầu / Started".into(), vn(d.started_at)),
        ("Kết thúc / Ended".into(), vn(d.ended_at)),
        ("Hệ thống / Systems".into(), report.systems.join(", ")),
        ("Đội / Teams".into(), report.teams.join(", ")),
    ]);
    pdf.paragraph(&report.scenario_summary.vi);
    pdf.paragraph(&report.scenario_summary.en);

    pdf.heading("2. Mục tiêu / Objectives");
    if report.objectives.is_empty() {
        pdf.paragraph("Kịch bản không nêu mục tiêu. / The scenario lists no objectives.");
    }
    for (i, o) in report.objectives.iter().enumerate() {
        pdf.paragraph(&format!("{}. {} / {}", i + 1, o.vi, o.en));
    }

    pdf.heading("3. Diễn biến và kết quả theo tình huống / Timeline and per-inject outcomes");
    pdf.figure(&timeline_chart(report).layout());
    let rows: Vec<Vec<String>> = report
        .injects
        .iter()
        .map(|i| {
            vec![
                i.entry.key.clone(),
                format!("{} / {}", i.entry.title.vi, i.entry.title.en),
                i.entry.state.code().to_owned(),
                vn(i.entry.released_at),
                i.time_to_ack_s
                    .map(fmt_duration)
                    .unwrap_or_else(|| "—".into()),
                i.expectations
                    .iter()
                    .map(|x| format!("{} ≤ {}", x.kind, fmt_duration(f64::from(x.target_s))))
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    pdf.table(
        &[
            "Mã / Key".into(),
            "Tình huống / Inject".into(),
            "Trạng thái / State".into(),
            "Phát lúc / Released".into(),
            "Xác nhận sau / Ack after".into(),
            "Kỳ vọng / Expected".into(),
        ],
        &[1.2, 3.2, 1.1, 1.5, 1.1, 2.0],
        &rows,
    );

    pdf.heading("4. Điểm mạnh / Strengths");
    if report.strengths.is_empty() {
        pdf.paragraph("Chưa ghi nhận. / None recorded.");
    }
    for o in &report.strengths {
        pdf.paragraph(&format!("• {}", o.text));
    }
    pdf.heading("5. Điểm cần cải thiện / Areas for improvement");
    if report.improvements.is_empty() {
        pdf.paragraph("Chưa ghi nhận. / None recorded.");
    }
    for o in &report.improvements {
        pdf.paragraph(&format!("• {}", o.text));
    }

    pdf.heading("6. Kế hoạch cải thiện / Improvement plan");
    if report.corrective_actions.is_empty() {
        pdf.paragraph("Chưa có hành động khắc phục. / No corrective actions yet.");
    } else {
        let rows: Vec<Vec<String>> = report
            .corrective_actions
            .iter()
            .map(|a| {
                vec![
                    a.action.clone(),
                    a.owner.clone(),
                    a.due_on.format("%d/%m/%Y").to_string(),
                    a.playbook_title.clone().unwrap_or_else(|| "—".into()),
                    match a.status {
                        ActionStatus::Open => "mở / open".to_owned(),
                        ActionStatus::Done => match a.playbook_version {
                            Some(v) => format!("xong / done → v{v}"),
                            None => "xong / done".to_owned(),
                        },
                    },
                ]
            })
            .collect();
        pdf.table(
            &[
                "Hành động / Action".into(),
                "Phụ trách / Owner".into(),
                "Hạn / Due".into(),
                "Phương án / Playbook".into(),
                "Trạng thái / Status".into(),
            ],
            &[3.4, 1.5, 1.1, 2.4, 1.3],
            &rows,
        );
    }
    pdf.finish()
}

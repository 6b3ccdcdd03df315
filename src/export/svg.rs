//! Figures as inline SVG for the pages: no scripts, no external references, text as
//! real `<text>` (selectable, read by screen readers), and `<title>`/`<desc>` wired to
//! the root with `aria-labelledby` so the chart has an accessible name and summary.

use std::fmt::Write;

use super::chart::{Anchor, Figure, Mark};

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn n(v: f32) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Renders a figure. `id` must be unique within the page (it names the title and
/// description elements).
pub fn render(figure: &Figure, id: &str) -> String {
    let id = esc(id);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" font-family="DejaVu Sans, Verdana, sans-serif"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        w = n(figure.width),
        h = n(figure.height),
        title = esc(&figure.title),
        desc = esc(&figure.desc),
    );
    for mark in &figure.marks {
        match mark {
            Mark::Rect { x, y, w, h, fill } => {
                let _ = write!(
                    s,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                    n(*x),
                    n(*y),
                    n(*w),
                    n(*h),
                    fill.hex()
                );
            }
            Mark::Line {
                x1,
                y1,
                x2,
                y2,
                stroke,
                width,
            } => {
                let _ = write!(
                    s,
                    r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"/>"#,
                    n(*x1),
                    n(*y1),
                    n(*x2),
                    n(*y2),
                    stroke.hex(),
                    n(*width)
                );
            }
            Mark::Polyline {
                points,
                stroke,
                width,
            } => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
                    .collect();
                let _ = write!(
                    s,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"/>"#,
                    pts.join(" "),
                    stroke.hex(),
                    n(*width)
                );
            }
            Mark::Dot { x, y, r, fill } => {
                let _ = write!(
                    s,
                    r#"<circle cx="{}" cy="{}" r="{}" fill="{}"/>"#,
                    n(*x),
                    n(*y),
                    n(*r),
                    fill.hex()
                );
            }
            Mark::Text {
                x,
                y,
                text,
                size,
                anchor,
                fill,
                bold,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let weight = if *bold { r#" font-weight="bold""# } else { "" };
                let _ = write!(
                    s,
                    r#"<text x="{}" y="{}" font-size="{}" text-anchor="{anchor}" fill="{}"{weight}>{}</text>"#,
                    n(*x),
                    n(*y),
                    n(*size),
                    fill.hex(),
                    esc(text)
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::super::chart::{BarChart, Series};
    use super::*;

    #[test]
    fn an_svg_chart_names_itself_and_escapes_user_text() {
        let figure = BarChart {
            title: "Điểm theo lĩnh vực".into(),
            categories: vec!["<script>alert(1)</script> & Đội".into()],
            series: vec![Series {
                name: "D5".into(),
                values: vec![Some(72.5)],
            }],
            no_data: "-".into(),
        }
        .layout();
        let svg = render(&figure, "dims");
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"<title id="dims-title">Điểm theo lĩnh vực</title>"#));
        assert!(svg.contains("<desc id=\"dims-desc\">"));
        assert!(svg.contains(r#"aria-labelledby="dims-title dims-desc""#));
        assert!(!svg.contains("<script"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains(">72.5</text>"));
    }
}

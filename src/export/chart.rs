//! Charts as data: each chart is laid out once into a [`Figure`] of simple marks
//! (rectangles, lines, dots, text) in its own coordinate box, and the SVG and PDF
//! writers only draw those marks. So a bar in the browser and the same bar in the PDF
//! cannot disagree, and neither writer knows anything about scores or drills.
//!
//! Coordinates: origin at the top left, y grows downwards, units are points (SVG user
//! units; 1/72 inch in the PDF).

/// An RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

pub const INK: Rgb = Rgb(0x1f, 0x29, 0x37);
pub const MUTED: Rgb = Rgb(0x6b, 0x72, 0x80);
pub const GRID: Rgb = Rgb(0xd1, 0xd5, 0xdb);
pub const MISSED: Rgb = Rgb(0xb9, 0x1c, 0x1c);

/// Series colours, chosen to stay distinct for the common colour-vision deficiencies
/// (the Okabe–Ito palette) and in greyscale print, where they differ in lightness.
pub const PALETTE: [Rgb; 6] = [
    Rgb(0x00, 0x72, 0xb2),
    Rgb(0xe6, 0x9f, 0x00),
    Rgb(0x00, 0x9e, 0x73),
    Rgb(0xcc, 0x79, 0xa7),
    Rgb(0x56, 0xb4, 0xe9),
    Rgb(0xd5, 0x5e, 0x00),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Rgb,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        stroke: Rgb,
        width: f32,
    },
    Polyline {
        points: Vec<(f32, f32)>,
        stroke: Rgb,
        width: f32,
    },
    Dot {
        x: f32,
        y: f32,
        r: f32,
        fill: Rgb,
    },
    /// `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        text: String,
        size: f32,
        anchor: Anchor,
        fill: Rgb,
        bold: bool,
    },
}

/// A laid-out chart: its marks plus a title and a plain-language description, which
/// the SVG writer puts in `<title>`/`<desc>` for screen readers.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub width: f32,
    pub height: f32,
    pub title: String,
    pub desc: String,
    pub marks: Vec<Mark>,
}

/// One named series of values; `None` is "no value" (drawn as a gap, not as zero).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// Grouped horizontal bars on a 0–100 scale: one group per category (a team), one
/// bar per series (a dimension).
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// Shown where a category has no data at all.
    pub no_data: String,
}

/// Lines over ordered x labels (years, drills). `y_max` fixes the scale (100 for
/// scores); `None` scales to the data.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_labels: Vec<String>,
    pub series: Vec<Series>,
    pub y_max: Option<f64>,
    pub y_unit: String,
    pub no_data: String,
}

/// One row of a detection timeline: when an inject was released (seconds from the
/// drill start) and how long until it was detected (`None`: never detected).
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub label: String,
    pub released_s: f64,
    pub detected_after_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub title: String,
    pub rows: Vec<TimelineRow>,
    /// Where undetected rows end: the drill's end, in seconds from its start.
    pub end_s: f64,
    /// The label for an undetected row ("chưa phát hiện / not detected").
    pub missed: String,
    pub no_data: String,
}

const WIDTH: f32 = 520.0;
const LABEL_W: f32 = 150.0;
const TEXT: f32 = 8.5;

fn text(x: f32, y: f32, s: impl Into<String>, anchor: Anchor) -> Mark {
    Mark::Text {
        x,
        y,
        text: s.into(),
        size: TEXT,
        anchor,
        fill: INK,
        bold: false,
    }
}

fn muted(x: f32, y: f32, s: impl Into<String>, anchor: Anchor) -> Mark {
    Mark::Text {
        x,
        y,
        text: s.into(),
        size: TEXT - 1.0,
        anchor,
        fill: MUTED,
        bold: false,
    }
}

/// Shortens a label to `max` characters, so a long team name does not run into the
/// plot; the full name stays in the tables beside the chart.
fn clip(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A human duration: `45 s`, `12 min`, `3 h 05`.
pub fn fmt_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as i64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", (s + 30) / 60)
    } else {
        let m = (s + 30) / 60;
        format!("{} h {:02}", m / 60, m % 60)
    }
}

fn legend(marks: &mut Vec<Mark>, names: &[&str], y: f32) {
    let mut x = 4.0;
    for (i, name) in names.iter().enumerate() {
        marks.push(Mark::Rect {
            x,
            y: y - 7.0,
            w: 8.0,
            h: 8.0,
            fill: PALETTE[i % PALETTE.len()],
        });
        let label = clip(name, 28);
        let width = 14.0 + label.chars().count() as f32 * 4.6;
        marks.push(text(x + 11.0, y, label, Anchor::Start));
        x += width + 8.0;
    }
}

impl BarChart {
    pub fn layout(&self) -> Figure {
        let bar_h = 9.0_f32;
        let group_gap = 10.0_f32;
        let top = 22.0_f32;
        let plot_w = WIDTH - LABEL_W - 40.0;
        let n = self.series.len().max(1) as f32;
        let group_h = n * bar_h + group_gap;
        let plot_h = (self.categories.len() as f32 * group_h).max(group_h);
        let mut marks = Vec::new();
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        legend(&mut marks, &names, 12.0);
        for tick in [0.0_f32, 25.0, 50.0, 75.0, 100.0] {
            let x = LABEL_W + plot_w * tick / 100.0;
            marks.push(Mark::Line {
                x1: x,
                y1: top,
                x2: x,
                y2: top + plot_h,
                stroke: GRID,
                width: 0.5,
            });
            marks.push(muted(
                x,
                top + plot_h + 10.0,
                fmt_num(tick.into()),
                Anchor::Middle,
            ));
        }
        let mut described = Vec::new();
        for (c, category) in self.categories.iter().enumerate() {
            let gy = top + c as f32 * group_h + group_gap / 2.0;
            marks.push(text(
                LABEL_W - 6.0,
                gy + n * bar_h / 2.0 + 3.0,
                clip(category, 30),
                Anchor::End,
            ));
            let mut parts = Vec::new();
            let mut any = false;
            for (s, series) in self.series.iter().enumerate() {
                let Some(v) = series.values.get(c).copied().flatten() else {
                    continue;
                };
                any = true;
                let v = v.clamp(0.0, 100.0);
                let y = gy + s as f32 * bar_h;
                marks.push(Mark::Rect {
                    x: LABEL_W,
                    y: y + 1.0,
                    w: (plot_w * v as f32 / 100.0).max(0.5),
                    h: bar_h - 2.0,
                    fill: PALETTE[s % PALETTE.len()],
                });
                marks.push(muted(
                    LABEL_W + plot_w * v as f32 / 100.0 + 3.0,
                    y + bar_h - 2.5,
                    fmt_num(v),
                    Anchor::Start,
                ));
                parts.push(format!("{} {}", series.name, fmt_num(v)));
            }
            if !any {
                marks.push(muted(
                    LABEL_W + 4.0,
                    gy + n * bar_h / 2.0 + 3.0,
                    self.no_data.clone(),
                    Anchor::Start,
                ));
                parts.push(self.no_data.clone());
            }
            described.push(format!("{}: {}", category, parts.join(", ")));
        }
        if self.categories.is_empty() {
            marks.push(muted(
                LABEL_W + 4.0,
                top + plot_h / 2.0 + 3.0,
                self.no_data.clone(),
                Anchor::Start,
            ));
            described.push(self.no_data.clone());
        }
        Figure {
            width: WIDTH,
            height: top + plot_h + 16.0,
            title: self.title.clone(),
            desc: described.join("; "),
            marks,
        }
    }
}

/// A rounded-up axis maximum (1, 2 or 5 times a power of ten).
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if v <= m * p {
            return m * p;
        }
    }
    10.0 * p
}

/// An axis maximum for durations whose quarters read well (1 min, 15 min, 1 h…).
fn nice_duration_max(seconds: f64) -> f64 {
    const STEPS: [f64; 12] = [
        60.0, 240.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0, 14_400.0, 28_800.0, 43_200.0, 86_400.0,
        172_800.0,
    ];
    STEPS
        .into_iter()
        .find(|s| seconds <= *s)
        .unwrap_or_else(|| nice_max(seconds))
}

impl LineChart {
    pub fn layout(&self) -> Figure {
        let top = 22.0_f32;
        let plot_h = 150.0_f32;
        let left = 50.0_f32;
        let plot_w = WIDTH - left - 20.0;
        let mut marks = Vec::new();
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        legend(&mut marks, &names, 12.0);
        let data_max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .fold(0.0_f64, f64::max);
        let y_max = self.y_max.unwrap_or_else(|| {
            if self.y_unit == "s" {
                nice_duration_max(data_max)
            } else {
                nice_max(data_max)
            }
        });
        let to_y = |v: f64| top + plot_h - plot_h * (v.clamp(0.0, y_max) / y_max) as f32;
        for i in 0..=4 {
            let v = y_max * f64::from(i) / 4.0;
            let y = to_y(v);
            marks.push(Mark::Line {
                x1: left,
                y1: y,
                x2: left + plot_w,
                y2: y,
                stroke: GRID,
                width: 0.5,
            });
            let label = if self.y_unit == "s" {
                fmt_duration(v)
            } else {
                fmt_num(v)
            };
            marks.push(muted(left - 4.0, y + 3.0, label, Anchor::End));
        }
        let n = self.x_labels.len();
        let to_x = |i: usize| {
            if n <= 1 {
                left + plot_w / 2.0
            } else {
                left + plot_w * i as f32 / (n - 1) as f32
            }
        };
        for (i, label) in self.x_labels.iter().enumerate() {
            marks.push(muted(
                to_x(i),
                top + plot_h + 11.0,
                clip(label, 18),
                Anchor::Middle,
            ));
        }
        let mut described = Vec::new();
        for (s, series) in self.series.iter().enumerate() {
            let colour = PALETTE[s % PALETTE.len()];
            let mut run: Vec<(f32, f32)> = Vec::new();
            let mut parts = Vec::new();
            for (i, v) in series.values.iter().enumerate().take(n) {
                match v {
                    Some(v) => {
                        let point = (to_x(i), to_y(*v));
                        run.push(point);
                        marks.push(Mark::Dot {
                            x: point.0,
                            y: point.1,
                            r: 2.2,
                            fill: colour,
                        });
                        let shown = if self.y_unit == "s" {
                            fmt_duration(*v)
                        } else {
                            fmt_num(*v)
                        };
                        parts.push(format!("{} {}", self.x_labels[i], shown));
                    }
                    None => {
                        if run.len() > 1 {
                            marks.push(Mark::Polyline {
                                points: std::mem::take(&mut run),
                                stroke: colour,
                                width: 1.4,
                            });
                        }
                        run.clear();
                    }
                }
            }
            if run.len() > 1 {
                marks.push(Mark::Polyline {
                    points: run,
                    stroke: colour,
                    width: 1.4,
                });
            }
            if !parts.is_empty() {
                described.push(format!("{}: {}", series.name, parts.join(", ")));
            }
        }
        if described.is_empty() {
            marks.push(muted(
                left + plot_w / 2.0,
                top + plot_h / 2.0,
                self.no_data.clone(),
                Anchor::Middle,
            ));
            described.push(self.no_data.clone());
        }
        Figure {
            width: WIDTH,
            height: top + plot_h + 18.0,
            title: self.title.clone(),
            desc: described.join("; "),
            marks,
        }
    }
}

impl Timeline {
    /// Each inject is a row: a dot at its release, a bar to its detection (or a red
    /// dashed-looking bar to the drill's end when it was never detected).
    pub fn layout(&self) -> Figure {
        let row_h = 14.0_f32;
        let top = 8.0_f32;
        let plot_w = WIDTH - LABEL_W - 60.0;
        let end = self
            .rows
            .iter()
            .map(|r| r.released_s + r.detected_after_s.unwrap_or(0.0))
            .fold(self.end_s, f64::max)
            .max(1.0);
        let to_x = |s: f64| LABEL_W + plot_w * (s.clamp(0.0, end) / end) as f32;
        let plot_h = (self.rows.len() as f32 * row_h).max(row_h);
        let mut marks = Vec::new();
        for i in 0..=4 {
            let s = end * f64::from(i) / 4.0;
            let x = to_x(s);
            marks.push(Mark::Line {
                x1: x,
                y1: top,
                x2: x,
                y2: top + plot_h,
                stroke: GRID,
                width: 0.5,
            });
            marks.push(muted(
                x,
                top + plot_h + 10.0,
                format!("+{}", fmt_duration(s)),
                Anchor::Middle,
            ));
        }
        let mut described = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let y = top + i as f32 * row_h;
            let mid = y + row_h / 2.0;
            marks.push(text(
                LABEL_W - 6.0,
                mid + 3.0,
                clip(&row.label, 30),
                Anchor::End,
            ));
            let x0 = to_x(row.released_s);
            match row.detected_after_s {
                Some(after) => {
                    let x1 = to_x(row.released_s + after);
                    marks.push(Mark::Rect {
                        x: x0,
                        y: mid - 3.0,
                        w: (x1 - x0).max(0.8),
                        h: 6.0,
                        fill: PALETTE[0],
                    });
                    marks.push(muted(
                        x1 + 4.0,
                        mid + 3.0,
                        fmt_duration(after),
                        Anchor::Start,
                    ));
                    described.push(format!(
                        "{}: +{} → {}",
                        row.label,
                        fmt_duration(row.released_s),
                        fmt_duration(after)
                    ));
                }
                None => {
                    let x1 = to_x(end);
                    marks.push(Mark::Line {
                        x1: x0,
                        y1: mid,
                        x2: x1,
                        y2: mid,
                        stroke: MISSED,
                        width: 1.0,
                    });
                    marks.push(Mark::Text {
                        x: x1 + 4.0,
                        y: mid + 3.0,
                        text: self.missed.clone(),
                        size: TEXT - 1.0,
                        anchor: Anchor::Start,
                        fill: MISSED,
                        bold: false,
                    });
                    described.push(format!(
                        "{}: +{} → {}",
                        row.label,
                        fmt_duration(row.released_s),
                        self.missed
                    ));
                }
            }
            marks.push(Mark::Dot {
                x: x0,
                y: mid,
                r: 2.5,
                fill: INK,
            });
        }
        if self.rows.is_empty() {
            marks.push(muted(
                LABEL_W + 4.0,
                top + row_h / 2.0 + 3.0,
                self.no_data.clone(),
                Anchor::Start,
            ));
            described.push(self.no_data.clone());
        }
        Figure {
            width: WIDTH,
            height: top + plot_h + 16.0,
            title: self.title.clone(),
            desc: described.join("; "),
            marks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(f: &Figure) -> Vec<String> {
        f.marks
            .iter()
            .filter_map(|m| match m {
                Mark::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_bar_is_as_long_as_its_score_and_labelled_with_it() {
        let chart = BarChart {
            title: "t".into(),
            categories: vec!["Đội A".into()],
            series: vec![Series {
                name: "D1".into(),
                values: vec![Some(50.0)],
            }],
            no_data: "no data".into(),
        };
        let f = chart.layout();
        let bar = f
            .marks
            .iter()
            .find_map(|m| match m {
                Mark::Rect { w, x, .. } if *x == LABEL_W => Some(*w),
                _ => None,
            })
            .unwrap();
        let full = WIDTH - LABEL_W - 40.0;
        assert!((bar - full / 2.0).abs() < 0.01);
        assert!(texts(&f).contains(&"50".to_owned()));
        assert!(f.desc.contains("Đội A: D1 50"));
    }

    #[test]
    fn a_team_without_scores_says_so_instead_of_a_zero_bar() {
        let chart = BarChart {
            title: "t".into(),
            categories: vec!["Đội B".into()],
            series: vec![Series {
                name: "D1".into(),
                values: vec![None],
            }],
            no_data: "chưa có dữ liệu".into(),
        };
        let f = chart.layout();
        assert!(texts(&f).contains(&"chưa có dữ liệu".to_owned()));
        assert!(
            !f.marks
                .iter()
                .any(|m| matches!(m, Mark::Rect { x, .. } if *x == LABEL_W))
        );
    }

    #[test]
    fn an_undetected_inject_runs_to_the_drill_end_and_is_named_missed() {
        let t = Timeline {
            title: "t".into(),
            rows: vec![
                TimelineRow {
                    label: "I1".into(),
                    released_s: 0.0,
                    detected_after_s: Some(900.0),
                },
                TimelineRow {
                    label: "I2".into(),
                    released_s: 1800.0,
                    detected_after_s: None,
                },
            ],
            end_s: 3600.0,
            missed: "not detected".into(),
            no_data: "-".into(),
        };
        let f = t.layout();
        assert!(texts(&f).contains(&"15 min".to_owned()));
        assert!(f.desc.contains("I2: +30 min → not detected"));
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(fmt_duration(42.0), "42 s");
        assert_eq!(fmt_duration(900.0), "15 min");
        assert_eq!(fmt_duration(3.0 * 3600.0 + 5.0 * 60.0), "3 h 05");
    }

    #[test]
    fn gaps_in_a_line_are_not_drawn_as_zero() {
        let chart = LineChart {
            title: "t".into(),
            x_labels: vec!["2024".into(), "2025".into(), "2026".into()],
            series: vec![Series {
                name: "A".into(),
                values: vec![Some(40.0), None, Some(60.0)],
            }],
            y_max: Some(100.0),
            y_unit: String::new(),
            no_data: "-".into(),
        };
        let f = chart.layout();
        assert!(!f.marks.iter().any(|m| matches!(m, Mark::Polyline { .. })));
        assert_eq!(
            f.marks
                .iter()
                .filter(|m| matches!(m, Mark::Dot { .. }))
                .count(),
            2
        );
    }
}

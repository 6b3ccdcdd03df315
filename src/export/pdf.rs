//! A small report writer over `krilla`: A4 pages with a running header and footer,
//! headings, wrapped paragraphs, label/value lists, tables whose header repeats on
//! each page, and vector charts from [`super::chart::Figure`].
//!
//! Text is set in DejaVu Sans, compiled into the binary (`fonts/`, Bitstream Vera
//! licence with DejaVu changes in the public domain: see `fonts/LICENSE-DejaVu.txt`):
//! it covers every Vietnamese letter, the server needs no system fonts, and krilla
//! embeds only the glyphs used, with a ToUnicode map so the text can be searched and
//! copied (`pdftotext` gives back the Vietnamese as written).
//!
//! The layout is computed first into per-page lists of drawing operations; pages are
//! drawn at the end, when the page count for "Trang N/M" is known.

use anyhow::anyhow;
use chrono::{DateTime, Datelike, Timelike, Utc};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use super::chart::{self, Anchor, Figure, Mark, Rgb};

static REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Where content starts below the running header, and must end above the footer.
const TOP: f32 = 70.0;
const BOTTOM: f32 = PAGE_H - 56.0;

const BODY: f32 = 9.5;
const SMALL: f32 = 8.0;

/// Advance widths for laying out text, read from the same font files that are
/// embedded, so wrapping and right-alignment match what is drawn.
struct Metrics {
    regular: ttf_parser::Face<'static>,
    bold: ttf_parser::Face<'static>,
}

impl Metrics {
    fn load() -> anyhow::Result<Self> {
        Ok(Self {
            regular: ttf_parser::Face::parse(REGULAR, 0)
                .map_err(|e| anyhow!("embedded font: {e}"))?,
            bold: ttf_parser::Face::parse(BOLD, 0).map_err(|e| anyhow!("embedded font: {e}"))?,
        })
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let units = f32::from(face.units_per_em());
        let advance: f32 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(units / 2.0, f32::from)
            })
            .sum();
        advance * size / units
    }

    /// Greedy word wrap; a single word longer than the line (a hash, a URL) is cut
    /// by characters.
    fn wrap(&self, text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size, bold) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.width(&piece, size, bold) > max {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(c);
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }
}

#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        fill: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Rgb,
    },
    Line {
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
}

/// What every page repeats: the organisation and title at the top, the document's
/// SHA-256 and the page number at the bottom.
#[derive(Debug, Clone)]
pub struct RunningText {
    pub title: String,
    pub organisation: String,
    pub footer: String,
    pub generated_at: DateTime<Utc>,
    pub author: String,
}

pub struct Report {
    metrics: Metrics,
    running: RunningText,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Report {
    pub fn new(running: RunningText) -> anyhow::Result<Self> {
        Ok(Self {
            metrics: Metrics::load()?,
            running,
            pages: vec![Vec::new()],
            y: TOP,
        })
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, fill: Rgb, text: &str) {
        if text.is_empty() {
            return;
        }
        self.ops().push(Op::Text {
            x,
            y,
            size,
            bold,
            fill,
            text: text.to_owned(),
        });
    }

    /// The document's title block: a large title and lines under it.
    pub fn title(&mut self, title: &str, lines: &[String]) {
        for line in self.metrics.wrap(title, 16.0, true, CONTENT_W) {
            self.ensure(22.0);
            self.y += 18.0;
            let y = self.y;
            self.text_at(MARGIN, y, 16.0, true, chart::INK, &line);
            self.y += 4.0;
        }
        for line in lines {
            for wrapped in self.metrics.wrap(line, BODY, false, CONTENT_W) {
                self.ensure(14.0);
                self.y += 13.0;
                let y = self.y;
                self.text_at(MARGIN, y, BODY, false, chart::MUTED, &wrapped);
            }
        }
        self.y += 8.0;
        let y = self.y;
        self.ops().push(Op::Line {
            points: vec![(MARGIN, y), (PAGE_W - MARGIN, y)],
            stroke: chart::GRID,
            width: 0.8,
        });
        self.y += 6.0;
    }

    pub fn heading(&mut self, text: &str) {
        // Keep a heading with at least a few lines of what follows it.
        self.ensure(70.0);
        self.y += 26.0;
        for line in self.metrics.wrap(text, 12.5, true, CONTENT_W) {
            let y = self.y;
            self.text_at(MARGIN, y, 12.5, true, chart::INK, &line);
            self.y += 16.0;
        }
        self.y -= 8.0;
    }

    pub fn subheading(&mut self, text: &str) {
        self.ensure(50.0);
        self.y += 14.0;
        for line in self.metrics.wrap(text, 10.5, true, CONTENT_W) {
            let y = self.y;
            self.text_at(MARGIN, y, 10.5, true, chart::INK, &line);
            self.y += 14.0;
        }
        self.y -= 8.0;
    }

    pub fn paragraph(&mut self, text: &str) {
        self.y += 4.0;
        for line in self.metrics.wrap(text, BODY, false, CONTENT_W) {
            self.ensure(13.0);
            self.y += 13.0;
            let y = self.y;
            self.text_at(MARGIN, y, BODY, false, chart::INK, &line);
        }
    }

    /// Label/value pairs, labels in a narrow muted column.
    pub fn fields(&mut self, pairs: &[(String, String)]) {
        let label_w = 150.0;
        self.y += 4.0;
        for (label, value) in pairs {
            let labels = self.metrics.wrap(label, SMALL, false, label_w - 8.0);
            let values = self.metrics.wrap(value, BODY, false, CONTENT_W - label_w);
            let rows = labels.len().max(values.len());
            self.ensure(rows as f32 * 12.5 + 2.0);
            for i in 0..rows {
                self.y += 12.5;
                let y = self.y;
                if let Some(l) = labels.get(i) {
                    self.text_at(MARGIN, y, SMALL, false, chart::MUTED, l);
                }
                if let Some(v) = values.get(i) {
                    self.text_at(MARGIN + label_w, y, BODY, false, chart::INK, v);
                }
            }
        }
    }

    /// A table; `widths` are fractions of the text width. Cells wrap, rows never split
    /// across pages, and the header row repeats after a page break.
    pub fn table(&mut self, headers: &[String], widths: &[f32], rows: &[Vec<String>]) {
        let total: f32 = widths.iter().sum();
        let cols: Vec<f32> = widths.iter().map(|w| w / total * CONTENT_W).collect();
        let line_h = 11.0;
        let pad = 3.0;
        let wrap_row = |metrics: &Metrics, cells: &[String], bold: bool| -> Vec<Vec<String>> {
            cells
                .iter()
                .zip(&cols)
                .map(|(c, w)| metrics.wrap(c, SMALL, bold, w - 2.0 * pad))
                .collect()
        };
        let header = wrap_row(&self.metrics, headers, true);
        let header_h = header.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h + 2.0 * pad;
        self.y += 8.0;
        self.ensure(header_h + line_h + 2.0 * pad);
        self.draw_row(&header, &cols, header_h, true);
        for row in rows {
            let cells = wrap_row(&self.metrics, row, false);
            let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h + 2.0 * pad;
            if self.y + h > BOTTOM {
                self.new_page();
                self.draw_row(&header, &cols, header_h, true);
            }
            self.draw_row(&cells, &cols, h, false);
        }
    }

    fn draw_row(&mut self, cells: &[Vec<String>], cols: &[f32], h: f32, header: bool) {
        let top = self.y;
        if header {
            self.ops().push(Op::Rect {
                x: MARGIN,
                y: top,
                w: CONTENT_W,
                h,
                fill: Rgb(0xf1, 0xf3, 0xf5),
            });
        }
        let mut x = MARGIN;
        for (lines, w) in cells.iter().zip(cols) {
            for (i, line) in lines.iter().enumerate() {
                let y = top + 3.0 + 8.5 + i as f32 * 11.0;
                self.text_at(x + 3.0, y, SMALL, header, chart::INK, line);
            }
            x += w;
        }
        self.ops().push(Op::Line {
            points: vec![(MARGIN, top + h), (PAGE_W - MARGIN, top + h)],
            stroke: chart::GRID,
            width: 0.5,
        });
        self.y = top + h;
    }

    /// A chart, scaled to the text width, with its title above it.
    pub fn figure(&mut self, figure: &Figure) {
        let scale = (CONTENT_W / figure.width).min(1.0);
        let h = figure.height * scale;
        self.ensure(h + 28.0);
        self.y += 16.0;
        let y = self.y;
        self.text_at(MARGIN, y, 10.0, true, chart::INK, &figure.title.clone());
        self.y += 6.0;
        let (ox, oy) = (MARGIN, self.y);
        let tx = |x: f32| ox + x * scale;
        let ty = |y: f32| oy + y * scale;
        let mut ops = Vec::new();
        for mark in &figure.marks {
            match mark {
                Mark::Rect { x, y, w, h, fill } => ops.push(Op::Rect {
                    x: tx(*x),
                    y: ty(*y),
                    w: w * scale,
                    h: h * scale,
                    fill: *fill,
                }),
                Mark::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    stroke,
                    width,
                } => ops.push(Op::Line {
                    points: vec![(tx(*x1), ty(*y1)), (tx(*x2), ty(*y2))],
                    stroke: *stroke,
                    width: width * scale,
                }),
                Mark::Polyline {
                    points,
                    stroke,
                    width,
                } => ops.push(Op::Line {
                    points: points.iter().map(|(x, y)| (tx(*x), ty(*y))).collect(),
                    stroke: *stroke,
                    width: width * scale,
                }),
                Mark::Dot { x, y, r, fill } => ops.push(Op::Dot {
                    x: tx(*x),
                    y: ty(*y),
                    r: r * scale,
                    fill: *fill,
                }),
                Mark::Text {
                    x,
                    y,
                    text,
                    size,
                    anchor,
                    fill,
                    bold,
                } => {
                    let size = size * scale;
                    let w = self.metrics.width(text, size, *bold);
                    let x = match anchor {
                        Anchor::Start => tx(*x),
                        Anchor::Middle => tx(*x) - w / 2.0,
                        Anchor::End => tx(*x) - w,
                    };
                    ops.push(Op::Text {
                        x,
                        y: ty(*y),
                        size,
                        bold: *bold,
                        fill: *fill,
                        text: text.clone(),
                    });
                }
            }
        }
        self.ops().extend(ops);
        self.y += h + 4.0;
    }

    /// Draws every page and returns the PDF file.
    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        let regular = Font::new(REGULAR.into(), 0).ok_or_else(|| anyhow!("embedded font"))?;
        let bold = Font::new(BOLD.into(), 0).ok_or_else(|| anyhow!("embedded font"))?;
        let mut document = Document::new();
        let t = self.running.generated_at;
        let created = krilla::metadata::DateTime::new(t.year().clamp(0, 9999) as u16)
            .month(t.month() as u8)
            .day(t.day() as u8)
            .hour(t.hour() as u8)
            .minute(t.minute() as u8)
            .second(t.second() as u8)
            .utc_offset_hour(0)
            .utc_offset_minute(0);
        document.set_metadata(
            Metadata::new()
                .title(self.running.title.clone())
                .authors(vec![self.running.author.clone()])
                .creator("cyberdrill".to_owned())
                .language("vi".to_owned())
                .creation_date(created),
        );
        let count = self.pages.len();
        for (index, ops) in self.pages.iter().enumerate() {
            let settings =
                PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| anyhow!("page size"))?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            let pen = Pen {
                regular: &regular,
                bold: &bold,
            };
            pen.running(&mut surface, &self.metrics, &self.running, index + 1, count);
            for op in ops {
                pen.draw(&mut surface, op);
            }
            surface.finish();
            page.finish();
        }
        document
            .finish()
            .map_err(|e| anyhow!("writing the PDF: {e:?}"))
    }
}

fn colour(c: Rgb) -> rgb::Color {
    rgb::Color::new(c.0, c.1, c.2)
}

struct Pen<'a> {
    regular: &'a Font,
    bold: &'a Font,
}

impl Pen<'_> {
    fn draw(&self, surface: &mut Surface<'_>, op: &Op) {
        match op {
            Op::Text {
                x,
                y,
                size,
                bold,
                fill,
                text,
            } => {
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: colour(*fill).into(),
                    ..Default::default()
                }));
                let font = if *bold { self.bold } else { self.regular };
                surface.draw_text(
                    Point::from_xy(*x, *y),
                    font.clone(),
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            }
            Op::Rect { x, y, w, h, fill } => {
                let mut pb = PathBuilder::new();
                if let Some(rect) = krilla::geom::Rect::from_xywh(*x, *y, w.max(0.1), h.max(0.1)) {
                    pb.push_rect(rect);
                }
                if let Some(path) = pb.finish() {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: colour(*fill).into(),
                        ..Default::default()
                    }));
                    surface.draw_path(&path);
                }
            }
            Op::Line {
                points,
                stroke,
                width,
            } => {
                let mut pb = PathBuilder::new();
                for (i, (x, y)) in points.iter().enumerate() {
                    if i == 0 {
                        pb.move_to(*x, *y);
                    } else {
                        pb.line_to(*x, *y);
                    }
                }
                if let Some(path) = pb.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: colour(*stroke).into(),
                        width: *width,
                        ..Default::default()
                    }));
                    surface.draw_path(&path);
                }
            }
            Op::Dot { x, y, r, fill } => {
                // A circle from four cubic Béziers (k = 0.5523, the usual constant).
                let k = 0.552_284_8 * r;
                let mut pb = PathBuilder::new();
                pb.move_to(x + r, *y);
                pb.cubic_to(x + r, y + k, x + k, y + r, *x, y + r);
                pb.cubic_to(x - k, y + r, x - r, y + k, x - r, *y);
                pb.cubic_to(x - r, y - k, x - k, y - r, *x, y - r);
                pb.cubic_to(x + k, y - r, x + r, y - k, x + r, *y);
                pb.close();
                if let Some(path) = pb.finish() {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: colour(*fill).into(),
                        ..Default::default()
                    }));
                    surface.draw_path(&path);
                }
            }
        }
    }

    fn running(
        &self,
        surface: &mut Surface<'_>,
        metrics: &Metrics,
        running: &RunningText,
        page: usize,
        pages: usize,
    ) {
        let head = format!("{} · {}", running.organisation, running.title);
        let head = metrics
            .wrap(&head, SMALL, false, CONTENT_W)
            .into_iter()
            .next()
            .unwrap_or_default();
        self.draw(
            surface,
            &Op::Text {
                x: MARGIN,
                y: 36.0,
                size: SMALL,
                bold: false,
                fill: chart::MUTED,
                text: head,
            },
        );
        self.draw(
            surface,
            &Op::Line {
                points: vec![(MARGIN, 42.0), (PAGE_W - MARGIN, 42.0)],
                stroke: chart::GRID,
                width: 0.5,
            },
        );
        let number = format!("Trang / Page {page}/{pages}");
        let number_w = metrics.width(&number, SMALL, false);
        let footer = metrics
            .wrap(&running.footer, 7.0, false, CONTENT_W - number_w - 12.0)
            .into_iter()
            .next()
            .unwrap_or_default();
        for op in [
            Op::Line {
                points: vec![(MARGIN, PAGE_H - 44.0), (PAGE_W - MARGIN, PAGE_H - 44.0)],
                stroke: chart::GRID,
                width: 0.5,
            },
            Op::Text {
                x: MARGIN,
                y: PAGE_H - 32.0,
                size: 7.0,
                bold: false,
                fill: chart::MUTED,
                text: footer,
            },
            Op::Text {
                x: PAGE_W - MARGIN - number_w,
                y: PAGE_H - 32.0,
                size: SMALL,
                bold: false,
                fill: chart::MUTED,
                text: number,
            },
        ] {
            self.draw(surface, &op);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let m = Metrics::load().unwrap();
        let text =
            "Cổng dịch vụ công quốc gia bị tấn công từ chối dịch vụ phân tán trong giờ cao điểm";
        let lines = m.wrap(text, BODY, false, 120.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| m.width(l, BODY, false) <= 120.0));
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn a_long_hash_is_cut_rather_than_overflowing() {
        let m = Metrics::load().unwrap();
        let hash = "a".repeat(64);
        let lines = m.wrap(&hash, BODY, false, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), hash);
    }

    #[test]
    fn the_font_has_every_vietnamese_letter() {
        let m = Metrics::load().unwrap();
        let letters = "ăâđêôơưÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ\
                       àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵĂÂĐÊÔƠƯ";
        for face in [&m.regular, &m.bold] {
            for c in letters.chars() {
                assert!(face.glyph_index(c).is_some(), "no glyph for {c}");
            }
        }
    }
}

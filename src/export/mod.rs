//! Files people take away: the annual maturity export (CSV, XLSX, JSON, PDF), the
//! after-action report's PDF, and the charts shared by the pages and the PDFs.
//!
//! Writers here turn finished results into bytes; they never compute a score. The
//! numbers come from `scoring` (per drill) and `maturity` (per year).

/// The after-action report as a PDF, and its timeline chart.
pub mod aar;
/// Charts laid out from data into marks both writers draw.
pub mod chart;
/// Fills the export model from the maturity computation's results.
pub mod from_maturity;
/// The content hash: canonical JSON and its SHA-256.
pub mod hash;
/// The annual maturity export model and its four formats.
pub mod maturity;
/// A small PDF report writer with an embedded font.
pub mod pdf;
/// Charts as inline, accessible SVG.
pub mod svg;

#[cfg(test)]
mod tests;

//! HTML rendering: the handlebars registry (templates embedded from `web/templates`),
//! its helpers, and translation through the Fluent files in `web/locales`.
//!
//! Templates run in strict mode, so a view-model missing a field fails the render
//! (and the test that renders every page) instead of showing an empty string.

pub mod helpers;
pub mod i18n;

use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

pub use i18n::Lang;

/// The templates, embedded at build time (read from disk in debug builds).
#[derive(RustEmbed)]
#[folder = "web/templates/"]
#[include = "*.hbs"]
struct Templates;

/// Static assets served under `/static`.
#[derive(RustEmbed)]
#[folder = "web/static/"]
pub struct StaticAssets;

pub struct Views {
    registry: Handlebars<'static>,
}

impl Views {
    pub fn new() -> anyhow::Result<Self> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_dev_mode(cfg!(debug_assertions));
        // Partials are not re-indented: indentation would leak into the text of a
        // `<textarea>` rendered by a partial, and be saved with the form.
        registry.set_prevent_indent(true);
        registry.register_embed_templates_with_extension::<Templates>(".hbs")?;
        helpers::register(&mut registry);
        Ok(Views { registry })
    }

    /// Renders a template by name (path under `web/templates` without `.hbs`).
    pub fn render<T: Serialize>(
        &self,
        name: &str,
        data: &T,
    ) -> Result<String, handlebars::RenderError> {
        self.registry.render(name, data)
    }

    /// Names of the page templates, for the test that renders them all.
    pub fn page_names() -> Vec<String> {
        Templates::iter()
            .filter(|n| n.starts_with("pages/"))
            .map(|n| n.trim_end_matches(".hbs").to_owned())
            .collect()
    }
}

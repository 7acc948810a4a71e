//! The only code that knows about fonts.
//!
//! plotters is built without its `ttf` feature (which needs the system's fontconfig and
//! freetype) and with `ab_glyph`, which uses only fonts registered here. Registering DejaVu Sans
//! — embedded in the binary by the `dejavu` crate — as plotters' `"sans-serif"` family makes
//! text layout (SVG) and rasterisation (PNG) identical on every machine, including slim CI
//! images without any fonts. Charts refer to fonts only as [`FAMILY`].
//!
//! If plotters replaces `register_font` with a per-area font context (plotters-rs/plotters#736),
//! this file is the only one to change.

use std::sync::OnceLock;

use plotters::style::{FontFamily, FontStyle};

use super::ChartError;

/// The family every chart draws text in.
pub const FAMILY: FontFamily<'static> = FontFamily::SansSerif;

/// The CSS font stack SVG viewers should use for chart text: DejaVu Sans (what the layout was
/// measured with), then Verdana, which descends from the same Bitstream Vera design and has
/// nearly the same metrics, then any sans-serif.
pub const CSS_FONT_STACK: &str = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif";

static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Register the bundled font with plotters, once per process.
///
/// # Errors
/// [`ChartError::Font`] if the embedded font data cannot be parsed (a broken build).
pub fn ensure_registered() -> Result<(), ChartError> {
    let ok = REGISTERED.get_or_init(|| {
        // Bold and italic fall back to Normal inside plotters, so one face is enough.
        plotters::style::register_font(FAMILY.as_str(), FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
    });
    if *ok { Ok(()) } else { Err(ChartError::Font) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn registering_twice_is_harmless() {
        assert!(super::ensure_registered().is_ok());
        assert!(super::ensure_registered().is_ok());
    }
}

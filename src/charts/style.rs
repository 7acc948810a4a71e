//! Look and feel shared by every chart: canvas size, palette, font sizes and number formats.
//!
//! Sizes are chosen for a 16:9 slide: at 1200×675 px the smallest text (tick labels, 17 px) is
//! still legible when the slide is projected or the SVG is shrunk to half width in a document.

use plotters::style::{RGBColor, ShapeStyle, TextStyle};

use super::font::FAMILY;
use crate::units::format_usd_compact;

/// Canvas width, px.
pub const WIDTH: u32 = 1200;
/// Canvas height, px (16:9).
pub const HEIGHT: u32 = 675;

/// Chart title size, px.
pub const TITLE_SIZE: u32 = 30;
/// Subtitle size, px (scenario name, month, trials).
pub const SUBTITLE_SIZE: u32 = 18;
/// Axis description size, px.
pub const AXIS_DESC_SIZE: u32 = 20;
/// Tick label size, px.
pub const TICK_SIZE: u32 = 17;
/// Legend and annotation size, px.
pub const LABEL_SIZE: u32 = 17;

/// Outer margin, px.
pub const MARGIN: u32 = 24;
/// Space reserved for the x tick labels, px.
pub const X_LABEL_AREA: u32 = 54;
/// Space reserved for the y tick labels, px.
pub const Y_LABEL_AREA: u32 = 96;

/// Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008, "Color Universal Design",
/// <https://jfly.uni-koeln.de/color/>): distinguishable under the common colour-vision
/// deficiencies and in greyscale print by lightness.
pub mod okabe_ito {
    use plotters::style::RGBColor;
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Sky blue.
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Bluish green.
    pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Yellow.
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Reddish purple.
    pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// Black.
    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
}

use okabe_ito::*;

/// Main series colour (bill distributions, medians).
pub const PRIMARY: RGBColor = BLUE;
/// Second series (another month, a contrast).
pub const SECONDARY: RGBColor = ORANGE;
/// The budget line: vermillion reads as "limit" and stays distinct from blue and orange.
pub const BUDGET: RGBColor = VERMILLION;
/// The naive spreadsheet estimate.
pub const NAIVE: RGBColor = RGBColor(0x88, 0x88, 0x88);
/// Text and axes.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text.
pub const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

/// Colours of the cost components, in [`crate::engine::COMPONENTS`] order. Input (usually the
/// largest share) gets the strong blue; retries (waste) the vermillion.
pub const COMPONENT_COLOURS: [RGBColor; 7] =
    [BLUE, SKY_BLUE, GREEN, ORANGE, PURPLE, YELLOW, VERMILLION];

/// Colours for routes, cycled.
pub const ROUTE_COLOURS: [RGBColor; 6] = [BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILLION];

/// Colours of compared variants, cycled (solid lines, then dashed). Vermillion is left out: it
/// is the budget's.
pub const VARIANT_COLOURS: [RGBColor; 6] = [BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, BLACK];

/// Colours of percentile markers P50, P90, P95, P99: from calm to alarming.
pub const PERCENTILE_COLOURS: [RGBColor; 4] = [BLUE, GREEN, ORANGE, PURPLE];

/// Text style of a given size and colour in the chart family.
pub fn text(size: u32, colour: RGBColor) -> TextStyle<'static> {
    use plotters::style::IntoFont;
    FAMILY.into_font().resize(f64::from(size)).color(&colour)
}

/// A stroke of `width` px.
pub fn stroke(colour: RGBColor, width: u32) -> ShapeStyle {
    ShapeStyle {
        color: plotters::style::Color::to_rgba(&colour),
        filled: false,
        stroke_width: width,
    }
}

/// A fill with `alpha` opacity (0–1).
pub fn fill(colour: RGBColor, alpha: f64) -> ShapeStyle {
    use plotters::style::Color;
    colour.mix(alpha).filled()
}

/// `colour` darkened for text on white: the Okabe–Ito orange and green are too light for
/// small type (contrast below 3:1) but keep their hue when scaled to 70%.
pub fn darken(colour: RGBColor) -> RGBColor {
    let f = |c: u8| (f64::from(c) * 0.7).round() as u8;
    RGBColor(f(colour.0), f(colour.1), f(colour.2))
}

/// Money tick label: compact dollars (`$12.3k`).
pub fn money(v: &f64) -> String {
    format_usd_compact(*v)
}

/// Probability tick label, value in 0–1: `25%`.
pub fn percent(v: &f64) -> String {
    let pct = v * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{:.0}%", pct)
    } else {
        format!("{:.1}%", pct)
    }
}

/// An upper axis bound a little above `max` so the tallest mark is not glued to the frame;
/// never zero or non-finite, so a degenerate report (every trial $0) still draws.
pub fn headroom(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.08
    } else {
        1.0
    }
}

/// Make a plotters SVG use the font its text was measured with.
///
/// plotters writes `font-family="sans-serif"` on each `<text>`; a CSS rule inside the SVG
/// overrides that presentation attribute (CSS beats SVG presentation attributes), so viewers
/// with DejaVu Sans or Verdana show text at the widths plotters laid out.
pub fn svg_with_font_rule(svg: String) -> String {
    let rule = format!(
        "<style>text{{font-family:{}}}</style>\n",
        super::font::CSS_FONT_STACK
    );
    match svg.find('>') {
        Some(end) if svg.starts_with("<svg") => {
            let mut out = String::with_capacity(svg.len() + rule.len());
            out.push_str(&svg[..=end]);
            out.push('\n');
            out.push_str(&rule);
            out.push_str(svg[end + 1..].trim_start_matches('\n'));
            out
        }
        _ => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_ticks_are_compact() {
        assert_eq!(money(&12_345.0), "$12.3k");
        assert_eq!(money(&0.0), "$0");
    }

    #[test]
    fn percent_ticks_drop_needless_decimals() {
        assert_eq!(percent(&0.25), "25%");
        assert_eq!(percent(&0.125), "12.5%");
    }

    #[test]
    fn headroom_is_positive_for_degenerate_maxima() {
        assert_eq!(headroom(0.0), 1.0);
        assert_eq!(headroom(f64::NAN), 1.0);
        assert!(headroom(100.0) > 100.0);
    }

    #[test]
    fn font_rule_goes_right_after_the_svg_tag() {
        let s = svg_with_font_rule("<svg width=\"1\">\n<rect/>\n</svg>\n".into());
        assert!(s.starts_with("<svg width=\"1\">\n<style>text{font-family:"));
        assert!(s.contains("</style>\n<rect/>"));
    }
}

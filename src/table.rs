//! Tables as data and their two plain-text renderings: a [`Grid`] (header, rows of formatted
//! cells, right-aligned columns) drawn as a terminal table ([`text`]) or a GitHub-flavoured
//! Markdown table ([`markdown`]). A leaf module: every command's tables share it, so the two
//! formats always show the same cells.

use comfy_table::{Cell, CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};

/// A table: header cells and rows of cells.
pub struct Grid {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
    /// Columns to right-align (numbers).
    pub right: Vec<bool>,
}

/// House table style: one rule under the header, nothing else (infracost-like).
pub const STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─'));

/// Render a grid as a terminal table.
pub fn text(g: &Grid) -> String {
    let mut t = Table::new();
    t.load_style(STYLE);
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(g.header.iter().map(Cell::new));
    for row in &g.rows {
        t.add_row(row.iter().enumerate().map(|(i, c)| {
            let cell = Cell::new(c);
            if g.right.get(i).copied().unwrap_or(false) {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    for (i, right) in g.right.iter().enumerate() {
        if *right && let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    t.to_string()
}

/// Render a grid as a GitHub-flavoured Markdown table.
pub fn markdown(g: &Grid) -> String {
    let esc = |s: &str| s.replace('|', "\\|");
    let mut out = format!(
        "| {} |\n|",
        g.header
            .iter()
            .map(|h| esc(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    for i in 0..g.header.len() {
        out.push_str(if g.right.get(i).copied().unwrap_or(false) {
            " ---: |"
        } else {
            " --- |"
        });
    }
    out.push('\n');
    for row in &g.rows {
        out.push_str(&format!(
            "| {} |\n",
            row.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    out
}

//! Tables as data and their renderings: a [`Grid`] (header, rows of formatted cells,
//! right-aligned columns) drawn as a terminal table ([`text`]) or a GitHub-flavoured Markdown
//! table ([`markdown`]), and the one CSV writer of every command ([`csv()`], [`csv_rows`]) with
//! one number format ([`csv_number`]). A leaf module: every command's tables share it, so the
//! formats always show the same cells and every CSV writes a number the same way.

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

impl Grid {
    /// A table whose first column labels the rows and whose other columns hold numbers
    /// (right-aligned).
    pub fn labelled(header: Vec<String>, rows: Vec<Vec<String>>) -> Grid {
        let right = (0..header.len()).map(|i| i > 0).collect();
        Grid {
            header,
            rows,
            right,
        }
    }
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

/// A number as every CSV of billcast writes it, the same text serde gives a `f64` field: the
/// shortest decimal that reads back as the same value (`0.1`, `1.0` for whole numbers, `1e16`
/// for large ones), `NaN`, `inf` or `-inf` otherwise.
pub fn csv_number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        // A single f64 field: the csv serializer's own float text, without the record's newline.
        match w.serialize(x).ok().and_then(|()| w.into_inner().ok()) {
            Some(bytes) => String::from_utf8_lossy(&bytes).trim_end().to_string(),
            None => x.to_string(),
        }
    }
}

/// An optional number: empty when absent.
pub fn csv_opt(x: Option<f64>) -> String {
    x.map(csv_number).unwrap_or_default()
}

/// A CSV writer into memory, for tables built record by record; end with [`csv_finish`].
pub fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

/// The text a [`csv_writer`] wrote.
pub fn csv_finish(w: csv::Writer<Vec<u8>>) -> Result<String, csv::Error> {
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    String::from_utf8(bytes)
        .map_err(|e| csv::Error::from(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// CSV of a header and rows of cells (numbers formatted with [`csv_number`]).
pub fn csv<I, R, C>(header: &[&str], rows: I) -> Result<String, csv::Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = C>,
    C: AsRef<[u8]>,
{
    let mut w = csv_writer();
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    csv_finish(w)
}

/// CSV of serializable rows: the header from the field names, numbers as [`csv_number`] writes
/// them (serde's float text).
pub fn csv_rows<T: serde::Serialize>(
    rows: impl IntoIterator<Item = T>,
) -> Result<String, csv::Error> {
    let mut w = csv_writer();
    for r in rows {
        w.serialize(r)?;
    }
    csv_finish(w)
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_serde_writes_a_float_field() {
        #[derive(serde::Serialize)]
        struct R {
            x: f64,
        }
        for x in [0.1, 1.0, 12345.5, 1e16, 1e-7, -3.25, 2.0f64.sqrt()] {
            let via_serde = csv_rows([R { x }]).unwrap();
            let via_cells = csv(&["x"], [[csv_number(x)]]).unwrap();
            assert_eq!(via_serde, via_cells, "{x}");
            assert_eq!(csv_number(x).parse::<f64>().unwrap(), x);
        }
        assert_eq!(csv_number(100.0), "100.0");
        assert_eq!(csv_number(f64::NAN), "NaN");
        assert_eq!(csv_opt(None), "");
    }
}

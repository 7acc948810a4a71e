//! The price-book views of `billcast pricing list|show|cost|check|update`
//! ([`PricingResult`]) as a terminal table, Markdown and CSV.

use comfy_table::Table;

use crate::pricing::CallCost;
use crate::pricing::layer::Change;
use crate::results::pricing::{CheckView, ListRow, PricingResult, ShowView, UpdateView};
use crate::table::{Grid, csv_finish, csv_number, csv_opt, csv_writer};
use crate::units::{format_count, format_rate, format_usd_cents};

/// The view as terminal text.
pub fn table(p: &PricingResult) -> String {
    match p {
        PricingResult::List(rows) => list(rows, false),
        PricingResult::Show(v) => show_text(v),
        PricingResult::Cost(c) => cost_text(c),
        PricingResult::Check(v) => check_text(v),
        PricingResult::Update(v) => update(v, false),
    }
}

/// The view as Markdown.
pub fn markdown(p: &PricingResult) -> String {
    match p {
        PricingResult::List(rows) => list(rows, true),
        PricingResult::Show(v) => show_markdown(v),
        PricingResult::Cost(c) => cost_markdown(c),
        PricingResult::Check(v) => check_markdown(v),
        PricingResult::Update(v) => update(v, true),
    }
}

/// The view as CSV (`pricing show` has none: [`super::check`] refuses it).
pub fn csv(p: &PricingResult) -> Result<String, ::csv::Error> {
    match p {
        PricingResult::List(rows) => crate::table::csv_rows(rows),
        PricingResult::Show(_) => Ok(String::new()),
        PricingResult::Cost(c) => cost_csv(c),
        PricingResult::Check(v) => check_csv(v),
        PricingResult::Update(v) => update_csv(&v.changes),
    }
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

/// A grid as a terminal table or Markdown.
fn grid_text(g: &Grid, markdown: bool) -> String {
    super::backtest::grid_text(g, markdown)
}

/// A tokenizer ratio for the list: `1.40`, with `?` when it is not verified.
fn ratio_cell(r: &ListRow) -> String {
    format!(
        "{:.2}{}",
        r.tokenizer_ratio,
        if r.tokenizer_confidence == "verified" {
            ""
        } else {
            "?"
        }
    )
}

/// `3,226 models from 95 providers (54 first-party, 3,172 LiteLLM 1.110.2)`.
fn list_summary(rows: &[ListRow]) -> String {
    let count = |n: usize| format_count(n as f64);
    let providers: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r.model.split('/').next().unwrap_or_default())
        .collect();
    // First-party, then --pricing, then the LiteLLM layer.
    let mut layers: std::collections::BTreeMap<(u8, &str), usize> = Default::default();
    for r in rows {
        let rank = match r.layer.as_str() {
            "first-party" => 0,
            "--pricing" => 1,
            _ => 2,
        };
        *layers.entry((rank, &r.layer)).or_default() += 1;
    }
    format!(
        "{} from {} ({})",
        crate::units::counted(rows.len(), "model"),
        crate::units::counted(providers.len(), "provider"),
        layers
            .iter()
            .map(|((_, l), n)| format!("{} {l}", count(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn list(rows: &[ListRow], markdown: bool) -> String {
    let grid = Grid {
        header: strings(&[
            "Model",
            "Input",
            "Cache read",
            "Cache write",
            "Output",
            "Long ctx >",
            "Tokens ×",
            "Tiers",
            "Checked",
            "Layer",
        ]),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.model.clone(),
                    format_rate(r.input),
                    format_rate(r.cache_read),
                    r.cache_write.map_or("-".into(), format_rate),
                    format_rate(r.output),
                    r.long_context_above
                        .map_or("-".into(), |t| format_count(t as f64)),
                    ratio_cell(r),
                    r.service_tiers.clone(),
                    r.checked.clone().unwrap_or_else(|| "-".into()),
                    r.layer.clone(),
                ]
            })
            .collect(),
        right: vec![
            false, true, true, true, true, true, true, false, false, false,
        ],
    };
    format!(
        "USD per 1M tokens · {}\n{}\nTokens × = the model's tokens per o200k_base token for the same text; ? = not verified (an assumption: see pricing show).\n",
        list_summary(rows),
        grid_text(&grid, markdown)
    )
}

fn show_text(v: &ShowView) -> String {
    let mut out = format!("{}\n", v.title);
    for s in &v.sections {
        if let Some(t) = s.title {
            out.push_str(&format!("\n{t}\n"));
        }
        for (k, v) in &s.rows {
            out.push_str(&format!("  {k:<18} {v}\n"));
        }
    }
    if let Some(n) = &v.notes {
        out.push_str(&format!("\nNotes: {n}\n"));
    }
    out
}

fn show_markdown(v: &ShowView) -> String {
    let mut out = format!("## {}\n", v.title);
    for s in &v.sections {
        if let Some(t) = s.title {
            out.push_str(&format!("\n### {t}\n"));
        }
        out.push('\n');
        out.push_str(&crate::table::markdown(&Grid {
            header: s.columns.iter().map(|c| c.to_string()).collect(),
            rows: s
                .rows
                .iter()
                .map(|(k, v)| vec![k.clone(), v.clone()])
                .collect(),
            right: vec![false, false],
        }));
    }
    if let Some(n) = &v.notes {
        out.push_str(&format!("\n**Notes:** {n}\n"));
    }
    out
}

/// The first line of `pricing cost`: model, date, tier, region, long-context rates.
fn cost_heading(c: &CallCost) -> String {
    format!(
        "{} · {} · tier {} · region {}{}",
        c.model,
        c.date,
        c.service_tier,
        c.region,
        c.context_tier
            .as_ref()
            .map(|t| format!(" · long-context rates ({t}: whole call repriced)"))
            .unwrap_or_default()
    )
}

/// `Prices: SOURCE (in force from DATE)`, when the rates name their source.
fn cost_source(c: &CallCost) -> Option<String> {
    c.source.as_ref().map(|s| {
        format!(
            "Prices: {s}{}\n",
            c.rates_from
                .as_ref()
                .map(|d| format!(" (in force from {d})"))
                .unwrap_or_default()
        )
    })
}

fn cost_text(c: &CallCost) -> String {
    let mut t = Table::new();
    t.load_style(crate::table::STYLE);
    t.set_header(vec!["Class", "Tokens", "USD / 1M", "USD"]);
    for l in &c.lines {
        t.add_row(vec![
            l.class.replace('_', " "),
            format_count(l.tokens),
            format_rate(l.usd_per_mtok),
            format!("{:.6}", l.usd),
        ]);
    }
    for tl in &c.tools {
        t.add_row(vec![
            format!("tool {}", tl.tool),
            format!("{} ({} billable)", tl.calls, tl.billable),
            format!("{} / 1k", format_rate(tl.usd_per_1k)),
            format!("{:.6}", tl.usd),
        ]);
    }
    for i in 1..4 {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    let mut out = format!("{}\n", cost_heading(c));
    out.push_str(&t.to_string());
    out.push_str(&format!(
        "\nTotal: {} (${:.6})\n",
        format_usd_cents(c.total_usd),
        c.total_usd
    ));
    if let Some(s) = cost_source(c) {
        out.push_str(&s);
    }
    out
}

/// `pricing cost --format markdown`: the heading, a table of lines and the total.
fn cost_markdown(c: &CallCost) -> String {
    let mut rows: Vec<Vec<String>> = c
        .lines
        .iter()
        .map(|l| {
            vec![
                l.class.replace('_', " "),
                format_count(l.tokens),
                format_rate(l.usd_per_mtok),
                format!("{:.6}", l.usd),
            ]
        })
        .collect();
    for tl in &c.tools {
        rows.push(vec![
            format!("tool {}", tl.tool),
            format!("{} ({} billable)", tl.calls, tl.billable),
            format!("{} / 1k", format_rate(tl.usd_per_1k)),
            format!("{:.6}", tl.usd),
        ]);
    }
    let grid = Grid {
        header: strings(&["Class", "Tokens", "USD / 1M", "USD"]),
        rows,
        right: vec![false, true, true, true],
    };
    let mut out = format!(
        "**{}**\n\n{}\n**Total: {} (${:.6})**\n",
        cost_heading(c),
        crate::table::markdown(&grid),
        format_usd_cents(c.total_usd),
        c.total_usd
    );
    if let Some(s) = cost_source(c) {
        out.push('\n');
        out.push_str(&s);
    }
    for w in &c.warnings {
        out.push_str(&format!("\n> **Warning:** {w}\n"));
    }
    out
}

/// `pricing cost --format csv`: one row per token class and tool, then the total.
fn cost_csv(c: &CallCost) -> Result<String, ::csv::Error> {
    let mut w = csv_writer();
    w.write_record(["item", "quantity", "usd_rate", "rate_unit", "usd"])?;
    for l in &c.lines {
        w.write_record([
            l.class.to_string(),
            csv_number(l.tokens),
            csv_number(l.usd_per_mtok),
            "per 1M tokens".to_string(),
            csv_number(l.usd),
        ])?;
    }
    for t in &c.tools {
        w.write_record([
            format!("tool {}", t.tool),
            csv_number(t.billable),
            csv_number(t.usd_per_1k),
            "per 1k uses".to_string(),
            csv_number(t.usd),
        ])?;
    }
    w.write_record([
        "total".to_string(),
        String::new(),
        String::new(),
        String::new(),
        csv_number(c.total_usd),
    ])?;
    csv_finish(w)
}

/// `(errors, warnings, notes)` of a check.
fn check_counts(v: &CheckView) -> (usize, usize, usize) {
    use crate::pricing::check::Severity;
    let errors = v
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = v
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    (errors, warnings, v.findings.len() - errors - warnings)
}

fn check_text(v: &CheckView) -> String {
    let (errors, warnings, notes) = check_counts(v);
    let mut out = format!(
        "checked {} models in {} tables{}: {errors} errors, {warnings} warnings, {notes} notes\n",
        v.models, v.tables, v.against
    );
    for f in &v.findings {
        out.push_str(&format!(
            "{:<7} {}{}: {}\n",
            f.severity.name(),
            f.file,
            f.model
                .as_ref()
                .map(|m| format!(" {m}"))
                .unwrap_or_default(),
            f.message
        ));
    }
    out
}

fn check_markdown(v: &CheckView) -> String {
    let (errors, warnings, notes) = check_counts(v);
    let grid = Grid {
        header: strings(&["Severity", "File", "Model", "Finding"]),
        rows: v
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.severity.name().to_string(),
                    f.file.clone(),
                    f.model.clone().unwrap_or_default(),
                    f.message.clone(),
                ]
            })
            .collect(),
        right: vec![false; 4],
    };
    format!(
        "Checked {} models in {} tables{}: {errors} errors, {warnings} warnings, {notes} notes.\n\n{}",
        v.models,
        v.tables,
        v.against,
        crate::table::markdown(&grid)
    )
}

fn check_csv(v: &CheckView) -> Result<String, ::csv::Error> {
    // The header is written even when there is nothing to report.
    let mut w = csv_writer();
    w.write_record(["severity", "file", "model", "message"])?;
    for f in &v.findings {
        w.write_record([
            f.severity.name(),
            &f.file,
            f.model.as_deref().unwrap_or(""),
            &f.message,
        ])?;
    }
    csv_finish(w)
}

/// The cells of a change, its rates written by `rate`.
fn change_cells(c: &Change, rate: impl Fn(Option<f64>) -> String) -> Vec<String> {
    vec![
        c.change.name().to_string(),
        c.model.clone(),
        rate(c.input_before),
        rate(c.input_after),
        rate(c.output_before),
        rate(c.output_after),
        c.detail.clone(),
    ]
}

fn update(v: &UpdateView, markdown: bool) -> String {
    let rate = |x: Option<f64>| x.map_or("-".to_string(), format_rate);
    let grid = Grid {
        header: strings(&[
            "Change",
            "Model",
            "Input before",
            "Input after",
            "Output before",
            "Output after",
            "What changed",
        ]),
        rows: v.changes.iter().map(|c| change_cells(c, rate)).collect(),
        right: vec![false, false, true, true, true, true, false],
    };
    let (what, summary, written) = (&v.what, &v.summary, &v.written);
    if markdown {
        format!(
            "**{what}**\n\n{summary}; {written}.\n\n{}",
            if v.changes.is_empty() {
                "No model added, removed or repriced.\n".to_string()
            } else {
                crate::table::markdown(&grid)
            }
        )
    } else {
        format!(
            "{what}\n{summary}; {written}\n{}",
            if v.changes.is_empty() {
                "no model added, removed or repriced\n".to_string()
            } else {
                format!("USD per 1M tokens\n{}\n", crate::table::text(&grid))
            }
        )
    }
}

fn update_csv(changes: &[Change]) -> Result<String, ::csv::Error> {
    let mut w = csv_writer();
    w.write_record([
        "change",
        "model",
        "input_before",
        "input_after",
        "output_before",
        "output_after",
        "detail",
    ])?;
    for c in changes {
        w.write_record(change_cells(c, csv_opt))?;
    }
    csv_finish(w)
}

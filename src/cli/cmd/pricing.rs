//! `billcast pricing …`: browse the price book, price one call, import and check tables,
//! regenerate the LiteLLM layer.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::pricing::schema::{CacheWrite, ReasoningRate};
use billcast::pricing::{CallOptions, Model, PriceBook, RateQuery, cost_call};
use billcast::results::Body;
use billcast::results::pricing::{ListRow, PricingResult};
use billcast::units::{format_rate, format_usd_cents};
use billcast::usage::{UsageConvention, split_reported};
use comfy_table::Table;
use std::borrow::Cow;

use crate::cli::output::{self, Format, OutputArgs, Quiet};

/// Price-book commands.
#[derive(clap::Subcommand, Debug)]
pub enum PricingCommand {
    /// List every model with its main rates (USD per 1M tokens).
    List(ListArgs),
    /// Everything known about one model: rates, tiers, schedule, sources, dates.
    Show(ShowArgs),
    /// Price one call and show the arithmetic.
    Cost(CostArgs),
    /// Convert LiteLLM's price JSON into billcast price tables, listing what could not be mapped.
    ImportLitellm(ImportArgs),
    /// Validate every table: cross-check against LiteLLM, flag stale or suspicious prices.
    Check(CheckArgs),
    /// Regenerate the LiteLLM layer (pricing/litellm/) from a newer LiteLLM price JSON and list
    /// the models added, removed and repriced.
    Update(UpdateArgs),
}

/// `pricing update`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The layer is compiled into the binary. Run it at the root of a billcast checkout (it writes pricing/litellm/), then rebuild; or write the layer elsewhere with --out-dir DIR and use it at once with --pricing DIR (a folder holding the layer's manifest.json replaces the built-in layer, beneath the first-party tables).\n\nExamples:\n  billcast pricing update model_prices_and_context_window.json --litellm-version 1.111.0\n  billcast pricing update prices.json --litellm-version 1.111.0 --dry-run --format markdown -o changes.md"
)]
pub struct UpdateArgs {
    /// LiteLLM's model_prices_and_context_window.json.
    pub file: PathBuf,
    /// LiteLLM release the file comes from (the JSON does not say; every layer entry shows it).
    #[arg(long, value_name = "VERSION")]
    pub litellm_version: String,
    /// Date recorded as every model's `checked` (default today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub retrieved: Option<String>,
    /// Folder to write the layer into (default pricing/litellm, the folder build.rs embeds;
    /// run from the repository root). Any other folder works with --pricing DIR.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Only list what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub out_args: OutputArgs<Format>,
}

/// `pricing import-litellm`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast pricing import-litellm model_prices_and_context_window.json --provider openai > openai.toml\n  billcast pricing import-litellm prices.json --out-dir pricing-imported/ --litellm-version 1.110.2\n  billcast forecast s.toml --pricing pricing-imported/"
)]
pub struct ImportArgs {
    /// LiteLLM's model_prices_and_context_window.json.
    pub file: PathBuf,
    /// Only this provider (billcast id: openai, anthropic, google, bedrock, …).
    #[arg(long)]
    pub provider: Option<String>,
    /// Write one <provider>.toml per provider into DIR (needed for more than one provider).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// LiteLLM release the file comes from (recorded in the tables' headers).
    #[arg(long, value_name = "VERSION")]
    pub litellm_version: Option<String>,
    /// Modes to import (default chat, responses, completion).
    #[arg(long, value_delimiter = ',')]
    pub modes: Vec<String>,
    /// Date recorded as `checked` (default today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub retrieved: Option<String>,
    /// Write the list of unmapped fields and skipped keys as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// `pricing check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// LiteLLM price JSON to cross-check against instead of the bundled LiteLLM layer
    /// (differences over 1% are flagged either way).
    #[arg(long, value_name = "FILE")]
    pub litellm: Option<PathBuf>,
    /// Date to measure staleness from (default today); prices older than 90 days are flagged.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// Exit with code 1 on warnings too, not only errors.
    #[arg(long)]
    pub deny_warnings: bool,
    #[command(flatten)]
    pub out_args: OutputArgs<Format>,
    #[command(flatten)]
    pub book: BookArgs,
}

/// Flags shared by pricing commands.
#[derive(clap::Args, Debug)]
pub struct BookArgs {
    /// Extra price table (file or folder); repeatable; later files override earlier ones.
    #[arg(long, value_name = "PATH")]
    pub pricing: Vec<PathBuf>,
}

/// `pricing list --layer`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerArg {
    /// The tables: billcast's bundled first-party tables and --pricing files.
    FirstParty,
    /// The LiteLLM layer beneath them.
    Litellm,
}

/// `pricing list`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Only this provider (e.g. openai).
    #[arg(long)]
    pub provider: Option<String>,
    /// Only this layer (default both: the tables and the LiteLLM layer beneath them).
    #[arg(long, value_enum)]
    pub layer: Option<LayerArg>,
    #[command(flatten)]
    pub out_args: OutputArgs<Format>,
    #[command(flatten)]
    pub book: BookArgs,
}

/// `pricing show`.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Model as provider/model (e.g. openai/gpt-6.1-sol).
    pub model: String,
    #[command(flatten)]
    pub out_args: OutputArgs<Format>,
    #[command(flatten)]
    pub quiet: Quiet,
    #[command(flatten)]
    pub book: BookArgs,
}

/// `pricing cost`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast pricing cost openai/gpt-6.1-sol --input 12000 --cached 10000 --output 800\n  billcast pricing cost anthropic/claude-sonnet-5-5 --input 2000 --cached 10000 --output 500 --tier batch\n  billcast pricing cost google/gemini-3.1-pro-preview --input 250000 --output 2000   # long-context tier"
)]
pub struct CostArgs {
    /// Model as provider/model.
    pub model: String,
    /// Input tokens as the provider reports them (see --usage-convention).
    #[arg(long, default_value_t = 0.0, value_parser = parse_tokens)]
    pub input: f64,
    /// Output tokens billed, including reasoning (OpenAI completion_tokens, Anthropic output_tokens).
    #[arg(long, default_value_t = 0.0, value_parser = parse_tokens)]
    pub output: f64,
    /// Cache-read tokens.
    #[arg(long, default_value_t = 0.0, value_parser = parse_tokens)]
    pub cached: f64,
    /// Cache-write tokens.
    #[arg(long, default_value_t = 0.0, value_parser = parse_tokens)]
    pub cache_write: f64,
    /// Cache-write TTL (e.g. 5m, 1h).
    #[arg(long)]
    pub cache_ttl: Option<String>,
    /// Of the output, how many tokens are reasoning.
    #[arg(long, default_value_t = 0.0, value_parser = parse_tokens)]
    pub reasoning: f64,
    /// Service tier (batch, flex, priority, …).
    #[arg(long)]
    pub tier: Option<String>,
    /// Region uplift (e.g. us, eu).
    #[arg(long)]
    pub region: Option<String>,
    /// Price date, YYYY-MM-DD (default today): selects scheduled prices.
    #[arg(long)]
    pub date: Option<String>,
    /// Tool uses in this call, e.g. --tool web_search=2 (repeatable).
    #[arg(long, value_name = "TOOL=N")]
    pub tool: Vec<String>,
    /// Tool uses already made this month (free allowances), e.g. web_search=4990.
    #[arg(long, value_name = "TOOL=N")]
    pub tools_used_this_month: Vec<String>,
    /// Does --input include cached tokens? Default: the provider's convention.
    #[arg(long, value_enum)]
    pub usage_convention: Option<ConventionArg>,
    #[command(flatten)]
    pub out_args: OutputArgs<Format>,
    #[command(flatten)]
    pub book: BookArgs,
}

/// A token count flag of `pricing cost`: a finite number from 0 to 10¹⁵ (the largest magnitude
/// billcast accepts for any input), so the price is always a finite number.
fn parse_tokens(s: &str) -> Result<f64, String> {
    let max = billcast::dist::spec::MAX_MAGNITUDE;
    match s.trim().replace('_', "").parse::<f64>() {
        Ok(x) if (0.0..=max).contains(&x) => Ok(x),
        _ => Err(format!("'{s}': give a number of tokens from 0 to {max:e}")),
    }
}

/// `--usage-convention`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ConventionArg {
    /// --input includes cache reads and writes (OpenAI, Gemini).
    InputIncludesCached,
    /// --input excludes them (Anthropic).
    InputExcludesCached,
}

/// Run a pricing command.
pub fn run(c: PricingCommand) -> anyhow::Result<ExitCode> {
    match c {
        PricingCommand::List(a) => list(a),
        PricingCommand::Show(a) => show(a),
        PricingCommand::Cost(a) => cost(a),
        PricingCommand::ImportLitellm(a) => import(a),
        PricingCommand::Check(a) => check(a),
        PricingCommand::Update(a) => update(a),
    }
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

fn list(a: ListArgs) -> anyhow::Result<ExitCode> {
    let book = PriceBook::load(&a.book.pricing)?;
    refuse_overwriting_tables(a.out_args.out.as_deref(), &book)?;
    // The tables alone never parse the LiteLLM layer.
    let models: Vec<&Model> = match a.layer {
        Some(LayerArg::FirstParty) => book.models().collect(),
        _ => book.all_models()?,
    };
    if let Some(p) = &a.provider
        && book.provider(p).is_none()
    {
        let ids: Vec<String> = book
            .all_providers()?
            .iter()
            .map(|p| p.entry.id.get_ref().clone())
            .collect();
        anyhow::bail!(crate::cli::UsageError(anyhow::anyhow!(
            "unknown provider '{p}'; known: {}",
            ids.join(", ")
        )));
    }
    let rows: Vec<ListRow> = models
        .into_iter()
        .filter(|m| a.provider.as_ref().is_none_or(|p| &m.provider == p))
        .filter(|m| match a.layer {
            Some(LayerArg::Litellm) => m.litellm_release().is_some(),
            _ => true,
        })
        .map(|m| ListRow::new(m, billcast::units::today_utc()))
        .collect();
    let text = match a.out_args.format {
        Format::Json => output::json(Body::Pricing(Cow::Owned(PricingResult::List(rows.clone()))))?,
        Format::Csv => {
            let mut w = billcast::table::csv_writer();
            for r in &rows {
                w.serialize(r)?;
            }
            billcast::table::csv_finish(w)?
        }
        Format::Table | Format::Markdown => {
            let grid = billcast::table::Grid {
                header: [
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
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
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
                                .map_or("-".into(), |t| billcast::units::format_count(t as f64)),
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
            let body = if a.out_args.format == Format::Markdown {
                billcast::table::markdown(&grid)
            } else {
                billcast::table::text(&grid)
            };
            format!(
                "USD per 1M tokens · {}\n{body}\nTokens × = the model's tokens per o200k_base token for the same text; ? = not verified (an assumption: see pricing show).\n",
                list_summary(&rows)
            )
        }
    };
    output::write(a.out_args.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// `3,226 models from 95 providers (54 first-party, 3,172 LiteLLM 1.110.2)`.
fn list_summary(rows: &[ListRow]) -> String {
    let count = |n: usize| billcast::units::format_count(n as f64);
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
        "{} models from {} providers ({})",
        count(rows.len()),
        count(providers.len()),
        layers
            .iter()
            .map(|((_, l), n)| format!("{} {l}", count(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// One block of `pricing show`: an optional title and `(label, value)` rows; `columns` name
/// the two columns of its Markdown table.
struct ShowSection {
    title: Option<&'static str>,
    columns: [&'static str; 2],
    rows: Vec<(String, String)>,
}

/// `pricing show` as sections: the model's facts, its rates (schedule, long-context,
/// service tiers, regions), its tools; rendered as text or Markdown.
fn show_sections(book: &PriceBook, m: &Model) -> Vec<ShowSection> {
    let e = &m.entry;
    let mut facts = Vec::new();
    let mut kv = |k: &str, v: String| facts.push((k.to_string(), v));
    kv("file", m.file.clone());
    kv("layer", layer_line(m));
    if !e.aliases.is_empty() {
        kv("aliases", e.aliases.join(", "));
    }
    if let Some(s) = &e.status {
        kv("status", s.clone());
    }
    if let Some(d) = e.deprecation_date {
        kv(
            "deprecated",
            format!(
                "{d}{}",
                e.successor
                    .as_ref()
                    .map(|s| format!(" (successor: {s})"))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(c) = e.context_window {
        kv("context window", billcast::units::format_count(c as f64));
    }
    if let Some(c) = e.max_output_tokens {
        kv("max output", billcast::units::format_count(c as f64));
    }
    kv("source", e.source.clone().unwrap_or_else(|| "-".into()));
    kv("checked", e.checked.map_or("-".into(), |d| d.to_string()));
    if let Some(c) = &e.confidence {
        kv("confidence", format!("{c} (of the rates)"));
    }
    // The ratio has a confidence of its own: a verified price says nothing about it.
    let t = m.tokenizer_info();
    let range = if t.range[0] < t.range[1] {
        format!(", plausible {:.2}–{:.2}", t.range[0], t.range[1])
    } else {
        String::new()
    };
    kv(
        "tokenizer",
        format!(
            "{} ×{:.2} vs o200k_base — {}{range}",
            t.family.as_deref().unwrap_or("none stated:"),
            t.ratio,
            t.confidence
        ),
    );
    if let Some(b) = &t.basis {
        kv("tokenizer basis", b.clone());
    }
    if let Some(c) = &e.caching {
        kv(
            "cache min prefix",
            format!("{} tokens", c.min_prefix_tokens),
        );
    }
    let rate_line = |r: &billcast::pricing::schema::Rates| -> String {
        let cw = match &r.cache_write {
            None => "= input".to_string(),
            Some(CacheWrite::Flat(p)) => format_rate(p.0),
            Some(CacheWrite::ByTtl(m)) => m
                .iter()
                .map(|(k, v)| format!("{k}: {}", format_rate(v.0)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let reasoning = match &r.reasoning {
            None | Some(ReasoningRate::AsOutput) => "as output".to_string(),
            Some(ReasoningRate::Rate(p)) => format_rate(p.0),
        };
        format!(
            "input {} · cache read {} · cache write {cw} · output {} · reasoning {reasoning}",
            format_rate(r.input.0),
            r.cache_read
                .map_or("= input".to_string(), |p| format_rate(p.0)),
            format_rate(r.output.0)
        )
    };
    let mut rates = vec![(
        e.effective_from
            .map_or("base".to_string(), |d| format!("from {d}")),
        rate_line(&e.rates),
    )];
    for s in &e.schedule {
        let label = match s.effective_to {
            Some(to) => format!("{} – {to}", s.effective_from),
            None => format!("from {}", s.effective_from),
        };
        rates.push((label, rate_line(&s.rates)));
        if let Some(src) = &s.source {
            rates.push((
                String::new(),
                format!(
                    "source {src}, checked {}",
                    s.checked.map_or("-".into(), |d| d.to_string())
                ),
            ));
        }
    }
    for t in m.context_tiers() {
        let how = match (&t.multipliers, &t.rates) {
            (Some(mu), _) => serde_json::to_string(mu).unwrap_or_default(),
            (_, Some(r)) => format!(
                "input {} · output {}",
                format_rate(r.input.0),
                format_rate(r.output.0)
            ),
            _ => String::new(),
        };
        rates.push((
            format!(
                "input {} {}",
                if t.inclusive { "≥" } else { ">" },
                t.above_input_tokens
            ),
            format!("whole call repriced: {how}"),
        ));
    }
    for (name, t) in &e.service_tiers {
        let how = match (&t.multiplier, &t.rates) {
            (Some(mu), _) => format!(
                "×{} on {}",
                mu.0,
                t.applies_to
                    .as_ref()
                    .map_or("all classes".to_string(), |v| v
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", "))
            ),
            (_, Some(r)) => format!(
                "input {} · output {}",
                format_rate(r.input.0),
                format_rate(r.output.0)
            ),
            _ => String::new(),
        };
        rates.push((format!("tier {name}"), how));
    }
    for (name, r) in &e.regions {
        rates.push((
            format!("region {name}"),
            format!("×{} on every class", r.multiplier.0),
        ));
    }
    let mut tools = Vec::new();
    if let Some(p) = book.provider(&m.provider) {
        for t in p
            .entry
            .tools
            .iter()
            .filter(|t| t.models.is_empty() || t.models.iter().any(|x| x == e.id.get_ref()))
        {
            tools.push((
                t.id.clone(),
                format!(
                    "${} per 1,000 {}{}",
                    format_rate(t.price_per_1k.0),
                    plural(&t.unit.replace('_', " ")),
                    if t.free_per_month > 0.0 {
                        format!(
                            " after {} free per month",
                            billcast::units::format_count(t.free_per_month)
                        )
                    } else {
                        String::new()
                    }
                ),
            ));
        }
    }
    let mut sections = vec![
        ShowSection {
            title: None,
            columns: ["Field", "Value"],
            rows: facts,
        },
        ShowSection {
            title: Some("Rates (USD per 1M tokens)"),
            columns: ["Applies", "Rates"],
            rows: rates,
        },
    ];
    if !tools.is_empty() {
        sections.push(ShowSection {
            title: Some("Tools"),
            columns: ["Tool", "Price"],
            rows: tools,
        });
    }
    sections
}

fn show(a: ShowArgs) -> anyhow::Result<ExitCode> {
    // Refused before anything is read: a model's description is several tables, not rows.
    if a.out_args.format == Format::Csv {
        return Err(anyhow::Error::new(crate::cli::UsageError(anyhow::anyhow!(
            "pricing show --format csv: a model's description is several tables, not one; use --format table, json or markdown (or `pricing list --format csv` for one row per model)"
        ))));
    }
    let book = PriceBook::load(&a.book.pricing)?;
    refuse_overwriting_tables(a.out_args.out.as_deref(), &book)?;
    let m = book.model(&a.model)?;
    if a.out_args.format == Format::Json {
        let mut o = match serde_json::to_value(&m.entry)? {
            serde_json::Value::Object(o) => o,
            _ => serde_json::Map::new(),
        };
        o.insert("reference".into(), m.reference().into());
        o.insert("file".into(), m.file.clone().into());
        // The ratio as billcast uses it, with its own confidence and plausible range.
        o.insert(
            "tokenizer_resolved".into(),
            serde_json::to_value(m.tokenizer_info())?,
        );
        o.insert("layer".into(), m.layer.label().into());
        output::write(
            a.out_args.out.as_deref(),
            &output::json(Body::Pricing(Cow::Owned(PricingResult::Show(o))))?,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let e = &m.entry;
    let title = format!(
        "{}{}",
        m.reference(),
        e.name
            .as_ref()
            .map(|n| format!(" — {n}"))
            .unwrap_or_default()
    );
    let sections = show_sections(&book, m);
    let mut out = String::new();
    if a.out_args.format == Format::Markdown {
        out.push_str(&format!("## {title}\n"));
        for s in &sections {
            if let Some(t) = s.title {
                out.push_str(&format!("\n### {t}\n"));
            }
            out.push('\n');
            out.push_str(&billcast::table::markdown(&billcast::table::Grid {
                header: s.columns.iter().map(|c| c.to_string()).collect(),
                rows: s
                    .rows
                    .iter()
                    .map(|(k, v)| vec![k.clone(), v.clone()])
                    .collect(),
                right: vec![false, false],
            }));
        }
        if let Some(n) = &e.notes {
            out.push_str(&format!("\n**Notes:** {n}\n"));
        }
    } else {
        out.push_str(&format!("{title}\n"));
        for s in &sections {
            if let Some(t) = s.title {
                out.push_str(&format!("\n{t}\n"));
            }
            for (k, v) in &s.rows {
                out.push_str(&format!("  {k:<18} {v}\n"));
            }
        }
        if let Some(n) = &e.notes {
            out.push_str(&format!("\nNotes: {n}\n"));
        }
    }
    output::write(a.out_args.out.as_deref(), &out)?;
    Ok(ExitCode::SUCCESS)
}

/// `pricing show`'s layer row: the layer, and for the LiteLLM layer what that means.
fn layer_line(m: &Model) -> String {
    match m.litellm_release() {
        Some(_) => format!(
            "{} (secondary source, not checked against the provider's page; billcast's own tables win for the same model)",
            m.layer.label()
        ),
        None => m.layer.label(),
    }
}

/// Refuse an `-o` that is one of the `--pricing` tables loaded into `book`.
fn refuse_overwriting_tables(
    out: Option<&std::path::Path>,
    book: &PriceBook,
) -> anyhow::Result<()> {
    let inputs: Vec<(String, &std::path::Path)> = book
        .files()
        .iter()
        .filter(|f| !f.bundled)
        .map(|f| {
            (
                "price table (--pricing)".to_string(),
                std::path::Path::new(&f.path),
            )
        })
        .collect();
    output::refuse_overwriting_inputs(&output::outputs(out, None), &inputs)
}

fn parse_kv(items: &[String], flag: &str) -> anyhow::Result<Vec<(String, f64)>> {
    items
        .iter()
        .map(|s| {
            let (k, v) = s.split_once('=').ok_or_else(|| {
                crate::cli::UsageError(anyhow::anyhow!(
                    "{flag} '{s}': write TOOL=N, e.g. {flag} web_search=2"
                ))
            })?;
            let n: f64 = v
                .trim()
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| {
                    crate::cli::UsageError(anyhow::anyhow!("{flag} '{s}': N must be a number ≥ 0"))
                })?;
            Ok((k.trim().to_string(), n))
        })
        .collect()
}

fn cost(a: CostArgs) -> anyhow::Result<ExitCode> {
    let book = PriceBook::load(&a.book.pricing)?;
    refuse_overwriting_tables(a.out_args.out.as_deref(), &book)?;
    let m = book.model(&a.model)?;
    let convention = match a.usage_convention {
        Some(ConventionArg::InputIncludesCached) => UsageConvention::InputIncludesCached,
        Some(ConventionArg::InputExcludesCached) => UsageConvention::InputExcludesCached,
        None => book
            .provider(&m.provider)
            .map(|p| p.entry.usage_convention)
            .unwrap_or_default(),
    };
    let tokens = split_reported(
        a.input,
        a.cached,
        a.cache_write,
        a.output,
        a.reasoning,
        convention,
    )
    .map_err(|e| crate::cli::UsageError(anyhow::anyhow!("{e}")))?;
    let date = match &a.date {
        Some(d) => Some(d.parse::<jiff::civil::Date>().map_err(|_| {
            crate::cli::UsageError(anyhow::anyhow!(
                "--date '{d}' is not a date; write YYYY-MM-DD"
            ))
        })?),
        None => None,
    };
    let opts = CallOptions {
        query: RateQuery {
            date,
            service_tier: a.tier.clone(),
            region: a.region.clone(),
            cache_ttl: a.cache_ttl.clone(),
        },
        tools: parse_kv(&a.tool, "--tool")?,
        tools_used_this_month: parse_kv(&a.tools_used_this_month, "--tools-used-this-month")?,
    };
    let c = cost_call(&book, m, &tokens, &opts)?;
    if !c.total_usd.is_finite() {
        return Err(anyhow::anyhow!(
            "the price of this call is {}, not a finite number; this is a bug in billcast, please report it with the command",
            c.total_usd
        ));
    }
    for w in &c.warnings {
        eprintln!("warning: {w}");
    }
    match a.out_args.format {
        Format::Json => {
            output::write(
                a.out_args.out.as_deref(),
                &output::json(Body::Pricing(Cow::Owned(PricingResult::Cost(c.clone()))))?,
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        Format::Csv => {
            output::write(a.out_args.out.as_deref(), &cost_csv(&c)?)?;
            return Ok(ExitCode::SUCCESS);
        }
        Format::Table | Format::Markdown => {}
    }
    if a.out_args.format == Format::Markdown {
        output::write(a.out_args.out.as_deref(), &cost_markdown(&c))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new();
    t.load_style(billcast::table::STYLE);
    t.set_header(vec!["Class", "Tokens", "USD / 1M", "USD"]);
    for l in &c.lines {
        t.add_row(vec![
            l.class.replace('_', " "),
            billcast::units::format_count(l.tokens),
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
    let mut out = format!("{}\n", cost_heading(&c));
    out.push_str(&t.to_string());
    out.push_str(&format!(
        "\nTotal: {} (${:.6})\n",
        format_usd_cents(c.total_usd),
        c.total_usd
    ));
    if let Some(s) = &c.source {
        out.push_str(&format!(
            "Prices: {s}{}\n",
            c.rates_from
                .as_ref()
                .map(|d| format!(" (in force from {d})"))
                .unwrap_or_default()
        ));
    }
    output::write(a.out_args.out.as_deref(), &out)?;
    Ok(ExitCode::SUCCESS)
}

/// The first line of `pricing cost`: model, date, tier, region, long-context rates.
fn cost_heading(c: &billcast::pricing::CallCost) -> String {
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

/// `pricing cost --format csv`: one row per token class and tool, then the total.
fn cost_csv(c: &billcast::pricing::CallCost) -> anyhow::Result<String> {
    let mut w = billcast::table::csv_writer();
    w.write_record(["item", "quantity", "usd_rate", "rate_unit", "usd"])?;
    for l in &c.lines {
        w.write_record([
            l.class.to_string(),
            billcast::table::csv_number(l.tokens),
            billcast::table::csv_number(l.usd_per_mtok),
            "per 1M tokens".to_string(),
            billcast::table::csv_number(l.usd),
        ])?;
    }
    for t in &c.tools {
        w.write_record([
            format!("tool {}", t.tool),
            billcast::table::csv_number(t.billable),
            billcast::table::csv_number(t.usd_per_1k),
            "per 1k uses".to_string(),
            billcast::table::csv_number(t.usd),
        ])?;
    }
    w.write_record([
        "total".to_string(),
        String::new(),
        String::new(),
        String::new(),
        billcast::table::csv_number(c.total_usd),
    ])?;
    Ok(billcast::table::csv_finish(w)?)
}

/// `pricing cost --format markdown`: the heading, a table of lines and the total.
fn cost_markdown(c: &billcast::pricing::CallCost) -> String {
    let mut rows: Vec<Vec<String>> = c
        .lines
        .iter()
        .map(|l| {
            vec![
                l.class.replace('_', " "),
                billcast::units::format_count(l.tokens),
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
    let grid = billcast::table::Grid {
        header: ["Class", "Tokens", "USD / 1M", "USD"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows,
        right: vec![false, true, true, true],
    };
    let mut out = format!(
        "**{}**\n\n{}\n**Total: {} (${:.6})**\n",
        cost_heading(c),
        billcast::table::markdown(&grid),
        format_usd_cents(c.total_usd),
        c.total_usd
    );
    if let Some(s) = &c.source {
        out.push_str(&format!(
            "\nPrices: {s}{}\n",
            c.rates_from
                .as_ref()
                .map(|d| format!(" (in force from {d})"))
                .unwrap_or_default()
        ));
    }
    for w in &c.warnings {
        out.push_str(&format!("\n> **Warning:** {w}\n"));
    }
    out
}

fn parse_date(flag: &str, s: &str) -> anyhow::Result<jiff::civil::Date> {
    s.parse::<jiff::civil::Date>().map_err(|_| {
        crate::cli::UsageError(anyhow::anyhow!(
            "{flag} '{s}' is not a date; write YYYY-MM-DD"
        ))
        .into()
    })
}

fn import(a: ImportArgs) -> anyhow::Result<ExitCode> {
    use billcast::pricing::litellm::{ImportOptions, LiteLlm, import_litellm};
    let input = [("LiteLLM price file".to_string(), a.file.as_path())];
    output::refuse_overwriting_inputs(&output::outputs(a.report.as_deref(), None), &input)?;
    let mut lite = LiteLlm::load(&a.file)?;
    if let Some(v) = &a.litellm_version {
        lite = lite.with_version(v.clone());
    }
    let retrieved = match &a.retrieved {
        Some(d) => parse_date("--retrieved", d)?,
        None => billcast::units::today_utc(),
    };
    let mut opts = ImportOptions::new(retrieved);
    opts.provider = a.provider.clone();
    if !a.modes.is_empty() {
        opts.modes = a.modes.clone();
    }
    let imp = import_litellm(&lite, &opts)?;
    match (&a.out_dir, imp.files.len()) {
        (Some(dir), _) => {
            let paths: Vec<PathBuf> = imp
                .files
                .keys()
                .map(|provider| dir.join(format!("{provider}.toml")))
                .collect();
            let outputs: Vec<(&str, &std::path::Path)> =
                paths.iter().map(|p| ("--out-dir", p.as_path())).collect();
            output::refuse_overwriting_inputs(&outputs, &input)?;
            for (p, text) in paths.iter().zip(imp.files.values()) {
                output::write_file(p, text.as_bytes())?;
            }
        }
        (None, 1) => {
            if let Some(text) = imp.files.values().next() {
                output::write(None, text)?;
            }
        }
        (None, n) => {
            anyhow::bail!(crate::cli::UsageError(anyhow::anyhow!(
                "{n} providers imported; pass --out-dir DIR to write one table per provider, or --provider ID for one table on stdout"
            )));
        }
    }
    if let Some(r) = &a.report {
        let v = serde_json::json!({ "unmapped": imp.unmapped, "skipped": imp.skipped });
        output::write_file(
            r,
            format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
        )?;
    }
    let mut reasons: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for u in &imp.unmapped {
        *reasons
            .entry(u.reason.split(':').next().unwrap_or("other"))
            .or_insert(0) += 1;
    }
    eprintln!(
        "imported {} models into {} table{}; {} fields not mapped, {} keys skipped{}",
        imp.models,
        imp.files.len(),
        if imp.files.len() == 1 { "" } else { "s" },
        imp.unmapped.len(),
        imp.skipped.len(),
        if a.report.is_none() && !imp.unmapped.is_empty() {
            " (list them with --report FILE)"
        } else {
            ""
        }
    );
    for (reason, n) in reasons.iter().take(12) {
        eprintln!("  {n:>5}  {reason}");
    }
    Ok(ExitCode::SUCCESS)
}

fn check(a: CheckArgs) -> anyhow::Result<ExitCode> {
    use billcast::pricing::check::{Against, Severity, check as run_check};
    use billcast::pricing::litellm::LiteLlm;
    let book = PriceBook::load(&a.book.pricing)?;
    let lite = match &a.litellm {
        Some(p) => Some(LiteLlm::load(p)?),
        None => None,
    };
    let layer = match &lite {
        Some(_) => None,
        None => book.litellm_layer()?,
    };
    let (against, against_name) = match (&lite, layer) {
        (Some(l), _) => (Against::File(l), format!(" against {}", l.name())),
        (None, Some(l)) => (
            Against::Layer(l),
            format!(" against the LiteLLM {} layer", l.release()),
        ),
        (None, None) => (Against::Nothing, String::new()),
    };
    let today = match &a.today {
        Some(d) => parse_date("--today", d)?,
        None => billcast::units::today_utc(),
    };
    let findings = run_check(&book, against, today);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let text = match a.out_args.format {
        Format::Json => output::json(Body::Pricing(Cow::Owned(PricingResult::Check(
            findings.clone(),
        ))))?,
        Format::Csv => {
            // The header is written even when there is nothing to report.
            let mut w = billcast::table::csv_writer();
            w.write_record(["severity", "file", "model", "message"])?;
            for f in &findings {
                w.write_record([
                    f.severity.name(),
                    &f.file,
                    f.model.as_deref().unwrap_or(""),
                    &f.message,
                ])?;
            }
            billcast::table::csv_finish(w)?
        }
        Format::Markdown => {
            let grid = billcast::table::Grid {
                header: ["Severity", "File", "Model", "Finding"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                rows: findings
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
                "Checked {} models in {} tables{against_name}: {errors} errors, {warnings} warnings, {} notes.\n\n{}",
                book.models().count(),
                book.files().len(),
                findings.len() - errors - warnings,
                billcast::table::markdown(&grid)
            )
        }
        Format::Table => {
            let mut out = format!(
                "checked {} models in {} tables{against_name}: {errors} errors, {warnings} warnings, {} notes\n",
                book.models().count(),
                book.files().len(),
                findings.len() - errors - warnings
            );
            for f in &findings {
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
    };
    output::write(a.out_args.out.as_deref(), &text)?;
    Ok(if errors > 0 || (a.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn update(a: UpdateArgs) -> anyhow::Result<ExitCode> {
    use billcast::pricing::layer::{
        ChangeKind, DIR, LiteLlmLayer, MANIFEST, Manifest, diff, generate,
    };
    use billcast::pricing::litellm::LiteLlm;
    let usage = |m: String| anyhow::Error::new(crate::cli::UsageError(anyhow::anyhow!(m)));
    let dir = match &a.out_dir {
        Some(d) => d.clone(),
        None => {
            let d = PathBuf::from(DIR);
            if !d.is_dir() && !a.dry_run {
                return Err(usage(format!(
                    "no {DIR}/ folder here: run `billcast pricing update` from the root of a billcast checkout (the layer is compiled in, so rebuild afterwards), or pass --out-dir DIR"
                )));
            }
            d
        }
    };
    let version = a.litellm_version.trim();
    if version.is_empty() || version.contains(char::is_whitespace) {
        return Err(usage(format!(
            "--litellm-version '{}': give the LiteLLM release the file comes from, e.g. 1.110.2",
            a.litellm_version
        )));
    }
    let input = [("LiteLLM price file".to_string(), a.file.as_path())];
    output::refuse_overwriting_inputs(&output::outputs(a.out_args.out.as_deref(), None), &input)?;
    let retrieved = match &a.retrieved {
        Some(d) => parse_date("--retrieved", d)?,
        None => billcast::units::today_utc(),
    };
    let lite = LiteLlm::load(&a.file)?.with_version(version);
    let generated = generate(&lite, retrieved)?;
    // Compared with the layer already in the folder (what this update replaces), else the
    // one built into this binary.
    let in_dir = LiteLlmLayer::read_dir(&dir)?;
    let (current, against) = match &in_dir {
        Some(l) => (Some(l), format!("the LiteLLM layer in {}", dir.display())),
        None => (
            LiteLlmLayer::bundled()?,
            "the LiteLLM layer built into this billcast".to_string(),
        ),
    };
    let changes = current.map(|old| diff(old, &generated.layer));
    if !a.dry_run {
        let paths: Vec<PathBuf> = generated.files.keys().map(|f| dir.join(f)).collect();
        let outputs: Vec<(&str, &std::path::Path)> =
            paths.iter().map(|p| ("--out-dir", p.as_path())).collect();
        output::refuse_overwriting_inputs(&outputs, &input)?;
        let layer_files: Vec<(String, &std::path::Path)> = paths
            .iter()
            .map(|p| ("LiteLLM layer file".to_string(), p.as_path()))
            .collect();
        output::refuse_overwriting_inputs(
            &output::outputs(a.out_args.out.as_deref(), None),
            &layer_files,
        )?;
        // Tables of providers the new file no longer has, as the old manifest there lists
        // them (nothing else in the folder is touched).
        let stale: Vec<PathBuf> = std::fs::read_to_string(dir.join(MANIFEST))
            .ok()
            .and_then(|t| serde_json::from_str::<Manifest>(&t).ok())
            .map(|old| {
                old.tables
                    .keys()
                    .filter(|f| !generated.files.contains_key(*f))
                    .map(|f| dir.join(f))
                    .collect()
            })
            .unwrap_or_default();
        for (p, text) in paths.iter().zip(generated.files.values()) {
            output::write_file(p, text.as_bytes())?;
        }
        for p in &stale {
            std::fs::remove_file(p).map_err(|e| {
                anyhow::anyhow!("cannot remove the stale table {}: {e}", p.display())
            })?;
        }
    }
    let m = &generated.layer.manifest;
    let count = |n: usize| billcast::units::format_count(n as f64);
    let what = format!(
        "LiteLLM {version} layer: {} models from {} providers ({} fields not mapped, {} keys skipped; `pricing import-litellm --report` lists them)",
        count(m.models),
        count(m.providers),
        count(m.unmapped_fields),
        count(m.skipped_keys)
    );
    let summary = match &changes {
        Some(d) => format!(
            "compared with {against} ({}): {} added, {} removed, {} repriced, {} with other changes only",
            d.from,
            count(d.count(ChangeKind::Added)),
            count(d.count(ChangeKind::Removed)),
            count(d.count(ChangeKind::Repriced)),
            count(d.other_changes)
        ),
        None => "this billcast was built without a LiteLLM layer; every model is new".to_string(),
    };
    let written = if a.dry_run {
        "dry run: nothing written".to_string()
    } else {
        format!(
            "wrote {} files to {dir} (use them now with --pricing {dir}; {})",
            generated.files.len(),
            if a.out_dir.is_none() {
                "rebuild billcast to build them in"
            } else {
                "copy them to pricing/litellm/ of a checkout and rebuild to build them in"
            },
            dir = dir.display(),
        )
    };
    let rows = changes.as_ref().map_or(&[][..], |d| &d.changes[..]);
    let rate = |x: Option<f64>| x.map_or("-".to_string(), format_rate);
    let cells = |c: &billcast::pricing::layer::Change| {
        vec![
            c.change.name().to_string(),
            c.model.clone(),
            rate(c.input_before),
            rate(c.input_after),
            rate(c.output_before),
            rate(c.output_after),
            c.detail.clone(),
        ]
    };
    let header = [
        "Change",
        "Model",
        "Input before",
        "Input after",
        "Output before",
        "Output after",
        "What changed",
    ];
    let text = match a.out_args.format {
        Format::Json => {
            let mut v = serde_json::Map::new();
            v.insert("layer".into(), serde_json::to_value(m)?);
            v.insert(
                "written_to".into(),
                serde_json::to_value((!a.dry_run).then(|| dir.display().to_string()))?,
            );
            v.insert(
                "compared_with".into(),
                serde_json::to_value(changes.as_ref().map(|d| d.from.clone()))?,
            );
            v.insert(
                "other_changes".into(),
                serde_json::to_value(changes.as_ref().map(|d| d.other_changes))?,
            );
            v.insert("changes".into(), serde_json::to_value(rows)?);
            output::json(Body::Pricing(Cow::Owned(PricingResult::Update(v))))?
        }
        Format::Csv => {
            let mut w = billcast::table::csv_writer();
            w.write_record([
                "change",
                "model",
                "input_before",
                "input_after",
                "output_before",
                "output_after",
                "detail",
            ])?;
            for c in rows {
                let num = billcast::table::csv_opt;
                w.write_record([
                    c.change.name().to_string(),
                    c.model.clone(),
                    num(c.input_before),
                    num(c.input_after),
                    num(c.output_before),
                    num(c.output_after),
                    c.detail.clone(),
                ])?;
            }
            billcast::table::csv_finish(w)?
        }
        Format::Table | Format::Markdown => {
            let grid = billcast::table::Grid {
                header: header.iter().map(|s| s.to_string()).collect(),
                rows: rows.iter().map(cells).collect(),
                right: vec![false, false, true, true, true, true, false],
            };
            if a.out_args.format == Format::Markdown {
                format!(
                    "**{what}**\n\n{summary}; {written}.\n\n{}",
                    if rows.is_empty() {
                        "No model added, removed or repriced.\n".to_string()
                    } else {
                        billcast::table::markdown(&grid)
                    }
                )
            } else {
                format!(
                    "{what}\n{summary}; {written}\n{}",
                    if rows.is_empty() {
                        "no model added, removed or repriced\n".to_string()
                    } else {
                        format!("USD per 1M tokens\n{}\n", billcast::table::text(&grid))
                    }
                )
            }
        }
    };
    output::write(a.out_args.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// English plural of a unit name: call → calls, query → queries.
fn plural(unit: &str) -> String {
    match unit.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{stem}ies"),
        _ => format!("{unit}s"),
    }
}

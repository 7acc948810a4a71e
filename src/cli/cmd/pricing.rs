//! `billcast pricing …`: browse the price book, price one call, import and check tables,
//! regenerate the LiteLLM layer.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::pricing::{CallOptions, Model, PriceBook, RateQuery, cost_call};
use billcast::results::pricing::{CheckView, ListRow, PricingResult, ShowView, UpdateView};
use billcast::results::{Body, Kind};
use billcast::usage::{UsageConvention, split_reported};
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
    let text = output::export(
        Body::Pricing(Cow::Owned(PricingResult::List(rows))),
        a.out_args.format,
    )?;
    output::write(a.out_args.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn show(a: ShowArgs) -> anyhow::Result<ExitCode> {
    // Refused before anything is read: a model's description is several tables, not rows.
    output::check_format(Kind::Pricing, Some("show"), a.out_args.format)?;
    let book = PriceBook::load(&a.book.pricing)?;
    refuse_overwriting_tables(a.out_args.out.as_deref(), &book)?;
    let m = book.model(&a.model)?;
    let view = ShowView::new(&book, m)?;
    output::write(
        a.out_args.out.as_deref(),
        &output::export(
            Body::Pricing(Cow::Owned(PricingResult::Show(view))),
            a.out_args.format,
        )?,
    )?;
    Ok(ExitCode::SUCCESS)
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
    output::write(
        a.out_args.out.as_deref(),
        &output::export(
            Body::Pricing(Cow::Owned(PricingResult::Cost(c))),
            a.out_args.format,
        )?,
    )?;
    Ok(ExitCode::SUCCESS)
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
    let view = CheckView {
        findings,
        models: book.models().count(),
        tables: book.files().len(),
        against: against_name,
    };
    let text = output::export(
        Body::Pricing(Cow::Owned(PricingResult::Check(view))),
        a.out_args.format,
    )?;
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
    let mut json = serde_json::Map::new();
    json.insert("layer".into(), serde_json::to_value(m)?);
    json.insert(
        "written_to".into(),
        serde_json::to_value((!a.dry_run).then(|| dir.display().to_string()))?,
    );
    json.insert(
        "compared_with".into(),
        serde_json::to_value(changes.as_ref().map(|d| d.from.clone()))?,
    );
    json.insert(
        "other_changes".into(),
        serde_json::to_value(changes.as_ref().map(|d| d.other_changes))?,
    );
    json.insert("changes".into(), serde_json::to_value(rows)?);
    let view = UpdateView {
        json,
        what,
        summary,
        written,
        changes: rows.to_vec(),
    };
    let text = output::export(
        Body::Pricing(Cow::Owned(PricingResult::Update(view))),
        a.out_args.format,
    )?;
    output::write(a.out_args.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

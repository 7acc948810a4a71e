//! `billcast fit FILES…`: ingest transcripts or usage logs, fit the workload, write the
//! workload file a scenario uses with `[workload] from = "…"`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use billcast::fit::FitOptions;
use billcast::fit::observe::observe;
use billcast::fit::workload::{FittedWorkload, WorkloadFitOptions, fit_workload};
use billcast::ingest::{self, ColumnMap, Format, IngestOptions, Tokenizer, UsageConvention};
use billcast::units::format_count;

use crate::cli::output::{self, Progress, Quiet};

/// Arguments of `billcast fit`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast fit logs/*.jsonl -o workload.toml\n  billcast fit AzureLLMInferenceTrace_conv.csv --map input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP -o conv.toml\n  billcast fit calls.csv --map input=prompt_tokens,output=completion_tokens,session=sim_id,tool_calls=n_tool_calls,caller=caller --caller agent -o agent.toml\n  billcast fit conversations.jsonl --input-format messages --tokenizer o200k_base -o chat.toml\n\nThen use it in a scenario:  [workload] from = \"workload.toml\""
)]
pub struct Args {
    /// Transcript or usage-log files (JSON, JSONL, CSV); formats are detected per file.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the workload file here (TOML).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Force the input format (openai_chat, openai_log, openai_responses, openai_batch,
    /// anthropic, anthropic_batch, gemini, otel, messages, usage_csv, usage_jsonl, langfuse,
    /// langsmith).
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,
    /// Column mapping for usage logs, e.g. input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP
    /// (keys: input, output, cached, reasoning, tool_calls, session, turn, time, model, status,
    /// finish, caller).
    #[arg(long, value_name = "KEY=COLUMN,…")]
    pub map: Option<String>,
    /// Keep only calls of this caller (e.g. the agent in a trace that also logs a user simulator).
    #[arg(long)]
    pub caller: Option<String>,
    /// Tokenizer for transcripts without usage: o200k_base (default; alias o200k), cl100k_base
    /// (alias cl100k), or whitespace (counts words: fast, deterministic, not a model's count).
    #[arg(long, value_name = "NAME", default_value = "o200k_base")]
    pub tokenizer: String,
    /// Whether reported input includes cached tokens. Default: each format's documented
    /// convention (OpenAI, Gemini, OTel, LangSmith, usage logs: included; Anthropic: beside).
    /// Use input_excludes_cached for a usage log whose input column leaves them out.
    #[arg(long, value_enum, value_name = "CONVENTION")]
    pub usage_convention: Option<ConventionArg>,
    /// Stop at the first bad line instead of counting and skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Keep at most N calls: beyond that, a seeded sample of whole sessions whose calls fit
    /// in N (bounded memory for huge logs; sessions are never cut).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_records: usize,
    /// Bootstrap replicates (whole sessions resampled) carried into the forecast.
    #[arg(long, value_name = "B", default_value_t = 50)]
    pub bootstrap: usize,
    /// Seed for sampling and the bootstrap.
    #[arg(short = 's', long, default_value_t = 42)]
    pub seed: u64,
    /// Candidate families (comma-separated), e.g. lognormal,gamma; default all.
    #[arg(long, value_delimiter = ',')]
    pub families: Vec<String>,
    /// Store recorded sessions so a scenario replays them (mode = "resample"). The default
    /// for logs whose sessions have several calls; request logs (one call per session) use
    /// the fitted laws.
    #[arg(long, conflicts_with = "parametric")]
    pub resample: bool,
    /// Write the fitted laws only (mode = "parametric"), also for logs of multi-call sessions:
    /// turns, tool rounds and sizes are then drawn independently of each other.
    #[arg(long)]
    pub parametric: bool,
    /// Output format of the fit table.
    #[arg(long, value_enum, default_value = "table")]
    pub format: FitFormat,
    /// Write fit diagnostics charts (histogram with fitted densities, QQ plot) to DIR.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// `--usage-convention` of `fit` and `backtest`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConventionArg {
    /// Reported input includes cache reads and writes (OpenAI style).
    #[value(name = "input_includes_cached", alias = "input-includes-cached")]
    InputIncludesCached,
    /// Reported input excludes them; they are reported beside it (Anthropic style).
    #[value(name = "input_excludes_cached", alias = "input-excludes-cached")]
    InputExcludesCached,
}

impl From<ConventionArg> for UsageConvention {
    fn from(c: ConventionArg) -> Self {
        match c {
            ConventionArg::InputIncludesCached => UsageConvention::InputIncludesCached,
            ConventionArg::InputExcludesCached => UsageConvention::InputExcludesCached,
        }
    }
}

/// `--format` of `fit`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FitFormat {
    /// The fit table.
    Table,
    /// The same as JSON.
    Json,
}

fn usage<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::Error::new(crate::cli::UsageError(anyhow::anyhow!("{e}")))
}

/// `billcast fit`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let inputs: Vec<(String, &std::path::Path)> = a
        .files
        .iter()
        .map(|p| ("log".to_string(), p.as_path()))
        .collect();
    output::refuse_overwriting_inputs(&output::outputs(a.out.as_deref(), None), &inputs)?;
    // `-o -` makes standard output the workload file: the fit table must not follow it there
    // (the file would not parse), so the table goes to stderr and JSON is refused up front.
    let workload_to_stdout = a.out.as_deref() == Some(std::path::Path::new("-"));
    if workload_to_stdout && a.format == FitFormat::Json {
        return Err(usage(
            "--format json with -o -: standard output holds the workload file (TOML), so the fit table cannot be printed there as JSON; write the workload to a file (-o workload.toml) or leave out -o",
        ));
    }
    let format = match &a.input_format {
        Some(f) => Some(f.parse::<Format>().map_err(usage)?),
        None => None,
    };
    let map = match &a.map {
        Some(m) => Some(m.parse::<ColumnMap>().map_err(usage)?),
        None => None,
    };
    let tokenizer: Tokenizer = a.tokenizer.parse().map_err(usage)?;
    let opts = IngestOptions {
        format,
        map,
        strict: a.strict,
        tokenizer,
        max_records: a.max_records.max(1),
        seed: a.seed,
        usage_convention: a.usage_convention.map(UsageConvention::from),
    };
    let total: u64 = a
        .files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let progress = Progress::new(total.max(1), "reading", a.quiet.set);
    let cb = |n: u64| progress.set(n);
    // A log that cannot be read is bad input too (exit 2).
    let ing = ingest::ingest(&a.files, &opts, &cb).map_err(usage)?;
    progress.finish();
    report_ingest(&ing);
    let sessions = ingest::sessions(&ing.records);
    let obs = observe(&ing.records, &sessions, a.caller.as_deref());
    if obs.n_calls == 0 {
        return Err(usage(format!(
            "no successful calls with token counts in {} record(s){}; check --input-format/--map{}",
            ing.records.len(),
            a.caller
                .as_ref()
                .map(|c| format!(" of caller '{c}'"))
                .unwrap_or_default(),
            if a.caller.is_some() {
                " and --caller"
            } else {
                ""
            }
        )));
    }
    let wopts = WorkloadFitOptions {
        bootstrap: a.bootstrap,
        seed: a.seed,
        fit: FitOptions {
            families: (!a.families.is_empty()).then(|| a.families.clone()),
            seed: a.seed,
            ..FitOptions::default()
        },
        resample: match (a.resample, a.parametric) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        ..WorkloadFitOptions::default()
    };
    let fitted = fit_workload(&obs, &wopts).map_err(usage)?;
    if let Some(out) = &a.out {
        let text = workload_file(&a, &ing, &fitted);
        output::write(Some(out), &text)?;
    }
    if let Some(dir) = &a.charts {
        let written =
            billcast::charts::fit::render_all(&fitted, dir, billcast::charts::ChartFormat::Svg)
                .with_context(|| format!("cannot write fit charts to {}", dir.display()))?;
        if !a.quiet.set {
            eprintln!(
                "wrote {} fit diagnostics charts to {}",
                written.len(),
                dir.display()
            );
        }
    }
    let result = billcast::results::FitResult::new(&fitted, ing.bad_count, ing.sampled);
    let mut text = output::export(
        billcast::results::Body::Fit(std::borrow::Cow::Owned(result)),
        match a.format {
            FitFormat::Table => billcast::export::Format::Table,
            FitFormat::Json => billcast::export::Format::Json,
        },
    )?;
    if a.format == FitFormat::Table
        && let Some(o) = a.out.as_ref().filter(|_| !workload_to_stdout)
    {
        text.push_str(&format!(
            "wrote {} — use it with [workload] from = \"{}\"\n",
            o.display(),
            o.display()
        ));
    }
    if workload_to_stdout {
        eprint!("{text}");
    } else {
        output::write(None, &text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Tell the user (stderr) about bad lines skipped (the count and the first five) and about
/// sampling: `fit` and `backtest` report what they read the same way.
pub(crate) fn report_ingest(ing: &ingest::Ingested) {
    if ing.bad_count > 0 {
        eprintln!(
            "warning: {} bad lines skipped (first {} shown; --strict makes them errors):",
            format_count(ing.bad_count as f64),
            ing.bad.len().min(5)
        );
        for b in ing.bad.iter().take(5) {
            eprintln!("  {}:{}: {}", b.file.display(), b.line, b.reason);
        }
    }
    if let Some(r) = &ing.sampled {
        eprintln!("note: {}", sample_note(r));
    }
}

/// What `--max-records` kept, one line.
pub(crate) fn sample_note(r: &ingest::Reservoir) -> String {
    let mut s = format!(
        "{} records read; a seeded sample of {} whole sessions ({} records) is used (--max-records {}: sessions are kept or left out whole)",
        format_count(r.seen as f64),
        format_count(r.sessions as f64),
        format_count(r.kept as f64),
        format_count(r.cap as f64)
    );
    if r.oversized > 0 {
        s.push_str(&format!(
            "; {} sessions with more than {} records were left out, raise --max-records to keep them",
            format_count(r.oversized as f64),
            format_count(r.cap as f64)
        ));
    }
    s
}

fn workload_file(a: &Args, ing: &ingest::Ingested, f: &FittedWorkload) -> String {
    let mut source = toml::Table::new();
    let files: Vec<toml::Value> = ing
        .files
        .iter()
        .map(|fs| {
            let mut t = toml::Table::new();
            t.insert(
                "path".into(),
                toml::Value::String(fs.path.display().to_string()),
            );
            t.insert("sha256".into(), toml::Value::String(fs.sha256.clone()));
            t.insert("format".into(), toml::Value::String(fs.format.to_string()));
            t.insert("records".into(), toml::Value::Integer(fs.records as i64));
            toml::Value::Table(t)
        })
        .collect();
    source.insert("files".into(), toml::Value::Array(files));
    source.insert("calls".into(), toml::Value::Integer(f.n_calls as i64));
    source.insert("sessions".into(), toml::Value::Integer(f.n_sessions as i64));
    if let Some(c) = &a.caller {
        source.insert("caller".into(), toml::Value::String(c.clone()));
    }
    source.insert(
        "billcast_version".into(),
        toml::Value::String(env!("CARGO_PKG_VERSION").into()),
    );
    let header = vec![
        "Workload fitted by `billcast fit`; use it from a scenario with [workload] from = \"<this file>\".".to_string(),
        "Keys set in the scenario override these; [caching] and [retries] apply when the scenario leaves them out.".to_string(),
        format!("Re-create: billcast {}", std::env::args().skip(1).collect::<Vec<_>>().join(" ")),
    ];
    f.to_toml(&header, &source)
}

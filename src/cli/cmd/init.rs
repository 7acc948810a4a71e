//! `billcast init`: write a commented starter scenario for a chatbot, RAG assistant, agent or
//! batch job, reading the team's own prompt and tool files, that forecasts as written.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use billcast::artifact::{Artifact, Counting, Expect, RouteTokens};
use billcast::engine::prepare::Prepared;
use billcast::pricing::PriceBook;
use billcast::scenario::Scenario;
use billcast::scenario::template::{FileLine, Kind, Template};
use billcast::units::{Month, format_count};

use crate::cli::UsageError;
use crate::cli::output;

/// Model of the starter scenario when `--model` is not given.
pub const DEFAULT_MODEL: &str = "openai/gpt-5.4-mini";

/// `--kind`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    /// Conversations of a few turns, optional tools.
    Chatbot,
    /// Each turn retrieves documents into the prompt.
    Rag,
    /// Long tool loops, reasoning, a cached and summarised transcript.
    Agent,
    /// One request per item on the Batch tier.
    Batch,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Chatbot => Kind::Chatbot,
            KindArg::Rag => Kind::Rag,
            KindArg::Agent => Kind::Agent,
            KindArg::Batch => Kind::Batch,
        }
    }
}

/// Arguments of `billcast init`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
The scenario is checked before it is written: it loads and its model is priced, so
`billcast forecast` runs on it as is. Paths to --prompt, --tools and --from are written relative
to the scenario file.

Examples:
  billcast init -o scenario.toml
  billcast init --kind agent --model anthropic/claude-sonnet-5-5 --users 2000 -o agent.toml
  billcast init --prompt examples/artifacts/prompts/support.md --tools examples/artifacts/tools.json \\
    -o support.toml
  billcast init --kind batch --model google/gemini-3.8-flash -o batch.toml
  billcast init --from examples/pilot/workload.toml -o pilot.toml")]
pub struct Args {
    /// What the feature looks like.
    #[arg(long, value_enum, default_value = "chatbot")]
    pub kind: KindArg,
    /// Model of the route (`provider/model`; see `billcast pricing list`).
    #[arg(short = 'm', long, value_name = "M", default_value = DEFAULT_MODEL)]
    pub model: String,
    /// Monthly active users in the first month (default: a guessed range to replace).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000_000))]
    pub users: Option<u64>,
    /// The system prompt: text, Markdown, or a messages JSON (system/developer/few-shot).
    #[arg(long, value_name = "FILE")]
    pub prompt: Option<PathBuf>,
    /// Tool definitions: OpenAI function tools or Anthropic tools (JSON).
    #[arg(long, value_name = "FILE")]
    pub tools: Option<PathBuf>,
    /// A workload fitted by `billcast fit` (its sizes, turns and tool rounds replace the guesses).
    #[arg(long, value_name = "workload.toml")]
    pub from: Option<PathBuf>,
    /// Extra price table (file or folder) for --model; repeatable (pass it to `forecast` too).
    #[arg(long, value_name = "PATH")]
    pub pricing: Vec<PathBuf>,
    /// Write to FILE instead of stdout ('-' = stdout); an existing FILE is kept unless --force.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace an existing -o FILE (a scenario someone edited is not overwritten by accident).
    #[arg(long)]
    pub force: bool,
}

/// `p` made absolute and with `.` and `..` resolved lexically.
fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    let a = std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))?;
    let mut out = PathBuf::new();
    for c in a.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// `to` relative to the folder `from`, with `/` separators (TOML and git paths on any system).
fn relative(from: &Path, to: &Path) -> anyhow::Result<String> {
    let (from, to) = (absolute(from)?, absolute(to)?);
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    // Different roots (another drive): only the absolute path works.
    if common == 0 {
        return Ok(to.display().to_string());
    }
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(parts.join("/"))
}

fn usage(msg: String) -> anyhow::Error {
    anyhow::Error::new(UsageError(anyhow::anyhow!(msg)))
}

/// The first month after today (UTC): a scenario forecasts from the coming month.
fn next_month() -> Month {
    let d = billcast::units::today_utc();
    Month {
        year: d.year() as i32,
        month: d.month() as u8,
    }
    .plus(1)
}

/// `billcast init`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let kind = Kind::from(a.kind);
    if kind == Kind::Batch && a.users.is_some() {
        return Err(usage(
            "--users does not apply to --kind batch: a batch job has a request volume, not users; leave --users out and edit traffic.requests_per_month in the scenario".into(),
        ));
    }
    let to_stdout = a.out.as_deref().is_none_or(|o| o == Path::new("-"));
    let mut inputs: Vec<(String, &Path)> = Vec::new();
    for (what, p) in [
        ("--prompt file", &a.prompt),
        ("--tools file", &a.tools),
        ("--from workload", &a.from),
    ] {
        if let Some(p) = p {
            inputs.push((what.to_string(), p.as_path()));
        }
    }
    output::refuse_overwriting_inputs(&output::outputs(a.out.as_deref(), None), &inputs)?;
    if let Some(o) = a.out.as_deref().filter(|_| !to_stdout)
        && !a.force
        && std::fs::symlink_metadata(o).is_ok()
    {
        return Err(usage(format!(
            "-o {}: the file exists; pass --force to replace it, or write to another file",
            o.display()
        )));
    }

    let book = PriceBook::load(&a.pricing)?;
    let model = book.model(&a.model)?;
    let reference = model.reference();
    let counting = Counting::for_route(
        model.entry.tokenizer.as_ref().map(|t| t.family.as_str()),
        model.tokenizer_ratio(),
        false,
    );
    let overhead = model.entry.tool_overhead_tokens;
    let batch_tier = model.entry.service_tiers.contains_key("batch");

    // Paths in the scenario are relative to its folder.
    let dir = match a.out.as_deref() {
        Some(o) if !to_stdout => o
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_line = |p: &Path, expect: Expect| -> anyhow::Result<FileLine> {
        let label = p.display().to_string();
        let art = Artifact::read(p, &label, expect)?;
        let rt = RouteTokens::of(&art, &reference, &reference, counting, overhead);
        let note = match &rt.tool_overhead {
            None => format!(
                "{}, {} tokens on {reference} ({})",
                art.describe(),
                format_count(rt.tokens as f64),
                if rt.exact { "exact" } else { "estimated" }
            ),
            Some(_) if rt.tool_overhead_tokens > 0 => format!(
                "{}, {} tokens a call on {reference} ({}, incl. a {}-token tool-use prompt)",
                art.describe(),
                format_count(rt.total() as f64),
                if rt.exact { "exact" } else { "estimated" },
                format_count(rt.tool_overhead_tokens as f64)
            ),
            // Said, not silently zero: the price table gives no tool-use prompt for the model.
            Some(_) => format!(
                "{}, {} tokens a call on {reference} ({}; no tool-use system prompt documented for it, none counted)",
                art.describe(),
                format_count(rt.total() as f64),
                if rt.exact { "exact" } else { "estimated" },
            ),
        };
        Ok(FileLine {
            path: relative(&dir, p)?,
            note,
        })
    };
    let prompt = a
        .prompt
        .as_deref()
        .map(|p| file_line(p, Expect::SystemPrompt))
        .transpose()?;
    let tools = a
        .tools
        .as_deref()
        .map(|p| file_line(p, Expect::Tools))
        .transpose()?;
    let from = match a.from.as_deref() {
        Some(p) if p.is_file() => Some(relative(&dir, p)?),
        Some(p) => {
            return Err(usage(format!(
                "--from {}: no such file; give the workload file `billcast fit … -o workload.toml` wrote",
                p.display()
            )));
        }
        None => None,
    };

    let out_name = match a.out.as_deref() {
        Some(o) if !to_stdout => o.display().to_string(),
        _ => "scenario.toml".to_string(),
    };
    let name = a
        .out
        .as_deref()
        .filter(|_| !to_stdout)
        .and_then(|o| o.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| kind.name().to_string());
    let pricing: String = a
        .pricing
        .iter()
        .map(|p| format!(" --pricing {}", p.display()))
        .collect();
    let t = Template {
        kind,
        name,
        model: reference.clone(),
        start_month: next_month(),
        users: a.users,
        prompt,
        tools,
        from,
        batch_tier,
        run: format!("billcast forecast {out_name}{pricing}"),
    };
    let text = t.render();

    // Check that it forecasts as written: it loads (its files too) and its model is priced.
    let s = Scenario::from_text(&out_name, &text, Some(&dir), &[])?;
    Prepared::new(&s, &book)?;

    output::write(a.out.as_deref(), &text)?;
    if !to_stdout {
        eprintln!(
            "wrote {out_name} ({} scenario on {reference}); forecast it with: {}",
            kind.name(),
            t.run
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_relative_to_the_scenario_folder() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(
            relative(Path::new("."), Path::new("prompts/a.md")).unwrap(),
            "prompts/a.md"
        );
        assert_eq!(
            relative(Path::new("scenarios"), Path::new("prompts/a.md")).unwrap(),
            "../prompts/a.md"
        );
        assert_eq!(
            relative(&here.join("x/y"), &here.join("x/./z/../p.md")).unwrap(),
            "../p.md"
        );
    }
}

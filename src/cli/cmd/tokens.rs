//! `billcast tokens FILE… [--model M]…`: the size of prompt, message and tool-definition files
//! per model, before they go into a scenario.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::artifact::{Artifact, Expect};
use billcast::pricing::PriceBook;
use billcast::report::tokens::{Target, TokensReport};

use crate::cli::output::{self, Format, OutputArgs};

/// Arguments of `billcast tokens`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Files: plain text or Markdown (a system prompt: the text's tokens), a messages JSON (an array of
{\"role\", \"content\"} messages or {\"messages\": [...]}: per-message framing included), or tool
definitions (OpenAI function tools or Anthropic tools, detected). Models whose tokenizer billcast
runs (o200k_base, cl100k_base: OpenAI's) are counted exactly; others are the o200k_base count ×
the price table's tokenizer ratio, marked estimated.

Examples:
  billcast tokens examples/artifacts/prompts/support.md examples/artifacts/tools.json
  billcast tokens examples/artifacts/prompts/support.md --model openai/gpt-5.4-mini \\
    --model anthropic/claude-sonnet-5-5
  billcast tokens examples/artifacts/tools.json --model anthropic/claude-haiku-4-5 --format json")]
pub struct Args {
    /// Prompt (.md, .txt), messages (.json) or tool-definition (.json) files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Count for this model (`provider/model`, see `billcast pricing list`) or tokenizer
    /// (`o200k_base`, `cl100k_base`); repeatable. Default: o200k_base and cl100k_base.
    #[arg(short = 'm', long = "model", value_name = "M")]
    pub models: Vec<String>,
    /// Extra price table (file or folder) for --model; repeatable.
    #[arg(long, value_name = "PATH")]
    pub pricing: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs<Format>,
}

/// `billcast tokens`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let inputs: Vec<(String, &std::path::Path)> = a
        .files
        .iter()
        .map(|f| ("file".to_string(), f.as_path()))
        .collect();
    output::refuse_overwriting_inputs(&output::outputs(a.output.out.as_deref(), None), &inputs)?;
    // Models first: a typo fails before any file is counted.
    let targets = if a.models.is_empty() {
        Target::defaults()
    } else {
        let book = PriceBook::load(&a.pricing)?;
        a.models
            .iter()
            .map(|m| Target::resolve(m, &book))
            .collect::<Result<Vec<_>, _>>()?
    };
    let files = a
        .files
        .iter()
        .map(|f| {
            let label = f.display().to_string();
            Artifact::read(f, &label, Expect::Any)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let r = TokensReport::new(&files, &targets);
    let text = output::export(
        billcast::results::Body::Tokens(std::borrow::Cow::Borrowed(&r)),
        a.output.format,
    )?;
    output::write(a.output.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

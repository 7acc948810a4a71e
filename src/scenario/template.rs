//! Starter scenarios for `billcast init`: a commented TOML file per kind of feature (chatbot,
//! RAG assistant, agent, batch job) that forecasts as written. Every key carries its unit and
//! why it moves the bill, and every number is a stated starting guess to replace.

use crate::units::Month;

/// The kind of feature a starter scenario describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Conversations with a few turns, optional tools.
    Chatbot,
    /// Each turn retrieves documents that go into the prompt.
    Rag,
    /// Long tool loops, reasoning, a cached and summarised transcript.
    Agent,
    /// One request per item, no conversation, on the Batch tier when the model has one.
    Batch,
}

impl Kind {
    /// `chatbot`, `rag`, `agent`, `batch`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Chatbot => "chatbot",
            Kind::Rag => "rag",
            Kind::Agent => "agent",
            Kind::Batch => "batch",
        }
    }
}

/// An artifact line: the path as the scenario will name it and what it counts.
#[derive(Debug, Clone, PartialEq)]
pub struct FileLine {
    /// Path relative to the scenario file, with `/` separators.
    pub path: String,
    /// What it holds and its size on the route, for the comment.
    pub note: String,
}

/// What `billcast init` was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Kind of feature.
    pub kind: Kind,
    /// Scenario name.
    pub name: String,
    /// `provider/model` of the route.
    pub model: String,
    /// First month forecast.
    pub start_month: Month,
    /// Monthly active users in the first month (`None`: a guessed range).
    pub users: Option<u64>,
    /// The system prompt file.
    pub prompt: Option<FileLine>,
    /// The tool-definition file.
    pub tools: Option<FileLine>,
    /// A fitted workload (`billcast fit` output), relative to the scenario.
    pub from: Option<String>,
    /// Whether the model has a `batch` service tier.
    pub batch_tier: bool,
    /// How the scenario will be forecast (`billcast forecast scenario.toml`), for the header.
    pub run: String,
}

/// Comment column: values and comments line up like the bundled scenarios.
const COLUMN: usize = 36;

fn kv(out: &mut String, key_value: &str, comment: &str) {
    out.push_str(key_value);
    if !comment.is_empty() {
        let pad = COLUMN.saturating_sub(key_value.chars().count()).max(1);
        out.push_str(&" ".repeat(pad));
        out.push_str("# ");
        out.push_str(comment);
    }
    out.push('\n');
}

fn comment(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
}

/// A TOML string literal.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

impl Template {
    /// The scenario text.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let what = match self.kind {
            Kind::Chatbot => {
                "a chatbot: conversations of a few turns, each call re-sending the conversation so far"
            }
            Kind::Rag => {
                "a retrieval-augmented assistant: every turn retrieves documents that go into the prompt"
            }
            Kind::Agent => {
                "an agent: long tool-call loops whose results pile into the context, with reasoning tokens"
            }
            Kind::Batch => "a batch job: one request per item, no conversation",
        };
        comment(
            &mut o,
            &format!(
                "Starter scenario for {what}.\n\
                 Written by `billcast init --kind {}`. Every number is a starting guess with its unit: replace\n\
                 it with what you know, and keep a range (\"a to b\": a 90% interval) where you do not.\n\
                 scenarios/README.md documents every key.\n\
                 Run:  {}",
                self.kind.name(),
                self.run
            ),
        );
        kv(
            &mut o,
            "schema_version = 1",
            "scenario file format; billcast refuses versions it does not know",
        );
        kv(
            &mut o,
            &format!("name = {}", quoted(&self.name)),
            "shown in reports",
        );
        kv(
            &mut o,
            "horizon_months = 12",
            "months forecast: growth compounds, so a year shows where it leads",
        );
        kv(
            &mut o,
            &format!("start_month = \"{}\"", self.start_month),
            "first month (YYYY-MM): selects the prices in force then",
        );
        o.push('\n');

        o.push_str("[simulation]\n");
        kv(
            &mut o,
            "trials = 10000",
            "possible worlds drawn; more trials, steadier tails (P95, P99)",
        );
        kv(
            &mut o,
            "seed = 42",
            "same seed + same inputs = byte-identical output (diff two runs fairly)",
        );
        o.push('\n');

        self.traffic(&mut o);
        o.push('\n');
        self.workload(&mut o);
        if self.from.is_none() {
            o.push('\n');
            self.caching_and_retries(&mut o);
        }
        o.push('\n');
        o.push_str("[[routes]]\n");
        kv(
            &mut o,
            &format!("model = {}", quoted(&self.model)),
            "provider/model from the price book (billcast pricing list)",
        );
        kv(
            &mut o,
            "share = 1.0",
            "share of sessions; add [[routes]] to split traffic between models",
        );
        if self.kind == Kind::Batch {
            if self.batch_tier {
                kv(
                    &mut o,
                    "service_tier = \"batch\"",
                    "Batch API: priced at the model's batch rates (results within hours)",
                );
            } else {
                comment(
                    &mut o,
                    "This model's price table has no batch tier: the job is priced at standard rates.",
                );
            }
        }
        o.push('\n');
        comment(
            &mut o,
            "A monthly budget adds P(over budget) to every report and to the cost gate:\n\
             [budget]\n\
             monthly_usd = 5000               # USD per month",
        );
        o
    }

    fn traffic(&self, o: &mut String) {
        o.push_str("[traffic]\n");
        if self.kind == Kind::Batch {
            kv(
                o,
                "requests_per_month = \"200000 to 600000\"",
                "items processed per month (one request each); volume scales the bill 1:1",
            );
            kv(
                o,
                "monthly_growth = { dist = \"normal\", mean = 0.02, sd = 0.02 }",
                "month-over-month growth of the item stream",
            );
            return;
        }
        let (users, users_note) = match self.users {
            Some(n) => (
                n.to_string(),
                "users in month 1 (your --users); a range like \"a to b\" if unsure".to_string(),
            ),
            None => (
                match self.kind {
                    Kind::Agent => "\"500 to 3000\"".to_string(),
                    _ => "\"2000 to 10000\"".to_string(),
                },
                "users in month 1; 90% interval of a lognormal: volume scales the bill 1:1"
                    .to_string(),
            ),
        };
        kv(o, &format!("monthly_active_users = {users}"), &users_note);
        let sessions = match self.kind {
            Kind::Agent => "sessions_per_user = { dist = \"gamma\", mean = 10, cv = 0.8 }",
            _ => "sessions_per_user = { dist = \"gamma\", mean = 4, cv = 0.6 }",
        };
        kv(
            o,
            sessions,
            "sessions per user per month; heavy users make the tail",
        );
        kv(
            o,
            "monthly_growth = { dist = \"normal\", mean = 0.05, sd = 0.03 }",
            "month-over-month user growth rate (0.05 = +5%)",
        );
    }

    fn workload(&self, o: &mut String) {
        o.push_str("[workload]\n");
        if let Some(from) = &self.from {
            kv(
                o,
                &format!("from = {}", quoted(from)),
                "fitted by `billcast fit`: turns, sizes, tool rounds, caching and retries",
            );
            comment(
                o,
                "A key written below overrides the fitted one. The pilot-to-production shift\n\
                 ([shift], default ±20% on sizes and counts) is listed in every report's assumptions.",
            );
        }
        match &self.prompt {
            Some(p) => kv(
                o,
                &format!("system_prompt = {{ file = {} }}", quoted(&p.path)),
                &format!("re-sent on every call, counted per model: {}", p.note),
            ),
            None if self.from.is_some() => {}
            None => {
                let n = match self.kind {
                    Kind::Agent => 3000,
                    Kind::Rag => 800,
                    Kind::Batch => 500,
                    Kind::Chatbot => 1200,
                };
                kv(
                    o,
                    &format!("system_prompt_tokens = {n}"),
                    "tokens re-sent on every call; or system_prompt = { file = \"prompt.md\" }",
                );
            }
        }
        if let Some(t) = &self.tools {
            kv(
                o,
                &format!("tools = {{ file = {} }}", quoted(&t.path)),
                &format!("tool definitions, sent with every call: {}", t.note),
            );
        }
        if self.from.is_some() {
            return;
        }
        let tools = self.tools.is_some();
        match self.kind {
            Kind::Chatbot => {
                kv(
                    o,
                    "turns_per_session = { dist = \"poisson\", mean = 3, offset = 1 }",
                    "user turns per conversation; input grows with every turn",
                );
                kv(
                    o,
                    "user_message_tokens = { dist = \"lognormal\", median = 60, sigma = 1.0 }",
                    "tokens per user message",
                );
                kv(
                    o,
                    "output_tokens = { dist = \"lognormal\", median = 200, sigma = 0.8 }",
                    "visible tokens per model call; output is the dearest token",
                );
                kv(
                    o,
                    "max_output_tokens = 1024",
                    "cap per call, tokens: bounds the longest answers",
                );
                if tools {
                    kv(
                        o,
                        "tool_rounds_per_turn = { dist = \"poisson\", mean = 1 }",
                        "tool-call rounds before the answer: each is one more call",
                    );
                    kv(
                        o,
                        "tool_result_tokens = { dist = \"lognormal\", median = 300, sigma = 1.0 }",
                        "tokens per tool result, kept in the context",
                    );
                } else {
                    kv(
                        o,
                        "tool_rounds_per_turn = 0",
                        "tool-call rounds per turn (none: give tools = { file } to add them)",
                    );
                }
                kv(
                    o,
                    "context = { policy = \"full\" }",
                    "the whole conversation is re-sent on every call",
                );
            }
            Kind::Rag => {
                kv(
                    o,
                    "turns_per_session = { dist = \"poisson\", mean = 2, offset = 1 }",
                    "questions per session",
                );
                kv(
                    o,
                    "user_message_tokens = { dist = \"lognormal\", median = 40, sigma = 0.8 }",
                    "tokens per question",
                );
                kv(
                    o,
                    "tool_rounds_per_turn = 1",
                    "one retrieval per question (a tool round that fetches documents)",
                );
                kv(
                    o,
                    "tool_result_tokens = \"1500 to 5000\"",
                    "retrieved chunks per retrieval, tokens: usually most of the input",
                );
                kv(
                    o,
                    "output_tokens = { dist = \"lognormal\", median = 250, sigma = 0.7 }",
                    "visible tokens per model call",
                );
                kv(o, "max_output_tokens = 1024", "cap per call, tokens");
                kv(
                    o,
                    "context = { policy = \"window\", turns = 4 }",
                    "only the last 4 turns are re-sent: bounds the retrieved text carried along",
                );
            }
            Kind::Agent => {
                kv(
                    o,
                    "turns_per_session = { dist = \"poisson\", mean = 1, offset = 1 }",
                    "user requests per session",
                );
                kv(
                    o,
                    "user_message_tokens = { dist = \"lognormal\", median = 150, sigma = 1.0 }",
                    "tokens per request",
                );
                kv(
                    o,
                    "tool_rounds_per_turn = { dist = \"gamma\", mean = 8, cv = 0.8 }",
                    "tool-call rounds per request: the loop length drives the bill",
                );
                kv(
                    o,
                    "tool_calls_per_round = { dist = \"poisson\", mean = 0.5, offset = 1 }",
                    "parallel tool calls per round",
                );
                kv(
                    o,
                    "tool_result_tokens = { dist = \"lognormal\", median = 800, sigma = 1.2 }",
                    "tokens per tool result, re-sent on every later call",
                );
                kv(
                    o,
                    "output_tokens = { dist = \"lognormal\", median = 250, sigma = 0.8 }",
                    "visible tokens per call (tool arguments, answers)",
                );
                kv(
                    o,
                    "reasoning_tokens = { dist = \"lognormal\", median = 400, sigma = 1.0 }",
                    "hidden reasoning per call, billed as output (0 for non-reasoning models)",
                );
                kv(o, "max_output_tokens = 8192", "cap per call, tokens");
                kv(
                    o,
                    "context = { policy = \"summarize\", above_tokens = 60000, summary_tokens = 4000 }",
                    "long transcripts are summarised (one extra call each time)",
                );
            }
            Kind::Batch => {
                kv(
                    o,
                    "user_message_tokens = { dist = \"lognormal\", median = 3000, sigma = 0.8 }",
                    "tokens of the item (document, record) sent per request",
                );
                kv(
                    o,
                    "output_tokens = { dist = \"lognormal\", median = 300, sigma = 0.5 }",
                    "tokens generated per item",
                );
                kv(o, "max_output_tokens = 1024", "cap per item, tokens");
            }
        }
    }

    fn caching_and_retries(&self, o: &mut String) {
        match self.kind {
            Kind::Batch => {}
            Kind::Agent => {
                o.push_str("[caching]\n");
                kv(
                    o,
                    "hit_rate = \"0.6 to 0.95\"",
                    "share of calls that read their prefix from the provider's prompt cache",
                );
                kv(
                    o,
                    "cacheable = \"history\"",
                    "the transcript so far is cached, not just the system prompt",
                );
                o.push('\n');
            }
            _ => {
                o.push_str("[caching]\n");
                kv(
                    o,
                    "hit_rate = \"0.3 to 0.8\"",
                    "share of calls that read the system prompt from the prompt cache",
                );
                o.push('\n');
            }
        }
        o.push_str("[retries]\n");
        kv(
            o,
            "max_attempts = 3",
            "attempts per call, including the first",
        );
        kv(
            o,
            "rate_limit = { p = 0.01, billed = false }",
            "429s per attempt: retried, not billed",
        );
        kv(
            o,
            "timeout = { p = 0.01, billed = true }",
            "client gave up after generation: paid twice",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_toml_and_comments_line_up() {
        let t = Template {
            kind: Kind::Chatbot,
            name: "my \"bot\"".into(),
            model: "openai/gpt-5.4-mini".into(),
            start_month: Month {
                year: 2027,
                month: 1,
            },
            users: Some(5000),
            prompt: Some(FileLine {
                path: "prompts/a b.md".into(),
                note: "456 tokens".into(),
            }),
            tools: None,
            from: None,
            batch_tier: false,
            run: "billcast forecast s.toml".into(),
        };
        let text = t.render();
        let v: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(v["name"].as_str(), Some("my \"bot\""));
        assert_eq!(
            v["workload"]["system_prompt"]["file"].as_str(),
            Some("prompts/a b.md")
        );
        assert_eq!(
            v["traffic"]["monthly_active_users"].as_integer(),
            Some(5000)
        );
        assert!(text.contains(&format!(
            "monthly_active_users = 5000{}# users in month 1",
            " ".repeat(9)
        )));
    }
}

//! One place for the usage-accounting conventions of providers, so cached tokens are
//! neither double-counted nor lost (the cause of most LLM cost-tool bugs).
//!
//! OpenAI, Gemini and OTel report input *including* cache reads and writes; Anthropic reports
//! them *beside* input. Output always includes reasoning for OpenAI and Anthropic; Gemini
//! reports thoughts beside candidates (the ingest parsers add them before calling here).

use serde::{Deserialize, Serialize};

/// How a provider reports input tokens in its usage objects (a price table's
/// `usage_convention`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UsageConvention {
    /// Reported input includes cache reads and writes (OpenAI, Gemini, DeepSeek, most hosts).
    #[default]
    InputIncludesCached,
    /// Reported input excludes them; they are reported separately (Anthropic, Bedrock Claude).
    InputExcludesCached,
}

/// Token quantities of one call, split the way prices are: every field is disjoint.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CallTokens {
    /// Input billed at the uncached rate.
    pub input: f64,
    /// Input read from the prompt cache.
    pub cache_read: f64,
    /// Input written to the prompt cache.
    pub cache_write: f64,
    /// Visible output (reasoning excluded).
    pub output: f64,
    /// Reasoning / thinking output.
    pub reasoning: f64,
}

impl CallTokens {
    /// Total input the provider processed: uncached + cache read + cache write. Long-context
    /// tiers test this number.
    pub fn total_input(&self) -> f64 {
        self.input + self.cache_read + self.cache_write
    }

    /// Total billed output: visible + reasoning.
    pub fn total_output(&self) -> f64 {
        self.output + self.reasoning
    }
}

/// Reported numbers that do not add up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UsageError {
    /// Cached tokens exceed the reported input under the includes-cached convention.
    #[error(
        "reported input ({input}) is smaller than cache read + cache write ({cached}); under the \
         'input_includes_cached' convention cached tokens are part of input — pass \
         --usage-convention input_excludes_cached if your numbers come from Anthropic"
    )]
    CachedExceedsInput {
        /// Reported input.
        input: f64,
        /// Cache read + write.
        cached: f64,
    },
    /// Reasoning exceeds total output.
    #[error(
        "reasoning tokens ({reasoning}) exceed output tokens ({output}); output must include reasoning"
    )]
    ReasoningExceedsOutput {
        /// Reasoning tokens.
        reasoning: f64,
        /// Total output.
        output: f64,
    },
    /// A negative or non-finite count.
    #[error("token counts must be finite and ≥ 0, got {0}")]
    Negative(f64),
}

/// Split reported usage into disjoint billed quantities.
///
/// `output_incl_reasoning` is the billed output including reasoning (OpenAI
/// `completion_tokens`, Anthropic `output_tokens`, Gemini `candidates + thoughts`).
pub fn split_reported(
    reported_input: f64,
    cache_read: f64,
    cache_write: f64,
    output_incl_reasoning: f64,
    reasoning: f64,
    convention: UsageConvention,
) -> Result<CallTokens, UsageError> {
    for x in [
        reported_input,
        cache_read,
        cache_write,
        output_incl_reasoning,
        reasoning,
    ] {
        if !x.is_finite() || x < 0.0 {
            return Err(UsageError::Negative(x));
        }
    }
    let input = match convention {
        UsageConvention::InputIncludesCached => {
            let cached = cache_read + cache_write;
            if cached > reported_input {
                return Err(UsageError::CachedExceedsInput {
                    input: reported_input,
                    cached,
                });
            }
            reported_input - cached
        }
        UsageConvention::InputExcludesCached => reported_input,
    };
    if reasoning > output_incl_reasoning {
        return Err(UsageError::ReasoningExceedsOutput {
            reasoning,
            output: output_incl_reasoning,
        });
    }
    Ok(CallTokens {
        input,
        cache_read,
        cache_write,
        output: output_incl_reasoning - reasoning,
        reasoning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_input_includes_cached_tokens() {
        // OpenAI fixture: prompt_tokens 1234 with cached 1024 → 210 uncached.
        let t = split_reported(
            1234.0,
            1024.0,
            0.0,
            57.0,
            0.0,
            UsageConvention::InputIncludesCached,
        )
        .unwrap();
        assert_eq!(
            t,
            CallTokens {
                input: 210.0,
                cache_read: 1024.0,
                cache_write: 0.0,
                output: 57.0,
                reasoning: 0.0
            }
        );
        assert_eq!(t.total_input(), 1234.0);
    }

    #[test]
    fn anthropic_input_excludes_cached_tokens() {
        let t = split_reported(
            210.0,
            1024.0,
            50.0,
            300.0,
            120.0,
            UsageConvention::InputExcludesCached,
        )
        .unwrap();
        assert_eq!(t.input, 210.0);
        assert_eq!(t.total_input(), 1284.0);
        assert_eq!((t.output, t.reasoning), (180.0, 120.0));
    }

    #[test]
    fn inconsistent_usage_is_rejected() {
        assert!(matches!(
            split_reported(
                100.0,
                1024.0,
                0.0,
                1.0,
                0.0,
                UsageConvention::InputIncludesCached
            ),
            Err(UsageError::CachedExceedsInput { .. })
        ));
        assert!(
            split_reported(
                100.0,
                0.0,
                0.0,
                10.0,
                11.0,
                UsageConvention::InputIncludesCached
            )
            .is_err()
        );
        assert!(
            split_reported(
                -1.0,
                0.0,
                0.0,
                10.0,
                0.0,
                UsageConvention::InputIncludesCached
            )
            .is_err()
        );
    }
}

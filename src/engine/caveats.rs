//! Warnings with numbers about what a simulation assumed on each route: calls sent above the
//! model's context window, prompts below the model's minimum cacheable prefix, caching switched
//! on where the price book has no cache price, and caching left off on providers that cache
//! automatically. Each says how much it moves the bill and what to change.

use super::Simulation;
use super::prepare::{BASE_TIER, Prepared};
use crate::dist::Domain;
use crate::scenario::{Cacheable, Scenario};
use crate::units::{TOKENS_PER_MTOK, format_count, format_pct, format_usd};

/// The month the notes quantify: the one with the highest mean bill.
fn costliest_month(sim: &Simulation) -> usize {
    (0..sim.months.len())
        .max_by(|&a, &b| {
            let t = |m: usize| sim.components[m].total();
            t(a).total_cmp(&t(b))
        })
        .unwrap_or(0)
}

/// Median system prompt of the scenario's largest segment, in reference tokens (0 when it
/// cannot be resolved: the caveats that need it are then skipped), and that segment's index.
fn system_prompt_median(s: &Scenario) -> (f64, usize) {
    let Some((i, seg)) = s
        .segments
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.share.total_cmp(&b.1.share))
    else {
        return (0.0, 0);
    };
    let median = seg
        .workload
        .system_prompt_tokens
        .resolve_median("workload.system_prompt_tokens", Domain::NonNegative)
        .map_or(0.0, |d| d.quantile(0.5));
    (median, i)
}

/// The static prefix of segment `seg` on route `r`, model tokens: the median drawn prompt ×
/// the route's ratio, plus the artifacts counted on the route.
fn prefix_on_route(p: &Prepared, system: f64, seg: usize, r: usize) -> f64 {
    (system * p.routes[r].tokenizer_ratio).ceil()
        + p.prefix_tokens
            .get(seg)
            .and_then(|v| v.get(r))
            .copied()
            .unwrap_or(0.0)
}

/// The caveats of `sim`, a simulation of `s` with routes `p`.
pub fn caveats(s: &Scenario, p: &Prepared, sim: &Simulation) -> Vec<String> {
    let mut out = Vec::new();
    if sim.months.is_empty() {
        return out;
    }
    // Calls above the context window.
    if let Some(m) = (0..sim.months.len())
        .filter(|&m| sim.volumes[m].over_context_calls > 0.0)
        .max_by(|&a, &b| {
            let share = |m: usize| sim.volumes[m].over_context_calls / sim.volumes[m].attempts;
            share(a).total_cmp(&share(b))
        })
    {
        let v = &sim.volumes[m];
        let windows: Vec<String> = p
            .routes
            .iter()
            .filter(|r| r.context_window.is_finite())
            .map(|r| format!("{} {} tokens", r.model, format_count(r.context_window)))
            .collect();
        out.push(format!(
            "{} calls a month ({} of calls) in {} send more input than the model's context window ({}): a provider rejects such requests, but they are priced here as sent; cap the history (workload.context = {{ policy = \"window\" }} or \"summarize\") or check the input sizes",
            format_count(v.over_context_calls),
            format_pct(v.over_context_calls / v.calls.max(1.0)),
            sim.months[m],
            windows.join(", ")
        ));
    }
    let m = costliest_month(sim);
    let month = sim.months[m];
    let (system, seg) = system_prompt_median(s);
    let calls = sim.volumes[m].calls;
    // Dollars per month that reading a `tokens`-token prefix from cache on a share `h` of a
    // route's calls saves: calls × share × h × tokens × (input − read rate).
    let saving = |r: usize, tokens: f64, h: f64| -> f64 {
        let card = &p.rates[m][r][BASE_TIER];
        calls * p.routes[r].share * h * tokens * (card.input - card.cache_read).max(0.0)
            / TOKENS_PER_MTOK
    };
    if !s.caching.enabled {
        for (r, route) in p.routes.iter().enumerate() {
            let tokens = prefix_on_route(p, system, seg, r);
            if !route.caches_automatically || tokens < route.min_cache_prefix.max(1.0) {
                continue;
            }
            out.push(format!(
                "caching is off (no [caching] section), but {} caches prompts of {} tokens or more automatically, so the real bill may be lower: with the system prompt (~{} tokens) read from cache on half of its calls, the mean bill of {month} would be about {} lower; set [caching] hit_rate to model it",
                route.model,
                format_count(route.min_cache_prefix.max(1.0)),
                format_count(tokens),
                format_usd(saving(r, tokens, 0.5))
            ));
        }
        return out;
    }
    let hit = s
        .caching
        .hit_rate
        .resolve_median("caching.hit_rate", Domain::Probability)
        .map_or(0.0, |d| d.quantile(0.5));
    if s.caching.hit_rate.as_fixed() == Some(0.0) {
        out.push("caching is on with a hit rate of 0: every cacheable prefix is written and never read (a surcharge on models that bill cache writes); remove [caching] or set caching.enabled = false if the application does not cache".to_string());
    }
    for (r, route) in p.routes.iter().enumerate() {
        let card = &p.rates[m][r][BASE_TIER];
        if card.cache_read >= card.input {
            out.push(format!(
                "route {} ({}): the price book has no cache-read discount for this model, so cache hits save nothing on this route",
                route.name, route.model
            ));
            continue;
        }
        let tokens = prefix_on_route(p, system, seg, r);
        if s.caching.cacheable == Cacheable::System
            && tokens > 0.0
            && tokens < route.min_cache_prefix
        {
            out.push(format!(
                "route {} ({}): the system prompt (~{} tokens) is below the model's minimum cacheable prefix of {} tokens, so it is never cached on this route and caching.hit_rate has no effect there; cacheable, it would save about {} in {month} at the median hit rate ({})",
                route.name,
                route.model,
                format_count(tokens),
                format_count(route.min_cache_prefix),
                format_usd(saving(r, tokens, hit)),
                format_pct(hit)
            ));
        }
    }
    out
}

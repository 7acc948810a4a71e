//! The one pricing path (DESIGN §1.3, "quantities first, prices second"): where each
//! accumulator slot bills — its route, its cost [`Component`] and its rate in a month — and
//! how a month's tool uses are settled. Exact mode prices accumulated quantities with it
//! ([`price_month`]), fast mode takes its per-token unit costs and component means from it
//! ([`super::fast`]), and what-ifs reprice kept quantities through both ([`super::reuse`]).

use std::ops::{Index, IndexMut};

use super::MonthOut;
use super::prepare::Prepared;
use super::session::{Acc, CLASSES, FAILED, ORIGINS, slot_index};
use crate::pricing::schema::TokenClass;
use crate::units::TOKENS_PER_MTOK;

/// A cost component of the bill; the components sum to the bill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    /// Uncached input tokens of successful attempts.
    Input,
    /// Cache-read tokens of successful attempts.
    CacheRead,
    /// Cache-write tokens of successful attempts.
    CacheWrite,
    /// Visible output tokens of successful attempts.
    Output,
    /// Reasoning tokens of successful attempts.
    Reasoning,
    /// Provider tool fees (web search and the like), after free allowances.
    ToolFees,
    /// Every token class of billed failed attempts.
    Retries,
}

/// Number of [`Component`]s.
pub const N_COMPONENTS: usize = 7;

impl Component {
    /// Every component, in report order.
    pub const ALL: [Component; N_COMPONENTS] = [
        Component::Input,
        Component::CacheRead,
        Component::CacheWrite,
        Component::Output,
        Component::Reasoning,
        Component::ToolFees,
        Component::Retries,
    ];

    /// The names of [`Self::ALL`], in that order.
    pub const NAMES: [&'static str; N_COMPONENTS] = {
        let mut names = [""; N_COMPONENTS];
        let mut i = 0;
        while i < N_COMPONENTS {
            names[i] = Component::ALL[i].name();
            i += 1;
        }
        names
    };

    /// snake_case name, as in reports and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Component::Input => "input",
            Component::CacheRead => "cache_read",
            Component::CacheWrite => "cache_write",
            Component::Output => "output",
            Component::Reasoning => "reasoning",
            Component::ToolFees => "tool_fees",
            Component::Retries => "retries",
        }
    }

    /// The component billed tokens of `class` fall in: their class for a successful attempt,
    /// [`Component::Retries`] for a billed failed one (`origin` as in [`Acc`]).
    pub fn of(class: TokenClass, origin: usize) -> Component {
        if origin == FAILED {
            return Component::Retries;
        }
        match class {
            TokenClass::Input => Component::Input,
            TokenClass::CacheRead => Component::CacheRead,
            TokenClass::CacheWrite => Component::CacheWrite,
            TokenClass::Output => Component::Output,
            TokenClass::Reasoning => Component::Reasoning,
        }
    }
}

/// One number per [`Component`] (USD), indexed by component.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PerComponent([f64; N_COMPONENTS]);

impl PerComponent {
    /// The values in [`Component::ALL`] order.
    pub fn as_array(&self) -> &[f64; N_COMPONENTS] {
        &self.0
    }

    /// `(component, value)` in report order.
    pub fn iter(&self) -> impl Iterator<Item = (Component, f64)> + '_ {
        Component::ALL.into_iter().zip(self.0)
    }

    /// Sum over the components, in report order.
    pub fn total(&self) -> f64 {
        self.0.iter().sum()
    }
}

impl Index<Component> for PerComponent {
    type Output = f64;
    fn index(&self, c: Component) -> &f64 {
        &self.0[c as usize]
    }
}

impl IndexMut<Component> for PerComponent {
    fn index_mut(&mut self, c: Component) -> &mut f64 {
        &mut self.0[c as usize]
    }
}

/// One accumulator slot: the quantity of one token class on one route, long-context tier and
/// origin ([`Acc`]), and the component it bills to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    /// Position in [`Acc::q`].
    pub index: usize,
    /// Route.
    pub route: usize,
    /// Long-context tier (0 = base).
    pub tier: usize,
    /// Token class.
    pub class: TokenClass,
    /// Component its cost counts in.
    pub component: Component,
}

/// Every slot of an accumulator of `routes` routes and `tiers` tiers, in [`Acc::q`] order.
pub(crate) fn slots(routes: usize, tiers: usize) -> impl Iterator<Item = Slot> {
    (0..routes).flat_map(move |route| {
        (0..tiers).flat_map(move |tier| {
            (0..ORIGINS).flat_map(move |origin| {
                let base = slot_index(tiers, route, tier, origin);
                TokenClass::ALL.into_iter().map(move |class| Slot {
                    index: base + class as usize,
                    route,
                    tier,
                    class,
                    component: Component::of(class, origin),
                })
            })
        })
    })
}

/// A slot with its rate in one month.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PricedSlot {
    /// The slot.
    pub slot: Slot,
    /// USD per 1M tokens of its class on its route and tier that month.
    pub per_mtok: f64,
}

impl PricedSlot {
    /// USD of `q` tokens: `q · rate / 10⁶`. Exact mode prices accumulated quantities in this
    /// order of operations; it differs from `q · (rate / 10⁶)` by at most an ulp, and the
    /// reports' bits depend on which is used.
    pub fn usd(&self, q: f64) -> f64 {
        q * self.per_mtok / TOKENS_PER_MTOK
    }

    /// USD per token, `rate / 10⁶`: fast mode's unit cost (a pilot session's cost is the dot
    /// product of its quantities with these).
    pub fn per_token(&self) -> f64 {
        self.per_mtok / TOKENS_PER_MTOK
    }
}

/// Every slot of `p`'s accumulator with its rate in month `m`, in [`Acc::q`] order.
pub(crate) fn priced_slots(p: &Prepared, m: usize) -> impl Iterator<Item = PricedSlot> + '_ {
    slots(p.routes.len(), p.tiers).map(move |slot| PricedSlot {
        slot,
        per_mtok: p.rates[m][slot.route][slot.tier].as_array()[slot.class as usize],
    })
}

/// Per month, USD per token of each accumulator slot (tool fees are settled separately).
pub(crate) fn unit_costs(p: &Prepared) -> Vec<Vec<f64>> {
    (0..p.months.len())
        .map(|m| {
            let mut units = vec![0.0; p.routes.len() * p.tiers * ORIGINS * CLASSES];
            for ps in priced_slots(p, m) {
                units[ps.slot.index] = ps.per_token();
            }
            units
        })
        .collect()
}

/// USD by component and by route of the quantities `q` (accumulator layout of `routes`
/// routes and `tiers` tiers) at the per-token unit costs `units` ([`unit_costs`]).
pub(crate) fn component_costs(
    routes: usize,
    tiers: usize,
    q: &[f64],
    units: &[f64],
) -> (PerComponent, Vec<f64>) {
    let mut comp = PerComponent::default();
    let mut by_route = vec![0.0; routes];
    for s in slots(routes, tiers) {
        let usd = q[s.index] * units[s.index];
        comp[s.component] += usd;
        by_route[s.route] += usd;
    }
    (comp, by_route)
}

/// Price one month of accumulated quantities, tool fees included.
pub(crate) fn price_month(p: &Prepared, m: usize, acc: &Acc) -> MonthOut {
    let mut out = price_tokens(p, m, acc);
    settle_tool_fees(p, &acc.tools, &mut out);
    out
}

/// Price the tokens of one month (no tool fees), with its volumes.
pub(crate) fn price_tokens(p: &Prepared, m: usize, acc: &Acc) -> MonthOut {
    let mut out = MonthOut {
        routes: vec![0.0; p.routes.len()],
        ..Default::default()
    };
    for ps in priced_slots(p, m) {
        let q = acc.q[ps.slot.index];
        if q == 0.0 {
            continue;
        }
        let usd = ps.usd(q);
        out.comp[ps.slot.component] += usd;
        out.routes[ps.slot.route] += usd;
        out.vol.tokens[ps.slot.class as usize] += q;
    }
    out.total = out.comp.total();
    out.vol.sessions = acc.sessions;
    out.vol.turns = acc.turns;
    out.vol.calls = acc.calls;
    out.vol.attempts = acc.attempts;
    out.vol.abandoned_calls = acc.abandoned;
    out.vol.tool_calls = acc.tool_calls;
    out.vol.over_context_calls = acc.over_context;
    out
}

/// Settle a month's tool fees into `out`: the fees of `counts` (uses per route and tool slot,
/// `[route · tools + slot]`, free allowances shared as [`Prepared::tool_fees`] spends them) go
/// to [`Component::ToolFees`], their routes and the total; the routes' token cost before the
/// fees is kept in `route_tokens`. Nothing happens without priced tools.
pub(crate) fn settle_tool_fees(p: &Prepared, counts: &[f64], out: &mut MonthOut) {
    if p.tool_ids.is_empty() {
        return;
    }
    out.route_tokens = out.routes.clone();
    for (r, fee) in p.tool_fees(counts).into_iter().enumerate() {
        out.comp[Component::ToolFees] += fee;
        out.routes[r] += fee;
        out.total += fee;
    }
}

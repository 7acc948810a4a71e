//! The cost-gate expressions of `billcast diff --fail-if`: a comparison of a variable of the
//! diffed month with a number, combined with `and` / `or` and parentheses.
//!
//! ```text
//! expr    := and ( ("or" | "||") and )*
//! and     := atom ( ("and" | "&&") atom )*
//! atom    := "(" expr ")" | operand OP operand
//! operand := VARIABLE | NUMBER            NUMBER: 12000, 12_000, 12,000, $12k, 1.5M, 1e4
//! OP      := > | >= | < | <= | == | !=
//! ```
//!
//! Variables ([`VARIABLES`]) name the head report's values for the month (`p95`), the base's
//! (`base_p95`) and the change (`delta_p95` in USD, `delta_p95_pct` in percent). Percent
//! variables are in percent (`delta_p95_pct > 10` is "more than +10%"); probabilities are
//! fractions (`prob_over_budget > 0.1` is "more than a 10% chance").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Delta, Stats, parse_number};
use crate::units::format_value;

/// Every variable and what it means.
pub const VARIABLES: &[(&str, &str)] = &[
    ("mean", "head mean bill, USD"),
    ("p50", "head median bill, USD"),
    ("p90", "head P90, USD"),
    ("p95", "head P95, USD"),
    ("p99", "head P99, USD"),
    ("prob_over_budget", "head P(bill > budget), 0–1"),
    ("budget", "head monthly budget, USD"),
    ("base_mean", "base mean bill, USD"),
    ("base_p50", "base median, USD"),
    ("base_p90", "base P90, USD"),
    ("base_p95", "base P95, USD"),
    ("base_p99", "base P99, USD"),
    ("base_prob_over_budget", "base P(bill > budget), 0–1"),
    ("delta_mean", "head − base mean, USD"),
    ("delta_p50", "head − base median, USD"),
    ("delta_p90", "head − base P90, USD"),
    ("delta_p95", "head − base P95, USD"),
    ("delta_p99", "head − base P99, USD"),
    ("delta_mean_pct", "change of the mean, %"),
    ("delta_p50_pct", "change of the median, %"),
    ("delta_p90_pct", "change of the P90, %"),
    ("delta_p95_pct", "change of the P95, %"),
    ("delta_p99_pct", "change of the P99, %"),
    (
        "delta_prob_over_budget",
        "change of P(bill > budget), 0–1 (0.05 = five points)",
    ),
];

/// Comparison operators, longest first (the tokenizer tries them in this order).
pub const OPERATORS: [&str; 6] = [">=", "<=", "==", "!=", ">", "<"];

/// A bad `--fail-if` expression, or one whose variable has no value for these reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--fail-if '{expr}': {message}. Variables: {}. Operators: > >= < <= == !=, combined with and / or and parentheses",
    variable_names()
)]
pub struct GateError {
    /// The expression as given.
    pub expr: String,
    /// What is wrong.
    pub message: String,
}

fn variable_names() -> String {
    VARIABLES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Values of the variables for one month; `Err` says why a variable has no value (no budget,
/// a zero base for a percentage).
pub type Variables = BTreeMap<&'static str, Result<f64, String>>;

/// The variables of a month from the base and head statistics.
pub fn variables(
    base: &Stats,
    head: &Stats,
    delta: &Delta,
    budget: Option<f64>,
    month: &str,
) -> Variables {
    let no_budget = |side: &str| {
        format!("the {side} report has no budget (set [budget] monthly_usd in its scenario)")
    };
    let pct = |x: Option<f64>, what: &str| {
        x.ok_or_else(|| format!("the base {what} of {month} is $0, so a percentage change is undefined; use delta_{what} in USD"))
    };
    let mut v: Variables = BTreeMap::new();
    v.insert("mean", Ok(head.mean));
    v.insert("p50", Ok(head.p50));
    v.insert("p90", Ok(head.p90));
    v.insert("p95", Ok(head.p95));
    v.insert("p99", Ok(head.p99));
    v.insert(
        "prob_over_budget",
        head.prob_over_budget.ok_or_else(|| no_budget("head")),
    );
    v.insert("budget", budget.ok_or_else(|| no_budget("head")));
    v.insert("base_mean", Ok(base.mean));
    v.insert("base_p50", Ok(base.p50));
    v.insert("base_p90", Ok(base.p90));
    v.insert("base_p95", Ok(base.p95));
    v.insert("base_p99", Ok(base.p99));
    v.insert(
        "base_prob_over_budget",
        base.prob_over_budget.ok_or_else(|| no_budget("base")),
    );
    v.insert("delta_mean", Ok(delta.mean));
    v.insert("delta_p50", Ok(delta.p50));
    v.insert("delta_p90", Ok(delta.p90));
    v.insert("delta_p95", Ok(delta.p95));
    v.insert("delta_p99", Ok(delta.p99));
    v.insert("delta_mean_pct", pct(delta.mean_pct, "mean"));
    v.insert("delta_p50_pct", pct(delta.p50_pct, "p50"));
    v.insert("delta_p90_pct", pct(delta.p90_pct, "p90"));
    v.insert("delta_p95_pct", pct(delta.p95_pct, "p95"));
    v.insert("delta_p99_pct", pct(delta.p99_pct, "p99"));
    v.insert(
        "delta_prob_over_budget",
        delta
            .prob_over_budget
            .ok_or_else(|| "base and head both need a budget".to_string()),
    );
    v
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    fn apply(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Var(&'static str),
    Num(f64),
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Cmp(Operand, Op, Operand),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Num(f64),
    Op(Op),
    And,
    Or,
    Open,
    Close,
}

/// A parsed `--fail-if` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    text: String,
    expr: Expr,
}

/// The verdict on one condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// The condition as given.
    pub condition: String,
    /// Whether it holds (the gate fails when any condition holds).
    pub holds: bool,
    /// The variables it read and their values.
    pub values: Vec<(String, f64)>,
}

impl GateResult {
    /// `delta_p95_pct > 10 (delta_p95_pct = 12.3)`.
    pub fn explain(&self) -> String {
        let vals = self
            .values
            .iter()
            .map(|(k, v)| format!("{k} = {}", format_value(*v)))
            .collect::<Vec<_>>()
            .join(", ");
        if vals.is_empty() {
            self.condition.clone()
        } else {
            format!("{} ({vals})", self.condition)
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' || c == ')' {
            out.push(if c == '(' { Token::Open } else { Token::Close });
            i += 1;
            continue;
        }
        let rest: String = chars[i..].iter().take(2).collect();
        if rest == "&&" || rest == "||" {
            out.push(if rest == "&&" { Token::And } else { Token::Or });
            i += 2;
            continue;
        }
        if let Some(op) = OPERATORS.iter().find(|o| rest.starts_with(**o)) {
            out.push(Token::Op(match *op {
                ">=" => Op::Ge,
                "<=" => Op::Le,
                "==" => Op::Eq,
                "!=" => Op::Ne,
                ">" => Op::Gt,
                _ => Op::Lt,
            }));
            i += op.len();
            continue;
        }
        if c == '=' {
            return Err("use == to test equality".into());
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let w: String = chars[start..i].iter().collect();
            out.push(match w.to_ascii_lowercase().as_str() {
                "and" => Token::And,
                "or" => Token::Or,
                _ => Token::Word(w),
            });
            continue;
        }
        if c.is_ascii_digit() || c == '$' || c == '.' || c == '-' || c == '+' {
            let start = i;
            i += 1;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || matches!(chars[i], '.' | '_' | ',' | '$')
                    || ((chars[i] == '-' || chars[i] == '+') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            let w: String = chars[start..i].iter().collect();
            let x = parse_number(&w).ok_or_else(|| format!("'{w}' is not a number"))?;
            out.push(Token::Num(x));
            continue;
        }
        return Err(format!("unexpected '{c}'"));
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.atom()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.atom()?));
        }
        Ok(e)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let e = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err("a '(' is not closed".into());
            }
            return Ok(e);
        }
        let a = self.operand()?;
        let op = match self.next() {
            Some(Token::Op(op)) => op,
            Some(t) => {
                return Err(format!(
                    "expected an operator after the first operand, found {}",
                    describe(&t)
                ));
            }
            None => return Err("expected an operator and a number, e.g. p95 > 12000".into()),
        };
        let b = self.operand()?;
        if matches!((&a, &b), (Operand::Num(_), Operand::Num(_))) {
            return Err("compare a variable with a number, e.g. delta_p95_pct > 10".into());
        }
        Ok(Expr::Cmp(a, op, b))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        match self.next() {
            Some(Token::Num(x)) => Ok(Operand::Num(x)),
            Some(Token::Word(w)) => {
                let lower = w.to_ascii_lowercase();
                match VARIABLES.iter().find(|(n, _)| *n == lower) {
                    Some((n, _)) => Ok(Operand::Var(n)),
                    None => {
                        let hint =
                            crate::toml_util::closest(&lower, VARIABLES.iter().map(|(n, _)| *n))
                                .map(|c| format!("; did you mean `{c}`?"))
                                .unwrap_or_default();
                        Err(format!("unknown variable `{w}`{hint}"))
                    }
                }
            }
            Some(t) => Err(format!(
                "expected a variable or a number, found {}",
                describe(&t)
            )),
            None => {
                Err("the expression ends early; write VARIABLE OP NUMBER, e.g. p95 > 12000".into())
            }
        }
    }
}

fn describe(t: &Token) -> String {
    match t {
        Token::Word(w) => format!("`{w}`"),
        Token::Num(x) => format!("the number {x}"),
        Token::Op(o) => format!("`{}`", o.symbol()),
        Token::And => "`and`".into(),
        Token::Or => "`or`".into(),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
    }
}

impl Condition {
    /// Parse a condition.
    ///
    /// # Errors
    /// A [`GateError`] naming the problem, the variables and the operators.
    pub fn parse(text: &str) -> Result<Condition, GateError> {
        let err = |message: String| GateError {
            expr: text.to_string(),
            message,
        };
        let tokens = tokenize(text).map_err(err)?;
        if tokens.is_empty() {
            return Err(err(
                "empty condition; write VARIABLE OP NUMBER, e.g. p95 > 12000".into(),
            ));
        }
        let mut p = Parser { tokens, pos: 0 };
        let expr = p.or().map_err(err)?;
        if let Some(t) = p.peek() {
            return Err(err(format!(
                "unexpected {} after a complete condition (join conditions with and / or)",
                describe(t)
            )));
        }
        Ok(Condition {
            text: text.trim().to_string(),
            expr,
        })
    }

    /// The condition as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluate against `vars`.
    ///
    /// # Errors
    /// A [`GateError`] when a variable it reads has no value for these reports (e.g.
    /// `prob_over_budget` without a budget).
    pub fn eval(&self, vars: &Variables) -> Result<GateResult, GateError> {
        let mut values = Vec::new();
        let holds = eval(&self.expr, vars, &mut values).map_err(|message| GateError {
            expr: self.text.clone(),
            message,
        })?;
        Ok(GateResult {
            condition: self.text.clone(),
            holds,
            values,
        })
    }
}

fn eval(e: &Expr, vars: &Variables, seen: &mut Vec<(String, f64)>) -> Result<bool, String> {
    let mut val = |o: &Operand| -> Result<f64, String> {
        match o {
            Operand::Num(x) => Ok(*x),
            Operand::Var(n) => {
                let x = vars
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| Err(format!("`{n}` has no value")))
                    .map_err(|why| format!("`{n}` has no value: {why}"))?;
                // NaN compares false with everything: a gate reading it would pass silently.
                if x.is_nan() {
                    return Err(format!(
                        "`{n}` is not a number (NaN) in these reports; regenerate them — a cost gate cannot judge a broken forecast"
                    ));
                }
                if !seen.iter().any(|(k, _)| k == n) {
                    seen.push((n.to_string(), x));
                }
                Ok(x)
            }
        }
    };
    match e {
        Expr::Cmp(a, op, b) => {
            let x = val(a)?;
            let y = val(b)?;
            Ok(op.apply(x, y))
        }
        // Both sides are evaluated (no short circuit) so every value read is reported.
        Expr::And(a, b) => {
            let x = eval(a, vars, seen)?;
            let y = eval(b, vars, seen)?;
            Ok(x && y)
        }
        Expr::Or(a, b) => {
            let x = eval(a, vars, seen)?;
            let y = eval(b, vars, seen)?;
            Ok(x || y)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        let base = Stats {
            mean: 100.0,
            p50: 90.0,
            p90: 150.0,
            p95: 200.0,
            p99: 300.0,
            p95_se: 1.0,
            prob_over_budget: None,
        };
        let mut head = base;
        head.p95 = 230.0;
        variables(&base, &head, &Delta::between(&base, &head), None, "2027-01")
    }

    fn holds(text: &str) -> bool {
        Condition::parse(text)
            .unwrap_or_else(|e| panic!("{e}"))
            .eval(&vars())
            .unwrap_or_else(|e| panic!("{e}"))
            .holds
    }

    #[test]
    fn comparisons_and_combinations_evaluate() {
        assert!(holds("delta_p95_pct > 10"));
        assert!(!holds("delta_p95_pct > 15"));
        assert!(holds("p95 >= 230"));
        assert!(holds("p95 > $200"));
        assert!(holds("10 < delta_p95_pct"));
        assert!(holds("p95 > 1k and mean < 1,000 or p50 == 90"));
        assert!(!holds("(p95 > 1k or mean > 1000) && p50 == 90"));
        assert!(holds("delta_mean == 0 && delta_p95 != 0"));
        assert!(holds("delta_p95 > -5"));
    }

    #[test]
    fn bad_expressions_name_the_problem_and_the_choices() {
        for (text, needle) in [
            ("mena > 10", "did you mean `mean`"),
            ("p95 >", "ends early"),
            ("p95 = 10", "use =="),
            ("p95 10", "expected an operator"),
            ("1 > 2", "compare a variable"),
            ("(p95 > 1", "not closed"),
            ("p95 > 1 p50", "unexpected"),
            ("", "empty"),
            ("p95 > 12x", "not a number"),
        ] {
            let e = Condition::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
            assert!(e.contains("Variables: mean, p50"), "{e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn a_nan_value_is_an_error_not_a_pass() {
        let mut v = vars();
        v.insert("p95", Ok(f64::NAN));
        for text in ["p95 > 12000", "p95 <= 12000", "mean > 1 or p95 > 12000"] {
            let e = Condition::parse(text)
                .unwrap()
                .eval(&v)
                .unwrap_err()
                .to_string();
            assert!(e.contains("`p95` is not a number"), "{text}: {e}");
        }
    }

    #[test]
    fn missing_values_are_errors_not_false() {
        let c = Condition::parse("prob_over_budget > 0.1").unwrap();
        let e = c.eval(&vars()).unwrap_err().to_string();
        assert!(e.contains("no budget"), "{e}");
    }
}

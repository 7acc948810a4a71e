#!/usr/bin/env python3
"""A vectorised numpy reference of billcast's exact session loop, and billcast's exact engine
timed against it per simulated model call, side by side in one run (issue 22).

The workload is support-bot's regular cohort on GPT-6.1 Sol, with every number fixed:
- sessions of 1 + Poisson(3) turns; each turn has Poisson(1.5) tool rounds, one tool call each,
  so a turn makes rounds + 1 model calls;
- a call's new content is the user message (first call of a turn; lognormal, median 50 tokens,
  sigma 1.0) or the previous round's tool result (lognormal, median 400, sigma 1.2), rounded
  up to whole tokens; the full history is re-sent: input = system prompt (1,500) + every
  earlier call's new content and visible output + this call's new content;
- output: lognormal (median 150, sigma 0.8), rounded up, capped at 2,048;
- caching of the system prompt (the breakpoint after it): 1,408 cacheable tokens (1,500 rounded
  down to GPT-6.1 Sol's 128-token cache unit); a hit (probability 0.8) reads them at the cache
  rate, a miss writes them at the cache-write rate; the rest of the input is uncached;
- timeouts: each attempt fails with probability 0.03, is billed in full (input and its own
  output), and the call is retried, at most 3 attempts; only the successful attempt's output
  joins the history.
Cost per call at GPT-6.1 Sol's rates (per 1M tokens: input $2.00, cache read $0.10, cache
write $2.50, output $10.00).

The reference draws every session of a batch at once (numpy arrays over sessions, then over
calls with segment sums for the history), which is how one would vectorise the loop in
Python. billcast runs the same workload as a scenario in exact mode (its release binary:
`cargo build --release` first). Both print the time per simulated call and the mean USD per
call, which must agree within Monte Carlo error (the check that the two simulate the same
thing).

numpy is a measuring tool only, never a dependency of billcast or its CI.

Measured 2026-12-07 on the shared 2-vCPU VM (load average about 4 from other jobs), 2e7 calls
a side: numpy 938 ns per call, billcast exact 46 ns per call (release binary, 2 threads): 20.4x;
USD per call 0.012652 vs 0.012643 (same workload). Earlier, at 2e6 calls: 26x.

Run:  python3 scripts/numpy-reference.py [--calls 20000000] [--billcast target/release/billcast]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SYSTEM = 1500.0
CACHEABLE = 1408.0  # floor(1500 / 128) * 128
HIT = 0.8
FAIL = 0.03
MAX_ATTEMPTS = 3
CAP = 2048.0
RATES = {"input": 2.00, "cache_read": 0.10, "cache_write": 2.50, "output": 10.00}

SCENARIO = """schema_version = 1
name = "numpy-reference"
start_month = "2027-01"
horizon_months = 1
[simulation]
trials = {trials}
seed = 1
mode = "exact"
[traffic]
sessions_per_month = {sessions}
[workload]
system_prompt_tokens = 1500
turns_per_session = {{ dist = "poisson", mean = 3, offset = 1 }}
user_message_tokens = {{ dist = "lognormal", median = 50, sigma = 1.0 }}
output_tokens = {{ dist = "lognormal", median = 150, sigma = 0.8 }}
max_output_tokens = 2048
reasoning_tokens = 0
tool_rounds_per_turn = {{ dist = "poisson", mean = 1.5 }}
tool_calls_per_round = 1
tool_result_tokens = {{ dist = "lognormal", median = 400, sigma = 1.2 }}
context = {{ policy = "full" }}
[caching]
hit_rate = 0.8
write_ttl = "5m"
[retries]
max_attempts = 3
rate_limit = {{ p = 0.0, billed = false }}
timeout = {{ p = 0.03, billed = true }}
invalid_output = {{ p = 0.0, billed = true }}
[[routes]]
model = "openai/gpt-6.1-sol"
share = 1.0
"""


def lognormal(rng, median, sigma, n):
    return np.ceil(median * np.exp(sigma * rng.standard_normal(n)))


def simulate(rng, sessions):
    """USD and (calls, attempts) of `sessions` sessions, all drawn at once."""
    turns = 1 + rng.poisson(3.0, sessions)
    t_total = int(turns.sum())
    rounds = rng.poisson(1.5, t_total)
    calls_per_turn = rounds + 1
    n_calls = int(calls_per_turn.sum())
    # Per call: its session, whether it opens a turn.
    turn_session = np.repeat(np.arange(sessions), turns)
    call_session = np.repeat(turn_session, calls_per_turn)
    turn_start = np.zeros(n_calls, dtype=bool)
    turn_start[np.concatenate(([0], np.cumsum(calls_per_turn)[:-1]))] = True
    new = np.where(
        turn_start,
        lognormal(rng, 50.0, 1.0, n_calls),
        lognormal(rng, 400.0, 1.2, n_calls),
    )
    # Attempts: fail with FAIL each, at most MAX_ATTEMPTS; every attempt draws its output.
    u = rng.random((MAX_ATTEMPTS, n_calls))
    failed = u < FAIL
    attempts = np.ones(n_calls)
    alive = failed[0].copy()
    for k in range(1, MAX_ATTEMPTS):
        attempts += alive
        alive &= failed[k]
    ok = ~alive  # some attempt succeeded
    outs = np.minimum(
        np.ceil(150.0 * np.exp(0.8 * rng.standard_normal((MAX_ATTEMPTS, n_calls)))), CAP
    )
    k = np.arange(MAX_ATTEMPTS)[:, None]
    billed = k < attempts[None, :]
    out_billed = (outs * billed).sum(axis=0)
    last = np.take_along_axis(outs, (attempts - 1).astype(int)[None, :], axis=0)[0]
    out_hist = np.where(ok, last, 0.0)
    # History before each call: exclusive cumulative sum of new + output within the session.
    grow = new + out_hist
    csum = np.cumsum(grow)
    excl = csum - grow
    first_call = np.concatenate(([0], np.cumsum(np.bincount(call_session, minlength=sessions))[:-1]))
    excl -= np.repeat(excl[first_call], np.bincount(call_session, minlength=sessions))
    total_in = SYSTEM + excl + new
    # Cache: each billed attempt hits with HIT (reads the prefix) or misses (writes it).
    hits = (rng.random((MAX_ATTEMPTS, n_calls)) < HIT) & billed
    n_hits = hits.sum(axis=0)
    n_miss = attempts - n_hits
    read = n_hits * CACHEABLE
    write = n_miss * CACHEABLE
    uncached = attempts * total_in - read - write
    usd = (
        uncached * RATES["input"]
        + read * RATES["cache_read"]
        + write * RATES["cache_write"]
        + out_billed * RATES["output"]
    ) / 1e6
    return float(usd.sum()), int(ok.sum()), float(attempts.sum())


def numpy_run(target_calls, seed):
    rng = np.random.default_rng(seed)
    batch = 200_000  # sessions per batch (about 2.5 M calls, a few hundred MB of arrays)
    usd = calls = attempts = 0.0
    start = time.perf_counter()
    while calls < target_calls:
        u, c, a = simulate(rng, batch)
        usd += u
        calls += c
        attempts += a
    return time.perf_counter() - start, usd, calls, attempts


def billcast_run(binary, target_calls):
    # 4 turns × 2.5 calls per session on average; 20 trials of equal size.
    trials = 20
    sessions = max(1000, int(target_calls / 10.0 / trials))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "numpy-reference.toml")
        with open(path, "w") as f:
            f.write(SCENARIO.format(trials=trials, sessions=sessions))
        start = time.perf_counter()
        out = subprocess.run(
            [binary, "forecast", path, "--format", "json", "-q"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        elapsed = time.perf_counter() - start
    report = json.loads(out)
    m = report["months"][0]
    calls = m["volumes"]["calls"] * trials
    attempts = m["volumes"]["attempts"] * trials
    usd = m["mean"] * trials
    return elapsed, usd, calls, attempts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=float, default=2e7, help="simulated calls per side")
    ap.add_argument("--billcast", default="target/release/billcast")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not os.path.exists(a.billcast):
        sys.exit(f"{a.billcast} not found: run cargo build --release first (or pass --billcast)")
    rows = []
    for name, fn in [
        ("numpy", lambda: numpy_run(a.calls, a.seed)),
        ("billcast exact", lambda: billcast_run(a.billcast, a.calls)),
    ]:
        elapsed, usd, calls, attempts = fn()
        rows.append((name, elapsed, calls, attempts, usd))
    print(f"{'':16} {'seconds':>9} {'calls':>12} {'ns/call':>9} {'USD/call':>12} {'attempts/call':>14}")
    for name, elapsed, calls, attempts, usd in rows:
        print(
            f"{name:16} {elapsed:9.2f} {calls:12.0f} {elapsed / calls * 1e9:9.1f} "
            f"{usd / calls:12.4e} {attempts / calls:14.4f}"
        )
    (_, tn, cn, _, _), (_, tb, cb, _, _) = rows
    print(f"billcast is {(tn / cn) / (tb / cb):.1f}x faster per simulated call "
          f"(billcast's time includes process start, price book and report)")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# End-to-end test of the GitHub Action's script (scripts/billcast-action.sh) without GitHub: a
# throw-away git repository with two commits that differ only in the system prompt file. The
# cost gate must trip on the longer prompt and the comment must name the prompt file; an
# unchanged prompt must pass; with a token set, a stub `gh` checks that the first run posts one
# comment and the next run updates it instead of posting another.
#
# Usage: scripts/action-selftest.sh [path/to/billcast]   (default: target/debug/billcast)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/target/debug/billcast}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
[ -x "$bin" ] || { echo "action-selftest: no billcast binary at $bin (cargo build first)" >&2; exit 1; }
action="$here/scripts/billcast-action.sh"

fail() {
  echo "action-selftest: FAIL: $*" >&2
  exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/billcast-selftest.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
repo="$tmp/repo"
mkdir -p "$repo/prompts" "$repo/billing"
cd "$repo"
git init --quiet
git config user.email selftest@example.invalid
git config user.name "action selftest"
git config commit.gpgsign false

cp "$here/examples/artifacts/prompts/support.md" prompts/support.md
cat >billing/support.toml <<'EOF'
schema_version = 1
name = "selftest"
start_month = "2027-01"
horizon_months = 3
[traffic]
sessions_per_month = "20000 to 60000"
[workload]
system_prompt = { file = "../prompts/support.md" }
turns_per_session = { dist = "poisson", mean = 3, offset = 1 }
user_message_tokens = { dist = "lognormal", median = 60, sigma = 0.8 }
output_tokens = { dist = "lognormal", median = 150, sigma = 0.6 }
[[routes]]
model = "openai/gpt-5.4-mini"
EOF
git add -A && git commit --quiet -m "base"
base=$(git rev-parse HEAD)
# The pull request: the same prompt four times over, nothing else.
for _ in 1 2 3; do cat "$here/examples/artifacts/prompts/support.md" >>prompts/support.md; done
git commit --quiet -am "longer prompt"
[ "$(git diff --name-only "$base" HEAD)" = "prompts/support.md" ] || fail "the commits differ in more than the prompt"

run() {
  BILLCAST_BIN="$bin" BILLCAST_SCENARIO=billing/support.toml BILLCAST_BASE="$base" BILLCAST_SEED=7 BILLCAST_TRIALS=300 \
    BILLCAST_FAIL_IF=$'delta_p95_pct > 10\n\np95 > 1e12' BILLCAST_OUT="$tmp/out" \
    GITHUB_OUTPUT="$tmp/github-output" "$@"
}

# 1. The longer prompt trips the gate (exit 3) and the comment names the prompt file.
set +e
run env -u GH_TOKEN "$action" >"$tmp/log" 2>&1
code=$?
set -e
cat "$tmp/log"
[ "$code" = 3 ] || fail "expected exit 3 (gate tripped), got $code"
comment="$tmp/out/comment.md"
head -n1 "$comment" | grep -qF '[//]: <> (billcast)' || fail "the comment lacks the hidden marker"
grep -q 'workload.system_prompt.*prompts/support.md changed' "$comment" \
  || fail "the comment does not name the changed prompt: $(cat "$comment")"
grep -q 'Cost gate failed' "$comment" && grep -qF '❌ `delta_p95_pct > 10`' "$comment" \
  || fail "the comment does not show the failed gate"
grep -qx 'gate=fail' "$tmp/github-output" || fail "GITHUB_OUTPUT lacks gate=fail"
grep -q 'comment not posted' "$tmp/log" || fail "without a token the script must say it did not post"

# 2. Base = head: nothing changed, the gate passes.
set +e
run env -u GH_TOKEN BILLCAST_BASE=HEAD "$action" >"$tmp/log" 2>&1
code=$?
set -e
[ "$code" = 0 ] || { cat "$tmp/log"; fail "expected exit 0 for an unchanged prompt, got $code"; }

# 3. With a token: a stub gh (recording its calls) posts the comment once, then updates it.
mkdir -p "$tmp/stub"
cat >"$tmp/stub/gh" <<EOF
#!/usr/bin/env bash
echo "\$*" >>"$tmp/gh-calls"
# Listing comments: answer with the id once a comment was posted.
if [ "\$1" = api ] && [ "\${2:-}" = "repos/o/r/issues/5/comments" ]; then
  grep -q -- '-X POST' "$tmp/gh-calls" && echo 99
fi
exit 0
EOF
chmod +x "$tmp/stub/gh"
for _ in 1 2; do
  set +e
  run env PATH="$tmp/stub:$PATH" GH_TOKEN=t GITHUB_REPOSITORY=o/r BILLCAST_PR=5 \
    BILLCAST_BASE="$base" "$action" >"$tmp/log" 2>&1
  code=$?
  set -e
  [ "$code" = 3 ] || { cat "$tmp/log"; fail "expected exit 3 with a token, got $code"; }
done
[ "$(grep -c -- '-X POST repos/o/r/issues/5/comments' "$tmp/gh-calls")" = 1 ] \
  || fail "expected one posted comment: $(cat "$tmp/gh-calls")"
[ "$(grep -c -- '-X PATCH repos/o/r/issues/comments/99' "$tmp/gh-calls")" = 1 ] \
  || fail "expected the second run to update comment 99: $(cat "$tmp/gh-calls")"

echo "action-selftest: ok (gate tripped on the longer prompt, passed unchanged; posted once, then updated)"

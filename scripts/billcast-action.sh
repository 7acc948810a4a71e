#!/usr/bin/env bash
# The logic of the billcast GitHub Action (action.yml): forecast a scenario at the base and at
# the head of a pull request with the same seed and trials, diff them into a Markdown comment,
# post or update that one comment, and fail when a --fail-if condition holds.
#
# Runs without GitHub too: with no GH_TOKEN (or no PR number) the comment is only written to
# $BILLCAST_OUT/comment.md. Run it from inside the git repository, on the head checkout.
#
# Environment (the action's inputs):
#   BILLCAST_SCENARIO  scenario file, relative to the repository root (required)
#   BILLCAST_BASE      base commit (sha, branch or tag) (required)
#   BILLCAST_SEED      seed, same on both sides (default 42)
#   BILLCAST_TRIALS    trials, same on both sides (default 10000)
#   BILLCAST_FAIL_IF   conditions, one per line, for `billcast diff --fail-if` (optional)
#   BILLCAST_ARGS      extra `billcast forecast` arguments, e.g. --pricing pricing/ (optional)
#   BILLCAST_BIN       the billcast binary (default: billcast on PATH)
#   BILLCAST_OUT       folder for base.json, head.json, comment.md (default: billcast-out)
#   GH_TOKEN, GITHUB_REPOSITORY, BILLCAST_PR   post the comment with `gh api` when all are set
#   GITHUB_OUTPUT      when set, receives gate=pass|fail, comment=PATH, base-json=, head-json=
#
# Exit codes: 0 no condition holds; 3 a condition holds (the comment is posted first); 2 bad
# inputs; 1 anything else (a forecast failed, git or gh failed).
set -euo pipefail

die() {
  echo "billcast-action: $*" >&2
  exit 2
}

scenario=${BILLCAST_SCENARIO:-}
base=${BILLCAST_BASE:-}
seed=${BILLCAST_SEED:-42}
trials=${BILLCAST_TRIALS:-10000}
bin=${BILLCAST_BIN:-billcast}
[ -n "$scenario" ] || die "no scenario: set the 'scenario' input (a path relative to the repository root)"
[ -n "$base" ] || die "no base commit: set the 'base' input (in a pull_request workflow: github.event.pull_request.base.sha)"
[[ "$seed" =~ ^[0-9]+$ ]] || die "seed '$seed' is not a whole number"
[[ "$trials" =~ ^[0-9]+$ ]] || die "trials '$trials' is not a whole number"
command -v "$bin" >/dev/null 2>&1 || die "billcast binary '$bin' not found; install it or set BILLCAST_BIN"
bin=$(command -v "$bin")
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac

root=$(git rev-parse --show-toplevel) || die "not inside a git repository"
out=${BILLCAST_OUT:-billcast-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/base.json" "$out/head.json" "$out/comment.md"
[ -f "$root/$scenario" ] || die "$scenario: no such file at the head (give a path relative to the repository root)"

# The base commit: fetch it when the checkout is shallow and lacks it.
if ! git -C "$root" cat-file -e "$base^{commit}" 2>/dev/null; then
  git -C "$root" fetch --quiet --depth=1 origin "$base" \
    || die "base commit '$base' is neither in the checkout nor fetchable from origin"
  base=$(git -C "$root" rev-parse FETCH_HEAD)
fi

# Arguments shared by both sides: same seed and trials, so the two forecasts share their draws.
read -r -a extra <<<"${BILLCAST_ARGS:-}"
forecast=(forecast --seed "$seed" --trials "$trials" --quiet --format json "${extra[@]}")

work=$(mktemp -d "${TMPDIR:-/tmp}/billcast-action.XXXXXX")
cleanup() {
  git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$root" worktree add --quiet --detach "$work/base" "$base"

comment="$out/comment.md"
marker='[//]: <> (billcast)'
if [ -f "$work/base/$scenario" ]; then
  (cd "$work/base" && "$bin" "${forecast[@]}" "$scenario" -o "$out/base.json")
  (cd "$root" && "$bin" "${forecast[@]}" "$scenario" -o "$out/head.json")
  gate=()
  while IFS= read -r cond; do
    [ -n "${cond//[[:space:]]/}" ] && gate+=(--fail-if "$cond")
  done <<<"${BILLCAST_FAIL_IF:-}"
  set +e
  (cd "$out" && "$bin" diff base.json head.json --format markdown -o comment.md "${gate[@]}")
  code=$?
  set -e
  # 0 = pass, 3 = a condition holds; anything else is an error and nothing is posted.
  if [ "$code" != 0 ] && [ "$code" != 3 ]; then
    exit "$code"
  fi
else
  # A scenario new in this pull request has no base to compare: show the head forecast, and
  # say that the conditions were not checked.
  if [ -n "${BILLCAST_FAIL_IF//[[:space:]]/}" ]; then
    echo "billcast-action: warning: $scenario is not in the base $base; the fail-if conditions were not checked" >&2
  fi
  (cd "$root" && "$bin" "${forecast[@]}" "$scenario" -o "$out/head.json")
  {
    echo "$marker"
    echo
    echo "**billcast**: \`$scenario\` is new in this pull request (not in the base $base), so there is no diff and no cost gate; its forecast:"
    echo
    "$bin" render "$out/head.json" --format markdown | grep -vF "$marker"
  } >"$comment"
  code=0
fi

# Post or update the one comment that carries the marker.
if [ -n "${GH_TOKEN:-}" ] && [ -n "${BILLCAST_PR:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
  api="repos/$GITHUB_REPOSITORY/issues"
  id=$(gh api "$api/$BILLCAST_PR/comments" --paginate \
    --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n1)
  if [ -n "$id" ]; then
    gh api --silent -X PATCH "$api/comments/$id" -F body=@"$comment"
    echo "billcast-action: updated comment $id on #$BILLCAST_PR"
  else
    gh api --silent -X POST "$api/$BILLCAST_PR/comments" -F body=@"$comment"
    echo "billcast-action: posted a comment on #$BILLCAST_PR"
  fi
else
  echo "billcast-action: no GH_TOKEN, GITHUB_REPOSITORY or PR number: comment not posted, written to $comment"
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    if [ "$code" = 3 ]; then echo "gate=fail"; else echo "gate=pass"; fi
    echo "comment=$comment"
    [ -f "$out/base.json" ] && echo "base-json=$out/base.json"
    echo "head-json=$out/head.json"
  } >>"$GITHUB_OUTPUT"
fi
exit "$code"

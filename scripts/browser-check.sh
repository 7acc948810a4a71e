#!/usr/bin/env bash
# Open a billcast design-review pack's report.html in headless Chromium and fail unless it
# renders cleanly: not blank, no console errors, no failed or external loads, every chart laid
# out, every section present. Saves the screenshot as REPORT_DIR/browser-check.png.
#
# Usage:  scripts/browser-check.sh REPORT_DIR      (the folder written by `billcast report -o`)
#
# Installs Debian's `chromium` package when no Chromium is found (CHROMIUM=/path overrides the
# search). If it cannot be installed the script FAILS: CI must never skip this check silently.
#
# How: scripts/browser-check.py drives Chromium over the DevTools protocol on a pipe
# (--remote-debugging-pipe). It subscribes to console, log and network events *before* loading
# the page, so errors during load are seen; then it asks the page what it laid out and takes a
# screenshot, which it decodes (zlib, standard library) to check it is not blank. First it runs
# the same checks on a deliberately broken page and requires them to fail, which proves the
# detector works with the installed Chromium version (a checker that can no longer see errors
# would otherwise pass everything).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: scripts/browser-check.sh REPORT_DIR}"
page="$dir/report.html"
if [ ! -f "$page" ]; then
  echo "browser-check: $page not found; write it first: billcast report SCENARIO -o $dir" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "browser-check: FAILED: python3 is required" >&2; exit 1; }

find_chromium() {
  local c
  for c in "${CHROMIUM:-}" chromium chromium-browser google-chrome-stable google-chrome; do
    if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if ! chromium="$(find_chromium)"; then
  echo "== browser-check: installing Debian's chromium package"
  if [ "$(id -u)" -eq 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "browser-check: FAILED: no Chromium, and not root (nor sudo) to apt-get install chromium" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Try without refreshing the package lists first (fast on a warm image), then with.
  if ! $sudo apt-get install -y -q chromium >/dev/null 2>&1; then
    $sudo apt-get update -q >/dev/null 2>&1 || true
    if ! $sudo apt-get install -y -q chromium; then
      echo "browser-check: FAILED: could not install chromium; the HTML report was NOT checked" >&2
      exit 1
    fi
  fi
  chromium="$(find_chromium)" || {
    echo "browser-check: FAILED: chromium was installed but is not on PATH" >&2
    exit 1
  }
fi
echo "== browser-check: $("$chromium" --version 2>/dev/null | head -n1 || echo "$chromium")"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 1. Self-test on a page with every fault the check must catch.
mkdir -p "$tmp/selftest"
cat >"$tmp/selftest/broken.html" <<'HTML'
<!DOCTYPE html><html><head><title>broken</title></head><body>
<h1>broken on purpose</h1>
<img src="missing.png" alt="missing local image">
<img src="https://billcast.invalid/remote.png" alt="remote image">
<script>console.error("selftest-console-error")</script>
</body></html>
HTML
set +e
python3 "$here/browser-check.py" --chromium "$chromium" "$tmp/selftest/broken.html" >"$tmp/selftest.log" 2>&1
status=$?
set -e
missed=""
grep -q "console error: selftest-console-error" "$tmp/selftest.log" || missed="$missed console-error"
grep -q "images failed to load" "$tmp/selftest.log" || missed="$missed broken-image"
grep -q "external request: https://billcast.invalid" "$tmp/selftest.log" || missed="$missed external-fetch"
grep -q "script> elements" "$tmp/selftest.log" || missed="$missed script"
if [ "$status" -ne 1 ] || [ -n "$missed" ]; then
  echo "browser-check: FAILED: the checker did not catch a broken page (exit $status; missed:${missed:- none})" >&2
  cat "$tmp/selftest.log" >&2
  exit 1
fi
echo "   self-test: a broken page is caught (console error, broken image, external fetch, script)"

# 2. The report itself: the forecast's sections and five charts always; each optional section
# the pack holds (the overhead of a second provider, and the decision: variants compared, the
# largest value under budget, what drives the bill) must be laid out too, one chart each.
svgs=5
optional=()
for id in overhead compare solve sensitivity; do
  if grep -q "<section id=\"$id\">" "$page"; then
    optional+=(--require-id "$id")
    svgs=$((svgs + 1))
  fi
done
echo "   optional sections present: ${optional[*]:-none}"
python3 "$here/browser-check.py" --chromium "$chromium" "$page" \
  --min-svgs "$svgs" \
  --require-id headline --require-id percentiles --require-id distribution \
  --require-id breakdown --require-id naive --require-id assumptions \
  --require-id warnings --require-id provenance "${optional[@]}" \
  --screenshot "$dir/browser-check.png"

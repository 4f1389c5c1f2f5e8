#!/usr/bin/env bash
# Takes a screenshot of the backtest HTML report in headless Chromium, for the README:
#   scripts/report-screenshot.sh [OUT.png]     (default docs/report.png)
# Runs the README's sample backtest (fixtures/backtest.yaml on the synthetic candles) with
# --report into a temporary directory, then renders report.html at 1000 px wide.
# Uses $ALPHASTOCK_BIN, else the newest of target/release and target/debug (cargo build -p
# alphastock-cli), else `alphastock` on the PATH; and Chromium (Debian: apt-get install -y chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/report.png}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

# ALPHASTOCK_BIN if set, else the newest of this checkout's builds, else the one on the PATH.
bin="${ALPHASTOCK_BIN:-}"
if [ -z "$bin" ]; then
  bin="$(ls -t target/release/alphastock target/debug/alphastock 2>/dev/null | head -n 1 || true)"
fi
if [ -z "$bin" ]; then bin="$(command -v alphastock || true)"; fi
if [ -z "$bin" ]; then
  echo "no alphastock binary: cargo build -p alphastock-cli (or cargo install --locked --path alphastock-cli)" >&2
  exit 1
fi
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
  echo "no Chromium: apt-get install -y chromium" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" backtest --config fixtures/backtest.yaml --data fixtures/candles/synthetic_5min.csv \
  --report "$work" >/dev/null 2>&1
mkdir -p "$(dirname "$out")"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
  --user-data-dir="$work/profile" --window-size=1000,3300 \
  --screenshot="$out" "file://$work/report.html" >"$work/chromium.log" 2>&1 || true
if [ ! -s "$out" ]; then
  echo "Chromium wrote no screenshot; its output:" >&2
  cat "$work/chromium.log" >&2
  exit 1
fi
echo "screenshot written to $out"

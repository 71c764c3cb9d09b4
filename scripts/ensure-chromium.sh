#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the status page's browser test
# (packages/core/test/observability/status-page.browser.test.ts). Does nothing when a Chromium is
# already there (or CHROMIUM_PATH names one); otherwise installs the `chromium` package with apt.
# Never fails the caller: without a browser, the test itself fails in CI and skips loudly elsewhere.
set -uo pipefail

for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "[ensure-chromium] found $candidate"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "[ensure-chromium] no Chromium and no apt-get; install Chromium and set CHROMIUM_PATH"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "[ensure-chromium] no Chromium, and installing it needs root"
    exit 0
  fi
fi
echo "[ensure-chromium] installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
  echo "[ensure-chromium] installed $(command -v chromium)"
else
  echo "[ensure-chromium] installing chromium failed"
fi
exit 0

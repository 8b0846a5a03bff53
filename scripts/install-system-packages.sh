#!/usr/bin/env bash
# The browser tests need a real Chromium and CJK fonts (without fonts-noto-cjk, Chinese
# renders as boxes in screenshots). Playwright cannot download its own browser here, so we
# use Debian's package and point Playwright at /usr/bin/chromium. LibreOffice Calc reads
# the XLSX downloads back in a test, as a second reader beside openpyxl.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v soffice >/dev/null || need+=(libreoffice-calc-nogui)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${need[*]}. Install them with your package manager" >&2
  echo "(Debian/Ubuntu: sudo apt-get install ${need[*]})." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig

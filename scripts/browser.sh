# Sourced by scripts/test.sh: the browser tests drive Debian's Chromium through Playwright (never a browser that
# Playwright downloads). Install it when missing and this user may; otherwise those tests skip and say why.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's chromium for the browser tests..." >&2
    (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
      || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1)) \
      || echo "Could not install chromium: the browser tests will skip (or fail under CI=true)." >&2
  else
    echo "Chromium is missing: run 'sudo apt-get install chromium chromium-driver' for the browser tests." >&2
  fi
fi

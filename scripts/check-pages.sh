#!/usr/bin/env bash
# Checks lam's HTML pages in headless Chromium (docs/reliability.md): every image decoded, every local link
# resolves (linked .html pages are checked too, each once), nothing fetched from outside, no script error;
# one full-page PNG screenshot per page. Installs Chromium from Debian's packages when it is missing.
# Prints one line per page; exits non-zero when a page failed.
#
#   scripts/check-pages.sh [--screenshots DIR (default /tmp/lam-pages)] PAGE.html...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  "$here/apt-install.sh" check-pages "${missing[@]}"
  command -v chromium >/dev/null 2>&1 || { echo "check-pages: chromium still missing after installing" >&2; exit 1; }
fi

# The checker ends the browser itself; the trap covers a checker that was killed or interrupted. The checker
# runs in the background so that a signal reaches the trap at once, not when the checker is done.
state=$(mktemp -d /tmp/lam-check-pages.XXXXXX)
checker=""
cleanup() {
  [ -n "$checker" ] && kill "$checker" 2>/dev/null || true
  if [ -s "$state/browser.pid" ]; then
    local group
    group=$(cat "$state/browser.pid")
    # The browser's whole process group; a throwaway profile needs no graceful shutdown.
    kill -KILL -- "-$group" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$group" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$state" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
python3 "$here/check_pages.py" --state "$state" "$@" &
checker=$!
status=0
wait "$checker" || status=$?
checker=""
exit "$status"

#!/usr/bin/env bash
# Shows that scripts/check-pages.sh can fail: writes a good page (an embedded PNG, a link to a second page,
# to a file and to an anchor) and three bad ones (a data-URI image that does not decode, a link to a missing
# file, an image fetched from outside), and demands that the checker passes the first and fails each bad one
# for its own reason. Prints one line per case; exits non-zero when the checker misjudged one.
#
#   scripts/check-pages-selftest.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d /tmp/lam-pages-selftest.XXXXXX)
trap 'rm -rf "$work"' EXIT

# A 2x2 PNG (red, green, blue, white) made here, so the good page's image is known to be valid.
png=$(python3 - <<'EOF'
import base64, struct, zlib
rows = [b"\0" + bytes([255, 0, 0, 0, 255, 0]), b"\0" + bytes([0, 0, 255, 255, 255, 255])]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))
print(base64.b64encode(png).decode())
EOF
)
mkdir -p "$work/good/more" "$work/shots"
cat > "$work/good/index.html" <<EOF
<!doctype html><html><head><meta charset="utf-8"><title>good</title></head><body>
<h1 id="top">good</h1><img src="data:image/png;base64,$png" width="64" height="64" alt="2x2">
<p><a href="more/page.html#part">second page</a> <a href="notes.txt">notes</a> <a href="#top">top</a></p>
</body></html>
EOF
cat > "$work/good/more/page.html" <<EOF
<!doctype html><html><body><h2 id="part">second</h2><a href="../index.html">back</a>
<img src="data:image/png;base64,$png" alt="2x2"></body></html>
EOF
echo notes > "$work/good/notes.txt"
# The same PNG cut short: a data: URI the browser cannot decode.
echo "<!doctype html><img src=\"data:image/png;base64,${png:0:40}\" alt=\"cut\">" > "$work/broken-image.html"
echo '<!doctype html><a href="runs/missing/report/index.html">a run</a>' > "$work/missing-link.html"
echo '<!doctype html><img src="https://example.com/plot.png" alt="outside">' > "$work/external-image.html"

failures=0
# expect CASE PAGE STATUS TEXT: the checker's exit status is STATUS and its output contains TEXT.
expect() {
  local status=0 output
  output=$(cd "$work" && "$here/check-pages.sh" --screenshots shots "$2" 2>&1) || status=$?
  if [ "$status" -eq "$3" ] && grep -qF -- "$4" <<<"$output"; then
    echo "ok $1: exit $status, \"$4\""
  else
    echo "FAIL $1: expected exit $3 and \"$4\", got exit $status:"
    sed 's/^/    /' <<<"$output"
    failures=$((failures + 1))
  fi
}
expect "good page" good/index.html 0 "ok good/more/page.html: 1 images, 1 links"
expect "broken data-URI image" broken-image.html 1 "FAIL broken-image.html: image not decoded: data:image/png;base64"
expect "missing linked file" missing-link.html 1 "FAIL missing-link.html: broken link: runs/missing/report/index.html"
expect "external image" external-image.html 1 "FAIL external-image.html: external reference in img: https://example.com/plot.png"
[ -s "$work/shots/index.html.png" ] || { echo "FAIL good page: no screenshot"; failures=$((failures + 1)); }
if [ "$failures" -ne 0 ]; then
  echo "check-pages self-test: $failures case(s) misjudged" >&2
  exit 1
fi
echo "check-pages self-test: all 4 cases judged right"

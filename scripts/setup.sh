#!/usr/bin/env bash
# Installs the system libraries lam links against (OpenBLAS, libpng) and pkg-config,
# only when pkg-config cannot already find them. Safe to run any number of times.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists openblas || missing+=(libopenblas-dev)
  pkg-config --exists libpng || missing+=(libpng-dev)
else
  missing+=(libopenblas-dev libpng-dev)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

"$(dirname "$0")/apt-install.sh" setup "${missing[@]}"
for pc in openblas libpng; do
  pkg-config --exists "$pc" || { echo "setup: pkg-config still cannot find $pc after installing" >&2; exit 1; }
done

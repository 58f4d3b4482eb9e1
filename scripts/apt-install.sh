#!/usr/bin/env bash
# Installs Debian packages with apt-get, as root or through sudo; the scripts call it for what they miss.
#
#   scripts/apt-install.sh WHO PACKAGE...    (WHO names the calling script in the messages)
set -euo pipefail
who="$1"
shift
echo "$who: installing $*"
if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "$who: need root or sudo to install $* (apt-get install $*)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq "$@" >/dev/null

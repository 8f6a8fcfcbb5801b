#!/bin/bash
# Installs the Debian packages in dev/deps.txt that are missing, then builds mpiguard in _build
# (and, with --sanitizers, an ASan+UBSan build in _build-san). Safe to run again.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

want=$(for f in dev/deps.txt tests/*/DEPS; do if [ -f "$f" ]; then cat "$f"; fi; done | sed 's/#.*//' | awk 'NF{print $1}' | sort -u)
missing=()
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
    $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

[ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
build() { # dir configure-args...
    local dir=$1; shift
    mkdir -p "$dir"
    (cd "$dir" && { [ -f Makefile ] || ../configure -q "$@"; } && make -j"$(nproc)" >/dev/null)
}
build _build
if [ "${1:-}" = --sanitizers ]; then build _build-san --enable-sanitizers; fi
echo "setup: built in $top/_build" >&2

#!/bin/bash
# fetch-modules.sh CACHE: Debian's environment-modules package unpacked under CACHE (fetched
# once with `apt-get download`, unpacked with `dpkg -x`: it conflicts with the lmod package, so
# it is never installed). Prints the unpacked root; on failure prints why and exits 1.
set -u
cache=${1:?usage: fetch-modules.sh CACHE}
fail() { echo "$*"; exit 1; }
command -v apt-get >/dev/null && command -v dpkg >/dev/null || fail "no apt-get/dpkg to fetch environment-modules"
mkdir -p "$cache/debs" 2>/dev/null || fail "cannot create the cache folder $cache"
cache=$(cd "$cache" && pwd)
# The version apt would install; the newest one unpacked earlier if apt knows none.
version=$(apt-cache policy environment-modules 2>/dev/null | sed -n 's/^ *Candidate: *//p')
[ "$version" = "(none)" ] && version=
if [ -z "$version" ]; then
    root=$(ls -d "$cache"/environment-modules-*/ 2>/dev/null | sort -V | tail -n 1)
    [ -n "$root" ] || fail "apt knows no environment-modules package (apt-get update?) and none is cached in $cache"
    echo "${root%/}"
    exit 0
fi
root=$cache/environment-modules-$version
# Several tests start at once: one fetches, the others wait for it.
exec 9>"$cache/environment-modules.lock"
flock 9
if [ ! -f "$root/.complete" ]; then
    ( cd "$cache/debs" && apt-get download "environment-modules=$version" ) >"$cache/debs/download.log" 2>&1 ||
        fail "apt-get download environment-modules=$version failed: $(grep -m1 -E '^(E|Err):' "$cache/debs/download.log")"
    deb=$(ls -t "$cache"/debs/environment-modules_*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || fail "apt-get download left no environment-modules .deb in $cache/debs"
    rm -rf "$root.tmp" "$root"
    dpkg -x "$deb" "$root.tmp" || fail "dpkg -x $deb failed"
    mv "$root.tmp" "$root"
    touch "$root/.complete"
fi
echo "$root"

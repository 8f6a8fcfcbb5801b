#!/bin/bash
# Builds each libFuzzer target with clang (ASan+UBSan) and runs it for FUZZ_SECONDS (default
# 12; 15 targets, so about 3 minutes) from a seed corpus of real files. The core is compiled
# once and linked into every target. Exit 1 on any crash; prints each target's executions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${FUZZ_SECONDS:-12}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/mpg-fuzz-XXXXXX")}
command -v clang >/dev/null || { echo "fuzz: SKIPPED: clang is not installed (apt-get install clang)" >&2; exit 77; }
# The core's sources as src/Makefile.am lists them (libmpgcore_la_SOURCES), so a new file is
# never left out of the targets' link.
core=()
for c in $(awk '/^libmpgcore_la_SOURCES *[+]?=/ { on = 1 }
                on { for (i = 1; i <= NF; i++) if ($i ~ /[.]c$/) print $i; if ($NF != "\\") on = 0 }' "$top/src/Makefile.am"); do
    core+=("$top/src/$c")
done
[ ${#core[@]} -gt 10 ] || { echo "fuzz: cannot read the core's sources from src/Makefile.am" >&2; exit 1; }
core+=("$top"/src/probe/{probe_out,probe_sizes}.c)
flags=(-g -O1 -std=c11 -D_GNU_SOURCE -I"$top/src" -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=all $(pkg-config --cflags jansson))
libs=($(pkg-config --libs jansson))

mkdir -p "$out/corpus" "$out/core"
objs=()
for c in "${core[@]}"; do
    o=$out/core/$(basename "$(dirname "$c")")_$(basename "$c" .c).o
    clang "${flags[@]}" -c -o "$o" "$c"
    objs+=("$o")
done
seed() { # target files...
    local d="$out/corpus/$1"; shift
    mkdir -p "$d"
    for f in "$@"; do [ -f "$f" ] && cp "$f" "$d/" 2>/dev/null || true; done
}
printf 'e1 1 3 3e 8000001 =libmpi.so.12 ! =$ORIGIN%%2F..%%2Flib =libmpi.so.12 =libc.so.6' > "$out/seed.elfmemo"
seed fuzz_elf /usr/lib/x86_64-linux-gnu/libmpich.so.12 /usr/lib/python3/dist-packages/mpi4py/dl.cpython-311-x86_64-linux-gnu.so \
    "$out/seed.elfmemo"
seed fuzz_ldcache /etc/ld.so.cache
printf '{"name":"mpich","version":"4.0.2","build":"external_0","files":[],"track_features":"mpich_external"}' > "$out/seed.json"
printf 'c1 =mpich =4.0.2%%20rc%%251 =h_100 =https:%%2F%%2Fconda.anaconda.org%%2Fconda-forge =lib%%2Flibmpi.so.12 0' > "$out/seed.memo"
seed fuzz_conda "$out/seed.json" "$out/seed.memo"
printf 'home = /usr/bin\ninclude-system-site-packages = true\nversion = 3.11.2\n' > "$out/pyvenv.cfg"
seed fuzz_pyvenv "$out/pyvenv.cfg"
printf 'mpich\ngcc/12.2.0:mpich/4.0.2:OpenMPI/4.1.5-GCC-12.3.0:mpi/openmpi-x86_64:cray-mpich-abi/8.1.28' > "$out/modules.txt"
seed fuzz_modules "$out/modules.txt"
printf '$HOME/lib:libmpi.so\nopenmpi\n:/usr/lib/x86_64-linux-gnu;$ORIGIN/../lib\n4.1.2' > "$out/search.txt"
seed fuzz_search "$out/search.txt"
seed fuzz_dircache /dev/null
printf "mpiguard-dircache 2\nD\t1\t2\t3\t4\tconda\t/x\nN\ta.json\nend 1\n" > "$out/corpus/fuzz_dircache/seed"
seed fuzz_mpicfg /usr/lib/python3/dist-packages/mpi4py/mpi.cfg
printf 'mpi4py-3.1.6.dist-info\npip\n' > "$out/corpus/seed-distinfo"
seed fuzz_distinfo "$out/corpus/seed-distinfo"
printf '\0#mpiguard.probe-out/1\ninfo\thosts\tn1\tn2\nstatus\tmpi\tok\t\nbw\tmpi\t65536\t1234.5\t100\nlat\tmpi\t8\t1.5\n' > "$out/corpus/seed-probe"
printf '\x018,1K,64K,4M' > "$out/corpus/seed-sizes"
seed fuzz_probe_out "$out/corpus/seed-probe" "$out/corpus/seed-sizes"
printf '$ORIGIN/../lib:${ORIGIN}/x\0/opt/env/lib/python3.11' > "$out/corpus/seed-origin"
seed fuzz_origin "$out/corpus/seed-origin"
printf '\x80ABI_MISMATCH\0warn\0lmod\0alice\0mpich/4.0.2\0venv\0sim\0/home/a b\0-\0-\0-\0MPICC=x pip install\nmore' > "$out/corpus/seed-syslog"
seed fuzz_syslog "$out/corpus/seed-syslog"
printf '/tmp/x;touch y \033]0;t\a caf\xc3\xa9' > "$out/corpus/seed-text"
seed fuzz_text "$out/corpus/seed-text"
seed fuzz_logline "$here/../cli/report.syslog"

status=0
for src in "$here"/fuzz_*.c; do
    name=$(basename "$src" .c)
    extra=()  # `mpiguard report`'s parser and tally live with the CLI
    [ "$name" = fuzz_logline ] && extra=("$top/src/cli/log_parse.c" "$top/src/cli/log_tally.c")
    clang "${flags[@]}" -fsanitize=fuzzer -o "$out/$name" "$src" "${objs[@]}" "${extra[@]}" "${libs[@]}"
    mkdir -p "$out/corpus/$name"
    echo "fuzz: $name for ${secs}s" >&2
    if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "./$name" -max_total_time="$secs" -max_len=65536 \
            -timeout=10 -print_final_stats=1 "corpus/$name" 2> "$name.log"); then
        echo "fuzz: $name FAILED; see $out/$name.log" >&2
        tail -30 "$out/$name.log" >&2
        status=1
    else
        grep -E 'stat::number_of_executed_units' "$out/$name.log" | sed "s/^/fuzz: $name: /" >&2 || true
    fi
done
exit $status

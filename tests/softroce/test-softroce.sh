#!/bin/bash
# test-softroce.sh: the probe's verbs leg against real RDMA verbs (Soft-RoCE
# in a QEMU guest), next to perftest's ib_write_bw on the same device.
#
#   tests/softroce/test-softroce.sh
#
# On the host: builds verbs_driver (mpicc.mpich) and verbs_selftest (with
# ASan+UBSan) into a results folder, checks that the leg skips cleanly here
# (no RDMA in the host kernel). Then ONE guest boot (guest.sh) runs:
#   - the skip agreement (one rank on a missing device: both skip, same line)
#   - a memlock limit too low (64 KiB, no CAP_IPC_LOCK): a skip naming it
#   - the verbs leg between two MPICH ranks over UCX on rxe0
#   - ib_write_bw server+client at the same sizes and iterations
# and asserts non-zero bandwidth at every size for both, and a clean guest
# shutdown (poweroff reached, QEMU exit 0 within the timeout).
#
# Environment: SOFTROCE_SIZES (default 4096,65536,1048576), SOFTROCE_ITERS
# (default 100), SOFTROCE_TIMEOUT (guest limit, default 240 s), MPIGUARD_CACHE.
# Exit: 0 pass, 1 fail, 77 skip (reason on stderr). Prints TAP-style lines.

set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
sizes=${SOFTROCE_SIZES:-4096,65536,1048576}
iters=${SOFTROCE_ITERS:-100}
guest_timeout=${SOFTROCE_TIMEOUT:-240}
start=$(date +%s)
n=0
failed=0

t_ok() { n=$((n + 1)); echo "ok $n - $*"; }
t_fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
t_skip() { echo "SKIP: test-softroce: $*" >&2; echo "1..0 # SKIP $*"; exit 77; }

for t in gcc mpicc.mpich mpiexec.mpich ib_write_bw setpriv; do
	command -v "$t" > /dev/null || t_skip "$t not found (see tests/softroce/DEPS)"
done
[ -r /usr/include/infiniband/verbs.h ] || t_skip "no infiniband/verbs.h (apt-get install libibverbs-dev)"

cache=${MPIGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mpiguard-test}
mkdir -p "$cache" || t_skip "cannot create $cache"
results=$(mktemp -d "$cache/test-softroce.XXXXXX") || t_skip "cannot create a results folder"
bin=$results/bin
mkdir -p "$bin"

# ---- build --------------------------------------------------------------------
cflags="-std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -g"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
if mpicc.mpich $cflags "$top/src/probe/verbs_bw.c" "$here/verbs_driver.c" \
	-o "$bin/verbs_driver" -libverbs > "$results/build.log" 2>&1 &&
	gcc $cflags $san "$top/src/probe/verbs_bw.c" "$here/verbs_selftest.c" \
		-o "$bin/verbs_selftest" -libverbs -pthread >> "$results/build.log" 2>&1; then
	t_ok "build verbs_driver (mpicc.mpich) and verbs_selftest (ASan+UBSan)"
else
	t_fail "build (see $results/build.log)"
	cat "$results/build.log" >&2
	echo "FAIL: test-softroce: build failed"
	exit 1
fi

# ---- host: no RDMA here, the leg must say so and nothing else ----------------
host_out=$("$bin/verbs_selftest" run 2>&1)
host_rc=$?
if [ "$host_rc" = 77 ] && [[ $host_out == *"why: no RDMA device"* ]] &&
	[[ $host_out != *ERROR* ]]; then
	t_ok "host: verbs leg skips cleanly under ASan ($(head -n 1 <<< "$host_out" | sed 's/.*why: //'))"
elif [ "$host_rc" = 0 ]; then
	t_ok "host: verbs leg measured (this host has RDMA): $(head -n 1 <<< "$host_out")"
else
	t_fail "host: verbs leg without RDMA: status $host_rc: $host_out"
fi

# ---- guest --------------------------------------------------------------------
# The guest mounts its own tmpfs on /tmp, /run and /dev/shm, where a checkout or build tree
# may live (CI clones anywhere): stage what it runs in the results folder (in the cache).
cp "$here/guest-test.sh" "$here/lib-guest.sh" "$results/"
# The probe test-mpi launches, from this build (make check sets MPG_TOP_BUILDDIR), with its
# verbs plug-in next to it, where the probe looks first.
probe=${MPG_TOP_BUILDDIR:-$top/_build}/src/mpiguard-probe
plugin=$(dirname "$probe")/.libs/mpiguard-verbs.so
probe_env=()
if [ -x "$probe" ] && [ -f "$plugin" ]; then
	cp "$probe" "$plugin" "$bin/"
	probe_env=(-e "MPIGUARD_T_PROBE=$bin/mpiguard-probe")
else
	echo "# no $probe with $plugin: the mpiguard-probe step is left out" >&2
fi
"$here/guest.sh" -t "$guest_timeout" -r "$results" "${probe_env[@]}" \
	-e "MPIGUARD_T_BIN=$bin" -e "MPIGUARD_T_SIZES=$sizes" -e "MPIGUARD_T_ITERS=$iters" \
	-e "MPIGUARD_T_WARMUP=16" "$results/guest-test.sh" > "$results/guest.out" 2> "$results/guest.err"
grc=$?
if [ "$grc" = 77 ]; then
	t_skip "$(sed -n 's/^SKIP: softroce guest: //p' "$results/guest.err" | head -n 1)"
fi
if [ "$grc" = 0 ] && [ "$(cat "$results/qemu.rc" 2>/dev/null)" = 0 ] && [ -f "$results/poweroff" ]; then
	t_ok "guest ran the script and powered off (QEMU exit 0 within ${guest_timeout}s)"
else
	t_fail "guest: status $grc, QEMU $(cat "$results/qemu.rc" 2>/dev/null || echo '?'): $(head -n 1 "$results/guest.err")"
fi

row() { grep -m1 "^R $1 " "$results/guest.out"; }

if [ ${#probe_env[@]} -gt 0 ]; then
	line=$(row probe)
	if [[ $line == "R probe 0 status verbs ok"* ]]; then
		t_ok "mpiguard-probe with the verbs plug-in measured on rxe0"
	else
		t_fail "mpiguard-probe verbs leg: ${line:-no result} (see $results/probe.out, probe.err)"
	fi
	for size in ${sizes//,/ }; do
		v=$(awk -v s="$size" '$1 == "R" && $2 == "probe_row" && $4 == s { print $5 }' "$results/guest.out")
		if awk -v v="${v:-0}" 'BEGIN { exit !(v > 0) }'; then
			t_ok "mpiguard-probe $size B: $v MB/s"
		else
			t_fail "mpiguard-probe $size B: no bandwidth (${v:-missing})"
		fi
	done
fi

line=$(row split)
if [[ $line == "R split 0 "*"why: rank 1: no RDMA device named bogus0"* ]]; then
	t_ok "skip agreed by both ranks when only rank 1 cannot run"
else
	t_fail "skip agreement: ${line:-no result} (see $results/split.out)"
fi

line=$(row memlock)
if [[ $line == "R memlock 77 "*"RLIMIT_MEMLOCK is 64 KiB"* ]]; then
	t_ok "memlock 64 KiB without CAP_IPC_LOCK is a skip that says so"
else
	t_fail "memlock skip: ${line:-no result} (see $results/memlock.out)"
fi

line=$(row verbs)
if [[ $line == "R verbs 0 "* ]]; then
	t_ok "verbs leg between two MPICH ranks on rxe0 ($(grep -m1 '^latency' "$results/verbs.out" || echo 'no latency') us)"
else
	t_fail "verbs leg: ${line:-no result} (see $results/verbs.out)"
fi

for size in ${sizes//,/ }; do
	v=$(awk -v s="$size" '$1 == "R" && $2 == "verbs_row" && $4 == s { print $5 }' "$results/guest.out")
	p=$(awk -v s="$size" '$1 == "R" && $2 == "perftest_row" && $4 == s { print $3, $5, $6 }' "$results/guest.out")
	read -r prc pmib ptries <<< "$p"
	# More than one attempt: perftest's clock calibration failed (lib-guest.sh, sr_perftest).
	pnote=""
	[ "${ptries:-1}" -gt 1 ] 2>/dev/null &&
		pnote=" after $ptries attempts (perftest's TSC calibration failed before: perftest-$size.out.try*)"
	if awk -v v="${v:-0}" 'BEGIN { exit !(v > 0) }'; then
		t_ok "verbs leg   $size B: $v MB/s"
	else
		t_fail "verbs leg   $size B: no bandwidth (${v:-missing})"
	fi
	if [ "$prc" = 0 ] && awk -v v="$pmib" 'BEGIN { exit !(v + 0 > 0) }'; then
		t_ok "ib_write_bw $size B: $(awk -v v="$pmib" 'BEGIN { printf "%.2f", v * 1.048576 }') MB/s ($pmib MiB/s)$pnote"
	else
		t_fail "ib_write_bw $size B: status ${prc:-?}, bandwidth ${pmib:-missing}$pnote (see $results/perftest-$size.out)"
		sed -n '1,3p;/#bytes/,+1p' "$results/perftest-$size.out" >&2
	fi
done

echo "1..$n"
secs=$(($(date +%s) - start))
if [ "$failed" = 0 ]; then
	echo "PASS: test-softroce: $n checks in ${secs}s"
	rm -rf "$results"
	exit 0
fi
echo "FAIL: test-softroce: $failed of $n checks failed in ${secs}s; kept $results"
exit 1

#!/bin/bash
# A slow env leg from a real slow transport (no faked numbers): the env is a venv that carries
# its own copy of Open MPI's libmpi (lib/libmpi.so.40, reached through mpi4py's RPATH
# $ORIGIN/../../.., the way conda and pip wheels bundle an MPI) and whose python sets its MPI to
# TCP (a .pth file: an env whose MPI lacks the fast transport). The whole run happens in a new
# network namespace whose loopback is rate-limited to 1 gbit with tc tbf (FACTS 4: ~123 MB/s).
# The module's MPI (probe leg) runs over shared memory at GB/s; the env's mpi4py crawls.
# Expected: verdict "slow", exit 1, the env's bundled library named, a cause from the check.
. "$(dirname "$0")/common.sh"
need_openmpi
need_debian_mpi4py
need_cli
need_cmd unshare util-linux
need_cmd tc iproute2
need_cmd patchelf patchelf
unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n needs root or CAP_SYS_ADMIN)"
unshare -n sh -c 'ip link set lo up && tc qdisc add dev lo root tbf rate 1gbit burst 256kb latency 100ms' 2>/dev/null ||
    skip "tc tbf is not available in a new network namespace (kernel module sch_tbf)"
load_module openmpi

V=$TMP/slowenv
/usr/bin/python3 -m venv "$V" >/dev/null || fail "venv"
SP=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp -a /usr/lib/python3/dist-packages/mpi4py "$SP/" || fail "copy mpi4py"
mkdir -p "$SP/mpi4py-3.1.4.dist-info"
printf 'Metadata-Version: 2.1\nName: mpi4py\nVersion: 3.1.4\n' >"$SP/mpi4py-3.1.4.dist-info/METADATA"
echo pip >"$SP/mpi4py-3.1.4.dist-info/INSTALLER"
cp "$(readlink -f "$LIBDIR/libmpi.so.40")" "$V/lib/libmpi.so.40"
for so in "$SP"/mpi4py/MPI.*.so; do patchelf --force-rpath --set-rpath '$ORIGIN/../../..' "$so"; done
echo 'import os; os.environ.update({"OMPI_MCA_pml": "ob1", "OMPI_MCA_btl": "tcp,self", "OMPI_MCA_btl_tcp_if_include": "lo"})' \
    >"$SP/zz_mpi_transport.pth"
export VIRTUAL_ENV=$V PATH=$V/bin:$PATH

t0=$(now)
unshare -n bash -c '
    ip link set lo up && tc qdisc add dev lo root tbf rate 1gbit burst 256kb latency 100ms || exit 99
    "$0" test-mpi --sizes 64K,1M --budget 10 --timeout 30 --json' "$MPIGUARD" >"$TMP/json" 2>"$TMP/err"
rc=$?
took=$(elapsed "$t0")
[ $rc = 99 ] && skip "could not set up the rate-limited loopback"
[ $rc = 1 ] || fail "exit $rc, expected 1: $(cat "$TMP/err")"
note "$(json_get "$TMP/json" '"\n# ".join("%8d  MPI %9.1f  mpi4py %9s" % (r["size"], r["mb_per_s"], next(("%.1f" % x["mb_per_s"] for x in j["legs"]["mpi4py"]["rows"] if x["size"] == r["size"]), "-")) for r in j["legs"]["mpi"]["rows"])')"
[ "$(json_get "$TMP/json" 'j["verdict"]["status"]')" = slow ] || fail "verdict $(json_get "$TMP/json" 'j["verdict"]')"
ratio=$(json_get "$TMP/json" 'j["verdict"]["env_vs_mpi"]')
awk -v r="$ratio" 'BEGIN { exit !(r < 0.4) }' || fail "env/MPI ratio $ratio: the TCP leg should be far slower"
# 1 gbit tbf: ~123 MB/s at 1 MiB (FACTS 4), never above the limit; a busy machine only lowers it
bw=$(json_get "$TMP/json" '([r["mb_per_s"] for r in j["legs"]["mpi4py"]["rows"] if r["size"] == 1048576] or [-1])[0]')
awk -v b="$bw" 'BEGIN { exit !(b > 10 && b < 140) }' || fail "mpi4py at 1 MiB: $bw MB/s, expected ~123 (at most 125)"
[ "$(json_get "$TMP/json" 'j["env"]["mpi4py_library"]')" = "$V/lib/libmpi.so.40" ] || fail "the env's own libmpi not named"
cause=$(json_get "$TMP/json" 'j["verdict"]["cause"]')
note "took $took s; env/MPI $ratio; mpi4py at 1 MiB $bw MB/s; cause $cause"
if [ "${MPIGUARD_CORE_STUB:-}" != 1 ]; then
    case $cause in ENV_BUNDLED_MPI|MPI_INSTALL_MISMATCH) ;; *) fail "cause '$cause': expected the env's bundled MPI" ;; esac
fi
note "verdict: $(json_get "$TMP/json" 'j["verdict"]["message"]')"

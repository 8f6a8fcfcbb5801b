#!/bin/bash
# `mpiguard test-mpi` inside a real Slurm allocation of 2 nodes launches with srun -N 2 -n 2, one
# rank a node. The cluster is Debian's slurm-wlm started privately for this test: one slurmctld
# and two slurmd (NodeName n1, n2, both on this host, own ports, auth/none, MpiDefault=pmi2),
# stopped at the end. MPICH module (PMI-2 under srun): the MPI leg measures; the venv's mpi4py
# (Debian's, Open MPI) cannot start under srun: broken, with the check's ABI_MISMATCH. Both
# ranks share one host here, so the result must still say intra-node.
. "$(dirname "$0")/common.sh"
need_mpich
need_debian_mpi4py
need_cli
need_cmd slurmctld slurmctld
need_cmd slurmd slurmd
need_cmd salloc slurm-client
[ "$(id -u)" = 0 ] || skip "starting slurmd needs root"
for plugin in auth_none cred_none mpi_pmi2; do
    need_file "/usr/lib/x86_64-linux-gnu/slurm-wlm/$plugin.so" "apt-get install slurm-wlm-basic-plugins"
done

. "$top_srcdir/tests/common/slurm_cluster.sh"
S=$TMP/slurm
stop_slurm() {
    slurm_cluster_stop "$S"
    rm -rf "$TMP"
}
trap stop_slurm EXIT
slurm_cluster_start "$S" "mpgtest$$" || skip "$SLURM_CLUSTER_ERROR"

load_module mpich
make_debian_venv "$TMP/venv"
export VIRTUAL_ENV=$TMP/venv
t0=$(now)
timeout 120 salloc -N 2 -t 2 "$MPIGUARD" test-mpi --quick --json >"$TMP/json" 2>"$TMP/err"
rc=$?
took=$(elapsed "$t0")
[ $rc = 1 ] || fail "exit $rc, expected 1: $(tail -20 "$TMP/err")"
grep -q 'srun -N 2 -n 2 ' "$TMP/err" || fail "not launched with srun -N 2 -n 2: $(grep 'legs:' "$TMP/err")"
[ "$(json_get "$TMP/json" 'j["launch"]["how"]')" = srun ] || fail "launch.how"
[ "$(json_get "$TMP/json" 'j["launch"]["intra_node"]')" = True ] || fail "both ranks on one host must be reported intra-node"
[ "$(json_get "$TMP/json" 'j["legs"]["mpi"]["status"]')" = ok ] || fail "MPI leg under srun: $(json_get "$TMP/json" 'j["legs"]["mpi"]')"
[ "$(json_get "$TMP/json" 'len(j["legs"]["mpi"]["rows"])')" = 2 ] || fail "MPI rows"
[ "$(json_get "$TMP/json" 'j["verdict"]["status"]')" = broken ] || fail "verdict $(json_get "$TMP/json" 'j["verdict"]')"
[ "$(json_get "$TMP/json" 'j["verdict"]["cause"]')" = ABI_MISMATCH ] || fail "cause"
note "srun run took $took s: $(json_get "$TMP/json" 'j["verdict"]["message"]')"

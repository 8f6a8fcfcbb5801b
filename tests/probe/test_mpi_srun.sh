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

S=$TMP/slurm
mkdir -p "$S/state" "$S/spool-n1" "$S/spool-n2"
base=$((20000 + ($$ % 4000) * 4))
cat >"$S/slurm.conf" <<CONF
ClusterName=mpgtest$$
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/none
CredType=cred/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool-%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd-%n.pid
SlurmdLogFile=$S/slurmd-%n.log
SlurmctldLogFile=$S/slurmctld.log
SlurmUser=root
SlurmdUser=root
ReturnToService=2
MpiDefault=pmi2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=n1 NodeHostname=$(hostname) NodeAddr=127.0.0.1 Port=$((base + 2)) CPUs=1 RealMemory=100
NodeName=n2 NodeHostname=$(hostname) NodeAddr=127.0.0.1 Port=$((base + 3)) CPUs=1 RealMemory=100
PartitionName=test Nodes=n1,n2 Default=YES MaxTime=10 State=UP
CONF
export SLURM_CONF=$S/slurm.conf
stop_slurm() {
    local f
    for f in "$S"/slurmd-n1.pid "$S"/slurmd-n2.pid "$S"/slurmctld.pid; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    sleep 0.5
    rm -rf "$TMP"
}
trap stop_slurm EXIT
slurmctld -c -f "$SLURM_CONF" || skip "slurmctld did not start: $(tail -3 "$S/slurmctld.log" 2>/dev/null)"
slurmd -N n1 -f "$SLURM_CONF" && slurmd -N n2 -f "$SLURM_CONF" || skip "slurmd did not start"
for _ in $(seq 50); do
    [ "$(sinfo -h -t idle -o %D 2>/dev/null)" = 2 ] && break
    sleep 0.2
done
[ "$(sinfo -h -t idle -o %D 2>/dev/null)" = 2 ] || skip "the private Slurm cluster did not come up: $(sinfo 2>&1 | tail -2)"

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

# slurm_cluster.sh: a private Slurm cluster for the tests (Debian's slurm-wlm): one slurmctld
# and two slurmd (NodeName n1, n2, both on this host, own ports, auth/none, MpiDefault=pmi2,
# one partition "test"), started by root. Sourced.
#
# slurm_cluster_start DIR NAME [EXTRA_LINE...]: writes DIR/slurm.conf (state, spool, logs and
# pid files in DIR; each EXTRA_LINE appended: PlugStackConfig, more partitions, ...), exports
# SLURM_CONF, starts the daemons and waits until both nodes are idle. Optional: SLURM_RUN (a
# command prefix for the daemons, e.g. "env ASAN_OPTIONS=..."), SLURM_N2_PRIVATE_TMP=1 (n2 in
# its own mount namespace with an empty /tmp, as a second host would be) and SLURM_N2_KEEP
# (paths under /tmp that n2 must still see, such as a build tree there; split on white
# space). Returns 1 with the reason in SLURM_CLUSTER_ERROR when the cluster does not come up
# (no subshell: the daemons must not hold a pipe open). slurm_cluster_stop DIR stops the daemons.
slurm_cluster_start() {
    local dir=$1 name=$2 line
    shift 2
    mkdir -p "$dir/state" "$dir/spool-n1" "$dir/spool-n2"
    # Four ports from the test's PID, below the kernel's ephemeral range (32768 and up, where
    # any outgoing connection may hold one), and free now; else the next block.
    local base=$((20000 + ($$ % 3000) * 4)) _try
    for _try in 1 2 3 4 5 6 7 8; do
        slurm_ports_free "$base" && break
        base=$((20000 + (base - 20000 + 4 * 97) % 12000))
    done
    {
        cat <<CONF
ClusterName=$name
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
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmdLogFile=$dir/slurmd-%n.log
SlurmctldLogFile=$dir/slurmctld.log
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
        for line in "$@"; do echo "$line"; done
    } > "$dir/slurm.conf"
    chmod -R a+rX "$dir"
    export SLURM_CONF=$dir/slurm.conf
    ${SLURM_RUN:-} slurmctld -c -f "$SLURM_CONF" ||
        { SLURM_CLUSTER_ERROR="slurmctld did not start: $(tail -3 "$dir/slurmctld.log" 2>/dev/null)"; return 1; }
    ${SLURM_RUN:-} slurmd -N n1 -f "$SLURM_CONF" ||
        { SLURM_CLUSTER_ERROR="slurmd n1 did not start: $(tail -3 "$dir/slurmd-n1.log" 2>/dev/null)"; return 1; }
    if [ -n "${SLURM_N2_PRIVATE_TMP:-}" ]; then
        # The host's /tmp stays reachable at DIR/n2-hosttmp inside the namespace, and each
        # folder of SLURM_N2_KEEP under /tmp (a build tree in /tmp: the plugin n2 dlopen()s)
        # is bound back into n2's empty /tmp under its own name.
        mkdir -p "$dir/n2-hosttmp"
        # shellcheck disable=SC2086 # SLURM_N2_KEEP: paths split on white space
        ${SLURM_RUN:-} unshare -m --propagation private sh -c '
            conf=$1 host=$2; shift 2
            mount --bind /tmp "$host" && mount -t tmpfs none /tmp || exit 1
            for p in "$@"; do
                case $p in /tmp/?*) ;; *) continue ;; esac
                top=${p#/tmp/}; top=${top%%/*}
                [ -d "/tmp/$top" ] && continue
                if [ -d "$host/$top" ]; then
                    mkdir "/tmp/$top" && mount --bind "$host/$top" "/tmp/$top" || exit 1
                fi
            done
            exec slurmd -N n2 -f "$conf"' sh "$SLURM_CONF" "$dir/n2-hosttmp" ${SLURM_N2_KEEP:-} ||
            { SLURM_CLUSTER_ERROR="slurmd n2 did not start in its own mount namespace (private /tmp; SLURM_N2_KEEP=${SLURM_N2_KEEP:-}): $(tail -3 "$dir/slurmd-n2.log" 2>/dev/null)"; return 1; }
    else
        ${SLURM_RUN:-} slurmd -N n2 -f "$SLURM_CONF" ||
            { SLURM_CLUSTER_ERROR="slurmd n2 did not start: $(tail -3 "$dir/slurmd-n2.log" 2>/dev/null)"; return 1; }
    fi
    local _ f
    for _ in $(seq 100); do
        [ "$(sinfo -h -t idle -o %D 2>/dev/null)" = 2 ] && return 0
        # A daemon that died at start (a port taken after all) ends the wait at once: sinfo
        # without a slurmctld would wait its own timeout a hundred times.
        for f in slurmctld slurmd-n1 slurmd-n2; do
            [ -s "$dir/$f.pid" ] && ! kill -0 "$(cat "$dir/$f.pid")" 2>/dev/null &&
                { SLURM_CLUSTER_ERROR="$f exited at start: $(tail -2 "$dir/$f.log" 2>/dev/null)"; return 1; }
        done
        sleep 0.2
    done
    SLURM_CLUSTER_ERROR="the private Slurm cluster did not come up: $(sinfo 2>&1 | tail -2)"
    return 1
}

# slurm_ports_free BASE: true when ports BASE..BASE+3 can be bound on this host now.
slurm_ports_free() {
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
base = int(sys.argv[1])
for port in range(base, base + 4):
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}

slurm_cluster_stop() {
    local f
    for f in "$1"/slurmd-n1.pid "$1"/slurmd-n2.pid "$1"/slurmctld.pid; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    sleep 0.3
}

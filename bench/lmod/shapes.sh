# shapes.sh: the commands and env shapes bench_cost.sh and bench_compare.sh measure (sourced
# after tests/lmod/lib.sh). each_shape FN calls `FN NAME PRE ARGS...` for each: NAME the row,
# PRE the module command that sets the start state ("" for none), ARGS the measured command;
# COLD=1 is set for the row whose listing cache is removed before each run. Files and folders
# are aged a minute: the listing cache does not keep what changed in the last 2 seconds.
# MPG_BENCH_ROWS (an extended regular expression) keeps only the rows whose NAME matches.
each_shape() {
    local fn=_shape_row
    _shape_fn=$1
    "$fn" "load hello (non-MPI), no env" "" load hello
    "$fn" "load mpich, no env" "" load mpich
    "$fn" "swap mpich -> openmpi, no env" "load mpich" swap mpich openmpi
    "$fn" "purge (mpich loaded), no env" "load mpich" purge
    # A site whose policy does not export MPICC & co.: no bookkeeping to give back (the
    # policy file changed for this row only).
    cp "$POLICY" "$T/policy.rows"
    printf '[general]\nexport_mpicc = no\nlog = no\n' > "$POLICY"
    "$fn" "purge (mpich loaded), no env, policy without exports" "load mpich" purge
    cp "$T/policy.rows" "$POLICY"
    make_venv "$T/venv"
    find "$T/venv" \( -type d -o -type f \) -exec touch -d '1 minute ago' {} +
    (
        activate_venv "$T/venv"
        "$fn" "load openmpi, healthy venv" "" load openmpi
        "$fn" "load mpich, mismatched venv (finding)" "" load mpich
    )
    make_conda_bundled "$T/big" 0
    bash "$MPG_TOP_SRCDIR/bench/common/conda_records.sh" "$T/big" 5000
    find "$T/big" \( -type d -o -type f \) -exec touch -d '1 minute ago' {} +
    (
        activate_conda "$T/big"
        printf '[actions]\ndefault = ignore\n[general]\nlog = no\n' > "$POLICY"
        "$fn" "load mpich, 5,000-record conda, warm" "" load mpich
        COLD=1 "$fn" "load mpich, 5,000-record conda, cold" "" load mpich
    )
}
_shape_row() { # NAME PRE ARGS...: _shape_fn's row, when MPG_BENCH_ROWS keeps it
    [[ $1 =~ ${MPG_BENCH_ROWS:-.} ]] || return 0
    "$_shape_fn" "$@"
}

# pad_states SHIFT CONFIG...: pads the saved start states ($T/states/CONFIG, sourced before each
# run with LMOD_PACKAGE_PATH=${SITE[CONFIG]}) with variables _MPG_PAD<i> until Lmod starts with
# as many variables and as many bytes of them under every CONFIG, SHIFT bytes more than the
# largest needs (bench_compare.sh moves it by set-up, so that each set-up draws another seed).
# Lua 5.3 seeds its string hashes with a stack address, and the environment's size moves the
# stack: with addresses fixed (setarch -R), configurations whose environments differ in size
# (the hooks' MPICC & co. after `load mpich`, or only the site folder's name) each drew another
# seed, and Lmod alone ran up to +0.19 M instructions (0.15% of a purge) for nothing the hooks
# did (bench/HOT_PATH.md, eleventh round).
pad_states() {
    local shift_=$1 cfg sizes=""; shift
    for cfg in "$@"; do
        sizes+="$cfg $( (. "$T/states/$cfg"; LMOD_PACKAGE_PATH=${SITE[$cfg]} python3 -c '
import os
e = os.environb
print(len(e), sum(len(k) + len(v) + 2 for k, v in e.items()))'))"$'\n'
    done
    printf '%s' "$sizes" | python3 -c '
import sys
shift = int(sys.argv[1])
rows = [l.split() for l in sys.stdin if l.strip()]
n = max(int(r[1]) for r in rows) + 1            # every config gets at least one pad variable
need = lambda k: sum(len("_MPG_PAD%d=x" % i) + 1 for i in range(k))
b = max(int(r[2]) + need(n - int(r[1])) for r in rows) + shift
for cfg, count, size in rows:
    k, extra = n - int(count), b - int(size)       # k variables of extra bytes in all
    vals = ["x"] * k
    vals[-1] += "x" * (extra - need(k))
    print(cfg, " ".join("_MPG_PAD%d=%s" % (i, v) for i, v in enumerate(vals)))
' "$shift_" | while read -r cfg pads; do
        for p in $pads; do echo "export $p"; done >> "$T/states/$cfg"
    done
}

# shapes.sh: the commands and env shapes bench_cost.sh and bench_compare.sh measure (sourced
# after tests/lmod/lib.sh). each_shape FN calls `FN NAME PRE ARGS...` for each: NAME the row,
# PRE the module command that sets the start state ("" for none), ARGS the measured command;
# COLD=1 is set for the row whose listing cache is removed before each run. Files and folders
# are aged a minute: the listing cache does not keep what changed in the last 2 seconds.
each_shape() {
    local fn=$1
    "$fn" "load hello (non-MPI), no env" "" load hello
    "$fn" "load mpich, no env" "" load mpich
    "$fn" "swap mpich -> openmpi, no env" "load mpich" swap mpich openmpi
    "$fn" "purge (mpich loaded), no env" "load mpich" purge
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

#!/bin/bash
# The body of stress_loads.sh, run in the tests' clean environment (tests/lmod/lib.sh).
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
N=${MPG_BENCH_N:-320}
make_conda_bundled "$T/conda" 5000
activate_conda "$T/conda"
find "$T/conda" \( -type d -o -type f \) -exec touch -d '1 minute ago' {} +
rm -rf "$HOME/.cache"
mkdir -p "$T/runs"
t0=$(date +%s.%N)
for i in $(seq "$N"); do
    ( LD_PRELOAD=$SAN_PRELOAD "$LMOD_CMD" bash load mpich > "$T/runs/$i.out" 2> "$T/runs/$i.err"; echo $? > "$T/runs/$i.rc" ) &
done
wait
t1=$(date +%s.%N)
ok=0 bad=0
for i in $(seq "$N"); do
    if [ "$(cat "$T/runs/$i.rc")" = 0 ] && grep -q "conda package mpich 4.1.2" "$T/runs/$i.err" &&
        bash -n "$T/runs/$i.out"; then
        ok=$((ok + 1))
    else
        bad=$((bad + 1))
        [ $bad -le 3 ] && echo "load $i: exit $(cat "$T/runs/$i.rc"): $(head -c 300 "$T/runs/$i.err")" >&2
    fi
done
cache=$(ls "$HOME"/.cache/mpiguard/ 2>/dev/null | tr '\n' ' ')
intact=no
f=$(ls "$HOME"/.cache/mpiguard/listings-v* 2>/dev/null | grep -v '\.tmp$' | head -1)
[ -n "$f" ] && tail -1 "$f" | grep -q '^end [0-9]*$' && intact=yes
tmp=$(ls "$HOME"/.cache/mpiguard/ 2>/dev/null | grep -c '\.tmp$')
echo "$N concurrent cold-cache loads of mpich on a 5,000-record conda env: $ok right, $bad wrong;" \
     "cache complete: $intact ($cache); temporary files left: $tmp; $(echo "$t1 - $t0" | bc) s"
[ $bad = 0 ] && [ $intact = yes ] && [ "$tmp" = 0 ]

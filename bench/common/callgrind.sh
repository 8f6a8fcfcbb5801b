# Sourced by the benchmarks that count instructions with valgrind --tool=callgrind
# --trace-children=yes --callgrind-out-file=DIR/PREFIX%p.
#
# cg_sum DIR PREFIX: the instructions of every process of one run (the sum of the "summary:"
# lines of DIR/PREFIX*), once all of them are written. Under valgrind, Lmod 9.2's `stty size`
# probe and the two shells that start it were, in one run in five, still being written when
# valgrind returned for Lmod (empty or cut files); summed at once, the total moved by up to
# ~1.3 M instructions from run to run. Waits until every file has its summary and no file
# came for half a second (at most 30 s).
cg_sum() {
    local dir=$1 prefix=$2 i n last=""
    for ((i = 0; i < 60; i++)); do
        n=$(find "$dir" -maxdepth 1 -name "$prefix*" | wc -l)
        if [ "$n" = "$last" ] && ! grep -L '^summary:' "$dir/$prefix"* 2>/dev/null | grep -q .; then
            break
        fi
        last=$n
        sleep 0.5
    done
    cat "$dir/$prefix"* 2>/dev/null | awk '/^summary:/ {s += $2} END {printf "%d\n", s}'
}

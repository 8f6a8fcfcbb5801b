# Sourced by the benchmarks that count instructions of every process of a command:
# "${CALLGRIND_ALL[@]}" --callgrind-out-file=DIR/PREFIX%p COMMAND, then cg_sum DIR PREFIX.
#
# --dump-before=fork: a child forked without exec starts with its parent's counts, and callgrind
# writes them again in the child's file. Lmod 9.2's terminal-width probe is such a child
# (TermWidth.lua forks, runs `sh -c "stty size"` and exits, killed after 1 s): in the runs where
# it finished within its second, the sum counted Lmod's instructions up to the fork twice
# (~149 M of ~162 M on a purge): the on/off ratios near 2 or 0.5 of bench/HOT_PATH.md's tenth round.
# Dumped at each fork, the counts before it are written once, by the parent
# (bench/lmod/README.md).
CALLGRIND_ALL=(valgrind --tool=callgrind --trace-children=yes --dump-before=fork)
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

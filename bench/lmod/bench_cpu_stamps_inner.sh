#!/bin/bash
# The body of bench_cpu_stamps.sh, run in the tests' clean environment (tests/lmod/lib.sh).
# $1: the baseline build folder, or none (taken before lib.sh, which sets its own arguments).
base=${1:-}
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/shapes.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/steps.sh" # precompile_hooks
N=${MPG_BENCH_N:-100}
printf '[general]\nlog = no\n' > "$POLICY"

# stamp_hooks DIR STRICT: os.clock() stamps into the copy of the hooks in DIR. A stamp records
# the CPU time since the one before under a step's name; the finalize hook, renamed, is wrapped
# to print them all when it returns. With STRICT (this build), a line a stamp goes by that is
# gone stops the benchmark; a baseline's older hooks may lack some steps: said, and left out.
stamp_hooks() {
    local dir=$1 strict=$2
    has_line() { # FILE PATTERN WHAT: whether FILE.lua has the line; where it is gone, a
        # baseline says so (no WHAT there) and this build stops the benchmark
        grep -q "^$2\$" "$dir/$1.lua" 2>/dev/null && return 0
        if [ -n "$strict" ]; then
            echo "bench_cpu_stamps: no line '$2' in $1.lua any more: update bench/lmod/bench_cpu_stamps_inner.sh" >&2
            exit 2
        fi
        echo "note: the baseline's $1.lua has no line '$2': no $3 there" >&2
        return 1
    }
    stamp() { # FILE PATTERN (a whole line, sed BRE) WHERE (a: after it, i: before it) NAME
        has_line "$1" "$2" "$4 stamp" || return 0
        sed -i "/^$2\$/$3\\
__mpgS(\"$4\")" "$dir/$1.lua"
    }
    stamp mpiguard_hooks 'local dir = .*' i start
    stamp mpiguard_hooks 'local chunk = .*' a reg_load
    stamp mpiguard_hooks 'local M = chunk and chunk(dir, true)' a reg_run
    stamp mpiguard_hooks_register 'function M.finalize(kind)' i lmod
    sed -i '/^__mpgS("lmod")$/{N;s/\n.*/\
function M.finalize(kind)\
   __mpgS("lmod")\
   M.finalize_stamped(kind)\
   __mpgS("end")\
   local t, out = rawget(_G, "__mpgT"), {}\
   for i = 3, #t, 2 do out[#out + 1] = t[i] .. "=" .. string.format("%.1f", (t[i + 1] - t[i - 1]) * 1e6) end\
   io.stderr:write("MPGSTAMP ", table.concat(out, " "), "\\n")\
end\
function M.finalize_stamped(kind)/}' "$dir/mpiguard_hooks_register.lua"
    grep -q '^function M.finalize_stamped(kind)$' "$dir/mpiguard_hooks_register.lua" ||
        { echo "bench_cpu_stamps: could not wrap M.finalize" >&2; exit 2; }
    stamp mpiguard_hooks_register '   if (curFull) then' i decide
    # the work chunk's load split: its files stat'ed (useLuac), loadfile(), the chunk run
    local lb='   local chunk = useLuac(name) and loadfile(bin)'
    if has_line mpiguard_hooks_register "$lb" "split of the work chunk's load"; then
        sed -i "s/^$lb\$/   local chunk = useLuac(name); __mpgS(\"chunk_fresh\"); chunk = chunk and loadfile(bin); __mpgS(\"chunk_load\")/" "$dir/mpiguard_hooks_register.lua"
    fi
    stamp mpiguard_hooks_register '   if (chunk) then ok, res = pcall(chunk, s_config) end' a chunk_run
    stamp mpiguard_hooks_act 'function A.mpiChanged(curFull)' a work_chunk
    stamp mpiguard_hooks_act 'function A.noMPI()' a work_chunk
    stamp mpiguard_hooks_giveback 'function G.noMPI()' a work_chunk
    stamp mpiguard_hooks_act '   local problem = bindingProblem(path)' a guard
    stamp mpiguard_hooks_act '   if (not problem) then open, err = package.loadlib(path, "luaopen_mpiguard") end' a dlopen
    stamp mpiguard_hooks_act '      ok, res = pcall(open) -- Lua 5.2+ raises here on an ABI mismatch' a luaopen
    stamp mpiguard_hooks_act '   local sync = res and res.sync' i check
    stamp mpiguard_hooks_act '   applySync(sync)' i report
    stamp mpiguard_hooks_act '   applySync(sync)' a apply
    stamp mpiguard_hooks_act '   applySync(lib.sync_exports(syncOptions()))' a apply
    # the give-back's own steps (its chunk's noMPI(): the shell, the plan, the variables set in
    # this process); what follows them, up to "apply", is its one execute{}
    stamp mpiguard_hooks_giveback '   local ok, shell = pcall(typeOf)' a gb_shell
    stamp mpiguard_hooks_giveback '   local line, changes = G.plan(os.getenv, ok and shell or nil)' a gb_plan
    stamp mpiguard_hooks_giveback '   for i = 1, #changes, 2 do posix.setenv(changes\[i\], changes\[i + 1\] or nil) end' a gb_env
    stamp mpiguard_hooks_giveback '   exec{ cmd = line, modeA = { "all" } }' a apply
    precompile_hooks "$dir"
}
# This build's hooks and, with a baseline build, its hooks and binding, each stamped in a
# folder of its own, with a SitePackage.lua of its own.
declare -A SITE=()
CONFIGS=(this)
mkdir -p "$T/hooks-this" "$T/site-this"
cp -p "$HOOKS_DIR"/mpiguard_hooks* "$T/hooks-this/"
stamp_hooks "$T/hooks-this" strict
# site_package HOOKS SED: the test's SitePackage.lua edited by SED, after the first stamp (its
# first line: what follows, until the stub's first line runs, is finding and parsing the stub)
site_package() {
    printf '%s\n' 'rawset(_G, "__mpgT", {"site", os.clock()})' \
        'rawset(_G, "__mpgS", function(name) local t = rawget(_G, "__mpgT"); t[#t + 1] = name; t[#t + 1] = os.clock() end)'
    sed "$1" "$T/site/SitePackage.lua"
}
site_package "s|$HOOKS_DIR|$T/hooks-this|g" > "$T/site-this/SitePackage.lua"
SITE[this]=$T/site-this
if [ -n "$base" ]; then
    [ -f "$base/site/mpiguard_hooks.lua" ] && [ -f "$base/luaext/.libs/mpiguard.so" ] ||
        { echo "bench_cpu_stamps: $base is not a build folder (site/mpiguard_hooks.lua, luaext/.libs/mpiguard.so)" >&2; exit 2; }
    mkdir -p "$T/hooks-base" "$T/site-base"
    cp -p "$base"/site/mpiguard_hooks*.lua* "$T/hooks-base/"
    stamp_hooks "$T/hooks-base" ""
    site_package "s|$HOOKS_DIR|$T/hooks-base|g; s|$LUAEXT|$base/luaext/.libs/mpiguard.so|g" > "$T/site-base/SitePackage.lua"
    SITE[base]=$T/site-base
    CONFIGS=(base this)
fi

echo "Lmod $("$LMOD_CMD" --version 2>&1 | grep -o 'Version [0-9.]*'), the hooks' steps in CPU microseconds (os.clock()), N=$N runs a row${base:+ of each build, alternated}: median [25%-75%]"
[ -n "$base" ] && echo "base: $base; this: $MPG_TOP_BUILDDIR"
# row NAME PRE ARGS...: N rounds of `module ARGS` from the state `module PRE` leaves, one run of
# each configuration a round (a busy stretch of the machine weighs on both alike), and the report
row() {
    local name=$1 pre=$2 i c; shift 2
    (
        for c in "${CONFIGS[@]}"; do
            (
                export LMOD_PACKAGE_PATH=${SITE[$c]}
                if [ -n "$pre" ]; then eval "$("$LMOD_CMD" bash $pre 2>/dev/null)"; fi
                export -p > "$T/state-$c"
                "$LMOD_CMD" bash "$@" >/dev/null 2>&1 # the caches Lmod keeps, and the listing cache
            )
            : > "$T/stamps-$c"
        done
        local order rev=()
        for ((i = ${#CONFIGS[@]} - 1; i >= 0; i--)); do rev+=("${CONFIGS[i]}"); done
        for ((i = 0; i < N; i++)); do
            # each build first in every other round: what runs first after the other may pay for it
            [ $((i % 2)) -eq 0 ] && order=("${CONFIGS[@]}") || order=("${rev[@]}")
            for c in "${order[@]}"; do
                (
                    . "$T/state-$c"
                    [ -n "${COLD:-}" ] && rm -rf "$HOME/.cache/mpiguard"
                    "$LMOD_CMD" bash "$@" 2>&1 >/dev/null | grep '^MPGSTAMP ' >> "$T/stamps-$c"
                )
            done
        done
        python3 - "$name" "$N" "$T/stamps-this" ${base:+"$T/stamps-base"} <<'PY'
import statistics, sys
name, n, this = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = sys.argv[4] if len(sys.argv) > 4 else None
steps = [("start", "the stub found (package.path) and parsed"),
         ("reg_load", "register chunk: stat and loadfile"),
         ("reg_run", "register chunk run: the hooks registered"),
         ("lmod", "(Lmod's own work up to the finalize hook)"),
         ("decide", "the decision: which MPI, and did it change"),
         ("chunk_fresh", "work chunk (act, or give-back): its .lua and .luac stat'ed"),
         ("chunk_load", "work chunk: loadfile() of its .luac"),
         ("chunk_run", "work chunk: run (its functions defined)"),
         ("work_chunk", "work chunk: the rest, up to its work"),
         ("guard", "the binding's file checked"),
         ("dlopen", "the binding loaded (package.loadlib)"),
         ("luaopen", "luaopen_mpiguard"),
         ("check", "check{}: the check and its result tables"),
         ("report", "the findings shown"),
         ("gb_shell", "give-back: the shell asked of Lmod (myShellType)"),
         ("gb_plan", "give-back: its plan made from the bookkeeping"),
         ("gb_env", "give-back: posix required, the variables set in this process"),
         ("apply", "the exports handed to Lmod (give-back: its execute{})"),
         ("end", "the rest of the finalize hook (all of it when no MPI is involved)"),
         ("total", "the hooks in all (not Lmod's own work)")]
def runs(path):
    out = []
    for line in open(path):
        run = {}
        for kv in line.split()[1:]:
            k, v = kv.split("=")
            run[k] = run.get(k, 0.0) + float(v)
        run["total"] = sum(v for k, v in run.items() if k != "lmod")
        out.append(run)
    return out
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]
def cell(rs, key):
    v = [r[key] for r in rs if key in r]
    if not v or len(v) * 2 < len(rs):
        return None
    return "%8.1f [%.1f-%.1f]" % (statistics.median(v), q(v, 0.25), q(v, 0.75))
t = runs(this)
b = runs(base) if base else None
print("%s (%d of %d runs stamped%s)" % (name, len(t), n, ", base %d" % len(b) if b is not None else ""))
if not t:
    sys.exit(0)
for key, label in steps:
    ct, cb = cell(t, key), cell(b, key) if b else None
    if ct is None and cb is None:
        continue
    if b is None:
        print("  %-66s %s" % (label, ct))
    else:
        print("  %-66s %-24s -> %s" % (label, cb or "-", ct or "-"))
known = {k for k, _ in steps}
other = sorted({k for r in t + (b or []) for k in r} - known)
if other:
    print("  unknown steps: " + " ".join(other))
PY
    )
}
each_shape row

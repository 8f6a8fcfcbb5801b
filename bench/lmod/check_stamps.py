"""check_stamps.py SRC: puts bench_check_steps.sh's time stamps into a copy of the source
tree at SRC (never into the tree itself). Each stamp goes before or after a whole line that
must be in its file exactly once; a line gone or doubled stops with a message, so that a stamp
cannot silently fall off when the code moves. A stamp records the time since the one before
(CLOCK_MONOTONIC: read without a system call) under its name; the binding's check() prints them on stderr, one line a call
("MPGCHECK name=us ..."), when MPG_CHECK_STAMPS is set."""
import os
import sys

HEADER = r"""/* bench_stamps.h: written by bench/lmod/check_stamps.py into a copy of the tree only. */
#ifndef MPG_BENCH_STAMPS_H
#define MPG_BENCH_STAMPS_H
#include <stdio.h>
#include <stdlib.h> /* getenv(), in the line that prints */
#include <time.h>
struct mpg_bench_stamp { const char *name; long long ns; };
extern struct mpg_bench_stamp mpg_bench_stamps[64];
extern int mpg_bench_nstamps;
static inline void mpg_bench_stamp(const char *name)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (mpg_bench_nstamps < 64)
        mpg_bench_stamps[mpg_bench_nstamps++] = (struct mpg_bench_stamp){name, ts.tv_sec * 1000000000LL + ts.tv_nsec};
}
static inline void mpg_bench_stamps_print(int print)
{
    if (print) {
        fputs("MPGCHECK", stderr);
        for (int i = 1; i < mpg_bench_nstamps; i++)
            fprintf(stderr, " %s=%.1f", mpg_bench_stamps[i].name,
                    (mpg_bench_stamps[i].ns - mpg_bench_stamps[i - 1].ns) / 1000.0);
        fputc('\n', stderr);
    }
    mpg_bench_nstamps = 0;
}
#endif
"""

# (file, the whole line, "before" or "after", the stamp's name)
STAMPS = [
    ("luaext/mpiguard_lua.c", "    check_options(L, opts);", "before", "begin"),
    ("luaext/mpiguard_lua.c", "    struct envsnap snap;", "before", "options"),
    ("luaext/mpiguard_lua.c", "    struct mpg_policy pol;", "before", "envsnap"),
    ("luaext/mpiguard_lua.c", "    struct mpg_export ex[16];", "before", "policy"),
    ("luaext/mpiguard_lua.c", "                                                         : mpg_check(&in);", "after", "core_end"),
    ("luaext/mpiguard_lua.c", "    bool brief = false;", "before", "policy_applied"),
    ("luaext/mpiguard_lua.c", "    int logged = 0;", "before", "message"),
    ("luaext/mpiguard_lua.c", "    /* {VAR = wrapper path}: empty when the policy does not export or the module has no mpicc */", "before", "log"),
    ("luaext/mpiguard_lua.c", "    envsnap_free(&snap);", "after", "sync"),
    ("src/check.c", "    note_ignored_variables(&env, &problems);", "after", "core_start"),
    ("src/check.c", "    bool any_env = r->env.kind != MPG_ENV_NONE;", "before", "env_found"),
    ("src/mpi_module.c", "    /* 3. An installation prefix. */", "before", "m_named"),
    ("src/mpi_module.c", "    /* 4. The module's wrappers on PATH, outside the env and the system folders (Spack modules", "before", "m_prefix"),
    ("src/mpi_module.c", "    char *path_prefix = path_cc ? prefix_of_wrapper(path_cc) : NULL;", "after", "m_path"),
    ("src/mpi_module.c", "    m->mpicc = wrapper(env, wprefix, env_prefix, \"mpicc\");", "after", "m_mpicc"),
    ("src/mpi_module.c", "    if (lib) {", "before", "m_libmpi_found"),
    ("src/mpi_module.c", "    m->mpicxx = wrapper(env, wprefix, env_prefix, \"mpicxx\");", "before", "m_libmpi_identified"),
    ("src/mpi_module.c", "    if (!m->name && m->mpi.impl) {", "before", "m_wrappers"),
    ("src/check.c", "    const char **vars = NULL;", "before", "module_end"),
    ("src/check.c", "    if (!r->inspected) {", "before", "exports_taken"),
    ("src/check.c", "    mpg_find_extensions(&r->env, &env, &ld, python, dc, &r->module.mpi, &ext, &problems);", "after", "extensions"),
    ("src/check.c", "    for (size_t i = 0; i < r->n_packages; i++) {", "before", "conda"),
    ("src/check.c", "    mpg_compute_findings(r, &env, &ext);", "before", "libs_identified"),
    ("src/check.c", "    mpg_compute_findings(r, &env, &ext);", "after", "findings"),
    ("src/check.c", "    mpg_dircache_free(dc);", "before", "pass_end"),
]
# the stamps' storage (one definition, in the core), and the line printed after each check{}
STORAGE = ("src/check.c", "struct mpg_bench_stamp mpg_bench_stamps[64];\nint mpg_bench_nstamps;\n")
PRINT = ("luaext/mpiguard_lua.c", "    int n = check(L, opts);",
         "    mpg_bench_stamps_print(getenv(\"MPG_CHECK_STAMPS\") != NULL);")


def fail(msg):
    sys.stderr.write("check_stamps.py: %s: update bench/lmod/check_stamps.py\n" % msg)
    sys.exit(2)


def main(src):
    with open(os.path.join(src, "src", "bench_stamps.h"), "w") as f:
        f.write(HEADER)
    files = {}
    for name in {s[0] for s in STAMPS} | {STORAGE[0], PRINT[0]}:
        with open(os.path.join(src, name)) as f:
            files[name] = f.read().split("\n")

    def where(name, line):
        lines = files[name]
        at = [i for i, l in enumerate(lines) if l == line]
        if len(at) != 1:
            fail("%s has %d lines '%s' (one expected)" % (name, len(at), line.strip()))
        return at[0]

    # Insert from the bottom of each file up, so that earlier indexes stay right; a line with a
    # stamp both before and after it gets both.
    edits = {}
    for name, line, pos, stamp in STAMPS:
        i = where(name, line)
        text = "    mpg_bench_stamp(\"%s\");" % stamp
        if stamp == "begin":  # each check{} starts afresh (a wrappers() call stamps too)
            text = "    mpg_bench_nstamps = 0;\n" + text
        edits.setdefault(name, []).append((i + 1 if pos == "after" else i, text))
    i = where(PRINT[0], PRINT[1])
    edits.setdefault(PRINT[0], []).append((i + 1, PRINT[2]))
    for name, ins in edits.items():
        lines = files[name]
        for i, text in sorted(ins, key=lambda e: e[0], reverse=True):
            lines.insert(i, text)
        # the header, and the storage, after the file's first #include
        first = next((k for k, l in enumerate(lines) if l.startswith("#include")), None)
        if first is None:
            fail("%s has no #include" % name)
        extra = ["#include \"%sbench_stamps.h\"" % ("../src/" if name.startswith("luaext/") else "")]
        if name == STORAGE[0]:
            extra += STORAGE[1].rstrip("\n").split("\n")
        lines[first + 1:first + 1] = extra
        with open(os.path.join(src, name), "w") as f:
            f.write("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: check_stamps.py SRC (a copy of the source tree)\n")
        sys.exit(2)
    main(sys.argv[1])

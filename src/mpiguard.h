/* mpiguard.h: the public API of libmpiguard.
 *
 * From an environment snapshot and the file system alone (nothing is executed, no library is
 * loaded), mpg_check() finds the active conda env or venv, the MPI-linked Python extensions
 * its python would import, the libmpi the dynamic loader would give each of them, the MPI of
 * the loaded MPI module, and returns findings, each with a fix.
 *
 * Every string in these structs is owned by the report (or the struct) it belongs to and is
 * NULL when unknown. Nothing here writes to stdout or stderr; errors end up in the report. */
#ifndef MPIGUARD_H
#define MPIGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MPG_CHECK_SCHEMA "mpiguard.check/1"

/* Ordered: a report's verdict is the highest severity of its findings. */
enum mpg_severity {
    MPG_SEV_OK = 0, /* only for verdicts: nothing to report */
    MPG_SEV_NOTE,
    MPG_SEV_WARN,
    MPG_SEV_BLOCK,
};

enum mpg_abi {
    MPG_ABI_UNKNOWN = 0,
    MPG_ABI_MPICH,    /* libmpi.so.12 / libmpich.so.12: MPICH, Intel MPI, MVAPICH, Cray MPICH */
    MPG_ABI_OPENMPI,  /* libmpi.so.40 (3.x-5.x), .20, .12, .1 for older Open MPI */
    MPG_ABI_STANDARD, /* libmpi_abi.so.1: the MPI 5 standard ABI */
};

enum mpg_env_kind { MPG_ENV_NONE = 0, MPG_ENV_CONDA, MPG_ENV_VENV };

/* What one libmpi is, read from its ELF file without loading it. */
struct mpg_mpi {
    char *path;    /* canonical path of the library file */
    char *soname;  /* DT_SONAME, e.g. "libmpich.so.12" */
    enum mpg_abi abi;
    char *impl;    /* "MPICH", "Open MPI", "Intel MPI", "MVAPICH", "Cray MPICH", or NULL */
    char *version; /* e.g. "4.0.2" */
    char *device;  /* MPICH's device, e.g. "ch4:ucx" */
};

/* The active Python environment. */
struct mpg_env {
    enum mpg_env_kind kind;
    char *prefix;         /* canonical env prefix */
    char *name;           /* conda env name ("base" for the root prefix) or venv folder name */
    char *flavor;         /* "conda", "mamba", "micromamba", "venv", "virtualenv", "uv" */
    char *python_version; /* "3.11", from the env's layout */
    char *base_prefix;    /* venv: the base interpreter's prefix (pyvenv.cfg home/..) */
    const char *found_by; /* static: "PATH" (the python first on PATH is the env's, its
                             variables unset or naming another env), "VIRTUAL_ENV",
                             "CONDA_PREFIX", "--env"; NULL when no env */
    bool system_site_packages;
    char **sys_path; /* site folders in the order python searches them */
    size_t n_sys_path;
};

/* The loaded MPI module: a family, the loaded modules' names, an installation prefix variable
 * or the module's wrappers on PATH (see the README for the full list). */
struct mpg_module {
    bool loaded;
    char *name;      /* "mpich" (LMOD_FAMILY_MPI), "OpenMPI" (LOADEDMODULES), ... */
    char *version;   /* "4.1.2" (LMOD_FAMILY_MPI_VERSION, or the loaded module's name) */
    char *home;      /* the installation prefix */
    char *home_var;  /* which variable gave home, e.g. "MPI_HOME", "EBROOTOPENMPI"; "PATH": from its mpicc */
    char *found_by;  /* the signal that named the module: "LMOD_FAMILY_MPI", "LOADEDMODULES", "CRAY_MPICH_DIR", ... */
    char *mpicc;     /* the module's compiler wrappers and launcher, as found (not resolved) */
    char *mpicxx;
    char *mpifort;
    char *mpiexec;
    char *libdir;    /* folder of the module's libmpi */
    struct mpg_mpi mpi;
};

/* One MPI-linked Python extension found on sys.path. */
struct mpg_package {
    char *name;      /* distribution name, e.g. "mpi4py" */
    char *version;
    char *installer; /* "pip", "conda", "uv", "debian" (distro egg-info), or NULL */
    char *site_dir;  /* the sys.path entry it was found in */
    char *extension; /* the extension file that links libmpi */
    char *needed;    /* the DT_NEEDED libmpi name, e.g. "libmpi.so.12" */
    char *rpath;     /* DT_RPATH / DT_RUNPATH as written in the file */
    char *runpath;
    char *resolved;  /* the library the loader would load, canonical, or NULL */
    char *resolved_via; /* "RPATH", "LD_LIBRARY_PATH", "RUNPATH", "ld.so.cache", "system directories",
                           or "mpi4py 4.1.2 search: ..." (what mpi4py's search picked and why) */
    char *import_error; /* what `import` fails with when it fails (no library, an invalid file, ...) */
    char *mpi4py_library; /* mpi4py >= 4.1 wheels: the library mpi4py's search dlopen()s, canonical */
    char *mpicc_cfg; /* mpi4py's mpi.cfg mpicc */
    struct mpg_mpi mpi; /* identification of `resolved` */
};

/* An MPI package recorded in a conda env's conda-meta. */
struct mpg_conda_mpi {
    char *name;    /* "mpich", "openmpi", "impi_rt", "mvapich", "mpi" */
    char *version;
    char *build;
    char *channel;
    bool external; /* installs no library: uses the system's MPI */
    char *libmpi;  /* bundled: the library file it installed, relative to the prefix */
};

struct mpg_finding {
    const char *code; /* stable: "ENV_BUNDLED_MPI", "ABI_MISMATCH", ... */
    enum mpg_severity severity;
    char *message;    /* what is wrong and why it matters, plain words */
    char *fix;        /* exact commands, one per line */
    char *package;    /* package it concerns, or NULL */
    char *path;       /* file it concerns, or NULL */
};

struct mpg_report {
    enum mpg_severity verdict;
    struct mpg_env env;
    struct mpg_module module;
    struct mpg_package *packages;
    size_t n_packages;
    struct mpg_conda_mpi *conda_mpi;
    size_t n_conda_mpi;
    struct mpg_finding *findings;
    size_t n_findings;
    char **problems; /* things that could not be inspected (unreadable file, ...), for humans */
    size_t n_problems;
    bool inspected;  /* false when nothing could be inspected (e.g. --env on a missing folder) */
};

/* What to inspect. */
struct mpg_input {
    const char *const *environ; /* "NAME=value" strings, NULL-terminated; NULL: the process's */
    const char *env_prefix;     /* inspect this prefix instead of the active env (--env) */
    const char *ld_cache;       /* loader cache to read; NULL: /etc/ld.so.cache */
    const char *const *mpi_modules; /* module names the site declared as MPIs, NULL-terminated; may be NULL */
};

/* Runs the whole check. Returns NULL only when out of memory. */
struct mpg_report *mpg_check(const struct mpg_input *in);
void mpg_report_free(struct mpg_report *r);

/* Recomputes r->verdict from the findings' severities. */
void mpg_report_update_verdict(struct mpg_report *r);

/* The report as one JSON object (schema MPG_CHECK_SCHEMA); malloc'd, NULL when out of memory. */
char *mpg_report_json(const struct mpg_report *r);

/* The report as plain text for people: one block per finding with its fix. Writes nothing for a
 * report with no findings unless verbose. colour: ANSI colours (only for terminals). */
void mpg_report_text(const struct mpg_report *r, FILE *out, bool colour, bool verbose);

/* The loaded MPI's compiler wrappers, the values of MPICC, MPICXX, MPIFC: those of the MPI
 * module the check finds (struct mpg_module: from its prefix variable on every site stack,
 * MPI_HOME, EBROOT*, I_MPI_ROOT, CRAY_MPICH_DIR, ..., or its wrappers on PATH, never the active
 * env's own mpicc). Paths as found, never resolved (Open MPI's wrappers read their own name).
 * mpicxx is mpicxx, mpic++ or mpiCC; mpifort is mpifort or mpif90; NULL if absent. */
struct mpg_wrappers {
    char *bin;  /* the folder they are in */
    char *from; /* the variable that gave the prefix, "MPI_HOME", "EBROOTOPENMPI", ..., or "PATH" */
    char *mpicc;
    char *mpicxx;
    char *mpifort;
};

/* Fills w from environ (NULL: the process's). Returns 0, or -1 when no mpicc was found. */
int mpg_find_wrappers(const char *const *environ, struct mpg_wrappers *w);
void mpg_wrappers_clear(struct mpg_wrappers *w);

/* The Environment Modules integration's check, as the Lmod hooks do it through the Lua
 * binding: site policy at policy_file (NULL: the configured one) plus the user's if allowed,
 * the wrappers MPICC & co. are about to get, the check of the process environment with them,
 * exemptions, the policy's actions, one syslog line per shown finding (source, e.g.
 * "modules"; module, e.g. "mpich/4.0.2", for messages and logs). Returns one Tcl dict
 * (verdict, warn_fails, exempt, message, exports, logged, and the changes that set MPICC & co.
 * with notices about them; src/modules_hook.c), malloc'd;
 * NULL when out of memory. Writes nothing to stdout or stderr. */
char *mpg_modules_hook_tcl(const char *module, const char *source, const char *policy_file);

/* Identifies the libmpi at path. Returns 0, or -1 with err filled (unreadable, not ELF, ...). */
int mpg_identify_mpi(const char *path, struct mpg_mpi *out, char *err, size_t errlen);
void mpg_mpi_clear(struct mpg_mpi *m);

/* ---- values that leave mpiguard -----------------------------------------------------------
 * Env names, prefixes, paths from mpi.cfg, module names and file names are the user's: they
 * may hold newlines, terminal escape sequences or shell syntax. Every layer passes them
 * through exactly one of these three before they reach a person or a shell. */

/* Text shown to a person (a terminal, a log viewer): a copy in which control characters,
 * C1 controls, Unicode line separators and bidirectional overrides, and bytes that are not
 * valid UTF-8 are written as \xHH (one per byte); printable ASCII and other valid UTF-8 stay
 * as they are. malloc'd; NULL for NULL. */
char *mpg_escape_for_display(const char *s);

/* A value a person may paste into a POSIX shell as one word: bare when it holds only
 * [A-Za-z0-9_@%+=:,./-], else in single quotes; with bytes that cannot be shown (as above)
 * in bash's $'...' with \xHH. The result never holds a control character. malloc'd; NULL
 * for NULL. */
char *mpg_quote_for_shell(const char *s);

/* Whether a value may be handed back to the user's shell through Lmod's or Environment
 * Modules' setenv: false when it holds a control character (a newline there ends the
 * command and starts another). Refuse such a value; never pass it on. NULL is safe. */
bool mpg_safe_for_shell_eval(const char *s);

/* ---- the syslog line ------------------------------------------------------------------------
 * One line per finding, the same from every layer, for site statistics:
 *   <PRI>Mmm dd hh:mm:ss mpiguard[PID]: code=ABI_MISMATCH action=warn source=lmod user=alice
 *   module=mpich/4.0.2 env=venv env_name=sim prefix=/home/alice/sim job=- step=- node=-
 *   fix="MPICC=/opt/mpich/bin/mpicc python -m pip install ..."
 * Fields in this order, always all of them; a missing value is "-". A value is bare when it
 * holds only printable, non-blank ASCII other than " and \, else it is double-quoted with \"
 * and \\, and control and non-ASCII bytes as \xHH. The whole line stays under MPG_LOG_MAX
 * bytes: over-long values (in practice the prefix and the fix) are cut, with "..." inside
 * their quotes; no field is ever dropped. Facility user; priority err for block, warning for
 * warn, notice otherwise. */
#define MPG_LOG_MAX 2048
#define MPG_LOG_DEFAULT_SOCKET "/dev/log"

struct mpg_log_entry {
    const char *code;     /* "ABI_MISMATCH" */
    const char *action;   /* "note", "warn", "block" */
    const char *source;   /* "lmod", "modules", "slurm", "cli" */
    const char *user;
    const char *module;   /* "mpich/4.0.2" */
    const char *env_kind; /* "conda", "venv", "none" */
    const char *env_name;
    const char *prefix;
    const char *job, *step, *node; /* Slurm's, else NULL */
    const char *fix;      /* only its first line is written */
};

/* The message part (from "code=" on) into buf, NUL-terminated; returns its length. With len
 * of 256 or more every field fits (values cut as needed); with less, buf may be left empty. */
size_t mpg_log_format(const struct mpg_log_entry *e, char *buf, size_t len);

/* Sends one line for e to the local syslog socket (NULL: MPG_LOG_DEFAULT_SOCKET), datagram
 * or stream, without blocking. Returns 0, or -1 if it could not be sent. */
int mpg_log_send(const char *socket_path, const struct mpg_log_entry *e);

/* One line per finding of r (code, action, env and fix from the finding and the report; who
 * gives source, user, module and Slurm's ids); returns how many were sent. */
int mpg_log_report(const char *socket_path, const struct mpg_report *r, const struct mpg_log_entry *who);

const char *mpg_severity_name(enum mpg_severity s); /* "ok", "note", "warn", "block" */
const char *mpg_abi_name(enum mpg_abi a);           /* "mpich", "openmpi", "mpiabi", "unknown" */
const char *mpg_env_kind_name(enum mpg_env_kind k); /* "none", "conda", "venv" */

#ifdef __cplusplus
}
#endif
#endif

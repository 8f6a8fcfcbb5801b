# checks.sh: what the integration tests against real module systems share (tests/lmod,
# tests/envmodules): expectations and the env shapes. Sourced after the caller has defined
# T (its temporary folder), skip, pass and fail.

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: got '$1', expected '$2'"; fi
}
# expect_grep PATTERN FILE WHAT / expect_nogrep PATTERN FILE WHAT
expect_grep() {
    if grep -q -- "$1" "$2"; then pass "$3"; else fail "$3: no '$1' in: $(cat "$2")"; fi
}
expect_nogrep() {
    if grep -q -- "$1" "$2"; then fail "$3: unexpected '$1' in: $(cat "$2")"; else pass "$3"; fi
}
# expect_empty FILE WHAT
expect_empty() {
    if [ -s "$1" ]; then fail "$2: expected nothing, got: $(head -c 600 "$1")"; else pass "$2"; fi
}

# ---- env shapes -------------------------------------------------------------------------

# make_venv DIR: a venv of Debian's python3 that sees python3-mpi4py (links Open MPI's
# libmpi.so.40); activate with activate_venv DIR.
make_venv() {
    [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
    [ -d /usr/lib/python3/dist-packages/mpi4py ] || skip "python3-mpi4py is not installed"
    /usr/bin/python3 -m venv --system-site-packages --without-pip "$1" >/dev/null 2>&1 ||
        skip "python3 -m venv failed (apt-get install python3-venv)"
}
activate_venv() { export VIRTUAL_ENV=$1 PATH=$1/bin:$PATH; }

# make_conda_bundled DIR [RECORDS]: a conda-like env whose mpi4py loads the env's own MPICH
# (lib/libmpi.so.12 with MPICH's version symbols, recorded by a conda-forge bundled mpich
# package), plus RECORDS extra package records (default 0). Activate with activate_conda.
make_conda_bundled() {
    local p=$1 n=${2:-0} sp i
    command -v gcc >/dev/null || skip "no gcc"
    sp=$p/lib/python3.11/site-packages
    mkdir -p "$p/conda-meta" "$p/bin" "$sp/mpi4py" "$sp/mpi4py-3.1.6.dist-info"
    printf 'const char MPII_Version_string[] = "4.1.2";\nconst char MPII_Version_device[] = "ch4:ofi";\nint MPI_Init(int *c, char ***v) { (void)c; (void)v; return 0; }\n' > "$T/fakempich.c"
    gcc -shared -fPIC -Wl,-soname,libmpi.so.12 -o "$p/lib/libmpi.so.12" "$T/fakempich.c" ||
        skip "cannot build a test libmpi.so.12"
    printf 'extern int MPI_Init(int *, char ***);\nint PyInit_MPI(void) { return MPI_Init(0, 0); }\n' > "$T/mpimod.c"
    gcc -shared -fPIC -o "$sp/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so" "$T/mpimod.c" \
        -L"$p/lib" -l:libmpi.so.12 -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/../../..' ||
        skip "cannot build a test MPI extension"
    printf '[mpi]\nmpicc = %s/bin/mpicc\n' "$p" > "$sp/mpi4py/mpi.cfg"
    printf 'Metadata-Version: 2.1\nName: mpi4py\nVersion: 3.1.6\n' > "$sp/mpi4py-3.1.6.dist-info/METADATA"
    echo conda > "$sp/mpi4py-3.1.6.dist-info/INSTALLER"
    ln -sf /usr/bin/python3 "$p/bin/python3.11"
    ln -sf python3.11 "$p/bin/python"
    cat > "$p/conda-meta/mpich-4.1.2-h846660c_100.json" <<JSON
{"name": "mpich", "version": "4.1.2", "build": "h846660c_100", "build_number": 100,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": [], "track_features": "",
 "files": ["bin/mpicc", "bin/mpiexec", "lib/libmpi.so.12"]}
JSON
    cat > "$p/conda-meta/mpi4py-3.1.6-py311h1234567_0.json" <<JSON
{"name": "mpi4py", "version": "3.1.6", "build": "py311h1234567_0", "build_number": 0,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": ["mpich >=4.1.2,<5.0a0", "python >=3.11,<3.12.0a0"],
 "files": ["lib/python3.11/site-packages/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so"]}
JSON
    cat > "$p/conda-meta/python-3.11.7-hab00c5b_0.json" <<JSON
{"name": "python", "version": "3.11.7", "build": "hab00c5b_0", "build_number": 0,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": [], "files": ["bin/python3.11"]}
JSON
    for i in $(seq 1 "$n"); do
        printf '{"name": "pkg%d", "version": "1.0", "build": "h0_0", "build_number": 0, "channel": "https://conda.anaconda.org/conda-forge/linux-64", "depends": [], "files": ["lib/pkg%d.txt"]}\n' "$i" "$i" > "$p/conda-meta/pkg$i-1.0-h0_0.json"
    done
    : > "$p/conda-meta/history"
}
activate_conda() {
    export CONDA_PREFIX=$1 CONDA_DEFAULT_ENV=$(basename "$1") PATH=$1/bin:$PATH
}

# make_conda_external DIR: a conda env with conda-forge's "external" MPICH (no library of its
# own) whose mpi4py needs libmpi.so.12, which Debian's MPICH does not provide (it has only
# libmpich.so.12). Activate with activate_conda.
make_conda_external() {
    local p=$1 sp
    make_conda_bundled "$p"
    rm -f "$p/lib/libmpi.so.12" "$p/conda-meta/mpich-4.1.2-h846660c_100.json"
    cat > "$p/conda-meta/mpich-4.0.2-external_0.json" <<JSON
{"name": "mpich", "version": "4.0.2", "build": "external_0", "build_number": 0,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": [], "track_features": "mpich_external", "files": []}
JSON
}

#!/bin/bash
# test_rpm.sh: rpm/mpiguard.spec builds the RPMs from `make dist`'s tarball with Debian's rpm:
#   rpmbuild -bb --nodeps (RPM build dependencies cannot be resolved on Debian)
# and each RPM holds what the spec says. What only a RHEL-family machine can check (dependency
# resolution, EPEL's Lmod and Lua paths, rpmlint) is not checked here. Runs in the plain build
# only; the numbers go to $MPG_TOP_BUILDDIR/tests/packaging/rpm-report.txt.
set -u
# Not the make check that runs us: its flags (TESTS=..., -j) must not reach the nested builds.
unset MAKEFLAGS MFLAGS MAKELEVEL
BUILD=${MPG_TOP_BUILDDIR:?}
SRC=${MPG_TOP_SRCDIR:?}
skip() { echo "SKIP test_rpm: $*" >&2; exit 77; }
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
[ -z "${MPG_SAN_CFLAGS:-}" ] || skip "RPMs are built once, by the plain build's make check"
[ -w "$SRC" ] || skip "read-only source tree (make distcheck): the plain build tests the RPMs"
command -v rpmbuild > /dev/null || skip "rpmbuild is not installed (apt-get install rpm)"
pkg-config --exists lua5.4 || skip "Lua 5.4 headers are missing (apt-get install liblua5.4-dev)"
T=$(mktemp -d /var/tmp/mpg-rpm.XXXXXX)
trap 'rm -rf "$T"' EXIT
REPORT=$BUILD/tests/packaging/rpm-report.txt
mkdir -p "$T/SOURCES" "$T/dist"
dd=mpg-rpm-distdir-$$  # automake wants a distdir relative to the build tree
make -s -C "$BUILD" distdir distdir=$dd > "$T/dist.log" 2>&1 && mv "$BUILD/$dd" "$T/dist/mpiguard-0.1.0" &&
    tar -C "$T/dist" -czf "$T/SOURCES/mpiguard-0.1.0.tar.gz" mpiguard-0.1.0 || { bad "make distdir: $(tail -5 "$T/dist.log")"; exit 1; }
start=$(date +%s.%N)
# Debian's rpm has no debugedit: no debuginfo subpackages. Lua 5.4: what EPEL 9's Lmod runs.
rpmbuild -bb --nodeps --nocheck --define "_topdir $T" --define 'debug_package %{nil}' --define 'lua_version 5.4' \
    --define "_smp_mflags -j$(nproc)" "$SRC/rpm/mpiguard.spec" > "$T/build.log" 2>&1
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
[ $rc = 0 ] && ok "rpmbuild -bb --nodeps --nocheck (${secs%.*} s)" || { bad "rpmbuild: $(tail -20 "$T/build.log")"; exit 1; }
echo "# RPMs built $(date -u +%F) in ${secs%.*} s with Debian's rpm (rpmbuild -bb --nodeps --nocheck; %check runs tests/cli, which make check runs already)" > "$REPORT"
for r in "$T"/RPMS/*/*.rpm; do
    { echo "# $(basename "$r") $(stat -c %s "$r") bytes"; rpm -qp --requires "$r" 2>/dev/null | grep -v '^rpmlib' | tr '\n' ' '; echo; rpm -qlp "$r" 2>/dev/null; } >> "$REPORT"
done
has() { rpm -qlp "$T"/RPMS/*/"$1"-0.1.0-1*.rpm 2>/dev/null | grep -qxE "$2"; }
# (Fedora's rpm compresses man pages, Debian's does not.)
has mpiguard /usr/bin/mpiguard && has mpiguard '/usr/share/man/man5/mpiguard-policy.5(.gz)?' && ok "mpiguard: the command and man pages" || bad "mpiguard rpm contents"
has mpiguard-libs /usr/lib64/libmpiguard.so.0 && ok "mpiguard-libs: the library" || bad "mpiguard-libs contents"
has mpiguard-lmod /usr/lib64/mpiguard/lua/5.4/mpiguard.so && has mpiguard-lmod /usr/share/lua/5.4/mpiguard_hooks.lua && ok "mpiguard-lmod: binding for Lua 5.4 and hooks" || bad "mpiguard-lmod contents"
has mpiguard-envmodules /usr/lib64/mpiguard/tcl/mpiguard_tcl.so && has mpiguard-envmodules /usr/share/mpiguard/envmodules/mpiguard.tcl && ok "mpiguard-envmodules: Tcl extension and siteconfig fragment" || bad "mpiguard-envmodules contents"
has mpiguard-slurm /usr/lib64/mpiguard/spank_mpiguard.so && ! has mpiguard /usr/lib64/mpiguard/spank_mpiguard.so && ok "mpiguard-slurm: the SPANK plugin, only there" || bad "mpiguard-slurm contents"
has mpiguard-probe-verbs /usr/libexec/mpiguard/mpiguard-verbs.so && ! has mpiguard-probe /usr/libexec/mpiguard/mpiguard-verbs.so && ok "the verbs plug-in only in mpiguard-probe-verbs" || bad "probe split"
has mpiguard-slurm /usr/libexec/mpiguard/mpiguard-step-check && ! has mpiguard-probe /usr/libexec/mpiguard/mpiguard-step-check &&
    ok "mpiguard-slurm: the plugin's checker, only there" || bad "mpiguard-slurm: no checker"
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$T"/RPMS/*/mpiguard-slurm-0.1.0-1*.rpm 2>/dev/null | grep -q '^-rwx--x--x /usr/libexec/mpiguard/mpiguard-step-check$' &&
    ok "mpiguard-slurm: the checker is mode 0711" || bad "checker mode in the RPM: $(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$T"/RPMS/*/mpiguard-slurm-0.1.0-1*.rpm 2>&1 | tail -2)"
rpm -qp --requires "$T"/RPMS/*/mpiguard-0.1.0-1*.rpm 2>/dev/null | grep -q '^jansson' && ! rpm -qp --requires "$T"/RPMS/*/mpiguard-0.1.0-1*.rpm 2>/dev/null | grep -q 'libmpiguard\|mpiguard-libs' &&
    ok "mpiguard requires jansson (loaded by path), not mpiguard-libs" || bad "mpiguard's requires: $(rpm -qp --requires "$T"/RPMS/*/mpiguard-0.1.0-1*.rpm 2>&1 | tr '\n' ' ')"
rpm -qp --requires "$T"/RPMS/*/mpiguard-probe-verbs-0.1.0-1*.rpm 2>/dev/null | grep -q 'libibverbs.so.1' && ok "mpiguard-probe-verbs requires libibverbs.so.1" || bad "verbs requires"
rpm -qp --requires "$T"/RPMS/*/mpiguard-probe-0.1.0-1*.rpm 2>/dev/null | grep -q libibverbs && bad "the probe requires libibverbs" || ok "mpiguard-probe does not need libibverbs"
mkdir -p "$T/x" && (cd "$T/x" && rpm2cpio "$T"/RPMS/*/mpiguard-0.1.0-1*.rpm | cpio -idm --quiet) 2> /dev/null
zcat -f "$T"/x/usr/share/man/man5/mpiguard-policy.5* 2> /dev/null | grep -q '/etc/mpiguard/policy.conf' &&
    ok "the man pages name /etc/mpiguard/policy.conf" || bad "policy path in the RPM's man page: $(ls -R "$T/x" | head -5)"
echo "report: $REPORT"
echo "$fails failed"
[ $fails = 0 ]

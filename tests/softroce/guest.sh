#!/bin/bash
# guest.sh: run one script inside a throwaway QEMU guest that has Soft-RoCE.
#
#   tests/softroce/guest.sh [-t SECONDS] [-r RESULTS_DIR] [-e KEY=VALUE]... SCRIPT
#
# The build machines' kernels have no RDMA, a QEMU guest running Debian's own
# kernel does (../../../shared/FACTS.md section 5). The guest boots from an
# initramfs made of busybox-static, guest-init.sh and the modules rxe needs,
# mounts the host's root read-only over 9p, chroots into it (so host-built
# binaries run unchanged), creates rxe0 on dummy0 and runs SCRIPT there.
#
#   SCRIPT       host path of an executable, not under /tmp, /run or /dev/shm (the
#                guest has its own tmpfs there); it runs as root in the guest with
#                MPIGUARD_RESULTS set to RESULTS_DIR (writable, same path).
#   -r DIR       results folder (default: a fresh one under the cache folder).
#                Gets output, status, init.log, console.log, qemu.rc, poweroff.
#   -t SECONDS   hard limit on the whole guest (default 180).
#   Memory: MPIGUARD_GUEST_MEM MiB (default 2048: two ASan-built ranks need ~250 MiB each).
#   -e KEY=VAL   extra environment for SCRIPT, passed on the kernel command line
#                (KEY must start with MPIGUARD_; no spaces in VAL).
#
# Cache: $MPIGUARD_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/mpiguard-test.
# The Debian kernel package named by `apt-cache depends linux-image-amd64` is
# fetched there with `apt-get download` and unpacked with `dpkg -x`.
#
# Prints SCRIPT's output on stdout. Exit status: SCRIPT's own status when the
# guest ran it and powered off cleanly; 77 (automake SKIP) with a one-line
# reason on stderr when QEMU or the kernel cannot be had; 99 when the guest
# itself broke (timeout, no status, no clean poweroff): see console.log.

set -u -o pipefail

readonly GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Dependency order, see FACTS 5; the list is read by guest-init.sh.
readonly GUEST_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci failover net_failover virtio_net netfs fscache 9pnet 9pnet_virtio 9p
crc32_generic crc32-pclmul ib_core ib_uverbs ib_umad ib_cm iw_cm configfs rdma_cm
rdma_ucm udp_tunnel ip6_udp_tunnel rdma_rxe dummy"

guest_skip() { echo "SKIP: softroce guest: $*" >&2; exit 77; }
guest_broke() { echo "ERROR: softroce guest: $*" >&2; exit 99; }

guest_usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

timeout_s=180
results=
extra=()
while getopts "t:r:e:h" opt; do
	case "$opt" in
	t) timeout_s=$OPTARG ;;
	r) results=$OPTARG ;;
	e)
		[[ $OPTARG =~ ^MPIGUARD_[A-Za-z0-9_]*=[^[:space:]]*$ ]] ||
			{ echo "guest.sh: -e wants MPIGUARD_KEY=VALUE without spaces: $OPTARG" >&2; exit 2; }
		extra+=("$OPTARG") ;;
	*) guest_usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || guest_usage
script=$1
case "$script" in /*) ;; *) script=$(pwd)/$script ;; esac
[ -x "$script" ] || { echo "guest.sh: not an executable: $script" >&2; exit 2; }
case "$script" in
/tmp/* | /run/* | /dev/shm/*)
	echo "guest.sh: $script is hidden in the guest (tmpfs on /tmp, /run, /dev/shm): put it elsewhere" >&2
	exit 2 ;;
esac
[[ $script =~ [[:space:]] ]] && { echo "guest.sh: the script path may not contain spaces" >&2; exit 2; }

cache=${MPIGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mpiguard-test}
mkdir -p "$cache" || guest_skip "cannot create the cache folder $cache"
cache=$(cd "$cache" && pwd)

# ---- tools ------------------------------------------------------------------
qemu=$(command -v qemu-system-x86_64) ||
	guest_skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
[ "$(uname -m)" = x86_64 ] || guest_skip "host is $(uname -m), the guest is x86_64 only"
busybox=/bin/busybox
[ -x "$busybox" ] || guest_skip "no /bin/busybox (apt-get install busybox-static)"
# A dynamically linked busybox cannot run alone in an initramfs.
if [[ $(LC_ALL=C ldd "$busybox" 2>&1) != *"not a dynamic executable"* ]]; then
	guest_skip "$busybox is dynamically linked (apt-get install busybox-static)"
fi
for t in timeout dpkg apt-get apt-cache gzip; do
	command -v "$t" > /dev/null || guest_skip "$t not found"
done
[ -x /usr/bin/rdma ] || guest_skip "no /usr/bin/rdma (apt-get install iproute2)"

# ---- kernel -----------------------------------------------------------------
# Resolve the metapackage to the versioned image package; offline, fall back to
# whatever kernel an earlier run left in the cache.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
if [ -n "$kpkg" ]; then
	kdir=$cache/$kpkg
	if [ ! -d "$kdir/lib/modules" ]; then
		mkdir -p "$cache/debs" || guest_skip "cannot write $cache/debs"
		( cd "$cache/debs" && apt-get download "$kpkg" ) > "$cache/debs/download.log" 2>&1 ||
			guest_skip "apt-get download $kpkg failed: $(grep -m1 -E '^(E|Err):' "$cache/debs/download.log")"
		deb=$(ls -t "$cache/debs/${kpkg}"_*.deb 2>/dev/null | head -n 1)
		[ -n "$deb" ] || guest_skip "apt-get download $kpkg left no .deb in $cache/debs"
		rm -rf "$kdir.tmp"
		dpkg -x "$deb" "$kdir.tmp" || guest_skip "dpkg -x $deb failed"
		mv "$kdir.tmp" "$kdir"
		rm -f "$deb"   # the unpacked tree is all we use
	fi
else
	kdir=$(ls -d "$cache"/linux-image-*/lib/modules 2>/dev/null | head -n 1)
	[ -n "$kdir" ] || guest_skip "no linux-image-amd64 known to apt (run apt-get update) and no cached kernel in $cache"
	kdir=${kdir%/lib/modules}
fi
kver=$(ls "$kdir/lib/modules" | head -n 1)
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || guest_skip "no kernel image $vmlinuz"
moddir=$kdir/lib/modules/$kver

# ---- results folder ---------------------------------------------------------
if [ -z "$results" ]; then
	results=$(mktemp -d "$cache/run.XXXXXX") || guest_skip "cannot create a results folder"
fi
mkdir -p "$results" || { echo "guest.sh: cannot create $results" >&2; exit 2; }
results=$(cd "$results" && pwd)
[[ $results =~ [[:space:]] ]] && { echo "guest.sh: the results path may not contain spaces" >&2; exit 2; }
rm -f "$results"/{output,status,init.log,console.log,qemu.rc,poweroff}

# ---- initramfs --------------------------------------------------------------
stage=$(mktemp -d "$cache/initrd.XXXXXX") || guest_skip "cannot create a staging folder"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/modules" "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
cp "$GUEST_DIR/guest-init.sh" "$stage/init"
chmod 755 "$stage/init"
: > "$stage/modules.list"
for m in $GUEST_MODULES; do
	ko=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n 1)
	if [ -z "$ko" ]; then
		# Built in (=y) is fine; anything else means this kernel cannot do rxe.
		grep -q "/$m.ko\$" "$moddir/modules.builtin" 2>/dev/null ||
			guest_skip "kernel $kver has no module $m"
		continue
	fi
	case "$ko" in
	*.xz) xz -dc "$ko" > "$stage/modules/$m.ko" ;;
	*.zst) zstd -qdc "$ko" > "$stage/modules/$m.ko" ;;
	*) cp "$ko" "$stage/modules/$m.ko" ;;
	esac || guest_skip "cannot unpack $ko"
	echo "$m" >> "$stage/modules.list"
done
initrd=$stage/initrd.gz
( cd "$stage" && find bin modules tmp init modules.list | "$busybox" cpio -o -H newc 2>/dev/null ) |
	gzip -1 > "$initrd" || guest_skip "cannot build the initramfs"

# ---- boot -------------------------------------------------------------------
append="console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init"
append+=" MPIGUARD_SCRIPT=$script MPIGUARD_RESULTS=$results ${extra[*]}"
# KVM cannot run this kernel on the build machines (FACTS 5): TCG only.
timeout --kill-after=10 "$timeout_s" "$qemu" \
	-accel tcg,thread=multi -cpu max -smp 2 -m "${MPIGUARD_GUEST_MEM:-2048}" \
	-nographic -no-reboot -nodefaults -serial stdio -nic none \
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$results,mount_tag=results,security_model=none" \
	< /dev/null > "$results/console.log" 2>&1
qrc=$?
echo "$qrc" > "$results/qemu.rc"

case "$qrc" in
0) ;;
124 | 137) guest_broke "QEMU killed after ${timeout_s}s (see $results/console.log)" ;;
*)
	if grep -q -m1 -E 'Could not access KVM|failed to initialize|Permission denied' "$results/console.log"; then
		guest_skip "QEMU cannot start here: $(grep -m1 -E 'qemu' "$results/console.log")"
	fi
	guest_broke "QEMU exited with status $qrc (see $results/console.log)" ;;
esac
[ -f "$results/output" ] && cat "$results/output"
if grep -q "^FATAL" "$results/init.log" 2>/dev/null; then
	guest_broke "$(grep -m1 '^FATAL' "$results/init.log") (see $results/console.log)"
fi
fatal=$(grep -m1 -o 'mpiguard-guest: FATAL.*' "$results/console.log" | tr -d '\r')
[ -z "$fatal" ] || guest_broke "${fatal#mpiguard-guest: } (see $results/console.log)"
[ -f "$results/status" ] || guest_broke "the guest wrote no status (see $results/console.log)"
# -no-reboot makes QEMU exit 0 on a panic too: only the marker proves poweroff.
[ -f "$results/poweroff" ] || guest_broke "the guest did not reach poweroff (see $results/console.log)"
exit "$(cat "$results/status")"

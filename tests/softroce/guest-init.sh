#!/bin/busybox sh
# /init of the Soft-RoCE test guest (runs under busybox ash, PID 1).
#
# guest.sh packs this file, busybox-static and the kernel modules named in
# /modules.list into an initramfs. The kernel hands every KEY=value word of its
# command line to us as an environment variable; we use
#   MPIGUARD_SCRIPT   script to run (a path in the host's root, seen read-only)
#   MPIGUARD_RESULTS  host folder shared writable as 9p tag "results"; mounted at
#                     the same path inside the chroot so host and guest agree
# plus any MPIGUARD_* words guest.sh was asked to add.
# Results written: output (script's stdout+stderr), status (its exit status),
# init.log (this script's own messages), poweroff (marker, last thing written).

/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /newroot
/bin/busybox --install -s /bin
export PATH=/bin:/sbin

R=/newroot
say() { echo "mpiguard-guest: $*" > /dev/console; }
die() {
	say "FATAL: $*"
	echo "FATAL: $*" >> "$R$MPIGUARD_RESULTS/init.log" 2>/dev/null
	sync
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# Dependency order, no depmod: crc32_generic is what rxe's ICRC needs (without
# it `rdma link add` fails with ENOENT); configfs is needed for rdma_ucm.
# crc32-pclmul is only a faster crc32 and may be missing on an odd -cpu.
while read -r mod; do
	[ -n "$mod" ] || continue
	[ -f "/modules/$mod.ko" ] || continue      # built into this kernel
	if ! insmod "/modules/$mod.ko" 2>/tmp/insmod.err; then
		case "$mod" in
		crc32-pclmul) say "note: $mod not loaded: $(cat /tmp/insmod.err)" ;;
		*) die "insmod $mod failed: $(cat /tmp/insmod.err)" ;;
		esac
	fi
done < /modules.list

mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot "$R" ||
	die "cannot mount the host root (9p tag hostroot)"
# 9p holds no FIFOs or sockets and the share is read-only: give the chroot its
# own writable, socket-capable /tmp, /run and /dev/shm.
mount -t proc proc "$R/proc" || die "mount proc in chroot"
mount -t sysfs sysfs "$R/sys" || die "mount sysfs in chroot"
mount -t devtmpfs devtmpfs "$R/dev" || die "mount devtmpfs in chroot"
mkdir -p "$R/dev/pts" "$R/dev/shm"
# devtmpfs lacks what udev/systemd would add; bash's <(...) needs /dev/fd.
ln -sf /proc/self/fd "$R/dev/fd"
ln -sf /proc/self/fd/0 "$R/dev/stdin"
ln -sf /proc/self/fd/1 "$R/dev/stdout"
ln -sf /proc/self/fd/2 "$R/dev/stderr"
mount -t devpts devpts "$R/dev/pts" || die "mount devpts in chroot"
mount -t tmpfs tmpfs "$R/dev/shm" || die "mount /dev/shm in chroot"
mount -t tmpfs tmpfs "$R/tmp" || die "mount /tmp in chroot"
mount -t tmpfs tmpfs "$R/run" || die "mount /run in chroot"

[ -n "$MPIGUARD_RESULTS" ] || die "no MPIGUARD_RESULTS= on the kernel command line"
mkdir -p "$R$MPIGUARD_RESULTS" 2>/dev/null   # exists already unless it hides under /tmp or /run
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "$R$MPIGUARD_RESULTS" ||
	die "cannot mount the results folder (9p tag results) at $MPIGUARD_RESULTS"
LOG="$R$MPIGUARD_RESULTS/init.log"
: > "$LOG"

hostname localhost   # MPI launchers need a resolvable name
ip link set lo up || die "ip link set lo up"
ip link set dummy0 up || die "no dummy0 (dummy module not loaded?)"
ip addr add 10.0.2.15/24 dev dummy0 || die "ip addr add on dummy0"
chroot "$R" /usr/bin/rdma link add rxe0 type rxe netdev dummy0 >> "$LOG" 2>&1 ||
	die "rdma link add rxe0 failed (see init.log)"
echo "rxe0 on dummy0 ready" >> "$LOG"

[ -n "$MPIGUARD_SCRIPT" ] || die "no MPIGUARD_SCRIPT= on the kernel command line"
say "running $MPIGUARD_SCRIPT"
export HOME=/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The script's output goes both to the serial console (live, for debugging)
# and to the results folder; its own exit status is what the host reports.
chroot "$R" /bin/bash -c '
	cd /tmp || exit 125
	"$MPIGUARD_SCRIPT" < /dev/null 2>&1 | tee "$MPIGUARD_RESULTS/output"
	echo "${PIPESTATUS[0]}" > "$MPIGUARD_RESULTS/status"'
say "script exited with status $(cat "$R$MPIGUARD_RESULTS/status" 2>/dev/null || echo '?')"
echo "poweroff" > "$R$MPIGUARD_RESULTS/poweroff"
sync
umount "$R$MPIGUARD_RESULTS"
poweroff -f

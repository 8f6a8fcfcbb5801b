# syslog_listener.sh: a test syslog socket, as /dev/log is (a datagram socket), for the tests
# that read back the lines mpiguard sends to the site policy's log_socket. Sourced.
#
# start_syslog_listener SOCK LOG [SECONDS] [SEP]: appends each datagram to LOG followed by SEP
# ("nl", the default, or "nul" where a datagram may hold a newline), for SECONDS (default 20;
# 0: until killed); the socket is writable by everyone (the Slurm checker runs as the job's
# user). Waits for the socket; sets LISTENER to the listener's pid. Returns 1 if the socket
# did not appear.
start_syslog_listener() {
    local sock=$1 log=$2 secs=${3:-20} sep=${4:-nl}
    : >> "$log"
    /usr/bin/python3 - "$sock" "$log" "$secs" "$sep" <<'PY' &
import os, socket, sys, time
sock, log, secs, sep = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock)
os.chmod(sock, 0o666)
s.settimeout(0.2)
end = time.time() + secs if secs > 0 else None
with open(log, "ab", buffering=0) as out:
    while end is None or time.time() < end:
        try:
            out.write(s.recv(65536) + (b"\0" if sep == "nul" else b"\n"))
        except socket.timeout:
            pass
PY
    LISTENER=$!
    local _
    for _ in $(seq 50); do [ -S "$sock" ] && return 0; sleep 0.1; done
    return 1
}

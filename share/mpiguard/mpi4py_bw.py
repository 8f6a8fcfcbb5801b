# mpi4py_bw.py: the mpi4py leg of `mpiguard test-mpi`.
#
# Run by the user's own env python, as two ranks under the same launcher as mpiguard-probe, so it
# measures exactly what the user's jobs get: their mpi4py and whatever libmpi it loads. The
# measurement is osu_bw's (window of 64 Isend/Irecv, a 4-byte ack, 10+100 iterations up to
# 8 KiB, 2+20 above, MB/s = size/1e6 * iterations * window / seconds), like mpi4py's own
# demo/osu_bw.py, with bytearray buffers so numpy is not needed. Works with mpi4py 3.x and 4.x.
#
# Records on stdout, one tab-separated line each, the format of src/probe/probe_out.h; progress
# on stderr. When the ranks do not see each other (launcher and library of different MPIs:
# every rank is "0 of 1") each rank says so and exits at once, never waiting for a peer.
#
# Exit status: 0 measured, 2 usage, 4 "0 of 1", 5 mpi4py cannot be imported, 6 other MPI error.
import os
import sys
import time

SCHEMA = "mpiguard.probe-out/1"
WINDOW = 64
LARGE = 8192
TAG_DATA, TAG_ACK, TAG_PLAN = 100, 101, 102
# Same lists as src/probe/probe_sizes.h.
SIZES_DEFAULT = "8,1K,8K,64K,256K,1M,4M"
SIZES_QUICK = "64K,1M"
# Variables the common launchers set to the number of ranks they started.
SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MV2_COMM_WORLD_SIZE",
             "SLURM_NTASKS", "MPI_LOCALNRANKS")


def clean(text):
    return " ".join(str(text).split())


def out(*fields):
    sys.stdout.write("\t".join(clean(f) for f in fields) + "\n")
    sys.stdout.flush()


def progress(msg):
    sys.stderr.write("mpi4py_bw: %s\n" % msg)
    sys.stderr.flush()


def parse_sizes(text):
    sizes = []
    for word in text.split(","):
        if not word:
            continue
        mult = 1
        if word[-1] in "kK":
            mult, word = 1 << 10, word[:-1]
        elif word[-1] in "mM":
            mult, word = 1 << 20, word[:-1]
        value = int(word) * mult
        if not 0 < value <= 1 << 30:
            raise ValueError("sizes go from 1 B to 1 GiB")
        sizes.append(value)
    if not sizes:
        raise ValueError("no sizes given")
    return sizes


def parse_args(argv):
    opts = {"sizes": None, "quick": False, "budget": None, "expect": 2}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--quick":
            opts["quick"] = True
        elif arg in ("--sizes", "--budget", "--expect") and i + 1 < len(argv):
            opts[arg[2:]] = argv[i + 1]
            i += 1
        else:
            raise ValueError("unknown argument %r" % arg)
        i += 1
    quick = opts["quick"]
    opts["sizes"] = parse_sizes(opts["sizes"] or (SIZES_QUICK if quick else SIZES_DEFAULT))
    opts["budget"] = float(opts["budget"]) if opts["budget"] else (3.0 if quick else 6.0)
    opts["expect"] = int(opts["expect"])
    return opts


def launched_size():
    for name in SIZE_VARS:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value), name
    return None, None


def loaded_libmpi():
    """The libmpi file this process really mapped (mpi4py 3.x cannot tell; 4.1+ can)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rstrip("\n").split(None, 5)[-1]
                base = os.path.basename(path)
                if base.startswith(("libmpi.so", "libmpich.so", "libmpi_abi.so", "libmpi_mt.so")):
                    return path
    except OSError:
        pass
    return ""


def plan_for(size, quick):
    if quick:
        return (1, 10) if size > LARGE else (5, 50)
    return (2, 20) if size > LARGE else (10, 100)


def bw_one(MPI, comm, rank, size, plan, sbuf, rbuf):
    warmup, iters = plan
    peer = 1 - rank
    smv = memoryview(sbuf)[:size]
    rmv = memoryview(rbuf)[:size]
    ack = bytearray(4)
    reqs = [None] * WINDOW
    comm.Barrier()
    t0 = 0.0
    for i in range(warmup + iters):
        if i == warmup:
            t0 = MPI.Wtime()
        if rank == 0:
            for j in range(WINDOW):
                reqs[j] = comm.Isend([smv, MPI.BYTE], peer, TAG_DATA)
            MPI.Request.Waitall(reqs)
            comm.Recv([ack, MPI.BYTE], peer, TAG_ACK)
        else:
            for j in range(WINDOW):
                reqs[j] = comm.Irecv([rmv, MPI.BYTE], peer, TAG_DATA)
            MPI.Request.Waitall(reqs)
            comm.Send([ack, MPI.BYTE], peer, TAG_ACK)
    return MPI.Wtime() - t0


def latency(MPI, comm, rank, quick):
    warmup, iters = (10, 200) if quick else (100, 1000)
    peer = 1 - rank
    sbuf, rbuf = bytearray(8), bytearray(8)
    comm.Barrier()
    t0 = 0.0
    for i in range(warmup + iters):
        if i == warmup:
            t0 = MPI.Wtime()
        if rank == 0:
            comm.Send([sbuf, MPI.BYTE], peer, TAG_DATA)
            comm.Recv([rbuf, MPI.BYTE], peer, TAG_DATA)
        else:
            comm.Recv([rbuf, MPI.BYTE], peer, TAG_DATA)
            comm.Send([sbuf, MPI.BYTE], peer, TAG_DATA)
    return (MPI.Wtime() - t0) * 1e6 / (2.0 * iters)


def sweep(MPI, comm, rank, opts):
    sizes = opts["sizes"]
    biggest = max(sizes)
    sbuf, rbuf = bytearray(b"a" * biggest), bytearray(biggest)
    if rank == 0:
        progress("latency 8 B")
    lat = latency(MPI, comm, rank, opts["quick"])
    if rank == 0:
        out("lat", "mpi4py", 8, "%.3f" % lat)
    spent, last_rate, shrunk = 0.0, 0.0, False
    for size in sizes:
        plan = plan_for(size, opts["quick"])
        if rank == 0 and last_rate > 0:
            left = opts["budget"] - spent
            per_iter = float(size) * WINDOW / last_rate
            if sum(plan) * per_iter > left:
                n = int(left / per_iter) - 1
                plan = (1, min(n - 1, plan[1])) if n >= 2 else (0, 0)
                shrunk = True
        wire = bytearray(8)
        if rank == 0:
            wire[:] = plan[0].to_bytes(4, "little") + plan[1].to_bytes(4, "little")
            comm.Send([wire, MPI.BYTE], 1, TAG_PLAN)
        else:
            comm.Recv([wire, MPI.BYTE], 0, TAG_PLAN)
            plan = (int.from_bytes(wire[:4], "little"), int.from_bytes(wire[4:], "little"))
        if plan[1] == 0:
            break
        secs = bw_one(MPI, comm, rank, size, plan, sbuf, rbuf)
        if rank == 0:
            mbps = size / 1e6 * plan[1] * WINDOW / secs if secs > 0 else 0.0
            spent += secs * sum(plan) / plan[1]
            last_rate = mbps * 1e6
            out("bw", "mpi4py", size, "%.2f" % mbps, plan[1])
            progress("bw %d B: %.1f MB/s" % (size, mbps))
    if rank == 0:
        out("status", "mpi4py", "ok",
            "time budget reached: fewer iterations or sizes than osu_bw" if shrunk else "")


def main(argv):
    try:
        opts = parse_args(argv)
    except ValueError as err:
        sys.stderr.write("mpi4py_bw: %s\n" % err)
        return 2
    try:
        from mpi4py import MPI
    except Exception as err:  # ImportError, or an OSError from a libmpi that fails to load
        out("status", "mpi4py", "failed", "cannot import mpi4py.MPI with %s: %s"
            % (sys.executable, err))
        return 5
    comm = MPI.COMM_WORLD
    rank, nranks = comm.Get_rank(), comm.Get_size()
    launched, var = launched_size()
    if nranks != opts["expect"]:
        lib = loaded_libmpi()
        detail = "launcher started %d (%s)" % (launched, var) if launched else "launched as %d" % opts["expect"]
        state = "zero_of_one" if nranks == 1 else "failed"
        out("status", "mpi4py", state, "rank %d of %d, %s; mpi4py %s loaded %s"
            % (rank, nranks, detail, _mpi4py_version(), lib or "?"))
        out("info", "mpi4py_library", lib)
        # No Finalize: with a foreign launcher some libraries wait on it for peers that never come.
        sys.stdout.flush()
        os._exit(4)
    if rank == 0:
        out("#" + SCHEMA)
        out("info", "python", sys.executable, "mpi4py " + _mpi4py_version())
        out("info", "mpi4py_library", loaded_libmpi())
    try:
        sweep(MPI, comm, rank, opts)
    except Exception as err:  # an MPI.Exception: report it rather than a traceback
        out("status", "mpi4py", "failed", "rank %d: %s" % (rank, err))
        comm.Abort(6)
    return 0


def _mpi4py_version():
    try:
        import mpi4py
        return mpi4py.__version__
    except Exception:
        return "?"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

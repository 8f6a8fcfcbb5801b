#!/usr/bin/env python3
"""Writes a syslog file like a busy site's /var/log/syslog for `mpiguard report`.

usage: gen_log.py SIZE_BYTES OUT [SEED]

About 62% of the lines are mpiguard's (most in the shared contract's order with Debian 12's
RFC 3339 time stamps, some in mpiguard 0.1's order with BSD time stamps), 38% other programs',
and one in a thousand is a damaged mpiguard line. 3,000 users with 1-3 envs each, 16 MPI
modules, 180 days in time order. Deterministic for a seed; prints the expected counts as JSON
on stdout so a benchmark can check the report it times."""
import json
import random
import sys
import time

size, out_path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 12)
codes = [("ABI_MISMATCH", "warn", 40), ("ENV_BUNDLED_MPI", "warn", 25), ("MPI_INSTALL_MISMATCH", "warn", 10),
         ("VERSION_MISMATCH", "note", 10), ("LIBMPI_NOT_FOUND", "warn", 6), ("LAUNCHER_SHADOWED", "warn", 4),
         ("MPICC_MISMATCH", "note", 4), ("ABI_MISMATCH", "block", 1)]
code_pool = [(c, a) for c, a, w in codes for _ in range(w)]
modules = [f"{m}/{v}" for m in ("mpich", "openmpi", "intel-mpi", "cray-mpich") for v in ("4.0.2", "4.1.4", "5.0.3", "2021.10")]
users = []
for u in range(3000):
    name = f"u{u:04d}"
    envs = []
    for k in range(rng.randint(1, 3)):
        if rng.random() < 0.6:
            envs.append(("conda", f"e{k}", f"/home/{name}/.conda/envs/e{k}"))
        else:
            envs.append(("venv", f"venv{k}", f"/home/{name}/proj{k}/venv{k}"))
    users.append((name, envs))
sources = ["lmod"] * 7 + ["slurm"] * 2 + ["modules"]
others = ["sshd[{p}]: Accepted publickey for {u} from 10.1.2.3 port 51234 ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
          "kernel: [ 1234.567890] mlx5_core 0000:3b:00.0: mlx5_fw_tracer_handle_traces:735:(pid {p}): FW tracer event",
          "slurmd[{p}]: launch task StepId=123456.0 request from UID:1000 GID:1000 HOST:10.1.2.4 PORT:40000",
          "systemd[1]: Started session-{p}.scope - Session {p} of User {u}."]

start = 1_735_689_600  # 2025-01-01 00:00:00 UTC
span = 180 * 86400
expected = {"findings": 0, "other": 0, "bad": 0, "by_code": {}}
written = 0
t = start
step = span / max(1, size // 230)
with open(out_path, "w", buffering=1 << 20) as out:
    buf = []
    while written < size:
        t += step
        ts = int(t)
        r = rng.random()
        user, envs = users[rng.randrange(len(users))]
        if r < 0.38:
            tm = time.gmtime(ts)
            line = time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", tm) + f" n{ts % 64:02d} " + \
                rng.choice(others).format(p=ts % 99999, u=user)
            expected["other"] += 1
        else:
            code, action = code_pool[rng.randrange(len(code_pool))]
            kind, ename, prefix = envs[rng.randrange(len(envs))]
            module = modules[rng.randrange(len(modules))]
            if kind == "conda":
                fix = f"conda install -p {prefix} -c conda-forge/label/mpi-external \\\"mpich=4.1\\\""
            else:
                fix = f"MPICC=/opt/{module}/bin/mpicc python -m pip install --no-binary=mpi4py --no-cache-dir --force-reinstall mpi4py"
            if r < 0.001 + 0.38:
                line = f"<12>Jan  1 00:00:00 mpiguard[{ts % 99999}]: code={code} action={action} user=\"{user}"
                expected["bad"] += 1
            elif r < 0.48:
                tm = time.gmtime(ts)
                line = time.strftime("%b %e %H:%M:%S", tm) + f" n{ts % 64:02d} mpiguard[{ts % 99999}]: " + \
                    f"user={user} module={module} env={kind} prefix={prefix} code={code} action={action}"
                expected["findings"] += 1
                expected["by_code"][code] = expected["by_code"].get(code, 0) + 1
            else:
                tm = time.gmtime(ts)
                src = sources[ts % len(sources)]
                slurm = f"job={ts % 1000000} step=0 node=n{ts % 64:02d}" if src == "slurm" else "job=- step=- node=-"
                line = time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", tm) + f" n{ts % 64:02d} mpiguard[{ts % 99999}]: " + \
                    f"code={code} action={action} source={src} user={user} module={module} env={kind} " + \
                    f"env_name={ename} prefix={prefix} {slurm} fix=\"{fix}\""
                expected["findings"] += 1
                expected["by_code"][code] = expected["by_code"].get(code, 0) + 1
        buf.append(line)
        written += len(line) + 1
        if len(buf) >= 4096:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")
json.dump(expected, sys.stdout)
print()

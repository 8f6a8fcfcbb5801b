#!/usr/bin/env python3
"""estimators.py PREFIX [RESAMPLES]: how precise each way of reading a CPU ratio is, on the
per-run times bench_cost.sh keeps with MPG_BENCH_RAW=DIR (PREFIX: DIR/<row>, whose .off,
.empty and .on files hold one run's CPU microseconds a line, run i of each from the same
triple). For on/off, on/empty and empty/off: the median of the per-run ratios (what
bench_cost.sh prints), the ratio of the medians, of the means and of the 10th and 25th
percentiles, each with a 95% bootstrap interval (the triples resampled, RESAMPLES times,
default 1000; a fixed seed, so a rerun prints the same) and its width in points. A benchmark's
helper: nothing passes or fails."""
import random
import statistics
import sys


def read(path):
    with open(path) as f:
        return [float(line) for line in f if line.strip()]


def deciles(v):
    return statistics.quantiles(v, n=10, method="inclusive")


def quartiles(v):
    return statistics.quantiles(v, n=4, method="inclusive")


def estimates(a, b):
    return {
        "median of the per-run ratios": statistics.median(y / x for x, y in zip(a, b)),
        "ratio of the medians": statistics.median(b) / statistics.median(a),
        "ratio of the means": sum(b) / sum(a),
        "ratio of the 10th percentiles": deciles(b)[0] / deciles(a)[0],
        "ratio of the 25th percentiles": quartiles(b)[0] / quartiles(a)[0],
    }


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: estimators.py PREFIX [RESAMPLES]  (PREFIX.off, PREFIX.empty, PREFIX.on)")
    prefix = sys.argv[1]
    resamples = int(sys.argv[2]) if len(sys.argv) == 3 else 1000
    try:
        runs = {cfg: read(f"{prefix}.{cfg}") for cfg in ("off", "empty", "on")}
    except (OSError, ValueError) as e:
        sys.exit(f"estimators.py: {e}")
    n = min(len(v) for v in runs.values())
    if n < 10:
        sys.exit(f"estimators.py: {n} runs: too few to say anything")
    rng = random.Random(1)
    print(f"{prefix}: N={n} triples, {resamples} bootstrap resamples")
    for name, a, b in (("on/off", runs["off"], runs["on"]), ("on/empty", runs["empty"], runs["on"]),
                       ("empty/off", runs["off"], runs["empty"])):
        a, b = a[:n], b[:n]
        point = estimates(a, b)
        boot = []
        for _ in range(resamples):
            idx = [rng.randrange(n) for _ in range(n)]
            boot.append(estimates([a[i] for i in idx], [b[i] for i in idx]))
        print(f"  {name}")
        for key, value in point.items():
            s = sorted(e[key] for e in boot)
            lo, hi = s[int(0.025 * resamples)], s[int(0.975 * resamples) - 1]
            print(f"    {key:30s} {value:.4f} [{lo:.4f}-{hi:.4f}] width {100 * (hi - lo):.1f} points")


if __name__ == "__main__":
    main()

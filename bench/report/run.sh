#!/bin/bash
# bench/report/run.sh [SIZE_MB] [ROUNDS]: `mpiguard report` over a generated syslog of SIZE_MB
# (default 1000, i.e. 1 GB) against shell floors on the same file, alternated, ROUNDS rounds
# (default 3), median of each. Prints lines/s, MB/s, CPU and peak RSS, and the ratios.
#   floor A: grep -c code= FILE | sort | uniq -c    (what the issue names: one pass, one count)
#   floor B: grep -o 'code=[A-Z_]*' FILE | sort | uniq -c    (counts per code, the report's first table)
# Checks that the report's per-code counts equal the generator's. Needs SIZE_MB of free space in
# ${TMPDIR:-/var/tmp}. MPG_TOP_BUILDDIR: the build (default: ./_build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${MPG_TOP_BUILDDIR:-$here/../../_build}
size_mb=${1:-1000}
rounds=${2:-3}
M=$build/src/mpiguard
[ -x "$M" ] || { echo "bench/report: no $M (make first)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/mpg-bench-report.XXXXXX")
trap 'rm -rf "$dir"' EXIT
free_mb=$(df -Pm "$dir" | awk 'NR==2{print $4}')
[ "$free_mb" -gt $((size_mb + 200)) ] || { echo "bench/report: $size_mb MB needed in $dir, $free_mb MB free" >&2; exit 1; }
echo "# generating $size_mb MB (bench/report/gen_log.py) ..." >&2
TZ=UTC python3 "$here/gen_log.py" $((size_mb * 1000000)) "$dir/syslog" > "$dir/expected.json"
cat "$dir/syslog" > /dev/null  # into the page cache, for every contender alike
TZ=UTC MPG_LOG="$dir/syslog" MPG_EXPECTED="$dir/expected.json" MPG_BIN="$M" MPG_ROUNDS=$rounds python3 - <<'PY'
import json, os, statistics, subprocess, time
log, bin_, rounds = os.environ["MPG_LOG"], os.environ["MPG_BIN"], int(os.environ["MPG_ROUNDS"])
expected = json.load(open(os.environ["MPG_EXPECTED"]))
size = os.path.getsize(log)
lines = sum(1 for _ in open(log, "rb"))
contenders = {
    "mpiguard report --json": [bin_, "report", "--year", "2025", "--no-progress", "--json", log],
    "mpiguard report (text)": [bin_, "report", "--year", "2025", "--no-progress", log],
    "floor A: grep -c code= | sort | uniq -c": ["bash", "-c", 'grep -c code= "$0" | sort | uniq -c', log],
    "floor B: grep -o code=.. | sort | uniq -c": ["bash", "-c", "grep -o 'code=[A-Z_]*' \"$0\" | sort | uniq -c", log],
}
def run(argv):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    assert status == 0, (argv, status)
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, out
res = {k: [] for k in contenders}
for r in range(rounds):
    order = list(contenders) if r % 2 == 0 else list(reversed(contenders))
    for k in order:
        wall, cpu, rss, out = run(contenders[k])
        res[k].append((wall, cpu, rss))
        if k.startswith("mpiguard report --json"):
            d = json.loads(out)
            got = {row["key"]: row["total"] for row in d["by_code"]}
            assert got == expected["by_code"], (got, expected["by_code"])
            assert d["lines"]["unparsable"] == expected["bad"] and d["lines"]["other_programs"] == expected["other"]
print(f"# {size / 1e6:.0f} MB, {lines} lines ({expected['findings']} mpiguard findings, {expected['other']} other, "
      f"{expected['bad']} damaged), {rounds} rounds alternated, medians; counts checked against the generator")
print(f"{'contender':44} {'wall s':>7} {'cpu s':>7} {'Mlines/s':>9} {'MB/s':>7} {'peak RSS MB':>12} {'x floor A':>10} {'x floor B':>10}")
med = {k: (statistics.median(w for w, _, _ in v), statistics.median(c for _, c, _ in v), max(m for _, _, m in v)) for k, v in res.items()}
fa, fb = med["floor A: grep -c code= | sort | uniq -c"][0], med["floor B: grep -o code=.. | sort | uniq -c"][0]
for k, (wall, cpu, rss) in med.items():
    print(f"{k:44} {wall:7.2f} {cpu:7.2f} {lines / wall / 1e6:9.2f} {size / wall / 1e6:7.0f} {rss / 1024:12.1f} {wall / fa:10.2f} {wall / fb:10.2f}")
PY

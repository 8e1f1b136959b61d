#!/usr/bin/env python3
"""Peer benchmark: stormsim-probe's io_uring storage sweep against fio.

Runs fio (io_uring engine, O_DIRECT, registered files and buffers) and the
probe on the same file with the same operation, request size, queue depth,
runtime and ramp, point by point, and prints the probe's IOPS and bandwidth
as a ratio of fio's (the target is >= 0.95). The two tools alternate which
goes first at each point, so slow drift of the device favours neither; with
--repeat N each tool's median over N runs is compared.

fio's results go through `stormsim-probe --import-fio`, so the comparison
reads both tools through the same probe.v1 fields.

Usage: tests/bench/probe_vs_fio/run.py [--probe PATH] [--dir DIR] [--repeat N]
Without fio installed it prints SKIP and exits 0; fio is a benchmark peer,
not a build dependency: STORMSIM_DEPS_EXTRA=fio scripts/install-deps adds it.
"""

import argparse
import csv
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

# The probe's --quick storage matrix.
QUICK_OPS = ["read", "write", "randread", "randwrite"]
QUICK_SIZES = ["4KiB", "64KiB", "1MiB"]
QUICK_DEPTHS = [1, 32]
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


def size_bytes(text):
    for unit in sorted(UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * UNITS[unit])
    raise ValueError(f"size needs a unit (B, KiB, MiB, GiB): {text!r}")


def find_probe(given):
    candidates = [given, os.environ.get("STORMSIM_PROBE")]
    for build in ("build", "build-probe"):
        candidates.append(os.path.join(REPO, build, "calibration", "stormsim-probe"))
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    sys.exit("probe_vs_fio: stormsim-probe not found: build it (make build) or pass --probe")


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}")
    return r.stdout


def direction(point, op):
    d = point["write" if "write" in op else "read"]
    return float(d["iops"]), float(d["bw_bytes"])


def probe_point(a, work, op, bs, qd):
    out = os.path.join(work, "probe.json")
    run([a.probe, "--sections", "storage", "--file", a.file, "--destructive", "--no-layout",
         "--size", a.size, "--ops", op, "--sizes", bs, "--depths", str(qd),
         "--runtime", f"{a.runtime}ms", "--ramp", f"{a.ramp}ms", "-o", out] + a.probe_args.split())
    with open(out) as f:
        point = json.load(f)["storage"]["points"][0]
    if point["status"] != "ok" or not point["direct"]:
        raise RuntimeError(f"probe point {op} {bs} qd{qd}: {point.get('message', 'not direct')}")
    return direction(point, op)


def fio_point(a, work, op, bs, qd):
    raw = os.path.join(work, "fio.json")
    imported = os.path.join(work, "fio.probe.json")
    run([a.fio, "--name=peer", f"--filename={a.file}", f"--size={size_bytes(a.size)}",
         "--ioengine=io_uring", "--direct=1", f"--rw={op}", f"--bs={size_bytes(bs)}",
         f"--iodepth={qd}", "--time_based", f"--runtime={a.runtime}ms",
         f"--ramp_time={a.ramp}ms", "--norandommap", "--randrepeat=0", "--registerfiles",
         "--fixedbufs", "--output-format=json", f"--output={raw}"])
    run([a.probe, "--import-fio", raw, "-o", imported])
    with open(imported) as f:
        return direction(json.load(f)["storage"]["points"][0], op)


def lay_out(a):
    run([a.fio, "--name=layout", f"--filename={a.file}", f"--size={size_bytes(a.size)}",
         "--ioengine=io_uring", "--direct=1", "--rw=write", "--bs=1m", "--iodepth=4",
         "--output-format=json"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--probe", help="stormsim-probe binary (default: build*/calibration/)")
    p.add_argument("--dir", help="directory for the shared file (default: the temp dir)")
    p.add_argument("--size", default="256MiB", help="file size (default 256MiB, as --quick)")
    p.add_argument("--runtime", type=int, default=1000, help="ms per point (default 1000)")
    p.add_argument("--ramp", type=int, default=250, help="ms of warm-up per point (default 250)")
    p.add_argument("--repeat", type=int, default=3, help="runs per point and tool (median)")
    p.add_argument("--ops", default=",".join(QUICK_OPS))
    p.add_argument("--sizes", default=",".join(QUICK_SIZES))
    p.add_argument("--depths", default=",".join(map(str, QUICK_DEPTHS)))
    p.add_argument("--probe-args", default="",
                   help="extra probe options, e.g. --probe-args=--no-huge-pages (fio's buffers)")
    p.add_argument("--csv", help="also write the table here")
    a = p.parse_args()

    a.fio = shutil.which("fio")
    if a.fio is None:
        print("probe_vs_fio: SKIP: fio not found; install it with "
              "`STORMSIM_DEPS_EXTRA=fio scripts/install-deps` (or apt-get install fio)")
        return 0
    a.probe = find_probe(a.probe)
    fio_version = run([a.fio, "--version"]).strip()
    points = [(op, bs, int(qd)) for op in a.ops.split(",") for bs in a.sizes.split(",")
              for qd in a.depths.split(",")]

    work = tempfile.mkdtemp(prefix="stormsim-probe-vs-fio.", dir=a.dir)
    a.file = os.path.join(work, "shared.dat")
    rows = []
    try:
        lay_out(a)
        results = {pt: {"probe": [], "fio": []} for pt in points}
        for rep in range(a.repeat):
            for i, pt in enumerate(points):
                order = ["probe", "fio"] if (rep + i) % 2 == 0 else ["fio", "probe"]
                for tool in order:
                    fn = probe_point if tool == "probe" else fio_point
                    results[pt][tool].append(fn(a, work, *pt))
                print(f"  [{rep + 1}/{a.repeat}] {pt[0]} {pt[1]} qd{pt[2]} done", file=sys.stderr)
        for pt in points:
            r = results[pt]
            p_iops = statistics.median(x[0] for x in r["probe"])
            f_iops = statistics.median(x[0] for x in r["fio"])
            p_bw = statistics.median(x[1] for x in r["probe"])
            f_bw = statistics.median(x[1] for x in r["fio"])
            rows.append((f"{pt[0]}-{pt[1]}-qd{pt[2]}", p_iops, f_iops, p_iops / f_iops,
                         p_bw, f_bw, p_bw / f_bw))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"stormsim-probe {a.probe_args} vs {fio_version}: io_uring, O_DIRECT, {a.size} file, "
          f"{a.runtime} ms + {a.ramp} ms ramp per point, median of {a.repeat}".replace("  ", " "))
    print(f"{'point':<22}{'probe IOPS':>12}{'fio IOPS':>12}{'ratio':>7}"
          f"{'probe MB/s':>12}{'fio MB/s':>10}{'ratio':>7}")
    for name, pi, fi, ri, pb, fb, rb in rows:
        print(f"{name:<22}{pi:>12.0f}{fi:>12.0f}{ri:>7.2f}{pb / 1e6:>12.1f}{fb / 1e6:>10.1f}{rb:>7.2f}")
    ratios = [r[3] for r in rows]
    geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    below = [r[0] for r in rows if r[3] < 0.95]
    print(f"geometric mean ratio {geomean:.3f}, min {min(ratios):.2f}, "
          f"{len(ratios) - len(below)}/{len(ratios)} points >= 0.95"
          + (f" (below: {', '.join(below)})" if below else ""))
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["point", "probe_iops", "fio_iops", "iops_ratio", "probe_bw_bytes",
                        "fio_bw_bytes", "bw_ratio"])
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs the fabric workload in stormsim and in SimGrid and prints one table.

Per N: the simulated completion time of each, next to the closed form, and
their relative difference; the wall time of each and the ratio; the peak
resident memory of each. See README.md in this folder.

    tests/bench/fabric_vs_simgrid/run.py [--bin-dir build/tests] [--n 1024 4096 16384]
"""

import argparse
import json
import os
import subprocess
import sys


def run(binary, n, extra):
    """One binary's JSON line for N, or None (with the reason on stderr)."""
    proc = subprocess.run([binary, str(n), *extra], capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(f"{os.path.basename(binary)} {n} failed (exit {proc.returncode}):\n")
        sys.stderr.write(proc.stdout + proc.stderr)
        return None
    print(lines[-1], flush=True)
    return json.loads(lines[-1])


def rel(a, b):
    return f"{(a - b) / b * 100:+.4f}%"


def mib(kib):
    return f"{kib / 1024:.0f}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default=os.path.join(root, "build", "tests"),
                        help="where bench_fabric_stormsim and bench_fabric_simgrid are")
    parser.add_argument("--n", type=int, nargs="+", default=[1024, 4096, 16384],
                        help="GPU server counts (multiples of 16)")
    parser.add_argument("--simgrid-cfg", action="append", default=[],
                        help="extra SimGrid option, e.g. network/optim:Full (repeatable)")
    args = parser.parse_args()

    stormsim = os.path.join(args.bin_dir, "bench_fabric_stormsim")
    simgrid = os.path.join(args.bin_dir, "bench_fabric_simgrid")
    if not os.access(stormsim, os.X_OK):
        sys.exit(f"run.py: {stormsim} not found: build it first (make bench-simgrid)")
    have_simgrid = os.access(simgrid, os.X_OK)
    if not have_simgrid:
        print(f"SimGrid is not installed, or was not when {args.bin_dir} was configured:\n"
              f"  no {simgrid}. Install it (Debian: apt-get install libsimgrid-dev),\n"
              f"  re-run cmake, and run again. Showing stormsim alone.\n")
    simgrid_extra = [f"--cfg={c}" for c in args.simgrid_cfg]

    header = ("N", "flows", "closed form s", "stormsim s", "SimGrid s", "stormsim vs SimGrid",
              "stormsim wall s", "SimGrid wall s", "wall ratio", "stormsim CPU s", "SimGrid CPU s",
              "CPU ratio", "stormsim MiB", "SimGrid MiB")
    rows = []
    failed = False
    for n in args.n:
        ours = run(stormsim, n, [])
        theirs = run(simgrid, n, simgrid_extra) if have_simgrid else None
        failed |= ours is None or (have_simgrid and theirs is None)
        if ours is None:
            continue
        t = theirs or {}
        rows.append((
            f"{n:,}", f"{ours['flows']:,}", f"{ours['closed_form_s']:.6f}",
            f"{ours['completion_s']:.6f}",
            f"{t['completion_s']:.6f}" if t else "-",
            rel(ours["completion_s"], t["completion_s"]) if t else "-",
            f"{ours['wall_s']:.2f}",
            f"{t['wall_s']:.2f}" if t else "-",
            f"{t['wall_s'] / ours['wall_s']:.1f}x" if t else "-",
            f"{ours['cpu_s']:.2f}",
            f"{t['cpu_s']:.2f}" if t else "-",
            f"{t['cpu_s'] / ours['cpu_s']:.1f}x" if t else "-",
            mib(ours["peak_rss_kib"]),
            mib(t["peak_rss_kib"]) if t else "-",
        ))

    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    print()
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |")
    print("\nwall = platform set-up + simulation; ratio = SimGrid / stormsim; CPU = user + system"
          " time of the process (robust to a busy machine); MiB = peak resident set (VmHWM).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Regenerates the viz test fixtures from real runs of the built stormsim:

  fixtures/result-small.json  `stormsim run fixtures/small.yaml`, trimmed to
                              the checkpoint components, cluster and cost
  fixtures/sweep/             a 3 x 2 x 2-replicate sweep of the same
                              scenario (storage servers x chunk size x seed)
                              in the stormsim.sweep.v1 layout
  fixtures/validation.json    `stormsim fit` + `stormsim validate` on
                              tests/calibration/fixtures/probe-quick-dev-vm.json

Usage: tests/viz/make_fixtures.py BUILD/experiments/stormsim

Where the binary does not yet write the per-rank CDFs or the bottleneck
utilization series (issue 7's result fields), they are derived from what it
does write (the p50/p99/max and the per-phase bottlenecks) and the result
says so under `fixture_note`.
"""

import csv
import hashlib
import itertools
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
ROOT = os.path.dirname(os.path.dirname(HERE))
SCENARIO = os.path.join(FIX, "small.yaml")
KEEP = ("cluster", "cost")


def run(stormsim, out, *sets):
    args = [stormsim, "run", SCENARIO, "-q", "-o", out]
    for s in sets:
        args += ["--set", s]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "result.json")) as f:
        return json.load(f)


def synth_cdf(p):
    """A 101-point CDF through the p50/p99/max (the minimum taken as 0.9 x
    p50): only for fixtures, where the binary predates the CDF fields."""
    lo = 0.9 * p["p50"]
    pts = [(0.0, lo), (0.5, p["p50"]), (0.99, p["p99"]), (1.0, p["max"])]
    qs = [i / 100 for i in range(101)]
    out = []
    for q in qs:
        for (q0, s0), (q1, s1) in zip(pts, pts[1:]):
            if q0 <= q <= q1:
                out.append(s0 + (s1 - s0) * ((q - q0) / (q1 - q0) if q1 > q0 else 0))
                break
    return {"quantile": qs, "seconds": out}


def synth_bottlenecks(m, ts):
    """Each constraint's utilization while the phase it bottlenecked ran."""
    rows = {}
    for cp in m["checkpoints"]:
        for ph in cp.get("phases", []):
            for b in ph.get("bottlenecks", [])[:3]:
                r = rows.setdefault(b["constraint"], {"constraint": b["constraint"],
                                                       "capacity_bytes_per_s": None,
                                                       "utilization": [0.0] * len(ts["t_s"])})
                if r["capacity_bytes_per_s"] is None and ph["duration_s"] > 0 and b["utilization"] > 0:
                    r["capacity_bytes_per_s"] = b["bytes"] / (b["utilization"] * ph["duration_s"])
                for k, t in enumerate(ts["t_s"]):
                    if ph["start_s"] < t <= ph["start_s"] + ph["duration_s"] + ts["period_s"]:
                        r["utilization"][k] = max(r["utilization"][k], min(1.0, b["utilization"]))
    return list(rows.values())[:8]


def result_fixture(stormsim, tmp):
    doc = run(stormsim, os.path.join(tmp, "result"))
    notes = []
    comps = [n for n, m in doc["metrics"].items() if isinstance(m, dict) and "checkpoints" in m]
    doc["metrics"] = {k: v for k, v in doc["metrics"].items() if k in comps or k in KEEP}
    doc["inputs"] = {"name": doc["inputs"]["name"], "description": doc["inputs"]["description"]}
    for n in comps:
        m = doc["metrics"][n]
        for cp in m["checkpoints"]:
            for field, pct in (("rank_completion_cdf", "rank_completion_s"), ("rank_stall_cdf", "rank_stall_s")):
                if field not in cp:
                    cp[field] = synth_cdf(cp[pct])
                    notes.append(f"{n}.checkpoints.{field} derived from {pct}")
        ts = doc["time_series"][n]
        if "bottlenecks" not in ts:
            ts["bottlenecks"] = synth_bottlenecks(m, ts)
            notes.append(f"time_series.{n}.bottlenecks derived from the phases' bottlenecks")
    if notes:
        doc["fixture_note"] = sorted(set(notes))
    with open(os.path.join(FIX, "result-small.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


def sweep_fixture(stormsim, tmp):
    axes = {"servers": [2, 3, 4], "chunk_size": ["16MiB", "64MiB"]}
    paths = {"servers": "topology.storage_servers.count", "chunk_size": "components.fs.chunk_size"}
    metrics = ["stall_s", "time_to_durable_s", "storage_cost_per_year"]
    rows = []
    for index, combo in enumerate(itertools.product(*axes.values())):
        params = dict(zip(axes, combo))
        key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
        for rep, seed in enumerate((1, 2)):
            doc = run(stormsim, os.path.join(tmp, f"p{index}-{rep}"),
                      *[f"{paths[a]}={v}" for a, v in params.items()], f"seed={seed}")
            sync = doc["metrics"]["ckpt_sync"]["checkpoint"]
            tiered = doc["metrics"]["ckpt_tiered"]["checkpoint"]
            tco = doc["metrics"]["cost"]["tco"]
            rows.append({"key": key, "index": index, "replicate": rep, "seed": seed, "params": params,
                         "metrics": {"stall_s": sync["stall_s"],
                                     "time_to_durable_s": tiered["time_to_durable_s"],
                                     "storage_cost_per_year": tco["storage_capex_per_year_usd"]
                                     + tco["storage_opex_per_year_usd"]},
                         "status": "ok"})
    # Both minimized: a point is on the front unless another is no worse in
    # both and better in one.
    mean = {}
    for r in rows:
        mean.setdefault(r["key"], []).append((r["metrics"]["storage_cost_per_year"], r["metrics"]["stall_s"]))
    mean = {k: tuple(sum(x) / len(v) for x in zip(*v)) for k, v in mean.items()}
    front = [k for k, (c, s) in mean.items()
             if not any(c2 <= c and s2 <= s and (c2, s2) != (c, s) for c2, s2 in mean.values())]
    meeting = [k for k, (c, s) in mean.items() if s <= 0.3]
    cheapest = min(meeting, key=lambda k: mean[k][0]) if meeting else None
    out = os.path.join(FIX, "sweep")
    os.makedirs(out, exist_ok=True)
    sweep = {"schema": "stormsim.sweep.v1", "name": "viz-small-sweep", "spec": "tests/viz/fixtures/small.yaml",
             "axes": list(axes), "metrics": metrics, "points": len(mean), "failed": 0,
             "pareto": {"cost": "storage_cost_per_year", "metric": "stall_s", "keys": sorted(front, key=lambda k: mean[k][0])},
             "target": {"stall_s": "<= 0.3"}, "cheapest": cheapest}
    with open(os.path.join(out, "sweep.json"), "w") as f:
        json.dump(sweep, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "points.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    with open(os.path.join(out, "points.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["key", "index", "replicate", "seed", "status"] + list(axes) + metrics)
        for r in rows:
            w.writerow([r["key"], r["index"], r["replicate"], r["seed"], r["status"]]
                       + [r["params"][a] for a in axes] + [r["metrics"][m] for m in metrics])


def validation_fixture(stormsim, tmp):
    probe = os.path.join(ROOT, "tests", "calibration", "fixtures", "probe-quick-dev-vm.json")
    profile = os.path.join(tmp, "profile.yaml")
    subprocess.run([stormsim, "fit", probe, "-o", profile], check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(tmp, "validation.json")
    subprocess.run([stormsim, "validate", probe, profile, "-o", out], check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        doc = json.load(f)
    doc["probe"] = "tests/calibration/fixtures/probe-quick-dev-vm.json"
    doc["profile"] = "profile fitted by `stormsim fit` from that probe run"
    with open(os.path.join(FIX, "validation.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    stormsim = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        result_fixture(stormsim, tmp)
        sweep_fixture(stormsim, tmp)
        validation_fixture(stormsim, tmp)
    print(f"fixtures: {FIX}")


if __name__ == "__main__":
    main()

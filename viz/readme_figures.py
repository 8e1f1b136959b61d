#!/usr/bin/env python3
"""Regenerates the README's figures (docs/figures/*.png) from a real run.

  /usr/bin/python3 viz/readme_figures.py [--stormsim build/experiments/stormsim]

Runs the default scenario (`stormsim run`, about 40 s) with the checkpoint
components' bandwidth sampled every 50 ms instead of every second, then
draws the tiered checkpoint's bandwidth per tier and the stall breakdown of
the three strategies into docs/figures/. Deterministic: the same binary
gives the same PNGs.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from stormsim_viz import data, figures  # noqa: E402

COMPONENTS = ("ckpt_3fs", "ckpt_s3", "ckpt_tier0")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stormsim", default=os.path.join(ROOT, "build", "experiments", "stormsim"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "figures"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.stormsim, "run", "-q", "-o", tmp]
        for c in COMPONENTS:
            cmd += ["--set", f"components.{c}.sample_period=50ms"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        _, doc, _ = data.load(os.path.join(tmp, "result.json"))
        drawn = [
            figures.tier_bandwidth(doc, "ckpt_tier0", os.path.join(tmp, "tier_bandwidth")),
            figures.stall_breakdown(doc, os.path.join(tmp, "stall_breakdown")),
        ]
        for paths in drawn:
            png = [p for p in paths if p.endswith(".png")][0]
            dest = os.path.join(args.out, os.path.basename(png))
            shutil.copyfile(png, dest + ".tmp")
            os.replace(dest + ".tmp", dest)
            print(os.path.relpath(dest, ROOT))


if __name__ == "__main__":
    main()

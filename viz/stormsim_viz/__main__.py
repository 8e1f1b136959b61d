"""python3 -m stormsim_viz INPUT -o DIR (the same as viz/report.py)."""

import argparse
import os
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="stormsim report",
        description="Draw every figure that applies to a stormsim result.json, sweep folder "
        "(or its sweep.json) or validation report, and write DIR/index.html.",
    )
    ap.add_argument("input", help="result.json, a sweep folder or sweep.json, or a validation.v1 report")
    ap.add_argument("-o", "--out", help="output folder (default: `report` beside the input)")
    args = ap.parse_args(argv)
    try:
        import matplotlib  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"stormsim report: error: {e.name} is missing for {sys.executable}; "
              "on Debian: apt-get install python3-matplotlib", file=sys.stderr)
        return 3
    from . import data, report

    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.input.rstrip("/"))), "report")
    if args.out is None and os.path.isdir(args.input):
        out = os.path.join(args.input, "report")
    try:
        index = report.build(args.input, out)
    except data.InputError as e:
        print(f"stormsim report: error: {e}", file=sys.stderr)
        return 2
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""viz/report.py RESULT_OR_SWEEP [-o DIR]: figures and an index.html.

Needs Debian's python3-matplotlib (prefer /usr/bin/python3: a pyenv or
virtualenv python3 on PATH may lack it). `stormsim report` runs this script.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from stormsim_viz.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

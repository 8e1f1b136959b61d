"""One publication style for every stormsim figure, and deterministic output.

Every figure is written three ways from one matplotlib Figure:
  STEM.pdf  vector, for papers (no creation date, so byte-stable),
  STEM.svg  vector, for papers and the web (fixed hash salt, no date),
  STEM.png  raster, for screens: FIG_SIZE_IN at PNG_DPI, that is
            PNG_SIZE_PX = 1050 x 600 pixels, always (no tight bounding box,
            so the pixel size never depends on the labels).
"""

import math
import os
import tempfile

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

FIG_SIZE_IN = (7.0, 4.0)
PNG_DPI = 150
PNG_SIZE_PX = (int(FIG_SIZE_IN[0] * PNG_DPI), int(FIG_SIZE_IN[1] * PNG_DPI))
FORMATS = ("pdf", "svg", "png")

# Okabe & Ito's colour-blind-safe palette (Color Universal Design, 2008),
# black moved last: it is kept for reference lines.
PALETTE = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]
GREY = "#7F7F7F"


def colour(i):
    return PALETTE[i % len(PALETTE)]


def apply_style():
    """Sets the shared rcParams; called before any figure is made."""
    plt.rcParams.update(
        {
            "figure.figsize": FIG_SIZE_IN,
            "figure.dpi": PNG_DPI,
            "savefig.dpi": PNG_DPI,
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.labelsize": 9,
            "xtick.labelsize": 8,
            "ytick.labelsize": 8,
            "legend.fontsize": 8,
            "legend.frameon": False,
            "axes.grid": True,
            "grid.color": "#D9D9D9",
            "grid.linewidth": 0.6,
            "axes.axisbelow": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "lines.linewidth": 1.6,
            "svg.hashsalt": "stormsim",
            "svg.fonttype": "path",
            "pdf.fonttype": 42,
            "figure.constrained_layout.use": True,
        }
    )


def new_figure(ncols=1, nrows=1, **kwargs):
    apply_style()
    return plt.subplots(nrows, ncols, figsize=FIG_SIZE_IN, dpi=PNG_DPI, **kwargs)


_METADATA = {
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "stormsim viz"},
    "svg": {"Date": None, "Creator": "stormsim viz"},
    "png": {"Software": "stormsim viz (matplotlib)"},
}


def save(fig, stem, formats=FORMATS):
    """Writes fig as STEM.<fmt> for each format, each atomically (a temp file
    in the same folder, then a rename); returns the paths written."""
    folder = os.path.dirname(os.path.abspath(stem)) or "."
    os.makedirs(folder, exist_ok=True)
    written = []
    for fmt in formats:
        path = f"{stem}.{fmt}"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="." + fmt, dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                fig.savefig(f, format=fmt, dpi=PNG_DPI, metadata=_METADATA[fmt])
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        written.append(path)
    plt.close(fig)
    return written


def write_text_atomically(path, text):
    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# Human units: the largest unit in which the data's largest magnitude is >= 1.

_RATE = [(1e12, "TB/s"), (1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s"), (1.0, "B/s")]
_BYTES = [(1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1.0, "B")]
_TIME = [(3600.0, "h"), (60.0, "min"), (1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")]
_MONEY = [(1e6, "$M"), (1e3, "$k"), (1.0, "$")]


def _pick(values, table):
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    peak = max(finite) if finite else 0.0
    for factor, name in table:
        if peak >= factor:
            return factor, name
    return table[-1]


def rate_unit(values):
    """(divisor, unit) for bytes/s values."""
    return _pick(values, _RATE)


def bytes_unit(values):
    return _pick(values, _BYTES)


def time_unit(values):
    """(divisor, unit) for seconds; minutes and hours only from 2 of them on."""
    factor, name = _pick(values, _TIME)
    if name in ("h", "min"):
        finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
        peak = max(finite) if finite else 0.0
        if peak < 2 * factor:
            return (60.0, "min") if name == "h" and peak >= 120 else (1.0, "s")
    return factor, name


def money_unit(values):
    return _pick(values, _MONEY)


def fmt_number(v, digits=3):
    """A short human number: 3 significant digits, thousands separators."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    if abs(v) >= 10 ** digits:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def fmt_quantity(v, unit_fn, suffix=""):
    if v is None:
        return "–"
    factor, name = unit_fn([v])
    return f"{fmt_number(v / factor)} {name}{suffix}"


def tex_safe(s):
    """Dollar signs are money in these figures, never TeX (log-axis tick
    labels need mathtext, so it stays on and the text is escaped)."""
    return str(s).replace("$", r"\$")


def fmt_money(v):
    if v is None:
        return "–"
    return f"${v:,.0f}" if abs(v) >= 100 else f"${v:,.2f}"

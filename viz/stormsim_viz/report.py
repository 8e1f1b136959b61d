"""`report INPUT -o DIR`: every figure that applies, and DIR/index.html.

The page is self-contained: inline CSS, no scripts, no fonts, no network;
figures are linked by relative paths, so the folder can be moved or opened
from disk. Everything taken from the JSON is HTML-escaped.
"""

import html
import os
import re

from . import data, figures, style

_CSS = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
.note { color: #666; font-size: 0.85em; }
"""


def _e(x):
    return html.escape(str(x), quote=True)


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_") or "x"


class Page:
    def __init__(self, title):
        self.title = title
        self.parts = []
        self.pngs = []

    def h2(self, text):
        self.parts.append(f"<h2>{_e(text)}</h2>")

    def p(self, text, cls=None):
        c = f' class="{cls}"' if cls else ""
        self.parts.append(f"<p{c}>{_e(text)}</p>")

    def table(self, header, rows, left=1):
        """rows of cells (already formatted); the first `left` columns
        are left-aligned."""
        out = ["<table><tr>"]
        out += [f'<th class="l">{_e(h)}</th>' if i < left else f"<th>{_e(h)}</th>" for i, h in enumerate(header)]
        out.append("</tr>")
        for row in rows:
            out.append("<tr>")
            out += [f'<td class="l">{_e(c)}</td>' if i < left else f"<td>{_e(c)}</td>" for i, c in enumerate(row)]
            out.append("</tr>")
        out.append("</table>")
        self.parts.append("".join(out))

    def figure(self, outdir, paths, caption):
        if not paths:
            return
        rel = {os.path.splitext(p)[1][1:]: os.path.relpath(p, outdir).replace(os.sep, "/") for p in paths}
        png = rel.get("png")
        if png is None:
            return
        self.pngs.append(png)
        links = " · ".join(f'<a href="{_e(rel[f])}">{f.upper()}</a>' for f in ("pdf", "svg", "png") if f in rel)
        self.parts.append(
            f'<figure><a href="{_e(png)}"><img src="{_e(png)}" alt="{_e(caption)}" '
            f'width="{style.PNG_SIZE_PX[0]}" height="{style.PNG_SIZE_PX[1]}"></a>'
            f"<figcaption>{_e(caption)} ({links})</figcaption></figure>"
        )

    def html(self):
        body = "\n".join(self.parts)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{_e(self.title)}</title><style>{_CSS}</style></head><body>\n"
            f"<h1>{_e(self.title)}</h1>\n{body}\n</body></html>\n"
        )


# ------------------------------------------------------------------ results


def _s(v):
    return style.fmt_quantity(data.number(v), style.time_unit) if data.number(v) is not None else "–"


def _checkpoint_table(page, comps):
    rows = []
    for name, m in comps:
        c = m.get("checkpoint") or {}
        cp = data.first_checkpoint(m)
        rc = cp.get("rank_completion_s") or {}
        rows.append([
            name, m.get("strategy", "–"), m.get("storage", "–"),
            style.fmt_number(c.get("count")) if c.get("count") is not None else "–",
            style.fmt_quantity(data.number(m.get("checkpoint_bytes")), style.bytes_unit),
            _s(c.get("stall_s")), _s(c.get("time_to_durable_s")), _s(c.get("restore_s")),
            _s(rc.get("p50")), _s(rc.get("p99")),
            style.fmt_quantity(data.number(cp.get("aggregate_throughput_bytes_per_s")), style.rate_unit),
        ])
    page.table(["component", "strategy", "storage", "checkpoints", "size", "stall", "durable after",
                "restore", "rank p50", "rank p99", "aggregate"], rows, left=3)


def _cost_table(page, cost):
    t = cost["tco"]
    m = lambda k: style.fmt_money(data.number(t.get(k)))  # noqa: E731
    rows = [
        ["storage capex", m("storage_capex_usd")],
        ["storage capex per year (amortized)", m("storage_capex_per_year_usd")],
        ["storage power per year", m("storage_opex_per_year_usd")],
        ["compute capex per year (amortized)", m("compute_capex_per_year_usd")],
        ["compute power per year", m("compute_opex_per_year_usd")],
        ["GPU time lost to checkpoints per year", m("gpu_cost_lost_to_checkpoints_per_year_usd")],
        ["GPU time lost to failures per year", m("gpu_cost_lost_to_failures_per_year_usd")],
        ["total per year", m("total_cost_per_year_usd")],
        ["per checkpoint", m("cost_per_checkpoint_usd")],
        ["per useful GPU-hour", m("total_cost_per_useful_gpu_hour_usd")],
    ]
    page.table(["cost", "USD"], rows)
    if cost.get("price_book"):
        page.p(f"Prices: {cost['price_book']}.", "note")
    for note in (cost.get("usage") or {}).get("notes") or []:
        page.p(note, "note")


def result_page(doc, outdir):
    scen = doc.get("scenario") or {}
    name = scen.get("name", "result")
    page = Page(f"stormsim report: {name}")
    ver = doc.get("stormsim") or {}
    page.p(f"Scenario {name} ({scen.get('source', '?')}), seed {doc.get('seed', '?')}, simulated "
           f"{(doc.get('engine') or {}).get('end_time', '?')}; stormsim {ver.get('version', '?')} "
           f"({ver.get('commit', '?')}).", "note")
    desc = (doc.get("inputs") or {}).get("description")
    if desc:
        page.p(desc)
    comps = data.checkpoint_components(doc)
    if comps:
        page.h2("Checkpoints")
        _checkpoint_table(page, comps)
        page.figure(outdir, figures.stall_breakdown(doc, os.path.join(outdir, "stall_breakdown")),
                    "Stall breakdown per checkpoint component")
        page.figure(outdir, figures.rank_completion_cdf(doc, os.path.join(outdir, "rank_completion_cdf")),
                    "Per-rank completion CDF, first checkpoint")
        for cname, m in comps:
            page.h2(f"{data.label(cname, m)}")
            slug = _slug(cname)
            page.figure(outdir, figures.tier_bandwidth(doc, cname, os.path.join(outdir, f"bandwidth_{slug}")),
                        f"{cname}: bandwidth per tier, physical limits dashed")
            page.figure(outdir,
                        figures.bottleneck_utilization(doc, cname, os.path.join(outdir, f"bottlenecks_{slug}")),
                        f"{cname}: utilization of the top bottleneck constraints")
    cost = data.cost(doc)
    if cost:
        page.h2("Cost")
        _cost_table(page, cost)
        page.figure(outdir, figures.tco(doc, os.path.join(outdir, "tco")), "Total cost of ownership per year")
    if not comps and not cost:
        page.p("This result has no checkpoint components and no cost figures: nothing to draw.")
    return page


# ------------------------------------------------------------------- sweeps


def sweep_page(sweep, outdir):
    page = Page(f"stormsim sweep report: {sweep.get('name', 'sweep')}")
    rows = sweep.get("rows", [])
    page.p(f"Spec {sweep.get('spec', '?')}: {sweep.get('points', len(rows))} points, "
           f"{sweep.get('failed', 0)} failed; axes {', '.join(map(str, sweep.get('axes', [])))}.", "note")
    axes = list(sweep.get("axes", []))
    metrics = list(sweep.get("metrics", []))
    means = figures.point_means(sweep, metrics)
    spec = sweep.get("pareto") if isinstance(sweep.get("pareto"), dict) else None
    cheapest = sweep.get("cheapest")

    def point_row(key):
        params, ms = means[key]
        return [key] + [str(params.get(a, "–")) for a in axes] + [style.fmt_number(ms.get(m)) for m in metrics]

    header = ["key"] + axes + [f"{m} (mean)" for m in metrics]
    if cheapest in means:
        page.h2("Cheapest point meeting the target")
        target = sweep.get("target")
        if isinstance(target, dict) and target:
            page.p("Target: " + ", ".join(f"{k} {v}" for k, v in target.items()))
        page.table(header, [point_row(cheapest)], left=1 + len(axes))
    elif "cheapest" in sweep:
        page.h2("Cheapest point meeting the target")
        page.p("No point meets the target.")
    if spec:
        page.h2(f"Pareto front: {spec.get('metric')} against {spec.get('cost')}")
        front = [k for k in spec.get("keys", []) if k in means]
        page.table(header, [point_row(k) for k in front], left=1 + len(axes))
        page.figure(outdir, figures.pareto(sweep, os.path.join(outdir, "pareto")), "Pareto front")
    page.h2("Metrics against swept parameters")
    for metric in metrics:
        for axis in axes:
            stem = os.path.join(outdir, f"sweep_{_slug(metric)}_vs_{_slug(axis)}")
            page.figure(outdir, figures.sweep_metric(sweep, metric, axis, stem), f"{metric} against {axis}")
    failed = [r for r in rows if r.get("status") == "error"]
    if failed:
        page.h2("Failed points")
        page.table(["key", "replicate", "error"],
                   [[r.get("key", "?"), str(r.get("replicate", "?")), r.get("error", "")] for r in failed], left=3)
    page.h2("All points")
    page.table(header, [point_row(k) for k in means], left=1 + len(axes))
    return page


# -------------------------------------------------------------- calibration


def _pct(v):
    v = data.number(v)
    return "–" if v is None else f"{100 * v:+.1f}%"


def validation_page(report, outdir):
    page = Page("stormsim calibration report")
    page.p(f"Probe {report.get('probe', '?')}, profile {report.get('profile', '?')}.", "note")
    summary = [s for s in report.get("summary") or [] if isinstance(s, dict)]
    if summary:
        page.h2("Summary")
        page.table(["metric", "points", "median |error|", "worst |error|", "worst point"],
                   [[s.get("metric", "?"), str(s.get("points", "?")), _pct(s.get("median_abs_error")),
                     _pct(s.get("worst_abs_error")), s.get("worst_point", "")] for s in summary])
    page.figure(outdir, figures.calibration(report, os.path.join(outdir, "calibration")),
                "Predicted against measured, per point, with the ±10% band")
    page.figure(outdir, figures.calibration_errors(report, os.path.join(outdir, "calibration_errors")),
                "Relative error per storage point")
    storage = [r for r in report.get("storage") or [] if isinstance(r, dict)]
    if storage:
        page.h2("Storage points")
        rows = []
        for r in storage:
            f = lambda k: r.get(k) or {}  # noqa: E731
            rows.append([
                r.get("jobname", "?"),
                style.fmt_quantity(data.number(f("bw_bytes").get("measured")), style.rate_unit),
                style.fmt_quantity(data.number(f("bw_bytes").get("predicted")), style.rate_unit),
                _pct(f("bw_bytes").get("error")),
                _s(f("clat_p50_s").get("measured")), _s(f("clat_p50_s").get("predicted")),
                _pct(f("clat_p50_s").get("error")),
            ])
        page.table(["point", "bandwidth measured", "predicted", "error", "p50 latency measured",
                    "predicted", "error"], rows)
    scalars = [r for r in report.get("scalars") or [] if isinstance(r, dict)]
    if scalars:
        page.h2("Network and memory")
        rows = []
        for r in scalars:
            fn = style.rate_unit if r.get("unit") == "B/s" else style.time_unit
            rows.append([f"{r.get('section', '')} {r.get('name', '')}",
                         style.fmt_quantity(data.number(r.get("measured")), fn),
                         style.fmt_quantity(data.number(r.get("predicted")), fn), _pct(r.get("error"))])
        page.table(["figure", "measured", "predicted", "error"], rows)
    return page


def build(path, outdir):
    """Draws every figure that applies to the input and writes
    OUTDIR/index.html; returns its path."""
    kind, doc, _ = data.load(path)
    os.makedirs(outdir, exist_ok=True)
    style.apply_style()
    page = {"result": result_page, "sweep": sweep_page, "validation": validation_page}[kind](doc, outdir)
    index = os.path.join(outdir, "index.html")
    style.write_text_atomically(index, page.html())
    return index

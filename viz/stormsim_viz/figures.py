"""The figures. Each takes parsed JSON and an output path stem, writes
STEM.pdf, STEM.svg and STEM.png (style.save) and returns the paths written,
or [] when the input has nothing to draw."""

import math

import numpy as np

from . import data, style
from .style import colour, tex_safe

_SERIES_KEYS = {"t_s", "period_s", "bottlenecks"}


# ---------------------------------------------------------------- time axes


def _segments(t, period):
    """Index ranges [(i, j)] of runs of samples without a gap: the sampler
    only runs while a checkpoint or restore is under way."""
    if not t:
        return []
    gap = 1.5 * period if period > 0 else math.inf
    out, start = [], 0
    for i in range(1, len(t)):
        if t[i] - t[i - 1] > gap:
            out.append((start, i))
            start = i
    out.append((start, len(t)))
    return out


def _time_axes(t, period, max_panels=4):
    """A figure whose x axis is broken at the gaps between active periods
    (up to max_panels panels sharing y); one continuous axis otherwise.
    Returns (fig, [(ax, i, j)], continuous)."""
    segs = _segments(t, period)
    if 1 < len(segs) <= max_panels:
        spans = [max(t[j - 1] - t[i] + period, period) for i, j in segs]
        total = sum(spans)
        ratios = [max(s / total, 0.12) for s in spans]
        fig, axes = style.new_figure(
            ncols=len(segs), sharey=True, gridspec_kw={"width_ratios": ratios, "wspace": 0.02}
        )
        panels = [(ax, i, j) for ax, (i, j) in zip(axes, segs)]
        for k, (ax, i, j) in enumerate(panels):
            ax.set_xlim(t[i] - period, t[j - 1] + 0.02 * (t[j - 1] - t[i] + period))
            if k > 0:
                ax.spines["left"].set_visible(False)
                ax.tick_params(axis="y", left=False)
            ax.xaxis.set_major_locator(_max_ticks(3))
        return fig, panels, False
    fig, ax = style.new_figure()
    return fig, [(ax, 0, len(t))], True


def _max_ticks(n):
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=n, steps=[1, 2, 2.5, 5, 10])


def _step_xy(t, v, period, i, j, continuous):
    """Samples are averages over the period ending at t: drawn as steps,
    starting from zero one period before the first sample. On one
    continuous axis, gaps between active periods are drawn as zero."""
    xs, ys = [t[i] - period], [0.0]
    for k in range(i, j):
        if continuous and k > i and t[k] - t[k - 1] > 1.5 * period:
            xs += [t[k - 1] + period * 1e-6, t[k] - period]
            ys += [0.0, 0.0]
        xs.append(t[k])
        ys.append(v[k] if v[k] is not None else math.nan)
    return xs, ys


def _finish_time_axes(fig, panels, continuous, title, ylabel):
    for k, (ax, _, _) in enumerate(panels):
        if k == 0:
            ax.set_ylabel(ylabel)
    if continuous:
        panels[0][0].set_xlabel("simulated time (s)")
    else:
        fig.supxlabel("simulated time (s); the axis is broken where nothing was under way", size=9)
    fig.suptitle(tex_safe(title), size=10)


# ----------------------------------------------------------- a. tier bandwidth


def tier_bandwidth(doc, component, stem):
    """Per-tier bandwidth over time of one checkpoint component, with each
    tier's physical limit dashed in the same colour."""
    m = (doc.get("metrics") or {}).get(component) or {}
    ts = data.time_series(doc, component)
    if ts is None or not ts["t_s"]:
        return []
    t = [float(x) for x in ts["t_s"]]
    period = data.number(ts.get("period_s")) or (t[1] - t[0] if len(t) > 1 else 1.0)
    tiers = [k for k, v in ts.items() if k not in _SERIES_KEYS and isinstance(v, list) and len(v) == len(t)]
    if not tiers:
        return []
    limits = {k: data.number(((m.get("tiers") or {}).get(k) or {}).get("capacity_bytes_per_s")) for k in tiers}
    peak = max((data.number(x) or 0.0) for k in tiers for x in ts[k])
    factor, unit = style.rate_unit([peak] + [c for c in limits.values() if c])
    # Limits far above the traffic would flatten it: those are named in the
    # legend as off scale instead of drawn.
    shown = [c for c in limits.values() if c and c <= 1.5 * max(peak, 1.0)]
    top = max([peak] + shown) / factor if (peak or shown) else 1.0
    top *= 1.08 + 0.07 * len(tiers)  # headroom for the legend

    fig, panels, continuous = _time_axes(t, period)
    for n, tier in enumerate(tiers):
        for ax, i, j in panels:
            xs, ys = _step_xy(t, ts[tier], period, i, j, continuous)
            ax.plot(xs, np.array(ys, dtype=float) / factor, color=colour(n), drawstyle="steps-pre",
                    label=tex_safe(tier) if ax is panels[0][0] else None)
            cap = limits[tier]
            if cap and cap / factor <= top:
                ax.axhline(cap / factor, color=colour(n), linestyle="--", linewidth=1.1)
    handles, labels = panels[0][0].get_legend_handles_labels()
    labels = []
    for tier in tiers:
        cap = limits[tier]
        if not cap:
            labels.append(tier)
        elif cap / factor <= top:
            labels.append(f"{tier} (limit {style.fmt_number(cap / factor)} {unit}, dashed)")
        else:
            labels.append(f"{tier} (limit {style.fmt_number(cap / factor)} {unit}, off scale)")
    for ax, _, _ in panels:
        ax.set_ylim(0, top)
    legend = panels[-1][0].legend(handles, [tex_safe(x) for x in labels], loc="upper right", fontsize=7)
    legend.set_in_layout(False)  # it may spread over the earlier panels
    _finish_time_axes(fig, panels, continuous, f"{data.label(component, m)}: bandwidth per tier",
                      f"bandwidth ({unit})")
    return style.save(fig, stem)


# ------------------------------------------------------ d. bottleneck utilization


def bottleneck_utilization(doc, component, stem):
    """time_series.bottlenecks: each constraint's utilization, 0..100 %."""
    m = (doc.get("metrics") or {}).get(component) or {}
    ts = data.time_series(doc, component)
    if ts is None or not ts["t_s"] or not isinstance(ts.get("bottlenecks"), list):
        return []
    t = [float(x) for x in ts["t_s"]]
    period = data.number(ts.get("period_s")) or 1.0
    rows = [b for b in ts["bottlenecks"] if isinstance(b, dict) and len(b.get("utilization") or []) == len(t)]
    if not rows:
        return []
    fig, panels, continuous = _time_axes(t, period)
    for n, b in enumerate(rows[:8]):
        cap = data.number(b.get("capacity_bytes_per_s"))
        name = str(b.get("constraint", f"constraint {n}"))
        if cap:
            name += f" ({style.fmt_quantity(cap, style.rate_unit)})"
        for ax, i, j in panels:
            xs, ys = _step_xy(t, b["utilization"], period, i, j, continuous)
            ax.plot(xs, 100 * np.array(ys, dtype=float), color=colour(n), drawstyle="steps-pre",
                    label=tex_safe(name) if ax is panels[0][0] else None)
    for ax, _, _ in panels:
        # Headroom above 100 % for the legend; the last panel's legend is
        # drawn over the earlier ones.
        ax.set_ylim(0, 100 + 12 * ((len(rows[:8]) + 1) // 2))
        ax.set_yticks(range(0, 101, 20))
    handles, labels = panels[0][0].get_legend_handles_labels()
    panels[-1][0].legend(handles, labels, loc="upper right", fontsize=6.5, ncol=2).set_in_layout(False)
    _finish_time_axes(fig, panels, continuous,
                      f"{data.label(component, m)}: utilization of the top bottlenecks",
                      "utilization (%)")
    return style.save(fig, stem)


# ------------------------------------------------------------ b. rank CDFs


def _cdf_points(cp, cdf_key, pct_key):
    """(seconds, fraction, exact): the 101-point CDF, else p50/p99/max."""
    cdf = cp.get(cdf_key)
    if isinstance(cdf, dict) and cdf.get("seconds") and cdf.get("quantile"):
        return [float(x) for x in cdf["seconds"]], [float(q) for q in cdf["quantile"]], True
    p = cp.get(pct_key)
    if isinstance(p, dict):
        pts = [(data.number(p.get(k)), q) for k, q in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))]
        pts = [(s, q) for s, q in pts if s is not None]
        if pts:
            return [s for s, _ in pts], [q for _, q in pts], False
    return None


def rank_completion_cdf(doc, stem):
    """Per-rank time to durable (and stall, where reported) of each checkpoint
    component's first checkpoint, as CDFs: one line per component."""
    comps = data.checkpoint_components(doc)
    panels = [("rank_completion_cdf", "rank_completion_s", "time from checkpoint start to durable"),
              ("rank_stall_cdf", "rank_stall_s", "stall")]
    curves = {key: [] for key, _, _ in panels}
    for n, (name, m) in enumerate(comps):
        cp = data.first_checkpoint(m)
        for key, pct, _ in panels:
            pts = _cdf_points(cp, key, pct)
            if pts:
                curves[key].append((n, tex_safe(data.label(name, m)), *pts))
    panels = [p for p in panels if curves[p[0]]]
    if not panels:
        return []
    fig, axes = style.new_figure(ncols=len(panels), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (key, _, what) in zip(axes, panels):
        factor, unit = style.time_unit([s for c in curves[key] for s in c[2]])
        for n, lab, secs, qs, exact in curves[key]:
            xs = np.array(secs) / factor
            ys = 100 * np.array(qs)
            if exact:
                ax.plot(xs, ys, color=colour(n), drawstyle="steps-post", label=lab)
            else:
                ax.plot(xs, ys, color=colour(n), linestyle=":", marker="o", markersize=4,
                        label=f"{lab}: p50, p99, max only")
        ax.set_xlabel(f"{what} ({unit})")
        ax.set_xlim(left=0)
        ax.set_ylim(0, 101)
    axes[0].set_ylabel("ranks done (%)")
    axes[-1].legend(loc="best", fontsize=7)
    fig.suptitle("Per-rank completion of the first checkpoint", size=10)
    return style.save(fig, stem)


# ---------------------------------------------------------- c. stall breakdown


def stall_parts(m):
    """(copy, rest of the stall, stall end to durable) in seconds, from the
    first checkpoint, else the `checkpoint` summary (no copy time there)."""
    cp = data.first_checkpoint(m)
    src = cp if data.number(cp.get("stall_s")) is not None else (m.get("checkpoint") or {})
    stall = data.number(src.get("stall_s")) or 0.0
    copy = min(data.number(src.get("copy_s")) or 0.0, stall)
    durable = data.number(src.get("time_to_durable_s"))
    after = max(durable - stall, 0.0) if durable is not None else 0.0
    return copy, stall - copy, after


def stall_breakdown(doc, stem):
    """Stacked bars, one per checkpoint component: GPU-to-host copy, the rest
    of the stall, then stall end to durable (the training goes on)."""
    comps = data.checkpoint_components(doc)
    if not comps:
        return []
    parts = [stall_parts(m) for _, m in comps]
    totals = [sum(p) for p in parts]
    factor, unit = style.time_unit(totals)
    fig, ax = style.new_figure()
    x = np.arange(len(comps))
    names = ["GPU-to-host copy (stall)", "rest of the stall", "stall end to durable (training runs)"]
    hatches = [None, None, "//"]
    bottom = np.zeros(len(comps))
    for k in range(3):
        vals = np.array([p[k] for p in parts]) / factor
        ax.bar(x, vals, 0.55, bottom=bottom, color=colour(k), label=names[k], hatch=hatches[k],
               edgecolor="white", linewidth=0.5)
        bottom += vals
    for i, p in enumerate(parts):
        stall = (p[0] + p[1]) / factor
        ax.annotate(f"stall {style.fmt_number(stall)} {unit}\ndurable {style.fmt_number(bottom[i])} {unit}",
                    (x[i], bottom[i]), xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize=7)
    ax.set_xticks(x, [tex_safe(f"{name}\n{m.get('strategy', '?')} → {m.get('storage', '?')}") for name, m in comps])
    ax.set_ylabel(f"time per checkpoint ({unit})")
    ax.set_ylim(0, 1.25 * max(bottom.max(), 1e-12))
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left")
    ax.set_title("Where a checkpoint's time goes (first checkpoint of each component)")
    return style.save(fig, stem)


# ---------------------------------------------------------------- e. TCO


def _tco_stacks(tco):
    """[(label, usd/year)] stacks: storage by part; the cluster (storage,
    compute capex, compute power: total_cost_per_year); and the GPU time
    lost, priced at the price book's GPU-hour (an opportunity cost inside
    the cluster's cost, so a bar of its own, not a part of the total)."""
    g = lambda k: data.number(tco.get(k)) or 0.0  # noqa: E731
    capex, per_year = g("storage_capex_usd"), g("storage_capex_per_year_usd")
    breakdown = tco.get("storage_capex_breakdown_usd") or {}
    ratio = per_year / capex if capex > 0 else 0.0
    names = {"nics": "NICs", "network": "network share"}
    storage = [(f"{names.get(k, k)} (capex)", (data.number(v) or 0.0) * ratio) for k, v in breakdown.items()]
    if not storage:
        storage = [("capex", per_year)]
    storage.append(("power (opex)", g("storage_opex_per_year_usd")))
    cluster = [
        ("storage", per_year + g("storage_opex_per_year_usd")),
        ("compute capex", g("compute_capex_per_year_usd")),
        ("compute power", g("compute_opex_per_year_usd")),
    ]
    lost = [
        ("to checkpoint stalls", g("gpu_cost_lost_to_checkpoints_per_year_usd")),
        ("to failures", g("gpu_cost_lost_to_failures_per_year_usd")),
    ]
    return storage, cluster, lost


def _stack(ax, x, stack, colours, factor):
    bottom = 0.0
    for (name, v), c in zip(stack, colours):
        ax.bar([x], [v / factor], 0.55, bottom=bottom, color=c, edgecolor="white", linewidth=0.5,
               label=tex_safe(f"{name}: {style.fmt_money(v)}"))
        bottom += v / factor
    return bottom


def tco(doc, stem):
    """metrics.cost: storage cost per year by part; the cluster's cost per
    year beside the GPU time lost to checkpoints and failures."""
    c = data.cost(doc)
    if c is None:
        return []
    tco = c["tco"]
    storage, cluster, lost = _tco_stacks(tco)
    fig, axes = style.new_figure(ncols=2, gridspec_kw={"width_ratios": [1, 1.5]})
    groups = [
        (axes[0], [("storage", storage, [colour(k) for k in range(len(storage))])]),
        (axes[1], [("cluster", cluster, [colour(2), colour(3), colour(4)]),
                   ("GPU time lost", lost, [colour(5), colour(6)])]),
    ]
    for ax, bars in groups:
        factor, unit = style.money_unit([sum(v for _, v in st) for _, st, _ in bars])
        top = 0.0
        for x, (title, st, colours) in enumerate(bars):
            height = _stack(ax, x, st, colours, factor)
            top = max(top, height)
        ax.set_xticks(range(len(bars)),
                      [tex_safe(f"{t}\n{style.fmt_money(sum(v for _, v in st))}/year") for t, st, _ in bars])
        ax.set_xlim(-0.5, len(bars) - 0.5 + 1.3)
        ax.set_ylabel(tex_safe(f"cost per year ({unit}/year)"))
        ax.set_ylim(0, 1.5 * max(top, 1e-12))  # room for the legend above the bars
        ax.grid(axis="x", visible=False)
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], loc="upper right", fontsize=7)
    per_gpu_h = data.number(tco.get("total_cost_per_useful_gpu_hour_usd"))
    per_ckpt = data.number(tco.get("cost_per_checkpoint_usd"))
    sub = []
    if per_ckpt is not None:
        sub.append(f"{style.fmt_money(per_ckpt)} per checkpoint")
    if per_gpu_h is not None:
        sub.append(f"{style.fmt_money(per_gpu_h)} per useful GPU-hour")
    fig.suptitle(tex_safe("Total cost of ownership" + (": " + ", ".join(sub) if sub else "")), size=10)
    return style.save(fig, stem)


# ---------------------------------------------------------------- f. sweeps


def metric_unit(name, values):
    """(divisor, axis label) for a sweep metric, from its name's suffix."""
    n = name.lower()
    if n.endswith("bytes_per_s") or n.endswith("_bw") or "throughput" in n:
        f, u = style.rate_unit(values)
    elif n.endswith("_bytes"):
        f, u = style.bytes_unit(values)
    elif "usd" in n or "cost" in n or "price" in n:
        f, u = style.money_unit(values)
        u += "/year" if "year" in n else ""
    elif n.endswith("_s") or n.endswith("seconds"):
        f, u = style.time_unit(values)
    elif "fraction" in n or "goodput" in n or "utilization" in n:
        return 0.01, f"{name} (%)"
    else:
        return 1.0, name
    return f, tex_safe(f"{name} ({u})")


def _ok_rows(sweep):
    return [r for r in sweep.get("rows", []) if r.get("status", "ok") == "ok"]


def _is_numeric(values):
    return all(data.number(v) is not None for v in values)


def sweep_metric(sweep, metric, param, stem):
    """`metric` against the swept `param`, one line per combination of the
    other axes; the mean over replicates, error bars from min to max."""
    rows = [r for r in _ok_rows(sweep) if data.number((r.get("metrics") or {}).get(metric)) is not None
            and param in (r.get("params") or {})]
    if not rows:
        return []
    others = [a for a in sweep.get("axes", []) if a != param]
    xs_all = sorted({r["params"][param] for r in rows}, key=lambda v: (isinstance(v, str), v))
    numeric = _is_numeric(xs_all)
    groups = {}
    for r in rows:
        variant = tuple((a, r["params"].get(a)) for a in others)
        groups.setdefault(variant, {}).setdefault(r["params"][param], []).append(r["metrics"][metric])
    factor, ylabel = metric_unit(metric, [v for g in groups.values() for vs in g.values() for v in vs])
    fig, ax = style.new_figure()
    for n, (variant, by_x) in enumerate(sorted(groups.items(), key=lambda kv: str(kv[0]))):
        xs = [x for x in xs_all if x in by_x]
        pos = [float(x) if numeric else xs_all.index(x) for x in xs]
        mean = np.array([np.mean(by_x[x]) for x in xs]) / factor
        lo = mean - np.array([min(by_x[x]) for x in xs]) / factor
        hi = np.array([max(by_x[x]) for x in xs]) / factor - mean
        lab = tex_safe(", ".join(f"{a}={v}" for a, v in variant) or metric)
        ax.errorbar(pos, mean, yerr=[lo, hi], color=colour(n), marker="o", markersize=4, capsize=3,
                    label=lab)
    if not numeric:
        ax.set_xticks(range(len(xs_all)), [tex_safe(x) for x in xs_all])
    elif len(xs_all) <= 12:
        ax.set_xticks([float(x) for x in xs_all], [tex_safe(x) for x in xs_all])
    ax.set_xlabel(tex_safe(param))
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    reps = max((r.get("replicate", 0) for r in rows), default=0) + 1
    ax.set_title(tex_safe(f"{sweep.get('name', 'sweep')}: {metric} against {param}"
                          + (f" (mean of {reps} replicates, bars min to max)" if reps > 1 else "")))
    if len(groups) > 1 or others:
        ax.legend(loc="best", fontsize=7)
    return style.save(fig, stem)


def point_means(sweep, metrics):
    """{key: (params, {metric: mean over ok replicates})} per point."""
    acc = {}
    for r in _ok_rows(sweep):
        params, sums = acc.setdefault(r.get("key"), (r.get("params") or {}, {}))
        for m in metrics:
            v = data.number((r.get("metrics") or {}).get(m))
            if v is not None:
                sums.setdefault(m, []).append(v)
    return {k: (p, {m: float(np.mean(v)) for m, v in s.items()}) for k, (p, s) in acc.items()}


def pareto(sweep, stem):
    """Cost against the chosen metric for every point, the front highlighted
    (both minimized), the cheapest point meeting the target starred."""
    spec = sweep.get("pareto")
    if not isinstance(spec, dict) or not spec.get("cost") or not spec.get("metric"):
        return []
    cm, mm = spec["cost"], spec["metric"]
    means = {k: v for k, v in point_means(sweep, [cm, mm]).items() if cm in v[1] and mm in v[1]}
    if not means:
        return []
    front = [k for k in spec.get("keys", []) if k in means]
    xf, xlabel = metric_unit(cm, [v[1][cm] for v in means.values()])
    yf, ylabel = metric_unit(mm, [v[1][mm] for v in means.values()])
    fig, ax = style.new_figure()
    rest = [k for k in means if k not in front]
    ax.scatter([means[k][1][cm] / xf for k in rest], [means[k][1][mm] / yf for k in rest], s=18,
               color=style.GREY, alpha=0.7, label="point (mean over replicates)")
    if front:
        front.sort(key=lambda k: means[k][1][cm])
        ax.plot([means[k][1][cm] / xf for k in front], [means[k][1][mm] / yf for k in front],
                color=colour(0), marker="o", markersize=6, drawstyle="steps-post",
                label="Pareto front")
        for k in front:
            p = means[k][0]
            ax.annotate(tex_safe(", ".join(f"{a}={v}" for a, v in p.items())),
                        (means[k][1][cm] / xf, means[k][1][mm] / yf), xytext=(4, 4),
                        textcoords="offset points", fontsize=6, color=colour(0))
    cheapest = sweep.get("cheapest")
    if cheapest in means:
        ax.scatter([means[cheapest][1][cm] / xf], [means[cheapest][1][mm] / yf], s=160, marker="*",
                   color=colour(5), zorder=5, label="cheapest meeting the target")
    ax.margins(x=0.2, y=0.1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(tex_safe(f"{sweep.get('name', 'sweep')}: {mm} against {cm}"))
    ax.legend(loc="upper right")
    return style.save(fig, stem)


# ----------------------------------------------------------- g. calibration

CALIBRATION_BAND = 0.10  # ±10 %: issue 6's target for the p50 latency median


def calibration(report, stem):
    """Predicted against measured for each point (log-log, the ±10 % and
    ±25 % bands shaded): bandwidth (storage points, network and memory
    copies) and storage p50 latency."""
    storage = [r for r in report.get("storage") or [] if isinstance(r, dict)]
    scalars = [r for r in report.get("scalars") or [] if isinstance(r, dict)]
    panels = []

    def pairs(rows, field):
        out = []
        for r in rows:
            f = r.get(field) or {}
            mv, pv = data.number(f.get("measured")), data.number(f.get("predicted"))
            if mv and pv and mv > 0 and pv > 0:
                out.append((mv, pv, r.get("rw", "")))
        return out

    net = [(data.number(r.get("measured")), data.number(r.get("predicted")), r.get("section", ""))
           for r in scalars if r.get("unit") == "B/s"]
    net = [p for p in net if p[0] and p[1] and p[0] > 0 and p[1] > 0]
    bw = pairs(storage, "bw_bytes") + net
    if bw:
        panels.append(("bandwidth: storage points, network, memory", bw, style.rate_unit))
    lat = pairs(storage, "clat_p50_s")
    if lat:
        panels.append(("storage p50 latency", lat, style.time_unit))
    if not panels:
        return []
    fig, axes = style.new_figure(ncols=len(panels))
    axes = np.atleast_1d(axes)
    kinds = sorted({p[2] for _, pts, _ in panels for p in pts})
    markers = ["o", "s", "^", "D", "v", "P", "X", "<"]
    for ax, (title, pts, unit_fn) in zip(axes, panels):
        factor, unit = unit_fn([v for p in pts for v in p[:2]])
        lo = min(min(p[0], p[1]) for p in pts) / factor / 1.5
        hi = max(max(p[0], p[1]) for p in pts) / factor * 1.5
        line = np.geomspace(lo, hi, 50)
        for band, alpha in ((2.5 * CALIBRATION_BAND, 0.12), (CALIBRATION_BAND, 0.3)):
            ax.fill_between(line, line * (1 - band), line * (1 + band), color=style.GREY,
                            alpha=alpha, linewidth=0, label=f"±{band:.0%} band")
        ax.plot(line, line, color="black", linewidth=0.8, label="predicted = measured")
        for kind in kinds:
            sel = [p for p in pts if p[2] == kind]
            if sel:
                k = kinds.index(kind)
                ax.scatter([p[0] / factor for p in sel], [p[1] / factor for p in sel], s=16,
                           color=colour(k), marker=markers[k % len(markers)], label=tex_safe(kind or "point"),
                           zorder=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel(f"measured ({unit})")
        ax.set_ylabel(f"predicted ({unit})")
        ax.set_title(title, size=9)
    seen = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    axes[-1].legend(list(seen.values()), list(seen), loc="center left", bbox_to_anchor=(1.02, 0.5),
                    fontsize=7)
    fig.suptitle("Calibration: predicted against measured, per point", size=10)
    return style.save(fig, stem)


def calibration_errors(report, stem):
    """Each storage point's relative error (bandwidth and p50 latency) as
    bars, the ±10 % band shaded."""
    storage = [r for r in report.get("storage") or [] if isinstance(r, dict)]
    if not storage:
        return []
    names = [str(r.get("jobname", i)) for i, r in enumerate(storage)]
    fig, ax = style.new_figure()
    x = np.arange(len(names))
    w = 0.4
    ax.axhspan(-100 * CALIBRATION_BAND, 100 * CALIBRATION_BAND, color=style.GREY, alpha=0.2,
               linewidth=0, label=f"±{CALIBRATION_BAND:.0%} band")
    for k, (field, lab) in enumerate((("bw_bytes", "bandwidth"), ("clat_p50_s", "p50 latency"))):
        errs = [data.number((r.get(field) or {}).get("error")) for r in storage]
        ax.bar(x + (k - 0.5) * w, [100 * e if e is not None else 0 for e in errs], w, color=colour(k),
               label=lab)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(x, [tex_safe(n) for n in names], rotation=60, ha="right", fontsize=6)
    ax.set_ylabel("error: predicted / measured − 1 (%)")
    ax.grid(axis="x", visible=False)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.legend(loc="upper left", ncol=3)
    ax.set_title("Calibration error per storage point")
    return style.save(fig, stem)

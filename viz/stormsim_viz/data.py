"""Reading stormsim outputs: result.json, sweep folders, validation reports."""

import json
import math
import os

RESULT_SCHEMA = "stormsim.result.v1"
SWEEP_SCHEMA = "stormsim.sweep.v1"
VALIDATION_SCHEMA = "validation.v1"


class InputError(Exception):
    """Input the user can fix: a missing file, not JSON, an unknown schema."""


def _load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file")
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: not JSON: {e.msg}")


def load_points(path):
    """The rows of a sweep's points.jsonl."""
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}:{n}: not JSON: {e.msg}")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (a sweep folder holds sweep.json and points.jsonl)")
    return rows


def load(path):
    """(kind, document, source path) for a result.json, a validation report,
    a sweep.json or a sweep folder. kind is 'result', 'sweep' or 'validation';
    a sweep's document is sweep.json with its rows under 'rows'."""
    if os.path.isdir(path):
        path = os.path.join(path, "sweep.json")
        if not os.path.exists(path):
            raise InputError(f"{os.path.dirname(path)}: a folder, but not a sweep (no sweep.json)")
    doc = _load_json(path)
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if schema == RESULT_SCHEMA:
        return "result", doc, path
    if schema == VALIDATION_SCHEMA:
        return "validation", doc, path
    if schema == SWEEP_SCHEMA:
        doc = dict(doc)
        doc["rows"] = load_points(os.path.join(os.path.dirname(path), "points.jsonl"))
        return "sweep", doc, path
    raise InputError(
        f"{path}: schema {schema!r} is none of {RESULT_SCHEMA}, {SWEEP_SCHEMA}, {VALIDATION_SCHEMA}"
    )


def number(x):
    """x as a finite float, or None."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def checkpoint_components(doc):
    """[(name, metrics)] for each component of a result whose metrics have
    `checkpoints` (the checkpoint workload), in the order they start."""
    metrics = doc.get("metrics") or {}
    comps = [
        (name, m)
        for name, m in metrics.items()
        if isinstance(m, dict) and isinstance(m.get("checkpoints"), list)
    ]
    return sorted(comps, key=lambda c: number(first_checkpoint(c[1]).get("start_s")) or 0.0)


def time_series(doc, name):
    """A checkpoint component's time series: split out to the result's top
    level (`time_series.<name>`) by `stormsim run`, or still inside its
    metrics. None unless it has t_s."""
    top = (doc.get("time_series") or {}).get(name)
    inner = ((doc.get("metrics") or {}).get(name) or {}).get("time_series")
    for ts in (top, inner):
        if isinstance(ts, dict) and isinstance(ts.get("t_s"), list):
            return ts
    return None


def label(name, m):
    """'ckpt_fs (sync → fs)'."""
    strategy, storage = m.get("strategy"), m.get("storage")
    if strategy and storage:
        return f"{name} ({strategy} → {storage})"
    return name


def first_checkpoint(m):
    cps = m.get("checkpoints") or []
    return cps[0] if cps and isinstance(cps[0], dict) else {}


def cost(doc):
    """metrics.cost.tco, or None (the scenario had no topology to count)."""
    c = (doc.get("metrics") or {}).get("cost")
    if isinstance(c, dict) and isinstance(c.get("tco"), dict):
        return c
    return None

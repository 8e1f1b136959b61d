#!/usr/bin/env python3
"""The viz package on the committed fixtures (tests/viz/fixtures): every
figure type renders to a valid PDF, SVG and PNG of the documented size, the
index pages link them and reach for nothing on the network, JSON text is
escaped, and the output is byte-for-byte deterministic.

Run with Debian's interpreter: /usr/bin/python3 tests/viz/test_viz.py
(ctest runs it through tests/viz/test_report.cc). Without matplotlib every
test fails, saying what to install: `make test` installs it, so a missing
package is a broken set-up, never a pass.
"""

import copy
import json
import os
import re
import shutil
import struct
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(HERE, "fixtures")
sys.path.insert(0, os.path.join(ROOT, "viz"))

IMPORT_ERROR = None
try:
    import matplotlib  # noqa: F401
    import numpy  # noqa: F401
except ImportError as e:  # pragma: no cover - the set-up is broken
    IMPORT_ERROR = (f"{e.name} is missing for {sys.executable}: install Debian's python3-matplotlib "
                    "(apt-get install python3-matplotlib; `make deps` does) and run the tests with "
                    "/usr/bin/python3")

if IMPORT_ERROR is None:
    from stormsim_viz import data, figures, report, style
    from stormsim_viz.__main__ import main as viz_main

OUT = None
RESULT_STEMS = ["stall_breakdown", "rank_completion_cdf", "tco"] + [
    f"{kind}_{c}" for kind in ("bandwidth", "bottlenecks") for c in ("ckpt_sync", "ckpt_async", "ckpt_tiered")]
SWEEP_STEMS = ["pareto"] + [f"sweep_{m}_vs_{a}" for m in ("stall_s", "time_to_durable_s", "storage_cost_per_year")
                            for a in ("servers", "chunk_size")]
CALIBRATION_STEMS = ["calibration", "calibration_errors"]


def setUpModule():
    global OUT
    if IMPORT_ERROR:
        raise RuntimeError(IMPORT_ERROR)
    OUT = tempfile.mkdtemp(prefix="stormsim-viz-test-")
    report.build(os.path.join(FIX, "result-small.json"), os.path.join(OUT, "result"))
    report.build(os.path.join(FIX, "sweep"), os.path.join(OUT, "sweep"))
    report.build(os.path.join(FIX, "validation.json"), os.path.join(OUT, "validation"))


def tearDownModule():
    if OUT:
        shutil.rmtree(OUT, ignore_errors=True)


def load(name):
    with open(os.path.join(FIX, name)) as f:
        return json.load(f)


class Formats:
    """Checks that a file is what its extension says, at the documented size."""

    @staticmethod
    def pdf(t, path):
        with open(path, "rb") as f:
            b = f.read()
        t.assertGreater(len(b), 1000, path)
        t.assertTrue(b.startswith(b"%PDF-"), path)
        t.assertTrue(b.rstrip().endswith(b"%%EOF"), path)

    @staticmethod
    def svg(t, path):
        root = ET.parse(path).getroot()
        t.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg", path)
        # 7 x 4 in at 72 pt/in.
        w, h = style.FIG_SIZE_IN
        t.assertEqual(root.get("width"), f"{w * 72:g}pt", path)
        t.assertEqual(root.get("height"), f"{h * 72:g}pt", path)
        t.assertGreater(len(list(root.iter())), 50, f"{path}: an almost empty drawing")

    @staticmethod
    def png(t, path):
        with open(path, "rb") as f:
            b = f.read()
        t.assertTrue(b.startswith(b"\x89PNG\r\n\x1a\n"), path)
        length, kind = struct.unpack(">I4s", b[8:16])
        t.assertEqual((length, kind), (13, b"IHDR"), path)
        width, height = struct.unpack(">II", b[16:24])
        t.assertEqual((width, height), style.PNG_SIZE_PX, path)
        t.assertEqual(style.PNG_SIZE_PX, (1050, 600))
        t.assertGreater(len(b), 10000, f"{path}: too small to hold a drawn figure")


def check_figure(t, stem):
    for fmt in style.FORMATS:
        path = f"{stem}.{fmt}"
        t.assertTrue(os.path.isfile(path), f"{path} was not written")
        getattr(Formats, fmt)(t, path)


def check_index(t, folder, stems):
    index = os.path.join(folder, "index.html")
    with open(index, encoding="utf-8") as f:
        text = f.read()
    t.assertTrue(text.startswith("<!DOCTYPE html>"))
    pngs = sorted(n for n in os.listdir(folder) if n.endswith(".png"))
    t.assertEqual(pngs, sorted(s + ".png" for s in stems))
    for png in pngs:
        t.assertIn(f'src="{png}"', text)
        t.assertIn(f'href="{png[:-4]}.pdf"', text)
        t.assertIn(f'href="{png[:-4]}.svg"', text)
    t.assertNotRegex(text, r"(?i)https?://")
    t.assertNotRegex(text, r"(?i)<script|<link|@import|url\(")
    for ref in re.findall(r'(?:src|href)="([^"]+)"', text):
        t.assertFalse(os.path.isabs(ref), ref)
        t.assertTrue(os.path.exists(os.path.join(folder, ref)), ref)
    return text


class ResultReport(unittest.TestCase):
    def test_every_result_figure_is_a_valid_pdf_svg_and_png(self):
        for stem in RESULT_STEMS:
            with self.subTest(figure=stem):
                check_figure(self, os.path.join(OUT, "result", stem))

    def test_index_shows_every_figure_and_the_tables(self):
        text = check_index(self, os.path.join(OUT, "result"), RESULT_STEMS)
        for needle in ("ckpt_sync", "ckpt_async", "ckpt_tiered", "stall", "durable after",
                       "per useful GPU-hour", "total per year"):
            self.assertIn(needle, text)

    def test_fixture_has_the_new_result_fields(self):
        doc = load("result-small.json")
        comps = data.checkpoint_components(doc)
        self.assertEqual([n for n, _ in comps], ["ckpt_sync", "ckpt_async", "ckpt_tiered"])
        for name, m in comps:
            cp = m["checkpoints"][0]
            self.assertEqual(len(cp["rank_completion_cdf"]["seconds"]), 101)
            self.assertEqual(len(cp["rank_stall_cdf"]["quantile"]), 101)
            ts = data.time_series(doc, name)
            self.assertTrue(ts["bottlenecks"])
            self.assertEqual(len(ts["bottlenecks"][0]["utilization"]), len(ts["t_s"]))
        self.assertIn("tco", doc["metrics"]["cost"])


class Figures(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="stormsim-viz-fig-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_cdf_falls_back_to_the_percentiles(self):
        doc = load("result-small.json")
        for _, m in data.checkpoint_components(doc):
            for cp in m["checkpoints"]:
                cp.pop("rank_completion_cdf")
                cp.pop("rank_stall_cdf")
        written = figures.rank_completion_cdf(doc, os.path.join(self.dir, "cdf"))
        self.assertEqual(len(written), 3)
        check_figure(self, os.path.join(self.dir, "cdf"))

    def test_stall_parts_add_up(self):
        m = load("result-small.json")["metrics"]["ckpt_async"]
        copy_s, rest, after = figures.stall_parts(m)
        cp = m["checkpoints"][0]
        self.assertAlmostEqual(copy_s, cp["copy_s"])
        self.assertAlmostEqual(copy_s + rest, cp["stall_s"])
        self.assertAlmostEqual(copy_s + rest + after, cp["time_to_durable_s"])

    def test_nothing_to_draw_is_no_file(self):
        doc = {"schema": data.RESULT_SCHEMA, "metrics": {"x": {"bytes": 1}}}
        self.assertEqual(figures.tier_bandwidth(doc, "x", os.path.join(self.dir, "a")), [])
        self.assertEqual(figures.stall_breakdown(doc, os.path.join(self.dir, "b")), [])
        self.assertEqual(figures.tco(doc, os.path.join(self.dir, "c")), [])
        self.assertEqual(figures.pareto({"rows": []}, os.path.join(self.dir, "d")), [])
        self.assertEqual(os.listdir(self.dir), [])

    def test_output_is_deterministic(self):
        doc = load("result-small.json")
        a = figures.stall_breakdown(doc, os.path.join(self.dir, "a"))
        b = figures.stall_breakdown(doc, os.path.join(self.dir, "b"))
        for pa, pb in zip(a, b):
            with open(pa, "rb") as fa, open(pb, "rb") as fb:
                self.assertEqual(fa.read(), fb.read(), f"{pa} and {pb} differ")

    def test_json_text_is_escaped_in_the_page(self):
        doc = load("result-small.json")
        doc["metrics"] = {'<b>"ckpt"&': doc["metrics"]["ckpt_sync"]}
        doc["time_series"] = {}
        doc["inputs"]["description"] = "<script>alert(1)</script>"
        path = os.path.join(self.dir, "result.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        with open(report.build(path, os.path.join(self.dir, "r")), encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("<script>", text)
        self.assertNotIn("<b>", text)
        self.assertIn("&lt;b&gt;&quot;ckpt&quot;&amp;", text)
        self.assertIn("&lt;script&gt;", text)


class SweepReport(unittest.TestCase):
    def test_every_sweep_figure_is_a_valid_pdf_svg_and_png(self):
        for stem in SWEEP_STEMS:
            with self.subTest(figure=stem):
                check_figure(self, os.path.join(OUT, "sweep", stem))

    def test_index_has_the_pareto_front_and_cheapest_point(self):
        text = check_index(self, os.path.join(OUT, "sweep"), SWEEP_STEMS)
        sweep = load(os.path.join("sweep", "sweep.json"))
        self.assertIn("Cheapest point meeting the target", text)
        self.assertIn(sweep["cheapest"], text)
        for key in sweep["pareto"]["keys"]:
            self.assertIn(key, text)

    def test_means_and_extremes_over_replicates(self):
        sweep = {"axes": ["n"], "rows": [
            {"key": "k1", "replicate": r, "params": {"n": 1}, "metrics": {"m": v}, "status": "ok"}
            for r, v in enumerate((1.0, 3.0))] + [
            {"key": "k2", "replicate": 0, "params": {"n": 2}, "metrics": {"m": None}, "status": "error"}]}
        self.assertEqual(figures.point_means(sweep, ["m"]), {"k1": ({"n": 1}, {"m": 2.0})})


class CalibrationReport(unittest.TestCase):
    def test_every_calibration_figure_is_a_valid_pdf_svg_and_png(self):
        for stem in CALIBRATION_STEMS:
            with self.subTest(figure=stem):
                check_figure(self, os.path.join(OUT, "validation", stem))

    def test_index_has_the_per_point_errors(self):
        text = check_index(self, os.path.join(OUT, "validation"), CALIBRATION_STEMS)
        doc = load("validation.json")
        for row in doc["storage"]:
            self.assertIn(row["jobname"], text)
        self.assertIn("median |error|", text)


class CommandLine(unittest.TestCase):
    def test_unknown_schema_is_exit_status_2(self):
        d = tempfile.mkdtemp(prefix="stormsim-viz-cli-")
        try:
            path = os.path.join(d, "x.json")
            with open(path, "w") as f:
                json.dump({"schema": "nope"}, f)
            self.assertEqual(viz_main([path, "-o", os.path.join(d, "out")]), 2)
            self.assertEqual(viz_main([os.path.join(d, "missing.json")]), 2)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_human_units(self):
        self.assertEqual(style.rate_unit([2.5e12]), (1e12, "TB/s"))
        self.assertEqual(style.rate_unit([4.0e8]), (1e6, "MB/s"))
        self.assertEqual(style.time_unit([0.36]), (1e-3, "ms"))
        self.assertEqual(style.time_unit([90.0]), (1.0, "s"))
        self.assertEqual(style.time_unit([1500.0]), (60.0, "min"))
        self.assertEqual(style.money_unit([22457.0]), (1e3, "$k"))
        self.assertEqual(figures.metric_unit("stall_s", [0.3]), (1e-3, "stall_s (ms)"))


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""pycocotools' numbers for coco-val2014-fake100 under evaldb's evaluation options, written to
expected-pycocotools-options.json (read by Tests/evaldbTests/EvalOptionsEndToEndTests.swift).

Each case evaluates the fixture's own files, filtered the way the option says, with COCOeval(bbox):
- images-where `width < 640`: params.imgIds = the ground truth's images narrower than 640 pixels;
- classes `person,chair,47`: params.catIds = [1, 47, 62] (person is 1, chair 62; 47 is cup);
- score-threshold 0.5: only the detections with score >= 0.5 (evaldb drops those *below* the threshold);
- all three at once;
- area ranges `all=0:1e10,small=0:400,medium=400:4096,large=4096:1e10` (the summary's labels, other bounds) and
  `all=0:1e10,tiny=0:256,big=256:1e10` (other labels: the summary's small/medium/large entries are then -1):
  params.areaRng / params.areaRngLbl.
Each case is evaluated for run A (the fixture's detections) and run B (the same without every third detection:
file positions 2, 5, 8, ...), which the diff tests compare.

Per category: AP, AP50, AP75 (over the recall points, area all, last maxDets), AR1/AR10/AR100 (area all), and for
every other area range AP_<label> and AR100_<label>: the mean over the entries > -1 (None when there are none).

Run: python3 -m venv /tmp/ptvenv && /tmp/ptvenv/bin/pip install pycocotools numpy
     /tmp/ptvenv/bin/python Tests/Fixtures/coco-val2014-fake100/make_expected_options.py
(pycocotools 2.0.11, numpy 2.4.6 when the file was written.) Run B keeps per-class AP and AP50 only.
"""

import contextlib
import copy
import importlib.metadata
import io
import json
import pathlib

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

HERE = pathlib.Path(__file__).resolve().parent
GT = HERE / "gt" / "instances_val2014_100.json"
DT = HERE / "dt" / "instances_val2014_fakebbox100_results.json"
STATS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]

ground_truth = json.load(open(GT))
detections_a = json.load(open(DT))
detections_b = [row for index, row in enumerate(detections_a) if index % 3 != 2]
narrow = sorted(image["id"] for image in ground_truth["images"] if image["width"] < 640)
chosen_classes = [1, 47, 62]

CASES = {
    "images-where": {"flags": ["--images-where", "width < 640"], "images": narrow},
    "classes": {"flags": ["--classes", "person,chair,47"], "classes": chosen_classes},
    "score-threshold": {"flags": ["--score-threshold", "0.5"], "threshold": 0.5},
    "all-three": {
        "flags": ["--images-where", "width < 640", "--classes", "person,chair,47", "--score-threshold", "0.5"],
        "images": narrow, "classes": chosen_classes, "threshold": 0.5,
    },
    "area-ranges-summary-labels": {
        "flags": ["--area-ranges", "all=0:1e10,small=0:400,medium=400:4096,large=4096:1e10"],
        "areas": [["all", 0, 1e10], ["small", 0, 400], ["medium", 400, 4096], ["large", 4096, 1e10]],
    },
    "area-ranges-other-labels": {
        "flags": ["--area-ranges", "all=0:1e10,tiny=0:256,big=256:1e10"],
        "areas": [["all", 0, 1e10], ["tiny", 0, 256], ["big", 256, 1e10]],
    },
}


def mean(values):
    values = values[values > -1]
    return None if values.size == 0 else float(np.mean(values))


def evaluate(case, detections, per_class_keys=None):
    if "threshold" in case:
        detections = [row for row in detections if row["score"] >= case["threshold"]]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(ground_truth)
        gt.createIndex()
        dt = gt.loadRes(copy.deepcopy(detections))
        ev = COCOeval(gt, dt, "bbox")
        if "images" in case:
            ev.params.imgIds = list(case["images"])
        if "classes" in case:
            ev.params.catIds = list(case["classes"])
        if "areas" in case:
            ev.params.areaRng = [[lo, hi] for _, lo, hi in case["areas"]]
            ev.params.areaRngLbl = [name for name, _, _ in case["areas"]]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    precision = ev.eval["precision"]  # [T, R, K, A, M]
    recall = ev.eval["recall"]  # [T, K, A, M]
    thresholds = [float(t) for t in ev.params.iouThrs]
    labels = ev.params.areaRngLbl
    classes = {}
    for k, category in enumerate(ev.params.catIds):
        entry = {
            "AP": mean(precision[:, :, k, 0, -1]),
            "AP50": mean(precision[thresholds.index(0.5), :, k, 0, -1]),
            "AP75": mean(precision[thresholds.index(0.75), :, k, 0, -1]),
        }
        for m, max_dets in enumerate(ev.params.maxDets):
            entry[f"AR{max_dets}"] = mean(recall[:, k, 0, m])
        for a, label in enumerate(labels):
            if a == 0:
                continue
            entry[f"AP_{label}"] = mean(precision[:, :, k, a, -1])
            entry[f"AR{ev.params.maxDets[-1]}_{label}"] = mean(recall[:, k, a, -1])
        if per_class_keys is not None:
            entry = {key: entry[key] for key in per_class_keys}
        classes[str(category)] = entry
    return {
        "stats": dict(zip(STATS, [None if s == -1 else float(s) for s in ev.stats])),
        "per_category": classes,
        "images": len(ev.params.imgIds),
        "detections": len(detections),
    }


output = {
    "library": "pycocotools",
    "version": importlib.metadata.version("pycocotools"),
    "numpy": np.__version__,
    "script": "Tests/Fixtures/coco-val2014-fake100/make_expected_options.py",
    "run_b": "run A without the detections at file positions 2, 5, 8, ... (index % 3 == 2)",
    "cases": {},
}
for name, case in CASES.items():
    output["cases"][name] = {
        "flags": case["flags"],
        "A": evaluate(case, detections_a),
        "B": evaluate(case, detections_b, per_class_keys=["AP", "AP50"]),
    }
with open(HERE / "expected-pycocotools-options.json", "w") as out:
    # One line per case and run: small, and still readable with `python3 -m json.tool`.
    out.write("{\n")
    header = {key: value for key, value in output.items() if key != "cases"}
    for key, value in sorted(header.items()):
        out.write(f" {json.dumps(key)}: {json.dumps(value)},\n")
    out.write(' "cases": {\n')
    lines = []
    for name, case in sorted(output["cases"].items()):
        fields = [f'  "flags": {json.dumps(case["flags"])}']
        for run in ("A", "B"):
            fields.append(f"  {json.dumps(run)}: {json.dumps(case[run], sort_keys=True, separators=(',', ':'))}")
        lines.append(f"  {json.dumps(name)}: {{\n" + ",\n".join(fields) + "}")
    out.write(",\n".join(lines) + "\n }\n}")
    out.write("\n")

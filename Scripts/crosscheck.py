#!/usr/bin/env python3
"""Differential check of `evaldb eval --protocol coco` against pycocotools.

For every COCO fixture in Tests/Fixtures and for N random cases (random image counts, crowd boxes, area
fields that differ from w*h, empty images, classes with detections but no ground truth, score ties,
more than 100 detections per image, annotation id 0, custom IoU thresholds / maxDets / area ranges,
class-agnostic), it imports the case into a fresh evaldb database, evaluates it with evaldb and with
pycocotools, and compares all 12 stats and every per-category AP/AP50/AP75/AR100 to 1e-12.

Usage: Scripts/crosscheck.py EVALDB_BINARY [--cases 200] [--seed 1]   (run by Scripts/crosscheck)
"""
import argparse
import contextlib
import io
import json
import math
import pathlib
import random
import subprocess
import sys
import tempfile

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOLERANCE = 1e-12
STAT_NAMES = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def reference(gt_path, dt_path, params):
    """pycocotools' stats and per-category AP/AP50/AP75/AR(last maxDets), -1 as None."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_path))
        dt = gt.loadRes(str(dt_path)) if json.load(open(dt_path)) else None
        if dt is None:
            return None
        ev = COCOeval(gt, dt, "bbox")
        if "iou" in params:
            ev.params.iouThrs = np.array(params["iou"])
        if "max_dets" in params:
            ev.params.maxDets = params["max_dets"]
        if "areas" in params:
            ev.params.areaRng = [[lo, hi] for _, lo, hi in params["areas"]]
            ev.params.areaRngLbl = [name for name, _, _ in params["areas"]]
        if params.get("agnostic"):
            ev.params.useCats = 0
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    stats = [None if s == -1 else float(s) for s in ev.stats]
    precision = ev.eval["precision"]
    recall = ev.eval["recall"]
    thresholds = list(ev.params.iouThrs)
    classes = {}
    cat_ids = ev.params.catIds if ev.params.useCats else [-1]
    for k, cat in enumerate(cat_ids):
        def mean(values):
            values = values[values > -1]
            return None if values.size == 0 else float(np.mean(values))
        entry = {"AP": mean(precision[:, :, k, 0, -1]), "AR": mean(recall[:, k, 0, -1])}
        for name, thr in (("AP50", 0.5), ("AP75", 0.75)):
            entry[name] = mean(precision[thresholds.index(thr), :, k, 0, -1]) if thr in thresholds else None
        classes[cat] = entry
    return {"stats": stats, "classes": classes}


def evaldb(binary, db, args):
    result = subprocess.run([binary, *args, "--db", str(db)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"evaldb {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def evaldb_eval(binary, work, gt_path, dt_path, params):
    db = work / "case.sqlite"
    for suffix in ("", "-wal", "-shm"):
        pathlib.Path(str(db) + suffix).unlink(missing_ok=True)
    evaldb(binary, db, ["dataset", "import", "case", str(gt_path), "--format", "coco"])
    evaldb(binary, db, ["import", "run", str(dt_path), "--dataset", "case", "--format", "coco", "--no-eval"])
    args = ["eval", "run", "--protocol", "coco", "--format", "json"]
    if "iou" in params:
        args += ["--iou", ",".join(repr(t) for t in params["iou"])]
    if "max_dets" in params:
        args += ["--max-dets", ",".join(str(m) for m in params["max_dets"])]
    if "areas" in params:
        args += ["--area-ranges", ",".join(f"{n}={lo!r}:{hi!r}" for n, lo, hi in params["areas"])]
    if params.get("agnostic"):
        args += ["--class-agnostic"]
    output = json.loads(evaldb(binary, db, args))
    return output[0] if isinstance(output, list) else output


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE


def compare(name, ours, theirs, params):
    problems = []
    metrics = ours["metrics"]
    for index, stat in enumerate(STAT_NAMES):
        if index >= 6 and "max_dets" in params:
            continue  # AR names follow the custom maxDets; checked through per-class AR below
        if not close(metrics.get(stat), theirs["stats"][index]):
            problems.append(f"{stat}: evaldb {metrics.get(stat)!r} pycocotools {theirs['stats'][index]!r}")
    ours_classes = {c["id"]: c for c in ours["classes"]}
    for cat, ref in theirs["classes"].items():
        got = ours_classes.get(cat)
        if got is None:
            problems.append(f"class {cat} missing")
            continue
        for key in ("AP", "AP50", "AP75"):
            if not close(got.get(key), ref[key]):
                problems.append(f"class {cat} {key}: evaldb {got.get(key)!r} pycocotools {ref[key]!r}")
        ar_key = f"AR{params.get('max_dets', [1, 10, 100])[-1]}"
        if not close(got.get(ar_key), ref["AR"]):
            problems.append(f"class {cat} {ar_key}: evaldb {got.get(ar_key)!r} pycocotools {ref['AR']!r}")
    if problems:
        print(f"MISMATCH {name}:", file=sys.stderr)
        for p in problems[:10]:
            print(f"  {p}", file=sys.stderr)
    return not problems


def random_case(rng, directory):
    """Writes gt.json and dets.json for one random case; returns the custom params."""
    n_images = rng.randint(1, 25)
    n_cats = rng.randint(1, 6)
    cat_ids = sorted(rng.sample(range(0 if rng.random() < 0.1 else 1, 30), n_cats))
    images, annotations, dets = [], [], []
    ann_id = 0 if rng.random() < 0.15 else 1
    integer_boxes = rng.random() < 0.5
    tie_scores = rng.random() < 0.4
    for image_id in rng.sample(range(1, 10000), n_images):
        w, h = rng.choice([(640, 480), (320, 240), (100, 100), (1024, 768)])
        images.append({"id": image_id, "file_name": f"{image_id}.jpg", "width": w, "height": h})
        boxes = []
        for _ in range(0 if rng.random() < 0.15 else rng.randint(1, 12)):
            bw, bh = rng.uniform(2, w / 2), rng.uniform(2, h / 2)
            x, y = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            if integer_boxes:
                x, y, bw, bh = round(x), round(y), max(1, round(bw)), max(1, round(bh))
            cat = rng.choice(cat_ids[:-1] or cat_ids) if rng.random() < 0.9 else cat_ids[0]
            area = bw * bh if rng.random() < 0.7 else bw * bh * rng.uniform(0.3, 1.0)
            crowd = 1 if rng.random() < 0.06 else 0
            annotations.append({"id": ann_id, "image_id": image_id, "category_id": cat,
                                "bbox": [x, y, bw, bh], "area": area, "iscrowd": crowd})
            ann_id += 1
            boxes.append((cat, x, y, bw, bh))
        many = rng.random() < 0.1
        for _ in range(rng.randint(0, 150 if many else 15)):
            if boxes and rng.random() < 0.6:
                cat, x, y, bw, bh = rng.choice(boxes)
                if rng.random() < 0.2:
                    cat = rng.choice(cat_ids)
                x, y = x + rng.gauss(0, bw * 0.15), y + rng.gauss(0, bh * 0.15)
                bw, bh = bw * rng.uniform(0.7, 1.3), bh * rng.uniform(0.7, 1.3)
            else:
                cat = rng.choice(cat_ids)  # includes classes without ground truth
                bw, bh = rng.uniform(2, w / 2), rng.uniform(2, h / 2)
                x, y = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            x, y = min(max(x, 0), w - 1), min(max(y, 0), h - 1)
            bw, bh = min(bw, w - x), min(bh, h - y)
            if integer_boxes:
                x, y, bw, bh = round(x), round(y), max(1, round(bw)), max(1, round(bh))
            score = round(rng.random(), 1) if tie_scores else rng.random()
            dets.append({"image_id": image_id, "category_id": cat, "bbox": [x, y, bw, bh], "score": score})
    categories = [{"id": c, "name": f"c{c}"} for c in cat_ids]
    json.dump({"images": images, "annotations": annotations, "categories": categories},
              open(directory / "gt.json", "w"))
    json.dump(dets, open(directory / "dets.json", "w"))
    params = {}
    choice = rng.random()
    if choice < 0.15:
        params["iou"] = sorted(rng.sample([0.3, 0.5, 0.55, 0.6, 0.75, 0.8, 0.9], rng.randint(1, 4)))
    elif choice < 0.25:
        params["max_dets"] = sorted(rng.sample([1, 3, 10, 20, 100, 200], 3))
    elif choice < 0.32:
        params["areas"] = [("all", 0.0, 1e10), ("tiny", 0.0, 400.0), ("rest", 400.0, 1e10)]
    elif choice < 0.42:
        params["agnostic"] = True
    return params, len(dets)


FIXTURES = [
    ("coco-val2014-fake100", "gt/instances_val2014_100.json", "dt/instances_val2014_fakebbox100_results.json"),
    ("padilla-review-coco-sampled", None, None),
    ("detectron2-coco-2img", "gt.json", "dt_bbox.json"),
    ("torchmetrics-map-4img", "gt_coco.json", "dt_coco.json"),
    ("padilla-odm-sample2", "coco/gt_coco.json", "coco/dt_coco.json"),
    ("padilla-review-toyexample", "gts_coco_format/toy_example_coco.JSON", "dets_coco_format/coco_dets.json"),
    ("padilla-review-toyexample", "coco_renumbered/gt_coco_ann_ids_plus1.json", "dets_coco_format/coco_dets.json"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("evaldb")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    fixtures = ROOT / "Tests" / "Fixtures"
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as scratch:
        work = pathlib.Path(scratch)
        for case, gt, dt in FIXTURES:
            folder = fixtures / case
            if gt is None:
                gt = next(str(p.relative_to(folder)) for p in (folder / "gt").glob("*.json"))
                dt = next(str(p.relative_to(folder)) for p in (folder / "dt").glob("*.json"))
            dt_path = folder / dt
            data = json.load(open(dt_path))
            if isinstance(data, dict):  # results stored as {"annotations": [...]}: pycocotools wants the list
                dt_path = work / "dets-list.json"
                json.dump(data["annotations"], open(dt_path, "w"))
            theirs = reference(folder / gt, dt_path, {})
            ours = evaldb_eval(args.evaldb, work, folder / gt, dt_path, {})
            checked += 1
            if not compare(f"{case} ({gt})", ours, theirs, {}):
                failures += 1
        rng = random.Random(args.seed)
        for index in range(args.cases):
            case_dir = work / f"case{index}"
            case_dir.mkdir()
            params, n_dets = random_case(rng, case_dir)
            if n_dets == 0:
                continue
            theirs = reference(case_dir / "gt.json", case_dir / "dets.json", params)
            ours = evaldb_eval(args.evaldb, work, case_dir / "gt.json", case_dir / "dets.json", params)
            checked += 1
            if not compare(f"random case {index} (seed {args.seed}, params {params})", ours, theirs, params):
                failures += 1
    print(f"crosscheck coco vs pycocotools: {checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

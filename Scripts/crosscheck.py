#!/usr/bin/env python3
"""Differential check of `evaldb eval --protocol coco` against pycocotools.

For every COCO fixture in Tests/Fixtures and for N random cases (random image counts, crowd boxes, area
fields that differ from w*h, empty images, classes with detections but no ground truth, score ties,
more than 100 detections per image, annotation id 0, custom IoU thresholds / maxDets / area ranges,
class-agnostic), it imports the case into a fresh evaldb database, evaluates it with evaldb and with
pycocotools, and compares all 12 stats and every per-category AP/AP50/AP75/AR100 to 1e-12.

It also reads what evaldb stored (the database file, read-only, through the documented views) and compares
it with pycocotools' own intermediate results:
- `dets`: one row per result in the file, `seq` = position in the results list (= loadRes' id - 1), with the
  file's image, category, score and box;
- `matches`: per detection and IoU threshold t, bit t of tp_mask / ignored_mask against `evalImgs` at area
  range 0 and the last maxDets (TP = dtMatches != 0 and not dtIgnore; ignored = dtIgnore); detections that
  no evalImg holds (beyond maxDets per image and class) must be ignored at every threshold;
  gt_50 / gt_75 (through `gt_boxes.annotation_id`) against dtMatches at 0.5 / 0.75, iou_50 / iou_75
  against `COCOeval.ious` for the detection and the matched box;
- `pr_curve` (`pr_points` for the class-agnostic curve, category -1): the 101
  precisions and scores per class and threshold against `eval['precision']` / `eval['scores']` at area range
  0 and the last maxDets (NULL precision for pycocotools' -1; NULL score where the recall point is unreached:
  beyond the class's final recall, or everywhere when no detection of the class is evaluated).

Usage: Scripts/crosscheck.py EVALDB_BINARY [--cases 200] [--seed 1]   (run by Scripts/crosscheck)
"""
import argparse
import contextlib
import io
import json
import math
import pathlib
import random
import sqlite3
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
    """pycocotools' stats and per-category AP/AP50/AP75/AR(last maxDets), -1 as None; plus its per-detection
    outcomes (`detections`, from evalImgs and ious) and PR curves (`curves`, from eval) for `compare_stored`."""
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
        detections, evaluated_per_class = per_detection_reference(ev)
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
    curves = {
        "precision": ev.eval["precision"][:, :, :, 0, -1],  # (T, R, K)
        "scores": ev.eval["scores"][:, :, :, 0, -1],
        "recall": ev.eval["recall"][:, :, 0, -1],  # (T, K)
        "rec_thrs": np.array(ev.params.recThrs, dtype=float),
        "evaluated": np.array(evaluated_per_class),  # (K,) detections evaluated per class
    }
    return {"stats": stats, "classes": classes, "thresholds": [float(t) for t in thresholds],
            "max_det": int(ev.params.maxDets[-1]), "cat_keys": [int(c) for c in cat_ids],
            "detections": detections, "curves": curves}


def per_detection_reference(ev):
    """After evaluate() (before accumulate(), which overwrites params.catIds when useCats is 0): for every
    detection an evalImg holds at area range 0 (maxDet = maxDets[-1]), keyed by seq = loadRes' id - 1:
    (image id, category key, tp_mask, ignored_mask, {threshold index: (matched annotation id, IoU)}).
    Also the number of detections evaluated per category key."""
    p = ev.params
    thresholds = [float(t) for t in p.iouThrs]
    cat_keys = list(p.catIds) if p.useCats else [-1]
    n_images, n_areas = len(p.imgIds), len(p.areaRng)
    weights = (1 << np.arange(len(thresholds), dtype=np.int64))[:, None]
    wanted = [t for t, thr in enumerate(thresholds) if thr in (0.5, 0.75)]
    detections = {}
    evaluated_per_class = []
    for k, cat in enumerate(cat_keys):
        evaluated = 0
        for i, image in enumerate(p.imgIds):
            e = ev.evalImgs[k * n_areas * n_images + i]  # area range index 0
            if e is None or not e["dtIds"]:
                continue
            assert e["aRng"] == p.areaRng[0] and e["maxDet"] == p.maxDets[-1]
            evaluated += len(e["dtIds"])
            dtm, dtig = e["dtMatches"], np.asarray(e["dtIgnore"], dtype=bool)
            tp_masks = (((dtm != 0) & ~dtig) * weights).sum(axis=0)
            ig_masks = (dtig * weights).sum(axis=0)
            ious = ev.ious[image, cat]
            # ious: rows are the detections in evalImg order (score-sorted, stable, cut to maxDets[-1]);
            # columns are the ground truth in _gts order (concatenated over catIds when class-agnostic)
            gts = ev._gts[image, cat] if p.useCats else [g for c in p.catIds for g in ev._gts[image, c]]
            columns = {}
            for column, g in enumerate(gts):
                columns.setdefault(g["id"], []).append(column)
            for d, dt_id in enumerate(e["dtIds"]):
                links = {}
                for t in wanted:
                    gt_id = int(dtm[t, d])
                    if gt_id != 0:
                        links[t] = (gt_id, [float(ious[d, c]) for c in columns[gt_id]])
                    else:
                        links[t] = (None, None)
                seq = dt_id - 1
                assert seq not in detections, f"detection id {dt_id} in two evalImgs"
                detections[seq] = (image, cat, int(tp_masks[d]), int(ig_masks[d]), links)
        evaluated_per_class.append(evaluated)
    return detections, evaluated_per_class


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
    return (output[0] if isinstance(output, list) else output), db


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


class Counts:
    """What compare_stored checked, over all cases."""

    def __init__(self):
        self.dets = 0  # dets rows checked against the results file
        self.matches = 0  # detection x threshold outcomes
        self.evaluated = 0  # detections pycocotools evaluates
        self.outside = 0  # detections beyond maxDets: every ignored bit
        self.links = 0  # gt_50 / gt_75 checked (detection x threshold in {0.5, 0.75})
        self.ious = 0  # iou_50 / iou_75 compared with COCOeval.ious
        self.curves = 0  # (class, threshold) curves
        self.precision = 0  # pr points: precision
        self.scores = 0  # pr points: score (reached)
        self.unreached = 0  # pr points: NULL score where unreached

    def summary(self):
        return "\n".join([
            f"  dets: {self.dets} rows checked against the results files (seq = loadRes id - 1)",
            f"  matches: {self.evaluated + self.outside} detections ({self.evaluated} evaluated, {self.outside} "
            f"beyond maxDets) = {self.matches} detection x threshold outcomes checked",
            f"  gt_50/gt_75: {self.links} matched-box links checked, {self.ious} IoUs within {TOLERANCE}",
            f"  pr_curve: {self.curves} curves, {self.precision} precisions and {self.scores} scores within "
            f"{TOLERANCE}, {self.unreached} unreached points with NULL score",
        ])


def _same(a, b):
    return a is None and b is None or a is not None and b is not None and abs(a - b) <= TOLERANCE


def compare_stored(name, db, results, theirs, counts):
    """Compares the per-detection outcomes and PR curves evaldb stored in `db` with pycocotools'."""
    problems = []
    thresholds, cat_keys = theirs["thresholds"], theirs["cat_keys"]
    n_t = len(thresholds)
    all_bits = (1 << n_t) - 1
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        evaluations = con.execute("SELECT DISTINCT evaluation_id, params FROM eval_summary "
                                  "WHERE run = 'run' AND protocol = 'coco'").fetchall()
        if len(evaluations) != 1:
            return [f"expected one coco evaluation of run, found {len(evaluations)}"]
        evaluation, stored_params = evaluations[0][0], json.loads(evaluations[0][1])
        if stored_params["iou"] != thresholds:
            return [f"params.iou {stored_params['iou']} differs from pycocotools' iouThrs {thresholds}"]
        if stored_params["max_dets"][-1] != theirs["max_det"]:
            return [f"params.max_dets {stored_params['max_dets']} differs from pycocotools' {theirs['max_det']}"]

        # dets: seq is the position in the results list, which loadRes numbered id = seq + 1
        dets = con.execute("SELECT seq, image_id, category_id, score, x, y, w, h FROM dets WHERE run = 'run'").fetchall()
        if len(dets) != len(results):
            problems.append(f"dets has {len(dets)} rows, the results file {len(results)}")
        for seq, image, cat, score, x, y, w, h in dets:
            r = results[seq] if 0 <= seq < len(results) else None
            if r is None or (image, cat, score, [x, y, w, h]) != (r["image_id"], r["category_id"], r["score"],
                                                                  [float(v) for v in r["bbox"]]):
                problems.append(f"dets seq {seq}: image {image} category {cat} score {score!r} box {[x, y, w, h]} "
                                f"is not results[{seq}] = {r}")
            counts.dets += 1
        if problems:
            return problems  # the seq <-> pycocotools id mapping below relies on this

        # matches: per detection and threshold
        rows = con.execute("SELECT seq, tp_mask, ignored_mask, gt_50, iou_50, gt_75, iou_75 FROM matches "
                           "WHERE evaluation_id = ?", (evaluation,)).fetchall()
        joined = con.execute("SELECT count(*) FROM detection_matches WHERE evaluation_id = ?",
                             (evaluation,)).fetchone()[0]
        if joined != len(rows):
            problems.append(f"matches has {len(rows)} rows but detection_matches {joined}: "
                            "some do not join their detection")
        annotation_of = dict(con.execute("SELECT id, annotation_id FROM gt_boxes"))
        stored = {}
        for row in rows:
            if row[0] in stored:
                problems.append(f"seq {row[0]} twice in matches")
            stored[row[0]] = row
        for seq, r in enumerate(results):
            image = r["image_id"]
            row = stored.pop(seq, None)
            if row is None:
                problems.append(f"image {image} seq {seq}: missing from matches")
                continue
            _, tp_mask, ignored_mask, gt_50, iou_50, gt_75, iou_75 = row
            ref = theirs["detections"].get(seq)
            if ref is None:  # pycocotools never evaluates it: beyond maxDets per image (and class)
                ref_tp, ref_ig, links = 0, all_bits, {}
                counts.outside += 1
            else:
                _, _, ref_tp, ref_ig, links = ref
                counts.evaluated += 1
            counts.matches += n_t
            for t in range(n_t):
                ours_t = ((tp_mask >> t) & 1, (ignored_mask >> t) & 1)
                theirs_t = ((ref_tp >> t) & 1, (ref_ig >> t) & 1)
                if ours_t != theirs_t:
                    problems.append(
                        f"image {image} seq {seq} IoU {thresholds[t]!r} (t={t}): evaldb TP={ours_t[0]} "
                        f"ignored={ours_t[1]} (tp_mask {tp_mask}, ignored_mask {ignored_mask}), pycocotools "
                        + ("does not evaluate it (beyond maxDets): ignored" if ref is None else
                           f"TP={theirs_t[0]} ignored={theirs_t[1]} (tp_mask {ref_tp}, ignored_mask {ref_ig})"))
            for thr, gt_box, iou in ((0.5, gt_50, iou_50), (0.75, gt_75, iou_75)):
                if thr not in thresholds:
                    if gt_box is not None or iou is not None:
                        problems.append(f"image {image} seq {seq}: gt/iou at {thr} stored ({gt_box}, {iou!r}) "
                                        f"but {thr} is not evaluated")
                    continue
                ref_gt, ref_ious = links.get(thresholds.index(thr), (None, None))
                ours_gt = None if gt_box is None else annotation_of.get(gt_box, f"no gt_boxes row {gt_box}")
                counts.links += 1
                if ours_gt != ref_gt:
                    problems.append(f"image {image} seq {seq} IoU {thr}: evaldb matched annotation {ours_gt} "
                                    f"(gt_boxes.id {gt_box}), pycocotools dtMatches {ref_gt or 0}")
                elif ref_gt is None:
                    if iou is not None:
                        problems.append(f"image {image} seq {seq} IoU {thr}: evaldb iou {iou!r} without a match")
                else:
                    counts.ious += 1
                    if iou is None or not any(abs(iou - v) <= TOLERANCE for v in ref_ious):
                        problems.append(f"image {image} seq {seq} IoU {thr}: evaldb iou {iou!r}, "
                                        f"pycocotools ious {ref_ious[0]!r} (annotation {ref_gt})")
        for seq in stored:
            problems.append(f"matches has seq {seq}, which is not a detection of the run")

        # PR curves: pr_curve per class; the class-agnostic curve (category -1) only in pr_points
        view = "pr_curve" if cat_keys != [-1] else "pr_points"
        rows = con.execute(f"SELECT category_id, iou, recall_index, recall, precision, score FROM {view} "
                           "WHERE evaluation_id = ?", (evaluation,)).fetchall()
    finally:
        con.close()
    curves = theirs["curves"]
    rec_thrs = curves["rec_thrs"]
    n_r, n_k = len(rec_thrs), len(cat_keys)
    shape = (n_t, n_r, n_k)
    ours_p, ours_s = np.full(shape, np.nan), np.full(shape, np.nan)
    seen = np.zeros(shape, dtype=int)
    t_index = {thr: t for t, thr in enumerate(thresholds)}
    k_index = {cat: k for k, cat in enumerate(cat_keys)}
    for cat, iou, r, recall, precision, score in rows:
        t, k = t_index.get(iou), k_index.get(cat)
        if t is None or k is None or not 0 <= r < n_r:
            problems.append(f"{view}: unexpected row category {cat} iou {iou!r} recall_index {r}")
            continue
        seen[t, r, k] += 1
        if abs(recall - rec_thrs[r]) > TOLERANCE:
            problems.append(f"{view} category {cat} iou {iou!r} recall_index {r}: recall {recall!r}, "
                            f"pycocotools recThrs {rec_thrs[r]!r}")
        ours_p[t, r, k] = np.nan if precision is None else precision
        ours_s[t, r, k] = np.nan if score is None else score
    for t, r, k in zip(*np.nonzero(seen != 1)):
        problems.append(f"{view} category {cat_keys[k]} iou {thresholds[t]!r} recall_index {r}: "
                        f"{seen[t, r, k]} rows")
    ref_p, ref_s, ref_recall = curves["precision"], curves["scores"], curves["recall"]
    no_gt = ref_p == -1  # pycocotools' -1: no ground truth (that counts) in the class
    # a point is unreached when no detection gets the recall there: recThrs[r] > the final recall, or no
    # detection at all (pycocotools then leaves the whole curve at 0)
    unreached = ((rec_thrs[None, :, None] > ref_recall[:, None, :]) | (curves["evaluated"] == 0)[None, None, :])
    assert np.all(ref_s[unreached & ~no_gt] == 0) and np.all(ref_p[unreached & ~no_gt] == 0)
    want_p = np.where(no_gt, np.nan, ref_p)
    want_s = np.where(no_gt | unreached, np.nan, ref_s)
    for label, ours, want in (("precision", ours_p, want_p), ("score", ours_s, want_s)):
        bad = ~((np.isnan(ours) & np.isnan(want)) | (np.abs(ours - want) <= TOLERANCE)) & (seen == 1)
        for t, r, k in zip(*np.nonzero(bad)):
            show = lambda v: None if np.isnan(v) else float(v)
            problems.append(f"{view} category {cat_keys[k]} iou {thresholds[t]!r} recall_index {r} {label}: "
                            f"evaldb {show(ours[t, r, k])!r}, pycocotools {show(want[t, r, k])!r} "
                            f"(pycocotools stores {float((ref_p if label == 'precision' else ref_s)[t, r, k])!r}, "
                            f"class recall {float(ref_recall[t, k])!r}, "
                            f"{int(curves['evaluated'][k])} detections of the class evaluated)")
    counts.curves += n_t * n_k
    counts.precision += n_t * n_r * n_k
    counts.scores += int(np.count_nonzero(~np.isnan(want_s)))
    counts.unreached += int(np.count_nonzero(np.isnan(want_s) & ~no_gt))
    return problems


def report(name, problems):
    if problems:
        print(f"MISMATCH {name} (stored results):", file=sys.stderr)
        for p in problems[:10]:
            print(f"  {p}", file=sys.stderr)
        if len(problems) > 10:
            print(f"  ... and {len(problems) - 10} more", file=sys.stderr)
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
    counts = Counts()
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
            ours, db = evaldb_eval(args.evaldb, work, folder / gt, dt_path, {})
            checked += 1
            name = f"{case} ({gt})"
            ok = compare(name, ours, theirs, {})
            ok = report(name, compare_stored(name, db, json.load(open(dt_path)), theirs, counts)) and ok
            if not ok:
                failures += 1
        rng = random.Random(args.seed)
        for index in range(args.cases):
            case_dir = work / f"case{index}"
            case_dir.mkdir()
            params, n_dets = random_case(rng, case_dir)
            if n_dets == 0:
                continue
            theirs = reference(case_dir / "gt.json", case_dir / "dets.json", params)
            ours, db = evaldb_eval(args.evaldb, work, case_dir / "gt.json", case_dir / "dets.json", params)
            checked += 1
            name = f"random case {index} (seed {args.seed}, params {params})"
            ok = compare(name, ours, theirs, params)
            results = json.load(open(case_dir / "dets.json"))
            ok = report(name, compare_stored(name, db, results, theirs, counts)) and ok
            if not ok:
                failures += 1
    print(f"crosscheck coco vs pycocotools: {checked - failures} passed, {failures} failed")
    print(counts.summary())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

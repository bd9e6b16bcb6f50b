#!/usr/bin/env python3
"""Differential check of `evaldb eval --protocol coco` against pycocotools.

For every COCO fixture in Tests/Fixtures and for N random cases (random image counts, crowd boxes, area
fields that differ from w*h, empty images, classes with detections but no ground truth, score ties,
more than 100 detections per image, annotation id 0, custom IoU thresholds / maxDets / area ranges,
class-agnostic), it imports the case into a fresh evaldb database, evaluates it with evaldb and with
pycocotools, and compares (to 1e-12):
- the summary: each of pycocotools' 12 stats under evaldb's name for it with the parameters used (the AR
  names follow maxDets[0..2]: AR1, AR5, AR50 for --max-dets 1,5,50; APs ... ARl keep their names with
  custom area ranges, where pycocotools gives -1). A stat on one side only fails; pycocotools' -1 equals
  evaldb's null only when evaldb reports the stat as null;
- per class: every `class_ap` row evaldb stored (AP per area range and per IoU threshold, AR per maxDets
  and per area range) against the mean of the entries of pycocotools' `eval['precision']` /
  `eval['recall']` it names (threshold, area range label, maxDets; -1 entries left out, -1 when none
  remain), and every per-class value of `eval --format json` (AP, AP_<area>, AP50, AP75, AR<m>,
  AR<m>_<area>) the same way. The classes must be pycocotools' catIds (-1 alone when class-agnostic), on
  both sides; each class must have AP at every area range and threshold and AR at every maxDets and
  area range.

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

It prints how many values of each kind it compared, and fails when a kind was never compared.

Usage: Scripts/crosscheck.py EVALDB_BINARY [--cases 200] [--seed 1]   (run by Scripts/crosscheck)
"""
import argparse
import contextlib
import io
import json
import math
import pathlib
import random
import re
import sqlite3
import subprocess
import sys
import tempfile

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOLERANCE = 1e-12


def reference(gt_path, dt_path, params):
    """pycocotools' 12 stats (-1 kept: undefined), its precision and recall arrays with the labels of their axes
    (for per-class values at every threshold, area range and maxDets), its per-detection outcomes
    (`detections`, from evalImgs and ious) and PR curves (`curves`, from eval) for `compare_stored`."""
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
        cat_ids = [int(c) for c in ev.params.catIds] if ev.params.useCats else [-1]
        ev.accumulate()
        ev.summarize()
    thresholds = [float(t) for t in ev.params.iouThrs]
    curves = {
        "precision": ev.eval["precision"][:, :, :, 0, -1],  # (T, R, K)
        "scores": ev.eval["scores"][:, :, :, 0, -1],
        "recall": ev.eval["recall"][:, :, 0, -1],  # (T, K)
        "rec_thrs": np.array(ev.params.recThrs, dtype=float),
        "evaluated": np.array(evaluated_per_class),  # (K,) detections evaluated per class
    }
    return {"stats": [float(s) for s in ev.stats], "precision": ev.eval["precision"], "recall": ev.eval["recall"],
            "thresholds": thresholds, "areas": list(ev.params.areaRngLbl),
            "max_dets": [int(m) for m in ev.params.maxDets], "max_det": int(ev.params.maxDets[-1]),
            "cat_keys": cat_ids, "detections": detections, "curves": curves}


def stat_names(max_dets):
    """evaldb's names of pycocotools' 12 stats, in stats order: `_summarizeDets` asks for AR at maxDets[0],
    maxDets[1] and maxDets[2] and names nothing, evaldb names them after those values (AR1, AR10, AR100 by
    default; AR1, AR5, AR50 for --max-dets 1,5,50). The area stats keep the names of pycocotools' labels
    small, medium and large whatever the area ranges (undefined when no range has that label)."""
    return ["AP", "AP50", "AP75", "APs", "APm", "APl", *(f"AR{m}" for m in max_dets[:3]), "ARs", "ARm", "ARl"]


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


def both(ours, theirs):
    """None when evaldb's `ours` (None = null) and pycocotools' `theirs` (-1 = undefined) agree: both undefined,
    or both defined and within TOLERANCE; else what differs."""
    if theirs == -1 or ours is None:
        if theirs == -1 and ours is None:
            return None
        return f"evaldb {ours!r}, pycocotools {theirs!r}" + (" (undefined)" if theirs == -1 else "")
    return None if abs(ours - theirs) <= TOLERANCE else f"evaldb {ours!r}, pycocotools {theirs!r}"


def class_value(theirs, k, metric, iou, area, max_dets):
    """pycocotools' value for one per-class entry: the mean of the precision (AP) or recall (AR) entries of class
    index k at threshold `iou` (None: every threshold), area range label `area` and `max_dets`, leaving out
    -1 entries (-1 when none is left, as `_summarize` does); or a string saying why there is none."""
    thresholds = list(range(len(theirs["thresholds"]))) if iou is None else \
        [t for t, thr in enumerate(theirs["thresholds"]) if thr == iou]
    areas = [a for a, label in enumerate(theirs["areas"]) if label == area]
    limits = [m for m, value in enumerate(theirs["max_dets"]) if value == max_dets]
    if len(thresholds) == 0 or len(areas) != 1 or len(limits) != 1:
        return (f"pycocotools has no single entry for it (thresholds {theirs['thresholds']}, "
                f"area ranges {theirs['areas']}, maxDets {theirs['max_dets']})")
    if metric == "AP":
        values = theirs["precision"][thresholds, :, k, areas[0], limits[0]]
    else:
        values = theirs["recall"][thresholds, k, areas[0], limits[0]]
    values = values[values > -1]
    return -1.0 if values.size == 0 else float(np.mean(values))


def json_key(key, theirs):
    """The (metric, iou, area, max_dets) that a per-class key of `evaldb eval --format json` names (AP, AP_small,
    AP50, AP75, AR100, AR100_small, ...), with the defaults of its naming (AP: mean over the thresholds, last
    maxDets; area all); None for the keys that are counts or names."""
    match = re.fullmatch(r"(AP|AR)(\d*)(?:_(.+))?", key)
    if match is None:
        return None
    metric, number, area = match.group(1), match.group(2), match.group(3) or "all"
    if metric == "AP":
        iou = {"": None, "50": 0.5, "75": 0.75}.get(number, "unknown")
        return metric, iou, area, theirs["max_dets"][-1]
    return metric, None, area, int(number) if number else "unknown"


def compare(name, ours, theirs, db, counts):
    """Compares evaldb's summary (`eval --format json`) and per-class values (the `class_ap` rows stored in db
    and the per-class keys of the JSON) with pycocotools'; returns the problems. Every one of pycocotools' 12
    stats is compared under evaldb's name for it, and every per-class entry evaldb reports is compared with
    the entry of pycocotools' precision / recall arrays it names."""
    problems = []
    before = (counts.stats + counts.stats_undefined, counts.class_values, counts.json_values)
    metrics = ours["metrics"]
    names = stat_names(theirs["max_dets"])
    if len(set(names)) != len(names):
        problems.append(f"stat names {names} repeat: the comparison would be ambiguous")
    for index, stat in enumerate(names):
        if stat not in metrics:
            problems.append(f"{stat}: pycocotools stats[{index}] = {theirs['stats'][index]!r}, "
                            f"evaldb reports no {stat}")
            continue
        difference = both(metrics[stat], theirs["stats"][index])
        if difference:
            problems.append(f"{stat} (stats[{index}]): {difference}")
        elif metrics[stat] is None:
            counts.stats_undefined += 1
        else:
            counts.stats += 1
    for stat in metrics:
        if stat not in names:
            problems.append(f"evaldb reports {stat} = {metrics[stat]!r}, which is none of pycocotools' stats {names}")

    cat_keys = theirs["cat_keys"]
    k_of = {cat: k for k, cat in enumerate(cat_keys)}
    json_classes = [c["id"] for c in ours["classes"]]
    if sorted(json_classes) != sorted(cat_keys):
        problems.append(f"evaldb's JSON classes {sorted(json_classes)}, pycocotools' {sorted(cat_keys)}")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT category_id, metric, iou, area, max_dets, value FROM class_ap "
                           "WHERE run = 'run' AND protocol = 'coco'").fetchall()
    finally:
        con.close()
    stored_classes = sorted({row[0] for row in rows})
    if stored_classes != sorted(cat_keys):
        problems.append(f"class_ap holds classes {stored_classes}, pycocotools evaluates {sorted(cat_keys)}")
    # what every class must have: AP per area range and per threshold, AR per maxDets and per area range
    last = theirs["max_dets"][-1]
    required = ({("AP", None, area, last) for area in theirs["areas"]}
                | {("AP", thr, "all", last) for thr in theirs["thresholds"]}
                | {("AR", None, "all", m) for m in theirs["max_dets"]}
                | {("AR", None, area, last) for area in theirs["areas"]})
    seen = {}
    for cat, metric, iou, area, max_dets, value in rows:
        label = f"class {cat} {metric} iou {iou} area {area} maxDets {max_dets}"
        key = (metric, iou, area, max_dets)
        if key in seen.setdefault(cat, set()):
            problems.append(f"{label}: stored twice")
            continue
        seen[cat].add(key)
        if cat not in k_of:
            problems.append(f"{label} = {value!r}: pycocotools has no such class")
            continue
        want = class_value(theirs, k_of[cat], metric, iou, area, max_dets)
        if isinstance(want, str):
            problems.append(f"{label} = {value!r}: {want}")
            continue
        difference = both(value, want)
        if difference:
            problems.append(f"{label}: {difference}")
            continue
        counts.class_values += 1
        counts.class_undefined += value is None
        counts.class_by_area[area] = counts.class_by_area.get(area, 0) + 1
        counts.class_by_metric[metric] = counts.class_by_metric.get(metric, 0) + 1
    for cat in cat_keys:
        for metric, iou, area, max_dets in sorted(required - seen.get(cat, set()), key=repr)[:3]:
            problems.append(f"class {cat}: no stored {metric} at iou {iou} area {area} maxDets {max_dets}")
    for entry in ours["classes"]:
        cat = entry["id"]
        for key, value in entry.items():
            labels = json_key(key, theirs)
            if labels is None:
                continue
            if cat not in k_of or "unknown" in labels:
                problems.append(f"JSON class {cat} {key} = {value!r}: pycocotools has no such value")
                continue
            want = class_value(theirs, k_of[cat], *labels)
            difference = want if isinstance(want, str) else both(value, want)
            if difference:
                problems.append(f"JSON class {cat} {key}: {difference}")
            else:
                counts.json_values += 1
    after = (counts.stats + counts.stats_undefined, counts.class_values, counts.json_values)
    if not problems and any(b == a for b, a in zip(before, after)):
        problems.append(f"compared nothing of {['the summary stats', 'class_ap', 'the JSON classes']}: "
                        f"{[a - b for b, a in zip(before, after)]} values")
    if problems:
        print(f"MISMATCH {name}:", file=sys.stderr)
        for p in problems[:10]:
            print(f"  {p}", file=sys.stderr)
        if len(problems) > 10:
            print(f"  ... and {len(problems) - 10} more", file=sys.stderr)
    return not problems


class Counts:
    """What compare and compare_stored checked, over all cases."""

    def __init__(self):
        self.stats = 0  # summary stats defined on both sides, within TOLERANCE
        self.stats_undefined = 0  # summary stats undefined on both sides (-1 and null)
        self.class_values = 0  # class_ap rows compared (undefined on both sides included)
        self.class_undefined = 0  # of which undefined on both sides
        self.class_by_area = {}  # area range label -> class_ap rows compared
        self.class_by_metric = {}  # AP / AR -> class_ap rows compared
        self.json_values = 0  # per-class values of the JSON output compared
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

    def is_empty(self):
        """True when a kind of value was never compared."""
        return 0 in (self.stats, self.class_values, self.json_values, self.dets, self.matches, self.precision)

    def summary(self):
        by_area = ", ".join(f"{area} {n}" for area, n in sorted(self.class_by_area.items()))
        by_metric = ", ".join(f"{metric} {n}" for metric, n in sorted(self.class_by_metric.items()))
        return "\n".join([
            f"  summary stats: {self.stats + self.stats_undefined} compared under evaldb's names ({self.stats} "
            f"within {TOLERANCE}, {self.stats_undefined} undefined on both sides: pycocotools -1, evaldb null)",
            f"  class_ap: {self.class_values} per-class values compared with pycocotools' precision/recall arrays "
            f"({by_metric}; per area range: {by_area}; {self.class_undefined} undefined on both sides)",
            f"  eval --format json: {self.json_values} per-class values compared",
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
            ok = compare(name, ours, theirs, db, counts)
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
            ok = compare(name, ours, theirs, db, counts)
            results = json.load(open(case_dir / "dets.json"))
            ok = report(name, compare_stored(name, db, results, theirs, counts)) and ok
            if not ok:
                failures += 1
    print(f"crosscheck coco vs pycocotools: {checked} cases ({len(FIXTURES)} fixtures, {checked - len(FIXTURES)} "
          f"random with seed {args.seed}): {checked - failures} passed, {failures} failed")
    print(counts.summary())
    if counts.is_empty():
        print("crosscheck coco vs pycocotools: FAILED: compared nothing of some kind (see the counts above)")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

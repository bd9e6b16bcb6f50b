#!/usr/bin/env python3
"""Differential check of `evaldb eval --protocol voc07|voc12|visdrone` against the Python oracles.

The oracles are independent re-implementations of the PASCAL VOC devkit and of the official VisDrone-DET
toolkit kept in ../shared/reference/oracles (relative to the repository root). They are imported from there
at check time and never copied into this repository. When that folder is absent the check fails with one
line, unless --allow-missing-oracles is given: then it says that it skipped them and passes. A run that
compares nothing (--cases 0) prints its tally and fails.

It generates N random cases (case i from its own generator seeded with "SEED:i", so one case can be rerun
alone with --case i); every fourth case is a VisDrone set, the others are VOC cases. Each case is written to
a temporary folder, imported into a fresh evaldb database (`dataset import`, `import --no-eval`), evaluated
with `evaldb eval run --protocol ... --format json`, and compared with the oracle fed the same boxes:

- VOC: a PASCAL VOC folder (XML with `difficult` flags, per-class `comp4_det_test_<class>.txt` results;
  integer or quarter-pixel corners, for which evaldb's stored `x = xmin, w = xmax - xmin` gives back
  `xmax = x + w` exactly) or a COCO JSON pair (any coordinates; the oracle gets the corners `x + w`, `y + h`
  computed as evaldb computes them), with difficult boxes, duplicate ground truth, score ties, empty images,
  classes without ground truth (COCO categories without annotations, VOC classes whose boxes are all
  difficult), detections on images without ground truth, and detections built to overlap a ground truth at
  exactly (or as near as small integers allow) the IoU threshold. Each case is evaluated as voc07 and as
  voc12, each with its own threshold (evaldb's default 0.5, or `--iou X`). Compared: the mAP and every
  per-class AP (null where the oracle has none), within 1e-9. `voc_oracle.voc_map(gts, dets, thr, use07)`
  takes corners with the devkit's +1 pixel convention, which is also evaldb's reading of stored boxes.
- VisDrone: a VisDrone-DET folder (`annotations/*.txt`, `images.csv` read by evaldb as `--sizes` and by
  the oracle) and a results folder, with ignored regions (category 0, some at the image edge or beyond it),
  score-0 ignore boxes, category 11 'others', truncation and occlusion fields, images missing some classes,
  empty and missing files, unsorted result files, more than 500 detections on some images, fractional and
  half-pixel coordinates (rounding in the region test), and boxes overlapping at exactly 0.85 (where
  MATLAB's and Octave's thresholds differ). Parameters: the toolkit's defaults; Octave's thresholds
  `0.5 + k*0.05` as an `--iou` list against the oracle's `thr_style="octave"`; `--iou` subsets of the
  default thresholds (AP50 / AP75 compared where present, null required where absent); `--max-dets`
  subsets of 1,10,100,500 ending with 500 (AP, AP50, AP75 and the AR of each budget listed compared, no
  other AR reported; with an `--iou` subset, AP and AR are the toolkit's weighted class means over that
  subset, taken from the oracle's per-class arrays). evaldb's fractions times 100 are compared with the
  oracle's percent within 1e-9. Per class (`class_ap`), classes 1..10: AP at each threshold, AP as the mean
  over the thresholds and AR per maxDets as the mean over them, against the oracle's per-class AP and AR
  arrays; NULL exactly for the classes no image holds.

What evaldb stored is read back with `evaldb sql --format json` over the documented views and compared too:
- `dets`: every detection, with its seq, against the case (VOC: image, class, score and corners; VisDrone:
  the image's result file, row by row as the oracle read it);
- `matches`: every detection's bit t of tp_mask / ignored_mask at each threshold against the oracle's
  decision: VOC, the devkit's tp / fp arrays in its ranking order (tp: TP; fp: FP; neither: a difficult
  box's detection, ignored); VisDrone, the evalRes flag of the last maxDets pass at that threshold (1 TP,
  0 FP, -1 ignored; a row in no pass, dropped in an ignored region, beyond the first N rows of its file or
  of no class 1..10, ignored);
- `pr_curve`: every class's 101 points at each threshold against the curve sampled from the oracle's
  cumulative rec / prec arrays (VOC: `voc_ap`'s; VisDrone: those passed to VOCap, the 500 pass) over the
  detections counted as TP or FP: at recall point r (numpy linspace(0, 1, 101)), the largest precision at
  or after the first detection whose recall reaches r, and its score; precision 0 and no score where the
  recall is never reached; NULL everywhere without ground truth (VisDrone: no box of the class at all).
The oracles print only their means, so the script reads their intermediate values as they compute them:
`voc_ap`'s local arrays as it returns (a trace of that function alone), and the VisDrone oracle's `load`,
`eval_res` and `vocap` through wrappers that record their arguments, results and their caller's loop
variables (the module's functions are put back afterwards; the oracle files are not changed).

It prints how many values of each kind it compared.

Usage: Scripts/crosscheck_oracles.py EVALDB_BINARY [--cases 160] [--seed 1] [--case I [--keep DIR]]
                                     [--allow-missing-oracles]
(run by Scripts/crosscheck, whose --oracle-cases / --oracle-seed are --cases / --seed here and which passes
--allow-missing-oracles on)
"""
import argparse
import bisect
import collections
import contextlib
import json
import math
import os
import pathlib
import random
import shlex
import subprocess
import sys
import tempfile
import time
import warnings
from fractions import Fraction

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORACLES = ROOT.parent / "shared" / "reference" / "oracles"
TOLERANCE = 1e-9  # VOC: fractions; VisDrone: percent
VISDRONE_EVERY = 4  # case i is a VisDrone set when i % 4 == 3

VOC_CLASSES = ["aeroplane", "bicycle", "bird", "boat", "bus", "car", "cat", "dog", "person", "traffic_light"]
EXACT_THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9]
VISDRONE_THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
OCTAVE_THRESHOLDS = [0.5 + k * 0.05 for k in range(9)] + [0.95]
VISDRONE_METRICS = ["AP", "AP50", "AP75", "AR1", "AR10", "AR100", "AR500"]


def load_oracles():
    """The two oracle modules, imported from ORACLES without writing bytecode there; None when absent."""
    if not (ORACLES / "voc_oracle.py").is_file() or not (ORACLES / "visdrone_oracle.py").is_file():
        return None
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(ORACLES))
    import visdrone_oracle
    import voc_oracle
    return voc_oracle, visdrone_oracle


class EvaldbError(Exception):
    pass


COMMANDS = []  # the evaldb command lines of the current case, shown with --case


def evaldb(binary, db, args):
    COMMANDS.append(shlex.join([binary, *args, "--db", str(db)]))
    result = subprocess.run([binary, *args, "--db", str(db)], capture_output=True, text=True)
    if result.returncode != 0:
        raise EvaldbError(f"evaldb {' '.join(args)} failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout


def run_case(binary, folder, dataset_args, run_args, evaluations):
    """Imports the case into a fresh database in `folder` and returns evaldb's JSON for each `eval` argument list."""
    db = folder / "case.sqlite"
    evaldb(binary, db, ["dataset", "import", "case", *dataset_args])
    evaldb(binary, db, ["import", "run", *run_args, "--dataset", "case", "--no-eval"])
    outputs = []
    for args in evaluations:
        output = json.loads(evaldb(binary, db, ["eval", "run", *args, "--format", "json"]))
        outputs.append(output[0] if isinstance(output, list) else output)
    return outputs


# ------------------------------------------------------------------------------- stored results, intermediates


def stored(binary, db, statement, **parameters):
    """The rows of `evaldb sql STATEMENT --format json` (`-p NAME VALUE` for each parameter), as dicts."""
    args = ["sql", statement, "--format", "json"]
    for name, value in parameters.items():
        args += ["-p", name, str(value)]
    output = evaldb(binary, db, args).strip()
    return json.loads(output) if output else []


class StoredResults:
    """What evaldb stored for the case's run, read through the documented views with one `evaldb sql` query per
    view: `dets` (in seq order, each row with its image's file stem), and per evaluation (`eval_summary`) its
    `matches`, `pr_curve` and `class_ap` rows."""

    def __init__(self, binary, db):
        self.detections = stored(binary, db, "SELECT seq, file_name, category_id, category, score, x, y, w, h "
                                             "FROM dets WHERE run = 'run' ORDER BY seq")
        for row in self.detections:
            row["stem"] = row["file_name"].rsplit(".", 1)[0]
        self.evaluations = stored(binary, db, "SELECT DISTINCT evaluation_id, protocol, params FROM eval_summary "
                                              "WHERE run = 'run'")
        self.rows = {}
        for view, columns in (("matches", "seq, tp_mask, ignored_mask"),
                              ("pr_curve", "category_id, iou, recall_index, precision, score"),
                              ("class_ap", "category_id, category, metric, iou, area, max_dets, value")):
            rows = stored(binary, db, f"SELECT evaluation_id, {columns} FROM {view} WHERE evaluation_id IN "
                                      "(SELECT evaluation_id FROM eval_summary WHERE run = 'run')")
            for row in rows:
                self.rows.setdefault((view, row.pop("evaluation_id")), []).append(row)

    def evaluation(self, protocol, thresholds):
        """The id of the run's one evaluation under `protocol`, after checking its IoU thresholds."""
        found = [e for e in self.evaluations if e["protocol"] == protocol]
        if len(found) != 1:
            raise EvaldbError(f"expected one {protocol} evaluation of the run in eval_summary, found {len(found)}")
        iou = json.loads(found[0]["params"])["iou"]
        if iou != thresholds:
            raise EvaldbError(f"the stored {protocol} evaluation has params.iou {iou}, not {thresholds}")
        return found[0]["evaluation_id"]

    def view(self, name, evaluation):
        return self.rows.get((name, evaluation), [])


OUTCOMES = {1: "TP", 0: "FP", -1: "neither (ignored)"}


def compare_outcomes(rows, thresholds, expected, describe, tally):
    """Compares an evaluation's `matches` rows with the reference's decision for every detection of the run:
    `expected[seq][t]` is 1 (TP), 0 (FP) or -1 (neither: ignored, or not evaluated at all) at thresholds[t]. Bit t
    of tp_mask is a TP, of ignored_mask an ignored detection, neither bit a FP; no bit at or past len(thresholds)."""
    problems = []
    seen = set()
    beyond = -1 << len(thresholds)
    for row in rows:
        seq, tp_mask, ignored_mask = row["seq"], row["tp_mask"], row["ignored_mask"]
        if seq in seen or seq not in expected:
            problems.append(f"matches: seq {seq} " + ("twice" if seq in seen else "is no detection of the run"))
            continue
        seen.add(seq)
        if (tp_mask | ignored_mask) & beyond:
            problems.append(f"seq {seq} ({describe(seq)}): tp_mask {tp_mask} / ignored_mask {ignored_mask} set "
                            f"bits past the {len(thresholds)} thresholds")
        for t, threshold in enumerate(thresholds):
            tp, ignored = (tp_mask >> t) & 1, (ignored_mask >> t) & 1
            ours = "TP and ignored" if tp and ignored else 1 if tp else -1 if ignored else 0
            want = expected[seq][t]
            tally[OUTCOMES[want]] += 1
            if ours != want:
                problems.append(f"seq {seq} ({describe(seq)}) at IoU {threshold!r} (bit {t}): evaldb "
                                f"{OUTCOMES.get(ours, ours)} (tp_mask {tp_mask}, ignored_mask {ignored_mask}), "
                                f"oracle {OUTCOMES[want]}")
    for seq in sorted(expected.keys() - seen):
        problems.append(f"seq {seq} ({describe(seq)}): not in matches")
    return problems


RECALL_POINTS = np.linspace(0, 1, 101)  # pycocotools' recThrs, evaldb's recall points


def sampled_curve(recall, precision, scores, positives):
    """The 101-point curve of `pr_curve` from a reference's cumulative recall and precision over the detections it
    counts (TP or FP; those it counts as neither are left out, as pycocotools leaves out ignored detections), in
    its ranking order: at each recall point, the largest precision at any recall at or beyond the first detection
    reaching the point (the envelope from the right) and that detection's score; precision 0 and no score where
    the recall never reaches the point; neither precision nor score anywhere without positives."""
    if positives == 0:
        return [None] * len(RECALL_POINTS), [None] * len(RECALL_POINTS)
    envelope = [float(p) for p in precision]
    for i in range(len(envelope) - 1, 0, -1):
        envelope[i - 1] = max(envelope[i - 1], envelope[i])
    points_precision, points_score = [], []
    for point in RECALL_POINTS:
        i = bisect.bisect_left(recall, point)  # recall never decreases
        points_precision.append(envelope[i] if i < len(recall) else 0.0)
        points_score.append(float(scores[i]) if i < len(recall) else None)
    return points_precision, points_score


def compare_curves(rows, expected, tally):
    """Compares an evaluation's `pr_curve` rows with `expected[(category_id, iou)] = (precisions, scores)`,
    101 each (None: NULL), within 1e-12; every expected curve must be there whole, and no other."""
    problems = []
    ours = {}
    for row in rows:
        key = (row["category_id"], row["iou"])
        if key not in expected:
            problems.append(f"pr_curve: a curve for category {key[0]} at IoU {key[1]!r}, which the reference lacks")
            continue
        points = ours.setdefault(key, {})
        if row["recall_index"] in points or not 0 <= row["recall_index"] < len(RECALL_POINTS):
            problems.append(f"pr_curve category {key[0]} IoU {key[1]!r}: recall_index {row['recall_index']} "
                            "repeated or out of range")
        points[row["recall_index"]] = (row["precision"], row["score"])
    for (category, iou), (want_precision, want_score) in sorted(expected.items()):
        points = ours.get((category, iou), {})
        if len(points) != len(RECALL_POINTS):
            problems.append(f"pr_curve category {category} IoU {iou!r}: {len(points)} points stored, not "
                            f"{len(RECALL_POINTS)}")
            continue
        tally["curves"] += 1
        for r in range(len(RECALL_POINTS)):
            tally["precision"] += want_precision[r] is not None
            tally["score"] += want_score[r] is not None
            tally["unreached"] += want_precision[r] is not None and want_score[r] is None
            tally["no ground truth"] += want_precision[r] is None
            for label, got, want in (("precision", points[r][0], want_precision[r]),
                                     ("score", points[r][1], want_score[r])):
                if difference(got, want) > 1e-12:
                    problems.append(f"pr_curve category {category} IoU {iou!r} recall_index {r} {label}: "
                                    f"evaldb {got!r}, reference {want!r}")
    return problems


def locals_at_return(function, call):
    """Runs `call()` and returns its result with the local variables of every run of the pure-Python `function`
    (called from within it) as that run returned; nothing else is traced, and nothing is changed."""
    code = function.__code__
    captured = []

    def trace_frame(frame, event, arg):
        if event == "return":
            captured.append(dict(frame.f_locals))
        return trace_frame

    def trace_calls(frame, event, arg):
        if frame.f_code is not code:
            return None
        frame.f_trace_lines = False
        return trace_frame

    previous = sys.gettrace()
    sys.settrace(trace_calls)
    try:
        result = call()
    finally:
        sys.settrace(previous)
    return result, captured


class TaggedScore(float):
    """A detection's score that remembers the detection's position in the list given to the oracle's evalRes
    port, which returns only (score, flag) pairs in its own ranking order. Equal to the score in every use."""

    def __new__(cls, value, position):
        score = super().__new__(cls, value)
        score.position = position
        return score


@contextlib.contextmanager
def wrapped(module, **wrappers):
    """Replaces module functions by wrappers (`name=make_wrapper(original)`) for the duration, then restores them."""
    originals = {name: getattr(module, name) for name in wrappers}
    try:
        for name, make_wrapper in wrappers.items():
            setattr(module, name, make_wrapper(originals[name]))
        yield
    finally:
        for name, original in originals.items():
            setattr(module, name, original)


def exact_overlap(rng, ratio, width, height):
    """Two boxes (x, y, pixel width, pixel height) of one size, side by side, whose overlap (inter / union,
    both in whole pixels) is `ratio`, or the nearest fraction with a denominator of at most 40; None when
    they do not fit in the image. Width W and shift s satisfy (W - s) / (W + s) = ratio."""
    f = Fraction(ratio).limit_denominator(40)
    span, shift = f.denominator + f.numerator, f.denominator - f.numerator
    divisor = math.gcd(span, shift)
    span, shift = span // divisor, shift // divisor
    scale = rng.randint(1, 3) * max(1, 12 // span)
    span, shift = span * scale, shift * scale
    if span + shift > width or height < 4:
        return None
    h = rng.randint(3, max(3, height // 3))
    x, y = rng.randint(0, width - span - shift), rng.randint(0, height - h)
    return (x, y, span, h), (x + shift, y, span, h)


# ---------------------------------------------------------------------------------------------------- VOC


def voc_threshold(rng):
    """None (evaldb's default 0.5, no --iou), a threshold exact constructions can hit, or a random one."""
    u = rng.random()
    if u < 0.35:
        return None
    if u < 0.65:
        return rng.choice(EXACT_THRESHOLDS)
    return round(rng.uniform(0.05, 0.95), 3)


def voc_case(rng):
    """A random VOC case: images, boxes (x, y, w, h) with corners (x, y, x + w, y + h) under the +1 pixel
    convention, detections in file order, and the two configurations to evaluate."""
    route = "voc" if rng.random() < 0.7 else "coco"
    style = rng.choice(["int", "int", "quarter"] if route == "voc" else ["int", "decimal", "float"])
    n_classes = rng.randint(1, 6)
    classes = sorted(rng.sample(VOC_CLASSES, n_classes))
    # COCO categories may have no annotation at all; VOC classes exist only through their boxes
    without_gt = set(rng.sample(classes, rng.randint(1, n_classes - 1))) if route == "coco" and n_classes > 1 \
        and rng.random() < 0.7 else set()
    all_difficult = {rng.choice(classes)} if route == "voc" and n_classes > 1 and rng.random() < 0.2 else set()
    gt_classes = [c for c in classes if c not in without_gt]
    exact_classes = [c for c in gt_classes if c not in all_difficult]
    p_difficult = 0.15 if route == "voc" and rng.random() < 0.8 else 0.0
    tie_scores = rng.random() < 0.4
    configs = [("voc07", voc_threshold(rng)), ("voc12", voc_threshold(rng))]
    targets = [thr if thr is not None else 0.5 for _, thr in configs]

    def snap(v):
        if style == "int":
            return float(round(v))
        if style == "quarter":
            return round(v * 4) / 4
        return round(v, 2) if style == "decimal" else v

    def inside(x, y, w, h, width, height):
        """(x, y, w, h) moved into the image (corners up to the width and height) and snapped."""
        x, y = snap(min(max(x, 0.0), width - 1.0)), snap(min(max(y, 0.0), height - 1.0))
        return x, y, snap(min(max(w, 0.0), width - x)), snap(min(max(h, 0.0), height - y))

    def random_box(width, height):
        w, h = rng.uniform(0, width / 2), rng.uniform(0, height / 2)
        return inside(rng.uniform(0, width - w), rng.uniform(0, height - h), w, h, width, height)

    images = []  # (name, width, height)
    gts = []  # (image, class, x, y, w, h, difficult), file order
    dets = []  # (image, class, score, x, y, w, h), file order within each class
    n_images = rng.randint(1, 18)
    names = sorted(rng.sample(range(1, 10000), n_images))
    for serial in names:
        name = f"{rng.choice([2007, 2008, 2012])}_{serial:06d}"
        width, height = rng.choice([(500, 375), (353, 500), (120, 90), (640, 480)])
        images.append((name, width, height))
        boxes = []
        empty = rng.random() < 0.2 or not gt_classes  # no ground truth on this image
        for _ in range(0 if empty else rng.randint(1, 10)):
            cls = rng.choice(gt_classes)
            x, y, w, h = boxes[-1][1:] if boxes and rng.random() < 0.05 else random_box(width, height)  # duplicate
            difficult = 1 if cls in all_difficult or rng.random() < p_difficult else 0
            gts.append((name, cls, x, y, w, h, difficult))
            boxes.append((cls, x, y, w, h))
        for _ in range(rng.randint(0, 60 if rng.random() < 0.1 else 14)):
            u = rng.random()
            if boxes and u < 0.6:
                cls, x, y, w, h = rng.choice(boxes)
                if rng.random() < 0.15:
                    cls = rng.choice(classes)
                x, y = x + rng.gauss(0, w * 0.12 + 1), y + rng.gauss(0, h * 0.12 + 1)
                box = inside(x, y, w * rng.uniform(0.8, 1.2), h * rng.uniform(0.8, 1.2), width, height)
            elif exact_classes and not empty and u < 0.7:
                pair = exact_overlap(rng, rng.choice(targets), width, height)
                if pair is None:
                    continue
                cls = rng.choice(exact_classes)
                (gx, gy, gw, gh), (dx, dy, dw, dh) = pair  # whole pixels: corners x .. x + W - 1
                gts.append((name, cls, float(gx), float(gy), gw - 1.0, gh - 1.0, 0))
                boxes.append((cls, float(gx), float(gy), gw - 1.0, gh - 1.0))
                box = (float(dx), float(dy), dw - 1.0, dh - 1.0)
            else:
                cls, box = rng.choice(classes), random_box(width, height)
            score = round(rng.random(), 1) if tie_scores else rng.random()
            dets.append((name, cls, score, *box))
    if route == "voc":  # a VOC class exists only through its boxes
        missing = [c for c in gt_classes if not any(g[1] == c for g in gts)]
    else:  # a COCO category needs none, but the dataset needs a box
        missing = [] if gts else gt_classes[:1]
    for cls in missing:
        name, width, height = rng.choice(images)
        gts.append((name, cls, *random_box(width, height), 1 if cls in all_difficult else 0))
    if not dets:
        name, width, height = images[-1]
        dets.append((name, classes[0], 0.5, *random_box(width, height)))
    if route == "voc":  # every corner must come back from evaldb's x + (xmax - xmin)
        for x, y, w, h in [g[2:6] for g in gts] + [d[3:7] for d in dets]:
            assert x + ((x + w) - x) == x + w and y + ((y + h) - y) == y + h, (x, y, w, h)
    return {"route": route, "style": style, "classes": classes, "images": images, "gts": gts, "dets": dets,
            "configs": configs}


def number(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def write_voc_case(case, folder):
    """Writes the case as evaldb imports it; returns (dataset args, run args)."""
    gts, dets = case["gts"], case["dets"]
    if case["route"] == "voc":
        (folder / "gt" / "Annotations").mkdir(parents=True)
        (folder / "results").mkdir()
        for name, width, height in case["images"]:
            objects = "".join(
                f"  <object><name>{cls}</name><pose>Unspecified</pose><truncated>0</truncated>"
                f"<difficult>{difficult}</difficult><bndbox><xmin>{number(x)}</xmin><ymin>{number(y)}</ymin>"
                f"<xmax>{number(x + w)}</xmax><ymax>{number(y + h)}</ymax></bndbox></object>\n"
                for image, cls, x, y, w, h, difficult in gts if image == name)
            (folder / "gt" / "Annotations" / f"{name}.xml").write_text(
                f"<annotation>\n  <folder>VOC</folder><filename>{name}.jpg</filename>\n"
                f"  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>\n"
                f"{objects}</annotation>\n")
        for cls in case["classes"]:
            rows = [f"{image} {score!r} {number(x)} {number(y)} {number(x + w)} {number(y + h)}\n"
                    for image, c, score, x, y, w, h in dets if c == cls]
            if rows or cls in case["classes"][::2]:  # some classes get an empty file, others none
                (folder / "results" / f"comp4_det_test_{cls}.txt").write_text("".join(rows))
        return [str(folder / "gt"), "--format", "voc"], [str(folder / "results"), "--format", "voc"]
    image_ids = {name: i + 1 for i, (name, _, _) in enumerate(case["images"])}
    category_ids = {cls: i + 1 for i, cls in enumerate(case["classes"])}
    (folder / "gt.json").write_text(json.dumps({
        "images": [{"id": image_ids[n], "file_name": f"{n}.jpg", "width": w, "height": h}
                   for n, w, h in case["images"]],
        "annotations": [{"id": k + 1, "image_id": image_ids[image], "category_id": category_ids[cls],
                         "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0}
                        for k, (image, cls, x, y, w, h, _) in enumerate(gts)],
        "categories": [{"id": i, "name": cls} for cls, i in category_ids.items()],
    }))
    (folder / "dets.json").write_text(json.dumps(
        [{"image_id": image_ids[image], "category_id": category_ids[cls], "bbox": [x, y, w, h], "score": score}
         for image, cls, score, x, y, w, h in dets]))
    return [str(folder / "gt.json"), "--format", "coco"], [str(folder / "dets.json"), "--format", "coco"]


def voc_labels(case):
    """One label per configuration: the protocol and the --iou option, if any (else evaldb's default 0.5)."""
    return [protocol if thr is None else f"{protocol} --iou {thr!r}" for protocol, thr in case["configs"]]


def voc_reference(voc_oracle, gts, dets, threshold, use07, classes):
    """The oracle's mAP (None when no class has a non-difficult box: its mean over no class) and per-class AP,
    and per class of the case the devkit's arrays as `voc_ap` holds them when it returns: the class's detections
    in its ranking order (`D`, as positions in `dets`), `tp`, `fp`, `rec`, `prec` and `npos`. A class without
    any box, which `voc_map` leaves out, is given to `voc_ap` alone for its detections' decisions."""
    def evaluate():
        try:
            return voc_oracle.voc_map(gts, dets, threshold, use07)
        except ZeroDivisionError:
            return None, {}

    (mean, per_class), runs = locals_at_return(voc_oracle.voc_ap, evaluate)
    for cls in classes:
        if not any(run["cls"] == cls for run in runs):
            runs += locals_at_return(voc_oracle.voc_ap, lambda: voc_oracle.voc_ap(gts, dets, cls, threshold, use07))[1]
    position = {id(d): i for i, d in enumerate(dets)}
    arrays = {}
    for run in runs:
        missing = {"cls", "D", "tp", "fp", "rec", "prec", "npos"} - run.keys()
        if missing:
            raise EvaldbError(f"voc_oracle.voc_ap no longer holds {sorted(missing)}: update this script")
        arrays[run["cls"]] = dict(run, ranked=[position[id(d)] for d in run["D"]])
    return mean, per_class, arrays


def voc_seqs(case, detections):
    """evaldb's seq of each detection of the case (in case["dets"] order), from the `dets` rows with the same
    image, class, score and corners (rows alike taken in file order); or a string saying what does not match."""
    queues = {}
    for row in detections:
        key = (row["stem"], row["category"], row["score"], row["x"], row["y"], row["x"] + row["w"],
               row["y"] + row["h"])
        queues.setdefault(key, []).append(row["seq"])
    seqs = []
    for image, cls, score, x, y, w, h in case["dets"]:
        queue = queues.get((image, cls, score, x, y, x + w, y + h))
        if not queue:
            return f"dets has no row for the detection {(image, cls, score, x, y, x + w, y + h)}"
        seqs.append(queue.pop(0))
    if len(detections) != len(seqs):
        return f"dets has {len(detections)} rows, the case {len(seqs)} detections"
    return seqs


def check_voc(binary, voc_oracle, case, folder, stats):
    """Per configuration of the case, its label and the problems found (none when evaldb agrees)."""
    dataset_args, run_args = write_voc_case(case, folder)
    evaluations = [["--protocol", protocol] + ([] if thr is None else ["--iou", repr(thr)])
                   for protocol, thr in case["configs"]]
    outputs = run_case(binary, folder, dataset_args, run_args, evaluations)
    db = folder / "case.sqlite"
    gts = [(image, cls, x, y, x + w, y + h, difficult) for image, cls, x, y, w, h, difficult in case["gts"]]
    dets = [(image, cls, score, x, y, x + w, y + h) for image, cls, score, x, y, w, h in case["dets"]]
    results_stored = StoredResults(binary, db)
    seqs = voc_seqs(case, results_stored.detections)
    results = []
    for label, (protocol, thr), ours in zip(voc_labels(case), case["configs"], outputs):
        threshold = 0.5 if thr is None else thr
        mean, per_class, arrays = voc_reference(voc_oracle, gts, dets, threshold, protocol == "voc07",
                                                case["classes"])
        problems = []
        if ours["params"]["iou"] != [threshold]:
            problems.append(f"evaldb evaluated at {ours['params']['iou']}")
        if "mAP" not in ours["metrics"]:
            problems.append(f"evaldb reports no mAP (metrics {sorted(ours['metrics'])})")
        diff = difference(ours["metrics"].get("mAP"), mean)
        stats["voc mAP"] = max(stats["voc mAP"], diff)
        stats["voc mAPs"] += 1
        if diff > TOLERANCE:
            problems.append(f"mAP: evaldb {ours['metrics'].get('mAP')!r}, oracle {mean!r}")
        names = sorted(c["name"] for c in ours["classes"])
        if names != case["classes"]:
            problems.append(f"evaldb classes {names}, the case's {case['classes']}")
        for entry in ours["classes"]:
            if "AP" not in entry:
                problems.append(f"class {entry['name']}: evaldb reports no AP")
                continue
            want = per_class.get(entry["name"])  # None: no non-difficult box (or none at all)
            diff = difference(entry["AP"], want)
            stats["voc class AP"] = max(stats["voc class AP"], diff)
            stats["voc class APs"] += 1
            if diff > TOLERANCE:
                problems.append(f"class {entry['name']} AP: evaldb {entry['AP']!r}, oracle {want!r}")
        if isinstance(seqs, str):
            problems.append(seqs)
        else:
            problems += compare_voc_stored(results_stored, protocol, threshold, case, seqs, arrays,
                                           stats["voc stored"])
        results.append((label, problems))
    return results


def compare_voc_stored(results_stored, protocol, threshold, case, seqs, arrays, tally):
    """The stored outcome of every detection against the devkit's tp / fp arrays (tp: TP, fp: FP, neither:
    a difficult box's), and the stored PR curve of every class against the one sampled from its rec / prec
    arrays (the class's ids come from `dets` and `class_ap`)."""
    evaluation = results_stored.evaluation(protocol, [threshold])
    expected = {}
    for cls, run in arrays.items():
        for k, i in enumerate(run["ranked"]):
            expected[seqs[i]] = [1 if run["tp"][k] else 0 if run["fp"][k] else -1]
    for i, seq in enumerate(seqs):
        if seq not in expected:
            return [f"the oracle made no decision for detection {case['dets'][i]}"]

    def describe(seq):
        image, cls, score, x, y, w, h = case["dets"][seqs.index(seq)]
        return f"{cls} on {image}, score {score!r}, corners {[x, y, x + w, y + h]}"

    problems = compare_outcomes(results_stored.view("matches", evaluation), [threshold], expected, describe, tally)
    ids = {row["category"]: row["category_id"] for row in results_stored.view("class_ap", evaluation)}
    curves = {}
    for cls, run in arrays.items():
        if cls not in ids:
            problems.append(f"class_ap has no class {cls}")
            continue
        counted = [k for k in range(len(run["ranked"])) if run["tp"][k] or run["fp"][k]]
        curves[(ids[cls], threshold)] = sampled_curve(
            [run["rec"][k] for k in counted], [run["prec"][k] for k in counted],
            [case["dets"][run["ranked"][k]][2] for k in counted], run["npos"])
    return problems + compare_curves(results_stored.view("pr_curve", evaluation), curves, tally)


# ----------------------------------------------------------------------------------------------- VisDrone


def visdrone_case(rng):
    """A random VisDrone-DET set: images (name, width, height), annotation rows and result rows per image
    (8 values each, in file order; None for a missing result file), and the evaluation parameters."""
    integer_gt = rng.random() < 0.85
    det_style = rng.choice(["int", "decimal", "half"])
    tie_scores = rng.random() < 0.4
    iou, max_dets, thr_style = None, None, "matlab"
    u = rng.random()
    if u < 0.4:
        pass
    elif u < 0.6:
        iou, thr_style = OCTAVE_THRESHOLDS, "octave"
    elif u < 0.8:
        named = rng.sample([0.5, 0.75], rng.randint(1, 2))  # AP50 / AP75 are then the oracle's
        iou = sorted(set(rng.sample(VISDRONE_THRESHOLDS, rng.randint(0, 3)) + named))
    else:
        max_dets = sorted(rng.sample([1, 10, 100], rng.randint(0, 2))) + [500]
        if rng.random() < 0.5:
            iou, thr_style = OCTAVE_THRESHOLDS, "octave"
    targets = [0.85, 0.85, 0.5, 0.75, 0.95, 0.6]

    def gt_value(v):
        return float(round(v)) if integer_gt else round(v * 2) / 2

    def det_value(v):
        if det_style == "int":
            return float(round(v))
        return round(v, 2) if det_style == "decimal" else round(v * 2) / 2

    images, annotations, results = [], {}, {}
    stems = rng.sample(["img_9", "img_10", "Img_2", "a", "b0", "0000137_00001_d_0000001",
                        "0000137_00002_d_0000002", "9999_z", "_x", "B", "img_100", "zz"], rng.randint(1, 10))
    many = rng.randrange(len(stems)) if rng.random() < 0.4 else None  # the image with over 500 detections
    for index, stem in enumerate(stems):
        width, height = rng.choice([(320, 240), (640, 360), (250, 170), (480, 480), (960, 540)])
        images.append((stem, width, height))
        present = rng.sample(range(1, 11), rng.randint(1, 6))  # the classes this image may hold
        rows, boxes, regions = [], [], []
        empty = rng.random() < 0.1  # an empty annotation file
        for _ in range(rng.randint(0, 3) if rng.random() < 0.5 and not empty else 0):  # ignored regions
            w, h = rng.randint(10, width // 2), rng.randint(10, height // 2)
            x = 0 if rng.random() < 0.15 else rng.randint(0, width - 5)  # beyond the right edge is clamped
            y = 0 if rng.random() < 0.15 else rng.randint(0, height - 5)
            rows.append([x, y, w, h, 0, 0, 0, 0])
            regions.append((x, y, w, h))
        for _ in range(0 if empty else rng.randint(1, 30)):
            category = 11 if rng.random() < 0.06 else rng.choice(present)
            if regions and rng.random() < 0.1:  # inside a region: dropped
                rx, ry, rw, rh = rng.choice(regions)
                w, h = rng.uniform(3, rw / 2), rng.uniform(3, rh / 2)
                x, y = rx + rng.uniform(0, rw / 2), ry + rng.uniform(0, rh / 2)
            elif boxes and rng.random() < 0.04:  # a duplicate: an exact IoU tie
                x, y, w, h = rng.choice(boxes)[1:]
            else:
                w, h = rng.uniform(4, width / 4), rng.uniform(4, height / 4)
                x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            box = [gt_value(x), gt_value(y), max(1.0, gt_value(w)), max(1.0, gt_value(h))]
            score = 0 if rng.random() < 0.12 else 1  # 0: an ignore box
            rows.append(box + [score, category, rng.choice([0, 0, 0, 1, 2]), rng.choice([0, 0, 1, 2])])
            boxes.append((category, *box))
        dets = []
        n_dets = rng.randint(501, 620) if index == many else rng.randint(0, 45)
        for _ in range(n_dets):
            category = 11 if rng.random() < 0.05 else rng.randint(1, 10)
            u = rng.random()
            if boxes and u < 0.55:
                cat, x, y, w, h = rng.choice(boxes)
                category = cat if rng.random() < 0.85 else category
                x, y = x + rng.gauss(0, w * 0.1 + 0.5), y + rng.gauss(0, h * 0.1 + 0.5)
                w, h = w * rng.uniform(0.85, 1.15), h * rng.uniform(0.85, 1.15)
            elif not empty and u < 0.65:
                pair = exact_overlap(rng, rng.choice(targets), width, height)
                if pair is None:
                    continue
                (gx, gy, gw, gh), (x, y, w, h) = pair
                category = rng.choice(present)
                rows.append([gx, gy, gw, gh, 1, category, 0, 0])
                boxes.append((category, gx, gy, gw, gh))
            elif regions and u < 0.72:
                rx, ry, rw, rh = rng.choice(regions)
                w, h = rng.uniform(2, rw * 0.8), rng.uniform(2, rh * 0.8)
                x, y = rx + rng.uniform(-w / 2, rw - w / 2), ry + rng.uniform(-h / 2, rh - h / 2)
            else:
                w, h = rng.uniform(2, width / 4), rng.uniform(2, height / 4)
                x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            if rng.random() < 0.97:  # the rest may leave the image a little
                x, y = min(max(x, 0), width - 2), min(max(y, 0), height - 2)
                w, h = min(w, width - x), min(h, height - y)
            box = [det_value(x), det_value(y), max(1.0, det_value(w)), max(1.0, det_value(h))]
            score = round(rng.random(), 1 if tie_scores else 4)
            if rng.random() < 0.02:
                score = 0.0
            dets.append(box + [score, category, -1, -1])
        if rng.random() < 0.3:
            dets.sort(key=lambda r: -r[4])
        annotations[stem] = rows
        results[stem] = None if rng.random() < 0.08 or not dets and rng.random() < 0.5 else dets  # None: no file
    if not any(results.values()):  # a run needs a detection
        results[images[0][0]] = [[10.0, 10.0, 20.0, 20.0, 0.5, 1, -1, -1]]
    return {"images": images, "annotations": annotations, "results": results, "iou": iou,
            "max_dets": max_dets, "thr_style": thr_style}


def write_visdrone_case(case, folder):
    (folder / "annotations").mkdir(parents=True)
    (folder / "results").mkdir()
    with open(folder / "images.csv", "w") as sizes:
        sizes.write("image,width,height\n")
        for stem, width, height in case["images"]:
            sizes.write(f"{stem},{width},{height}\n")
    for stem, rows in case["annotations"].items():
        (folder / "annotations" / f"{stem}.txt").write_text("".join(",".join(map(number, r)) + "\n" for r in rows))
    for stem, rows in case["results"].items():
        if rows is not None:
            (folder / "results" / f"{stem}.txt").write_text("".join(",".join(map(number, r)) + "\n" for r in rows))


def visdrone_labels(case):
    """The set's one configuration, as a label (also the variant counted in the summary)."""
    if case["iou"] is None:
        label = "defaults"
    else:
        label = "Octave thresholds" if case["thr_style"] == "octave" else "--iou subset"
    return [label + (" + --max-dets subset" if case["max_dets"] else "")]


def visdrone_reference(visdrone_oracle, folder, thr_style, budget):
    """Runs the oracle's `evaluate` on the set and records what it computes on the way, through wrappers of its
    helpers (the module's functions are restored afterwards; its code is not changed):
    - `rows[(stem, i)]`: row i of each result file as `load` read it;
    - `flags[(stem, i)][thr]`: that row's flag in evalRes' pass with `N == budget` at threshold `thr` (1 TP, 0 FP,
      -1 matched an ignore box); a row in no such pass (dropped in an ignored region, beyond the first N rows,
      not of classes 1..10) has none;
    - `curves[(c, thr)]`: at each call of VOCap (the N = 500 pass of class c at `thr`), the pooled flags and
      scores in the order of `rec` and `prec`, those two arrays and the recall denominator `ngt`;
    - `AP`, `AR` (percent, classes x thresholds [x budgets 1, 10, 100, 500]), `evalClass` and `thrs` as the
      function holds them.
    Returns those and the seven metrics in percent."""
    results = str(folder / "results")
    rows, position, flags, curves, arrays = {}, {}, {}, {}, {}

    def load(original):
        def recording(path):
            loaded = original(path)
            if os.path.dirname(path) == results:
                stem = os.path.basename(path)[:-len(".txt")]
                for i, row in enumerate(loaded):
                    rows[(stem, i)] = row
                    position[id(row)] = (stem, i)
            return loaded
        return recording

    def eval_res(original):
        def recording(gt0, dt0, thr):
            caller = sys._getframe(1).f_locals
            if caller["N"] != budget:
                return original(gt0, dt0, thr)
            # the rows dt0 was built from: the image's first N surviving rows of class c, in file order
            sources = [r for r in caller["det"][:budget] if r[5] == caller["c"]]
            if [r[:5] for r in sources] != dt0:
                raise EvaldbError("visdrone_oracle.evaluate no longer passes evalRes the first N rows of class c: "
                                  "update this script")
            gflag, matched = original(gt0, [d[:4] + [TaggedScore(d[4], j)] for j, d in enumerate(dt0)], thr)
            for score, flag in matched:
                key = position[id(sources[score.position])]
                if thr in flags.setdefault(key, {}):
                    raise EvaldbError(f"result row {key} evaluated twice at {thr!r}")
                flags[key][thr] = flag
            return gflag, [(float(score), flag) for score, flag in matched]
        return recording

    def vocap(original):
        def recording(rec, prec):
            caller = sys._getframe(1).f_locals
            pooled = [caller["pooled"][i] for i in caller["order"]]
            curves[(caller["c"], caller["thr"])] = {
                "scores": [float(s) for s, _ in pooled], "flags": [f for _, f in pooled], "recall": list(rec),
                "precision": list(prec), "positives": caller["ngt"], "N": caller["N"]}
            arrays.update((name, caller[name]) for name in ("AP", "AR", "evalClass", "thrs"))
            return original(rec, prec)
        return recording

    with wrapped(visdrone_oracle, load=load, eval_res=eval_res, vocap=vocap), warnings.catch_warnings(), \
            np.errstate(all="ignore"):  # a mean over no class is NaN, as in evaldb
        warnings.simplefilter("ignore", RuntimeWarning)
        percent = visdrone_oracle.evaluate(str(folder), "results", thr_style)
    return {"percent": {name: float(value) for name, value in percent.items()}, "rows": rows, "flags": flags,
            "curves": curves, **arrays}


ORACLE_BUDGETS = [1, 10, 100, 500]  # the maxDets the toolkit loops over; AP comes from the 500 pass


def check_visdrone(binary, visdrone_oracle, case, folder, stats):
    """The set's label and the problems found (none when evaldb agrees)."""
    write_visdrone_case(case, folder)
    args = ["--protocol", "visdrone"]
    if case["iou"] is not None:
        args += ["--iou", ",".join(map(repr, case["iou"]))]
    if case["max_dets"] is not None:
        args += ["--max-dets", ",".join(map(str, case["max_dets"]))]
    ours, = run_case(binary, folder, [str(folder), "--format", "visdrone", "--sizes", str(folder / "images.csv")],
                     [str(folder / "results"), "--format", "visdrone"], [args])
    thresholds = case["iou"] or VISDRONE_THRESHOLDS
    budgets = case["max_dets"] or ORACLE_BUDGETS
    label = visdrone_labels(case)[0]
    if budgets[-1] != 500 or not set(budgets) <= set(ORACLE_BUDGETS):
        return [(label, [f"--max-dets {budgets}: the oracle has passes for {ORACLE_BUDGETS} and AP from 500"])]
    theirs = visdrone_reference(visdrone_oracle, folder, case["thr_style"], budgets[-1])
    oracle_thresholds = [float(t) for t in theirs["thrs"]]
    if not set(thresholds) <= set(oracle_thresholds):
        return [(label, [f"--iou {thresholds}: not among the oracle's thresholds {oracle_thresholds}"])]
    columns = [oracle_thresholds.index(t) for t in thresholds]
    problems = []
    if ours["params"]["iou"] != thresholds or ours["params"]["max_dets"] != budgets:
        problems.append(f"evaldb evaluated with {ours['params']}, not iou {thresholds} max_dets {budgets}")
    problems += compare_visdrone_summary(ours["metrics"], theirs, thresholds, columns, budgets, stats)
    results_stored = StoredResults(binary, folder / "case.sqlite")
    evaluation = results_stored.evaluation("visdrone", thresholds)
    problems += compare_visdrone_classes(results_stored.view("class_ap", evaluation), theirs, thresholds, columns,
                                         budgets, stats["visdrone classes"])
    problems += compare_visdrone_stored(results_stored, evaluation, theirs, thresholds, stats["visdrone stored"])
    return [(label, problems)]


def compare_visdrone_summary(metrics, theirs, thresholds, columns, budgets, stats):
    """Every summary metric evaldb reports (AP, AP50, AP75, AR<n> for each maxDets) against the oracle's printed
    value when evaldb evaluated every threshold the oracle loops over, else against the same weighted class mean
    over evaldb's thresholds taken from the oracle's AP / AR arrays; NaN (no class) is null."""
    problems = []
    names = ["AP", "AP50", "AP75"] + [f"AR{n}" for n in budgets]
    if sorted(metrics) != sorted(names):
        problems.append(f"evaldb reports {sorted(metrics)}, the toolkit's metrics for these parameters are {names}")
    every = len(columns) == len(theirs["thrs"])
    weighted = [c - 1 for c in theirs["evalClass"]]  # a class once per image holding it
    ap, ar = theirs["AP"][weighted], theirs["AR"][weighted]

    def mean(values):
        return float(values.mean()) if values.size else math.nan

    want = {"AP": theirs["percent"]["AP"] if every else mean(ap[:, columns])}
    for name, thr in (("AP50", 0.5), ("AP75", 0.75)):
        want[name] = theirs["percent"][name] if every else \
            mean(ap[:, [columns[thresholds.index(thr)]]]) if thr in thresholds else None
    for n in budgets:
        y = ORACLE_BUDGETS.index(n)
        want[f"AR{n}"] = theirs["percent"][f"AR{n}"] if every else mean(ar[:, columns, y])
    for name in names:
        if name not in metrics:
            continue
        value = metrics[name]
        reference = None if want[name] is None or math.isnan(want[name]) else want[name]
        diff = difference(None if value is None else value * 100, reference)
        stats["visdrone"][name] = max(stats["visdrone"].get(name, 0.0), diff)
        stats["visdrone values"] += 1
        if diff > TOLERANCE:
            problems.append(f"{name}: evaldb {value!r} (x100 = {None if value is None else value * 100!r}), "
                            f"oracle {reference!r} percent" + ("" if every else " (from its AP/AR arrays)"))
    return problems


def compare_visdrone_classes(rows, theirs, thresholds, columns, budgets, tally):
    """Every `class_ap` row against the oracle's per-class arrays (percent): AP at each threshold, AP as the mean
    over evaldb's thresholds, AR per maxDets as the mean over them; undefined (NULL) exactly for the classes no
    image holds (not in the toolkit's evalClass). Classes 1..10 must all be there with every value, and no other."""
    problems = []
    expected = {}
    for c in range(1, 11):
        defined = c in theirs["evalClass"]
        ap, ar = theirs["AP"][c - 1], theirs["AR"][c - 1]
        expected[(c, "AP", None, "all", None)] = float(ap[columns].mean()) if defined else None
        for thr, x in zip(thresholds, columns):
            expected[(c, "AP", thr, "all", None)] = float(ap[x]) if defined else None
        for n in budgets:
            y = ORACLE_BUDGETS.index(n)
            expected[(c, "AR", None, "all", n)] = float(ar[columns, y].mean()) if defined else None
    seen = set()
    for row in rows:
        key = (row["category_id"], row["metric"], row["iou"], row["area"], row["max_dets"])
        name = (f"class {key[0]} {key[1]}" + (f" at IoU {key[2]!r}" if key[2] is not None else "")
                + (f" maxDets {key[4]}" if key[4] is not None else "") + (f" area {key[3]}" if key[3] != "all" else ""))
        if key in seen or key not in expected:
            problems.append(f"class_ap: {name} = {row['value']!r} " + ("twice" if key in seen else
                                                                      "has no counterpart in the oracle"))
            continue
        seen.add(key)
        value, want = row["value"], expected[key]
        tally["AR per maxDets" if key[1] == "AR" else "AP per threshold" if key[2] is not None else "AP"] += 1
        tally["undefined"] += want is None
        if difference(None if value is None else value * 100, want) > TOLERANCE:
            problems.append(f"class_ap: {name}: evaldb {value!r}, oracle {want!r} percent"
                            + ("" if want is not None or value is None else " (no image holds the class)"))
    for key in sorted(expected.keys() - seen, key=repr)[:5]:
        problems.append(f"class_ap: no row for class {key[0]} {key[1]} iou {key[2]} maxDets {key[4]}")
    return problems


def compare_visdrone_stored(results_stored, evaluation, theirs, thresholds, tally):
    """The stored outcome of every detection at every threshold against its flag in the oracle's last-budget pass
    (1 TP, 0 FP, -1 or no pass: ignored), rows matched by image and position in the result file (and checked to
    hold the same values), and every class's stored PR curve at every threshold against the one sampled from the
    oracle's pooled recall and precision."""
    problems = []
    detections = results_stored.detections
    key_of, expected, index = {}, {}, {}
    for row in detections:  # seq order: rows of an image in file order
        i = index[row["stem"]] = index.get(row["stem"], -1) + 1
        source = theirs["rows"].get((row["stem"], i))
        values = [row["x"], row["y"], row["w"], row["h"], row["score"], row["category_id"]]
        if source is None or source[:6] != values:
            problems.append(f"dets seq {row['seq']} {values} on {row['stem']} is not row {i} of its result file "
                            f"as the oracle read it ({source})")
            continue
        key_of[row["seq"]] = (row["stem"], i)
        flags = theirs["flags"].get((row["stem"], i), {})
        expected[row["seq"]] = [flags.get(thr, -1) for thr in thresholds]
    if len(detections) != len(theirs["rows"]):
        problems.append(f"dets has {len(detections)} rows, the result files {len(theirs['rows'])}")
    if problems:
        return problems

    def describe(seq):
        stem, i = key_of[seq]
        return f"{stem}.txt row {i + 1}: {theirs['rows'][(stem, i)][:6]}"

    problems += compare_outcomes(results_stored.view("matches", evaluation), thresholds, expected, describe, tally)
    curves = {}
    for c in range(1, 11):
        for thr in thresholds:
            curve = theirs["curves"][(c, thr)]
            counted = [k for k, flag in enumerate(curve["flags"]) if flag in (0, 1)]
            curves[(c, thr)] = sampled_curve([curve["recall"][k] for k in counted],
                                             [curve["precision"][k] for k in counted],
                                             [curve["scores"][k] for k in counted], curve["positives"])
    return problems + compare_curves(results_stored.view("pr_curve", evaluation), curves, tally)


# ------------------------------------------------------------------------------------------------- main


def difference(ours, theirs):
    """|ours - theirs|; 0 when both are undefined (None), infinite when only one is."""
    if ours is None or theirs is None:
        return 0.0 if ours is None and theirs is None else math.inf
    return abs(ours - theirs)


def describe_voc(case):
    n_difficult = sum(g[6] for g in case["gts"])
    files = "VOC XML + comp4 results" if case["route"] == "voc" else "COCO JSON"
    return (f"{files}, {case['style']} coordinates, {len(case['images'])} images, {len(case['classes'])} classes, "
            f"{len(case['gts'])} boxes ({n_difficult} difficult), {len(case['dets'])} detections")


def describe_visdrone(case):
    n_boxes = sum(len(r) for r in case["annotations"].values())
    n_regions = sum(r[5] == 0 for rows in case["annotations"].values() for r in rows)
    n_dets = [len(r or []) for r in case["results"].values()]
    params = [f"--{k.replace('_', '-')} {','.join(map(repr, v))}"
              for k, v in (("iou", case["iou"]), ("max_dets", case["max_dets"])) if v is not None]
    return (f"{len(case['images'])} images, {n_boxes} annotation rows ({n_regions} ignored regions), "
            f"{sum(n_dets)} detections (at most {max(n_dets)} on one image); "
            f"{' '.join(params) or 'default parameters'} (oracle thresholds: {case['thr_style']})")


KINDS = {  # kind: (generator, labels, check, description, the oracle module's index)
    "voc": (voc_case, voc_labels, check_voc, describe_voc, 0),
    "visdrone": (visdrone_case, visdrone_labels, check_visdrone, describe_visdrone, 1),
}


def main():
    parser = argparse.ArgumentParser(description="evaldb voc07/voc12/visdrone against the reference oracles")
    parser.add_argument("evaldb")
    parser.add_argument("--cases", type=int, default=160, help="random cases; every fourth is a VisDrone set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case", type=int, help="run only this case (to reproduce a failure)")
    parser.add_argument("--keep", type=pathlib.Path, help="with --case: write the case's files to this new folder")
    parser.add_argument("--allow-missing-oracles", action="store_true",
                        help="pass, saying so, when the oracle folder is absent (else that is a failure)")
    args = parser.parse_args()
    if args.keep is not None and (args.case is None or args.keep.exists()):
        parser.error("--keep needs --case and a folder that does not exist yet")
    oracles = load_oracles()
    if oracles is None:
        if args.allow_missing_oracles:
            print(f"crosscheck voc07/voc12/visdrone: skipped (--allow-missing-oracles): no voc_oracle.py and "
                  f"visdrone_oracle.py in {ORACLES}")
            return 0
        print(f"Error: crosscheck voc07/voc12/visdrone: the oracles voc_oracle.py and visdrone_oracle.py are not in "
              f"{ORACLES}; provide ../shared/reference/oracles beside the repository, or pass "
              f"--allow-missing-oracles to skip these checks", file=sys.stderr)
        return 1
    binary = str(pathlib.Path(args.evaldb).absolute())
    stats = {"voc mAP": 0.0, "voc mAPs": 0, "voc class AP": 0.0, "voc class APs": 0,
             "voc stored": collections.Counter(), "visdrone": {}, "visdrone values": 0,
             "visdrone classes": collections.Counter(), "visdrone stored": collections.Counter()}
    cases = {"voc": 0, "visdrone": 0}
    routes = {"voc": 0, "coco": 0}  # the files VOC cases are imported from
    variants = {"voc": {}, "visdrone": {}}  # label -> [passed, failed]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        for index in [args.case] if args.case is not None else range(args.cases):
            kind = "visdrone" if index % VISDRONE_EVERY == VISDRONE_EVERY - 1 else "voc"
            generate, labels, check, describe, oracle = KINDS[kind]
            case = generate(random.Random(f"{args.seed}:{index}"))
            folder = args.keep or pathlib.Path(scratch) / str(index)
            folder.mkdir(parents=True)
            COMMANDS.clear()
            try:
                results = check(binary, oracles[oracle], case, folder, stats)
            except EvaldbError as error:
                results = [(label, [str(error)]) for label in labels(case)]
            cases[kind] += 1
            if kind == "voc":
                routes[case["route"]] += 1
            for label, problems in results:
                variant = label.split(" --iou")[0] + " --iou X" if " --iou" in label else label
                variants[kind].setdefault(variant, [0, 0])[1 if problems else 0] += 1
            mismatch = any(problems for _, problems in results)
            if mismatch or args.case is not None:
                print(f"{'MISMATCH' if mismatch else 'ok:'} {kind} case {index} (seed {args.seed}): "
                      f"{describe(case)}", file=sys.stderr)
                for label, problems in results:
                    print(f"  {label}: {'; '.join(problems[:10]) or 'ok'}"
                          + (f"; ... and {len(problems) - 10} more" if len(problems) > 10 else ""), file=sys.stderr)
                if args.case is not None:
                    print("  evaldb commands:\n" + "".join(f"    {c}\n" for c in COMMANDS), end="", file=sys.stderr)
                elif mismatch:
                    print(f"  reproduce: {sys.executable} {sys.argv[0]} {args.evaldb} --seed {args.seed} "
                          f"--case {index} --keep /tmp/evaldb-oracle-case{index}", file=sys.stderr)

    def tally(kind):
        passed = sum(p for p, _ in variants[kind].values())
        failed = sum(f for _, f in variants[kind].values())
        detail = ", ".join(f"{p + f} {label}" for label, (p, f) in sorted(variants[kind].items()))
        return passed, failed, detail

    def stored_lines(counter):
        return [f"  matches: {sum(counter[o] for o in OUTCOMES.values())} detection x threshold outcomes compared ("
                + ", ".join(f"{counter[o]} {o}" for o in OUTCOMES.values()) + " by the oracle)",
                f"  pr_curve: {counter['curves']} curves compared point by point: {counter['precision']} precisions "
                f"and {counter['score']} scores within 1e-12, {counter['unreached']} unreached points without "
                f"score, {counter['no ground truth']} points of classes without ground truth"]

    failures = 0
    passed, failed, detail = tally("voc")
    failures += failed
    print(f"crosscheck voc07/voc12 vs voc_oracle.py: {cases['voc']} cases ({routes['voc']} VOC XML, "
          f"{routes['coco']} COCO JSON), {passed + failed} configurations ({detail or 'none'}): "
          f"{passed} passed, {failed} failed")
    print(f"  max |evaldb - oracle|: mAP {stats['voc mAP']:.3g} ({stats['voc mAPs']} compared), class AP "
          f"{stats['voc class AP']:.3g} ({stats['voc class APs']} class APs compared)")
    print("\n".join(stored_lines(stats["voc stored"])))
    passed, failed, detail = tally("visdrone")
    failures += failed
    print(f"crosscheck visdrone vs visdrone_oracle.py: {cases['visdrone']} sets ({detail or 'none'}): "
          f"{passed} passed, {failed} failed")
    print(f"  max |evaldb x 100 - oracle| in percent ({stats['visdrone values']} summary values compared): "
          + (", ".join(f"{k} {stats['visdrone'][k]:.3g}" for k in VISDRONE_METRICS if k in stats["visdrone"])
             or "none"))
    classes = stats["visdrone classes"]
    print(f"  class_ap: {sum(n for k, n in classes.items() if k != 'undefined')} per-class values within "
          f"{TOLERANCE} percent ("
          + (", ".join(f"{n} {k}" for k, n in sorted(classes.items()) if k != "undefined") or "none")
          + f"; {classes['undefined']} null for classes no image holds)")
    print("\n".join(stored_lines(stats["visdrone stored"])))
    print(f"  seed {args.seed}, {time.monotonic() - started:.1f} s")
    compared = (stats["voc mAPs"] + stats["voc class APs"] + stats["visdrone values"] + sum(classes.values())
                + sum(stats["voc stored"].values()) + sum(stats["visdrone stored"].values()))
    if compared == 0:
        print("crosscheck voc07/voc12/visdrone: FAILED: compared nothing")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

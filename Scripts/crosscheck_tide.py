#!/usr/bin/env python3
"""Differential check of `evaldb errors` (the TIDE breakdown) against tidecv 1.0.1 and pycocotools.

On N random COCO-style cases where tidecv's definitions and the COCO protocol's agree (no crowd boxes, at most
100 detections per image, distinct scores), it runs tidecv (`TIDE().evaluate(..., mode=TIDE.BOX)`, foreground
IoU 0.5, background 0.1) and evaldb, and asserts:
  (a) evaldb's count of each error type equals tidecv's (`run.error_dict`);
  (b) evaldb's AP50 equals pycocotools' AP50, and each dAP (cls, loc, both, dupe, bkg, missed, FalsePos,
      FalseNeg) equals pycocotools' AP50 recomputed here on the inputs with tidecv's own fixes applied, minus the
      base AP50, to 1e-12. The fixes come from tidecv's error objects: a ClassError or BoxError whose fixed
      data point is not None (BestGTMatch chose it, its GT was unused) takes its GT's box (and, for ClassError,
      its class); every other error of the type is removed; MissedError removes its GT; FalsePos removes every
      detection tidecv calls an error; FalseNeg removes every GT in `run.false_negatives`.
tidecv's own dAP values are not compared: they are relative to tidecv's AP, not the protocol's.

evaldb is driven through its CLI (`dataset import`, `import --no-eval`, `errors RUN --format json`). With
--via-tests DIR, it instead writes the cases to DIR and reads what the EvalKit test `ErrorAnalysisCrosscheck`
wrote for them (`EVALDB_TIDE_CASES=DIR swift test --filter ErrorAnalysisCrosscheck`): the same engine, before
the CLI command exists.

--fixture GT DT OUT writes tidecv's per-detection errors on one case (Tests/Fixtures/tide/*.tidecv-errors.json).

Usage: Scripts/crosscheck_tide.py EVALDB_BINARY [--cases 50] [--seed 1] [--via-tests DIR]   (run by Scripts/crosscheck-tide)
       Scripts/crosscheck_tide.py --fixture GT DT OUT
"""
import argparse
import contextlib
import io
import json
import pathlib
import random
import subprocess
import sys
import tempfile

import numpy as np

# tidecv 1.0.1 predates numpy 2.
np.float = float
np.int = int

from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402
from tidecv import TIDE, datasets  # noqa: E402

TOLERANCE = 1e-12
TYPES = {"cls": "Cls", "loc": "Loc", "both": "Both", "dupe": "Dupe", "bkg": "Bkg", "missed": "Miss"}


def with_polygons(gt):
    """tidecv reads masks even in box mode: every GT box gets a polygon equal to the box."""
    gt = json.loads(json.dumps(gt))
    for ann in gt["annotations"]:
        x, y, w, h = ann["bbox"]
        ann["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    return gt


def run_tidecv(gt, dets, work):
    gt_path, dt_path = work / "tide_gt.json", work / "tide_dt.json"
    gt_path.write_text(json.dumps(with_polygons(gt)))
    dt_path.write_text(json.dumps(dets))
    tide = TIDE()
    predictions = datasets.COCOResult(str(dt_path))
    with contextlib.redirect_stdout(io.StringIO()):
        tide.evaluate(datasets.COCO(str(gt_path)), predictions, mode=TIDE.BOX)
    return tide.runs[predictions.name]


def pycocotools_ap50(gt, dets):
    """pycocotools' AP50 (stats[1]); -1 when undefined. With no detections every class with GT scores 0."""
    if not dets:
        return 0.0 if gt["annotations"] else -1.0
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = json.loads(json.dumps(gt))
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(json.loads(json.dumps(dets))), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[1])


def fixed_inputs(gt, dets, run, kind):
    """The inputs with tidecv's fixes of `kind` (a TYPES key, FalsePos or FalseNeg) applied."""
    removed_dets, removed_gt, changed = set(), set(), {}
    errors = {type(e).short_name: [] for e in run.errors}
    for error in run.errors:
        errors[type(error).short_name].append(error)

    def pred_index(error):
        index = error.pred["_id"]
        assert dets[index]["bbox"] == list(error.pred["bbox"]), "tidecv's prediction ids are file positions"
        return index

    if kind == "FalsePos":
        removed_dets = {pred_index(e) for e in run.errors if hasattr(e, "pred")}
    elif kind == "FalseNeg":
        removed_gt = {truth["_id"] for truths in run.false_negatives.values() for truth in truths}
    elif kind == "missed":
        removed_gt = {e.gt["_id"] for e in errors.get("Miss", [])}
    else:
        for error in errors.get(TYPES[kind], []):
            index = pred_index(error)
            if kind in ("cls", "loc") and error.fixed is not None and error.fixed[1] is not None:
                category = error.gt["class"] if kind == "cls" else dets[index]["category_id"]
                changed[index] = (category, list(error.gt["bbox"]))
            else:
                removed_dets.add(index)
    new_dets = []
    for index, det in enumerate(dets):
        if index in removed_dets:
            continue
        det = dict(det)
        if index in changed:
            det["category_id"], det["bbox"] = changed[index]
        new_dets.append(det)
    new_gt = dict(gt)
    new_gt["annotations"] = [a for i, a in enumerate(gt["annotations"]) if i not in removed_gt]
    return new_gt, new_dets


def random_case(rng):
    """A COCO case with no crowd box, at most 100 detections per image and distinct scores."""
    categories = rng.sample([1, 2, 3, 5, 8, 13], rng.randint(2, 5))
    images, annotations, dets = [], [], []
    scores = rng.sample(range(1, 10**6), 10**4)
    for image_id in range(1, rng.randint(3, 15) + 1):
        images.append({"id": image_id, "file_name": f"{image_id}.jpg", "width": 200, "height": 200})
        per_image = 0
        for _ in range(rng.choice([0, 1, 2, 4, 8])):
            category = rng.choice(categories)
            x, y, w, h = (round(rng.uniform(0, 150), 2), round(rng.uniform(0, 150), 2),
                          round(rng.uniform(4, 50), 2), round(rng.uniform(4, 50), 2))
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category,
                                "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                shift = rng.choice([0.02, 0.1, 0.3, 0.6])
                swapped = rng.random() < 0.25
                dets.append({"image_id": image_id, "category_id": rng.choice(categories) if swapped else category,
                             "bbox": [round(x + shift * w * rng.uniform(-1, 1), 2),
                                      round(y + shift * h * rng.uniform(-1, 1), 2),
                                      round(w * rng.uniform(0.8, 1.2), 2), round(h * rng.uniform(0.8, 1.2), 2)],
                             "score": scores.pop() / 10**6})
                per_image += 1
        for _ in range(rng.choice([0, 0, 1, 3])):
            dets.append({"image_id": image_id, "category_id": rng.choice(categories),
                         "bbox": [round(rng.uniform(0, 180), 2), round(rng.uniform(0, 180), 2),
                                  round(rng.uniform(3, 30), 2), round(rng.uniform(3, 30), 2)],
                         "score": scores.pop() / 10**6})
            per_image += 1
        assert per_image <= 100
    gt = {"images": images, "annotations": annotations,
          "categories": [{"id": c, "name": f"c{c}"} for c in sorted(categories)]}
    return gt, dets


def evaldb_errors(binary, work, gt, dets):
    (work / "gt.json").write_text(json.dumps(gt))
    (work / "dt.json").write_text(json.dumps(dets))
    db = work / "case.sqlite"

    def run(*args):
        result = subprocess.run([binary, *args, "--db", str(db)], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"evaldb {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    run("dataset", "import", "case", str(work / "gt.json"), "--format", "coco")
    run("import", "run", str(work / "dt.json"), "--dataset", "case", "--format", "coco", "--no-eval")
    return json.loads(run("errors", "run", "--format", "json"))


def reference(gt, dets, work):
    """tidecv's counts and pycocotools' AP50 and dAP under tidecv's fixes, in `evaldb errors`' JSON shape."""
    run = run_tidecv(gt, dets, work)
    base = pycocotools_ap50(gt, dets)
    counts = {kind: len(run.error_dict[next(t for t in run.error_dict if t.short_name == name)])
              for kind, name in TYPES.items()}

    def delta(kind):
        after = pycocotools_ap50(*fixed_inputs(gt, dets, run, kind))
        return None if after == -1 or base == -1 else after - base

    return {"AP50": None if base == -1 else base,
            "errors": {kind: {"count": counts[kind], "dAP": delta(kind)} for kind in TYPES},
            "special": {name: {"dAP": delta(name)} for name in ("FalsePos", "FalseNeg")}}


def compare(name, ours, theirs):
    problems = []

    def close(label, a, b):
        if a is None or b is None:
            if a is not b:
                problems.append(f"{label}: evaldb {a!r}, reference {b!r}")
        elif abs(a - b) > TOLERANCE:
            problems.append(f"{label}: evaldb {a!r}, reference {b!r}")

    close("AP50", ours["AP50"], theirs["AP50"])
    for kind in TYPES:
        if ours["errors"][kind]["count"] != theirs["errors"][kind]["count"]:
            problems.append(f"{kind} count: evaldb {ours['errors'][kind]['count']}, tidecv "
                            f"{theirs['errors'][kind]['count']}")
        close(f"{kind} dAP", ours["errors"][kind]["dAP"], theirs["errors"][kind]["dAP"])
    for special in ("FalsePos", "FalseNeg"):
        close(f"{special} dAP", ours["special"][special]["dAP"], theirs["special"][special]["dAP"])
    return [f"{name}: {p}" for p in problems]


def write_fixture(gt_path, dt_path, out):
    gt, dets = json.loads(pathlib.Path(gt_path).read_text()), json.loads(pathlib.Path(dt_path).read_text())
    with tempfile.TemporaryDirectory() as tmp:
        run = run_tidecv(gt, dets, pathlib.Path(tmp))
    by_type = {name: sorted(e.pred["_id"] for e in run.errors if type(e).short_name == name)
               for name in ("Cls", "Loc", "Both", "Dupe", "Bkg")}
    missed = sorted(e.gt["_id"] for e in run.errors if type(e).short_name == "Miss")
    lines = ['{', ' "tool": "tidecv 1.0.1",', ' "case": "../coco-val2014-fake100",',
             ' "note": "0-based positions: detections in the results file, ground truth in the annotations list;'
             ' written by Scripts/crosscheck_tide.py --fixture",', ' "detections": {']
    lines += [f'  "{name}": {json.dumps(ids)}' + ("," if name != "Bkg" else "") for name, ids in by_type.items()]
    lines += [' },', f' "missed_ground_truth": {json.dumps(missed)}', '}']
    pathlib.Path(out).write_text("\n".join(lines) + "\n")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--fixture":
        write_fixture(*sys.argv[2:5])
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("evaldb")
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--via-tests", metavar="DIR")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = [random_case(rng) for _ in range(args.cases)]
    problems, totals = [], {kind: 0 for kind in TYPES}
    with tempfile.TemporaryDirectory() as tmp:
        references = []
        for index, (gt, dets) in enumerate(cases):
            work = pathlib.Path(args.via_tests or tmp) / f"case{index:03d}"
            work.mkdir(parents=True, exist_ok=True)
            references.append(reference(gt, dets, work))
            for kind in TYPES:
                totals[kind] += references[-1]["errors"][kind]["count"]
            if args.via_tests:
                (work / "gt.json").write_text(json.dumps(gt))
                (work / "dt.json").write_text(json.dumps(dets))
        if args.via_tests:
            root = pathlib.Path(__file__).resolve().parent.parent
            subprocess.run(["swift", "test", "--package-path", str(root), "--filter", "ErrorAnalysisCrosscheck"],
                           env={**__import__("os").environ, "EVALDB_TIDE_CASES": args.via_tests}, check=True,
                           capture_output=True)
        for index, (gt, dets) in enumerate(cases):
            work = pathlib.Path(args.via_tests or tmp) / f"case{index:03d}"
            if args.via_tests:
                ours = json.loads((work / "evaldb.json").read_text())
            else:
                ours = evaldb_errors(args.evaldb, work, gt, dets)
            problems += compare(f"case {index}", ours, references[index])
    print(f"crosscheck-tide: {len(cases)} cases, tidecv errors per type {totals}, 8 dAP values per case")
    for problem in problems:
        print("  " + problem)
    if not cases or not any(totals.values()):
        print("crosscheck-tide: nothing compared")
        return 1
    print("crosscheck-tide: " + ("OK" if not problems else f"{len(problems)} differences"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Times one peer's load (COCO(gt) and loadRes(dets)) and COCO evaluation step (evaluate + accumulate +
summarize) on one ground-truth / results pair, once. Prints one JSON line: peer, load_seconds (both files),
results_seconds (loadRes alone), eval_seconds, AP. Run under /usr/bin/time for the peak memory.
Usage: bench_scale_peers.py PEER GT.json DETS.json
"""
import contextlib
import io
import json
import sys
import time


def classes(name):
    if name == "hotcoco":
        from hotcoco import COCO, COCOeval
    elif name == "ultrafast-pycocotools":
        from ultrafast_pycocotools import COCO, COCOeval
    elif name == "faster-coco-eval":
        from faster_coco_eval import COCO, COCOeval_faster as COCOeval
    else:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    return COCO, COCOeval


def main():
    name, gt_path, dets_path = sys.argv[1:4]
    COCO, COCOeval = classes(name)
    with contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        gt = COCO(gt_path)
        middle = time.perf_counter()
        dt = gt.loadRes(dets_path)
        loaded = time.perf_counter()
        evaluator = COCOeval(gt, dt, "bbox")
        loaded_eval = time.perf_counter()
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
        done = time.perf_counter()
    print(json.dumps({"peer": name, "load_seconds": loaded - start, "results_seconds": loaded - middle,
                      "eval_seconds": done - loaded_eval, "AP": float(evaluator.stats[0])}), flush=True)


if __name__ == "__main__":
    main()

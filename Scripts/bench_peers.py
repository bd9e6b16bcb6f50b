#!/usr/bin/env python3
"""Times the COCO evaluation step (evaluate + accumulate + summarize, loading excluded) of the Python peers
on one ground-truth / results pair. Prints one JSON line per peer: name, best seconds, AP (stats[0]).
Usage: bench_peers.py GT.json DETS.json [--runs N] [--peers a,b,...]
"""
import argparse
import contextlib
import io
import json
import time


def peers():
    def pycocotools():
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        return COCO, COCOeval

    def faster_coco_eval():
        from faster_coco_eval import COCO, COCOeval_faster
        return COCO, COCOeval_faster

    def hotcoco():
        from hotcoco import COCO, COCOeval
        return COCO, COCOeval

    def ultrafast():
        from ultrafast_pycocotools import COCO, COCOeval
        return COCO, COCOeval

    return {"pycocotools": pycocotools, "faster-coco-eval": faster_coco_eval, "hotcoco": hotcoco,
            "ultrafast-pycocotools": ultrafast}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gt")
    parser.add_argument("dets")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", default="faster-coco-eval,hotcoco,ultrafast-pycocotools,pycocotools")
    args = parser.parse_args()
    available = peers()
    for name in args.peers.split(","):
        try:
            COCO, COCOeval = available[name]()
        except Exception as error:  # a peer that does not install or import is reported, not fatal
            print(json.dumps({"peer": name, "error": str(error)}))
            continue
        best = None
        ap = None
        runs = 1 if name == "pycocotools" else args.runs  # pycocotools takes tens of seconds
        for _ in range(runs):
            with contextlib.redirect_stdout(io.StringIO()):
                gt = COCO(args.gt)
                dt = gt.loadRes(args.dets)
                evaluator = COCOeval(gt, dt, "bbox")
                start = time.perf_counter()
                evaluator.evaluate()
                evaluator.accumulate()
                evaluator.summarize()
                seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
            ap = float(evaluator.stats[0])
        print(json.dumps({"peer": name, "seconds": best, "AP": ap}), flush=True)


if __name__ == "__main__":
    main()

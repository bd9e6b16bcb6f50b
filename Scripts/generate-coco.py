#!/usr/bin/env python3
"""Writes a deterministic synthetic COCO dataset and a results file for benchmarks.

Usage: Scripts/generate-coco.py OUT_DIR [--images 5000] [--detections 500000] [--seed 1]
Writes OUT_DIR/gt.json (instances: 80 sparse COCO category ids, ~7 boxes per image, some crowd)
and OUT_DIR/dets.json (results list, as a detector exporter writes it with json.dump).
Standard library only.
"""
import argparse
import json
import pathlib
import random

COCO_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31,
            32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58,
            59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--detections", type=int, default=500000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    images, annotations = [], []
    gts_by_image = []
    for image_id in range(1, args.images + 1):
        width, height = rng.choice([(640, 480), (640, 427), (500, 375), (1280, 720)])
        images.append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": width, "height": height})
        boxes = []
        for _ in range(rng.randint(0, 14)):
            w = rng.uniform(4, width / 2)
            h = rng.uniform(4, height / 2)
            x = rng.uniform(0, width - w)
            y = rng.uniform(0, height - h)
            category = rng.choice(COCO_IDS[:20]) if rng.random() < 0.7 else rng.choice(COCO_IDS)
            crowd = 1 if rng.random() < 0.01 else 0
            bbox = [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": category, "bbox": bbox,
                "area": round(w * h * rng.uniform(0.6, 1.0), 2), "iscrowd": crowd,
            })
            boxes.append((category, bbox))
        gts_by_image.append((image_id, width, height, boxes))
    categories = [{"id": c, "name": f"class{c}", "supercategory": "thing"} for c in COCO_IDS]
    with open(out / "gt.json", "w") as f:
        json.dump({"images": images, "annotations": annotations, "categories": categories}, f)

    per_image = args.detections // args.images
    extra = args.detections - per_image * args.images
    results = []
    for index, (image_id, width, height, boxes) in enumerate(gts_by_image):
        n = per_image + (1 if index < extra else 0)
        for _ in range(n):
            if boxes and rng.random() < 0.5:
                category, (x, y, w, h) = rng.choice(boxes)
                x, y = x + rng.gauss(0, w * 0.1), y + rng.gauss(0, h * 0.1)
                w, h = max(1.0, w * rng.uniform(0.8, 1.2)), max(1.0, h * rng.uniform(0.8, 1.2))
            else:
                category = rng.choice(COCO_IDS)
                w, h = rng.uniform(4, width / 3), rng.uniform(4, height / 3)
                x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            results.append({"image_id": image_id, "category_id": category,
                            "bbox": [round(x, 3), round(y, 3), round(w, 3), round(h, 3)],
                            "score": round(rng.random(), 5)})
    with open(out / "dets.json", "w") as f:
        json.dump(results, f)
    print(f"wrote {out}/gt.json ({len(images)} images, {len(annotations)} boxes) and "
          f"{out}/dets.json ({len(results)} detections)")


if __name__ == "__main__":
    main()

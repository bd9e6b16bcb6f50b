#!/usr/bin/env python3
"""Writes a deterministic synthetic VisDrone-DET dataset and two result folders for benchmarks.

Usage: Scripts/generate-visdrone.py OUT_DIR [--images 1000] [--detections 500000] [--seed 1]
Writes OUT_DIR/annotations/<image>.txt (x,y,w,h,score,category,truncation,occlusion: classes 1-11, some
score-0 ignore boxes, some category-0 ignored regions), OUT_DIR/sizes.csv (image,width,height: the images
themselves are not written) and OUT_DIR/results-A/<image>.txt, OUT_DIR/results-B/<image>.txt (B: A's boxes
jittered and 5% of rows dropped). Standard library only.
"""
import argparse
import pathlib
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--detections", type=int, default=500000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = pathlib.Path(args.out)
    for folder in ("annotations", "results-A", "results-B"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    per_image = args.detections // args.images
    sizes = ["image,width,height"]
    for index in range(args.images):
        name = f"{9000000 + index:07d}_{index:05d}_d_{index:07d}"
        width, height = rng.choice([(1920, 1080), (1360, 765), (960, 540)])
        sizes.append(f"{name}.jpg,{width},{height}")
        rows, boxes = [], []
        for _ in range(rng.randint(0, 2)):  # ignored regions
            w, h = rng.uniform(40, width / 5), rng.uniform(40, height / 5)
            x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            rows.append(f"{int(x)},{int(y)},{int(w)},{int(h)},0,0,0,0")
        for _ in range(rng.randint(5, 120)):
            w, h = rng.uniform(6, 120), rng.uniform(6, 120)
            x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            category = rng.choice([1, 1, 2, 3, 4, 4, 4, 5, 6, 7, 8, 9, 10, 11])
            score = 0 if rng.random() < 0.05 else 1
            rows.append(f"{int(x)},{int(y)},{int(w)},{int(h)},{score},{category},{rng.randint(0, 2)},{rng.randint(0, 2)}")
            boxes.append((category, x, y, w, h))
        (out / "annotations" / f"{name}.txt").write_text("\n".join(rows) + "\n")
        results_a, results_b = [], []
        for _ in range(per_image):
            if boxes and rng.random() < 0.4:
                category, x, y, w, h = rng.choice(boxes)
                x, y = x + rng.gauss(0, w * 0.1), y + rng.gauss(0, h * 0.1)
                w, h = max(1.0, w * rng.uniform(0.8, 1.2)), max(1.0, h * rng.uniform(0.8, 1.2))
                if rng.random() < 0.2:
                    category = rng.randint(1, 10)
            else:
                category = rng.randint(1, 10)
                w, h = rng.uniform(6, 150), rng.uniform(6, 150)
                x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            score = rng.random()
            results_a.append(f"{x:.2f},{y:.2f},{w:.2f},{h:.2f},{score:.5f},{category},-1,-1")
            if rng.random() >= 0.05:
                s = 0.05 * min(w, h)
                results_b.append(
                    f"{x + rng.uniform(-s, s):.2f},{y + rng.uniform(-s, s):.2f},{w:.2f},{h:.2f},{score:.5f},{category},-1,-1")
        (out / "results-A" / f"{name}.txt").write_text("\n".join(results_a) + "\n")
        (out / "results-B" / f"{name}.txt").write_text("\n".join(results_b) + "\n")
    (out / "sizes.csv").write_text("\n".join(sizes) + "\n")
    print(f"wrote {out}: {args.images} images, {per_image * args.images} detections in results-A")


if __name__ == "__main__":
    main()

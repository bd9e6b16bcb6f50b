#!/usr/bin/env python3
"""Writes the TFRecord fixtures of Tests/Fixtures/tfrecord from the COCO and VisDrone fixtures beside it.

Usage:
    .venv/bin/pip install protobuf        # once (Scripts/crosscheck makes .venv)
    .venv/bin/python Scripts/make-tfrecord-fixtures.py [OUT_DIR]          # default OUT_DIR: Tests/Fixtures/tfrecord
    PYTHON_WITH_TF Scripts/make-tfrecord-fixtures.py --tensorflow [OUT_DIR]   # also the fixture TensorFlow writes

The records are tf.train.Example messages with the TensorFlow Object Detection API's keys (image/height,
image/width, image/filename, image/source_id, image/object/bbox/{xmin,ymin,xmax,ymax} as fractions of the image,
image/object/class/{label,text}, image/object/is_crowd, image/object/area; detections: image/detection/bbox/*,
image/detection/label, image/detection/score, next to the input's keys as the API's inference tool writes them).
The Example schema is declared here at run time (descriptor_pb2) and serialized by the protobuf package; the TFRecord
framing (length, masked CRC32C of it, data, masked CRC32C of the data) is written here. No TensorFlow file is copied.

With --tensorflow (run by a Python that has tensorflow), tf.train.Example and tf.io.TFRecordWriter write
tf/coco-gt.tfrecord from the same COCO ground truth, and tf/VERSION.txt records TensorFlow's version.

Everything is deterministic: running it again writes the same bytes (but for map order inside an Example, which
protobuf does not fix; the readers do not depend on it).
"""
import argparse
import gzip
import json
import pathlib
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"

VISDRONE_NAMES = ["pedestrian", "people", "bicycle", "car", "van", "truck", "tricycle", "awning-tricycle", "bus",
                  "motor", "others"]


# --- TFRecord framing -------------------------------------------------------------------------------------------

def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = (crc >> 8) ^ CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(record):
    length = struct.pack("<Q", len(record))
    return length + struct.pack("<I", masked_crc(length)) + record + struct.pack("<I", masked_crc(record))


def write_records(path, records, compress=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(frame(r) for r in records)
    if compress:
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)


# --- tf.train.Example, declared at run time ---------------------------------------------------------------------

def example_class():
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        sys.exit("make-tfrecord-fixtures: needs the protobuf package: .venv/bin/pip install protobuf")
    F = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="evaldb_fixture_example.proto", package="tensorflow",
                                              syntax="proto3")

    def message(name, parent=None):
        m = (parent.nested_type if parent else file.message_type).add()
        m.name = name
        return m

    def field(m, name, number, kind, label=F.LABEL_OPTIONAL, type_name=None, oneof=None):
        f = m.field.add(name=name, number=number, type=kind, label=label)
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = oneof

    field(message("BytesList"), "value", 1, F.TYPE_BYTES, F.LABEL_REPEATED)
    field(message("FloatList"), "value", 1, F.TYPE_FLOAT, F.LABEL_REPEATED)  # packed: proto3's default
    field(message("Int64List"), "value", 1, F.TYPE_INT64, F.LABEL_REPEATED)
    feature = message("Feature")
    feature.oneof_decl.add(name="kind")
    field(feature, "bytes_list", 1, F.TYPE_MESSAGE, type_name=".tensorflow.BytesList", oneof=0)
    field(feature, "float_list", 2, F.TYPE_MESSAGE, type_name=".tensorflow.FloatList", oneof=0)
    field(feature, "int64_list", 3, F.TYPE_MESSAGE, type_name=".tensorflow.Int64List", oneof=0)
    features = message("Features")
    entry = message("FeatureEntry", features)
    entry.options.map_entry = True
    field(entry, "key", 1, F.TYPE_STRING)
    field(entry, "value", 2, F.TYPE_MESSAGE, type_name=".tensorflow.Feature")
    field(features, "feature", 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".tensorflow.Features.FeatureEntry")
    field(message("Example"), "features", 1, F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow.Example"))


def serialize(example_type, features):
    """features: key -> ("bytes" | "float" | "int64", [values])."""
    example = example_type()
    for key in sorted(features):
        kind, values = features[key]
        feature = example.features.feature[key]
        if kind == "bytes":
            feature.bytes_list.value.extend(v.encode() if isinstance(v, str) else v for v in values)
        elif kind == "float":
            feature.float_list.value.extend(values)
        else:
            feature.int64_list.value.extend(int(v) for v in values)
    return example.SerializeToString(deterministic=True)


# --- The Object Detection API's keys ----------------------------------------------------------------------------

def image_features(width, height, filename, source_id):
    return {
        "image/height": ("int64", [height]),
        "image/width": ("int64", [width]),
        "image/filename": ("bytes", [filename]),
        "image/source_id": ("bytes", [str(source_id)]),
        "image/format": ("bytes", ["jpeg"]),
    }


def box_features(prefix, boxes, width, height):
    """boxes: [x, y, w, h] in pixels -> the four normalized corner lists, as x / width in double precision."""
    return {
        prefix + "xmin": ("float", [b[0] / width for b in boxes]),
        prefix + "ymin": ("float", [b[1] / height for b in boxes]),
        prefix + "xmax": ("float", [(b[0] + b[2]) / width for b in boxes]),
        prefix + "ymax": ("float", [(b[1] + b[3]) / height for b in boxes]),
    }


def label_map_text(items, style):
    """items: [(id, name)]. Two styles, to exercise the parser on both as label maps are written."""
    if style == "coco":  # as the Object Detection API's own maps: double quotes, name then id then display_name
        return "".join(f'item {{\n  name: "{name}"\n  id: {i}\n  display_name: "{name}"\n}}\n' for i, name in items)
    lines = ["# VisDrone-DET categories (evaldb fixture): single quotes, id last, a comment and an unknown field\n"]
    for i, name in items:
        lines.append(f"item {{\n  name: '{name}'  # class {i}\n  frequency: FREQUENT\n  id: {i}\n}}\n")
    return "".join(lines)


# --- The fixtures -----------------------------------------------------------------------------------------------

def coco(example_type, out, expected):
    gt = json.loads((FIXTURES / "coco-val2014-fake100" / "gt" / "instances_val2014_100.json").read_text())
    dt = json.loads((FIXTURES / "coco-val2014-fake100" / "dt" / "instances_val2014_fakebbox100_results.json")
                    .read_text())
    names = {c["id"]: c["name"] for c in gt["categories"]}
    annotations = {}
    for a in gt["annotations"]:
        annotations.setdefault(a["image_id"], []).append(a)
    detections = {}
    for d in dt:
        detections.setdefault(d["image_id"], []).append(d)
    gt_records, dt_records = [], []
    padding_zero = padding_beyond = kept = 0
    for index, image in enumerate(gt["images"]):
        width, height = image["width"], image["height"]
        features = image_features(width, height, image["file_name"], image["id"])
        objects = annotations.get(image["id"], [])
        features.update(box_features("image/object/bbox/", [a["bbox"] for a in objects], width, height))
        features["image/object/class/label"] = ("int64", [a["category_id"] for a in objects])
        features["image/object/class/text"] = ("bytes", [names[a["category_id"]] for a in objects])
        features["image/object/is_crowd"] = ("int64", [a["iscrowd"] for a in objects])
        features["image/object/area"] = ("float", [a["area"] for a in objects])
        gt_records.append(serialize(example_type, features))
        # Detections next to the input's keys, as the inference tool writes them; padded as exported models pad.
        found = detections.get(image["id"], [])
        kept += len(found)
        boxes = [d["bbox"] for d in found]
        labels = [d["category_id"] for d in found]
        scores = [d["score"] for d in found]
        dt_features = dict(features)
        if index % 3 == 0:  # zero slots: score 0 and an all-zero box
            boxes, labels, scores = boxes + [[0, 0, 0, 0]] * 3, labels + [0] * 3, scores + [0.0] * 3
            padding_zero += 3
        elif index % 3 == 1 and found:  # junk beyond num_detections
            dt_features["image/detection/num_detections"] = ("int64", [len(found)])
            boxes, labels, scores = boxes + boxes[:2], labels + labels[:2], scores + scores[:2]
            padding_beyond += len(found[:2])
        dt_features.update(box_features("image/detection/bbox/", boxes, width, height))
        dt_features["image/detection/label"] = ("int64", labels)
        dt_features["image/detection/score"] = ("float", scores)
        dt_records.append(serialize(example_type, dt_features))
    write_records(out / "coco" / "gt.tfrecord", gt_records)
    write_records(out / "coco" / "dt.tfrecord", dt_records)
    (out / "coco" / "label_map.pbtxt").write_text(
        label_map_text(sorted(names.items()), "coco"))
    expected["coco"] = {
        "images": len(gt["images"]), "boxes": len(gt["annotations"]), "categories": len(names),
        "detections": kept, "padding_zero_slots": padding_zero, "padding_beyond_num_detections": padding_beyond,
    }


def visdrone(example_type, out, expected):
    source = FIXTURES / "visdrone-synth"
    sizes = {}
    for line in (source / "images.csv").read_text().splitlines()[1:]:
        name, width, height = line.split(",")
        sizes[name] = (int(width), int(height))
    stems = sorted(p.stem for p in (source / "annotations").glob("*.txt"))
    gt_records, dt_records = [], []
    regions = ignore_boxes = boxes_total = detections_total = 0
    for stem in stems:
        width, height = sizes[stem]
        features = image_features(width, height, stem + ".jpg", stem)
        boxes, labels = [], []
        for line in (source / "annotations" / (stem + ".txt")).read_text().splitlines():
            fields = [f.strip() for f in line.split(",") if f.strip()]
            if not fields:
                continue
            x, y, w, h, score, category = (float(v) for v in fields[:6])
            if category == 0:  # ignored regions have no key in the Object Detection API
                regions += 1
                continue
            ignore_boxes += score == 0  # carried as ordinary boxes: there is no key for VisDrone's ignore flag
            boxes.append([x, y, w, h])
            labels.append(int(category))
        boxes_total += len(boxes)
        features.update(box_features("image/object/bbox/", boxes, width, height))
        features["image/object/class/label"] = ("int64", labels)
        features["image/object/class/text"] = ("bytes", [VISDRONE_NAMES[c - 1] for c in labels])
        gt_records.append(serialize(example_type, features))
        dt_boxes, dt_labels, dt_scores = [], [], []
        for line in (source / "results-A" / (stem + ".txt")).read_text().splitlines():
            fields = [f.strip() for f in line.split(",") if f.strip()]
            if not fields:
                continue
            x, y, w, h, score, category = (float(v) for v in fields[:6])
            dt_boxes.append([x, y, w, h])
            dt_labels.append(int(category))
            dt_scores.append(score)
        detections_total += len(dt_boxes)
        dt_features = image_features(width, height, stem + ".jpg", stem)
        dt_features.update(box_features("image/detection/bbox/", dt_boxes, width, height))
        dt_features["image/detection/label"] = ("int64", dt_labels)
        dt_features["image/detection/score"] = ("float", dt_scores)
        dt_records.append(serialize(example_type, dt_features))
    half = len(gt_records) // 2
    write_records(out / "visdrone" / "gt" / "visdrone-gt-00000-of-00002", gt_records[:half])
    write_records(out / "visdrone" / "gt" / "visdrone-gt-00001-of-00002", gt_records[half:])
    write_records(out / "visdrone" / "results-A.tfrecord.gz", dt_records, compress=True)
    (out / "visdrone" / "label_map.pbtxt").write_text(
        label_map_text(list(enumerate(VISDRONE_NAMES, start=1)), "visdrone"))
    expected["visdrone"] = {
        "images": len(stems), "boxes": boxes_total, "ignored_regions_left_out": regions,
        "ignore_boxes_as_ordinary_boxes": ignore_boxes, "categories": len(VISDRONE_NAMES),
        "detections": detections_total,
    }


def tensorflow_fixture(out):
    import tensorflow as tf

    gt = json.loads((FIXTURES / "coco-val2014-fake100" / "gt" / "instances_val2014_100.json").read_text())
    names = {c["id"]: c["name"] for c in gt["categories"]}
    annotations = {}
    for a in gt["annotations"]:
        annotations.setdefault(a["image_id"], []).append(a)

    def feature(kind, values):
        if kind == "bytes":
            return tf.train.Feature(bytes_list=tf.train.BytesList(
                value=[v.encode() if isinstance(v, str) else v for v in values]))
        if kind == "float":
            return tf.train.Feature(float_list=tf.train.FloatList(value=values))
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    path = out / "tf" / "coco-gt.tfrecord"
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for image in gt["images"]:
            width, height = image["width"], image["height"]
            features = image_features(width, height, image["file_name"], image["id"])
            objects = annotations.get(image["id"], [])
            features.update(box_features("image/object/bbox/", [a["bbox"] for a in objects], width, height))
            features["image/object/class/label"] = ("int64", [a["category_id"] for a in objects])
            features["image/object/class/text"] = ("bytes", [names[a["category_id"]] for a in objects])
            features["image/object/is_crowd"] = ("int64", [a["iscrowd"] for a in objects])
            features["image/object/area"] = ("float", [a["area"] for a in objects])
            example = tf.train.Example(features=tf.train.Features(
                feature={key: feature(*value) for key, value in features.items()}))
            writer.write(example.SerializeToString())
    gzip_path = out / "tf" / "coco-gt.tfrecord.gz"
    with tf.io.TFRecordWriter(str(gzip_path), options=tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for record in tf.data.TFRecordDataset(str(path)):
            writer.write(record.numpy())
    (out / "tf" / "VERSION.txt").write_text(f"written by TensorFlow {tf.__version__} (tensorflow-cpu from PyPI)\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", default=str(FIXTURES / "tfrecord"))
    parser.add_argument("--tensorflow", action="store_true", help="write only the fixture TensorFlow writes")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    if args.tensorflow:
        tensorflow_fixture(out)
        return
    example_type = example_class()
    expected = {}
    coco(example_type, out, expected)
    visdrone(example_type, out, expected)
    (out / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

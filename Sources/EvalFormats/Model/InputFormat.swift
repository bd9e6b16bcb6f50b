/// The ground-truth dataset layouts evaldb reads.
public enum DatasetFormat: String, CaseIterable, Sendable {
    /// COCO instances JSON (`images`, `annotations`, `categories`).
    case coco
    /// VisDrone-DET folder: `annotations/*.txt` and `images/`.
    case visdrone
    /// YOLO folder: `labels/*.txt` with normalized `class cx cy w h`, and `images/`.
    case yolo
    /// PASCAL VOC folder of XML annotation files.
    case voc
    /// TFRecord files of `tf.train.Example`s with the TensorFlow Object Detection API's `image/object/*` keys.
    case tfrecord
}

/// The detection (model output) layouts evaldb reads.
public enum DetectionFormat: String, CaseIterable, Sendable {
    /// COCO results JSON: a list of `{image_id, category_id, bbox, score}`.
    case coco
    /// VisDrone result folder: one `<image>.txt` per image, `x,y,w,h,score,category,truncation,occlusion`.
    case visdrone
    /// YOLO predictions: one `<image>.txt` per image, normalized `class cx cy w h conf`.
    case yolo
    /// PASCAL VOC per-class result files `comp4_det_test_<class>.txt`: `<image> <score> x1 y1 x2 y2`.
    case voc
    /// TFRecord files of `tf.train.Example`s with the Object Detection API's `image/detection/*` keys (normalized
    /// corners, label-map ids, scores), as its inference tool writes them.
    case tfrecord
}

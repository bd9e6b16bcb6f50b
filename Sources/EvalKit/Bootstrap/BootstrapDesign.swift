/// How a protocol turns a ranked list of true and false positives into average precision.
public enum AveragePrecisionRule: Sendable, Equatable {
    /// pycocotools: precision `tp / (tp + fp + 2.22e-16)`, made non-increasing from the right, read at the
    /// first detection whose recall reaches each point (0 where none does), averaged over the points.
    case interpolated(recallPoints: [Double])
    /// VOC2007: the mean over recall 0, 0.1, ..., 1 of the best precision at recall >= that value.
    case elevenPoint
    /// VOC2010+ and VisDrone: the area under the precision envelope, summed where recall changes.
    case allPoint
}

/// How per-class values combine into the summary.
public enum ClassWeighting: Sendable, Equatable {
    /// Every class with positives counts once (COCO, VOC).
    case equal
    /// Each class counts once per image holding it (the VisDrone toolkit).
    case imagesHolding
}

/// Positives (the recall denominator) per image and class, as sparse rows.
public struct ImagePositives: Sendable {
    /// `classIndex[start[i] ..< start[i + 1]]` and `count[...]`: the classes with positives in image i.
    public var start: [Int]
    public var classIndex: [Int32]
    public var count: [Int32]

    /// From one entry per positive box: its image and class (-1 = none).
    public init(imageCount: Int, boxImage: [Int32], boxClass: [Int32]) {
        var perImage = [Int](repeating: 0, count: imageCount + 1)
        for (image, k) in zip(boxImage, boxClass) where k >= 0 && image >= 0 && Int(image) < imageCount {
            perImage[Int(image) + 1] += 1
        }
        for i in 0..<imageCount { perImage[i + 1] += perImage[i] }
        var next = perImage
        var boxes = [Int32](repeating: 0, count: perImage[imageCount])
        for (image, k) in zip(boxImage, boxClass) where k >= 0 && image >= 0 && Int(image) < imageCount {
            boxes[next[Int(image)]] = k
            next[Int(image)] += 1
        }
        var start = [0]
        var classIndex: [Int32] = []
        var count: [Int32] = []
        start.reserveCapacity(imageCount + 1)
        for image in 0..<imageCount {
            var row = boxes[perImage[image]..<perImage[image + 1]]
            row.sort()
            var position = row.startIndex
            while position < row.endIndex {
                var end = position + 1
                while end < row.endIndex && row[end] == row[position] { end += 1 }
                classIndex.append(row[position])
                count.append(Int32(end - position))
                position = end
            }
            start.append(classIndex.count)
        }
        self.start = start
        self.classIndex = classIndex
        self.count = count
    }

    /// The number of images.
    public var imageCount: Int { start.count - 1 }
}

/// What the paired bootstrap resamples and computes for one protocol and parameter set, shared by both runs:
/// the classes, the positives, the cells each run supplies outcomes for, and the metrics.
///
/// A *cell* is one ranking of a run's detections with per-threshold outcomes, against one set of positives: COCO
/// has one per area range (and per max-detections value where a summary needs precision at a smaller one),
/// VisDrone one per detection budget, VOC one. A cell that `computesPrecision` gives AP per class and threshold;
/// every cell gives recall and TP/FP counts, and recall at each of its `recallLimits` (detections whose rank in
/// their image is below the limit: pycocotools' smaller maxDets, which keep the same matches).
public struct BootstrapDesign: Sendable {
    /// One ranking against one set of positives.
    public struct Cell: Sendable, Equatable {
        /// Index into `positiveSets`.
        public var positiveSet: Int
        /// Whether AP is computed (else recall and counts only).
        public var computesPrecision: Bool
        /// Per-image rank limits at which recall is also computed.
        public var recallLimits: [Int]
        /// Only detections whose rank in their image is below this limit belong to the cell (nil: all).
        public var rankLimit: Int?

        public init(positiveSet: Int, computesPrecision: Bool, recallLimits: [Int] = [], rankLimit: Int? = nil) {
            self.positiveSet = positiveSet
            self.computesPrecision = computesPrecision
            self.recallLimits = recallLimits
            self.rankLimit = rankLimit
        }
    }

    /// Where a metric reads its per-class values: a cell, and one of its recall limits (nil: the whole cell).
    public struct Source: Sendable, Equatable {
        public var cell: Int
        public var recallLimit: Int?

        public init(cell: Int, recallLimit: Int? = nil) {
            self.cell = cell
            self.recallLimit = recallLimit
        }
    }

    /// A value the bootstrap estimates: a summary metric (the mean over the classes and sources where it is defined,
    /// weighted as the protocol weights classes) or a per-class metric (one source), averaged over `thresholds`
    /// (counts: taken at the first).
    public struct Estimate: Sendable, Equatable {
        /// The metric, as the evaluation reports it.
        public var metric: Metric
        public var thresholds: [Int]
        public var sources: [Source]

        public init(_ metric: Metric, thresholds: [Int], sources: [Source]) {
            self.metric = metric
            self.thresholds = thresholds
            self.sources = sources
        }

        public var statistic: Metric.Statistic { metric.statistic }
    }

    public var rule: AveragePrecisionRule
    public var weighting: ClassWeighting
    public var thresholdCount: Int
    /// The category id of each class (COCO class-agnostic: -1).
    public var categoryIDs: [Int64]
    /// The positives of each cell kind (COCO: per area range).
    public var positiveSets: [ImagePositives]
    public var cells: [Cell]
    public var summary: [Estimate]
    public var classMetrics: [Estimate]

    public init(
        rule: AveragePrecisionRule, weighting: ClassWeighting, thresholdCount: Int, categoryIDs: [Int64],
        positiveSets: [ImagePositives], cells: [Cell], summary: [Estimate], classMetrics: [Estimate]
    ) {
        precondition(thresholdCount <= 64, "the bootstrap supports at most 64 IoU thresholds")
        precondition(
            positiveSets.allSatisfy { $0.imageCount == positiveSets.first?.imageCount },
            "every positive set covers the same images")
        self.rule = rule
        self.weighting = weighting
        self.thresholdCount = thresholdCount
        self.categoryIDs = categoryIDs
        self.positiveSets = positiveSets
        self.cells = cells
        self.summary = summary
        self.classMetrics = classMetrics
    }

    /// The number of classes.
    public var classCount: Int { categoryIDs.count }

    /// The number of images resampled.
    public var imageCount: Int { positiveSets.first?.imageCount ?? 0 }

    /// Values per replicate: the summary metrics, then every class's metrics (`classMetrics` order, class by
    /// class).
    public var width: Int { summary.count + classCount * classMetrics.count }
}

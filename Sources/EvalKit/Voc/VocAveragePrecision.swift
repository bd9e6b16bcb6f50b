/// The two PASCAL VOC summaries of a precision/recall curve (`recall[i]`, `precision[i]` after the first
/// `i + 1` detections in score order). The VisDrone toolkit reuses the all-point one (`VOCap.m`).
enum VocAveragePrecision {
    /// VOC2007 11-point AP: `sum over t of max(precision[recall >= t]) / 11`, 0 where no recall reaches `t`.
    ///
    /// The levels are `Double(i) * 0.1` (0.30000000000000004, 0.6000000000000001, 0.7000000000000001), as
    /// numpy's `arange(0, 1.1, 0.1)` in py-faster-rcnn: with `i / 10` a recall of exactly 0.6 would reach the
    /// level 0.6 and change the result. The sum is accumulated term by term as the references do.
    static func elevenPoint(recall: [Double], precision: [Double]) -> Double {
        var ap = 0.0
        for level in 0...10 {
            let threshold = Double(level) * 0.1
            var best = -Double.infinity
            for index in recall.indices where recall[index] >= threshold {
                best = max(best, precision[index])
            }
            ap += (best == -.infinity ? 0 : best) / 11
        }
        return ap
    }

    /// VOC2010+ all-point AP: with `mrec = [0, recall, 1]` and `mpre = [0, precision, 0]`, the precision
    /// envelope taken from the right, then `sum of (mrec[i] - mrec[i-1]) * mpre[i]` over the `i` where `mrec`
    /// changes, in order.
    static func allPoint(recall: [Double], precision: [Double]) -> Double {
        let count = recall.count + 2
        var envelope = [Double](repeating: 0, count: count)
        for index in precision.indices { envelope[index + 1] = precision[index] }
        for index in stride(from: count - 2, through: 0, by: -1) {
            envelope[index] = max(envelope[index], envelope[index + 1])
        }
        var ap = 0.0
        var previousRecall = 0.0
        for index in 1..<count {
            let currentRecall = index == count - 1 ? 1.0 : recall[index - 1]
            if currentRecall != previousRecall {
                ap += (currentRecall - previousRecall) * envelope[index]
            }
            previousRecall = currentRecall
        }
        return ap
    }
}

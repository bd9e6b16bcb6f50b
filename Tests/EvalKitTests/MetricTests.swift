import EvalKit
import Testing

/// The metric vocabulary: the names each protocol's reference tool prints, and the per-class keys.
@Suite struct MetricTests {
    /// pycocotools' `summarize()` prints these 12 lines in this order for its default parameters.
    @Test func cocoDefaultsAreNamedAsPycocotoolsPrintsThem() {
        let names = ProtocolParameters.coco(CocoParameters()).summaryMetrics.map(\.summaryName)
        #expect(names == ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"])
        let metrics = ProtocolParameters.coco(CocoParameters()).summaryMetrics
        // AP is read at maxDets=100 whatever the budgets (pycocotools hard-codes it), the others at maxDets[2].
        #expect(metrics[0] == Metric(.coco, .averagePrecision, maxDetections: 100))
        #expect(metrics[3] == Metric(.coco, .averagePrecision, area: "small", maxDetections: 100))
        #expect(metrics[9] == Metric(.coco, .averageRecall, area: "small", maxDetections: 100))
    }

    @Test func cocoBudgetsNameTheRecallStatsAndRepeatsAppearOnce() {
        let sorted = CocoParameters(maxDetections: [100, 4, 1, 3])
        #expect(
            ProtocolParameters.coco(sorted).summaryMetrics.map(\.summaryName)
                == ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR3", "AR4", "ARs", "ARm", "ARl"])
        let repeated = ProtocolParameters.coco(CocoParameters(maxDetections: [100, 100, 100]))
        #expect(
            repeated.summaryMetrics.map(\.summaryName)
                == ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR100", "ARs", "ARm", "ARl"])
        #expect(repeated.classMetrics.filter { $0.statistic == .averageRecall && $0.area == "all" }.count == 1)
    }

    /// The VisDrone toolkit prints AP, AP50, AP75, AR1, AR10, AR100, AR500; VOC one mAP.
    @Test func visDroneAndVocNames() {
        #expect(
            ProtocolParameters.visdrone(VisDroneParameters()).summaryMetrics.map(\.summaryName)
                == ["AP", "AP50", "AP75", "AR1", "AR10", "AR100", "AR500"])
        #expect(
            ProtocolParameters.voc(VocParameters(metric: .elevenPoint)).summaryMetrics.map(\.summaryName) == ["mAP"])
        #expect(ProtocolParameters.voc(VocParameters(metric: .allPoint)).evaluationProtocol == .voc12)
    }

    @Test func perClassKeys() {
        let coco = ProtocolParameters.coco(CocoParameters())
        #expect(
            coco.classMetrics.compactMap(\.classKey)
                == [
                    "AP", "AP_small", "AP_medium", "AP_large", "AP50", "AP75", "AR1", "AR10", "AR100", "AR100_small",
                    "AR100_medium", "AR100_large",
                ])
        // AP at the other eight thresholds is stored, without a key.
        #expect(coco.classMetrics.count == 4 + 10 + 3 + 3)
        #expect(coco.countMetrics.map(\.classKey) == ["TP", "FP", "FN"])
        #expect(coco.countMetrics.allSatisfy { $0.iou == 0.5 })
        let visDrone = ProtocolParameters.visdrone(VisDroneParameters(iouThresholds: [0.6, 0.75], maxDetections: [5]))
        #expect(visDrone.classMetrics.compactMap(\.classKey) == ["AP", "AP75", "AR5"])
        // Counted at the first threshold when 0.5 is not evaluated.
        #expect(visDrone.countingThreshold == 0.6)
    }

    @Test func otherThresholdsAndAreasHaveDistinctNames() {
        #expect(Metric(.coco, .averagePrecision, iou: 0.55).summaryName == "AP@0.55")
        #expect(Metric(.coco, .averagePrecision, iou: 0.55).classKey == nil)
        #expect(Metric(.coco, .averagePrecision, area: "tiny").summaryName == "AP_tiny")
        #expect(Metric(.coco, .averageRecall, area: "tiny", maxDetections: 10).summaryName == "AR_tiny")
        #expect(Metric(.coco, .averageRecall, area: "tiny", maxDetections: 10).classKey == "AR10_tiny")
    }
}

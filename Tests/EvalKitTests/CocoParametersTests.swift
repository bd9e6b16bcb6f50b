import Testing

@testable import EvalKit

/// pycocotools' default parameters value for value, and the numpy arithmetic the evaluator reproduces.
@Suite struct CocoParametersTests {
    @Test func defaultsAreNumpyLinspaces() {
        let parameters = CocoParameters()
        #expect(parameters.iouThresholds.count == 10)
        #expect(parameters.iouThresholds.first == 0.5 && parameters.iouThresholds.last == 0.95)
        #expect(parameters.iouThresholds[8] == 0.8999999999999999)
        #expect(parameters.iouThresholds[5] == 0.75)
        #expect(parameters.recallThresholds.count == 101)
        #expect(parameters.recallThresholds[35] == 0.35000000000000003)
        #expect(parameters.recallThresholds[100] == 1.0)
        // numpy's linspace(0, 1, 101) differs from i / 100 at exactly these ten points.
        let differing = (0...100).filter { parameters.recallThresholds[$0] != Double($0) / 100 }
        #expect(differing == [35, 41, 47, 57, 69, 70, 82, 83, 94, 95])
        #expect(parameters.maxDetections == [1, 10, 100])
        #expect(parameters.areaRanges.map(\.name) == ["all", "small", "medium", "large"])
        #expect(parameters.useCategories)
    }

    @Test func linspaceEdgeCases() {
        #expect(CocoParameters.linspace(3, 7, 1) == [3])
        #expect(CocoParameters.linspace(3, 7, 0) == [])
        #expect(CocoParameters.linspace(0, 1, 2) == [0, 1])
        #expect(CocoParameters.linspace(1, 0, 3) == [1, 0.5, 0])
    }

    @Test func areaRangesAreInclusiveAtBothEnds() {
        let ranges = CocoParameters.defaultAreaRanges
        let small = ranges[1]
        let medium = ranges[2]
        #expect(!small.excludes(1024) && !medium.excludes(1024))
        #expect(small.excludes(1024.0.nextUp) && !medium.excludes(9216) && ranges[3].excludes(9215.9))
        #expect(!small.excludes(.nan), "pycocotools' `a < lo or a > hi` keeps NaN inside")
        #expect(AreaRange(name: "odd", lower: 10, upper: 5).excludes(7))
    }

    /// Values computed with numpy 2.4: `np.sum` is pairwise and differs from a running sum in the last bits.
    @Test func meansUseNumpysPairwiseSummation() {
        let harmonic = (0..<1000).map { 1.0 / Double($0 + 1) }
        let running = harmonic.reduce(0, +)
        #expect(running == 7.485470860550343)
        #expect(NumpySummation.mean(harmonic) == 0.007485470860550345)
        let mixed = (0..<300).map { 0.1 * Double($0 % 7) + 1e-3 * Double($0) }
        #expect(
            harmonic.withUnsafeBufferPointer { NumpySummation.pairwiseSum($0.baseAddress!, 1000) } == 7.485470860550345)
        #expect(mixed.withUnsafeBufferPointer { NumpySummation.pairwiseSum($0.baseAddress!, 300) } == 134.55)
        #expect(NumpySummation.mean([]) == -1)
        #expect(NumpySummation.mean([0.25, 0.5]) == 0.375)
    }

    /// The radix sort against a plain stable sort, on keys with many ties, both zeros and NaN scores.
    @Test(arguments: [0, 1, 7, 24, 25, 300, 5_000])
    func scoreOrderIsStableDescending(count: Int) {
        var generator = CocoTestRandom(seed: UInt64(count) + 1)
        let palette: [Double] = [0.5, 0.25, 0, -0.0, .nan, 1, 0.125, 0.3]
        let scores = (0..<count).map { _ -> Double in
            generator.next() % 3 == 0 ? palette[Int(generator.next() % 8)] : Double(generator.next() % 1000) / 999
        }
        let keys = scores.map(ScoreOrder.key)
        let order = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
        let histogram = UnsafeMutablePointer<Int>.allocate(capacity: ScoreOrder.histogramSize)
        defer {
            order.deallocate()
            scratch.deallocate()
            histogram.deallocate()
        }
        keys.withUnsafeBufferPointer {
            ScoreOrder.stableOrder(
                keys: $0.baseAddress!, count: count, order: order, scratch: scratch, histogram: histogram)
        }
        // numpy's argsort(-scores, kind="mergesort"): descending, NaN last, -0.0 == 0.0, ties in input order.
        let expected = (0..<count).sorted { left, right in
            let (a, b) = (scores[left], scores[right])
            if a.isNaN || b.isNaN { return !a.isNaN && b.isNaN || (a.isNaN == b.isNaN && left < right) }
            return a > b || (a == b && left < right)
        }
        #expect((0..<count).map { Int(order[$0]) } == expected)
    }
}

/// A small deterministic generator for test data.
struct CocoTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

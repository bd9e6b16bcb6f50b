import EvalKit
import Foundation
import Testing

/// The distribution of the bootstrap's image weights. Each replicate must be n independent uniform draws of the n
/// images, independently of every other replicate: one image's weight follows Binomial(n, 1/n) across replicates,
/// two images' weights are (almost) uncorrelated, and consecutive replicates are unrelated.
///
/// Every test runs at a fixed seed, so it cannot flake; the significance of each chi-square test is 0.001 (a
/// correct generator fails one such test at a random seed once in a thousand). Each test also runs on the
/// generator that evaldb used to have, where replicate r + 1 replayed replicate r's draws shifted by one, and
/// requires that the same check rejects it: the checks have the power to see the defect they are for.
@Suite struct ReplicateWeightsTests {
    static let images = 500
    static let replicates = 2000

    /// The weights of all replicates (row r = replicate r) under evaldb's generator.
    static func independent(seed: UInt64) -> [[Int32]] {
        (0..<replicates).map { ReplicateWeights.weights(seed: seed, replicate: $0, imageCount: images) }
    }

    /// The former derivation: replicate r seeded SplitMix64 with `seed + γ (r + 1)`, whose draws advance by the
    /// same γ, so replicate r + 1 is replicate r shifted by one draw.
    static func overlapping(seed: UInt64) -> [[Int32]] {
        (0..<replicates).map { r in
            var generator = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(r + 1))
            var weights = [Int32](repeating: 0, count: images)
            for _ in 0..<images { weights[Int(generator.next(below: UInt64(images)))] += 1 }
            return weights
        }
    }

    /// Binomial(n, p) probabilities of 0, 1, 2, 3 and the rest.
    static func binomialBins(n: Int, p: Double) -> [Double] {
        var probabilities: [Double] = []
        var term = pow(1 - p, Double(n))
        for k in 0..<4 {
            probabilities.append(term)
            term *= Double(n - k) / Double(k + 1) * p / (1 - p)
        }
        probabilities.append(1 - probabilities.reduce(0, +))
        return probabilities
    }

    /// Pearson's chi-square of one image's weights across replicates against Binomial(n, 1/n), 5 bins (df = 4).
    static func chiSquare(_ weights: [[Int32]], image: Int) -> Double {
        let expected = binomialBins(n: images, p: 1 / Double(images)).map { $0 * Double(weights.count) }
        var observed = [Double](repeating: 0, count: 5)
        for row in weights { observed[min(Int(row[image]), 4)] += 1 }
        return zip(observed, expected).map { ($0 - $1) * ($0 - $1) / $1 }.reduce(0, +)
    }

    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count)
        let my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    /// The 0.999 quantile of chi-square with 4 degrees of freedom.
    static let critical4 = 18.467

    @Test(arguments: [UInt64(0), 7, 2026])
    func oneImageWeightFollowsTheBinomial(seed: UInt64) {
        let weights = Self.independent(seed: seed)
        for image in [0, 250, 499] {
            let statistic = Self.chiSquare(weights, image: image)
            #expect(statistic < Self.critical4, "image \(image): chi-square \(statistic)")
        }
        // The overlapping streams fail the same test.
        let flawed = Self.overlapping(seed: seed)
        #expect([0, 250, 499].contains { Self.chiSquare(flawed, image: $0) > Self.critical4 })
    }

    @Test func weightsSumToTheImageCountAndEveryImageIsDrawnAlike() {
        let weights = Self.independent(seed: 3)
        #expect(weights.allSatisfy { $0.reduce(0, +) == Int32(Self.images) })
        // Each image's total over all replicates is Binomial(n R, 1/n); together, chi-square with n - 1 degrees of
        // freedom (critical value at 0.001 by the Wilson-Hilferty approximation).
        let mean = Double(Self.replicates)
        var statistic = 0.0
        for image in 0..<Self.images {
            let total = Double(weights.reduce(0) { $0 + Int($1[image]) })
            statistic += (total - mean) * (total - mean) / mean
        }
        let k = Double(Self.images - 1)
        let critical = k * pow(1 - 2 / (9 * k) + 3.0902 * (2 / (9 * k)).squareRoot(), 3)
        #expect(statistic < critical, "chi-square \(statistic), critical \(critical)")
    }

    @Test(arguments: [UInt64(0), 11])
    func weightsAreUncorrelatedAcrossImagesAndReplicates(seed: UInt64) {
        let weights = Self.independent(seed: seed)
        let image0 = weights.map { Double($0[0]) }
        let image1 = weights.map { Double($0[1]) }
        // Multinomial counts correlate at -1 / (n - 1) = -0.002; the standard error over 2000 replicates is 0.022.
        #expect(abs(Self.correlation(image0, image1)) < 0.1)
        let next = Array(image0.dropFirst())
        #expect(abs(Self.correlation(Array(image0.dropLast()), next)) < 0.1)
        // The overlapping streams: consecutive replicates are near-copies.
        let flawed = Self.overlapping(seed: seed).map { Double($0[0]) }
        #expect(Self.correlation(Array(flawed.dropLast()), Array(flawed.dropFirst())) > 0.9)
    }

    @Test func replicatesDependOnTheSeedAndTheirNumberOnly() {
        let first = ReplicateWeights.weights(seed: 5, replicate: 17, imageCount: 100)
        #expect(first == ReplicateWeights.weights(seed: 5, replicate: 17, imageCount: 100))
        #expect(first != ReplicateWeights.weights(seed: 5, replicate: 18, imageCount: 100))
        #expect(first != ReplicateWeights.weights(seed: 6, replicate: 17, imageCount: 100))
    }
}

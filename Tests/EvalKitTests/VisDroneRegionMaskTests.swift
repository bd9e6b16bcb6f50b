import Testing

@testable import EvalKit

@Suite struct VisDroneRegionMaskTests {
    /// The toolkit's own construction: paint the H x W mask, integrate it (`createIntImg.m`).
    struct PaintedMask {
        var width: Int
        var height: Int
        var integral: [Int]

        init(width: Int, height: Int, regions: [(x: Double, y: Double, width: Double, height: Double)]) {
            self.width = width
            self.height = height
            var mask = [Int](repeating: 0, count: width * height)
            for region in regions {
                let x = Int(max(1, region.x))
                let y = Int(max(1, region.y))
                let w = Int(max(1, region.width))
                let h = Int(max(1, region.height))
                guard y <= min(height, y + h), x <= min(width, x + w) else { continue }
                for row in y...min(height, y + h) {
                    for column in x...min(width, x + w) { mask[(row - 1) * width + column - 1] = 1 }
                }
            }
            integral = mask
            for row in 0..<height {
                for column in 0..<width {
                    let up = row > 0 ? integral[(row - 1) * width + column] : 0
                    let left = column > 0 ? integral[row * width + column - 1] : 0
                    let diagonal = row > 0 && column > 0 ? integral[(row - 1) * width + column - 1] : 0
                    integral[row * width + column] += up + left - diagonal
                }
            }
        }

        func value(row: Int, column: Int) -> Int { integral[(row - 1) * width + column - 1] }
    }

    @Test func compressedIntegralEqualsThePaintedOneEverywhere() throws {
        var generator = VisDroneTestRandom(seed: 7)
        for _ in 0..<200 {
            let width = Int.random(in: 1...40, using: &generator)
            let height = Int.random(in: 1...40, using: &generator)
            let regions = (0..<Int.random(in: 1...4, using: &generator)).map { _ in
                (
                    x: Double(Int.random(in: -3...45, using: &generator)),
                    y: Double(Int.random(in: -3...45, using: &generator)),
                    width: Double(Int.random(in: -2...30, using: &generator)),
                    height: Double(Int.random(in: -2...30, using: &generator))
                )
            }
            let painted = PaintedMask(width: width, height: height, regions: regions)
            let mask = try #require(VisDroneRegionMask(width: width, height: height, regions: regions))
            for row in 1...height {
                for column in 1...width {
                    #expect(
                        mask.integral(row: row, column: column) == painted.value(row: row, column: column),
                        "\(width)x\(height) \(regions) at (\(row), \(column))")
                }
            }
        }
    }

    @Test func clampsFollowTheToolkit() throws {
        // Region columns 49...100 (clamped to the width), all rows.
        let mask = try #require(
            VisDroneRegionMask(width: 100, height: 100, regions: [(x: 49, y: 1, width: 60, height: 99)]))
        #expect(mask.drops(x: 43, y: 10, width: 10, height: 10))  // columns 44...53: 5 of 10 masked
        #expect(!mask.drops(x: 42, y: 10, width: 10, height: 10))  // 4 of 10
        #expect(mask.drops(x: 42.5, y: 10, width: 10, height: 10))  // rounds half away from zero to 43
        #expect(!mask.drops(x: 42.4, y: 10, width: 10.4, height: 10))
        // The far corner is clamped to the image but the area is not: at x = 95 columns 96...100 are counted, 50
        // of 100 (dropped); at x = 96 only 40 of 100, so a box wholly inside the region is kept.
        #expect(mask.drops(x: 95, y: 10, width: 10, height: 10))
        #expect(!mask.drops(x: 96, y: 10, width: 10, height: 10))
        // A box beyond the image is clamped to its last pixel and has 0 masked pixels over w * h: kept.
        #expect(!mask.drops(x: 500, y: 500, width: 10, height: 10))
        #expect(VisDroneRegionMask(width: 100, height: 100, regions: []) == nil)
        #expect(VisDroneRegionMask(width: 0, height: 100, regions: [(x: 1, y: 1, width: 5, height: 5)]) == nil)
    }
}

/// A small deterministic generator for reproducible random cases.
struct VisDroneTestRandom: RandomNumberGenerator {
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

/// SplitMix64 (Steele, Lea and Flood 2014): a small, fast, seedable generator; the same seed gives the same
/// stream on every platform. Used here to seed other generators and in tests, not to draw replicates.
public struct SplitMix64: Sendable {
    private var state: UInt64

    /// The stream whose first output is `mix(seed + γ)`.
    public init(seed: UInt64) { state = seed }

    /// The next output: the state advanced by the golden-ratio increment, then mixed.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform in `0..<bound` (Lemire's multiply-and-reject).
    public mutating func next(below bound: UInt64) -> UInt64 {
        uniform(below: bound) { next() }
    }

    /// SplitMix64's output function (Stafford's variant 13 of the MurmurHash3 finalizer): a bijection of 64-bit
    /// words in which every input bit affects every output bit.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}

/// xoshiro256** (Blackman and Vigna 2018): 256 bits of state, period 2^256 - 1, passes BigCrush. Each bootstrap
/// replicate draws from one of these, seeded as its authors recommend: with SplitMix64 output.
public struct Xoshiro256StarStar: Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// The generator whose state is the next four outputs of `seeder` (never all zero: SplitMix64 is a bijection
    /// of consecutive distinct states, so four consecutive outputs cannot all be 0).
    public init(seeder: inout SplitMix64) {
        s0 = seeder.next()
        s1 = seeder.next()
        s2 = seeder.next()
        s3 = seeder.next()
    }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 &<< 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    /// Uniform in `0..<bound` (Lemire's multiply-and-reject): no modulo bias.
    @inline(__always)
    public mutating func next(below bound: UInt64) -> UInt64 {
        uniform(below: bound) { next() }
    }

    @inline(__always)
    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value &<< count) | (value &>> (64 &- count))
    }
}

/// Lemire's nearly divisionless method: the high word of `random * bound`, redrawn in the rare case the low word
/// falls in the biased zone.
@inline(__always)
func uniform(below bound: UInt64, _ next: () -> UInt64) -> UInt64 {
    precondition(bound > 0, "uniform(below:) needs a positive bound")
    var product = next().multipliedFullWidth(by: bound)
    if product.low < bound {
        let threshold = (0 &- bound) % bound
        while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
    }
    return product.high
}

/// The image weights of the bootstrap's replicates: replicate `r` draws as many images as there are, uniformly
/// with replacement, and an image's weight is the number of times it was drawn.
///
/// Replicates are independent: replicate `r` draws from its own xoshiro256** generator, whose 256-bit state is
/// seeded by SplitMix64 from `key(seed, r) = mix(mix(seed) ^ mix(r + 1))` (`mix` = SplitMix64's finalizer, a
/// bijection). Distinct replicates get unrelated keys, and their streams start at unrelated points of a period of
/// 2^256, so no replicate replays another's draws (the chance that two of a million replicates' streams even
/// touch is below 2^-200). A replicate's weights depend on the seed and its number only, so the output is the
/// same for a seed whatever the number of threads that compute it.
public enum ReplicateWeights {
    /// The generator of replicate `replicate` under `seed`.
    public static func generator(seed: UInt64, replicate: Int) -> Xoshiro256StarStar {
        let key = SplitMix64.mix(SplitMix64.mix(seed) ^ SplitMix64.mix(UInt64(truncatingIfNeeded: replicate) &+ 1))
        var seeder = SplitMix64(seed: key)
        return Xoshiro256StarStar(seeder: &seeder)
    }

    /// Writes replicate `replicate`'s weights into `weights` (one per image; they sum to `weights.count`).
    public static func fill(_ weights: UnsafeMutableBufferPointer<Int32>, seed: UInt64, replicate: Int) {
        let count = weights.count
        guard count > 0 else { return }
        weights.update(repeating: 0)
        var random = generator(seed: seed, replicate: replicate)
        let bound = UInt64(count)
        for _ in 0..<count { weights[Int(truncatingIfNeeded: random.next(below: bound))] &+= 1 }
    }

    /// Replicate `replicate`'s weights for `imageCount` images.
    public static func weights(seed: UInt64, replicate: Int, imageCount: Int) -> [Int32] {
        var weights = [Int32](repeating: 0, count: imageCount)
        weights.withUnsafeMutableBufferPointer { fill($0, seed: seed, replicate: replicate) }
        return weights
    }
}

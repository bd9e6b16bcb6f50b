/// Decimal to binary conversion of the numbers `JSONReader` reads: `mantissa * 10^exponent` to the nearest
/// Double (ties to even), exactly as a correctly rounded `strtod` would, so that values match Python's.
///
/// Three tiers: Clinger's exact fast path (a mantissa up to 2^53 and a power of ten up to 1e22 are both
/// exact Doubles, so one IEEE multiplication or division rounds correctly); the Eisel-Lemire algorithm
/// (a 64x128-bit product with the truncated power of ten, which gives up on the rare inputs too close to a
/// halfway point to decide); and Swift's `Double(String)` (the C library's correctly rounded `strtod`) for
/// what is left: more than 19 significant digits, subnormals, overflow.
enum DecimalConversion {
    /// 1e0 ... 1e22: every one is exactly representable.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The correctly rounded Double of `(isNegative ? -1 : 1) * mantissa * 10^exponent` where the mantissa
    /// holds every significant digit, or nil when the fast tiers cannot decide (use `slowDouble`).
    @inline(__always)
    static func double(mantissa: UInt64, exponent: Int, isNegative: Bool) -> Double? {
        if mantissa == 0 { return isNegative ? -0.0 : 0.0 }
        if mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            let value = Double(mantissa)
            let result =
                exponent >= 0
                ? value * exactPowersOfTen[exponent]
                : value / exactPowersOfTen[-exponent]
            return isNegative ? -result : result
        }
        return eiselLemire(mantissa: mantissa, exponent: exponent, isNegative: isNegative)
    }

    /// The Eisel-Lemire conversion (after Go's strconv `eiselLemire64` and Nigel Tao's write-up of it), or nil
    /// when the product is too close to a halfway point, or the result is subnormal or overflows.
    static func eiselLemire(mantissa: UInt64, exponent: Int, isNegative: Bool) -> Double? {
        guard mantissa != 0, powersOfTenRange.contains(exponent) else { return nil }
        // Normalize the mantissa so its top bit is set.
        let leadingZeros = mantissa.leadingZeroBitCount
        let normalized = mantissa << UInt64(leadingZeros)
        // 217706 / 65536 ~ log2(10): the binary exponent of the power of ten.
        var binaryExponent = UInt64(truncatingIfNeeded: ((217_706 &* exponent) >> 16) &+ 64 &+ 1023)
        binaryExponent &-= UInt64(leadingZeros)

        let row = (exponent - powersOfTenRange.lowerBound) * 2
        let powerHigh = powersOfTen[row]
        let powerLow = powersOfTen[row + 1]
        var (productHigh, productLow) = normalized.multipliedFullWidth(by: powerHigh)
        // When the low bits that decide rounding are all ones, take the next 64 bits of the power into account.
        if productHigh & 0x1FF == 0x1FF && productLow &+ normalized < normalized {
            let (wideHigh, wideLow) = normalized.multipliedFullWidth(by: powerLow)
            var mergedHigh = productHigh
            let mergedLow = productLow &+ wideHigh
            if mergedLow < productLow { mergedHigh &+= 1 }
            if mergedHigh & 0x1FF == 0x1FF && mergedLow &+ 1 == 0 && wideLow &+ normalized < normalized {
                return nil
            }
            productHigh = mergedHigh
            productLow = mergedLow
        }
        // Shift to 54 bits.
        let topBit = productHigh >> 63
        var resultMantissa = productHigh >> (topBit + 9)
        binaryExponent &-= 1 ^ topBit
        // Exactly halfway between two Doubles: cannot tell which way the discarded digits tip it.
        if productLow == 0 && productHigh & 0x1FF == 0 && resultMantissa & 3 == 1 { return nil }
        // Round to 53 bits, ties to even.
        resultMantissa &+= resultMantissa & 1
        resultMantissa >>= 1
        if resultMantissa >> 53 > 0 {
            resultMantissa >>= 1
            binaryExponent &+= 1
        }
        // Zero (or wrapped below zero) is subnormal territory, 0x7FF and above is infinity.
        if binaryExponent &- 1 >= 0x7FF - 1 { return nil }
        var bits = binaryExponent << 52 | resultMantissa & 0x000F_FFFF_FFFF_FFFF
        if isNegative { bits |= 1 << 63 }
        return Double(bitPattern: bits)
    }

    /// The correctly rounded Double of a JSON number token (already checked to be well formed), by way of
    /// the C library; for the inputs `double(mantissa:exponent:isNegative:)` leaves.
    static func slowDouble(_ token: UnsafeBufferPointer<UInt8>) -> Double {
        // A well-formed JSON number is always a valid Swift float literal; overflow gives infinity.
        Double(String(decoding: token, as: UTF8.self)) ?? .nan
    }
}

extension JSONReader {
    // MARK: - Numbers

    /// Reads a number as the correctly rounded Double (see `DecimalConversion`). Also accepts the bare tokens
    /// `NaN`, `Infinity` and `-Infinity` that Python's `json.dump` writes, so later checks can report them.
    /// `what` names the value for the message when it is not a number.
    @inline(__always)
    mutating func readDouble(_ what: @autoclosure () -> String) throws(ReadError) -> Double {
        skipWhitespace()
        guard position < buffer.count else { throw endOfInput() }
        let byte = buffer[position]
        guard
            byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "N")
                || byte == UInt8(ascii: "I")
        else {
            throw typeMismatch(what(), expected: "a number")
        }
        return try scanNumber()
    }

    /// Reads a number that must be a whole number within Int64: `7`, `-3`, also `7.0` and `7e2`, not `7.5`.
    /// `what` names the value for the message when it is not.
    @inline(__always)
    mutating func readInt64(_ what: @autoclosure () -> String) throws(ReadError) -> Int64 {
        skipWhitespace()
        let count = buffer.count
        let start = position
        var index = start
        let isNegative = index < count && buffer[index] == UInt8(ascii: "-")
        if isNegative { index += 1 }
        let firstDigit = index
        var magnitude: UInt64 = 0
        while index < count {
            let digit = buffer[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            if index - firstDigit < 19 { magnitude = magnitude &* 10 &+ UInt64(digit) }
            index += 1
        }
        let digits = index - firstDigit
        let continues =
            index < count && (buffer[index] == UInt8(ascii: ".") || buffer[index] | 0x20 == UInt8(ascii: "e"))
        if digits > 0 && digits <= 19 && !continues && (digits == 1 || buffer[firstDigit] != UInt8(ascii: "0")) {
            let limit = isNegative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
            if magnitude <= limit {
                position = index
                return isNegative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
            }
        }
        // The rare cases: a fraction or exponent, out of range, another type, or a syntax error.
        guard try peekKind() == .number else { throw typeMismatch(what(), expected: "an integer") }
        let value = try scanNumber()
        if let integer = Int64(exactly: value) { return integer }
        let token = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self)
        let problem =
            value.isFinite && value == value.rounded()
            ? "\(what()) is \(token), outside the 64-bit integer range"
            : "\(what()) is \(token), expected an integer"
        throw .malformed(location(ofOffset: start), problem: problem, fix: "write a whole number")
    }

    /// Reads an array of exactly four numbers (a box). `what` names the array for messages; `layout` says
    /// what the four numbers are, for the fix.
    @inline(__always)
    mutating func readFourNumbers(
        _ what: @autoclosure () -> String, layout: StaticString = "[x, y, width, height]"
    ) throws(ReadError) -> (Double, Double, Double, Double) {
        try beginArray(what())
        let arrayStart = position - 1
        var values = (0.0, 0.0, 0.0, 0.0)
        var count = 0
        while try nextElement() {
            let value = try readDouble("\(what())[\(count)]")
            switch count {
            case 0: values.0 = value
            case 1: values.1 = value
            case 2: values.2 = value
            case 3: values.3 = value
            default: break
            }
            count += 1
        }
        guard count == 4 else {
            throw .malformed(
                location(ofOffset: arrayStart), problem: "\(what()) has \(count) numbers, expected 4",
                fix: "write it as \(layout)")
        }
        return values
    }

    /// Converts the number token at the reader (which starts with `-`, a digit, `N` or `I`).
    @inline(__always)
    mutating func scanNumber() throws(ReadError) -> Double {
        let start = position
        let count = buffer.count
        var index = position
        let isNegative = buffer[index] == UInt8(ascii: "-")
        if isNegative {
            index += 1
            guard index < count else { throw endOfInput() }
        }
        let integerStart = index
        guard buffer[index] &- UInt8(ascii: "0") < 10 else {
            position = index
            return try scanNonFinite(isNegative: isNegative)
        }
        // Accumulate every digit; with at most 19 of them the mantissa is exact, and the value is
        // mantissa * 10^exponent.
        var mantissa: UInt64 = 0
        while index < count {
            let digit = buffer[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            index += 1
        }
        let integerDigits = index - integerStart
        if integerDigits > 1 && buffer[integerStart] == UInt8(ascii: "0") {
            throw .invalidJSON(location(ofOffset: start), reason: "a number with a leading zero")
        }
        var fractionDigits = 0
        if index < count && buffer[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < count {
                let digit = buffer[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                index += 1
            }
            fractionDigits = index - fractionStart
            guard fractionDigits > 0 else {
                throw index < count
                    ? unexpectedCharacter(at: index, expected: "a digit after the decimal point") : endOfInput()
            }
        }
        var exponent = -fractionDigits
        if index < count && buffer[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            exponent += try scanExponent(&index)
        }
        position = index
        if integerDigits + fractionDigits <= 19 {
            if let value = DecimalConversion.double(mantissa: mantissa, exponent: exponent, isNegative: isNegative) {
                return value
            }
        } else if let significant = significantDigits(integerStart, integerDigits, fractionDigits),
            let value = DecimalConversion.double(
                mantissa: significant.mantissa, exponent: exponent + significant.exponentShift,
                isNegative: isNegative)
        {
            return value
        }
        return DecimalConversion.slowDouble(UnsafeBufferPointer(rebasing: buffer[start..<index]))
    }

    /// For a number with more than 19 digits: its first 19 significant digits (leading zeros dropped) as a
    /// mantissa, and the count of digits dropped after them (the power of ten to scale by); nil when a
    /// dropped digit is not zero, since the mantissa would then not be exact.
    private func significantDigits(
        _ integerStart: Int, _ integerDigits: Int, _ fractionDigits: Int
    ) -> (mantissa: UInt64, exponentShift: Int)? {
        var mantissa: UInt64 = 0
        var taken = 0
        var dropped = 0
        let fractionStart = integerStart + integerDigits + 1
        for range in [integerStart..<integerStart + integerDigits, fractionStart..<fractionStart + fractionDigits] {
            for offset in range {
                let digit = buffer[offset] &- UInt8(ascii: "0")
                if mantissa == 0 && digit == 0 { continue }
                if taken < 19 {
                    mantissa = mantissa * 10 + UInt64(digit)
                    taken += 1
                } else if digit == 0 {
                    dropped += 1
                } else {
                    return nil
                }
            }
        }
        return (mantissa, dropped)
    }

    /// Reads the signed decimal exponent after `e`, saturating far beyond any Double's range.
    private func scanExponent(_ index: inout Int) throws(ReadError) -> Int {
        let count = buffer.count
        guard index < count else { throw endOfInput() }
        var isNegative = false
        if buffer[index] == UInt8(ascii: "-") || buffer[index] == UInt8(ascii: "+") {
            isNegative = buffer[index] == UInt8(ascii: "-")
            index += 1
            guard index < count else { throw endOfInput() }
        }
        var digit = buffer[index] &- UInt8(ascii: "0")
        guard digit < 10 else { throw unexpectedCharacter(at: index, expected: "a digit in the exponent") }
        var value = 0
        repeat {
            if value < 1_000_000 { value = value * 10 + Int(digit) }
            index += 1
            guard index < count else { break }
            digit = buffer[index] &- UInt8(ascii: "0")
        } while digit < 10
        return isNegative ? -value : value
    }

    /// Reads `NaN`, `Infinity` (after an optional minus sign already consumed).
    private mutating func scanNonFinite(isNegative: Bool) throws(ReadError) -> Double {
        if !isNegative, try matchLiteral("NaN") { return .nan }
        if try matchLiteral("Infinity") { return isNegative ? -.infinity : .infinity }
        throw unexpectedCharacter(expected: isNegative ? "a digit after '-'" : "a number")
    }

    /// Moves past a number token, checking its syntax without converting it.
    mutating func skipNumber() throws(ReadError) {
        let count = buffer.count
        var index = position
        let isNegative = buffer[index] == UInt8(ascii: "-")
        if isNegative {
            index += 1
            guard index < count else { throw endOfInput() }
        }
        @inline(__always) func isDigit(_ index: Int) -> Bool {
            index < count && buffer[index] &- UInt8(ascii: "0") < 10
        }
        guard isDigit(index) else {
            position = index
            _ = try scanNonFinite(isNegative: isNegative)
            return
        }
        if buffer[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) {
                throw .invalidJSON(location(ofOffset: position), reason: "a number with a leading zero")
            }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < count && buffer[index] == UInt8(ascii: ".") {
            index += 1
            guard index < count else { throw endOfInput() }
            guard isDigit(index) else {
                throw unexpectedCharacter(at: index, expected: "a digit after the decimal point")
            }
            while isDigit(index) { index += 1 }
        }
        if index < count && buffer[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            _ = try scanExponent(&index)
        }
        position = index
    }
}

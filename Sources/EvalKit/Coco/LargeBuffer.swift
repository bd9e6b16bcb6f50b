#if canImport(Glibc)
    import Glibc
#endif

/// Hints for large result buffers (Linux with glibc; elsewhere they do nothing).
enum LargeBuffer {
    /// Asks Linux to back the untouched buffer with 2 MiB pages where it allows it (transparent huge pages in
    /// `madvise` mode): writing a 40 MB array then takes 20 page faults instead of 10,000. A hint only; the
    /// contents and the results do not depend on it.
    static func preferHugePages<Element>(_ buffer: UnsafeMutablePointer<Element>, count: Int) {
        #if canImport(Glibc)
            let hugePage = 2 << 20
            let byteCount = count * MemoryLayout<Element>.stride
            guard byteCount >= 2 * hugePage else { return }
            let address = Int(bitPattern: buffer)
            let start = (address + hugePage - 1) & ~(hugePage - 1)
            let end = (address + byteCount) & ~(hugePage - 1)
            guard end > start, let region = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(region, end - start, Int32(MADV_HUGEPAGE))
        #endif
    }
}

/// Debug builds: checks that buffers created uninitialized (to skip a fill that a benchmark showed costs time)
/// were written everywhere. Release builds compile these to nothing.
enum UnwrittenSlots {
    /// A NaN whose payload no arithmetic produces: a slot still holding it was never written.
    static let marker = Double(bitPattern: 0x7FF4_0BAD_5107_5107)

    /// Fills `count` slots with the marker (debug builds only).
    static func mark(_ buffer: UnsafeMutablePointer<Double>, count: Int) {
        #if DEBUG
            buffer.initialize(repeating: marker, count: count)
        #endif
    }

    /// Asserts that none of `count` slots still holds the marker (debug builds only).
    static func assertWritten(_ buffer: UnsafePointer<Double>, count: Int, _ what: @autoclosure () -> String) {
        #if DEBUG
            for index in 0..<count where buffer[index].bitPattern == marker.bitPattern {
                assertionFailure("\(what()): slot \(index) of \(count) was never written")
            }
        #endif
    }

    /// Asserts that the non-negative `positions` are `0..<count`, each once: a scatter through them writes every
    /// slot (debug builds only).
    static func assertPermutation(_ positions: [Int32], count: Int, _ what: @autoclosure () -> String) {
        #if DEBUG
            var seen = [Bool](repeating: false, count: count)
            var written = 0
            for position in positions where position >= 0 {
                assert(Int(position) < count && !seen[Int(position)], "\(what()): slot \(position) written twice")
                seen[Int(position)] = true
                written += 1
            }
            assert(written == count, "\(what()): \(count - written) of \(count) slots never written")
        #endif
    }
}

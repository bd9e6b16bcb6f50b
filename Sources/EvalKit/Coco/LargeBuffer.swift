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

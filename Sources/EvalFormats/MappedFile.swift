#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A regular file mapped read-only, for readers that pass over it once: each hands the pages it has passed back
/// to the kernel (`release`), so a 500 MB results file never sits in memory whole. A page read again after its
/// release comes back from the page cache (a second pass, such as the hash after the parse, or a message that
/// needs an earlier line). The mapping lives as long as the object.
public final class MappedFile: @unchecked Sendable {
    /// The file's bytes.
    public let bytes: UnsafeBufferPointer<UInt8>
    private let base: UnsafeMutableRawPointer
    private let length: Int

    /// Maps the file at `path`. Nil when it is not a non-empty regular file that can be mapped: the caller reads it
    /// the ordinary way, which names the problem.
    public init?(path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else { return nil }
        length = Int(info.st_size)
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
            return nil
        }
        base = mapped
        // Readers go through it front to back (each over its own part).
        _ = madvise(mapped, length, Int32(MADV_SEQUENTIAL))
        bytes = UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: length)
    }

    deinit {
        munmap(base, length)
    }

    /// Hands the whole pages inside `range` back to the kernel: a reader that has passed them (and no other
    /// reader still needs them) says so. Safe to call from several threads.
    public func release(_ range: Range<Int>) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lower = (range.lowerBound + pageSize - 1) / pageSize * pageSize
        let upper = range.upperBound >= length ? length : range.upperBound / pageSize * pageSize
        guard upper > lower else { return }
        _ = madvise(base + lower, upper - lower, Int32(MADV_DONTNEED))
    }
}

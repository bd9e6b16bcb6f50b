#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A regular file mapped read-only, for readers that pass over it once: the pages every reader has passed are
/// handed back to the kernel as they go, so a 500 MB results file never sits in memory whole (it is read again
/// from the page cache if a message needs an earlier line).
///
/// Each of `readers` parallel readers reports how far it got with `advance(reader:to:)`; the pages below the
/// slowest reader are released, and a reader more than `window` bytes ahead of the slowest waits there, so that
/// the pages between them stay few (a hash runs ahead of the parser by hundreds of MB otherwise). A reader that
/// stops early (an error) must still advance to the end, which frees the others. The mapping lives as long as the
/// object.
public final class MappedFile: @unchecked Sendable {
    /// The file's bytes.
    public let bytes: UnsafeBufferPointer<UInt8>
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when a reader advances.
    private let advanced: UnsafeMutablePointer<pthread_cond_t>
    /// Guarded by `lock`.
    private var positions: [Int]
    private var released = 0
    /// Pages are released in steps of this many bytes at least, so that `madvise` is called a few hundred times.
    private static let step = 4 << 20
    /// How far a reader may run ahead of the slowest one.
    public static let window = 32 << 20

    /// Maps the file at `path` for `readers` readers. Nil when it is not a non-empty regular file that can be
    /// mapped: the caller reads it the ordinary way, which names the problem.
    public init?(path: String, readers: Int) {
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
        _ = madvise(mapped, length, Int32(MADV_SEQUENTIAL))
        bytes = UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: length)
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
        advanced = .allocate(capacity: 1)
        advanced.initialize(to: pthread_cond_t())
        pthread_cond_init(advanced, nil)
        positions = [Int](repeating: 0, count: max(1, readers))
    }

    deinit {
        munmap(base, length)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        pthread_cond_destroy(advanced)
        advanced.deallocate()
    }

    /// Records that `reader` has read everything below `offset`, releases the pages every reader has passed, and
    /// waits while `reader` is more than `window` bytes ahead of the slowest reader.
    public func advance(reader: Int, to offset: Int) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        positions[reader] = max(positions[reader], min(offset, length))
        pthread_cond_broadcast(advanced)
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let front = (positions.min() ?? 0) / pageSize * pageSize
        if front - released >= Self.step || (front == length / pageSize * pageSize && front > released) {
            _ = madvise(base + released, front - released, Int32(MADV_DONTNEED))
            released = front
        }
        while positions[reader] < length && positions[reader] - (positions.min() ?? 0) > Self.window {
            pthread_cond_wait(advanced, lock)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Two pieces of work run at the same time, one on the calling thread and one on a thread of its own.
///
/// `DispatchQueue.concurrentPerform` runs its iterations one after another when the machine has one core (and
/// when its threads are all busy), which is fine for independent work but hangs work where one side waits for the
/// other, such as the parser and the hash reading one mapped file within a window of each other. Here the two
/// always run side by side, whatever the number of cores.
public enum SideBySide {
    /// Runs `first` on the calling thread and `second` on a new thread; returns when both have returned. Returns
    /// false, having run neither, when no thread could be started.
    @discardableResult
    public static func run(_ first: () -> Void, _ second: () -> Void) -> Bool {
        withoutActuallyEscaping(second) { second in
            let box = Unmanaged.passRetained(Work(second)).toOpaque()
            #if canImport(Glibc)
                var thread = pthread_t()
            #else
                var thread: pthread_t?
            #endif
            let created = pthread_create(
                &thread, nil,
                { raw in
                    guard let raw else { return nil }
                    Unmanaged<Work>.fromOpaque(raw).takeRetainedValue().body()
                    return nil
                }, box)
            guard created == 0 else {
                Unmanaged<Work>.fromOpaque(box).release()
                return false
            }
            first()
            #if canImport(Glibc)
                pthread_join(thread, nil)
            #else
                if let thread { pthread_join(thread, nil) }
            #endif
            return true
        }
    }

    /// The second piece of work, handed to its thread.
    private final class Work: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Two pieces of work run at the same time, one on the calling thread and one on a thread of its own.
///
/// `DispatchQueue.concurrentPerform` runs its iterations one after another when the machine has one core (and
/// when its threads are all busy), which is fine for independent work but hangs work where one side waits for the
/// other, such as the two halves of a split parse, where the first waits for the second's rows. Here the two
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

/// Work started now on a thread of its own and waited for later: `value()` returns its result, waiting for it
/// when it is still running. When no thread can be started, the work runs inside the first `value()` call.
public final class Background<Value: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    /// Guarded by `lock`.
    private var result: Value?
    private var pending: (@Sendable () -> Value)?
    private var thread: Thread?

    /// Starts `body`.
    public init(_ body: @escaping @Sendable () -> Value) {
        pending = body
        thread = Thread { [self] in
            let value = body()
            lock.withLock {
                if result == nil { result = value }
                pending = nil
                lock.broadcast()
            }
        }
    }

    /// A value that is already known.
    public init(ready value: Value) {
        result = value
    }

    /// The work's result, once it has finished.
    public func value() -> Value {
        if thread?.isRunning != true {
            // No thread: run the work here, once.
            lock.withLock {
                if result == nil, let pending { result = pending() }
            }
        }
        return lock.withLock {
            while result == nil { lock.wait() }
            return result!
        }
    }
}

/// A POSIX thread running a closure, joined when the object goes.
private final class Thread: @unchecked Sendable {
    private var handle = pthread_t()
    /// Whether the thread was started.
    private(set) var isRunning = false

    init(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        isRunning =
            pthread_create(
                &handle, nil,
                { raw in
                    guard let raw else { return nil }
                    Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
                    return nil
                }, box) == 0
        if !isRunning { Unmanaged<Box>.fromOpaque(box).release() }
    }

    deinit {
        guard isRunning else { return }
        // The last reference can go on the thread itself, as its closure is released.
        if pthread_equal(handle, pthread_self()) != 0 { pthread_detach(handle) } else { pthread_join(handle, nil) }
    }

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}

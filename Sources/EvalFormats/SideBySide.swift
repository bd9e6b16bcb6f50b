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
            let thread = PosixThread(second)
            guard thread.wasStarted else { return false }
            first()
            thread.join()
            return true
        }
    }
}

/// Work started now on a thread of its own and waited for later: `value()` returns its result, waiting for it
/// when it is still running. When no thread can be started, the work runs inside the first `value()` call.
public final class Background<Value: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    /// Guarded by `lock`.
    private var result: Value?
    private var pending: (@Sendable () -> Value)?
    private var thread: PosixThread?

    /// Starts `body`. The thread holds this object until the work is done.
    public init(_ body: @escaping @Sendable () -> Value) {
        pending = body
        thread = PosixThread { [self] in
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
        if thread?.wasStarted != true {
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

/// A POSIX thread running a closure: a thread of its own whatever the machine, unlike Dispatch's pool. Joined by
/// `join()`, or when the object goes.
private final class PosixThread: @unchecked Sendable {
    #if canImport(Glibc)
        private var handle = pthread_t()
    #else
        private var handle: pthread_t?
    #endif
    /// Whether the thread was started (false when the system refused one: the closure did not run).
    let wasStarted: Bool
    private var isJoined = false

    init(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        wasStarted =
            pthread_create(
                &handle, nil,
                { raw in
                    guard let raw else { return nil }
                    Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
                    return nil
                }, box) == 0
        if !wasStarted { Unmanaged<Box>.fromOpaque(box).release() }
    }

    /// Waits for the closure to return. Call from another thread, once.
    func join() {
        guard wasStarted, !isJoined else { return }
        isJoined = true
        #if canImport(Glibc)
            pthread_join(handle, nil)
        #else
            if let handle { pthread_join(handle, nil) }
        #endif
    }

    deinit {
        guard wasStarted, !isJoined else { return }
        // The last reference can go on the thread itself, as its closure is released: it cannot join itself.
        #if canImport(Glibc)
            if pthread_equal(handle, pthread_self()) != 0 { pthread_detach(handle) } else { join() }
        #else
            if let handle, pthread_equal(handle, pthread_self()) != 0 { pthread_detach(handle) } else { join() }
        #endif
    }

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}

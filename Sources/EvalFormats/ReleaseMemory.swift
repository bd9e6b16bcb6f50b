#if os(Linux)
    import CMemory
#endif

/// Returning memory to the system between phases of a large import.
public enum ReleaseMemory {
    /// Hands the heap's free pages back to the system (glibc keeps freed blocks for reuse, resident, unless told).
    /// Does nothing where the allocator returns them by itself.
    public static func returnFreedPages() {
        #if os(Linux)
            _ = malloc_trim(0)
        #endif
    }
}

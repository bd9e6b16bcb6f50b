#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File-system helpers shared by the readers: every failure becomes a `ReadError` naming the path.
public enum InputFiles {
    /// What is at a path.
    public enum Kind: Sendable { case missing, file, directory }

    /// What is at `path` (following symbolic links).
    public static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }

    /// Whether `path` is (or goes through) a loop of symbolic links.
    public static func isSymbolicLinkLoop(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) != 0 && errno == ELOOP
    }

    /// Whether `path` is a symbolic link whose target does not exist.
    public static func isDanglingSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return false }
        return stat(path, &info) != 0 && errno == ENOENT
    }

    /// The size of the file at `path` in bytes, or nil when it cannot be read.
    public static func size(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// Reads a whole file. Throws when the path is missing, a directory, unreadable or (unless
    /// `allowEmpty`) empty. `expected` names what the file should be, for the message.
    public static func readBytes(_ path: String, expected: String = "a file", allowEmpty: Bool = false)
        throws(ReadError)
        -> [UInt8]
    {
        switch kind(of: path) {
        case .missing: throw .notFound(path: path)
        case .directory: throw .isDirectory(path: path, expected: expected)
        case .file: break
        }
        guard let handle = fopen(path, "rb") else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var info = stat()
        if fstat(fileno(handle), &info) == 0, info.st_size > 0 {
            bytes.reserveCapacity(Int(info.st_size))
        }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, chunk, handle) }
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if n < chunk {
                if ferror(handle) != 0 {
                    throw .unreadable(path: path, reason: String(cString: strerror(errno)))
                }
                break
            }
        }
        if bytes.isEmpty && !allowEmpty { throw .empty(path: path) }
        return bytes
    }

    /// The names (not paths) of the entries of a directory, sorted by byte order, hidden entries left out.
    public static func list(_ directory: String, expected: String = "a folder") throws(ReadError) -> [String] {
        switch kind(of: directory) {
        case .missing: throw .notFound(path: directory)
        case .file: throw .notDirectory(path: directory, expected: expected)
        case .directory: break
        }
        guard let dir = opendir(directory) else {
            throw .unreadable(path: directory, reason: String(cString: strerror(errno)))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// `directory/name`, without doubling the slash.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The lines of a text file, without line terminators (`\n`, `\r\n`), each with its 1-based number.
    /// Throws `.notText` at the first line holding a NUL byte or invalid UTF-8. An empty file yields no lines.
    public static func readLines(_ path: String) throws(ReadError) -> [(number: Int, text: Substring)] {
        let bytes = try readBytes(path, expected: "a text file", allowEmpty: true)
        return try lines(of: bytes, path: path)
    }

    /// Splits `bytes` into lines as `readLines` does.
    public static func lines(of bytes: [UInt8], path: String) throws(ReadError) -> [(number: Int, text: Substring)] {
        var result: [(number: Int, text: Substring)] = []
        var start = 0
        var number = 1
        var index = 0
        let count = bytes.count
        // Skip a UTF-8 byte-order mark.
        if count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            start = 3
            index = 3
        }
        while start < count {
            index = start
            while index < count && bytes[index] != 0x0A { index += 1 }
            var end = index
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            let slice = bytes[start..<end]
            if slice.contains(0) { throw .notText(path: path, line: number) }
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw .notText(path: path, line: number)
            }
            result.append((number, Substring(text)))
            number += 1
            start = index + 1
        }
        return result
    }
}

/// Why an input file or folder could not be read. Each `description` is one line for the user that names
/// the file, the place and the fix.
public enum ReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path does not exist.
    case notFound(path: String)
    /// A file was expected but the path is a directory.
    case isDirectory(path: String, expected: String)
    /// A folder was expected but the path is a file.
    case notDirectory(path: String, expected: String)
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file is empty.
    case empty(path: String)
    /// The file is not UTF-8 text (binary data or another encoding).
    case notText(path: String, line: Int)
    /// The JSON is not well formed (truncated, stray characters, ...).
    case invalidJSON(SourceLocation, reason: String)
    /// The content is well formed but not what the format needs (wrong type, missing field, bad value).
    case malformed(SourceLocation, problem: String, fix: String)
    /// The format could not be recognised from the path.
    case unknownFormat(path: String, reason: String)
    /// A TFRecord file's framing is broken at a record (1-based): a length or data CRC32C that does not match, or
    /// the file ending inside the record. `offset` says where, e.g. `byte 1234`.
    case corruptRecord(path: String, record: Int, offset: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            if InputFiles.isSymbolicLinkLoop(path) {
                return
                    "\(path): a loop of symbolic links (it never reaches a file); point the link at the real file or folder"
            }
            if InputFiles.isDanglingSymbolicLink(path) {
                return "\(path): a symbolic link to something that does not exist; point it at the real file or folder"
            }
            return "\(path): no such file or directory; check the path"
        case .isDirectory(let path, let expected):
            return "\(path): is a directory, expected \(expected); give the file inside it"
        case .notDirectory(let path, let expected):
            return "\(path): is a file, expected \(expected); give the folder that holds it"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason)); check its permissions"
        case .empty(let path):
            return "\(path): the file is empty; was it fully written?"
        case .notText(let path, let line):
            return "\(path):\(line): not UTF-8 text (binary data or another encoding); give the annotation file itself"
        case .invalidJSON(let location, let reason):
            return "\(location): invalid JSON: \(reason); is the file complete and valid JSON?"
        case .malformed(let location, let problem, let fix):
            return "\(location): \(problem); \(fix)"
        case .unknownFormat(let path, let reason):
            return "\(path): cannot tell the format (\(reason)); pass --format"
        case .corruptRecord(let path, let record, let offset, let reason):
            return
                "\(path): record \(record) (at \(offset)) is corrupt: \(reason); the file is damaged or was not fully written: write or copy it again"
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// libpq's password file (`~/.pgpass`, or `PGPASSFILE`): lines `hostname:port:database:username:password`, where
/// `*` matches anything and `\:` and `\\` are a literal colon and backslash; the first matching line wins. As libpq
/// does, a file that its group or others may read is ignored (with a note on stderr), so that a password is not
/// taken from a file others can see.
enum PassFile {
    /// The password of the first line matching the connection, or nil.
    static func password(path: String?, host: String, port: Int, database: String, user: String) -> String? {
        guard let path, let text = read(path) else { return nil }
        return password(in: text, host: host, port: port, database: database, user: user)
    }

    /// The password of the first line of `text` matching the connection, or nil.
    static func password(in text: String, host: String, port: Int, database: String, user: String) -> String? {
        let wanted = [host, String(port), database, user]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            if line.hasPrefix("#") { continue }
            let fields = split(line)
            guard fields.count == 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The fields of a line, with `\:` and `\\` unescaped.
    static func split(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }

    /// The file's text, or nil when it is missing, not a regular file, or readable by group or others.
    private static func read(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        if info.st_mode & (S_IRWXG | S_IRWXO) != 0 {
            let note =
                "note: password file \(path) is ignored: its group or others may read it; chmod 0600 \(path)\n"
            var text = note
            _ = text.withUTF8 { write(2, $0.baseAddress, $0.count) }
            return nil
        }
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

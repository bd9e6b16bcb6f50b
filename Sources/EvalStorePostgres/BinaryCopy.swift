import NIOCore

/// The stream of `COPY ... FROM STDIN (FORMAT binary)`: a header, one tuple per row (a field count, then each field
/// as a length and big-endian bytes), and a trailer; cut into chunks of about 1 MiB for the connection to send.
///
/// Binary COPY skips the server's text parsing of every number: a 500k-detection run is 9 fields × 500k rows.
struct BinaryCopy {
    private(set) var chunks: [ByteBuffer] = []
    private var buffer: ByteBuffer
    private let chunkSize = 1 << 20

    init() {
        buffer = ByteBufferAllocator().buffer(capacity: chunkSize + 1024)
        buffer.writeBytes(Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        buffer.writeInteger(Int32(0))  // flags
        buffer.writeInteger(Int32(0))  // header extension length
    }

    /// Starts a row of `fields` fields.
    mutating func row(_ fields: Int16) {
        if buffer.readableBytes >= chunkSize {
            chunks.append(buffer)
            buffer = ByteBufferAllocator().buffer(capacity: chunkSize + 1024)
        }
        buffer.writeInteger(fields)
    }

    mutating func int64(_ value: Int64) {
        buffer.writeInteger(Int32(8))
        buffer.writeInteger(value)
    }

    mutating func double(_ value: Double) {
        buffer.writeInteger(Int32(8))
        buffer.writeInteger(value.bitPattern)
    }

    mutating func null() { buffer.writeInteger(Int32(-1)) }

    mutating func int64(_ value: Int64?) {
        if let value { int64(value) } else { null() }
    }

    mutating func double(_ value: Double?) {
        if let value { double(value) } else { null() }
    }

    mutating func text(_ value: String?) {
        guard var text = value else { return null() }
        text.withUTF8 { bytes in
            buffer.writeInteger(Int32(bytes.count))
            buffer.writeBytes(bytes)
        }
    }

    /// The stream with its trailer.
    mutating func finish() -> [ByteBuffer] {
        buffer.writeInteger(Int16(-1))
        chunks.append(buffer)
        buffer = ByteBuffer()
        return chunks
    }
}

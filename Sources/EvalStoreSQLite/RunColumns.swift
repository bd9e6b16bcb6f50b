import EvalSQLite
import EvalKit

/// The packed copy of a run's detections (`run_columns`): seven little-endian 8-byte columns, in seq order,
/// so that evaluation reads a run with one BLOB instead of a row per detection.
enum RunColumns {
    static let columnCount = 7

    /// Packs detections whose images are given as `images.id` row ids.
    static func pack(_ detections: EvalDetections, imageRowIDs: [Int64]) -> [UInt8] {
        let n = detections.count
        var bytes = [UInt8](repeating: 0, count: n * 8 * columnCount)
        bytes.withUnsafeMutableBytes { raw in
            func store<T>(_ column: Int, _ values: [T]) {
                values.withUnsafeBytes { source in
                    raw.baseAddress!.advanced(by: column * n * 8).copyMemory(
                        from: source.baseAddress!, byteCount: source.count)
                }
            }
            guard n > 0 else { return }
            store(0, detections.image.map { imageRowIDs[Int($0)].littleEndian })
            store(1, detections.category.map { $0.littleEndian })
            store(2, detections.score.map { $0.bitPattern.littleEndian })
            store(3, detections.x.map { $0.bitPattern.littleEndian })
            store(4, detections.y.map { $0.bitPattern.littleEndian })
            store(5, detections.width.map { $0.bitPattern.littleEndian })
            store(6, detections.height.map { $0.bitPattern.littleEndian })
        }
        return bytes
    }

    /// Unpacks `count` detections, mapping `images.id` row ids to image positions. Nil when the bytes do not
    /// have the expected size or name an image outside the dataset.
    static func unpack(_ raw: UnsafeRawBufferPointer, count n: Int, index: ImageIndex) -> EvalDetections? {
        guard raw.count == n * 8 * columnCount else { return nil }
        func column<T>(_ column: Int, _ transform: (UInt64) -> T) -> [T] {
            [T](unsafeUninitializedCapacity: n) { buffer, initialized in
                for i in 0..<n {
                    buffer[i] = transform(
                        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: (column * n + i) * 8, as: UInt64.self)))
                }
                initialized = n
            }
        }
        /// An 8-byte column copied as is (the file's little-endian layout is the host's).
        func copied<T: BitwiseCopyable>(_ column: Int, as type: T.Type, _ transform: (UInt64) -> T) -> [T] {
            #if _endian(little)
                precondition(MemoryLayout<T>.size == 8)
                return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
                    if n > 0 {
                        UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(
                            from: raw.baseAddress! + column * n * 8, byteCount: n * 8)
                    }
                    initialized = n
                }
            #else
                return column(column, transform)
            #endif
        }
        var detections = EvalDetections()
        detections.image = column(0) { index.position(of: Int64(bitPattern: $0)) }
        guard !detections.image.contains(where: { $0 < 0 }) else { return nil }
        detections.category = copied(1, as: Int64.self) { Int64(bitPattern: $0) }
        detections.score = copied(2, as: Double.self) { Double(bitPattern: $0) }
        detections.x = copied(3, as: Double.self) { Double(bitPattern: $0) }
        detections.y = copied(4, as: Double.self) { Double(bitPattern: $0) }
        detections.width = copied(5, as: Double.self) { Double(bitPattern: $0) }
        detections.height = copied(6, as: Double.self) { Double(bitPattern: $0) }
        return detections
    }
}

/// Orders detections by descending score the way pycocotools does: `np.argsort(-scores, kind="mergesort")`,
/// a stable sort of the negated scores in which `-0.0 == 0.0` and NaN sorts last.
enum ScoreOrder {
    /// An integer whose ascending order is numpy's ascending order of `-score`; equal scores get equal keys.
    @inline(__always)
    static func key(_ score: Double) -> UInt64 {
        // Adding +0.0 turns the -0.0 of a zero score into +0.0, which numpy treats as equal anyway.
        let negated = -score + 0.0
        if negated.isNaN { return .max }
        let bits = negated.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// Sorts `keys[0..<count]` ascending, moving `payload` along; ties keep their order (insertion sort, for the
    /// short per-image lists).
    @inline(__always)
    static func insertionSort(keys: UnsafeMutablePointer<UInt64>, payload: UnsafeMutablePointer<Int32>, count: Int) {
        guard count > 1 else { return }
        for index in 1..<count {
            let key = keys[index]
            let value = payload[index]
            var slot = index
            while slot > 0 && keys[slot - 1] > key {
                keys[slot] = keys[slot - 1]
                payload[slot] = payload[slot - 1]
                slot -= 1
            }
            keys[slot] = key
            payload[slot] = value
        }
    }

    /// Sorts `keys[0..<count]` ascending with `payload`, ties in their current order, for lists of any length;
    /// `scratch` must hold `count` entries.
    static func stableSort(
        keys: UnsafeMutablePointer<UInt64>, payload: UnsafeMutablePointer<Int32>, count: Int, scratch: SortScratch
    ) {
        if count <= 24 {
            insertionSort(keys: keys, payload: payload, count: count)
            return
        }
        stableOrder(
            keys: keys, count: count, order: scratch.order, scratch: scratch.spare, histogram: scratch.histogram)
        for index in 0..<count {
            scratch.keys[index] = keys[Int(scratch.order[index])]
            scratch.payload[index] = payload[Int(scratch.order[index])]
        }
        keys.update(from: scratch.keys, count: count)
        payload.update(from: scratch.payload, count: count)
    }

    /// Writes to `order` the positions `0..<count` sorted by ascending `keys`, ties by position: an LSD radix
    /// sort on 8-bit digits that skips the digits all keys share. `scratch` holds `count` entries, `histogram`
    /// `histogramSize`.
    static func stableOrder(
        keys: UnsafePointer<UInt64>, count: Int, order: UnsafeMutablePointer<Int32>,
        scratch: UnsafeMutablePointer<Int32>, histogram: UnsafeMutablePointer<Int>
    ) {
        for index in 0..<count { order[index] = Int32(truncatingIfNeeded: index) }
        if count <= 24 {
            for index in 1..<max(count, 1) {
                let position = order[index]
                let key = keys[Int(position)]
                var slot = index
                while slot > 0 && keys[Int(order[slot - 1])] > key {
                    order[slot] = order[slot - 1]
                    slot -= 1
                }
                order[slot] = position
            }
            return
        }
        histogram.update(repeating: 0, count: histogramSize)
        for index in 0..<count {
            let key = keys[index]
            for digit in 0..<8 {
                histogram[digit &* 256 &+ Int((key &>> UInt64(digit &* 8)) & 0xFF)] &+= 1
            }
        }
        var source = order
        var target = scratch
        for digit in 0..<8 {
            let counts = histogram + digit * 256
            let shift = UInt64(digit * 8)
            let firstDigit = Int((keys[0] &>> shift) & 0xFF)
            if counts[firstDigit] == count { continue }
            var offset = 0
            for bucket in 0..<256 {
                let bucketCount = counts[bucket]
                counts[bucket] = offset
                offset += bucketCount
            }
            for index in 0..<count {
                let position = source[index]
                let bucket = Int((keys[Int(position)] &>> shift) & 0xFF)
                target[counts[bucket]] = position
                counts[bucket] &+= 1
            }
            swap(&source, &target)
        }
        if source != order { order.update(from: source, count: count) }
    }

    /// Counters `stableOrder` needs: 256 per byte of the key.
    static let histogramSize = 8 * 256
}

/// Reusable buffers for `ScoreOrder.stableSort`, for lists of up to `capacity` entries.
struct SortScratch {
    let order: UnsafeMutablePointer<Int32>
    let spare: UnsafeMutablePointer<Int32>
    let keys: UnsafeMutablePointer<UInt64>
    let payload: UnsafeMutablePointer<Int32>
    let histogram: UnsafeMutablePointer<Int>

    init(memory: CocoArena, capacity: Int) {
        order = memory.makeUninitialized(capacity, of: Int32.self)
        spare = memory.makeUninitialized(capacity, of: Int32.self)
        keys = memory.makeUninitialized(capacity, of: UInt64.self)
        payload = memory.makeUninitialized(capacity, of: Int32.self)
        histogram = memory.makeUninitialized(ScoreOrder.histogramSize, of: Int.self)
    }
}

/// The files of `evaldb demo`: a small VisDrone-DET dataset and two runs on it, generated from fixed seeds.
///
/// Only integer arithmetic, `+ - * /` and `rounded()` on doubles are used (no `log`, `exp` or Swift's random
/// APIs), so every platform writes the same bytes. Each image draws from its own stream, and every draw that
/// decides a detection is shared by both runs: where the two detectors are configured alike (every class but
/// car, pedestrian and bicycle) they make the same detections, and the comparison shows only the real changes.
enum DemoData {
    /// The dataset's name in the store.
    static let datasetName = "demo-visdrone"
    /// The two runs, in the order they are compared.
    static let runNames = ["baseline", "candidate"]
    static let imageCount = 60

    /// One file to write, relative to the demo folder.
    struct File {
        var path: String
        var bytes: [UInt8]
    }

    /// What was generated, for the demo's report.
    struct Summary {
        var images = 0
        /// Annotation rows of categories 1...10 with score 1.
        var boxes = 0
        /// Rows of categories 1...10 with score 0 ("ignore": matching them neither helps nor hurts).
        var ignoreBoxes = 0
        /// Rows of category 11 ("others", never evaluated).
        var others = 0
        /// Rows of category 0.
        var ignoredRegions = 0
        /// Rows of categories 1...10 by category id, score 0 included (the protocol's n_gt).
        var boxesPerClass = [Int](repeating: 0, count: 11)
        /// Lines written per run, in `runNames` order.
        var detections = [0, 0]
    }

    /// A VisDrone class and how often it appears, its size in a 1360-pixel-wide frame, and how well each run
    /// finds it.
    struct ObjectClass {
        var id: Int
        var name: String
        /// Relative frequency (roughly VisDrone2019-DET's training set).
        var weight: Int
        var width: ClosedRange<Double>
        var height: ClosedRange<Double>
        /// The class a detector mistakes it for.
        var confusedWith: Int
        var baseline: Detector
        var candidate: Detector
    }

    /// How a run detects one class.
    struct Detector {
        /// The chance to detect an unoccluded object.
        var recall: Double
        /// Box error: each side moves by up to this fraction of the object's size.
        var jitter: Double
        /// The lowest score it gives a detected object (the highest is 0.97).
        var scoreFloor: Double
        /// False positives of this class per image, in addition to the shared background ones.
        var extraFalsePositives = 0
    }

    /// The 10 classes: id, name, frequency, width and height, the class it is mistaken for, and the detectors.
    static let classes: [ObjectClass] = {
        func alike(_ recall: Double, _ jitter: Double) -> (Detector, Detector) {
            let detector = Detector(recall: recall, jitter: jitter, scoreFloor: 0.25)
            return (detector, detector)
        }
        // Where the runs differ: the candidate finds more pedestrians and cars, with tighter boxes and higher
        // scores, and fewer bicycles, with looser boxes and a false one in about every other image.
        let pedestrian = (
            Detector(recall: 0.62, jitter: 0.17, scoreFloor: 0.2),
            Detector(recall: 0.84, jitter: 0.07, scoreFloor: 0.4)
        )
        let car = (
            Detector(recall: 0.78, jitter: 0.14, scoreFloor: 0.25),
            Detector(recall: 0.94, jitter: 0.05, scoreFloor: 0.45)
        )
        let bicycle = (
            Detector(recall: 0.55, jitter: 0.15, scoreFloor: 0.25),
            Detector(recall: 0.48, jitter: 0.17, scoreFloor: 0.25, extraFalsePositives: 1)
        )
        let rows: [(Int, String, Int, ClosedRange<Double>, ClosedRange<Double>, Int, (Detector, Detector))] = [
            (1, "pedestrian", 230, 8...18, 16...36, 2, pedestrian),
            (2, "people", 80, 8...18, 10...24, 1, alike(0.5, 0.17)),
            (3, "bicycle", 30, 10...22, 10...22, 10, bicycle),
            (4, "car", 420, 22...56, 16...38, 5, car),
            (5, "van", 70, 26...62, 20...42, 4, alike(0.66, 0.14)),
            (6, "truck", 35, 36...96, 26...60, 9, alike(0.7, 0.12)),
            (7, "tricycle", 14, 16...32, 14...28, 8, alike(0.5, 0.15)),
            (8, "awning-tricycle", 9, 18...34, 16...30, 7, alike(0.45, 0.15)),
            (9, "bus", 17, 50...120, 30...64, 6, alike(0.8, 0.1)),
            (10, "motor", 85, 10...22, 10...22, 3, alike(0.6, 0.16)),
        ]
        return rows.map {
            ObjectClass(
                id: $0.0, name: $0.1, weight: $0.2, width: $0.3, height: $0.4, confusedWith: $0.5,
                baseline: $0.6.0, candidate: $0.6.1)
        }
    }()

    /// Image `index`'s name (the file stem) and size: half 1360x765, 40% 960x540, 10% 1920x1080.
    static func image(_ index: Int) -> (name: String, width: Int, height: Int) {
        let name = "demo_" + zeroPadded(index + 1, digits: 4)
        switch index % 10 {
        case 0...4: return (name, 1360, 765)
        case 5...8: return (name, 960, 540)
        default: return (name, 1920, 1080)
        }
    }

    /// Every file of the demo, in the order they are written, and what they hold.
    static func generate() -> (files: [File], summary: Summary) {
        var files: [File] = []
        var summary = Summary()
        var runs: [[File]] = [[], []]
        for index in 0..<imageCount {
            let scene = Scene(index: index)
            let (name, width, height) = image(index)
            files.append(File(path: "dataset/images/\(name).png", bytes: BlankPNG.bytes(width: width, height: height)))
            files.append(File(path: "dataset/annotations/\(name).txt", bytes: Array(scene.annotations.utf8)))
            for run in 0..<2 {
                runs[run].append(File(path: "runs/\(runNames[run])/\(name).txt", bytes: Array(scene.results[run].utf8)))
                summary.detections[run] += scene.detectionCounts[run]
            }
            summary.images += 1
            summary.boxes += scene.counts.boxes
            summary.ignoreBoxes += scene.counts.ignoreBoxes
            summary.others += scene.counts.others
            summary.ignoredRegions += scene.counts.ignoredRegions
            for category in 0..<11 { summary.boxesPerClass[category] += scene.counts.boxesPerClass[category] }
        }
        return (files + runs[0] + runs[1], summary)
    }

    static func zeroPadded(_ value: Int, digits: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// One image: its ground truth and both runs' detections.
private struct Scene {
    var annotations = ""
    var results = ["", ""]
    var detectionCounts = [0, 0]
    var counts = DemoData.Summary()

    /// A box in pixels.
    struct Box {
        var x, y, width, height: Double

        func intersects(_ other: Box) -> Bool {
            x < other.x + other.width && other.x < x + width && y < other.y + other.height
                && other.y < y + height
        }
    }

    /// A detection before it is written; the score in ten-thousandths (1...9999).
    struct Detection {
        var box: Box
        var score: Int
        var category: Int
    }

    init(index: Int) {
        let (_, widthInPixels, heightInPixels) = DemoData.image(index)
        let (width, height) = (Double(widthInPixels), Double(heightInPixels))
        let scale = width / 1360
        var random = DemoRandom(seed: 0x5EED_D0E0, stream: UInt64(index))
        var detections: [[Detection]] = [[], []]

        // Ignored regions (category 0): distant crowds and parking lots in about a third of the images. Their
        // objects are not annotated, but the detectors find some, which the protocol drops.
        var regions: [Box] = []
        if random.chance(1.0 / 3) {
            for _ in 0..<(1 + random.below(2)) {
                let w = (width * random.uniform(in: 0.08...0.2)).rounded()
                let h = (height * random.uniform(in: 0.08...0.18)).rounded()
                let region = Box(
                    x: random.uniform(in: 0...(width - w)).rounded(), y: random.uniform(in: 0...(height - h)).rounded(),
                    width: w, height: h)
                regions.append(region)
                annotations += Self.row(region, score: 0, category: 0, truncation: 0, occlusion: 0)
                counts.ignoredRegions += 1
                for _ in 0..<(2 + random.below(4)) {
                    let kind = DemoData.classes[random.chance(0.7) ? 3 : 0]  // a car or a pedestrian
                    let box = Self.box(of: kind, scale: scale, within: region, random: &random)
                    let score = Self.score(0.15 + 0.6 * random.uniform())
                    for run in 0..<2 { detections[run].append(Detection(box: box, score: score, category: kind.id)) }
                }
            }
        }

        // Annotated objects: never in an ignored region.
        let totalWeight = DemoData.classes.reduce(0) { $0 + $1.weight }
        for _ in 0..<(20 + random.below(45)) {
            var pick = random.below(totalWeight)
            var kind = DemoData.classes[0]
            for candidate in DemoData.classes {
                if pick < candidate.weight {
                    kind = candidate
                    break
                }
                pick -= candidate.weight
            }
            let frame = Box(x: 0, y: 0, width: width, height: height)
            var box = Self.box(of: kind, scale: scale, within: frame, random: &random)
            var attempts = 1
            while regions.contains(where: box.intersects) && attempts < 8 {
                box = Self.box(of: kind, scale: scale, within: frame, random: &random)
                attempts += 1
            }
            // The draws that decide the detections, made whatever the outcome so that the streams stay aligned.
            let kindDraw = random.uniform()
            let truncation = random.chance(0.1) ? 1 : 0
            let occlusionDraw = random.uniform()
            let seen = random.uniform()
            let noise = (random.signed(), random.signed(), random.signed(), random.signed())
            let confidence = random.uniform()
            let isConfused = random.chance(0.06)
            let duplicate = random.uniform()
            guard !regions.contains(where: box.intersects) else { continue }

            let occlusion = occlusionDraw < 0.7 ? 0 : occlusionDraw < 0.92 ? 1 : 2
            if kindDraw < 0.02 {
                // "others": annotated, never evaluated, and the detectors have no such class.
                annotations += Self.row(box, score: 1, category: 11, truncation: truncation, occlusion: occlusion)
                counts.others += 1
                continue
            }
            // Score 0: an object the annotators marked as ignored (hard to tell); matching it costs nothing.
            let isIgnored = kindDraw < 0.06
            annotations += Self.row(
                box, score: isIgnored ? 0 : 1, category: kind.id, truncation: truncation, occlusion: occlusion)
            if isIgnored { counts.ignoreBoxes += 1 } else { counts.boxes += 1 }
            counts.boxesPerClass[kind.id] += 1
            // A mistaken class is a mistake both detectors make alike, so the classes it lands on stay comparable.
            let detectors = isConfused ? (kind.baseline, kind.baseline) : (kind.baseline, kind.candidate)
            for run in 0..<2 {
                let detector = run == 0 ? detectors.0 : detectors.1
                let recall = detector.recall * (occlusion == 2 ? 0.6 : occlusion == 1 ? 0.85 : 1)
                guard seen < recall else { continue }
                let jitter = detector.jitter
                let found = Self.clamped(
                    Box(
                        x: box.x + noise.0 * jitter * box.width, y: box.y + noise.1 * jitter * box.height,
                        width: box.width * (1 + noise.2 * jitter), height: box.height * (1 + noise.3 * jitter)),
                    width: width, height: height)
                // Looser boxes score lower: the score follows the box's quality in part.
                let quality = 1 - (abs(noise.0) + abs(noise.1) + abs(noise.2) + abs(noise.3)) / 4
                let score = Self.score(
                    detector.scoreFloor + (0.97 - detector.scoreFloor) * (0.6 * confidence + 0.4 * quality))
                let category = isConfused ? kind.confusedWith : kind.id
                detections[run].append(Detection(box: found, score: score, category: category))
                if duplicate < 0.04 {
                    // A second, shifted box on the same object: a false positive at every threshold.
                    var shifted = found
                    shifted.x += (0.45 * found.width).rounded()
                    detections[run].append(
                        Detection(
                            box: Self.clamped(shifted, width: width, height: height), score: max(1, score * 6 / 10),
                            category: category))
                }
            }
        }

        // Background false positives, the same for both runs.
        for _ in 0..<(3 + random.below(8)) {
            let kind = DemoData.classes[random.below(DemoData.classes.count)]
            let box = Self.box(
                of: kind, scale: scale, within: Box(x: 0, y: 0, width: width, height: height), random: &random)
            let u = random.uniform()
            let score = Self.score(0.05 + 0.6 * u * u)
            for run in 0..<2 { detections[run].append(Detection(box: box, score: score, category: kind.id)) }
        }
        // False positives of one run only (the candidate's bicycles), from a stream of their own.
        var extra = DemoRandom(seed: 0xB1C7_C1E5, stream: UInt64(index))
        for kind in DemoData.classes {
            for run in 0..<2 {
                let detector = run == 0 ? kind.baseline : kind.candidate
                for _ in 0..<extra.below(detector.extraFalsePositives + 1) {
                    let box = Self.box(
                        of: kind, scale: scale, within: Box(x: 0, y: 0, width: width, height: height),
                        random: &extra)
                    let score = Self.score(0.2 + 0.5 * extra.uniform())
                    detections[run].append(Detection(box: box, score: score, category: kind.id))
                }
            }
        }

        // Result files list the detections by decreasing score, as detectors write them (the protocol's maxDets
        // takes the first rows of each file); equal scores keep their generation order.
        for run in 0..<2 {
            let ordered = detections[run].enumerated().sorted {
                $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset
            }
            for (_, detection) in ordered {
                results[run] +=
                    Self.fields(detection.box) + ",\(Self.decimal(detection.score)),\(detection.category),-1,-1\n"
            }
            detectionCounts[run] = ordered.count
        }
    }

    /// A box of `kind`'s size placed uniformly inside `area`, in whole pixels.
    static func box(of kind: DemoData.ObjectClass, scale: Double, within area: Box, random: inout DemoRandom) -> Box {
        let w = min(area.width, max(3, (random.uniform(in: kind.width) * scale).rounded()))
        let h = min(area.height, max(3, (random.uniform(in: kind.height) * scale).rounded()))
        return Box(
            x: (area.x + random.uniform(in: 0...(area.width - w))).rounded(),
            y: (area.y + random.uniform(in: 0...(area.height - h))).rounded(), width: w, height: h)
    }

    /// `box` rounded to whole pixels, at least 2 pixels wide and high, and moved inside the image.
    static func clamped(_ box: Box, width: Double, height: Double) -> Box {
        let w = min(width, max(2, box.width.rounded()))
        let h = min(height, max(2, box.height.rounded()))
        return Box(
            x: min(max(0, box.x.rounded()), width - w), y: min(max(0, box.y.rounded()), height - h), width: w,
            height: h)
    }

    /// A score in (0, 1) as ten-thousandths.
    static func score(_ value: Double) -> Int { min(9_999, max(1, Int((value * 10_000).rounded()))) }

    /// Ten-thousandths as a decimal: 512 -> "0.0512".
    static func decimal(_ tenThousandths: Int) -> String { "0." + DemoData.zeroPadded(tenThousandths, digits: 4) }

    /// An annotation line: `x,y,w,h,score,category,truncation,occlusion`.
    static func row(_ box: Box, score: Int, category: Int, truncation: Int, occlusion: Int) -> String {
        fields(box) + ",\(score),\(category),\(truncation),\(occlusion)\n"
    }

    /// `x,y,w,h` in whole pixels.
    static func fields(_ box: Box) -> String {
        "\(Int(box.x)),\(Int(box.y)),\(Int(box.width)),\(Int(box.height))"
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a seedable generator whose stream is the same on every platform.
struct DemoRandom {
    private var state: UInt64

    /// The generator for `stream` (an image) of the sequence `seed`.
    init(seed: UInt64, stream: UInt64) {
        state = seed &+ stream &* 0xD1B5_4A32_D192_ED03
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    mutating func uniform(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + uniform() * (range.upperBound - range.lowerBound)
    }

    /// Uniform in [-1, 1).
    mutating func signed() -> Double { 2 * uniform() - 1 }

    /// Uniform in 0..<bound (bound > 0; the modulo bias is below 2^-50 for the small bounds used here).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func chance(_ probability: Double) -> Bool { uniform() < probability }
}

/// A PNG of one flat grey, of any size, in a few hundred bytes: evaldb's VisDrone import reads each image's
/// size from its header, and the files open in any viewer.
///
/// 1-bit palette image (one grey entry), all pixels 0, compressed as one fixed-Huffman deflate block of a
/// literal and 258-byte back-references.
enum BlankPNG {
    static func bytes(width: Int, height: Int) -> [UInt8] {
        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [1, 3, 0, 0, 0]  // bit depth 1, palette colour, deflate, filter method 0, no interlace
        let scanlines = ((width + 7) / 8 + 1) * height  // a filter byte (0) and the packed pixels per row
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += chunk("IHDR", header)
        file += chunk("PLTE", [0x80, 0x80, 0x80])
        file += chunk("IDAT", zlibZeros(count: scanlines))
        file += chunk("IEND", [])
        return file
    }

    /// A zlib stream of `count` zero bytes.
    static func zlibZeros(count: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)  // final block
        bits.write(1, count: 2)  // fixed Huffman codes
        bits.writeCode(0x30, length: 8)  // literal 0
        var remaining = count - 1
        while remaining >= 258 {
            bits.writeCode(0xC5, length: 8)  // length symbol 285: 258 bytes
            bits.writeCode(0, length: 5)  // distance code 0: 1 byte back
            remaining -= 258
        }
        for _ in 0..<remaining { bits.writeCode(0x30, length: 8) }
        bits.writeCode(0, length: 7)  // end of block
        // Adler-32 of `count` zeros: a stays 1 and b adds it once per byte.
        let adler = UInt32(count % 65_521) << 16 | 1
        return [0x78, 0x01] + bits.finish() + bigEndian(adler)
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Deflate's bit order: values least significant bit first, Huffman codes most significant bit first.
    struct BitWriter {
        private var bytes: [UInt8] = []
        private var buffer: UInt32 = 0
        private var used = 0

        mutating func write(_ value: UInt32, count: Int) {
            buffer |= value << used
            used += count
            while used >= 8 {
                bytes.append(UInt8(buffer & 0xFF))
                buffer >>= 8
                used -= 8
            }
        }

        mutating func writeCode(_ code: UInt32, length: Int) {
            var reversed: UInt32 = 0
            for bit in 0..<length { reversed |= (code >> bit & 1) << (length - 1 - bit) }
            write(reversed, count: length)
        }

        mutating func finish() -> [UInt8] {
            if used > 0 { bytes.append(UInt8(buffer & 0xFF)) }
            buffer = 0
            used = 0
            return bytes
        }
    }
}

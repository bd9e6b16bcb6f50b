/// The order in which an export writes a box's four numbers.
public enum BoxLayout: String, CaseIterable, Sendable, Hashable {
    /// `x, y, width, height`, top-left corner (COCO, VisDrone).
    case xywh
    /// `x1, y1, x2, y2` (VOC result files, torchvision, many exporters).
    case xyxy
    /// `y1, x1, y2, x2` (the TensorFlow Object Detection API).
    case yxyx
    /// `center x, center y, width, height` (YOLO).
    case cxcywh
    /// `x, y, height, width`.
    case xyhw

    /// In words, for messages.
    public var phrase: String {
        switch self {
        case .xywh: "[x, y, width, height]"
        case .xyxy: "[x1, y1, x2, y2]"
        case .yxyx: "[ymin, xmin, ymax, xmax] (TensorFlow Object Detection API order)"
        case .cxcywh: "[center x, center y, width, height]"
        case .xyhw: "[x, y, height, width]"
        }
    }
}

/// The unit of an export's coordinates.
public enum BoxScale: Sendable, Hashable {
    /// Pixels of the image.
    case pixels
    /// Fractions of the image: x of its width, y of its height.
    case normalized
    /// Fractions with the two swapped: x of the image's height, y of its width.
    case normalizedHeightWidth
    /// Pixels scaled back to the image with width and height swapped (x multiplied by height / width).
    case swappedPixels
    /// Pixels of a `size` x `size` network input into which the image was resized to fit and padded evenly on both
    /// sides (a letterbox), never mapped back to the image.
    case letterbox(Int)

    /// In words, for messages.
    public var phrase: String {
        switch self {
        case .pixels: "in pixels"
        case .normalized: "normalized by the image's width and height"
        case .normalizedHeightWidth: "normalized by the image's height and width (swapped)"
        case .swappedPixels: "scaled back to pixels with the image's width and height swapped"
        case .letterbox(let size): "in the pixels of a \(size)x\(size) letterbox, never mapped back to the image"
        }
    }

    /// The value of `--scale` that selects this unit: pixels, normalized, normalized-hw, swapped, letterbox-S.
    public var argument: String {
        switch self {
        case .pixels: "pixels"
        case .normalized: "normalized"
        case .normalizedHeightWidth: "normalized-hw"
        case .swappedPixels: "swapped"
        case .letterbox(let size): "letterbox-\(size)"
        }
    }

    /// The unit an `--scale` value names; nil when it names none.
    public init?(argument: String) {
        switch argument {
        case "pixels": self = .pixels
        case "normalized": self = .normalized
        case "normalized-hw": self = .normalizedHeightWidth
        case "swapped": self = .swappedPixels
        default:
            guard argument.hasPrefix("letterbox-"), let size = Int(argument.dropFirst("letterbox-".count)),
                size > 0, size <= 100_000
            else { return nil }
            self = .letterbox(size)
        }
    }

    /// The network input sizes a letterbox reading tries: 320 to 1280 in steps of 32.
    public static let letterboxSizes = Array(stride(from: 320, through: 1280, by: 32))
}

/// How to read the four numbers of a box: their order and their unit.
public struct BoxReading: Sendable, Hashable {
    public var layout: BoxLayout
    public var scale: BoxScale

    public init(layout: BoxLayout, scale: BoxScale) {
        self.layout = layout
        self.scale = scale
    }

    /// The box `[a, b, c, d]` as written, in pixels `(x, y, w, h)` of an image `width` x `height`.
    ///
    /// Corners are computed in the export's unit and converted once, so that a box written exactly (as `x, y,
    /// x + w, y + h`, or as fractions) reads back to the same pixels up to rounding.
    @inline(__always)
    public func pixels(_ a: Double, _ b: Double, _ c: Double, _ d: Double, width: Double, height: Double) -> (
        x: Double, y: Double, w: Double, h: Double
    ) {
        var x: Double
        var y: Double
        var w: Double
        var h: Double
        switch layout {
        case .xywh: (x, y, w, h) = (a, b, c, d)
        case .xyxy: (x, y, w, h) = (a, b, c - a, d - b)
        case .yxyx: (x, y, w, h) = (b, a, d - b, c - a)
        case .cxcywh: (x, y, w, h) = (a - c / 2, b - d / 2, c, d)
        case .xyhw: (x, y, w, h) = (a, b, d, c)
        }
        switch scale {
        case .pixels:
            break
        case .normalized:
            x *= width
            w *= width
            y *= height
            h *= height
        case .normalizedHeightWidth:
            x *= height
            w *= height
            y *= width
            h *= width
        case .swappedPixels:
            // The export multiplied fractions of (W, H) by (H, W): undo with W / H and H / W.
            x = x / height * width
            w = w / height * width
            y = y / width * height
            h = h / width * height
        case .letterbox(let size):
            let side = Double(size)
            let ratio = min(side / width, side / height)
            let padX = (side - width * ratio) / 2
            let padY = (side - height * ratio) / 2
            x = (x - padX) / ratio
            y = (y - padY) / ratio
            w /= ratio
            h /= ratio
        }
        return (x, y, w, h)
    }
}

extension BoxEncoding {
    /// The reading a format's own encoding means.
    public var reading: BoxReading {
        switch self {
        case .xywh: BoxReading(layout: .xywh, scale: .pixels)
        case .xyxy: BoxReading(layout: .xyxy, scale: .pixels)
        case .normalizedCenter: BoxReading(layout: .cxcywh, scale: .normalized)
        case .normalizedCorners: BoxReading(layout: .yxyx, scale: .normalized)
        }
    }
}

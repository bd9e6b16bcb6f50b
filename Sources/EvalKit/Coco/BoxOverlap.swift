/// Overlap of two `x, y, width, height` boxes in pixels, with no `+1` (COCO and VisDrone).
///
/// The operations and their order are those of cocoapi's `bbIou` (`common/maskApi.c`), so results match
/// pycocotools to the last bit: `iw = min(dx + dw, gx + gw) - max(dx, gx)` (0 unless positive), likewise `ih`,
/// `inter = iw * ih`, `union = (dw * dh + gw * gh) - inter`. `min`/`max` are C's `fmin`/`fmax` (a NaN operand
/// loses), and a NaN overlap is returned as NaN, as there.
public enum BoxOverlap {
    /// Intersection over union of a detection and a ground-truth box.
    @inlinable
    public static func iou(
        _ dx: Double, _ dy: Double, _ dw: Double, _ dh: Double,
        _ gx: Double, _ gy: Double, _ gw: Double, _ gh: Double
    ) -> Double {
        let width = Double.minimum(dw + dx, gw + gx) - Double.maximum(dx, gx)
        if width <= 0 { return 0 }
        let height = Double.minimum(dh + dy, gh + gy) - Double.maximum(dy, gy)
        if height <= 0 { return 0 }
        let intersection = width * height
        return intersection / ((dw * dh + gw * gh) - intersection)
    }

    /// Overlap with a crowd box or ignored region: the fraction of the detection inside it, `inter / (dw * dh)`.
    @inlinable
    public static func fractionInside(
        _ dx: Double, _ dy: Double, _ dw: Double, _ dh: Double,
        _ gx: Double, _ gy: Double, _ gw: Double, _ gh: Double
    ) -> Double {
        let width = Double.minimum(dw + dx, gw + gx) - Double.maximum(dx, gx)
        if width <= 0 { return 0 }
        let height = Double.minimum(dh + dy, gh + gy) - Double.maximum(dy, gy)
        if height <= 0 { return 0 }
        return (width * height) / (dw * dh)
    }
}

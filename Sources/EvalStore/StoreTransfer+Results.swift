import EvalKit

/// Copying a run's stored evaluations and analyses row by row, with the row ids they name translated.
extension StoreTransfer {
    /// What identifies an evaluation of a run: its protocol and canonical parameters.
    static func key(_ evaluation: StoredEvaluation) -> String { evaluation.protocolName + "\n" + evaluation.parameters }

    /// What identifies an analysis of a run: its kind, protocol and canonical parameters.
    static func key(_ analysis: StoredAnalysis) -> String {
        analysis.kind.rawValue + "\n" + analysis.protocolName + "\n" + analysis.parameters
    }

    /// Stores `evaluations` and `analyses` (read at the source) for the destination's run `runID`, skipping those
    /// it has already (same key); a copied default evaluation stays the default unless the run has another.
    /// `sourceInputs` gives the source's rows (read once, when a copied evaluation needs them). Call inside the
    /// destination's `write`. Returns how many of each it stored.
    func copyResults(
        _ evaluations: [EvaluationRows], _ analyses: [StoredAnalysis], toRun runID: Int64, dataset: StoredDataset,
        sourceInputs: () throws -> EvaluationInputs
    ) throws -> (evaluations: Int, analyses: Int) {
        let present = try destination.evaluations.all(runID: runID)
        var held = Set(present.map(Self.key))
        var hasDefault = present.contains { $0.isDefault }
        var rowMap: RowMap?
        var copiedEvaluations = 0
        for var rows in evaluations where !held.contains(Self.key(rows.evaluation)) {
            if rowMap == nil {
                rowMap = try RowMap(
                    source: try sourceInputs(),
                    destination: try destination.evaluationInputs(datasetID: dataset.id, runID: runID),
                    dataset: dataset.name, location: destination.location)
            }
            try rowMap?.translate(&rows, dataset: dataset.name, location: destination.location)
            if rows.evaluation.isDefault && hasDefault { rows.evaluation.isDefault = false }
            _ = try destination.evaluations.insert(copy: rows, runID: runID)
            hasDefault = hasDefault || rows.evaluation.isDefault
            held.insert(Self.key(rows.evaluation))
            copiedEvaluations += 1
        }
        var heldAnalyses = Set(try destination.analyses.all(runID: runID).map(Self.key))
        var copiedAnalyses = 0
        for analysis in analyses where !heldAnalyses.contains(Self.key(analysis)) {
            _ = try destination.analyses.insert(copy: analysis, runID: runID)
            heldAnalyses.insert(Self.key(analysis))
            copiedAnalyses += 1
        }
        return (copiedEvaluations, copiedAnalyses)
    }
}

/// The destination's row id of each source row an evaluation names: images by their external id, ground-truth
/// boxes by their position in the dataset (`gt_boxes` in id order), after checking that both stores hold the same
/// boxes in the same order.
struct RowMap {
    var imageRowID: [Int64: Int64] = [:]
    var boxRowID: [Int64: Int64] = [:]

    init(source: EvaluationInputs, destination: EvaluationInputs, dataset: String, location: String) throws {
        var destinationImage: [Int64: Int64] = [:]
        for (rowID, externalID) in zip(destination.imageRowIDs, destination.groundTruth.imageIDs) {
            destinationImage[externalID] = rowID
        }
        for (rowID, externalID) in zip(source.imageRowIDs, source.groundTruth.imageIDs) {
            imageRowID[rowID] = destinationImage[externalID]
        }
        let one = source.groundTruth
        let other = destination.groundTruth
        guard source.boxRowIDs.count == destination.boxRowIDs.count else {
            throw TransferError.groundTruthMismatch(dataset: dataset, destination: location)
        }
        boxRowID.reserveCapacity(source.boxRowIDs.count)
        for i in source.boxRowIDs.indices {
            guard one.imageIDs[Int(one.image[i])] == other.imageIDs[Int(other.image[i])],
                one.category[i] == other.category[i], one.annotationID[i] == other.annotationID[i],
                one.x[i] == other.x[i], one.y[i] == other.y[i], one.width[i] == other.width[i],
                one.height[i] == other.height[i]
            else { throw TransferError.groundTruthMismatch(dataset: dataset, destination: location) }
            boxRowID[source.boxRowIDs[i]] = destination.boxRowIDs[i]
        }
    }

    /// `rows` with the destination's image and box row ids. Throws `TransferError.groundTruthMismatch` for an id
    /// this map does not know (a store changed outside evaldb).
    func translate(_ rows: inout EvaluationRows, dataset: String, location: String) throws {
        for k in rows.imageMatches.indices {
            guard let image = imageRowID[rows.imageMatches[k].imageRowID],
                let text = Self.translatingBoxes(in: rows.imageMatches[k].detections, boxRowID)
            else { throw TransferError.groundTruthMismatch(dataset: dataset, destination: location) }
            rows.imageMatches[k] = (image, text)
        }
    }

    /// The JSON text of one `image_matches.detections` array with the box ids (entries 3 and 5 of each detection's
    /// `[seq, tp_mask, ignored_mask, gt_50, iou_50, gt_75, iou_75]`) replaced by `box[id]`, every other byte kept;
    /// nil when an id is not in `box`.
    static func translatingBoxes(in text: String, _ box: [Int64: Int64]) -> String? {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var depth = 0
        var element = 0
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "[") {
                depth += 1
                if depth == 2 { element = 0 }
            } else if byte == UInt8(ascii: "]") {
                depth -= 1
            } else if byte == UInt8(ascii: ",") {
                if depth == 2 { element += 1 }
            } else if depth == 2, element == 3 || element == 5, byte == UInt8(ascii: "-") || isDigit(byte) {
                var end = i + 1
                while end < bytes.count, isDigit(bytes[end]) { end += 1 }
                guard let id = Int64(String(decoding: bytes[i..<end], as: UTF8.self)), let mapped = box[id] else {
                    return nil
                }
                out.append(contentsOf: String(mapped).utf8)
                i = end
                continue
            }
            out.append(byte)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}

import EvalFormats

/// `evaldb check --explain`: the readings of an export that were scored, with their evidence.
enum ExplainRendering {
    /// Rows shown in the text formats (JSON lists every reading).
    static let shownInText = 20

    static func print(
        _ explanation: DiagnosisExplanation, batch: DetectionBatch, catalog: DatasetCatalog, format: OutputFormat
    ) {
        guard let given = explanation.given else {
            Console.err(
                "explain: no evidence: dataset '\(catalog.name)' has no ground-truth boxes (or the run no detections), so only the bound rules apply"
            )
            return
        }
        // One row per reading: the first score of each, completed by a later own-class score.
        var readings: [ReadingEvidence] = []
        for evidence in explanation.tried {
            if let index = readings.firstIndex(where: { $0.reading == evidence.reading }) {
                if readings[index].overlappingOwnClass == nil { readings[index] = evidence }
            } else {
                readings.append(evidence)
            }
        }
        readings.sort { a, b in
            let ownA = a.overlappingOwnClass ?? -1
            let ownB = b.overlappingOwnClass ?? -1
            return ownA != ownB ? ownA > ownB : a.overlapping > b.overlapping
        }
        let best = explanation.best?.reading
        var shown = readings
        if format == .table || format == .markdown || format == .csv || format == .tsv {
            shown = Array(readings.prefix(shownInText))
            if !shown.contains(where: { $0.reading == given.reading }),
                let row = readings.first(where: { $0.reading == given.reading })
            {
                shown.append(row)
            }
        }
        let rows: [[ResultTable.Cell]] = shown.map { evidence in
            let reading = evidence.reading
            var marks: [String] = []
            if reading == given.reading { marks.append("given") }
            if reading == best { marks.append("best") }
            let flags = reading.flags(format: batch.format, encoding: batch.boxEncoding)
            return [
                .text(flags.isEmpty ? "(the format's own)" : flags.joined(separator: " ")),
                .text(box(reading)), .text(images(reading)), .text(categories(reading)),
                .integer(Int64(evidence.resolved)), .integer(Int64(evidence.overlapping)),
                evidence.overlappingOwnClass.map { .integer(Int64($0)) } ?? .null, .text(marks.joined(separator: ", ")),
            ]
        }
        let table = ResultTable(
            columns: ["reading", "box", "images", "categories", "resolved", "overlap", "own_class", "mark"], rows: rows)
        let map = mapTable(explanation, best: explanation.best, catalog: catalog)
        switch format {
        case .json, .jsonl:
            let readingsJSON = Renderer.render(table, as: .json).trimmingTrailingNewlines()
            let mapJSON = map.map { Renderer.render($0, as: .json).trimmingTrailingNewlines() } ?? "null"
            let object =
                "{\"sampled\": \(given.sampled), \"overlap_threshold\": 0.5, \"readings\": \(readingsJSON), \"category_map\": \(mapJSON)}"
            Console.out((format == .jsonl ? object.filter { $0 != "\n" } : object) + "\n")
        default:
            Console.out(Renderer.render(table, as: format))
            if let map {
                Console.out("\nThe best reading's category map:\n" + Renderer.render(map, as: format))
            }
            Console.err(
                "explain: \(readings.count) readings scored on the \(given.sampled) most confident detections: how many refer to a dataset image (resolved), overlap a ground-truth box at IoU >= 0.5 (overlap), and one of their own class (own_class)\(readings.count > shown.count ? "; --format json lists them all" : "")"
            )
        }
    }

    /// The estimated map of the best reading (or the map applied), model category -> dataset category.
    static func mapTable(_ explanation: DiagnosisExplanation, best: ReadingEvidence?, catalog: DatasetCatalog)
        -> ResultTable?
    {
        var pairs: [(model: String, id: Int64)] = []
        if let map = best?.reading.estimatedMap {
            pairs = map.sorted { CategoryKey.ordered($0.key, $1.key) }.map { (modelText($0.key), $0.value) }
        } else if !explanation.appliedCategoryMap.isEmpty {
            pairs = explanation.appliedCategoryMap.map { (modelText($0.model), $0.categoryID) }
        }
        guard !pairs.isEmpty else { return nil }
        let names = Dictionary(catalog.categories.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        return ResultTable(
            columns: ["model", "category_id", "category"],
            rows: pairs.map { [.text($0.model), .integer($0.id), .text(names[$0.id] ?? "")] })
    }

    static func modelText(_ key: CategoryKey) -> String {
        switch key {
        case .id(let id): return "\(id)"
        case .name(let name): return name
        }
    }

    static func box(_ reading: ExportReading) -> String {
        var text = "\(reading.box.layout.rawValue) \(reading.box.scale.argument)"
        if reading.columns == .confidenceSecond { text += ", conf second" }
        return text
    }

    static func offset(_ value: Int64) -> String { value == 0 ? "" : value > 0 ? "+\(value)" : "\(value)" }

    static func images(_ reading: ExportReading) -> String {
        reading.imageMatching.rawValue + offset(reading.imageIDOffset)
    }

    static func categories(_ reading: ExportReading) -> String {
        if reading.estimatedMap != nil { return "estimated map" }
        if reading.usesExplicitMap { return "map file" }
        return reading.categoryMatching.rawValue + offset(reading.categoryOffset)
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

import EvalFormats
import Foundation
import Testing

@Suite struct FormatDetectionTests {
    @Test(arguments: [
        ("visdrone-synth", DatasetFormat.visdrone),
        ("padilla-review-toyexample/gts_vocpascal_format", .voc),
        ("coco-val2014-fake100/gt/instances_val2014_100.json", .coco),
    ])
    func datasetFixtures(path: String, format: DatasetFormat) throws {
        #expect(try FormatDetection.datasetFormat(at: ReaderFixtures.path(path)) == format)
    }

    @Test(arguments: [
        ("visdrone-synth/results-A", DetectionFormat.visdrone),
        ("visdrone-synth/results-B", .visdrone),
        ("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json", .coco),
    ])
    func detectionFixtures(path: String, format: DetectionFormat) throws {
        #expect(try FormatDetection.detectionFormat(at: ReaderFixtures.path(path)) == format)
    }

    @Test func handMadeDatasetFolders() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("yolo/labels/a.txt", "0 0.5 0.5 0.1 0.1\n")
            try scratch.write("yaml/data.yaml", "names: [a]\n")
            try scratch.write("voc/Annotations/a.xml", "<annotation/>")
            try scratch.write("vocflat/a.xml", "<annotation/>")
            try scratch.write("visdrone/annotations/a.txt", "")
            try scratch.write("upper.JSON", "[]")
            #expect(try FormatDetection.datasetFormat(at: scratch.at("yolo")) == .yolo)
            #expect(try FormatDetection.datasetFormat(at: scratch.at("yaml")) == .yolo)
            #expect(try FormatDetection.datasetFormat(at: scratch.at("voc")) == .voc)
            #expect(try FormatDetection.datasetFormat(at: scratch.at("vocflat")) == .voc)
            #expect(try FormatDetection.datasetFormat(at: scratch.at("visdrone")) == .visdrone)
            #expect(try FormatDetection.datasetFormat(at: scratch.at("upper.JSON")) == .coco)
        }
    }

    @Test func unknownDatasets() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("coco/annotations/instances.json", "{}")
            try scratch.write("other/readme.md", "")
            let text = try scratch.write("gt.txt", "1,2,3,4,1,1,0,0\n")
            let cases: [(String, String)] = [
                (scratch.at("coco"), "annotations/ holds JSON files: give the COCO JSON file inside it"),
                (scratch.at("other"), "no annotations/*.txt (VisDrone), labels/ or data.yaml (YOLO)"),
                (text, "a file that is neither .json nor a TFRecord file"),
            ]
            for (path, reason) in cases {
                let error = #expect(throws: ReadError.self) { try FormatDetection.datasetFormat(at: path) }
                #expect(error?.description.hasPrefix("\(path): cannot tell the format (\(reason)") == true, "\(path)")
                #expect(error?.description.hasSuffix("pass --format") == true)
            }
            #expect(throws: ReadError.notFound(path: scratch.at("none"))) {
                try FormatDetection.datasetFormat(at: scratch.at("none"))
            }
        }
    }

    @Test(arguments: [
        (["comp4_det_test_car.txt": "000005 0.9 10 20 30 40\n"], DetectionFormat.voc),
        (["car.txt": "2007_000549 0.9 10 20 30 40\n"], .voc),
        (["car.txt": "000005 0.9 10 20 30 40\n"], .voc),
        (["a.txt": "", "b.txt": "3 0.5 0.5 0.1 0.2 0.9\n0 0.1 0.9 1 1 0.05\n"], .yolo),
        (["a.txt": "1,2,3,4,0.9,1,-1,-1,\r\n"], .visdrone),
        // One broken YOLO line reads like VOC (a fraction second, a huge number after it); the other lines outvote it.
        (["a.txt": "3 0.5 1e26 0.1 0.2 0.9\n3 0.5 0.5 0.1 0.2 0.9\n", "b.txt": "0 0.1 0.9 1 1 0.05\n"], .yolo),
        // VOC results whose first box happens to lie within [0, 1] stay VOC.
        (["car.txt": "000005 0.9 0 0 1 1\n000005 0.8 10 20 30 40\n000006 0.7 5 5 50 50\n"], .voc),
    ])
    func handMadeDetectionFolders(files: [String: String], format: DetectionFormat) throws {
        try ReaderScratch.with { scratch in
            for (name, text) in files { try scratch.write("run/" + name, text) }
            #expect(try FormatDetection.detectionFormat(at: scratch.at("run")) == format)
        }
    }

    @Test func ultralyticsPredictRun() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("predict/labels/a.txt", "3 0.5 0.5 0.1 0.2 0.9\n")
            try scratch.write("predict/a.jpg", bytes: TinyImages.jpeg(width: 2, height: 2))
            #expect(try FormatDetection.detectionFormat(at: scratch.at("predict")) == .yolo)
        }
    }

    @Test(arguments: [
        (["a.txt": "", "b.txt": "\n"], "every result file is empty"),
        (["a.md": "x"], "no .txt result files and no .json file"),
        (["a.txt": "1 2 3 4 5\n"], "line 1 of a.txt is neither VisDrone, YOLO nor VOC results"),
        (["a.txt": "\n1,2,3,4,5,6\n"], "line 2 of a.txt is neither VisDrone, YOLO nor VOC results"),
        (
            ["a.txt": "1,2,3,4,0.9,1,-1,-1\n", "b.txt": "3 0.5 0.5 0.1 0.2 0.9\n"],
            "b.txt does not have the layout of the other files"
        ),
    ])
    func unknownDetectionFolders(files: [String: String], reason: String) throws {
        try ReaderScratch.with { scratch in
            try scratch.folder("run")
            for (name, text) in files { try scratch.write("run/" + name, text) }
            let error = #expect(throws: ReadError.self) { try FormatDetection.detectionFormat(at: scratch.at("run")) }
            #expect(error == .unknownFormat(path: scratch.at("run"), reason: reason))
        }
    }

    @Test func unknownDetectionFilesAndMissingPaths() throws {
        try ReaderScratch.with { scratch in
            let file = try scratch.write("dets.txt", "1 2 3 4 5 6\n")
            let error = #expect(throws: ReadError.self) { try FormatDetection.detectionFormat(at: file) }
            #expect(error?.description.contains("a file that is neither .json nor a TFRecord file") == true)
            #expect(throws: ReadError.notFound(path: scratch.at("none"))) {
                try FormatDetection.detectionFormat(at: scratch.at("none"))
            }
            let binary = try scratch.write("bin/a.txt", bytes: [0x00, 0x01])
            #expect(throws: ReadError.notText(path: binary, line: 1)) {
                try FormatDetection.detectionFormat(at: scratch.at("bin"))
            }
        }
    }
}

import EvalFormats
import Foundation
import Testing

/// The box readings' arithmetic on hand-worked boxes, and the category map files.
@Suite struct BoxReadingTests {
    /// The box x = 40, y = 30, w = 20, h = 10 on a 200 x 100 image, written every way an export may write it.
    @Test(arguments: [
        (BoxLayout.xywh, BoxScale.pixels, [40.0, 30, 20, 10]),
        (.xyxy, .pixels, [40, 30, 60, 40]),
        (.yxyx, .pixels, [30, 40, 40, 60]),
        (.cxcywh, .pixels, [50, 35, 20, 10]),
        (.xyhw, .pixels, [40, 30, 10, 20]),
        (.xywh, .normalized, [0.2, 0.3, 0.1, 0.1]),
        (.yxyx, .normalized, [0.3, 0.2, 0.4, 0.3]),
        // Fractions of (H, W): 40 / 100, 30 / 200, 20 / 100, 10 / 200.
        (.xywh, .normalizedHeightWidth, [0.4, 0.15, 0.2, 0.05]),
        // Scaled back with (H, W) swapped: x * H / W = 20, y * W / H = 60, w * H / W = 10, h * W / H = 20.
        (.xywh, .swappedPixels, [20, 60, 10, 20]),
        // A 400 x 400 letterbox of the 200 x 100 image: ratio 2, padded by 100 above and below.
        (.xywh, .letterbox(400), [80, 160, 40, 20]),
    ])
    func readingsGiveTheSamePixels(layout: BoxLayout, scale: BoxScale, written: [Double]) {
        let box = BoxReading(layout: layout, scale: scale).pixels(
            written[0], written[1], written[2], written[3], width: 200, height: 100)
        for (got, expected) in [(box.x, 40.0), (box.y, 30), (box.w, 20), (box.h, 10)] {
            #expect(abs(got - expected) < 1e-12, "\(layout) \(scale): \(box)")
        }
    }

    @Test func scaleArgumentsRoundTrip() {
        for scale in [BoxScale.pixels, .normalized, .normalizedHeightWidth, .swappedPixels, .letterbox(640)] {
            #expect(BoxScale(argument: scale.argument) == scale)
        }
        #expect(BoxScale(argument: "letterbox-") == nil)
        #expect(BoxScale(argument: "letterbox--5") == nil)
        #expect(BoxScale(argument: "inches") == nil)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "evaldb-map-\(UUID().uuidString)-\(name)")
        try text.write(to: url, atomically: false, encoding: .utf8)
        return url.path
    }

    @Test func categoryMapFiles() throws {
        let csv = try CategoryMapFile.read(path: try write("m.csv", "model,dataset\n0,1\nperson,3\n\n2,car\n"))
        #expect(csv == CategoryMap(pairs: [(.id(0), .id(1)), (.name("person"), .id(3)), (.id(2), .name("car"))]))
        let json = try CategoryMapFile.read(path: try write("m.json", #"{"0": 1, "bus": "truck"}"#))
        #expect(json == CategoryMap(pairs: [(.id(0), .id(1)), (.name("bus"), .name("truck"))]))
        let pairs = try CategoryMapFile.read(path: try write("p.json", #"[[0, "person"], ["1", 2]]"#))
        #expect(pairs == CategoryMap(pairs: [(.id(0), .name("person")), (.name("1"), .id(2))]))
        let yaml = try CategoryMapFile.read(path: try write("data.yaml", "names: [person, car]\n"))
        #expect(yaml == CategoryMap(pairs: [(.id(0), .name("person")), (.id(1), .name("car"))]))
        let classes = try CategoryMapFile.read(path: try write("classes.txt", "person\ncar\n"))
        #expect(classes == yaml)
    }

    @Test func brokenCategoryMapsNameThePlace() throws {
        let three = try write("three.csv", "0,1\n1,2,3\n")
        #expect(throws: ReadError.self) { try CategoryMapFile.read(path: three) }
        do {
            _ = try CategoryMapFile.read(path: three)
        } catch {
            #expect("\(error)".contains("three.csv:2"))
            #expect("\(error)".contains("expected 2 comma-separated fields, found 3"))
        }
        let triple = try write("t.json", "[[0, 1, 2]]")
        #expect(throws: ReadError.self) { try CategoryMapFile.read(path: triple) }
        #expect(throws: ReadError.self) { try CategoryMapFile.read(path: try write("e.csv", "model,dataset\n")) }
        #expect(throws: ReadError.self) { try CategoryMapFile.read(path: "/nonexistent/map.csv") }
    }
}

import EvalFormats
import Testing

/// Parsing `label_map.pbtxt` (protobuf text format) as label maps are written.
@Suite struct LabelMapTests {
    static func parse(_ text: String) throws(ReadError) -> LabelMap {
        try LabelMap.parse(Array(text.utf8), path: "map.pbtxt")
    }

    @Test func theObjectDetectionAPIsOwnStyle() throws {
        let map = try Self.parse(
            """
            item {
              name: "/m/01g317"
              id: 1
              display_name: "person"
            }
            item {
              name: "/m/0199g"
              id: 2
              display_name: "bicycle"
            }
            """)
        #expect(
            map.items == [
                .init(id: 1, name: "/m/01g317", displayName: "person"),
                .init(id: 2, name: "/m/0199g", displayName: "bicycle"),
            ])
        #expect(map.categories == [CategoryRecord(id: 1, name: "person"), CategoryRecord(id: 2, name: "bicycle")])
        #expect(map.item(named: "/m/0199g")?.id == 2)
        #expect(map.item(named: "person")?.id == 1)
    }

    @Test func quotesCommentsSeparatorsOrderAndUnknownFields() throws {
        let map = try Self.parse(
            """
            # a comment before everything
            item: { id: 3, name: 'car' ; }   # colon before the brace, separators
            item <id:4 name:"say \\"hi\\" # not a comment">
            item {
              keypoints { id: 0 label: 'nose' }   # an unknown message, with an id of its own
              frequency: FREQUENT
              ancestor_ids: [1, 2]
              score: -0.5
              name: 'two' "parts"
              id: 5
            }
            item { display_name: 'caf\\303\\251 \\x41' id: 6 }
            """)
        #expect(
            map.items == [
                .init(id: 3, name: "car", displayName: nil),
                .init(id: 4, name: "say \"hi\" # not a comment", displayName: nil),
                .init(id: 5, name: "twoparts", displayName: nil),
                .init(id: 6, name: nil, displayName: "café A"),
            ])
        #expect(
            map.categoryMap
                == CategoryMap(pairs: [
                    (.id(3), .name("car")), (.id(4), .name("say \"hi\" # not a comment")), (.id(5), .name("twoparts")),
                    (.id(6), .name("café A")),
                ]))
    }

    @Test(arguments: [
        ("item { name: 'a' }", "map.pbtxt:1: an item has no id"),
        ("item {\n id: 1\n}", "map.pbtxt:1: item 1 has neither name nor display_name"),
        ("item { id: 1 name: 'a' }\nitem { id: 1 name: 'b' }", "map.pbtxt:2: id 1 is given twice (lines 1 and 2)"),
        ("item { id: -2 name: 'a' }", "map.pbtxt:1: an item has the negative id -2"),
        ("item { id: 1.5 name: 'a' }", "map.pbtxt:1: id is not a whole number"),
        ("\n\nitem {\n id: 1 name: 'a'\n", "map.pbtxt:3: the item that starts on line 3 is not closed"),
        ("item { id: 1 name: 'a }", "map.pbtxt:1: a string is not closed on its line"),
        ("item { id: 1 name: a }", "map.pbtxt:1: name is not a quoted string"),
        ("item { id: 1 name: 'a' } }", "map.pbtxt:1: expected a field name such as item, found '}'"),
        ("# only a comment\n", "map.pbtxt: the label map has no item"),
    ])
    func malformedMapsNameTheLine(text: String, message: String) {
        let error = #expect(throws: ReadError.self) { try Self.parse(text) }
        #expect(error?.description.hasPrefix(message + ";") == true, "\(String(describing: error))")
    }

    @Test func theFixtureMaps() throws {
        let visdrone = try LabelMap.read(path: ReaderFixtures.path("tfrecord/visdrone/label_map.pbtxt"))
        #expect(visdrone.items.map(\.id) == Array(1...11))
        #expect(visdrone.categories == VisDroneDatasetReader.categories)
        let coco = try LabelMap.read(path: ReaderFixtures.path("tfrecord/coco/label_map.pbtxt"))
        #expect(coco.items.count == 80)
        #expect(coco.items.first == .init(id: 1, name: "person", displayName: "person"))
    }
}

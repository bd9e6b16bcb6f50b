import EvalKit
import Testing

@Suite struct EvalInputTests {
    @Test func columnsStayAligned() {
        var gt = EvalGroundTruth(imageIDs: [7, 3], imageWidths: [10, 20], imageHeights: [5, 6], categoryIDs: [1, 2])
        gt.appendBox(image: 1, category: 2, x: 1, y: 2, width: 3, height: 4, area: 12, isCrowd: true, annotationID: 9)
        gt.appendRegion(image: 0, x: 0, y: 0, width: 5, height: 5)
        #expect(gt.count == 1 && gt.imageCount == 2)
        #expect(gt.isCrowd == [true] && gt.isIgnored == [false] && gt.annotationID == [9] && gt.area == [12])
        #expect(gt.regionImage == [0] && gt.regionWidth == [5])
        var dt = EvalDetections()
        dt.append(image: 1, category: 2, score: 0.5, x: 1, y: 2, width: 3, height: 4)
        #expect(dt.count == 1 && dt.score == [0.5] && dt.height == [4])
    }
}

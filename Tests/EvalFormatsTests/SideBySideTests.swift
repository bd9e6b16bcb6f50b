import EvalFormats
import Synchronization
import Testing

@Suite struct SideBySideTests {
    /// Each side waits for the other to have started: run one after the other, the first would wait out its
    /// deadline (as the first half of a split parse would wait forever for the second's rows).
    @Test func bothSidesRunAtTheSameTime() {
        let started = Atomic<Int>(0)
        let sawOther = Atomic<Int>(0)
        func side(_ bit: Int) {
            started.bitwiseOr(bit, ordering: .sequentiallyConsistent)
            let deadline = ContinuousClock.now + .seconds(20)
            while started.load(ordering: .sequentiallyConsistent) != 3 && ContinuousClock.now < deadline {}
            if started.load(ordering: .sequentiallyConsistent) == 3 {
                sawOther.add(1, ordering: .sequentiallyConsistent)
            }
        }
        #expect(SideBySide.run({ side(1) }, { side(2) }))
        #expect(sawOther.load(ordering: .sequentiallyConsistent) == 2)
    }

    /// What each side computes is there when `run` returns.
    @Test func resultsOfBothSidesAreThereWhenItReturns() {
        var first = 0
        var second = 0
        SideBySide.run({ first = (1...1000).reduce(0, +) }, { second = (1...2000).reduce(0, +) })
        #expect(first == 500_500)
        #expect(second == 2_001_000)
    }
}

extension PairedBootstrap {
    /// One class of one cell under the workspace's weights: weighted TP and FP counts per threshold, recall (also
    /// at the cell's recall limits) and, for a cell that computes precision, AP per threshold.
    ///
    /// Detections are visited in ranking order. Common false positives only add their image's weight to a running
    /// count. Each other detection with a non-zero weight adds its weight to the running total and, per threshold,
    /// to the true positives or the ignored; false positives at a threshold are the rest, so they need no update.
    /// Each true positive is an event (cumulative TP, cumulative TP + FP): under the interpolated rules the largest
    /// precision is kept per recall-point segment as it streams by; under the all-point rule events are stored.
    func accumulate(cell c: Int, spec: BootstrapDesign.Cell, _ columns: RankedColumns, k: Int, workspace: Workspace) {
        let T = design.thresholdCount
        let state = workspace.state
        let weights = workspace.weights
        let limits = spec.recallLimits
        let limitTP = workspace.limitTruePositives
        state.update(repeating: ThresholdState(), count: T)
        limitTP.update(repeating: 0, count: limits.count * T)
        let set = spec.positiveSet
        let positives = workspace.positives[set * design.classCount + k]
        let computesPrecision = spec.computesPrecision && (positives > 0 || design.weighting == .imagesHolding)
        let points = workspace.recallPointCount
        let sampled = computesPrecision && points > 0
        let storesEvents = computesPrecision && points == 0
        let needed = workspace.needed + (set * design.classCount + k) * points
        let segmentBest = workspace.segmentBest
        let events = workspace.events
        let offsets = columns.eventOffset + k * (T + 1)
        // Locals, not the class's properties: the loops below must not reload them through memory.
        let commonImage = columns.commonImage
        let specialImage = columns.specialImage
        let specialCommonEnd = columns.specialCommonEnd
        let specialIgnored = columns.specialIgnored
        let specialTruePositive = columns.specialTruePositive
        let specialRank = columns.specialRank
        var common = columns.commonStart[k]
        let commonEnd = columns.commonStart[k + 1]
        var commonWeight = 0
        var specialWeight = 0
        for s in columns.specialStart[k]..<columns.specialStart[k + 1] {
            let end = specialCommonEnd[s]
            var sum = 0
            while common < end {
                sum &+= Int(weights[Int(commonImage[common])])
                common &+= 1
            }
            commonWeight &+= sum
            let w = Int(weights[Int(specialImage[s])])
            if w == 0 { continue }
            specialWeight &+= w
            var bits = specialIgnored[s]
            while bits != 0 {
                state[bits.trailingZeroBitCount].ignored &+= w
                bits &= bits &- 1
            }
            bits = specialTruePositive[s]
            guard bits != 0 else { continue }
            if !limits.isEmpty {
                let rank = Int(specialRank[s])
                for (l, limit) in limits.enumerated() where rank < limit {
                    var limited = bits
                    while limited != 0 {
                        limitTP[l &* T &+ limited.trailingZeroBitCount] &+= w
                        limited &= limited &- 1
                    }
                }
            }
            let seen = specialWeight &+ commonWeight
            while bits != 0 {
                let t = bits.trailingZeroBitCount
                bits &= bits &- 1
                var current = state[t]
                let numerator = current.truePositives &+ w
                current.truePositives = numerator
                let denominator = seen &- current.ignored
                if sampled {
                    var segment = current.segment
                    if segment + 1 < points && needed[segment + 1] <= numerator {
                        // A new recall point is reached: close the segment, skip empty ones.
                        let best = segmentBest + 2 * (t * points)
                        if segment >= 0 {
                            best[2 * segment] = current.bestNumerator
                            best[2 * segment + 1] = current.bestDenominator
                        }
                        segment += 1
                        while segment + 1 < points && needed[segment + 1] <= numerator {
                            best[2 * segment] = 0
                            best[2 * segment + 1] = 1
                            segment += 1
                        }
                        current.segment = segment
                        current.bestNumerator = numerator
                        current.bestDenominator = denominator
                    } else if segment >= 0 {
                        // Selects, not branches: whether precision rises is data, not a pattern to predict.
                        let left = numerator &* current.bestDenominator
                        let right = current.bestNumerator &* denominator
                        let takes = left > right || (left == right && denominator > current.bestDenominator)
                        current.bestNumerator = takes ? numerator : current.bestNumerator
                        current.bestDenominator = takes ? denominator : current.bestDenominator
                    }
                } else if storesEvents {
                    let slot = 2 &* (offsets[t] &+ current.events)
                    events[slot] = numerator
                    events[slot &+ 1] = denominator
                    current.events &+= 1
                }
                state[t] = current
            }
        }
        var sum = 0
        while common < commonEnd {
            sum &+= Int(weights[Int(commonImage[common])])
            common &+= 1
        }
        commonWeight &+= sum

        let seen = specialWeight &+ commonWeight
        let classSlot = k * T
        let cellSlot = c * design.classCount * T + classSlot
        let recallDenominator = Double(design.weighting == .imagesHolding ? max(1, positives) : positives)
        let recallBase = workspace.recallSlot[c] * design.classCount * T + classSlot
        let slotStride = design.classCount * T
        for t in 0..<T {
            let tp = state[t].truePositives
            workspace.truePositiveCounts[cellSlot + t] = tp
            workspace.falsePositiveCounts[cellSlot + t] = seen &- state[t].ignored &- tp
            workspace.recall[recallBase + t] = Double(tp) / recallDenominator
            for l in limits.indices {
                workspace.recall[recallBase + (l + 1) * slotStride + t] = Double(limitTP[l * T + t]) / recallDenominator
            }
        }
        for t in 0..<T {
            let value: Double
            if !computesPrecision {
                value = .nan
            } else {
                switch design.rule {
                case .interpolated:
                    value =
                        sampledPrecision(state[t], best: segmentBest + 2 * (t * points), epsilon: true)
                        / Double(points)
                case .elevenPoint:
                    value = sampledPrecision(state[t], best: segmentBest + 2 * (t * points), epsilon: false, each: 11)
                case .allPoint:
                    value = areaUnderEnvelope(events + 2 * offsets[t], count: state[t].events) / recallDenominator
                }
            }
            workspace.averagePrecision[cellSlot + t] = value
        }
    }

    /// The sum over the recall points reached of the precision envelope there (each term divided by `each`), from
    /// the largest precision of each segment: the envelope at a point is the largest precision of its segment and
    /// every later one. Points never reached add nothing (pycocotools and the devkit read 0 there).
    ///
    /// Fractions are compared by cross-multiplication; a division happens only where the envelope changes. With
    /// `epsilon` (pycocotools) the value is `tp / ((tp + fp) + 2.22e-16)`, which is below 1 only when
    /// `tp + fp == 1`: among equal fractions the larger denominator is kept.
    @inline(__always)
    func sampledPrecision(_ state: ThresholdState, best: UnsafeMutablePointer<Int>, epsilon: Bool, each: Double = 1)
        -> Double
    {
        guard state.segment >= 0 else { return 0 }
        best[2 * state.segment] = state.bestNumerator
        best[2 * state.segment + 1] = state.bestDenominator
        var numerator = 0
        var denominator = 1
        var value = 0.0
        var sum = 0.0
        for r in stride(from: state.segment, through: 0, by: -1) {
            let n = best[2 * r]
            let d = best[2 * r + 1]
            let left = n &* denominator
            let right = numerator &* d
            if left > right || (left == right && d > denominator) {
                numerator = n
                denominator = d
                let precision =
                    epsilon ? Double(n) / (Double(d) + Double.ulpOfOne) : Double(n) / Double(d)
                value = each == 1 ? precision : precision / each
            }
            sum += value
        }
        return sum
    }

    /// The all-point area times the positives: the sum over events (cumulative TP, cumulative TP + FP) of (TP
    /// added) x (precision envelope there), the envelope a running maximum from the right.
    @inline(__always)
    func areaUnderEnvelope(_ events: UnsafePointer<Int>, count: Int) -> Double {
        var bestNumerator = 0
        var bestDenominator = 1
        var best = 0.0
        var sum = 0.0
        var j = count - 1
        while j >= 0 {
            let numerator = events[2 * j]
            let denominator = events[2 * j + 1]
            if numerator &* bestDenominator > bestNumerator &* denominator {
                bestNumerator = numerator
                bestDenominator = denominator
                best = Double(numerator) / Double(denominator)
            }
            let added = numerator &- (j > 0 ? events[2 * (j - 1)] : 0)
            sum += Double(added) * best
            j -= 1
        }
        return sum
    }

    /// The summary and per-class metrics from the workspace's per-cell values.
    func fillMetrics(workspace: Workspace, into row: UnsafeMutablePointer<Double>) {
        let K = design.classCount
        let T = design.thresholdCount
        func isDefined(_ k: Int, cell: Int) -> Bool {
            let entry = design.cells[cell].positiveSet * K + k
            return design.weighting == .equal ? workspace.positives[entry] > 0 : workspace.holding[entry] > 0
        }
        func value(_ metric: BootstrapDesign.Estimate, _ source: BootstrapDesign.Source, _ k: Int) -> Double {
            let cell = source.cell
            let cellSlot = (cell * K + k) * T
            switch metric.statistic {
            case .truePositives, .falsePositives, .falseNegatives:
                guard let t = metric.thresholds.first else { return .nan }
                let tp = workspace.truePositiveCounts[cellSlot + t]
                switch metric.statistic {
                case .truePositives: return Double(tp)
                case .falsePositives: return Double(workspace.falsePositiveCounts[cellSlot + t])
                default:
                    return Double(workspace.positives[design.cells[cell].positiveSet * K + k] - tp)
                }
            case .averagePrecision, .averageRecall:
                guard isDefined(k, cell: cell), !metric.thresholds.isEmpty else { return .nan }
                let base: UnsafeMutablePointer<Double>
                if metric.statistic == .averagePrecision {
                    base = workspace.averagePrecision + cellSlot
                } else {
                    let slot = workspace.recallSlot[cell] + (source.recallLimit.map { $0 + 1 } ?? 0)
                    base = workspace.recall + (slot * K + k) * T
                }
                var sum = 0.0
                for t in metric.thresholds { sum += base[t] }
                return sum / Double(metric.thresholds.count)
            }
        }
        for (m, metric) in design.summary.enumerated() {
            var sum = 0.0
            var total = 0.0
            for source in metric.sources {
                for k in 0..<K {
                    let v = value(metric, source, k)
                    guard !v.isNaN else { continue }
                    let weight =
                        design.weighting == .equal
                        ? 1.0 : Double(workspace.holding[design.cells[source.cell].positiveSet * K + k])
                    sum += weight * v
                    total += weight
                }
            }
            row[m] = total > 0 ? sum / total : .nan
        }
        var column = design.summary.count
        for k in 0..<K {
            for metric in design.classMetrics {
                row[column] = metric.sources.first.map { value(metric, $0, k) } ?? .nan
                column += 1
            }
        }
    }
}

/// The percentile interval of a sample at `level` (0.95: the 2.5th to 97.5th percentile), with linear
/// interpolation between order statistics as `numpy.percentile`; NaN values are left out; nil when none is left.
public func percentileInterval(_ values: [Double], level: Double = 0.95) -> (low: Double, high: Double)? {
    let sorted = values.filter { !$0.isNaN }.sorted()
    guard !sorted.isEmpty else { return nil }
    func percentile(_ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
    // As numpy.percentile(values, [2.5, 97.5]) computes it: in percent, then divided by 100.
    let percent = level * 100
    return (percentile((100 - percent) / 2 / 100), percentile((100 + percent) / 2 / 100))
}

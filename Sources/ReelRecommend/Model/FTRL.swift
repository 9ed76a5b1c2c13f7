import Foundation

/// FTRL-Proximal logistic regression (McMahan et al., "Ad Click Prediction: a View from the Trenches", 2013)
/// over hashed sparse binary features, one model per task sharing the feature hashing. Chosen over a
/// factorisation machine or an MLP because it learns one event at a time in microseconds, its sparsity keeps
/// the model small, and its update is exactly reproducible (see `Docs/Decisions/0011-recommender-pipeline.md`).
public struct FTRL: Sendable {
    public struct Parameters: Sendable, Hashable {
        /// Learning rate. Click models with millions of examples per feature use about 0.05; here the
        /// per-viewer crosses (viewer × creator, viewer × hashtag) see a handful of examples each and must move
        /// within a session or two. 0.2 is a compromise measured both ways (Docs/Decisions/0013): in the
        /// simulated world 0.05 / 0.2 / 0.5 gave 1,653 / 1,733 / 1,756 s per session, while offline on random
        /// exposure the like AUC fell 0.606 / 0.583 / 0.574 (larger steps overfit a few examples).
        public var alpha: Double = 0.2
        public var beta: Double = 1
        /// L1 strength: a weight stays exactly 0 until its summed gradient exceeds this (sparsity).
        public var l1: Double = 0.1
        public var l2: Double = 1
        public init() {}
    }

    /// Weights per task: 2^bits slots.
    public let bits: Int
    public let parameters: Parameters
    var z: [Float]
    var n: [Float]
    /// `weight(i)` for every slot, refreshed whenever a slot's z or n changes: serving sums lookups instead of
    /// recomputing a square root and a division per feature (same bits: the same formula on the same inputs).
    private var w: [Double]

    public init(bits: Int = 18, parameters: Parameters = Parameters()) {
        self.bits = bits
        self.parameters = parameters
        z = [Float](repeating: 0, count: 1 << bits)
        n = [Float](repeating: 0, count: 1 << bits)
        w = [Double](repeating: 0, count: 1 << bits)
    }

    /// Recomputes every cached weight (after z and n were loaded from a file).
    mutating func refreshWeights() {
        for i in w.indices { w[i] = weight(i) }
    }

    @inline(__always) func slot(_ feature: UInt64) -> Int { Int(truncatingIfNeeded: feature) & ((1 << bits) - 1) }

    @inline(__always) func weight(_ i: Int) -> Double {
        let zi = Double(z[i])
        if abs(zi) <= parameters.l1 { return 0 }
        let sign: Double = zi < 0 ? -1 : 1
        return -(zi - sign * parameters.l1)
            / ((parameters.beta + Double(n[i]).squareRoot()) / parameters.alpha + parameters.l2)
    }

    /// The current weight of one feature (0 when never learned or held at zero by L1).
    public func weight(of feature: UInt64) -> Double { w[slot(feature)] }

    /// The predicted probability for a set of hashed features (each with value 1), on top of a fixed prior
    /// `margin` (log-odds) the weights learn to correct, as a base margin in boosted trees.
    public func predict(_ features: [UInt64], margin: Double = 0) -> Double {
        var s = margin
        for f in features { s += w[slot(f)] }
        return 1 / (1 + exp(-max(-35, min(35, s))))
    }

    /// One step on an observed label in [0, 1] (a fraction is a soft label); returns the prediction made before it (progressive validation).
    @discardableResult
    public mutating func learn(_ features: [UInt64], label: Double, margin: Double = 0) -> Double {
        let p = predict(features, margin: margin)
        let g = p - label
        for f in features {
            let i = slot(f)
            let ni = Double(n[i])
            let sigma = ((ni + g * g).squareRoot() - ni.squareRoot()) / parameters.alpha
            z[i] = Float(Double(z[i]) + g - sigma * weight(i))
            n[i] = Float(ni + g * g)
            w[i] = weight(i)
        }
        return p
    }

    /// Slots with a non-zero accumulated gradient (the model's effective size).
    public var activeSlots: Int { n.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }
}

/// Progressive validation of one task: every example is scored before it is learned, so the running log loss
/// is an honest out-of-sample figure; compared with always predicting the running base rate.
public struct ProgressiveValidation: Sendable, Hashable {
    public var examples: UInt64 = 0
    public var positives: UInt64 = 0
    public var logLoss: Double = 0
    public var baselineLogLoss: Double = 0

    /// Sum of labels so far (soft labels count their fraction), for the running base rate.
    public var labelSum: Double = 0

    public init() {}

    init(examples: UInt64, positives: UInt64, logLoss: Double, baselineLogLoss: Double, labelSum: Double) {
        self.examples = examples
        self.positives = positives
        self.logLoss = logLoss
        self.baselineLogLoss = baselineLogLoss
        self.labelSum = labelSum
    }

    public mutating func record(prediction p: Double, label: Double) {
        let base = (labelSum + 0.5) / (Double(examples) + 1)
        logLoss += Self.loss(p, label)
        baselineLogLoss += Self.loss(base, label)
        examples += 1
        labelSum += label
        if label >= 0.5 { positives += 1 }
    }

    static func loss(_ p: Double, _ y: Double) -> Double {
        let q = max(1e-7, min(1 - 1e-7, p))
        return -(y * log(q) + (1 - y) * log(1 - q))
    }

    /// Mean log loss per example.
    public var meanLogLoss: Double { examples > 0 ? logLoss / Double(examples) : 0 }
    public var meanBaselineLogLoss: Double { examples > 0 ? baselineLogLoss / Double(examples) : 0 }
}

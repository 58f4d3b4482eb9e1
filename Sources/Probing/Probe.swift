import Core
import LAM
import NN
import Training

/// A classifier trained on frozen latents: a linear (softmax) probe or a Linear-ReLU-Linear MLP.
public enum Probe {
  /// Probe kinds: linear softmax regression, or an MLP with one hidden ReLU layer.
  public enum Kind: Sendable { case linear, mlp(hidden: Int) }

  /// Training settings (fixed epochs and seed: the result is deterministic).
  public struct Settings: Sendable {
    public var epochs: Int
    public var batch: Int
    public var learningRate: Float
    public var seed: UInt64
    public init(epochs: Int = 60, batch: Int = 256, learningRate: Float = 3e-3, seed: UInt64 = 1) {
      self.epochs = epochs
      self.batch = batch
      self.learningRate = learningRate
      self.seed = seed
    }
  }

  /// A probe's held-out result: accuracy and the confusion counts `confusion[true][predicted]`.
  public struct Evaluation: Sendable {
    public var accuracy: Double
    public var confusion: [[Int]]  // [classes, classes]
  }

  /// Held-out accuracy of a probe trained on rows `train` of `features` [N, d] and tested on rows `test`.
  public static func accuracy(
    features: [Float], dim d: Int, labels: [Int], classes: Int, train: [Int], test: [Int],
    kind: Kind, settings: Settings = Settings()
  ) -> Double {
    evaluate(features: features, dim: d, labels: labels, classes: classes, train: train, test: test, kind: kind,
             settings: settings).accuracy
  }

  /// Trains a probe on rows `train` of `features` [N, d] and tests it on rows `test`.
  /// Features are standardized with the training rows' mean and standard deviation.
  public static func evaluate(
    features: [Float], dim d: Int, labels: [Int], classes: Int, train: [Int], test: [Int],
    kind: Kind, settings: Settings = Settings()
  ) -> Evaluation {
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    guard !test.isEmpty else { return Evaluation(accuracy: 0, confusion: confusion) }
    let x = standardized(features, dim: d, by: train)  // [N, d]
    var rng = RNG(seed: settings.seed)
    let layers: [any Layer]
    switch kind {
    case .linear: layers = [Linear(d, classes, rng: &rng)]
    case .mlp(let hidden): layers = [Linear(d, hidden, rng: &rng), ReLU(), Linear(hidden, classes, rng: &rng)]
    }
    let optimizer = Adam(layers.flatMap(\.parameters), learningRate: settings.learningRate)
    let loss = CrossEntropyLoss()
    let input = Tensor([0])  // [B, d]
    func forward(_ rows: ArraySlice<Int>) -> Tensor {
      input.resize([rows.count, d])
      for (i, row) in rows.enumerated() {
        for j in 0..<d { input.data[i * d + j] = x[row * d + j] }
      }
      return layers.reduce(input) { $1.forward($0) }
    }
    var order = train
    for _ in 0..<settings.epochs {
      rng.shuffle(&order)
      var start = 0
      while start < order.count {
        let rows = order[start..<min(start + settings.batch, order.count)]
        let logits = forward(rows)  // [B, classes]
        _ = loss.forward(logits, targets: rows.map { labels[$0] })
        for layer in layers { layer.zeroGrad() }
        _ = layers.reversed().reduce(loss.backward()) { $1.backward($0) }
        optimizer.update()
        start += rows.count
      }
    }
    var correct = 0
    var start = 0
    while start < test.count {
      let rows = test[start..<min(start + 1024, test.count)]
      let logits = forward(rows)  // [B, classes]
      for (i, row) in rows.enumerated() {
        let z = logits.data + i * classes
        var best = 0
        for k in 1..<classes where z[k] > z[best] { best = k }
        if best == labels[row] { correct += 1 }
        confusion[labels[row]][best] += 1
      }
      start += rows.count
    }
    return Evaluation(accuracy: Double(correct) / Double(test.count), confusion: confusion)
  }

  /// Chance level: the accuracy of always answering the training rows' most frequent class, on `test`.
  public static func chance(labels: [Int], train: [Int], test: [Int]) -> Double {
    guard !test.isEmpty else { return 0 }
    var counts: [Int: Int] = [:]
    for row in train { counts[labels[row], default: 0] += 1 }
    let majority = counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 0
    return Double(test.filter { labels[$0] == majority }.count) / Double(test.count)
  }

  /// The features with each column shifted and scaled by the mean and std of rows `by` (std 0 -> 1).
  static func standardized(_ features: [Float], dim d: Int, by rows: [Int]) -> [Float] {
    var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
    for row in rows {
      for j in 0..<d {
        let v = Double(features[row * d + j])
        mean[j] += v
        square[j] += v * v
      }
    }
    let n = Double(max(rows.count, 1))
    let std = (0..<d).map { j -> Double in
      let variance = square[j] / n - (mean[j] / n) * (mean[j] / n)
      return variance > 1e-12 ? variance.squareRoot() : 1
    }
    return features.indices.map { i in Float((Double(features[i]) - mean[i % d] / n) / std[i % d]) }
  }
}

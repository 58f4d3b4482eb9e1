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

  /// A probe's held-out result: accuracy, the confusion counts `confusion[true][predicted]`, and the fitted probe.
  public struct Evaluation {
    public var accuracy: Double
    public var confusion: [[Int]]  // [classes, classes]
    public var model: ProbeModel
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
  public static func evaluate(
    features: [Float], dim d: Int, labels: [Int], classes: Int, train: [Int], test: [Int],
    kind: Kind, settings: Settings = Settings()
  ) -> Evaluation {
    let model = fit(features: features, dim: d, labels: labels, classes: classes, train: train, kind: kind,
                    settings: settings)
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    guard !test.isEmpty else { return Evaluation(accuracy: 0, confusion: confusion, model: model) }
    var testFeatures = [Float]()
    testFeatures.reserveCapacity(test.count * d)
    for row in test { testFeatures += features[(row * d)..<((row + 1) * d)] }
    let predicted = model.predict(testFeatures)
    var correct = 0
    for (row, guess) in zip(test, predicted) {
      if guess == labels[row] { correct += 1 }
      confusion[labels[row]][guess] += 1
    }
    return Evaluation(accuracy: Double(correct) / Double(test.count), confusion: confusion, model: model)
  }

  /// Trains a probe on rows `train` of `features` [N, d], standardized with those rows' mean and std.
  public static func fit(
    features: [Float], dim d: Int, labels: [Int], classes: Int, train: [Int], kind: Kind, settings: Settings = Settings()
  ) -> ProbeModel {
    let (mean, std) = ProbeModel.standardization(features, dim: d, by: train)
    var rng = RNG(seed: settings.seed)
    let layers: [any Layer]
    switch kind {
    case .linear: layers = [Linear(d, classes, rng: &rng)]
    case .mlp(let hidden): layers = [Linear(d, hidden, rng: &rng), ReLU(), Linear(hidden, classes, rng: &rng)]
    }
    let model = ProbeModel(dim: d, classes: classes, mean: mean, std: std, layers: layers)
    let optimizer = Adam(layers.flatMap(\.parameters), learningRate: settings.learningRate)
    let loss = CrossEntropyLoss()
    let input = Tensor([0])  // [B, d]
    var order = train
    for _ in 0..<settings.epochs {
      rng.shuffle(&order)
      var start = 0
      while start < order.count {
        let rows = order[start..<min(start + settings.batch, order.count)]
        let logits = model.forward(rows, of: features, input: input)  // [B, classes]
        _ = loss.forward(logits, targets: rows.map { labels[$0] })
        for layer in layers { layer.zeroGrad() }
        _ = layers.reversed().reduce(loss.backward()) { $1.backward($0) }
        optimizer.update()
        start += rows.count
      }
    }
    return model
  }

  /// Chance level: the accuracy of always answering the training rows' most frequent class, on `test`.
  public static func chance(labels: [Int], train: [Int], test: [Int]) -> Double {
    guard !test.isEmpty else { return 0 }
    let majority = majority(labels: labels, train: train)
    return Double(test.filter { labels[$0] == majority }.count) / Double(test.count)
  }

  /// The most frequent label of rows `train` (the smallest on a tie; 0 without rows).
  public static func majority(labels: [Int], train: [Int]) -> Int {
    var counts: [Int: Int] = [:]
    for row in train { counts[labels[row], default: 0] += 1 }
    return counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 0
  }
}

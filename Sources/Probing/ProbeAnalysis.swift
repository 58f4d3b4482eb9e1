import Core
import Foundation
import GridWorld
import LAM
import NN
import Training

/// Probing a frozen LAM: what its latents hold about the action, distractors, position and shake.
public enum ProbeAnalysis {
  /// The MLP probe's hidden width.
  public static let hidden = 64

  /// Probes `model`'s latents: trains on the split's training episodes (at most `maxTrain` transitions,
  /// evenly spaced), tests on every transition of its validation episodes, or, given `evaluation`, on every
  /// transition of that dataset instead (e.g. uniform-policy data for a run trained on a correlated policy).
  public static func run(model: LatentActionModel, dataset: Dataset, split: EpisodeSplit, quantized: Bool,
                         evaluation: Dataset? = nil, maxTrain: Int = 50_000,
                         settings: Probe.Settings = Probe.Settings()) throws -> Probed {
    try Check.that(model.frame == dataset.frame, "dataset frames",
                   "the run's frame shape \(model.frame), got \(dataset.frame)")
    if let evaluation {
      try Check.that(evaluation.frame == dataset.frame && evaluation.steps == dataset.steps
                       && evaluation.distractorCount == dataset.distractorCount, "evaluation dataset",
                     "frames \(dataset.frame), \(dataset.steps) steps and \(dataset.distractorCount) distractors like the run's data, "
                       + "got \(evaluation.frame), \(evaluation.steps) and \(evaluation.distractorCount)")
      // One dataset holding both, so the probes train on the run's episodes and test on the evaluation's.
      let both = dataset.appending(evaluation)
      let tested = EpisodeSplit(train: split.train, validation: Array(dataset.episodes..<both.episodes), labelled: [])
      return try run(model: model, dataset: both, split: tested, quantized: quantized, maxTrain: maxTrain,
                     settings: settings)
    }
    let allTrain = dataset.transitions(of: split.train), testT = dataset.transitions(of: split.validation)
    // Probes saturate long before a large dataset is used up; an even subsample keeps them fast.
    let kept = min(allTrain.count, max(maxTrain, 1))
    let trainT = (0..<kept).map { allTrain[$0 * allTrain.count / kept] }
    let all = trainT + testT
    let train = Array(0..<trainT.count), test = Array(trainT.count..<all.count)
    let regions = PixelRegions(dataset.config)
    var paperSums = RegionErrors(pixels: dataset.frameSize)
    let encoding = Encoding.encode(model, dataset: dataset, transitions: all, quantized: quantized) { first, next, prediction in
      guard first + next.shape[0] > trainT.count else { return }
      for i in max(0, trainT.count - first)..<next.shape[0] {
        paperSums.add(next: next.data + i * dataset.frameSize, prediction: prediction.data + i * dataset.frameSize)
      }
    }
    return try analyse(encoding, dataset: dataset, transitions: all, train: train, test: test, quantized: quantized,
                       paper: paperSums.metrics(regions), settings: settings)
  }

  /// What probing gives: the results, and the fitted MLP action probe (to label new data with).
  public struct Probed {
    public var results: ProbeResults
    public var actionProbe: ProbeModel
  }

  /// Probes given latents (rows parallel to `transitions`); `train` and `test` index those rows.
  public static func analyse(_ encoding: Encoding, dataset: Dataset, transitions: [Int], train: [Int], test: [Int],
                             quantized: Bool, paper: PaperMetrics, settings: Probe.Settings = Probe.Settings()) throws -> Probed {
    let z = encoding.latents, d = encoding.dz
    var actionProbe: ProbeModel? = nil
    func target(_ labels: [Int], classes: Int, ceiling: Double? = nil, confusion: Bool = false) -> ProbeTarget {
      let linear = Probe.accuracy(features: z, dim: d, labels: labels, classes: classes, train: train, test: test,
                                  kind: .linear, settings: settings)
      let mlp = Probe.evaluate(features: z, dim: d, labels: labels, classes: classes, train: train, test: test,
                               kind: .mlp(hidden: hidden), settings: settings)
      if actionProbe == nil { actionProbe = mlp.model }  // the first target is the action
      return ProbeTarget(linear: .init(testAccuracy: linear),
                         mlp: .init(testAccuracy: mlp.accuracy, confusion: confusion ? mlp.confusion : nil),
                         chance: Probe.chance(labels: labels, train: train, test: test), ceiling: ceiling)
    }
    let actions = transitions.map { dataset.actions[$0] }
    let testTransitions = test.map { transitions[$0] }
    let action = target(actions, classes: Action.allCases.count,
                        ceiling: actionCeiling(dataset, transitions: testTransitions), confusion: true)
    let k = dataset.distractorCount
    let distractors = (0..<k).map { j in
      target(transitions.map { dataset.distractorActions[$0 * k + j] }, classes: Action.teleportCode + 1,
             ceiling: distractorActionCeiling(dataset, distractor: j, transitions: testTransitions), confusion: true)
    }
    let records = transitions.map(dataset.transition)
    let width = dataset.config.grid.width, cells = width * dataset.config.grid.height
    let distractorPositions = (0..<k).map { j in
      target(records.map { $0.distractorsAfter[j].index(width: width) }, classes: cells)
    }
    let position = target(records.map { $0.agentAfter.index(width: width) }, classes: cells)
    var shake: ProbeTarget? = nil
    let m = dataset.config.shake.maxPixels
    if m > 0 && dataset.config.shake.probability > 0 {
      shake = target(records.map { ($0.shakeAfter.dy + m) * (2 * m + 1) + $0.shakeAfter.dx + m },
                     classes: (2 * m + 1) * (2 * m + 1))
    }
    var codes: CodeAnalysis? = nil
    if let indices = encoding.codes {
      codes = codeAnalysis(codes: test.map { indices[$0] }, actions: test.map { actions[$0] },
                           size: max(encoding.codebookSize ?? 0, (indices.max() ?? -1) + 1))
    }
    let results = ProbeResults(latent: quantized ? "quantized" : "pre-quantization", trainTransitions: train.count,
                               testTransitions: test.count, action: action, distractors: distractors,
                               distractorPositions: distractorPositions, position: position,
                               shake: shake, paper: paper, codes: codes)
    return Probed(results: results, actionProbe: actionProbe!)
  }

  /// The best accuracy any predictor of the action can reach from the frames on `transitions`: a move
  /// is identified; a transition without a move (stay, or a move into a wall) is only known by the
  /// cell it happened in, so the best guess is that cell's most frequent unmoving action.
  public static func actionCeiling(_ dataset: Dataset, transitions: [Int]) -> Double {
    let width = dataset.config.grid.width
    return ceiling(transitions.map { t in
      (dataset.actions[t], dataset.moved[t], dataset.transition(t).agentBefore.index(width: width))
    })
  }

  /// The same ceiling for a distractor's action: it moved when its cell changed.
  public static func distractorActionCeiling(_ dataset: Dataset, distractor j: Int, transitions: [Int]) -> Double {
    let width = dataset.config.grid.width
    return ceiling(transitions.map { t in
      let record = dataset.transition(t)
      let before = record.distractorsBefore[j]
      return (record.distractorActions[j], before != record.distractorsAfter[j], before.index(width: width))
    })
  }

  /// (action, moved, cell before) per transition -> the fraction a best predictor gets right.
  private static func ceiling(_ rows: [(action: Int, moved: Bool, cell: Int)]) -> Double {
    guard !rows.isEmpty else { return 0 }
    var moved = 0
    var stillCounts: [Int: [Int: Int]] = [:]  // cell -> action -> count
    for row in rows {
      if row.moved { moved += 1; continue }
      stillCounts[row.cell, default: [:]][row.action, default: 0] += 1
    }
    let best = stillCounts.values.reduce(0) { $0 + ($1.values.max() ?? 0) }
    return Double(moved + best) / Double(rows.count)
  }

  /// Contingency table, purity (each code answers its most frequent action), NMI (arithmetic-mean
  /// normalization) and the number of codes used.
  public static func codeAnalysis(codes: [Int], actions: [Int], size: Int) -> CodeAnalysis {
    let a = Action.allCases.count
    var table = [[Int]](repeating: [Int](repeating: 0, count: a), count: size)
    for (c, y) in zip(codes, actions) { table[c][y] += 1 }
    let n = Double(codes.count)
    let purity = n > 0 ? Double(table.reduce(0) { $0 + ($1.max() ?? 0) }) / n : 0
    let rowSums = table.map { Double($0.reduce(0, +)) }
    let colSums = (0..<a).map { j in Double(table.reduce(0) { $0 + $1[j] }) }
    func entropy(_ counts: [Double]) -> Double { counts.reduce(0) { $1 > 0 ? $0 - $1 / n * log($1 / n) : $0 } }
    var mutual = 0.0
    for c in 0..<size { for y in 0..<a where table[c][y] > 0 {
      let p = Double(table[c][y]) / n
      mutual += p * log(p * n * n / (rowSums[c] * colSums[y]))
    } }
    let denominator = (entropy(rowSums) + entropy(colSums)) / 2
    return CodeAnalysis(contingency: table, purity: purity, nmi: denominator > 0 ? mutual / denominator : 0,
                        codesUsed: rowSums.filter { $0 > 0 }.count, codebookSize: size)
  }
}

/// Which pixels are the agent's region and which are exogenous (every cell outside it), per channel.
struct PixelRegions {
  var agent: [Bool]  // [C * H * W]

  init(_ config: EnvironmentConfig) {
    let g = config.grid, region = config.agentRegion
    let h = g.pixelHeight, w = g.pixelWidth
    agent = [Bool](repeating: false, count: g.channels * h * w)
    for c in 0..<g.channels { for y in 0..<h { for x in 0..<w {
      agent[(c * h + y) * w + x] = region.contains(Cell(row: y / g.cellSize, col: x / g.cellSize))
    } } }
  }
}

/// Running sums for the per-region prediction error and per-pixel variance of o'.
struct RegionErrors {
  var count = 0
  var squaredError: [Double]  // [pixels]
  var sum: [Double]  // [pixels]
  var sumSquares: [Double]  // [pixels]

  init(pixels: Int) {
    squaredError = [Double](repeating: 0, count: pixels)
    sum = squaredError
    sumSquares = squaredError
  }

  mutating func add(next: UnsafeMutablePointer<Float>, prediction: UnsafeMutablePointer<Float>) {
    count += 1
    for j in 0..<sum.count {
      let v = Double(next[j]), e = Double(prediction[j]) - v
      squaredError[j] += e * e
      sum[j] += v
      sumSquares[j] += v * v
    }
  }

  func metrics(_ regions: PixelRegions) -> PaperMetrics {
    func ratio(_ inRegion: Bool) -> Double? {
      let pixels = regions.agent.indices.filter { regions.agent[$0] == inRegion }
      guard !pixels.isEmpty, count > 0 else { return nil }
      let n = Double(count)
      let mse = pixels.reduce(0) { $0 + squaredError[$1] } / (n * Double(pixels.count))
      let variance = pixels.reduce(0) { $0 + max(sumSquares[$1] / n - (sum[$1] / n) * (sum[$1] / n), 0) } / Double(pixels.count)
      // A region that never changes has no signal to explain: the ratio is undefined.
      return variance > 1e-9 ? mse / variance : nil
    }
    return PaperMetrics(controllableLoss: ratio(true), stochasticLoss: ratio(false))
  }
}

extension Cell {
  /// row * width + col: the cell as a class label.
  func index(width: Int) -> Int { row * width + col }
}

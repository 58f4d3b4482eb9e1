import GridWorld

/// The FDM's prediction error split by what changed each pixel, from the generator's record of every
/// transition: the agent (the cells it left and entered), each distractor (likewise), the noise layers
/// (their regions, every frame) and the camera shake (every pixel that changed when the offset did).
///
/// A source's loss is the squared error on its pixels over the per-pixel variance of o' on them,
/// sum(error^2) / sum(variance). A pixel that only this source ever changes counts in every transition (on
/// the paper's 4x4 grids these are exactly the agent's region and the exogenous row, so the losses are the
/// paper's region losses); a pixel that other sources change too counts only in the transitions where this
/// source changed it. Each loss is also measured with every transition decoded from another transition's
/// latent: the level of a latent that holds nothing of the change.
struct ChangeErrors {
  /// The accumulated error of one source on the pixels it changed.
  struct Source {
    var ever: [Bool]  // [pixels] changed by this source in some transition
    var squaredError: [Double]  // [pixels] over the transitions where the source changed the pixel
    var shuffledError: [Double]  // [pixels]
    var count: [Int]  // [pixels]

    init(pixels: Int) {
      ever = [Bool](repeating: false, count: pixels)
      squaredError = [Double](repeating: 0, count: pixels)
      shuffledError = squaredError
      count = [Int](repeating: 0, count: pixels)
    }

    mutating func add(_ pixels: [Int], error: [Double], shuffled: [Double]) {
      for p in pixels {
        ever[p] = true
        squaredError[p] += error[p]
        shuffledError[p] += shuffled[p]
        count[p] += 1
      }
    }
  }

  let shape: [Int]  // [C, H, W]
  let cellSize: Int
  let noiseCells: [Cell]  // the noise layers' cells (each once)
  var transitions = 0
  var squaredError: [Double]  // [pixels] over every transition
  var shuffledError: [Double]  // [pixels]
  var sum: [Double]  // [pixels] of o'
  var sumSquares: [Double]  // [pixels]
  var agent: Source
  var exogenous: Source
  var distractors: [Source]  // [K]
  var noiseEver: [Bool]  // [pixels]
  var shakeEver: [Bool]  // [pixels]
  // Per-transition scratch: this transition's errors and a stamp marking pixels already in the exogenous list.
  private var error: [Double]
  private var shuffled: [Double]
  private var stamp: [Int]

  init(_ config: EnvironmentConfig) {
    let g = config.grid
    shape = g.frameShape
    cellSize = g.cellSize
    let pixels = shape.reduce(1, *)
    var cells = Set<Cell>()
    for layer in config.noise {
      let region = layer.region ?? g.wholeRegion
      for i in 0..<region.cellCount { cells.insert(region.cell(at: i)) }
    }
    noiseCells = cells.sorted { ($0.row, $0.col) < ($1.row, $1.col) }
    squaredError = [Double](repeating: 0, count: pixels)
    shuffledError = squaredError
    sum = squaredError
    sumSquares = squaredError
    agent = Source(pixels: pixels)
    exogenous = agent
    distractors = [Source](repeating: agent, count: config.distractorCount)
    noiseEver = [Bool](repeating: false, count: pixels)
    shakeEver = noiseEver
    error = squaredError
    shuffled = squaredError
    stamp = [Int](repeating: -1, count: pixels)
  }

  /// Adds one transition: o, o', the prediction and the prediction from another transition's latent, each
  /// [C, H, W], and its record.
  mutating func add(o: UnsafePointer<Float>, next: UnsafePointer<Float>, prediction: UnsafePointer<Float>,
                    shuffledPrediction: UnsafePointer<Float>, record: Transition) {
    let n = sum.count
    for p in 0..<n {
      let v = Double(next[p])
      let e = Double(prediction[p]) - v, s = Double(shuffledPrediction[p]) - v
      error[p] = e * e
      shuffled[p] = s * s
      squaredError[p] += e * e
      shuffledError[p] += s * s
      sum[p] += v
      sumSquares[p] += v * v
    }
    let offset = record.shakeAfter
    if record.moved {
      agent.add(pixels(of: [record.agentBefore, record.agentAfter], shake: offset), error: error, shuffled: shuffled)
    }
    var changedExogenous: [Int] = []
    func addExogenous(_ list: [Int]) {
      for p in list where stamp[p] != transitions {
        stamp[p] = transitions
        changedExogenous.append(p)
      }
    }
    for j in distractors.indices where record.distractorsBefore[j] != record.distractorsAfter[j] {
      let list = pixels(of: [record.distractorsBefore[j], record.distractorsAfter[j]], shake: offset)
      distractors[j].add(list, error: error, shuffled: shuffled)
      addExogenous(list)
    }
    if !noiseCells.isEmpty {
      let list = pixels(of: noiseCells, shake: offset)
      for p in list { noiseEver[p] = true }
      addExogenous(list)
    }
    if record.shakeBefore != record.shakeAfter {
      let list = (0..<n).filter { o[$0] != next[$0] }
      for p in list { shakeEver[p] = true }
      addExogenous(list)
    }
    exogenous.add(changedExogenous, error: error, shuffled: shuffled)
    transitions += 1
  }

  /// The pixel indices of `cells` in a frame translated by `shake` (each pixel once; off-frame ones dropped).
  func pixels(of cells: [Cell], shake: PixelOffset) -> [Int] {
    let (c, h, w, s) = (shape[0], shape[1], shape[2], cellSize)
    var list: [Int] = []
    for cell in Set(cells).sorted(by: { ($0.row, $0.col) < ($1.row, $1.col) }) {
      for y in (cell.row * s + shake.dy)..<((cell.row + 1) * s + shake.dy) where y >= 0 && y < h {
        for x in (cell.col * s + shake.dx)..<((cell.col + 1) * s + shake.dx) where x >= 0 && x < w {
          for channel in 0..<c { list.append((channel * h + y) * w + x) }
        }
      }
    }
    return list
  }

  /// A source's loss and its shuffled-latent level; nil when it changed no pixel or its pixels never vary.
  /// `others` marks the pixels some other source changed.
  func loss(_ source: Source, others: [Bool]) -> (loss: Double, shuffled: Double)? {
    guard transitions > 0 else { return nil }
    let t = Double(transitions)
    var error = 0.0, shuffled = 0.0, variance = 0.0, counted = 0.0
    for p in 0..<sum.count where source.ever[p] {
      let shared = others[p]
      let n = shared ? Double(source.count[p]) : t
      variance += n * max(sumSquares[p] / t - (sum[p] / t) * (sum[p] / t), 0)
      error += shared ? source.squaredError[p] : squaredError[p]
      shuffled += shared ? source.shuffledError[p] : shuffledError[p]
      counted += n
    }
    // Pixels that never vary have no signal to explain: the ratio is undefined.
    guard counted > 0, variance / counted > 1e-9 else { return nil }
    return (error / variance, shuffled / variance)
  }

  /// The controllable, stochastic and per-distractor losses with their shuffled-latent levels.
  func metrics() -> PaperMetrics {
    let exogenousEver = exogenous.ever
    let controllable = loss(agent, others: exogenousEver)
    let stochastic = loss(exogenous, others: agent.ever)
    let perDistractor = distractors.indices.map { j -> (loss: Double, shuffled: Double)? in
      var others = agent.ever
      for p in others.indices {
        others[p] = others[p] || noiseEver[p] || shakeEver[p]
          || distractors.indices.contains { $0 != j && distractors[$0].ever[p] }
      }
      return loss(distractors[j], others: others)
    }
    return PaperMetrics(controllableLoss: controllable?.loss, stochasticLoss: stochastic?.loss,
                        controllableLossShuffled: controllable?.shuffled, stochasticLossShuffled: stochastic?.shuffled,
                        distractorLosses: perDistractor.map { $0?.loss }, distractorLossesShuffled: perDistractor.map { $0?.shuffled })
  }
}

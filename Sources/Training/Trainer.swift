import Core
import Foundation
import GridWorld
import LAM
import NN

/// The loss terms of one training step.
public struct StepLosses: Sendable {
  public var total: Float = 0
  public var reconstruction: Float = 0
  public var bottleneck: Float = 0
  public var label: Float = 0
  public var gradNorm: Float = 0
}

/// One line of metrics.jsonl.
public struct MetricsRecord: Codable, Equatable, Sendable {
  public var step: Int
  public var loss: Float
  public var recon: Float
  public var bottleneck: Float
  public var label: Float
  public var gradNorm: Float
  public var samplesPerS: Double
  /// The learning rate of the step (absent in runs made before it was logged).
  public var lr: Float?
  public var perplexity: Float?
  public var codesUsed: Int?
  public var valRecon: Float?

  enum CodingKeys: String, CodingKey {
    case step, loss, recon, bottleneck, label, gradNorm = "grad_norm", samplesPerS = "samples_per_s", lr
    case perplexity, codesUsed = "codes_used", valRecon = "val_recon"
  }
}

/// Trains a latent action model on transitions: owns the model, the optimizer, the batch buffers
/// and the one generator that draws batches, augmentations and latent noise.
public final class Trainer {
  public let config: RunConfig
  public let data: Dataset
  public let split: EpisodeSplit
  public let model: LatentActionModel
  /// z_e -> action logits, present when labels are used in `head` mode.
  public let actionHead: Linear?
  public let optimizer: Adam
  /// Updates taken so far.
  public internal(set) var step = 0
  /// The generator for batches, augmentation and noise; saved in checkpoints so resuming is exact.
  public internal(set) var rng: RNG

  /// Training transitions after cleaning, as flat indices e * T + t.
  public let trainTransitions: [Int]
  let validationTransitions: [Int]
  private let isLabelled: [Bool]  // [E]

  // Buffers reused every step.
  private var batchIndices: [Int]  // [N]
  private var labels: [Int]  // [N]
  private var mask: [Bool]  // [N]
  private let o = Tensor([0])  // [N, C, H, W]
  private let next = Tensor([0])  // [N, C, H, W]
  private let decodeFrom = Tensor([0])  // [N, C, H, W], kappa, shiftIndependent and regionRoll only
  private let target = Tensor([0])  // [N, C, H, W], kappa, shiftIndependent and regionRoll only
  private var encoderShifts: [CellShift] = []  // [N], shift modes only
  private var decoderShifts: [CellShift] = []  // [N], shiftIndependent only
  private let scratch = Tensor([0])  // [H * W]
  private let dEncodedExtra = Tensor([0])  // [N, dz]
  private let mse = MSELoss()
  private let crossEntropy = CrossEntropyLoss()
  // The batch gather's shard body, made once (`ShardWorkers` explains why): each shard converts its rows'
  // frames (reading them from disk when the dataset is larger than memory).
  private lazy var gatherShard: (Int, Int) -> Void = { [unowned self] s, shards in
    let rows = BatchShards.images(s, of: self.batchIndices.count, chunk: 1, shards: shards)
    self.data.gatherPairs(self.batchIndices, rows: rows, o: self.o.data, next: self.next.data)
  }

  /// A new run: the model and head are initialized from the seed.
  public init(config: RunConfig, data: Dataset, split: EpisodeSplit) throws {
    try config.validate(frame: data.frame)
    try config.model.checkMemory(frame: data.frame, batch: config.train.batch, training: true)
    try split.validate(episodes: data.episodes)
    self.config = config
    self.data = data
    self.split = split
    var root = RNG(seed: config.train.seed)
    var initRNG = root.split()
    rng = root.split()
    model = LatentActionModel(config.model, frame: data.frame, rng: &initRNG)
    let r = config.remedies
    actionHead = r.trainsActionHead
      ? Linear(config.model.bottleneck.dz, 5, rng: &initRNG) : nil
    let parameters = model.namedParameters.map(\.parameter) + (actionHead?.parameters ?? [])
    optimizer = Adam(parameters, learningRate: config.train.lr, weightDecay: config.train.weightDecay,
                     decoupled: config.train.weightDecay > 0)
    var labelled = [Bool](repeating: false, count: data.episodes)
    for e in split.labelled { labelled[e] = true }
    isLabelled = labelled
    trainTransitions = Trainer.clean(data.transitions(of: split.train), data: data, remedies: r)
    validationTransitions = data.transitions(of: split.validation)
    try Check.that(!trainTransitions.isEmpty, "remedies.clean_fraction", "to leave some training transitions")
    let n = config.train.batch
    batchIndices = [Int](repeating: 0, count: n)
    labels = [Int](repeating: 0, count: n)
    mask = [Bool](repeating: false, count: n)
  }

  /// The named tensors a checkpoint stores for the model (parameters, head, VQ buffers).
  public var modelTensors: [(name: String, tensor: Tensor)] {
    model.namedParameters.map { ($0.name, $0.parameter.value) }
      + (actionHead.map { h in h.parameters.map { ("action_head." + $0.name, $0.value) } } ?? [])
      + model.buffers
  }

  /// Drops the given fraction of transitions with the largest exogenous change (or frame difference).
  static func clean(_ transitions: [Int], data: Dataset, remedies: Remedies) -> [Int] {
    guard remedies.cleanFraction > 0 else { return transitions }
    let score: (Int) -> Float = remedies.cleanBy == .exogenous
      ? { data.exogenousChange[$0] } : { data.frameDifference($0) }
    // Stable order: by score, ties by index, so the dropped set is deterministic.
    let ranked = transitions.map { ($0, score($0)) }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
    let keep = transitions.count - Int((Double(transitions.count) * remedies.cleanFraction).rounded())
    return ranked.prefix(max(keep, 1)).map(\.0).sorted()
  }

  /// One update on a random batch; returns its losses (not finite if the run diverged).
  @discardableResult
  public func trainStep() -> StepLosses {
    let batch = nextBatch()
    setWarmupPhase()
    timed("zero gradients", .optimizer) { optimizer.zeroGrad() }
    let prediction = model.forward(batch.encodeO, batch.encodeNext, decodeFrom: batch.decodeFrom, training: true, rng: &rng)
    var losses = StepLosses()
    losses.reconstruction = timed("loss", .forward) { mse.forward(prediction, batch.target) }
    losses.bottleneck = model.bottleneckLoss
    let extra = timed("label loss", .forward) { labelLoss(&losses) }
    losses.total = losses.reconstruction + losses.bottleneck + losses.label
    guard losses.total.isFinite else { return losses }
    model.backward(timed("loss", .backward) { mse.backward() }, dEncoded: extra)
    losses.gradNorm = timed("gradient norm", .optimizer) {
      config.train.gradClip > 0
        ? clipGradNorm(optimizer.parameters, maxNorm: config.train.gradClip) : gradNorm(optimizer.parameters)
    }
    timed("adam", .optimizer) { optimizer.update() }
    step += 1
    return losses
  }

  /// Draws the next training batch and applies the run's augmentation: the first half of `trainStep`, public
  /// so that what the IDM and the FDM are given can be looked at.
  public func nextBatch() -> TrainingBatch {
    let n = config.train.batch
    let r = config.remedies
    timed("load batch", .forward) {
      for i in 0..<n {
        let index = trainTransitions[rng.int(below: trainTransitions.count)]
        batchIndices[i] = index
        labels[i] = data.actions[index]
        mask[i] = isLabelled[index / data.steps]
      }
      let f = data.frame
      o.resize(n, f.channels, f.height, f.width)
      next.resize(n, f.channels, f.height, f.width)
      BatchShards.run(over: 2 * o.count, gatherShard)
    }
    let cellSize = data.config.grid.cellSize
    switch r.augment {
    case .none:
      return TrainingBatch(encodeO: o, encodeNext: next, decodeFrom: nil, target: next, encoderShifts: [], decoderShifts: [])
    case .shift:
      shiftByCells(o, next, cellSize: cellSize, axis: r.shiftAxis, rng: &rng, scratch: scratch, shifts: &encoderShifts)
      return TrainingBatch(encodeO: o, encodeNext: next, decodeFrom: nil, target: next, encoderShifts: encoderShifts,
                           decoderShifts: encoderShifts)
    case .kappa:
      // Decode from o + k2 and predict o' + k2, while the encoder sees o + k1 and o' + k1.
      decodeFrom.copy(from: o)
      target.copy(from: next)
      addSharedNoise(decodeFrom, target, std: r.kappa, rng: &rng)
      addSharedNoise(o, next, std: r.kappa, rng: &rng)
      return TrainingBatch(encodeO: o, encodeNext: next, decodeFrom: decodeFrom, target: target, encoderShifts: [],
                           decoderShifts: [])
    case .shiftIndependent:
      // The encoder sees o and o' rolled by s1; the decoder decodes from o rolled by s2 and predicts o' rolled by s2.
      decodeFrom.copy(from: o)
      target.copy(from: next)
      shiftByCells(o, next, cellSize: cellSize, axis: r.shiftAxis, rng: &rng, scratch: scratch, shifts: &encoderShifts)
      shiftByCells(decodeFrom, target, cellSize: cellSize, axis: r.shiftAxis, rng: &rng, scratch: scratch,
                   shifts: &decoderShifts)
      return TrainingBatch(encodeO: o, encodeNext: next, decodeFrom: decodeFrom, target: target,
                           encoderShifts: encoderShifts, decoderShifts: decoderShifts)
    case .regionRoll:
      // The encoder sees o and o' with the agent's region rolled; the decoder decodes the true frames.
      decodeFrom.copy(from: o)
      target.copy(from: next)
      let region = data.config.agentRegion
      rollRegion(o, next, region: PixelWindow(y: region.row * cellSize, x: region.col * cellSize,
                                              height: region.height * cellSize, width: region.width * cellSize),
                 cellSize: cellSize, axis: r.shiftAxis, rng: &rng, scratch: scratch, shifts: &encoderShifts)
      return TrainingBatch(encodeO: o, encodeNext: next, decodeFrom: decodeFrom, target: target,
                           encoderShifts: encoderShifts, decoderShifts: [])
    }
  }

  /// The VQ warm-up of `model.bottleneck.warmup` steps, from the step count alone, so that a resumed run
  /// continues it exactly: z_e passes through before the warm-up's last step, the codebook is seeded at it.
  private func setWarmupPhase() {
    let warmup = config.model.bottleneck.warmup
    guard warmup > 0, case .vq(let q) = model.bottleneck else { return }
    q.phase = step < warmup ? .passThrough : step == warmup ? .seedThenQuantize : .quantize
  }

  /// The action-label remedy's loss on z_e; returns its gradient w.r.t. z_e, or nil when unused.
  private func labelLoss(_ losses: inout StepLosses) -> Tensor? {
    let r = config.remedies
    guard r.labelFraction > 0, mask.contains(true) else { return nil }
    let zE = model.encoded
    dEncodedExtra.resize(zE.shape)
    switch r.labelMode {
    case .head:
      guard let head = actionHead else { return nil }
      let logits = head.forward(zE)
      losses.label = r.labelWeight * crossEntropy.forward(logits, targets: labels, mask: mask)
      let dLogits = crossEntropy.backward()
      for i in 0..<dLogits.count { dLogits.data[i] *= r.labelWeight }
      dEncodedExtra.copy(from: head.backward(dLogits))
    case .codes:
      guard case .vq(let vq) = model.bottleneck else { return nil }
      losses.label = actionCodePull(zE, codebook: vq.codebook, labels: labels, mask: mask, weight: r.labelWeight,
                                    gradient: dEncodedExtra)
    }
    return dEncodedExtra
  }

  /// Reconstruction MSE on held-out episodes (at most `limit` transitions, a fixed evenly spaced subset).
  public func validationLoss(limit: Int = 4096) -> Float {
    let all = validationTransitions
    guard !all.isEmpty else { return .nan }
    let count = min(limit, all.count)
    let chosen = (0..<count).map { all[$0 * all.count / count] }
    let n = config.train.batch
    var noRNG = RNG(seed: 0)  // evaluation draws nothing; the training generator stays untouched
    setWarmupPhase()
    var sum = 0.0
    var start = 0
    while start < chosen.count {
      let slice = Array(chosen[start..<min(start + n, chosen.count)])
      data.gather(slice, o: o, next: next)
      let prediction = model.forward(o, next, training: false, rng: &noRNG)
      sum += Double(mse.forward(prediction, next)) * Double(slice.count)
      start += n
    }
    return Float(sum / Double(chosen.count))
  }
}

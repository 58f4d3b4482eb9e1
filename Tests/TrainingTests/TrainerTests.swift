import Core
import Foundation
import GridWorld
import LAM
import NN
import Testing
import TestSupport
import Training

/// Random uint8 frames on the default 4 x 4 grid: enough to exercise the loop, split and checkpoints.
private func randomData(episodes: Int = 6, steps: Int = 5, seed: UInt64 = 1) -> Dataset {
  var rng = RNG(seed: seed)
  let size = 16
  let frames = (0..<(episodes * (steps + 1) * size)).map { _ in UInt8(rng.int(below: 256)) }
  let actions = (0..<(episodes * steps)).map { _ in rng.int(below: 5) }
  let exogenous = (0..<(episodes * steps)).map { Float($0 % 7) }
  return Dataset(
    config: EnvironmentConfig(), source: "random", seed: seed, episodes: episodes, steps: steps, frames: frames,
    actions: actions, moved: actions.map { $0 != 0 }, agentPositions: [Int](repeating: 0, count: episodes * (steps + 1) * 2),
    distractorActions: [], distractorPositions: [], shake: [Int](repeating: 0, count: episodes * (steps + 1) * 2),
    exogenousChange: exogenous)
}

private func smallConfig(_ kind: BottleneckKind = .continuous) -> RunConfig {
  var config = RunConfig()
  config.model.hidden = 16
  config.model.bottleneck.kind = kind
  config.model.bottleneck.noiseStd = kind == .continuous ? 0.1 : 0
  config.model.bottleneck.codes = 5
  config.train.steps = 40
  config.train.batch = 8
  config.train.logEvery = 5
  config.train.evalEvery = 10
  config.train.checkpointEvery = 10
  config.train.valFraction = 0.2
  config.remedies.augment = .shift
  config.remedies.labelFraction = 0.3
  config.remedies.labelMode = kind == .vq ? .codes : .head
  return config
}

private func makeTrainer(_ config: RunConfig, _ data: Dataset) throws -> Trainer {
  let split = try EpisodeSplit.make(episodes: data.episodes, valFraction: config.train.valFraction,
                                    labelFraction: config.remedies.labelFraction, seed: config.train.seed)
  return try Trainer(config: config, data: data, split: split)
}

private func info(_ data: Dataset) -> RunInfo {
  RunInfo(data: "memory", dataHash: "0", frame: data.frame, episodes: data.episodes, steps: data.steps)
}

private func weights(_ trainer: Trainer) -> [[Float]] { trainer.modelTensors.map(\.tensor.array) }

@Test(arguments: [BottleneckKind.continuous, .vq])
func resumingAfterAStopGivesBitIdenticalWeights(kind: BottleneckKind) throws {
  let data = randomData()
  let config = smallConfig(kind)
  let dirA = makeTemporaryFolder() + "/a", dirB = makeTemporaryFolder() + "/b"

  let straight = try makeTrainer(config, data)
  try TrainingRun.create(dirA, trainer: straight, info: info(data), force: false)
  _ = try TrainingRun.run(straight, in: dirA)

  let first = try makeTrainer(config, data)
  try TrainingRun.create(dirB, trainer: first, info: info(data), force: false)
  let stopped = try TrainingRun.run(first, in: dirB, shouldStop: { first.step >= 23 })
  #expect(stopped.stoppedEarly && stopped.steps == 23)

  let resumed = try makeTrainer(config, data)
  try Checkpoint.restore(resumed, from: dirB)
  #expect(resumed.step == 23)
  _ = try TrainingRun.run(resumed, in: dirB)
  #expect(resumed.step == 40)
  #expect(weights(resumed) == weights(straight))
  // The metrics log has each logged step once, as if the run had never stopped.
  let lines = try String(contentsOfFile: dirB + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
  let steps = try lines.map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0.utf8)).step }
  #expect(steps == [5, 10, 15, 20, 25, 30, 35, 40])
}

@Test func aNonFiniteLossStopsTrainingAndKeepsTheLastGoodCheckpoint() throws {
  let data = randomData()
  var config = smallConfig()
  config.train.steps = 20
  let dir = makeTemporaryFolder() + "/run"
  let trainer = try makeTrainer(config, data)
  try TrainingRun.create(dir, trainer: trainer, info: info(data), force: false)
  _ = try TrainingRun.run(trainer, in: dir, shouldStop: { trainer.step >= 10 })
  let saved = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + Checkpoint.modelFile))
  trainer.model.namedParameters[0].parameter.value[0] = .nan  // a blow-up in the weights
  #expect {
    _ = try TrainingRun.run(trainer, in: dir)
  } throws: { error in
    "\(error)".contains("step 11: the loss is not finite") && "\(error)".contains("(step 10) is kept")
  }
  #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + Checkpoint.modelFile)) == saved)
}

@Test func anExistingRunFolderIsKeptWithoutForce() throws {
  let data = randomData()
  let dir = makeTemporaryFolder()
  try Data("keep me".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
  let trainer = try makeTrainer(smallConfig(), data)
  #expect {
    try TrainingRun.create(dir, trainer: trainer, info: info(data), force: false)
  } throws: { "\($0)".contains("already exists") }
  #expect(try String(contentsOfFile: dir + "/notes.txt", encoding: .utf8) == "keep me")
}

@Test func warmStartFromAnotherArchitectureNamesTheMismatch() throws {
  let data = randomData()
  let dir = makeTemporaryFolder() + "/vq"
  let vq = try makeTrainer(smallConfig(.vq), data)
  try TrainingRun.create(dir, trainer: vq, info: info(data), force: false)
  try Checkpoint.save(vq, in: dir)
  var wider = smallConfig()
  wider.model.hidden = 32
  let other = try makeTrainer(wider, data)
  #expect {
    try Checkpoint.warmStart(other, from: dir + "/" + Checkpoint.modelFile)
  } throws: { error in
    let message = "\(error)"
    return message.contains("unexpected tensors") && message.contains("vq.codebook")
      || message.contains("expected shape [32, 32]")
  }
}

@Test func loadModelRebuildsTheSameNetworkFromACheckpoint() throws {
  let data = randomData()
  let dir = makeTemporaryFolder() + "/run"
  let trainer = try makeTrainer(smallConfig(.vq), data)
  try TrainingRun.create(dir, trainer: trainer, info: info(data), force: false)
  _ = try TrainingRun.run(trainer, in: dir)
  let loaded = try Checkpoint.loadModel(from: dir + "/" + Checkpoint.modelFile)
  #expect(loaded.step == 40)
  #expect(loaded.config == trainer.config)
  let original = trainer.model.namedParameters.map(\.parameter.value.array)
  #expect(loaded.model.namedParameters.map(\.parameter.value.array) == original)
}

@Test func splitIsSeededDisjointAndLabelsOnlyTrainingEpisodes() throws {
  let a = try EpisodeSplit.make(episodes: 100, valFraction: 0.05, labelFraction: 0.1, seed: 3)
  let b = try EpisodeSplit.make(episodes: 100, valFraction: 0.05, labelFraction: 0.1, seed: 3)
  let c = try EpisodeSplit.make(episodes: 100, valFraction: 0.05, labelFraction: 0.1, seed: 4)
  #expect(a == b)
  #expect(a != c)
  #expect(a.validation.count == 5 && a.train.count == 95)
  #expect(Set(a.train).isDisjoint(with: a.validation))
  #expect(a.labelled.count == 10 && Set(a.labelled).isSubset(of: Set(a.train)))
}

@Test func cleaningDropsTheTransitionsWithTheLargestExogenousChange() throws {
  let data = randomData(episodes: 10, steps: 7)  // exogenous change = index % 7
  var config = smallConfig()
  config.remedies.cleanFraction = 2.0 / 7.0
  let trainer = try makeTrainer(config, data)
  let kept = trainer.trainTransitions
  #expect(kept.allSatisfy { data.exogenousChange[$0] < 5 })
  #expect(Set(kept.map { data.exogenousChange[$0] }) == [0, 1, 2, 3, 4])
}

@Test(arguments: [Architecture.conv, .unet])
func convolutionalTrainingRepeatsExactlyAtOneToFourThreadsAndAgreesAcrossThreadCounts(architecture: Architecture) throws {
  var env = EnvironmentConfig()
  env.grid.cellSize = 4  // 16 x 16 pixel frames
  let data = try Dataset.generate(config: env, episodes: 8, steps: 6, seed: 2, threads: 1)
  var config = RunConfig()
  config.model.architecture = architecture
  config.model.channels = [8, 16]
  config.model.encoderHidden = 32
  config.model.latentEmbed = 16
  config.model.unet.widths = [4, 8, 8]  // two skips: 16x16, 8x8 and a 4x4 bottom
  config.model.unet.idmHidden = 16
  config.model.unet.latentEmbed = 4
  config.train.batch = 13  // shards of unequal size at 2, 3 and 4 threads
  config.train.valFraction = 0.25
  let split = try EpisodeSplit.make(episodes: data.episodes, valFraction: 0.25, labelFraction: 0, seed: 0)
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  /// The gradient norm of each of 3 steps, then every model tensor.
  func train(threads: Int) throws -> [[Float]] {
    BLASThreads.set(threads)
    let trainer = try Trainer(config: config, data: data, split: split)
    let norms = (0..<3).map { _ in trainer.trainStep().gradNorm }
    return [norms] + trainer.modelTensors.map(\.tensor.array)
  }
  let one = try train(threads: 1)
  for threads in [1, 2, 3, 4] {
    let first = try train(threads: threads)
    #expect(try train(threads: threads) == first, "\(threads) threads: two runs differ")
    // The thread counts differ only in how the convolutions' gradient sums are grouped.
    #expect(maxRelativeError(first[0], one[0]) < 1e-5, "\(threads) threads: gradient norms \(first[0]) and \(one[0])")
    for (a, b) in zip(first.dropFirst(), one.dropFirst()) {
      #expect(maxRelativeError(a, b, floor: 1e-2) < 1e-3, "\(threads) threads")
    }
  }
}

@Test("training on a dataset read from its files gives the metrics and weights of training on it in memory")
func trainingOnFileBackedFramesMatchesInMemoryFrames() throws {
  let data = try Dataset.generate(config: EnvironmentConfig(), episodes: 10, steps: 6, seed: 3)
  let folder = makeTemporaryFolder() + "/ds"
  try data.write(to: folder)
  let loaded = try Dataset.load(from: folder, framesInMemoryUpTo: 0)
  #expect(data.frames.isInMemory && !loaded.frames.isInMemory)
  var config = smallConfig()
  // Cleaning by frame difference reads every transition's frames once more.
  config.remedies.cleanFraction = 0.2
  config.remedies.cleanBy = .frameDiff
  func train(_ data: Dataset) throws -> (metrics: [MetricsRecord], weights: [[Float]]) {
    let dir = makeTemporaryFolder() + "/run"
    let trainer = try makeTrainer(config, data)
    try TrainingRun.create(dir, trainer: trainer, info: info(data), force: false)
    _ = try TrainingRun.run(trainer, in: dir)
    let lines = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
    let metrics = try lines.map { line in
      var record = try JSONDecoder().decode(MetricsRecord.self, from: Data(line.utf8))
      record.samplesPerS = 0  // the only timing in the record
      return record
    }
    return (metrics, weights(trainer))
  }
  let (inMemory, fromFile) = (try train(data), try train(loaded))
  #expect(inMemory.metrics.count == 8 && inMemory.metrics.last?.valRecon != nil)
  #expect(fromFile.metrics == inMemory.metrics)
  #expect(fromFile.weights == inMemory.weights)
}

@Test("A tiny unet run on the 4x4 grid repeats exactly for a seed and its reconstruction loss falls")
func aTinyUNetRunTrainsDeterministically() throws {
  let data = try Dataset.generate(config: EnvironmentConfig(), episodes: 20, steps: 20, seed: 3, threads: 1)
  var config = RunConfig()
  config.model.architecture = .unet
  config.model.unet.widths = [8, 16]
  config.model.unet.idmHidden = 32
  config.model.bottleneck.kind = .vq
  config.model.bottleneck.codes = 5
  config.train.batch = 32
  config.train.lr = 3e-3
  config.train.valFraction = 0.1
  let split = try EpisodeSplit.make(episodes: data.episodes, valFraction: 0.1, labelFraction: 0, seed: 0)
  /// The reconstruction loss and gradient norm of each of 300 steps, the validation loss, then every model tensor.
  func train() throws -> [[Float]] {
    let trainer = try Trainer(config: config, data: data, split: split)
    let losses = (0..<300).map { _ in trainer.trainStep() }
    return [losses.map(\.reconstruction), losses.map(\.gradNorm), [trainer.validationLoss()]]
      + trainer.modelTensors.map(\.tensor.array)
  }
  let first = try train()
  #expect(try train() == first)
  let recon = first[0]
  let start = recon.prefix(10).reduce(0, +) / 10, end = recon.suffix(50).reduce(0, +) / 50
  // 300 steps are early in training: 0.077 -> 0.045 here.
  #expect(end < 0.7 * start, "reconstruction \(start) over the first 10 steps, \(end) over the last 50")
  #expect(first[2][0] < 0.7 * start, "validation \(first[2][0])")
}

/// plane rolled by (dy, dx) with wrap-around: out[y][x] = plane[y - dy][x - dx].
private func rolled(_ t: Tensor, sample: Int, by shift: CellShift) -> [Float] {
  let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
  var out: [Float] = []
  for channel in 0..<c {
    let base = (sample * c + channel) * h * w
    for y in 0..<h {
      for x in 0..<w { out.append(t[base + ((y - shift.dy) % h + h) % h * w + ((x - shift.dx) % w + w) % w]) }
    }
  }
  return out
}

private func sample(_ t: Tensor, _ n: Int) -> [Float] { Array(t.array[(n * t.rowSize)..<((n + 1) * t.rowSize)]) }

/// The first training batch of 24 from 6 episodes of `env`, without augmentation and with `augment` along `axis`.
/// The same seed draws the same transitions first, so `plain` is the augmented batch's frames before any roll.
private func firstBatches(_ env: EnvironmentConfig, augment: Remedies.Augment, axis: Remedies.ShiftAxis = .both)
  throws -> (plain: TrainingBatch, augmented: TrainingBatch) {
  let data = try Dataset.generate(config: env, episodes: 6, steps: 8, seed: 4, threads: 1)
  var config = RunConfig()
  config.train.batch = 24
  config.train.valFraction = 0.2
  config.remedies.shiftAxis = axis
  let split = try EpisodeSplit.make(episodes: data.episodes, valFraction: 0.2, labelFraction: 0, seed: 0)
  let plain = try Trainer(config: config, data: data, split: split).nextBatch()
  config.remedies.augment = augment
  return (plain, try Trainer(config: config, data: data, split: split).nextBatch())
}

@Test("shiftIndependent: the IDM's pair and the FDM's input and target are the batch rolled by two independent drawn shifts")
func independentShiftsFeedTheEncoderAndTheDecoderDifferentRolls() throws {
  var env = EnvironmentConfig()
  env.grid.cellSize = 2  // 8 x 8 pixel frames: a shift moves two pixels
  let (plain, batch) = try firstBatches(env, augment: .shiftIndependent)
  let again = try firstBatches(env, augment: .shiftIndependent).augmented
  #expect(batch.encoderShifts.count == 24 && batch.decoderShifts.count == 24)
  let decodeFrom = try #require(batch.decodeFrom)
  for n in 0..<24 {
    let (e, d) = (batch.encoderShifts[n], batch.decoderShifts[n])
    #expect([e.dy, e.dx, d.dy, d.dx].allSatisfy { [-2, 0, 2].contains($0) })
    #expect(sample(batch.encodeO, n) == rolled(plain.encodeO, sample: n, by: e))
    #expect(sample(batch.encodeNext, n) == rolled(plain.encodeNext, sample: n, by: e))
    #expect(sample(decodeFrom, n) == rolled(plain.encodeO, sample: n, by: d))
    #expect(sample(batch.target, n) == rolled(plain.encodeNext, sample: n, by: d))
  }
  // The two rolls are drawn apart: here they differ for most samples, and the FDM's input with them.
  let differing = (0..<24).filter { batch.encoderShifts[$0] != batch.decoderShifts[$0] }
  #expect(differing.count >= 12)
  #expect(differing.contains { sample(decodeFrom, $0) != sample(batch.encodeO, $0) })
  // Deterministic for a seed.
  #expect(again.encoderShifts == batch.encoderShifts && again.decoderShifts == batch.decoderShifts)
  #expect(again.encodeO.array == batch.encodeO.array && again.decodeFrom?.array == decodeFrom.array)
  // The plain shift rolls the decoder's frames with the encoder's.
  let shifted = try firstBatches(env, augment: .shift).augmented
  #expect(shifted.decodeFrom == nil && shifted.decoderShifts == shifted.encoderShifts)
}

@Test("regionRoll: the IDM's pair has the agent's region rolled inside itself, the rest kept; the FDM gets the true frames")
func regionRollRollsTheAgentRegionForTheEncoderOnly() throws {
  // 4 x 4 cells of 2 pixels: the agent lives in the top 3 rows, a distractor walks the bottom one.
  var env = EnvironmentConfig(grid: GridConfig(width: 4, height: 4, cellSize: 2))
  env.agent = AgentConfig(region: Region(row: 0, col: 0, height: 3, width: 4), color: Color(gray: 0.5))
  env.distractors = [DistractorGroup(region: Region(row: 3, col: 0, height: 1, width: 4), color: Color(gray: 0.5))]
  let (plain, batch) = try firstBatches(env, augment: .regionRoll)
  #expect(batch.encoderShifts.count == 24 && batch.decoderShifts.isEmpty)
  // The decoder decodes from the true o and predicts the true o'.
  #expect(try #require(batch.decodeFrom).array == plain.encodeO.array)
  #expect(batch.target.array == plain.encodeNext.array)
  /// Sample n of t with the top 6 pixel rows rolled by `shift` inside themselves, the bottom 2 rows as they are.
  func regionRolled(_ t: Tensor, _ n: Int, by shift: CellShift) -> [Float] {
    let frame = sample(t, n)
    return (0..<8).flatMap { y in
      (0..<8).map { x in y >= 6 ? frame[y * 8 + x] : frame[((y - shift.dy) % 6 + 6) % 6 * 8 + ((x - shift.dx) % 8 + 8) % 8] }
    }
  }
  for n in 0..<24 {
    let s = batch.encoderShifts[n]
    // Every offset of whole cells the region allows: 3 rows, 4 columns.
    #expect([0, 2, 4].contains(s.dy) && [0, 2, 4, 6].contains(s.dx))
    #expect(sample(batch.encodeO, n) == regionRolled(plain.encodeO, n, by: s))
    #expect(sample(batch.encodeNext, n) == regionRolled(plain.encodeNext, n, by: s))
  }
  // The draws cover more than one offset per axis, and a seed gives the same ones.
  #expect(Set(batch.encoderShifts.map(\.dy)).count > 1 && Set(batch.encoderShifts.map(\.dx)).count > 1)
  let again = try firstBatches(env, augment: .regionRoll).augmented
  #expect(again.encoderShifts == batch.encoderShifts && again.encodeO.array == batch.encodeO.array)
  // Along one axis only, the other offset stays 0.
  let horizontal = try firstBatches(env, augment: .regionRoll, axis: .horizontal).augmented
  #expect(horizontal.encoderShifts.allSatisfy { $0.dy == 0 })
  #expect(horizontal.encoderShifts.contains { $0.dx != 0 })
}

import Core
import Foundation
import GridWorld
import LAM
import NN
import Testing
import TestSupport
import Training

// What a run folder promises when a process is killed mid-save or its files are edited by hand
// (docs/reliability.md): the checkpoint pair is committed atomically, and every value read back is checked.

private func dataset(episodes: Int = 6, steps: Int = 5) throws -> Dataset {
  try Dataset.generate(config: EnvironmentConfig(), episodes: episodes, steps: steps, seed: 3, threads: 1)
}

private func config(steps: Int = 40) -> RunConfig {
  var config = RunConfig()
  config.model.hidden = 16
  config.train.steps = steps
  config.train.batch = 8
  config.train.checkpointEvery = 10
  config.train.valFraction = 0.2
  return config
}

private func trainer(_ config: RunConfig, _ data: Dataset) throws -> Trainer {
  let split = try EpisodeSplit.make(episodes: data.episodes, valFraction: config.train.valFraction,
                                    labelFraction: config.remedies.labelFraction, seed: config.train.seed)
  return try Trainer(config: config, data: data, split: split)
}

/// A run folder trained to step `stop` (a checkpoint there), on a dataset written beside it.
private func runFolder(stop: Int, config: RunConfig = config()) throws -> (dir: String, data: Dataset) {
  let root = makeTemporaryFolder()
  let data = try dataset()
  try data.write(to: root + "/ds")
  let t = try TrainingRun.start(root + "/run", config: config, dataPath: root + "/ds", force: false)
  _ = try TrainingRun.run(t, in: root + "/run", shouldStop: { t.step >= stop })
  FolderLock.unlock(root + "/run")
  return (root + "/run", data)
}

private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
private func copy(_ from: String, _ to: String) throws {
  try? FileManager.default.removeItem(atPath: to)
  try FileManager.default.copyItem(atPath: from, toPath: to)
}

/// The final weights of a run resumed from `dir` and trained to its configured end.
private func finish(_ dir: String) throws -> (step: Int, weights: [[Float]]) {
  let resumed = try TrainingRun.resume(dir)
  let step = resumed.step
  _ = try TrainingRun.run(resumed, in: dir)
  FolderLock.unlock(dir)
  return (step, resumed.modelTensors.map(\.tensor.array))
}

@Test func aSaveKilledAfterTheModelWasCommittedIsCompletedOnResume() throws {
  let straight = try runFolder(stop: 40).dir
  let (dir, _) = try runFolder(stop: 10)
  let (laterDir, _) = try runFolder(stop: 20)
  // Killed between the model's rename and the state's: the step-20 model, the step-10 state, the pending step-20 state.
  try copy(laterDir + "/" + Checkpoint.stateFile, dir + "/" + Checkpoint.pendingStateFile)
  try copy(laterDir + "/" + Checkpoint.modelFile, dir + "/" + Checkpoint.modelFile)
  let resumed = try finish(dir)
  #expect(resumed.step == 20)
  #expect(try bytes(dir + "/" + Checkpoint.modelFile) == (try bytes(straight + "/" + Checkpoint.modelFile)))
  #expect(try bytes(dir + "/" + Checkpoint.stateFile) == (try bytes(straight + "/" + Checkpoint.stateFile)))
  #expect(!FileManager.default.fileExists(atPath: dir + "/" + Checkpoint.pendingStateFile))
}

@Test func aSaveKilledBeforeTheModelWasCommittedIsDiscardedOnResume() throws {
  let straight = try runFolder(stop: 40).dir
  let (dir, _) = try runFolder(stop: 10)
  let (laterDir, _) = try runFolder(stop: 20)
  // Killed after the pending state was written, before the model: the step-10 pair and a step-20 pending state.
  try copy(laterDir + "/" + Checkpoint.stateFile, dir + "/" + Checkpoint.pendingStateFile)
  try Checkpoint.recover(dir)
  #expect(!FileManager.default.fileExists(atPath: dir + "/" + Checkpoint.pendingStateFile))
  let resumed = try finish(dir)
  #expect(resumed.step == 10)
  #expect(try bytes(dir + "/" + Checkpoint.modelFile) == (try bytes(straight + "/" + Checkpoint.modelFile)))
}

@Test func aTrainingStateOfAnotherStepIsRefused() throws {
  let (dir, _) = try runFolder(stop: 10)
  let state10 = try bytes(dir + "/" + Checkpoint.stateFile)
  _ = try finish(dir)
  try state10.write(to: URL(fileURLWithPath: dir + "/" + Checkpoint.stateFile))
  #expect {
    _ = try TrainingRun.resume(dir)
  } throws: { "\($0)" == "\(dir): checkpoint.safetensors and training-state.safetensors do not belong to the same checkpoint (their metadata 'step' differ)" }
}

/// Rewrites the checkpoint at `path` with `edit` applied to the run config in its metadata.
private func editEmbeddedConfig(_ path: String, _ edit: (inout String) -> Void) throws {
  let file = try Safetensors.read(from: path)
  var metadata = file.metadata
  edit(&metadata["config"]!)
  try Safetensors.write(Array(file.tensors.values), metadata: metadata, to: path)
}

@Test func aCheckpointsEmbeddedConfigIsValidatedLikeAConfigFile() throws {
  let (dir, _) = try runFolder(stop: 10)
  let path = dir + "/" + Checkpoint.modelFile
  try editEmbeddedConfig(path) { $0 = $0.replacingOccurrences(of: "\"depth\" : 2", with: "\"depth\" : -1") }
  #expect {
    _ = try Checkpoint.loadModel(from: path)
  } throws: { "\($0)" == "\(path) metadata 'config': model.depth: expected a value in 1...16, got -1" }
  try editEmbeddedConfig(path) {
    $0 = $0.replacingOccurrences(of: "\"depth\" : -1", with: "\"depth\" : 16")
      .replacingOccurrences(of: "\"hidden\" : 16", with: "\"hidden\" : 65536")
  }
  #expect {
    _ = try Checkpoint.loadModel(from: path)
  } throws: { error in
    "\(error)".hasPrefix("\(path) metadata: model: the mlp model for 1x4x4 frames needs about ")
      && "\(error)".contains("of memory, more than the ")
  }
}

@Test func aCheckpointHoldingANonFiniteParameterIsRefused() throws {
  let (dir, _) = try runFolder(stop: 10)
  let path = dir + "/" + Checkpoint.modelFile
  let file = try Safetensors.read(from: path)
  var tensors = file.tensors
  var weight = try tensors["idm.fc1.weight"]!.floats()
  weight[3] = .nan
  tensors["idm.fc1.weight"] = StoredTensor(name: "idm.fc1.weight", tensor: Tensor(shape: tensors["idm.fc1.weight"]!.shape, values: weight))
  try Safetensors.write(Array(tensors.values), metadata: file.metadata, to: path)
  #expect(throws: LamError("\(path): tensor 'idm.fc1.weight': value nan at index 3 (expected finite numbers)")) {
    _ = try Checkpoint.loadModel(from: path)
  }
}

@Test func aCheckpointWhoseConfigDescribesAnotherSizeIsRefusedBeforeTheModelIsBuilt() throws {
  let (dir, _) = try runFolder(stop: 10)
  let path = dir + "/" + Checkpoint.modelFile
  try editEmbeddedConfig(path) { $0 = $0.replacingOccurrences(of: "\"hidden\" : 16", with: "\"hidden\" : 4096") }
  #expect {
    _ = try Checkpoint.loadModel(from: path)
  } throws: { "\($0)".hasPrefix("\(path): metadata 'config' describes a model of 33865748 values, the tensors hold 1748") }
}

@Test func aCheckpointOfAnotherConfigThanTheRunFolderIsRefused() throws {
  let (dir, _) = try runFolder(stop: 10)
  let path = dir + "/" + Checkpoint.modelFile
  try editEmbeddedConfig(path) { $0 = $0.replacingOccurrences(of: "\"lr\" : 0.001", with: "\"lr\" : 0.002") }
  let expected = "\(path): metadata 'config' and 'frame': expected the run folder's config.json and run.json (apart from train.steps and train.threads)"
  #expect(throws: LamError(expected)) { _ = try RunData.open(dir, data: nil) }
}

@Test func anEditedSplitIsRefused() throws {
  let (dir, _) = try runFolder(stop: 10)
  let path = dir + "/" + TrainingRun.splitFile
  let original = try StrictJSON.load(EpisodeSplit.self, from: path)
  func expectRefusal(_ edit: (inout EpisodeSplit) -> Void, _ message: String) throws {
    var split = original
    edit(&split)
    try StrictJSON.encode(split).write(to: URL(fileURLWithPath: path))
    #expect {
      _ = try TrainingRun.load(dir)
    } throws: { "\($0)".hasPrefix("\(path): \(message)") }
  }
  try expectRefusal({ $0.train[0] = 6 }, "train: episode 6 is not among the dataset's 0...5")
  try expectRefusal({ $0.validation[0] = -1 }, "validation: episode -1 is not among the dataset's 0...5")
  try expectRefusal({ $0.train.append($0.train[0]) }, "train: expected each episode at most once")
  try expectRefusal({ $0.train.append($0.validation[0]) }, "validation: expected no training episode")
  try expectRefusal({ $0.train.removeLast() }, "train, validation: expected the run's 6 episodes between them, got 5")
  try expectRefusal({ $0.validation.append($0.train.removeLast()) }, "not the split of this run's config and 6 episodes (edited?)")
}

@Test func resumingToFewerStepsThanTheCheckpointIsRefused() throws {
  let (dir, _) = try runFolder(stop: 20)
  #expect {
    _ = try TrainingRun.resume(dir) { $0.train.steps = 5 }
  } throws: { "\($0)" == "\(dir) (resumed at the checkpoint's step 20): train.steps: expected a value in 20...100000000, got 5" }
}

@Test func aRunKilledBeforeItsFirstCheckpointSaysHowToStartOver() throws {
  let root = makeTemporaryFolder()
  try dataset().write(to: root + "/ds")
  _ = try TrainingRun.start(root + "/run", config: config(), dataPath: root + "/ds", force: false)
  FolderLock.unlock(root + "/run")
  #expect {
    _ = try TrainingRun.resume(root + "/run")
  } throws: { "\($0)".hasPrefix("\(root)/run: no checkpoint was committed yet") && "\($0)".contains("--force") }
}

@Test func aFramesFileCutShortWhileARunTrainsStopsItWithAOneLineErrorAndKeepsTheLastCheckpoint() throws {
  let root = makeTemporaryFolder()
  try dataset().write(to: root + "/ds")
  let file = root + "/ds/frames.npy"
  let whole = try bytes(file)
  let data = try Dataset.load(from: root + "/ds", framesInMemoryUpTo: 0)  // read from the file at every batch
  var c = config()
  c.train.logEvery = 5
  let t = try trainer(c, data)
  let hash = try StrictJSON.load(DatasetManifest.self, from: root + "/ds/dataset.json").contentHash
  try TrainingRun.create(root + "/run", trainer: t, info: RunInfo(data: root + "/ds", dataHash: hash, frame: data.frame,
                                                                  episodes: data.episodes, steps: data.steps), force: false)
  var message = ""
  do {
    // After step 15 (a checkpoint at 10) the file keeps its header and 8 bytes of frames.
    _ = try TrainingRun.run(t, in: root + "/run", onEvent: { event in
      if event.step == 15 { _ = truncate(file, off_t(whole.count - data.frames.count + 8)) }
    })
  } catch {
    message = "\(error)"
  }
  FolderLock.unlock(root + "/run")
  #expect(message.hasPrefix("\(file): cannot read data bytes "), "\(message)")
  #expect(message.hasSuffix(": the file was cut short or changed after it was loaded, or the disk failed; training stopped, the last checkpoint (step 10) is kept"))
  // With the file whole again the run resumes from that checkpoint.
  try whole.write(to: URL(fileURLWithPath: file))
  #expect(try finish(root + "/run").step == 10)
}

@Test func aSecondWriterOfARunFolderIsRefusedNamingTheHolder() throws {
  // The lock is per process (re-entrant here), so this checks the refusal through the lock file another
  // process would meet: a second descriptor's flock fails while the first holds it.
  let (dir, _) = try runFolder(stop: 10)
  try FolderLock.lock(dir)
  let fd = open(dir + "/" + FolderLock.file, O_RDWR)
  defer { close(fd) }
  #expect(flock(fd, LOCK_EX | LOCK_NB) != 0)
  #expect(try String(contentsOfFile: dir + "/" + FolderLock.file, encoding: .utf8) == "\(getpid())\n")
  FolderLock.unlock(dir)
  // Free once unlocked. Other tests of this process start processes, and one forked but not yet exec'd
  // holds a copy of every descriptor for a moment, so the first try may still meet the lock.
  var free = false
  for _ in 0..<100 where !free {
    free = flock(fd, LOCK_EX | LOCK_NB) == 0
    if !free { usleep(10_000) }
  }
  #expect(free)
}

@Test(arguments: [Architecture.mlp, .conv, .unet], BottleneckKind.allCases)
func theMemoryEstimateCountsEveryFloatOfTheCheckpoint(architecture: Architecture, kind: BottleneckKind) {
  var model = ModelConfig()
  model.architecture = architecture
  model.bottleneck.kind = kind
  model.channels = [8, 16]
  let frame = FrameShape(channels: 3, height: 16, width: 12)
  var rng = RNG(seed: 0)
  let built = LatentActionModel(model, frame: frame, rng: &rng)
  let floats = built.namedParameters.reduce(0) { $0 + $1.parameter.value.count } + built.buffers.reduce(0) { $0 + $1.tensor.count }
  #expect(model.parameterCount(frame: frame) == floats)
}

@Test func aModelTooLargeForThisMachineIsRefusedBeforeAnythingIsAllocated() throws {
  var huge = config()
  huge.model.hidden = 65536
  huge.model.depth = 16
  #expect {
    _ = try trainer(huge, try dataset())
  } throws: { "\($0)".hasPrefix("model: the mlp model for 1x4x4 frames (batch 8, gradients and Adam's moments) needs about ") }
}

@Test("a run trained on a format-1 dataset records its 64-bit content hash and still opens and resumes on it")
func aRunOnAnOldFormatDatasetStillOpens() throws {
  let data = try oldFormatDataset()
  let run = makeTemporaryFolder() + "/run"
  let t = try TrainingRun.start(run, config: config(steps: 20), dataPath: data, force: false)
  _ = try TrainingRun.run(t, in: run, shouldStop: { t.step >= 10 })
  FolderLock.unlock(run)
  let opened = try RunData.open(run, data: nil)
  #expect(opened.info.dataHash == "14f34b1352fc77e2" && opened.isTrainingData)
  #expect(opened.dataset.episodes == 6 && opened.step == 10)
  #expect(try finish(run).step == 10)
}

/// The model tensors after training `c` to its end in one go.
private func uninterruptedWeights(_ c: RunConfig) throws -> [[Float]] {
  let root = makeTemporaryFolder() + "/whole"
  try dataset().write(to: root + "/ds")
  let whole = try TrainingRun.start(root + "/run", config: c, dataPath: root + "/ds", force: false)
  _ = try TrainingRun.run(whole, in: root + "/run")
  FolderLock.unlock(root + "/run")
  return whole.modelTensors.map(\.tensor.array)
}

@Test("a vq warm-up resumes exactly, whether the checkpoint falls after the codebook's seeding or on its step",
      arguments: [13, 20])
func aVQWarmUpResumesToTheWeightsOfAnUninterruptedRun(warmup: Int) throws {
  var c = config()
  c.model.bottleneck.kind = .vq
  c.model.bottleneck.codes = 4
  c.model.bottleneck.warmup = warmup
  let expected = try uninterruptedWeights(c)
  let resumed = try finish(try runFolder(stop: 20, config: c).dir)
  #expect(resumed.step == 20)
  #expect(resumed.weights == expected)
}

@Test("during a vq warm-up the FDM gets z_e itself; from the warm-up's last step on it gets codes seeded from z_e")
func theVQWarmUpFeedsTheEncoderOutputThenItsCodes() throws {
  var c = config()
  c.model.bottleneck.kind = .vq
  c.model.bottleneck.codes = 4
  c.model.bottleneck.warmup = 5
  let t = try trainer(c, try dataset())
  guard case .vq(let vq) = t.model.bottleneck else { Issue.record("not vq"); return }
  let initial = vq.codebook.array
  for step in 0..<8 {
    let codesBefore = (0..<4).map { Array(vq.codebook.array[(4 * $0)..<(4 * $0 + 4)]) }
    t.trainStep()
    let latent = t.model.latent.array
    if step < 5 {
      // z_e itself, and the codebook untouched.
      #expect(latent == t.model.encoded.array, "step \(step)")
      #expect(vq.codebook.array == initial, "step \(step)")
    } else if step > 5 {
      // Every row is one of the codes as they were before this step's update.
      let rows = (0..<(latent.count / 4)).map { Array(latent[(4 * $0)..<(4 * $0 + 4)]) }
      #expect(rows.allSatisfy(codesBefore.contains), "step \(step)")
    }
    #expect(vq.phase == (step < 5 ? .passThrough : .quantize), "step \(step)")
  }
  // The seeding step put the codes on rows of z_e, away from their initial values.
  #expect(vq.codebook.array != initial)
}

@Test func aWarmUpAsLongAsTheRunIsRefused() {
  var c = config(steps: 40)
  c.model.bottleneck.kind = .vq
  c.model.bottleneck.warmup = 40
  #expect(throws: LamError.self) { try c.validate() }
  c.model.bottleneck.warmup = 39
  #expect(throws: Never.self) { try c.validate() }
}

@Test(arguments: [BottleneckKind.kl, .nsvq, .fsq])
func everyBottleneckKindResumesToTheWeightsOfAnUninterruptedRun(kind: BottleneckKind) throws {
  var c = config()
  c.model.bottleneck.kind = kind
  c.model.bottleneck.codes = 6
  c.model.bottleneck.replaceEvery = 7  // a replacement of unused nsvq codes falls between checkpoints
  c.model.bottleneck.restartThreshold = 0.5
  c.model.bottleneck.dz = 2
  c.model.bottleneck.levels = [4, 3]
  let expected = try uninterruptedWeights(c)
  let cut = try runFolder(stop: 20, config: c)
  let resumed = try finish(cut.dir)
  #expect(resumed.step == 20)
  #expect(resumed.weights == expected, "\(kind)")
}

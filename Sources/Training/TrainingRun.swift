import Core
import Foundation
import LAM
import NN

/// What the training loop reports as it goes (the CLI turns these into a progress bar or lines).
public struct TrainEvent: Sendable {
  public var step: Int
  public var steps: Int
  public var losses: StepLosses
  /// Throughput over the last logging window.
  public var samplesPerSecond: Double
  public var elapsedSeconds: Double
  /// Set on the steps where the validation loss was computed.
  public var valRecon: Float?
}

/// The end of a run, saved as summary.json.
public struct TrainSummary: Codable, Equatable, Sendable {
  public var steps: Int
  public var loss: Float
  public var recon: Float
  public var valRecon: Float
  public var samplesPerS: Double
  public var seconds: Double
  /// True when a stop was requested (Ctrl-C) before the configured number of steps.
  public var stoppedEarly: Bool

  enum CodingKeys: String, CodingKey {
    case steps, loss, recon, valRecon = "val_recon", samplesPerS = "samples_per_s", seconds
    case stoppedEarly = "stopped_early"
  }
}

/// Where a run's data came from, saved as run.json so probes find the same data and split.
public struct RunInfo: Codable, Equatable, Sendable {
  public var data: String
  public var dataHash: String
  public var frame: FrameShape
  public var episodes: Int
  public var steps: Int

  public init(data: String, dataHash: String, frame: FrameShape, episodes: Int, steps: Int) {
    self.data = data
    self.dataHash = dataHash
    self.frame = frame
    self.episodes = episodes
    self.steps = steps
  }

  enum CodingKeys: String, CodingKey {
    case data, dataHash = "data_hash", frame, episodes, steps
  }
}

/// The files of a run folder and the loop that fills them.
public enum TrainingRun {
  public static let configFile = "config.json"
  public static let splitFile = "split.json"
  public static let infoFile = "run.json"
  public static let metricsFile = "metrics.jsonl"
  public static let summaryFile = "summary.json"

  static let resumeHint = ", or --resume to continue it"

  /// The files of the run folder a command reads: what `--force` and file outputs must never touch.
  public static func inputs(_ runDir: String) -> [Files.Input] {
    [configFile, splitFile, infoFile, metricsFile, summaryFile, Checkpoint.modelFile, Checkpoint.stateFile]
      .map { Files.Input(runDir + "/" + $0, flag: "run file") }
  }

  /// Creates the run folder with its config, split and data reference, and takes its lock. An existing
  /// folder is refused unless `force`, and replaced only if lam made it (its marker); it is emptied under
  /// the lock, after everything was validated. The folder must not be, contain or lie inside an input.
  public static func create(_ runDir: String, trainer: Trainer, info: RunInfo, force: Bool, inputs: [Files.Input] = []) throws {
    try Files.checkOutputFolder(runDir, force: force, inputs: inputs, alternative: resumeHint)
    let fm = FileManager.default
    let existed = fm.fileExists(atPath: runDir)
    do {
      try fm.createDirectory(atPath: runDir, withIntermediateDirectories: true)
    } catch {
      throw LamError("\(runDir): cannot create the run folder (is the parent writable?)")
    }
    do {
      try FolderLock.lock(runDir)
    } catch {
      if !existed { try? fm.removeItem(atPath: runDir) }
      throw error
    }
    for entry in existed ? (try? fm.contentsOfDirectory(atPath: runDir)) ?? [] : [] where entry != FolderLock.file {
      do { try fm.removeItem(atPath: runDir + "/" + entry) } catch {
        throw LamError("\(runDir)/\(entry): cannot remove it from the old run folder")
      }
    }
    try Files.markOutputFolder(runDir)
    try Files.writeAtomically(StrictJSON.encode(trainer.config), to: runDir + "/" + configFile)
    try Files.writeAtomically(StrictJSON.encode(trainer.split), to: runDir + "/" + splitFile)
    try Files.writeAtomically(StrictJSON.encode(info), to: runDir + "/" + infoFile)
    try Files.writeAtomically(Data(), to: runDir + "/" + metricsFile)
  }

  /// Reads a run folder's saved config, split and data reference, each validated: the config like
  /// `--config`, run.json's counts and frame, and the split against the one the config and dataset give.
  public static func load(_ runDir: String) throws -> (config: RunConfig, split: EpisodeSplit, info: RunInfo) {
    guard FileManager.default.fileExists(atPath: runDir + "/" + configFile) else {
      throw LamError("\(runDir): not a run folder (no \(configFile))")
    }
    let infoPath = runDir + "/" + infoFile, configPath = runDir + "/" + configFile, splitPath = runDir + "/" + splitFile
    let info = try StrictJSON.load(RunInfo.self, from: infoPath)
    try info.frame.validate("frame", file: infoPath)
    try Check.range(info.episodes, "episodes", 2...Int(Int32.max), file: infoPath)
    try Check.range(info.steps, "steps", 1...100_000, file: infoPath)
    let config = try StrictJSON.load(RunConfig.self, from: configPath)
    do { try config.validate(frame: info.frame) } catch let error as LamError {
      throw LamError("\(configPath): \(error.message)")
    }
    let split = try StrictJSON.load(EpisodeSplit.self, from: splitPath)
    try split.validate(episodes: info.episodes, file: splitPath)
    // Every episode trains or validates: this bounds run.json's count by the file before the split is redrawn.
    try Check.that(split.train.count + split.validation.count == info.episodes, "train, validation",
                   "the run's \(info.episodes) episodes between them, got \(split.train.count + split.validation.count)",
                   file: splitPath)
    let expected = try EpisodeSplit.make(episodes: info.episodes, valFraction: config.train.valFraction,
                                         labelFraction: config.remedies.labelFraction, seed: config.train.seed)
    guard split == expected else {
      throw LamError("\(splitPath): not the split of this run's config and \(info.episodes) episodes (edited?); expected train \(expected.train.count), validation \(expected.validation.count), labelled \(expected.labelled.count) episodes")
    }
    return (config, split, info)
  }

  /// Stops the run when a read of its frames file failed (cut short after loading): the step that read the
  /// zeros is not saved, and the message says which checkpoint is kept.
  private static func checkFrames(_ trainer: Trainer, lastSaved: Int) throws {
    do { try trainer.data.frames.checkReads() } catch let error as LamError {
      throw LamError("\(error.message); training stopped, the last checkpoint (step \(lastSaved)) is kept")
    }
  }

  /// Trains until the configured step count or until `shouldStop` returns true, writing metrics,
  /// checkpoints and the summary into `runDir`. A non-finite loss stops the run with an error and
  /// leaves the last checkpoint as it was.
  public static func run(
    _ trainer: Trainer, in runDir: String, onEvent: (TrainEvent) -> Void = { _ in }, shouldStop: () -> Bool = { false }
  ) throws -> TrainSummary {
    let train = trainer.config.train
    let metrics = try MetricsLog(path: runDir + "/" + metricsFile, keepingStepsUpTo: trainer.step)
    let start = DispatchTime.now().uptimeNanoseconds
    var windowStart = start, windowSteps = 0
    var last = StepLosses()
    var lastSaved = trainer.step
    var valRecon = Float.nan
    var stopped = false
    var samplesPerSecond = 0.0

    while trainer.step < train.steps {
      if shouldStop() {
        stopped = true
        break
      }
      let losses = trainer.trainStep()
      try checkFrames(trainer, lastSaved: lastSaved)
      guard losses.total.isFinite else {
        throw LamError("\(runDir): step \(trainer.step + 1): the loss is not finite (\(losses.total)); training stopped, the last good checkpoint (step \(lastSaved)) is kept")
      }
      last = losses
      windowSteps += 1
      let step = trainer.step
      let isLast = step == train.steps
      var record: MetricsRecord? = nil
      if step % train.logEvery == 0 || isLast {
        let now = DispatchTime.now().uptimeNanoseconds
        samplesPerSecond = Double(windowSteps * train.batch) / max(Double(now - windowStart) / 1e9, 1e-9)
        windowStart = now
        windowSteps = 0
        record = MetricsRecord(step: step, loss: losses.total, recon: losses.reconstruction, bottleneck: losses.bottleneck,
                               label: losses.label, gradNorm: losses.gradNorm, samplesPerS: samplesPerSecond, lr: train.lr)
        if let usage = trainer.model.codeUsage {
          record?.perplexity = usage.perplexity
          record?.codesUsed = usage.codesUsed
        }
      }
      var evaluated: Float? = nil
      if step % train.evalEvery == 0 || isLast {
        valRecon = trainer.validationLoss()
        try checkFrames(trainer, lastSaved: lastSaved)
        evaluated = valRecon
        if record == nil {
          record = MetricsRecord(step: step, loss: losses.total, recon: losses.reconstruction, bottleneck: losses.bottleneck,
                                 label: losses.label, gradNorm: losses.gradNorm, samplesPerS: samplesPerSecond, lr: train.lr)
        }
        record?.valRecon = valRecon
      }
      if let record { try metrics.append(record) }
      if train.checkpointEvery > 0 && step % train.checkpointEvery == 0 && !isLast {
        try Checkpoint.save(trainer, in: runDir)
        lastSaved = step
      }
      if record != nil {
        onEvent(TrainEvent(step: step, steps: train.steps, losses: losses, samplesPerSecond: samplesPerSecond,
                           elapsedSeconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, valRecon: evaluated))
      }
    }
    if trainer.step != lastSaved || !FileManager.default.fileExists(atPath: runDir + "/" + Checkpoint.modelFile) {
      try Checkpoint.save(trainer, in: runDir)
    }
    if valRecon.isNaN {
      valRecon = trainer.validationLoss()
      try checkFrames(trainer, lastSaved: trainer.step)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let summary = TrainSummary(steps: trainer.step, loss: last.total, recon: last.reconstruction, valRecon: valRecon,
                               samplesPerS: samplesPerSecond, seconds: seconds, stoppedEarly: stopped)
    try Files.writeAtomically(StrictJSON.encode(summary), to: runDir + "/" + summaryFile)
    return summary
  }
}

/// metrics.jsonl, one JSON object per line, appended as the run goes, and the same scalars as
/// TensorBoard event files in tb/.
final class MetricsLog {
  private let handle: FileHandle
  private let encoder: JSONEncoder
  private let events: EventLog

  /// Opens the log for appending, first dropping lines past `step` (left by a run that went on
  /// after its last checkpoint and was then resumed from it).
  init(path: String, keepingStepsUpTo step: Int) throws {
    encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    let kept = existing.split(separator: "\n").filter { line in
      guard let record = try? JSONDecoder().decode(MetricsRecord.self, from: Data(line.utf8)) else { return false }
      return record.step <= step
    }
    let text = kept.map { $0 + "\n" }.joined()
    try Files.writeAtomically(Data(text.utf8), to: path)
    guard let handle = FileHandle(forWritingAtPath: path) else { throw LamError("\(path): cannot open for appending") }
    handle.seekToEndOfFile()
    self.handle = handle
    events = try EventLog(runDir: (path as NSString).deletingLastPathComponent, keepingStepsUpTo: step)
  }

  deinit { try? handle.close() }

  func append(_ record: MetricsRecord) throws {
    var line = try encoder.encode(record)
    line.append(0x0A)
    handle.write(line)
    events.append(record)
  }
}

extension RunConfig {
  /// The config without what a resume may change (train.steps and train.threads): runs with equal keys
  /// train the same model the same way, so a checkpoint of one continues the other.
  var resumeKey: RunConfig {
    var key = self
    (key.train.steps, key.train.threads) = (0, 0)
    return key
  }
}

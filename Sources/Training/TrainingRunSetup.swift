import Core
import Foundation
import GridWorld
import LAM

extension TrainingRun {
  /// A trainer for a new run of `config` on the dataset at `dataPath`, with the run folder created
  /// (config, split, data reference) and locked; `force` replaces an existing folder lam made. `inputs`
  /// are the command's other input files (the config, the --init checkpoint), which the run folder must
  /// not touch; the dataset is added here.
  /// With `pickArchitecture`, the architecture is `RunConfig.defaultArchitecture` for the dataset's frames.
  public static func start(_ runDir: String, config: RunConfig, dataPath: String, initFrom: String? = nil,
                           force: Bool, inputs: [Files.Input] = [], pickArchitecture: Bool = false) throws -> Trainer {
    let inputs = inputs + [Files.Input(dataPath, flag: "--data")]
    try Files.checkOutputFolder(runDir, force: force, inputs: inputs, alternative: resumeHint)  // before reading the data
    let (dataset, hash) = try RunData.loadDataset(dataPath, expectedHash: nil)
    var config = config
    if pickArchitecture { config.model.architecture = RunConfig.defaultArchitecture(for: dataset.frame) }
    try config.validate(frame: dataset.frame)
    let split = try EpisodeSplit.make(episodes: dataset.episodes, valFraction: config.train.valFraction,
                                      labelFraction: config.remedies.labelFraction, seed: config.train.seed)
    let trainer = try Trainer(config: config, data: dataset, split: split)
    if let initFrom { try Checkpoint.warmStart(trainer, from: initFrom) }
    let info = RunInfo(data: URL(fileURLWithPath: dataPath).standardizedFileURL.path, dataHash: hash, frame: dataset.frame,
                       episodes: dataset.episodes, steps: dataset.steps)
    try create(runDir, trainer: trainer, info: info, force: force, inputs: inputs)
    return trainer
  }

  /// A trainer restored from the run folder's last checkpoint, on its dataset (or `dataPath`, which must hold
  /// the same data), with `edit` applied to the saved config first (it may change what `RunConfig.resumeKey`
  /// leaves out; train.steps not below the checkpoint's step). Takes the run folder's lock and completes an
  /// interrupted checkpoint first.
  public static func resume(_ runDir: String, dataPath: String? = nil, edit: (inout RunConfig) -> Void = { _ in }) throws -> Trainer {
    guard FileManager.default.fileExists(atPath: runDir + "/" + configFile) else {
      throw LamError("\(runDir): not a run folder (no \(configFile))")
    }
    try FolderLock.lock(runDir)
    try Checkpoint.recover(runDir)
    let saved = try load(runDir)
    var config = saved.config
    edit(&config)
    guard FileManager.default.fileExists(atPath: runDir + "/" + Checkpoint.modelFile) else {
      throw LamError("\(runDir): no checkpoint was committed yet (stopped before its first one); start it again with `lam train --data \(saved.info.data) --out \(runDir) --force`")
    }
    let dataset = try RunData.loadDataset(dataPath ?? saved.info.data, for: saved.info)
    let trainer = try Trainer(config: config, data: dataset, split: saved.split)
    try Checkpoint.restore(trainer, from: runDir)
    try Check.range(config.train.steps, "train.steps", trainer.step...TrainConfig.maxSteps,
                    file: "\(runDir) (resumed at the checkpoint's step \(trainer.step))")
    if config != saved.config { try Files.writeAtomically(StrictJSON.encode(config), to: runDir + "/" + configFile) }
    return trainer
  }
}

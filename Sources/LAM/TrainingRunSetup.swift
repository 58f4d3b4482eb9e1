import Core
import Foundation
import GridWorld

extension TrainingRun {
  /// A trainer for a new run of `config` on the dataset at `dataPath`, with the run folder created
  /// (config, split, data reference); `force` replaces an existing folder.
  public static func start(_ runDir: String, config: RunConfig, dataPath: String, initFrom: String? = nil,
                           force: Bool) throws -> Trainer {
    let (dataset, hash) = try RunData.loadDataset(dataPath, expectedHash: nil)
    let split = try EpisodeSplit.make(episodes: dataset.episodes, valFraction: config.train.valFraction,
                                      labelFraction: config.remedies.labelFraction, seed: config.train.seed)
    let trainer = try Trainer(config: config, data: dataset, split: split)
    if let initFrom { try Checkpoint.warmStart(trainer, from: initFrom) }
    let info = RunInfo(data: URL(fileURLWithPath: dataPath).standardizedFileURL.path, dataHash: hash, frame: dataset.frame,
                       episodes: dataset.episodes, steps: dataset.steps)
    try create(runDir, trainer: trainer, info: info, force: force)
    return trainer
  }

  /// A trainer restored from the run folder's last checkpoint, on its dataset (or `dataPath`, which must hold
  /// the same data), with `edit` applied to the saved config first (e.g. more steps).
  public static func resume(_ runDir: String, dataPath: String? = nil, edit: (inout RunConfig) -> Void = { _ in }) throws -> Trainer {
    let saved = try load(runDir)
    var config = saved.config
    edit(&config)
    let (dataset, _) = try RunData.loadDataset(dataPath ?? saved.info.data, expectedHash: saved.info.dataHash)
    let trainer = try Trainer(config: config, data: dataset, split: saved.split)
    try Checkpoint.restore(trainer, from: runDir)
    return trainer
  }
}

extension ProbeAnalysis {
  public static let file = "probe.json"

  /// Probes a trained run folder (on its dataset, or `dataPath`) and writes its probe.json.
  /// With `evalPath`, the probes test on every transition of that dataset instead of the held-out episodes.
  public static func probeRun(_ runDir: String, dataPath: String? = nil, evalPath: String? = nil, quantized: Bool,
                              maxTrain: Int, settings: Probe.Settings) throws -> ProbeResults {
    let opened = try RunData.open(runDir, data: dataPath)
    let evaluation = try evalPath.map { try Dataset.load(from: $0) }
    let results = try run(model: opened.model, dataset: opened.dataset, split: opened.split, quantized: quantized,
                          evaluation: evaluation, maxTrain: maxTrain, settings: settings)
    try Files.writeAtomically(StrictJSON.encode(results), to: runDir + "/" + file)
    return results
  }
}

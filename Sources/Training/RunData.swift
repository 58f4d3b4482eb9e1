import Core
import Foundation
import GridWorld
import LAM

/// Loading a dataset for a run, with the check that it is the data the run was trained on.
public enum RunData {
  /// The dataset at `path` and its content hash; with `expectedHash`, refuses a different dataset.
  public static func loadDataset(_ path: String, expectedHash: String?) throws -> (dataset: Dataset, hash: String) {
    let dataset = try Dataset.load(from: path)
    let hash = try StrictJSON.load(DatasetManifest.self, from: path + "/dataset.json").contentHash
    if let expectedHash, hash != expectedHash {
      throw LamError("\(path): not the dataset this run was trained on (content hash \(hash), the run expects \(expectedHash))")
    }
    return (dataset, hash)
  }

  /// The dataset at `path`, which must be the one run.json names: the same content hash, episodes,
  /// steps and frame shape.
  public static func loadDataset(_ path: String, for info: RunInfo) throws -> Dataset {
    let dataset = try loadDataset(path, expectedHash: info.dataHash).dataset
    try Check.that(dataset.episodes == info.episodes && dataset.steps == info.steps && dataset.frame == info.frame,
                   "run.json", "the dataset's \(dataset.episodes) episodes of \(dataset.steps) steps and frames \(dataset.frame.dims), got \(info.episodes), \(info.steps), \(info.frame.dims)",
                   file: path)
    return dataset
  }

  /// A trained run, read and cross-checked for inference: its model and saved config, split, data
  /// reference and dataset.
  public struct Opened {
    public var model: LatentActionModel
    public var config: RunConfig
    public var step: Int
    public var split: EpisodeSplit
    public var info: RunInfo
    public var dataset: Dataset
  }

  /// The run's model, config, split and dataset (`data` overrides the dataset path saved in run.json). The
  /// checkpoint's config and frame must be the run folder's (apart from what a resume may change).
  public static func open(_ runDir: String, data: String?) throws -> Opened {
    let saved = try TrainingRun.load(runDir)
    let checkpoint = runDir + "/" + Checkpoint.modelFile
    guard FileManager.default.fileExists(atPath: checkpoint) else {
      throw LamError("\(checkpoint): no checkpoint in the run folder (train it first with `lam train`)")
    }
    let (model, config, step) = try Checkpoint.loadModel(from: checkpoint)
    try Check.that(config.resumeKey == saved.config.resumeKey && model.frame == saved.info.frame,
                   "metadata 'config' and 'frame'",
                   "the run folder's config.json and run.json (apart from train.steps and train.threads)", file: checkpoint)
    let dataset = try loadDataset(data ?? saved.info.data, for: saved.info)
    return Opened(model: model, config: config, step: step, split: saved.split, info: saved.info, dataset: dataset)
  }
}

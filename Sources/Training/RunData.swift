import Core
import Foundation
import GridWorld
import LAM
import NN

/// Loading a dataset for a run, with the check that it is the data the run was trained on.
public enum RunData {
  /// The dataset at `path` and its content hash; with `expectedHash`, refuses a different dataset.
  public static func loadDataset(_ path: String, expectedHash: String?) throws -> (dataset: Dataset, hash: String) {
    let dataset = try Dataset.load(from: path)
    let hash = try StrictJSON.load(DatasetManifest.self, from: path + "/dataset.json").contentHash
    if let expectedHash, hash != expectedHash {
      throw LamError("\(path): not the dataset this run was trained on (content hash \(hash), the run expects \(expectedHash)); `lam encode` and `lam label` take any data of the run's frame shape, `lam probe --eval-data D --out FILE` tests the probes on it")
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
  /// reference and a dataset.
  public struct Opened {
    public var model: LatentActionModel
    public var config: RunConfig
    public var step: Int
    /// z_e -> action logits, for a run trained with labels in `head` mode.
    public var actionHead: Linear?
    public var split: EpisodeSplit
    public var info: RunInfo
    public var dataset: Dataset
    /// The dataset's content hash.
    public var dataHash: String
    /// Whether the dataset is the one the run was trained on (its content hash is run.json's).
    public var isTrainingData: Bool { dataHash == info.dataHash }
  }

  /// The run's model, config, split and dataset (`data` overrides the dataset path saved in run.json). The
  /// checkpoint's config and frame must be the run folder's (apart from what a resume may change). The
  /// dataset must be the one the run was trained on, or with `anyData`, any dataset of the run's frame shape
  /// (to encode or label new episodes).
  public static func open(_ runDir: String, data: String?, anyData: Bool = false) throws -> Opened {
    let saved = try TrainingRun.load(runDir)
    let checkpoint = runDir + "/" + Checkpoint.modelFile
    guard FileManager.default.fileExists(atPath: checkpoint) else {
      throw LamError("\(checkpoint): no checkpoint in the run folder (train it first with `lam train`)")
    }
    let loaded = try Checkpoint.loadModel(from: checkpoint)
    try Check.that(loaded.config.resumeKey == saved.config.resumeKey && loaded.model.frame == saved.info.frame,
                   "metadata 'config' and 'frame'",
                   "the run folder's config.json and run.json (apart from train.steps and train.threads)", file: checkpoint)
    let path = data ?? saved.info.data
    let dataset: Dataset, hash: String
    if anyData {
      (dataset, hash) = try loadDataset(path, expectedHash: nil)
      try Check.that(dataset.frame == saved.info.frame, "frames",
                     "the frame shape \(saved.info.frame.dims) the run \(runDir) was trained on, got \(dataset.frame.dims)",
                     file: path + "/dataset.json")
    } else {
      dataset = try loadDataset(path, for: saved.info)
      hash = saved.info.dataHash
    }
    return Opened(model: loaded.model, config: loaded.config, step: loaded.step, actionHead: loaded.actionHead,
                  split: saved.split, info: saved.info, dataset: dataset, dataHash: hash)
  }
}

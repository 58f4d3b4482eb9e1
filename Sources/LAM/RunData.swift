import Core
import Foundation
import GridWorld

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

  /// The run's model, config, split and dataset (`data` overrides the dataset path saved in run.json).
  public static func open(_ runDir: String, data: String?) throws
    -> (model: LatentActionModel, config: RunConfig, split: EpisodeSplit, dataset: Dataset)
  {
    let saved = try TrainingRun.load(runDir)
    let checkpoint = runDir + "/" + Checkpoint.modelFile
    try Check.that(FileManager.default.fileExists(atPath: checkpoint), checkpoint,
                   "a model checkpoint (train the run first with `lam train`)")
    let (model, config, _) = try Checkpoint.loadModel(from: checkpoint)
    let (dataset, _) = try loadDataset(data ?? saved.info.data, expectedHash: saved.info.dataHash)
    return (model, config, saved.split, dataset)
  }
}

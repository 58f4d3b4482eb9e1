import Core
import Foundation
import GridWorld
import LAM
import Probing
import Training

/// Generating a sweep's datasets into DIR/data/, each once.
public enum SweepData {
  /// True when the dataset folder holds a complete dataset of the planned size and seed.
  public static func isComplete(_ dataset: SweepPlan.DataSet, in outDir: String) -> Bool {
    let folder = outDir + "/" + dataset.folder
    guard let manifest = try? StrictJSON.load(DatasetManifest.self, from: folder + "/dataset.json"),
          manifest.episodes == dataset.episodes, manifest.steps == dataset.steps, manifest.seed == dataset.seed,
          manifest.environment == dataset.environment
    else { return false }
    return (try? Dataset.load(from: folder)) != nil
  }

  /// Generates every dataset of the plan that is not complete yet; `onEvent` hears one line per dataset.
  public static func generate(_ plan: SweepPlan, in outDir: String, threads: Int, onEvent: (String) -> Void = { _ in }) throws {
    try SweepManifest.createFolders(outDir)
    for dataset in plan.datasets {
      let folder = outDir + "/" + dataset.folder
      if isComplete(dataset, in: outDir) {
        onEvent("\(dataset.folder): complete, skipped")
        continue
      }
      onEvent("\(dataset.folder): generating \(dataset.episodes) episodes x \(dataset.steps) steps of \(dataset.source) (seed \(dataset.seed))")
      try Dataset.generate(config: dataset.environment, episodes: dataset.episodes, steps: dataset.steps, seed: dataset.seed,
                           source: dataset.source, threads: max(1, min(256, threads)), to: folder, force: true)
      onEvent("\(dataset.folder): written")
    }
  }
}

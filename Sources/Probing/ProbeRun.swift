import Core
import Foundation
import GridWorld
import Training

extension ProbeAnalysis {
  /// Probes a trained run folder (on its dataset, or `dataPath`) and writes its probe.json.
  /// With `evalPath`, the probes test on every transition of that dataset instead of the held-out episodes.
  public static func probeRun(_ runDir: String, dataPath: String? = nil, evalPath: String? = nil, quantized: Bool,
                              maxTrain: Int, settings: Probe.Settings) throws -> ProbeResults {
    let opened = try RunData.open(runDir, data: dataPath)
    let evaluation = try evalPath.map { try Dataset.load(from: $0) }
    let results = try run(model: opened.model, dataset: opened.dataset, split: opened.split, quantized: quantized,
                          evaluation: evaluation, maxTrain: maxTrain, settings: settings)
    try Files.writeAtomically(StrictJSON.encode(results), to: runDir + "/" + ProbeResults.file)
    return results
  }
}

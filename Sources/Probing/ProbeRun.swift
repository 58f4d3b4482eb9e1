import Core
import Foundation
import GridWorld
import Training

extension ProbeAnalysis {
  /// Probes a trained run folder (on its dataset, or `dataPath`, which must hold the same data) and writes
  /// the results to `out`, by default the run's probe.json; probing the run's own held-out episodes also
  /// saves the fitted action probe in the run folder (`lam label --from probe` uses it). With `evalPath`,
  /// the probes test on every transition of that dataset instead, and `out` is required: an evaluation
  /// never replaces the run's own probe.json.
  public static func probeRun(_ runDir: String, dataPath: String? = nil, evalPath: String? = nil, out: String? = nil,
                              quantized: Bool, maxTrain: Int, settings: Probe.Settings,
                              progress: (String) -> Void = { _ in }) throws -> ProbeResults {
    guard evalPath == nil || out != nil else {
      throw LamError("\(runDir): probing on another dataset needs an output path for its results (--out FILE); the run's probe.json is kept for its own episodes")
    }
    let opened = try RunData.open(runDir, data: dataPath)
    let evaluation = try evalPath.map { try Dataset.load(from: $0) }
    let probed: Probed
    do {
      probed = try run(model: opened.model, dataset: opened.dataset, split: opened.split, quantized: quantized,
                       evaluation: evaluation, maxTrain: maxTrain, settings: settings, progress: progress)
    } catch let error as LamError where error.message == nonFinite {
      throw LamError("\(runDir)/\(Checkpoint.modelFile): \(error.message)")
    }
    try opened.dataset.frames.checkReads()
    try evaluation?.frames.checkReads()
    if evalPath == nil {
      try probed.actionProbe.save(to: runDir + "/" + Labelling.probeFile, metadata: [
        "target": "action", "latent": probed.results.latent, "checkpoint_step": String(opened.step),
        "data_content_hash": opened.dataHash,
      ])
    }
    try Files.writeAtomically(StrictJSON.encode(probed.results), to: out ?? runDir + "/" + ProbeResults.file)
    return probed.results
  }
}

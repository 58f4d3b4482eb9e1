import Core
import Foundation
import GridWorld
import LAM
import NN
import Training

/// Action labels for every transition of a dataset from a trained LAM: from its action head, its
/// action-labelled VQ codes, or the action probe `lam probe` fitted on its latents.
public enum Labelling {
  public enum Source: String, CaseIterable, Sendable {
    /// The linear head z_e -> action of a run trained with labels in `head` mode.
    case head
    /// VQ with labels in `codes` mode: code i is action i (codes from 5 on give no label, -1).
    case codes
    /// The MLP action probe `lam probe` saved in the run folder.
    case probe
  }

  /// The fitted action probe in a run folder.
  public static let probeFile = "action-probe.safetensors"

  public struct Result: Sendable {
    /// Predicted action code per transition [E * T] (-1: no label).
    public var labels: [Int]
    public var source: Source
    /// "pre-quantization" or "quantized": the latent the labels came from.
    public var latent: String
    /// Against the dataset's true actions: the fraction right and the best any predictor can reach.
    public var accuracy: Double
    public var ceiling: Double
  }

  /// The source to use when none is asked for: the head or codes the run trained, else its probe.
  public static func defaultSource(_ run: RunData.Opened) -> Source {
    if run.actionHead != nil { return .head }
    let r = run.config.remedies
    if r.labelFraction > 0 && r.labelMode == .codes && run.config.model.bottleneck.kind == .vq { return .codes }
    return .probe
  }

  /// Labels every transition of `run.dataset` from `source` (nil: `defaultSource`).
  public static func label(_ run: RunData.Opened, runDir: String, source: Source?) throws -> Result {
    let source = source ?? defaultSource(run)
    let dataset = run.dataset
    let all = Array(0..<dataset.transitionCount)
    var labels: [Int]
    var latent = "pre-quantization"
    switch source {
    case .head:
      guard let head = run.actionHead else {
        throw LamError("\(runDir): the run has no action head (it trained with remedies.labelFraction \(run.config.remedies.labelFraction) and labelMode \(run.config.remedies.labelMode.rawValue)); use --from probe after `lam probe --run \(runDir)`")
      }
      let encoding = Encoding.encode(run.model, dataset: dataset, transitions: all, quantized: false)
      // The head reads z_e as it is: a probe with the identity standardization.
      let dz = encoding.dz
      labels = ProbeModel(dim: dz, classes: head.outFeatures, mean: [Double](repeating: 0, count: dz),
                          std: [Double](repeating: 1, count: dz), layers: [head]).predict(encoding.latents)
    case .codes:
      guard defaultSource(run) == .codes else {
        throw LamError("\(runDir): the run's VQ codes carry no actions (it did not train with remedies.labelMode codes); use --from probe after `lam probe --run \(runDir)`")
      }
      let encoding = Encoding.encode(run.model, dataset: dataset, transitions: all, quantized: true)
      labels = (encoding.codes ?? []).map { $0 < Action.allCases.count ? $0 : -1 }
      latent = "quantized"
    case .probe:
      let path = runDir + "/" + probeFile
      guard FileManager.default.fileExists(atPath: path) else {
        throw LamError("\(path): no fitted action probe; run `lam probe --run \(runDir)` first")
      }
      let (probe, metadata) = try ProbeModel.load(from: path)
      try Check.that(metadata["checkpoint_step"] == String(run.step), "metadata 'checkpoint_step'",
                     "the run's checkpoint step \(run.step) (the run trained on after it was probed; run `lam probe --run \(runDir)` again)",
                     file: path)
      try Check.that(probe.dim == run.config.model.bottleneck.dz && probe.classes == Action.allCases.count, "metadata 'dim' and 'classes'",
                     "the run's dz \(run.config.model.bottleneck.dz) and \(Action.allCases.count) actions, got \(probe.dim) and \(probe.classes)", file: path)
      latent = metadata["latent"] ?? ""
      try Check.that(latent == "pre-quantization" || latent == "quantized", "metadata 'latent'",
                     "pre-quantization or quantized, got \(latent)", file: path)
      let encoding = Encoding.encode(run.model, dataset: dataset, transitions: all, quantized: latent == "quantized")
      labels = probe.predict(encoding.latents)
    }
    try dataset.frames.checkReads()
    let right = zip(labels, dataset.actions).filter { $0 == $1 }.count
    return Result(labels: labels, source: source, latent: latent,
                  accuracy: all.isEmpty ? 0 : Double(right) / Double(all.count),
                  ceiling: ProbeAnalysis.actionCeiling(dataset, transitions: all))
  }
}

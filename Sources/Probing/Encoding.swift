import Core
import GridWorld
import LAM
import NN
import Training

/// The frozen model's latents for a list of transitions, and its prediction errors per region.
public struct Encoding {
  public init(dz: Int, latents: [Float], codes: [Int]? = nil, codebookSize: Int? = nil, klPerDimension: [Double]? = nil) {
    self.dz = dz
    self.latents = latents
    self.codes = codes
    self.codebookSize = codebookSize
    self.klPerDimension = klPerDimension
  }

  /// Latent dimension.
  public var dz: Int
  /// z per transition, row-major [N, dz]: z_e (before quantization) or z (after), as asked.
  public var latents: [Float]
  /// Code index per transition [N] for the discrete kinds (vq, nsvq, fsq); nil for continuous and kl.
  public var codes: [Int]?
  /// The number of codes; nil for a continuous bottleneck.
  public var codebookSize: Int?
  /// kl bottlenecks: the KL of the posterior to N(0, 1) per dimension in nats, averaged over the transitions.
  public var klPerDimension: [Double]?

  /// Encodes `transitions` in batches of `batch`; `quantized` takes the bottleneck's output instead of z_e.
  /// `onPrediction` receives each batch's o, o' and predicted o' [B, C, H, W] with the batch's first row
  /// (the model's `latent` still holds the batch's z).
  public static func encode(
    _ model: LatentActionModel, dataset: Dataset, transitions: [Int], quantized: Bool, batch: Int = 512,
    onPrediction: ((_ first: Int, _ o: Tensor, _ next: Tensor, _ prediction: Tensor) -> Void)? = nil
  ) -> Encoding {
    let dz = model.config.bottleneck.dz
    var latents = [Float](repeating: 0, count: transitions.count * dz)
    var codes: [Int]? = nil
    var codebookSize: Int? = nil
    if let size = model.config.bottleneck.codebookSize {
      codes = []
      codebookSize = size
    }
    let o = Tensor([0]), next = Tensor([0])  // [B, C, H, W]
    var klSums: [Double]? = nil  // [dz], KL per dimension summed over transitions
    var rng = RNG(seed: 0)  // unused with training: false
    var start = 0
    while start < transitions.count {
      let chunk = Array(transitions[start..<min(start + batch, transitions.count)])
      dataset.gather(chunk, o: o, next: next)
      let prediction = model.forward(o, next, training: false, rng: &rng)
      let z = quantized ? model.latent : model.encoded  // [B, dz]
      for i in 0..<(chunk.count * dz) { latents[start * dz + i] = z.data[i] }
      if let last = model.lastCodes { codes! += last }
      if case .kl(let g) = model.bottleneck {
        let batchKL = g.klPerDimension
        klSums = zip(klSums ?? [Double](repeating: 0, count: dz), batchKL).map { $0 + $1 * Double(chunk.count) }
      }
      onPrediction?(start, o, next, prediction)
      start += chunk.count
    }
    return Encoding(dz: dz, latents: latents, codes: codes, codebookSize: codebookSize,
                    klPerDimension: klSums.map { $0.map { $0 / Double(max(transitions.count, 1)) } })
  }
}

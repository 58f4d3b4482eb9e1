import Core
import NN

/// IDM(o, o') -> z_e -> bottleneck -> z -> FDM(o, z) -> predicted o'.
public final class LatentActionModel {
  public enum Bottleneck {
    case continuous(ContinuousBottleneck)
    case vq(VectorQuantizer)
    case kl(GaussianBottleneck)
    case nsvq(NoiseSubstitutionVQ)
    case fsq(ScalarQuantizer)
  }

  public let config: ModelConfig
  public let frame: FrameShape
  public let idm: IDM
  public let bottleneck: Bottleneck
  public let fdm: FDM
  private let dEncodedTotal = Tensor([0])  // [N, dz]

  /// z_e of the last forward, [N, dz]: the IDM's output, or for kl the posterior mean (the IDM's first dz columns).
  public private(set) var encoded = Tensor([0])
  /// The bottleneck's output of the last forward (what the FDM saw), [N, dz].
  public private(set) var latent = Tensor([0])

  /// A freshly initialized model; parameters are drawn from `rng` in a fixed order (IDM, bottleneck, FDM).
  public init(_ config: ModelConfig, frame: FrameShape, rng: inout RNG) {
    self.config = config
    self.frame = frame
    idm = IDM(config, frame: frame, rng: &rng)
    let b = config.bottleneck
    switch b.kind {
    case .continuous:
      bottleneck = .continuous(ContinuousBottleneck(noiseStd: b.noiseStd, l2: b.l2))
    case .vq:
      bottleneck = .vq(VectorQuantizer(codes: b.codes, dim: b.dz, commitment: b.commitment, decay: b.emaDecay,
                                       restartThreshold: b.restartThreshold, rng: &rng))
    case .kl:
      bottleneck = .kl(GaussianBottleneck(dim: b.dz, beta: b.beta))
    case .nsvq:
      bottleneck = .nsvq(NoiseSubstitutionVQ(codes: b.codes, dim: b.dz, threshold: b.restartThreshold,
                                              replaceEvery: b.replaceEvery, rng: &rng))
    case .fsq:
      bottleneck = .fsq(ScalarQuantizer(levels: b.levels))
    }
    fdm = FDM(config, frame: frame, rng: &rng)
  }

  /// Predicted o' [N, C, H, W] for frames o and o' [N, C, H, W]. `training` turns on latent noise
  /// and codebook updates. The FDM decodes from `decodeFrom` when given (the kappa augmentation
  /// encodes and decodes from differently perturbed copies of o), else from o.
  public func forward(_ o: Tensor, _ next: Tensor, decodeFrom: Tensor? = nil, training: Bool, rng: inout RNG) -> Tensor {
    let raw = idm.forward(o, next)
    encoded = raw
    latent = timed("bottleneck", .forward) {
      switch bottleneck {
      case .continuous(let c): return c.forward(raw, training: training, rng: &rng)
      case .vq(let q): return q.forward(raw, training: training, rng: &rng)
      case .kl(let g):
        let z = g.forward(raw, training: training, rng: &rng)
        encoded = g.mean
        return z
      case .nsvq(let q): return q.forward(raw, training: training, rng: &rng)
      case .fsq(let q): return q.forward(raw)
      }
    }
    return fdm.forward(decodeFrom ?? o, latent)
  }

  /// The FDM's prediction from o and a given latent z [N, dz] (counterfactuals, latent sweeps).
  public func decode(_ o: Tensor, latent z: Tensor) -> Tensor { fdm.forward(o, z) }

  /// The bottleneck's own loss for the last forward: the L2 penalty, the VQ commitment loss, beta * KL, or 0
  /// (nsvq and fsq have none).
  public var bottleneckLoss: Float {
    switch bottleneck {
    case .continuous(let c): return c.penalty
    case .vq(let q): return q.commitmentLoss
    case .kl(let g): return g.loss
    case .nsvq, .fsq: return 0
    }
  }

  /// Accumulates every parameter gradient from dLoss/dPrediction, plus `dEncoded` [N, dz] if a loss
  /// acts on z_e directly (an action-label remedy).
  public func backward(_ dPrediction: Tensor, dEncoded extra: Tensor? = nil) {
    let dz = fdm.backward(dPrediction)
    if case .kl(let g) = bottleneck {  // z_e is the mean: `extra` joins the mean's half of the IDM's gradient
      idm.backward(timed("bottleneck", .backward) { g.backward(dz, dMean: extra) })
      return
    }
    var dEncoded = timed("bottleneck", .backward) {
      switch bottleneck {
      case .continuous(let c): return c.backward(dz)
      case .vq(let q): return q.backward(dz)
      case .nsvq(let q): return q.backward(dz)
      case .fsq(let q): return q.backward(dz)
      case .kl: preconditionFailure("handled above")
      }
    }
    if let extra {
      dEncodedTotal.copy(from: dEncoded)
      for i in 0..<extra.count { dEncodedTotal.data[i] += extra.data[i] }
      dEncoded = dEncodedTotal
    }
    idm.backward(dEncoded)
  }

  /// Learnable parameters with their checkpoint names ("idm.fc1.weight", "fdm.decoder.deconv1.bias").
  public var namedParameters: [(name: String, parameter: Parameter)] {
    var bottleneckParameters: [(name: String, parameter: Parameter)] = []
    if case .nsvq(let q) = bottleneck { bottleneckParameters = [("nsvq.codebook", q.codebook)] }
    return idm.namedParameters.map { ("idm." + $0.name, $0.parameter) } + bottleneckParameters
      + fdm.namedParameters.map { ("fdm." + $0.name, $0.parameter) }
  }

  /// Non-learnable state that a checkpoint must carry (the VQ codebook and its moving averages, NSVQ's usage
  /// counts).
  public var buffers: [(name: String, tensor: Tensor)] {
    switch bottleneck {
    case .continuous, .kl, .fsq: return []
    case .vq(let q):
      return [("vq.codebook", q.codebook), ("vq.cluster_size", q.clusterSize), ("vq.embed_sum", q.embedSum)]
    case .nsvq(let q): return [("nsvq.usage", q.usage), ("nsvq.batches", q.batches)]
    }
  }

  /// The discrete kinds' code per row of the last forward, [N]; nil for continuous and kl.
  public var lastCodes: [Int]? {
    switch bottleneck {
    case .continuous, .kl: return nil
    case .vq(let q): return q.indices
    case .nsvq(let q): return q.indices
    case .fsq(let q): return q.indices
    }
  }

  /// Code-usage perplexity and codes used in the last forward, for the discrete kinds.
  public var codeUsage: (perplexity: Float, codesUsed: Int)? {
    switch bottleneck {
    case .continuous, .kl: return nil
    case .vq(let q): return (q.perplexity, q.codesUsed)
    case .nsvq(let q): return (q.perplexity, q.codesUsed)
    case .fsq(let q): return (q.perplexity, q.codesUsed)
    }
  }

  /// The latent each code stands for, [codes][dz], for the discrete kinds (nil for continuous and kl).
  public var codeLatents: [[Float]]? {
    switch bottleneck {
    case .continuous, .kl: return nil
    case .vq(let q): return (0..<q.codes).map { Array(q.codebook.array[($0 * q.dim)..<(($0 + 1) * q.dim)]) }
    case .nsvq(let q): return (0..<q.codes).map { Array(q.codebook.value.array[($0 * q.dim)..<(($0 + 1) * q.dim)]) }
    case .fsq(let q): return (0..<q.codes).map { q.latent(ofCode: $0) }
    }
  }
}

import Core
import NN

/// IDM(o, o') -> z_e -> bottleneck -> z -> FDM(o, z) -> predicted o'.
public final class LatentActionModel {
  public enum Bottleneck {
    case continuous(ContinuousBottleneck)
    case vq(VectorQuantizer)
  }

  public let config: ModelConfig
  public let frame: FrameShape
  public let idm: IDM
  public let bottleneck: Bottleneck
  public let fdm: FDM
  private let dEncodedTotal = Tensor([0])  // [N, dz]

  /// The IDM's output of the last forward, [N, dz].
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
    }
    fdm = FDM(config, frame: frame, rng: &rng)
  }

  /// Predicted o' [N, C, H, W] for frames o and o' [N, C, H, W]. `training` turns on latent noise
  /// and codebook updates. The FDM decodes from `decodeFrom` when given (the kappa augmentation
  /// encodes and decodes from differently perturbed copies of o), else from o.
  public func forward(_ o: Tensor, _ next: Tensor, decodeFrom: Tensor? = nil, training: Bool, rng: inout RNG) -> Tensor {
    encoded = idm.forward(o, next)
    latent = timed("bottleneck", .forward) {
      switch bottleneck {
      case .continuous(let c): return c.forward(encoded, training: training, rng: &rng)
      case .vq(let q): return q.forward(encoded, training: training, rng: &rng)
      }
    }
    return fdm.forward(decodeFrom ?? o, latent)
  }

  /// The FDM's prediction from o and a given latent z [N, dz] (counterfactuals, latent sweeps).
  public func decode(_ o: Tensor, latent z: Tensor) -> Tensor { fdm.forward(o, z) }

  /// The bottleneck's own loss for the last forward: the L2 penalty or the VQ commitment loss.
  public var bottleneckLoss: Float {
    switch bottleneck {
    case .continuous(let c): return c.penalty
    case .vq(let q): return q.commitmentLoss
    }
  }

  /// Accumulates every parameter gradient from dLoss/dPrediction, plus `dEncoded` [N, dz] if a loss
  /// acts on z_e directly (an action-label remedy).
  public func backward(_ dPrediction: Tensor, dEncoded extra: Tensor? = nil) {
    let dz = fdm.backward(dPrediction)
    var dEncoded = timed("bottleneck", .backward) {
      switch bottleneck {
      case .continuous(let c): return c.backward(dz)
      case .vq(let q): return q.backward(dz)
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
    idm.namedParameters.map { ("idm." + $0.name, $0.parameter) } + fdm.namedParameters.map { ("fdm." + $0.name, $0.parameter) }
  }

  /// Non-learnable state that a checkpoint must carry (the VQ codebook and its moving averages).
  public var buffers: [(name: String, tensor: Tensor)] {
    switch bottleneck {
    case .continuous: return []
    case .vq(let q):
      return [("vq.codebook", q.codebook), ("vq.cluster_size", q.clusterSize), ("vq.embed_sum", q.embedSum)]
    }
  }
}

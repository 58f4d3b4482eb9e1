import Core
import NN

/// A continuous latent: z = z_e (+ Gaussian noise while training), with an optional L2 penalty.
///
/// The penalty is l2 * mean over the batch of ||z_e||^2; its gradient 2 * l2 * z_e / N is added to
/// dz on the way back. The noise is additive, so it passes the gradient through unchanged.
public final class ContinuousBottleneck {
  public let noiseStd: Float
  public let l2: Float
  private let latent = Tensor([0])  // [N, dz]
  private let dEncoded = Tensor([0])  // [N, dz]
  private var encoded: Tensor?  // [N, dz], the IDM's output, kept for the penalty's gradient

  public init(noiseStd: Float, l2: Float) {
    self.noiseStd = noiseStd
    self.l2 = l2
  }

  /// The latent for z_e [N, dz]; noise only when `training` and noiseStd > 0.
  public func forward(_ zE: Tensor, training: Bool, rng: inout RNG) -> Tensor {
    encoded = zE
    latent.resize(zE.shape)
    for i in 0..<zE.count {
      latent.data[i] = training && noiseStd > 0 ? zE.data[i] + noiseStd * rng.normal() : zE.data[i]
    }
    return latent
  }

  /// The L2 penalty of the last forward (0 when l2 = 0).
  public var penalty: Float {
    guard l2 > 0, let zE = encoded else { return 0 }
    var sum = 0.0
    for i in 0..<zE.count { sum += Double(zE.data[i] * zE.data[i]) }
    return l2 * Float(sum / Double(zE.batch))
  }

  /// dLoss/dz_e from dLoss/dz, including the penalty's gradient.
  public func backward(_ dz: Tensor) -> Tensor {
    guard let zE = encoded else { preconditionFailure("ContinuousBottleneck.backward before forward") }
    dEncoded.resize(dz.shape)
    let scale = 2 * l2 / Float(zE.batch)
    for i in 0..<dz.count { dEncoded.data[i] = dz.data[i] + scale * zE.data[i] }
    return dEncoded
  }
}

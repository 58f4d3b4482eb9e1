import Core
import Foundation
import NN

/// A Gaussian latent with a KL term (a beta-VAE bottleneck, Higgins et al. 2017; AdaWorld's latent actions).
///
/// The IDM outputs a mean and a log-variance per dimension, [N, 2 dz] = [mu | log sigma^2]. In training the
/// FDM sees the reparameterized sample z = mu + sigma * eps, eps ~ N(0, 1); at evaluation it sees mu. The
/// loss adds beta * mean over the batch of KL(N(mu, sigma^2) || N(0, 1)) = 0.5 * sum_j (mu^2 + sigma^2 - 1 - log sigma^2).
/// The log-variance is clamped to [-30, 20] (as common VAE code does) so exp cannot overflow; the clamp passes
/// no gradient.
public final class GaussianBottleneck {
  public static let logVarianceRange: ClosedRange<Float> = -30...20
  public let dim: Int
  public let beta: Float

  /// The posterior mean of the last forward, [N, dz]: z_e for probing and for the label remedies.
  public let mean = Tensor([0])
  private let logVariance = Tensor([0])  // [N, dz], clamped
  private let clamped = Tensor([0])  // [N, dz], 1 where the log-variance was clamped (no gradient), else 0
  private let noise = Tensor([0])  // [N, dz], eps of the last training forward (0 at evaluation)
  private let latent = Tensor([0])  // [N, dz]
  private let dRaw = Tensor([0])  // [N, 2 dz]

  public init(dim: Int, beta: Float) {
    self.dim = dim
    self.beta = beta
  }

  /// The latent for the IDM's output [N, 2 dz]: a sample when `training`, else the mean.
  public func forward(_ raw: Tensor, training: Bool, rng: inout RNG) -> Tensor {
    precondition(raw.rowSize == 2 * dim, "GaussianBottleneck(dim \(dim)) got \(raw.shape)")
    let n = raw.batch
    for t in [mean, logVariance, clamped, noise, latent] { t.resize([n, dim]) }
    for row in 0..<n {
      for j in 0..<dim {
        let i = row * dim + j
        let mu = raw.data[row * 2 * dim + j], lv = raw.data[row * 2 * dim + dim + j]
        let lvc = min(max(lv, Self.logVarianceRange.lowerBound), Self.logVarianceRange.upperBound)
        mean.data[i] = mu
        logVariance.data[i] = lvc
        clamped.data[i] = lvc == lv ? 0 : 1
        noise.data[i] = training ? rng.normal() : 0
        latent.data[i] = mu + exp(0.5 * lvc) * noise.data[i]
      }
    }
    return latent
  }

  /// KL(N(mu, sigma^2) || N(0, 1)) of the last forward per dimension, averaged over the batch, in nats [dz].
  public var klPerDimension: [Double] {
    let n = mean.batch
    guard n > 0 else { return [Double](repeating: 0, count: dim) }
    var sums = [Double](repeating: 0, count: dim)
    for row in 0..<n {
      for j in 0..<dim {
        let mu = Double(mean.data[row * dim + j]), lv = Double(logVariance.data[row * dim + j])
        sums[j] += 0.5 * (mu * mu + exp(lv) - 1 - lv)
      }
    }
    return sums.map { $0 / Double(n) }
  }

  /// beta times the KL of the last forward (summed over dimensions, mean over the batch).
  public var loss: Float { beta == 0 ? 0 : beta * Float(klPerDimension.reduce(0, +)) }

  /// dLoss/d(IDM output) [N, 2 dz] from dLoss/dz [N, dz], the KL term's gradient, and `dMean` [N, dz] of a loss
  /// that acts on the mean directly (the label remedies).
  public func backward(_ dz: Tensor, dMean: Tensor? = nil) -> Tensor {
    let n = mean.batch
    dRaw.resize([n, 2 * dim])
    let scale = beta / Float(n)
    for row in 0..<n {
      for j in 0..<dim {
        let i = row * dim + j
        let lv = logVariance.data[i]
        var dMu = dz.data[i] + scale * mean.data[i]
        if let dMean { dMu += dMean.data[i] }
        let dLv = dz.data[i] * noise.data[i] * 0.5 * exp(0.5 * lv) + scale * 0.5 * (exp(lv) - 1)
        dRaw.data[row * 2 * dim + j] = dMu
        dRaw.data[row * 2 * dim + dim + j] = clamped.data[i] == 0 ? dLv : 0
      }
    }
    return dRaw
  }
}

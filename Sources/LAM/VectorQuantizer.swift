import Core
import Foundation
import NN

/// A vector-quantized latent (VQ-VAE with EMA codebook updates, van den Oord et al. 2017; Razavi 2019).
///
/// forward: each z_e row snaps to its nearest code e_k; the FDM sees z_q = e_k (the code before this batch's
/// codebook update). Straight-through:
/// dLoss/dz_e = dLoss/dz_q, plus the commitment term beta * mean((z_e - sg(e_k))^2). The codebook
/// is not trained by the optimizer: while training, exponential moving averages of the assignment
/// counts and of the assigned z_e move each code to the mean of its members, and a code whose
/// average count per batch falls below `restartThreshold` restarts at a random z_e of the batch.
///
/// A warm-up (`phase`, set by the trainer) can pass z_e through unquantized for the first steps and then seed
/// the codebook from one batch of z_e: the codes then start where the encoder's latents already are.
public final class VectorQuantizer {
  /// What forward does with z_e.
  public enum Phase: Sendable {
    /// Warm-up: z_e goes to the FDM as it is (no commitment, no codebook update).
    case passThrough
    /// The next training forward seeds the codebook from its batch (k-means++), then quantizes; an evaluation
    /// forward before it still passes z_e through.
    case seedThenQuantize
    case quantize
  }

  public let codes: Int
  public let dim: Int
  public let commitment: Float
  public let decay: Float
  public let restartThreshold: Float

  /// The codes themselves, [K, D]; saved in checkpoints, updated by EMA (not by the optimizer).
  public let codebook: Tensor
  /// EMA of assignments per code per batch, [K].
  public let clusterSize: Tensor
  /// EMA of the sum of z_e assigned to each code, [K, D].
  public let embedSum: Tensor

  /// Code index of every row of the last forward, [N].
  public private(set) var indices: [Int] = []
  /// Assignments per code in the last forward, [K].
  public private(set) var counts: [Int]
  /// Codes restarted since construction (a health signal for the log).
  public private(set) var restarts = 0
  /// Quantize unless the trainer's warm-up says otherwise; a model built for evaluation always quantizes.
  public var phase = Phase.quantize

  private let quantized = Tensor([0])  // [N, D]
  private let dEncoded = Tensor([0])  // [N, D]
  private var encoded: Tensor?  // [N, D]

  public init(codes: Int, dim: Int, commitment: Float, decay: Float, restartThreshold: Float, rng: inout RNG) {
    self.codes = codes
    self.dim = dim
    self.commitment = commitment
    self.decay = decay
    self.restartThreshold = restartThreshold
    codebook = Tensor([codes, dim])
    // As the reference VQ-VAE code: uniform in +-1/K.
    for i in 0..<codebook.count { codebook[i] = rng.uniform(-1 / Float(codes), 1 / Float(codes)) }
    clusterSize = Tensor([codes])
    clusterSize.fill(1)
    embedSum = codebook.clone()
    counts = [Int](repeating: 0, count: codes)
  }

  /// Quantizes z_e [N, D]; when `training`, also updates the codebook (EMA and restarts).
  public func forward(_ zE: Tensor, training: Bool, rng: inout RNG) -> Tensor {
    precondition(zE.rowSize == dim, "VectorQuantizer(dim \(dim)) got \(zE.shape)")
    let n = zE.batch
    encoded = zE
    quantized.resize(zE.shape)
    if indices.count != n { indices = [Int](repeating: 0, count: n) }
    if phase == .seedThenQuantize && training {
      seed(from: zE, rng: &rng)
      phase = .quantize
    }
    for k in 0..<codes { counts[k] = 0 }
    for row in 0..<n {
      let k = nearestCode(zE.data + row * dim, in: codebook)
      indices[row] = k
      counts[k] += 1
    }
    if phase != .quantize {  // the warm-up, or an evaluation before the seeding
      quantized.copy(from: zE)
      return quantized
    }
    // The FDM (and the commitment term) get the codes as they were before this batch's EMA update, as in the
    // published EMA VQ-VAE: the update uses this batch's assignments and shows only from the next batch on.
    for row in 0..<n {
      (quantized.data + row * dim).update(from: codebook.data + indices[row] * dim, count: dim)
    }
    if training { updateCodebook(zE, rng: &rng) }
    return quantized
  }

  /// Sets the codes to rows of z_e [N, D] picked by k-means++ seeding (the first at random, each next with
  /// probability proportional to its squared distance to the nearest code picked so far), and restarts the
  /// moving averages from them.
  public func seed(from zE: Tensor, rng: inout RNG) {
    let n = zE.batch
    var nearest = [Float](repeating: .infinity, count: n)  // [N] squared distance to the closest code so far
    var pick = rng.int(below: n)
    for k in 0..<codes {
      if k > 0 {
        let total = nearest.reduce(0, +)
        if total > 0 {
          var u = rng.uniform(0, total)
          pick = nearest.lastIndex(where: { $0 > 0 })!
          for (row, d) in nearest.enumerated() where d > 0 {
            if u < d { pick = row; break }
            u -= d
          }
        } else {
          pick = rng.int(below: n)  // every row is already a code: repeat one
        }
      }
      let code = codebook.data + k * dim
      code.update(from: zE.data + pick * dim, count: dim)
      for row in 0..<n {
        let z = zE.data + row * dim
        var d: Float = 0
        for j in 0..<dim { d += (z[j] - code[j]) * (z[j] - code[j]) }
        nearest[row] = min(nearest[row], d)
      }
    }
    embedSum.copy(from: codebook)
    clusterSize.fill(1)
  }

  private func updateCodebook(_ zE: Tensor, rng: inout RNG) {
    let n = zE.batch
    let keep = decay, take = 1 - decay
    for k in 0..<codes {
      clusterSize[k] = keep * clusterSize[k] + take * Float(counts[k])
      let s = embedSum.data + k * dim
      for j in 0..<dim { s[j] *= keep }
    }
    for row in 0..<n {
      let s = embedSum.data + indices[row] * dim
      let z = zE.data + row * dim
      for j in 0..<dim { s[j] += take * z[j] }
    }
    // Laplace smoothing keeps a rarely used code's mean finite: size_k <- (size_k + eps) n / (total + K eps).
    var total: Float = 0
    for k in 0..<codes { total += clusterSize[k] }
    let eps: Float = 1e-5
    for k in 0..<codes {
      let size = (clusterSize[k] + eps) / (total + Float(codes) * eps) * total
      let e = codebook.data + k * dim, s = embedSum.data + k * dim
      for j in 0..<dim { e[j] = s[j] / size }
    }
    for k in 0..<codes where clusterSize[k] < restartThreshold {
      let row = rng.int(below: n)
      let e = codebook.data + k * dim, s = embedSum.data + k * dim
      e.update(from: zE.data + row * dim, count: dim)
      s.update(from: e, count: dim)
      clusterSize[k] = 1
      restarts += 1
    }
  }

  /// The commitment loss of the last forward: beta * mean over all elements of (z_e - z_q)^2.
  public var commitmentLoss: Float {
    guard let zE = encoded, zE.count > 0 else { return 0 }
    var sum = 0.0
    for i in 0..<zE.count {
      let d = zE.data[i] - quantized.data[i]
      sum += Double(d * d)
    }
    return commitment * Float(sum / Double(zE.count))
  }

  /// dLoss/dz_e: the straight-through gradient plus the commitment term's.
  public func backward(_ dQuantized: Tensor) -> Tensor {
    guard let zE = encoded else { preconditionFailure("VectorQuantizer.backward before forward") }
    dEncoded.resize(zE.shape)
    let scale = 2 * commitment / Float(zE.count)
    for i in 0..<zE.count {
      dEncoded.data[i] = dQuantized.data[i] + scale * (zE.data[i] - quantized.data[i])
    }
    return dEncoded
  }

  /// Code-usage perplexity of the last forward: exp(entropy of the assignment frequencies);
  /// K when all codes are used equally, 1 when one code takes everything.
  public var perplexity: Float { codePerplexity(counts) }

  /// Codes used at least once in the last forward.
  public var codesUsed: Int { counts.filter { $0 > 0 }.count }
}

import Core
import Foundation
import NN

/// Noise-substitution vector quantization (NSVQ, Vali & Bäckström 2022; LAPA's latent actions).
///
/// Each z_e row has a nearest code e_k. In training the FDM sees z_e + ||z_e - e_k|| * v / ||v||, v ~ N(0, I):
/// noise with the norm of the quantization error, so the gradient reaches z_e unchanged and the codebook
/// through the norm, with no straight-through estimator and no commitment loss. At evaluation the FDM sees
/// e_k. The codebook is a parameter the optimizer trains. Every `replaceEvery` training batches, a code used
/// less than `threshold` times per batch on average is replaced by a used code plus a little noise (as the
/// published NSVQ code does), so codes do not die.
public final class NoiseSubstitutionVQ {
  public let codes: Int
  public let dim: Int
  public let threshold: Float
  public let replaceEvery: Int

  /// The codes, [K, D], trained by the optimizer.
  public let codebook: Parameter
  /// Assignments per code since the last replacement, [K]; saved in checkpoints so a resume replaces exactly
  /// when an uninterrupted run would.
  public let usage: Tensor
  /// Training batches since the last replacement, [1].
  public let batches: Tensor

  /// Code index of every row of the last forward, [N].
  public private(set) var indices: [Int] = []
  /// Assignments per code in the last forward, [K].
  public private(set) var counts: [Int]
  /// Codes replaced since construction (a health signal).
  public private(set) var replaced = 0

  private let quantized = Tensor([0])  // [N, D]
  private let residual = Tensor([0])  // [N, D], z_e - e_k of the last training forward
  private let direction = Tensor([0])  // [N, D], v / ||v|| of the last training forward
  private var residualNorms: [Float] = []  // [N]
  private var trained = false  // whether the last forward was a training one
  private let dEncoded = Tensor([0])  // [N, D]

  public init(codes: Int, dim: Int, threshold: Float, replaceEvery: Int, rng: inout RNG) {
    self.codes = codes
    self.dim = dim
    self.threshold = threshold
    self.replaceEvery = replaceEvery
    codebook = Parameter("codebook", [codes, dim])
    // As VectorQuantizer: uniform in +-1/K.
    for i in 0..<codebook.value.count { codebook.value[i] = rng.uniform(-1 / Float(codes), 1 / Float(codes)) }
    usage = Tensor([codes])
    batches = Tensor([1])
    counts = [Int](repeating: 0, count: codes)
  }

  /// The latent for z_e [N, D]: z_e plus substituted noise when `training`, else the nearest code. A training
  /// forward also counts usage and, every `replaceEvery` batches, replaces unused codes.
  public func forward(_ zE: Tensor, training: Bool, rng: inout RNG) -> Tensor {
    precondition(zE.rowSize == dim, "NoiseSubstitutionVQ(dim \(dim)) got \(zE.shape)")
    let n = zE.batch
    quantized.resize(zE.shape)
    residual.resize(zE.shape)
    direction.resize(zE.shape)
    if indices.count != n {
      indices = [Int](repeating: 0, count: n)
      residualNorms = [Float](repeating: 0, count: n)
    }
    for k in 0..<codes { counts[k] = 0 }
    let e = codebook.value
    for row in 0..<n {
      let z = zE.data + row * dim
      let k = nearestCode(z, in: e)
      indices[row] = k
      counts[k] += 1
      let code = e.data + k * dim
      let q = quantized.data + row * dim
      guard training else {
        q.update(from: code, count: dim)
        continue
      }
      let r = residual.data + row * dim, v = direction.data + row * dim
      var rr: Float = 0, vv: Float = 0
      for j in 0..<dim {
        r[j] = z[j] - code[j]
        rr += r[j] * r[j]
        v[j] = rng.normal()
        vv += v[j] * v[j]
      }
      let vNorm = vv.squareRoot()
      for j in 0..<dim { v[j] = vNorm > 0 ? v[j] / vNorm : 0 }
      residualNorms[row] = rr.squareRoot()
      for j in 0..<dim { q[j] = z[j] + residualNorms[row] * v[j] }
    }
    trained = training
    if training { countAndReplace(rng: &rng) }
    return quantized
  }

  private func countAndReplace(rng: inout RNG) {
    for k in 0..<codes { usage[k] += Float(counts[k]) }
    batches[0] += 1
    guard Int(batches[0]) >= replaceEvery else { return }
    let perBatch = (0..<codes).map { usage[$0] / batches[0] }
    let used = (0..<codes).filter { perBatch[$0] >= threshold }
    let unused = (0..<codes).filter { perBatch[$0] < threshold }
    let e = codebook.value
    for (i, k) in unused.enumerated() where !used.isEmpty {
      let source = used[i % used.count]
      for j in 0..<dim { e[k * dim + j] = e[source * dim + j] + 1e-3 * rng.normal() }
      replaced += 1
    }
    usage.zero()
    batches[0] = 0
  }

  /// dLoss/dz_e from dLoss/dz_q [N, D]; accumulates the codebook's gradient. With u = v / ||v|| and
  /// r = z_e - e_k: dz_q/dz_e = I + u r^T / ||r|| and dz_q/de_k = -u r^T / ||r||. At evaluation z_q = e_k passes
  /// nothing to z_e.
  public func backward(_ dQuantized: Tensor) -> Tensor {
    let n = dQuantized.batch
    dEncoded.resize(dQuantized.shape)
    guard trained else {
      dEncoded.zero()
      return dEncoded
    }
    let g = codebook.grad
    for row in 0..<n {
      let d = dQuantized.data + row * dim, r = residual.data + row * dim, u = direction.data + row * dim
      let out = dEncoded.data + row * dim
      var along: Float = 0  // g . u
      for j in 0..<dim { along += d[j] * u[j] }
      let norm = residualNorms[row]
      let scale = norm > 0 ? along / norm : 0
      let code = g.data + indices[row] * dim
      for j in 0..<dim {
        out[j] = d[j] + scale * r[j]
        code[j] -= scale * r[j]
      }
    }
    return dEncoded
  }

  /// Code-usage perplexity of the last forward.
  public var perplexity: Float { codePerplexity(counts) }

  /// Codes used at least once in the last forward.
  public var codesUsed: Int { counts.filter { $0 > 0 }.count }
}

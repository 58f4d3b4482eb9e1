import Core
import Foundation
import NN

/// Finite scalar quantization (FSQ, Mentzer et al. 2023): no codebook; dimension j of z_e is bounded to
/// L_j levels and rounded.
///
/// bound(z) = tanh(z + s) * h - o with h = (L - 1)(1 + 1e-3) / 2, o = 0.5 for even L (else 0) and s = atanh(o / h),
/// so bound(0) = 0 and round(bound(z)) takes the L integers from -(L div 2) on. The FDM sees
/// round(bound(z)) / (L div 2), within [-1, 1]. Rounding is straight-through: the gradient is bound's, over
/// L div 2. The code of a row is the mixed-radix number of its digits round(bound(z_j)) + L_j div 2, the
/// first dimension most significant; the number of codes is the product of the levels.
public final class ScalarQuantizer {
  public let levels: [Int]
  private let halfLevel: [Float]  // h per dimension
  private let offset: [Float]  // o per dimension
  private let shift: [Float]  // s per dimension
  private let halfWidth: [Float]  // L div 2 per dimension

  /// Code index of every row of the last forward, [N].
  public private(set) var indices: [Int] = []
  /// Assignments per code in the last forward, [product of levels].
  public private(set) var counts: [Int]

  private let quantized = Tensor([0])  // [N, D]
  private let slope = Tensor([0])  // [N, D], d(bound / halfWidth)/dz of the last forward
  private let dEncoded = Tensor([0])  // [N, D]

  public init(levels: [Int]) {
    precondition(levels.allSatisfy { $0 >= 2 }, "FSQ levels must be at least 2, got \(levels)")
    self.levels = levels
    halfLevel = levels.map { Float($0 - 1) * (1 + 1e-3) / 2 }
    offset = levels.map { $0 % 2 == 0 ? 0.5 : 0 }
    shift = zip(offset, halfLevel).map { atanh($0 / $1) }
    halfWidth = levels.map { Float($0 / 2) }
    counts = [Int](repeating: 0, count: levels.reduce(1, *))
  }

  public var dim: Int { levels.count }
  public var codes: Int { counts.count }

  /// bound(z) for dimension j, before rounding.
  public func bound(_ z: Float, dimension j: Int) -> Float { tanh(z + shift[j]) * halfLevel[j] - offset[j] }

  /// Quantizes z_e [N, D]; the same in training and at evaluation.
  public func forward(_ zE: Tensor) -> Tensor {
    precondition(zE.rowSize == dim, "ScalarQuantizer(dim \(dim)) got \(zE.shape)")
    let n = zE.batch
    quantized.resize(zE.shape)
    slope.resize(zE.shape)
    if indices.count != n { indices = [Int](repeating: 0, count: n) }
    for k in 0..<codes { counts[k] = 0 }
    for row in 0..<n {
      var code = 0
      for j in 0..<dim {
        let i = row * dim + j
        let t = tanh(zE.data[i] + shift[j])
        let rounded = (t * halfLevel[j] - offset[j]).rounded()
        quantized.data[i] = rounded / halfWidth[j]
        slope.data[i] = halfLevel[j] * (1 - t * t) / halfWidth[j]
        code = code * levels[j] + min(max(Int(rounded + halfWidth[j]), 0), levels[j] - 1)
      }
      indices[row] = code
      counts[code] += 1
    }
    return quantized
  }

  /// The latent of code `index`: its digits, each scaled to [-1, 1] [D].
  public func latent(ofCode index: Int) -> [Float] {
    var rest = index
    var z = [Float](repeating: 0, count: dim)
    for j in stride(from: dim - 1, through: 0, by: -1) {
      z[j] = Float(rest % levels[j] - levels[j] / 2) / halfWidth[j]
      rest /= levels[j]
    }
    return z
  }

  /// dLoss/dz_e: straight through the rounding, times bound's slope.
  public func backward(_ dQuantized: Tensor) -> Tensor {
    dEncoded.resize(dQuantized.shape)
    for i in 0..<dQuantized.count { dEncoded.data[i] = dQuantized.data[i] * slope.data[i] }
    return dEncoded
  }

  /// Code-usage perplexity of the last forward (as VectorQuantizer's).
  public var perplexity: Float { codePerplexity(counts) }

  /// Codes used at least once in the last forward.
  public var codesUsed: Int { counts.filter { $0 > 0 }.count }
}

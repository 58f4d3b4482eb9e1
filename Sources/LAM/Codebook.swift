import Foundation
import NN

/// exp(entropy of the assignment frequencies): the number of codes when all are used equally, 1 when one
/// takes everything, 0 for no assignments.
public func codePerplexity(_ counts: [Int]) -> Float {
  let n = Double(counts.reduce(0, +))
  guard n > 0 else { return 0 }
  var entropy = 0.0
  for c in counts where c > 0 {
    let p = Double(c) / n
    entropy -= p * log(p)
  }
  return Float(exp(entropy))
}

/// The row of `codebook` [K, D] nearest to `z` [D] in squared Euclidean distance; ties go to the lower index.
func nearestCode(_ z: UnsafePointer<Float>, in codebook: Tensor) -> Int {
  let (codes, dim) = (codebook.shape[0], codebook.shape[1])
  var best = 0
  var bestDistance = Float.infinity
  for k in 0..<codes {
    let e = codebook.data + k * dim
    var d: Float = 0
    for j in 0..<dim {
      let diff = z[j] - e[j]
      d += diff * diff
    }
    if d < bestDistance {
      bestDistance = d
      best = k
    }
  }
  return best
}

import Foundation

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

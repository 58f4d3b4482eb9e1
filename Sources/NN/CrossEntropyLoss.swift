import Foundation

/// Softmax cross-entropy with integer targets, averaged over the labelled rows.
///
/// L = -(1/M) sum over labelled rows of log softmax(logits)[row, target], M = number of labelled
/// rows. A row is labelled when `mask` is nil or `mask[row]` is true: partly labelled batches just
/// pass a mask. With no labelled row the loss and gradient are 0 (nothing to learn from).
public final class CrossEntropyLoss {
  private let probabilities = Tensor([0])  // [N, K]
  private let dLogits = Tensor([0])  // [N, K]
  public init() {}

  public func forward(_ logits: Tensor, targets: [Int], mask: [Bool]? = nil) -> Float {
    precondition(logits.shape.count == 2, "CrossEntropyLoss expects [N, K] logits, got \(logits.shape)")
    let (n, k) = (logits.shape[0], logits.shape[1])
    precondition(targets.count == n && (mask?.count ?? n) == n, "CrossEntropyLoss: \(n) rows, \(targets.count) targets")
    probabilities.resize(logits.shape)
    dLogits.resize(logits.shape)
    dLogits.zero()
    var labelled = 0
    for row in 0..<n where mask?[row] ?? true { labelled += 1 }
    guard labelled > 0 else { return 0 }
    var loss = 0.0
    for row in 0..<n {
      let z = logits.data + row * k
      let p = probabilities.data + row * k
      // Softmax with the max subtracted, so exp never overflows.
      var maxLogit = z[0]
      for j in 1..<k { maxLogit = max(maxLogit, z[j]) }
      var sum: Float = 0
      for j in 0..<k {
        p[j] = expf(z[j] - maxLogit)
        sum += p[j]
      }
      for j in 0..<k { p[j] /= sum }
      guard mask?[row] ?? true else { continue }
      let target = targets[row]
      precondition(target >= 0 && target < k, "CrossEntropyLoss: target \(target) outside 0..<\(k)")
      loss -= Double(z[target] - maxLogit) - log(Double(sum))
      // dL/dz = (softmax(z) - onehot(target)) / M
      let d = dLogits.data + row * k
      let scale = 1 / Float(labelled)
      for j in 0..<k { d[j] = scale * p[j] }
      d[target] -= scale
    }
    return Float(loss / Double(labelled))
  }

  /// dL/dLogits for the last `forward` (zero on unlabelled rows).
  public func backward() -> Tensor { dLogits }

  /// softmax(logits) of the last `forward`.
  public var softmax: Tensor { probabilities }
}

/// Mean squared error over all elements: L = sum((p - t)^2) / count, PyTorch's `MSELoss()`.
public final class MSELoss {
  private let dPrediction = Tensor([0])
  public init() {}

  /// Returns L and fills the gradient that `backward` hands out; the sum is accumulated in Double.
  public func forward(_ prediction: Tensor, _ target: Tensor) -> Float {
    precondition(prediction.count == target.count, "MSELoss: \(prediction.shape) vs \(target.shape)")
    dPrediction.resize(prediction.shape)
    let (p, t, d) = (prediction.data, target.data, dPrediction.data)
    let n = prediction.count
    let scale = 2 / Float(n)
    var sum = 0.0
    for i in 0..<n {
      let diff = p[i] - t[i]
      sum += Double(diff * diff)
      d[i] = scale * diff  // dL/dp = 2 (p - t) / count
    }
    return Float(sum / Double(n))
  }

  /// dL/dPrediction for the last `forward`.
  public func backward() -> Tensor { dPrediction }
}

import Core

/// y = x W^T + b, with PyTorch's layout: weight [out, in], bias [out].
public final class Linear: Layer {
  public let inFeatures: Int
  public let outFeatures: Int
  public let weight: Parameter  // [out, in]
  public let bias: Parameter?  // [out]
  /// When false, backward only accumulates the parameter gradients and returns zeros: for a first layer,
  /// whose input is data, this saves a third of the work.
  public var inputNeedsGradient = true

  private var input: Tensor?  // [N, in], the caller's tensor, kept for backward
  private let output = Tensor([0])  // [N, out]
  private let dInput = Tensor([0])  // [N, in]

  public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RNG) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    weight = Parameter("weight", [outFeatures, inFeatures])
    self.bias = bias ? Parameter("bias", [outFeatures]) : nil
    initPyTorchDefault(weight: weight.value, bias: self.bias?.value, fanIn: inFeatures, rng: &rng)
  }

  public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.rowSize == inFeatures, "Linear(\(inFeatures)->\(outFeatures)) got input \(x.shape)")
    let n = x.batch
    input = x
    output.resize(n, outFeatures)
    if let bias {
      // Seed each row with the bias, then accumulate the product on top (beta = 1).
      for row in 0..<n { (output.data + row * outFeatures).update(from: bias.value.data, count: outFeatures) }
    }
    gemm(transB: true, m: n, n: outFeatures, k: inFeatures,
         a: x.data, b: weight.value.data, beta: bias == nil ? 0 : 1, c: output.data)
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    guard let x = input else { preconditionFailure("Linear.backward before forward") }
    let n = x.batch
    // dW[out, in] += dY^T[out, N] X[N, in]
    gemm(transA: true, m: outFeatures, n: inFeatures, k: n,
         a: dOutput.data, b: x.data, beta: 1, c: weight.grad.data)
    if let bias {
      // db[out] += sum over rows of dY
      let db = bias.grad.data
      for row in 0..<n {
        let dy = dOutput.data + row * outFeatures
        for j in 0..<outFeatures { db[j] += dy[j] }
      }
    }
    // dX[N, in] = dY[N, out] W[out, in]
    dInput.resize(x.shape)
    guard inputNeedsGradient else { dInput.zero(); return dInput }
    gemm(m: n, n: inFeatures, k: outFeatures, a: dOutput.data, b: weight.value.data, c: dInput.data)
    return dInput
  }
}

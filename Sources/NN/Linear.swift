import Core

/// y = x W^T + b, with PyTorch's layout: weight [out, in], bias [out].
///
/// With more than one BLAS thread the work is split into `BatchShards` that need no reduction: forward and
/// the input gradient by batch row, the weight and bias gradients by output feature. Each thread computes
/// whole output elements, so the same thread count repeats exactly; one thread agrees to rounding (OpenBLAS
/// may order a dot product differently for a different matrix size).
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
  private var dOutput: Tensor?  // [N, out], backward's argument while its shards run
  // The shard bodies, made once: a closure that captured each call's values would be allocated per call.
  private lazy var forwardShard: (Int, Int) -> Void = { [unowned self] in self.forward(rows: self.rows(shard: $0, of: $1)) }
  private lazy var backwardShard: (Int, Int) -> Void = { [unowned self] s, count in
    self.parameterGradients(features: self.features(shard: s, of: count))
    self.inputGradient(rows: self.rows(shard: s, of: count))
  }

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
    input = x
    output.resize(x.batch, outFeatures)
    if split(x.batch) { BatchShards.run(forwardShard) } else { forward(rows: 0..<x.batch) }
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    guard let x = input else { preconditionFailure("Linear.backward before forward") }
    precondition(dOutput.shape == output.shape, "Linear.backward got \(dOutput.shape), expected \(output.shape)")
    dInput.resize(x.shape)
    self.dOutput = dOutput
    if split(x.batch) {
      BatchShards.run(backwardShard)
    } else {
      parameterGradients(features: 0..<outFeatures)
      inputGradient(rows: 0..<x.batch)
    }
    self.dOutput = nil
    return dInput
  }

  /// Multiply-adds of a forward pass from which the layer splits its work between threads. The 128 -> 4 and
  /// 128 -> 16 outputs and the 32 -> 128 input layer of the MLP workload (32k-262k) ran no faster split, and
  /// every hand-over moves activations between the cores' caches.
  static let splitFrom = 1 << 19

  /// Whether a batch of `n` rows is split between threads.
  private func split(_ n: Int) -> Bool { BLASThreads.count > 1 && n * inFeatures * outFeatures >= Self.splitFrom }

  /// Batch rows first..<end that shard `s` computes.
  private func rows(shard s: Int, of count: Int) -> Range<Int> {
    BatchShards.images(s, of: input?.batch ?? 0, chunk: 1, shards: count)
  }

  /// Output features first..<end that shard `s` computes: whole groups of 16, the width of the GEMM kernels.
  private func features(shard s: Int, of count: Int) -> Range<Int> {
    BatchShards.images(s, of: outFeatures, chunk: 16, shards: count)
  }

  /// y[rows] = x[rows] W^T + b.
  private func forward(rows: Range<Int>) {
    guard let x = input, !rows.isEmpty else { return }
    let y = output.data + rows.lowerBound * outFeatures  // [rows, out]
    if let bias {
      // Seed each row with the bias, then accumulate the product on top (beta = 1).
      for row in 0..<rows.count { (y + row * outFeatures).update(from: bias.value.data, count: outFeatures) }
    }
    gemm(transB: true, m: rows.count, n: outFeatures, k: inFeatures,
         a: x.data + rows.lowerBound * inFeatures, b: weight.value.data, beta: bias == nil ? 0 : 1, c: y)
  }

  /// dW[features] += dY[:, features]^T X and db[features] += the column sums of dY[:, features].
  private func parameterGradients(features f: Range<Int>) {
    guard let x = input, let dOutput, !f.isEmpty else { return }
    let n = x.batch, dy = dOutput.data + f.lowerBound  // [N, f] with rows `out` apart
    // dW[f, in] += dY^T[f, N] X[N, in]
    gemm(transA: true, m: f.count, n: inFeatures, k: n, a: dy, lda: outFeatures, b: x.data, beta: 1,
         c: weight.grad.data + f.lowerBound * inFeatures)
    if let bias {
      let db = bias.grad.data + f.lowerBound
      for row in 0..<n { addInto(db, dy + row * outFeatures, f.count) }
    }
  }

  /// dX[rows] = dY[rows] W, or zeros when the input needs no gradient.
  private func inputGradient(rows: Range<Int>) {
    guard let dOutput, !rows.isEmpty else { return }
    let dx = dInput.data + rows.lowerBound * inFeatures  // [rows, in]
    guard inputNeedsGradient else { dx.update(repeating: 0, count: rows.count * inFeatures); return }
    // dX[rows, in] = dY[rows, out] W[out, in]
    gemm(m: rows.count, n: inFeatures, k: outFeatures, a: dOutput.data + rows.lowerBound * outFeatures,
         b: weight.value.data, c: dx)
  }
}

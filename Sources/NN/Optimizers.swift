import Foundation

/// Adam and AdamW with PyTorch's exact update (torch.optim.Adam / AdamW, amsgrad off):
///
///     t += 1
///     g = grad (+ weightDecay * param, for Adam's L2 form)
///     param *= 1 - lr * weightDecay            (AdamW's decoupled form instead of the line above)
///     m = beta1 * m + (1 - beta1) * g
///     v = beta2 * v + (1 - beta2) * g^2
///     param -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// Note eps is added after the bias correction of sqrt(v), as PyTorch does. The moments are stored
/// beside each parameter, so the update is one flat loop per tensor. Moments below the smallest normal float
/// are stored as 0 (`AdamStep.apply` says why); the weights are PyTorch's to the bit all the same.
public final class Adam {
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let eps: Float
  public let weightDecay: Float
  /// True: AdamW (decoupled weight decay); false: Adam (L2 added to the gradient).
  public let decoupled: Bool
  public let parameters: [Parameter]
  public private(set) var m: [Tensor]  // first moments, parallel to parameters
  public private(set) var v: [Tensor]  // second moments, parallel to parameters
  /// Updates taken so far (PyTorch's `state['step']`).
  public var step = 0

  public init(
    _ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    eps: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false
  ) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.eps = eps
    self.weightDecay = weightDecay
    self.decoupled = decoupled
    m = parameters.map { Tensor($0.value.shape) }
    v = parameters.map { Tensor($0.value.shape) }
  }

  /// AdamW with PyTorch's default weight decay of 0.01.
  public static func adamW(_ parameters: [Parameter], learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
    Adam(parameters, learningRate: learningRate, weightDecay: weightDecay, decoupled: true)
  }

  /// One update from the accumulated gradients (which it leaves in place; call `zeroGrad`).
  public func update() {
    step += 1
    // Bias corrections in Double, as PyTorch computes them in Python floats.
    let t = Double(step)
    let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
    let correction2Sqrt = Float((1 - pow(Double(beta2), t)).squareRoot())
    let decay: Float = decoupled ? 1 - learningRate * weightDecay : 1
    let l2: Float = decoupled ? 0 : weightDecay
    constants = AdamStep(decay: decay, l2: l2, beta1: beta1, beta2: beta2, eps: eps, stepSize: stepSize,
                         correction2Sqrt: correction2Sqrt)
    // Each element's update is independent, so two threads give the same numbers as one.
    if BLASThreads.count > 1 { BatchShards.run(updateShard) } else { update(shard: nil) }
  }

  private var constants: AdamStep?  // of the step being taken
  // Made once (`ShardWorkers` explains why).
  private lazy var updateShard: (Int, Int) -> Void = { [unowned self] in self.update(shard: ($0, $1)) }

  /// Applies the current step to every parameter, or to shard s's part of each: its elements in
  /// `BatchShards.images(s, of: count, chunk: 16, shards:)`: an equal share of every tensor, so the threads
  /// share the work evenly whatever the tensor sizes. For a Linear weight [out, in] with out a multiple of
  /// 16 x shards that share is the rows whose gradient the same thread computed (`Linear` splits dW by
  /// output feature), still in its cache.
  private func update(shard: (index: Int, of: Int)?) {
    guard let step = constants else { return }
    for (i, p) in parameters.enumerated() {
      let r = shard.map { BatchShards.images($0.index, of: p.value.count, chunk: 16, shards: $0.of) } ?? 0..<p.value.count
      let o = r.lowerBound
      step.apply(w: p.value.data + o, g: p.grad.data + o, m: m[i].data + o, v: v[i].data + o, count: r.count)
    }
  }

  /// Sets every gradient to zero: on every compute thread, each the share of each tensor it updates.
  public func zeroGrad() {
    BatchShards.run(zeroShard)
  }

  private lazy var zeroShard: (Int, Int) -> Void = { [unowned self] s, shards in
    for p in self.parameters {
      let r = BatchShards.images(s, of: p.grad.count, chunk: 16, shards: shards)
      (p.grad.data + r.lowerBound).update(repeating: 0, count: r.count)
    }
  }
}

/// The constants of one Adam step.
private struct AdamStep {
  let decay: Float  // 1 unless decoupled
  let l2: Float  // 0 when decoupled
  let beta1: Float
  let beta2: Float
  let eps: Float
  let stepSize: Float
  let correction2Sqrt: Float

  /// The update of one tensor: the scalar rule, written so that the compiler vectorizes it. It checks at run
  /// time that the buffers do not overlap, and `sqrt(|v|)` tells it the root cannot be of a negative number
  /// (v is a sum of squares), so it emits packed square roots instead of a libm call per element. |v| = v
  /// for every v >= 0 (and -0 becomes +0, which divides the same after adding eps), so the numbers are unchanged.
  @inline(__always)
  func apply(
    w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
    v: UnsafeMutablePointer<Float>, count: Int
  ) {
    let (b1, b2) = (beta1, beta2)
    // A moment that falls below the smallest normal float is stored as 0. The moments of a weight whose
    // gradient stays 0 (a dead unit) decay geometrically and would otherwise spend thousands of steps as
    // subnormal numbers, which the CPU computes with many times slower: that made Adam half of an mlp
    // step. A subnormal m (< 1.2e-38) moves w by less than lr * 1.2e-30, and a subnormal v changes the
    // denominator sqrt(v) / c + eps by less than 1e-11 of eps, so the weights keep their bits.
    let tiny = Float.leastNormalMagnitude
    for j in 0..<count {
      let wj = w[j] * decay
      let grad = g[j] + l2 * wj
      var mj = b1 * m[j] + (1 - b1) * grad
      var vj = b2 * v[j] + (1 - b2) * grad * grad
      mj = mj.magnitude < tiny ? 0 : mj
      vj = vj < tiny ? 0 : vj
      m[j] = mj
      v[j] = vj
      w[j] = wj - stepSize * mj / (vj.magnitude.squareRoot() / correction2Sqrt + eps)
    }
  }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`: coefficient maxNorm / (norm + 1e-6), capped at 1). Returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
  let norm = gradNorm(parameters)
  let coefficient = maxNorm / (norm + 1e-6)
  if coefficient < 1 {
    for p in parameters {
      let g = p.grad.data
      for j in 0..<p.grad.count { g[j] *= coefficient }
    }
  }
  return norm
}

/// The global L2 norm of all gradients, accumulated in Double: in eight lanes (entry j of a tensor in lane
/// j % 8), then across them, since one running sum would wait on every add (a millisecond per conv step).
public func gradNorm(_ parameters: [Parameter]) -> Float {
  var lanes = SIMD8<Double>()
  var rest = 0.0
  for p in parameters {
    let g = p.grad.data, n = p.grad.count, whole = n / 8 * 8
    for j in stride(from: 0, to: whole, by: 8) {
      let v = SIMD8<Double>(UnsafeRawPointer(g + j).loadUnaligned(as: SIMD8<Float>.self))
      lanes += v * v
    }
    for j in whole..<n { rest += Double(g[j]) * Double(g[j]) }
  }
  return Float((lanes.sum() + rest).squareRoot())
}

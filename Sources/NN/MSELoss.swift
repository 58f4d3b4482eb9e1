/// Mean squared error over all elements: L = sum((p - t)^2) / count, PyTorch's `MSELoss()`.
///
/// The sum is accumulated in Double, in blocks of 4,096 elements (each in eight lanes: one running sum would
/// wait on every add's latency, 0.4 ms for a 32x32 batch of 128), and the blocks' sums are added in order.
/// The blocks do not depend on the thread count, so neither does the loss; the gradient is element-wise.
public final class MSELoss {
  private static let block = 4096
  private let dPrediction = Tensor([0])
  private var blockSums = UnsafeMutablePointer<Double>.allocate(capacity: 0)  // [blocks]: each block's sum
  private var capacity = 0  // blocks `blockSums` holds
  private var prediction: Tensor?  // [*], forward's arguments while its shards run
  private var target: Tensor?  // [*]
  // The shard body, made once (`ShardWorkers` explains why).
  private lazy var shard: (Int, Int) -> Void = { [unowned self] in self.forward(shard: $0, of: $1) }

  public init() {}
  deinit { blockSums.deallocate() }

  /// Returns L and fills the gradient that `backward` hands out.
  public func forward(_ prediction: Tensor, _ target: Tensor) -> Float {
    precondition(prediction.count == target.count, "MSELoss: \(prediction.shape) vs \(target.shape)")
    dPrediction.resize(prediction.shape)
    let n = prediction.count, blocks = (n + Self.block - 1) / Self.block
    if blocks > capacity {
      blockSums.deallocate()
      blockSums = .allocate(capacity: blocks)
      capacity = blocks
    }
    (self.prediction, self.target) = (prediction, target)
    BatchShards.run(over: n, shard)
    (self.prediction, self.target) = (nil, nil)
    var sum = 0.0
    for b in 0..<blocks { sum += blockSums[b] }
    return Float(sum / Double(n))
  }

  /// dL/dPrediction for the last `forward`.
  public func backward() -> Tensor { dPrediction }

  /// The blocks of shard `s`: their sums, and dL/dp = 2 (p - t) / count for their elements.
  private func forward(shard s: Int, of shards: Int) {
    guard let prediction, let target else { return }
    let n = prediction.count, blocks = (n + Self.block - 1) / Self.block
    let (p, t, d) = (prediction.data, target.data, dPrediction.data)
    let scale = 2 / Float(n)
    for b in BatchShards.images(s, of: blocks, chunk: 1, shards: shards) {
      let first = b * Self.block, end = min(n, first + Self.block), whole = first + (end - first) / 8 * 8
      var lanes = SIMD8<Double>()
      for i in Swift.stride(from: first, to: whole, by: 8) {
        let diff = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
          - UnsafeRawPointer(t + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(d + i).storeBytes(of: scale * diff, as: SIMD8<Float>.self)
        lanes += SIMD8<Double>(diff * diff)
      }
      var sum = lanes.sum()
      for i in whole..<end {
        let diff = p[i] - t[i]
        sum += Double(diff * diff)
        d[i] = scale * diff
      }
      blockSums[b] = sum
    }
  }
}

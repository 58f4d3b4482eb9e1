/// Copies a vector to every spatial position: [N, C] -> [N, C, H, W].
///
/// This is how the forward model injects the latent into its feature map (PyTorch:
/// `z[:, :, None, None].expand(-1, -1, H, W)`); backward sums the gradient over H and W.
public final class Broadcast: Layer {
  public let height: Int
  public let width: Int
  private let output = Tensor([0])
  private let dInput = Tensor([0])
  private var batch = -1
  private var channels = -1
  private var argument: Tensor?  // forward's input or backward's dOutput while the shards run
  // The shard bodies, made once (`ShardWorkers` explains why): each takes a share of the N x C planes, each
  // plane whole (so its sum is the same on any thread count).
  private lazy var forwardShard: (Int, Int) -> Void = { [unowned self] s, shards in
    guard let x = self.argument else { return }
    self.fill(from: x, planes: BatchShards.images(s, of: self.batch * self.channels, chunk: 1, shards: shards))
  }
  private lazy var backwardShard: (Int, Int) -> Void = { [unowned self] s, shards in
    guard let dy = self.argument else { return }
    self.sum(dy, planes: BatchShards.images(s, of: self.batch * self.channels, chunk: 1, shards: shards))
  }

  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.shape.count == 2, "Broadcast expects [N, C], got \(x.shape)")
    if x.batch != batch || x.shape[1] != channels {
      batch = x.batch
      channels = x.shape[1]
      output.resize(batch, channels, height, width)
    }
    argument = x
    BatchShards.run(over: output.count, forwardShard)
    argument = nil
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    dInput.resize(batch, channels)
    argument = dOutput
    BatchShards.run(over: output.count, backwardShard)
    argument = nil
    return dInput
  }

  private func fill(from x: Tensor, planes: Range<Int>) {
    let plane = height * width
    for i in planes { (output.data + i * plane).update(repeating: x.data[i], count: plane) }
  }

  private func sum(_ dOutput: Tensor, planes: Range<Int>) {
    let plane = height * width
    for i in planes {
      let src = dOutput.data + i * plane
      var sum: Float = 0
      for j in 0..<plane { sum += src[j] }
      dInput.data[i] = sum
    }
  }
}

/// Changes the per-sample shape, keeping the batch dimension: [N, ...] -> [N, shape...].
///
/// `Reshape(to: [C * H * W])` is PyTorch's `Flatten()`; `Reshape(to: [C, H, W])` is its inverse.
/// The values are copied once into the layer's own buffer (tensors own their storage, so there are
/// no views that could dangle; the copy is small next to any GEMM, and shared between the compute threads
/// when it is large).
public final class Reshape: Layer {
  public let sampleShape: [Int]
  private var inputShape: [Int] = []
  private let output = Tensor([0])
  private let dInput = Tensor([0])
  private var batch = -1
  private var copying: (from: Tensor, to: Tensor)?  // the copy while its shards run
  // The shard body, made once (`ShardWorkers` explains why): whole runs of 64 floats each.
  private lazy var copyShard: (Int, Int) -> Void = { [unowned self] s, shards in
    guard let (from, to) = self.copying else { return }
    let r = BatchShards.images(s, of: from.count, chunk: 64, shards: shards)
    (to.data + r.lowerBound).update(from: from.data + r.lowerBound, count: r.count)
  }

  public init(to sampleShape: [Int]) { self.sampleShape = sampleShape }

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.rowSize == sampleShape.reduce(1, *), "Reshape to \(sampleShape) got \(x.shape)")
    if x.batch != batch || x.shape != inputShape {
      batch = x.batch
      inputShape = x.shape
      output.resize([batch] + sampleShape)
    }
    copy(x, to: output)
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    dInput.resize(inputShape)
    copy(dOutput, to: dInput)
    return dInput
  }

  private func copy(_ from: Tensor, to: Tensor) {
    copying = (from, to)
    BatchShards.run(over: from.count, copyShard)
    copying = nil
  }
}

/// [N, ...] -> [N, prod(...)], PyTorch's `nn.Flatten()`.
public func Flatten(_ sampleShape: [Int]) -> Reshape { Reshape(to: [sampleShape.reduce(1, *)]) }

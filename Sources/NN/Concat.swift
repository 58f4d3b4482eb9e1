/// Joins two tensors along the channel axis (axis 1): [N, A, ...] and [N, B, ...] -> [N, A + B, ...].
///
/// Works for images ([N, C, H, W], same H and W) and vectors ([N, F]); PyTorch's `torch.cat(dim=1)`.
public final class Concat {
  private let output = Tensor([0])
  private let dFirst = Tensor([0])
  private let dSecond = Tensor([0])
  private var firstShape: [Int] = []
  private var secondShape: [Int] = []
  private var inputs: (Tensor, Tensor)?  // forward's arguments while its shards run
  private var dOutput: Tensor?  // backward's argument while its shards run
  // The shard bodies, made once (`ShardWorkers` explains why): each copies the rows of its share of the batch.
  private lazy var joinShard: (Int, Int) -> Void = { [unowned self] s, shards in
    guard let (a, b) = self.inputs else { return }
    join(a, b, into: self.output, rows: BatchShards.images(s, of: a.batch, chunk: 1, shards: shards))
  }
  private lazy var splitShard: (Int, Int) -> Void = { [unowned self] s, shards in
    guard let joined = self.dOutput else { return }
    split(joined, into: self.dFirst, self.dSecond,
          rows: BatchShards.images(s, of: joined.batch, chunk: 1, shards: shards))
  }

  public init() {}

  public func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.batch == b.batch && a.shape.dropFirst(2) == b.shape.dropFirst(2),
                 "Concat needs equal batch and trailing dimensions, got \(a.shape) and \(b.shape)")
    if a.shape != firstShape || b.shape != secondShape {
      firstShape = a.shape
      secondShape = b.shape
      var shape = a.shape
      shape[1] += b.shape[1]
      output.resize(shape)
    }
    inputs = (a, b)
    BatchShards.run(over: output.count, joinShard)
    inputs = nil
    return output
  }

  /// Splits the output gradient back into the gradients of the two inputs.
  public func backward(_ dOutput: Tensor) -> (Tensor, Tensor) {
    dFirst.resize(firstShape)
    dSecond.resize(secondShape)
    self.dOutput = dOutput
    BatchShards.run(over: dOutput.count, splitShard)
    self.dOutput = nil
    return (dFirst, dSecond)
  }
}

/// Row n of `joined` = row n of `a` followed by row n of `b` (rows = the leading dimension), for n in `rows`.
private func join(_ a: Tensor, _ b: Tensor, into joined: Tensor, rows: Range<Int>) {
  let (ra, rb) = (a.rowSize, b.rowSize)
  for n in rows {
    let dst = joined.data + n * (ra + rb)
    dst.update(from: a.data + n * ra, count: ra)
    (dst + ra).update(from: b.data + n * rb, count: rb)
  }
}

/// The inverse of `join`: the first a.rowSize values of each row of `joined` go to `a`, the rest to `b`.
private func split(_ joined: Tensor, into a: Tensor, _ b: Tensor, rows: Range<Int>) {
  let (ra, rb) = (a.rowSize, b.rowSize)
  for n in rows {
    let src = joined.data + n * (ra + rb)
    (a.data + n * ra).update(from: src, count: ra)
    (b.data + n * rb).update(from: src + ra, count: rb)
  }
}

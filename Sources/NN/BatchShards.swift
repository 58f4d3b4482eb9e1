/// How a layer splits its work between threads: into `count` pieces, each run by one thread with one-thread
/// GEMMs. The convolutions cut the batch into shards of whole GEMM chunks with their own buffers and sum the
/// shards' parameter gradients at the end in shard order; Linear, the activations and Adam cut their work
/// so that no sum crosses pieces.
///
/// The GEMMs of a 32x32 network are small and skinny; OpenBLAS splitting each of them between two
/// threads gains little, while two threads each running part of the images scale almost perfectly. The
/// piece count is fixed, not the thread count, so every thread count adds the same partial sums in the
/// same order. Threads take the next free piece.
public enum BatchShards {
  /// Pieces per call: one per core of the machines this is tuned for. Four shards balance better when one
  /// core is busy with other work, but their buffers take 35 MB more at batch 128 (measured 287 -> 323 MB
  /// peak for the conv benchmark), which is over its 300 MB budget.
  public static let count = 2

  /// Images first..<end of shard `s` when `n` images are processed `chunk` at a time: whole chunks,
  /// as evenly as the chunk count allows (a shard may be empty for a batch of one chunk).
  @inline(__always)
  public static func images(_ s: Int, of n: Int, chunk: Int) -> Range<Int> {
    let chunks = (n + chunk - 1) / chunk
    let first = min(n, s * chunks / count * chunk), end = min(n, (s + 1) * chunks / count * chunk)
    return first..<end
  }

  /// Runs `body(s)` for every shard s in 0..<count: on the available threads, each taking the next shard
  /// (one-thread GEMMs inside), or one after the other when `BLASThreads.count` is 1. `body` is escaping
  /// only so that callers pass a closure they made once (`ShardWorkers` explains why); it is not kept.
  public static func run(_ body: @escaping (Int) -> Void) {
    let threads = BLASThreads.count
    guard threads > 1 else {
      for s in 0..<count { body(s) }
      return
    }
    // A piece's GEMMs run on its own thread: a large one must not hand OpenBLAS more threads meanwhile.
    BLASThreads.sharded = true
    ShardWorkers.shared.run(count, threads: threads, body)
    BLASThreads.sharded = false
  }
}

/// The working buffers of one shard of a convolution's batch (`BatchShards`): one thread uses them at a time.
///
/// Conv2d: columns [in*K*K, B*OH*OW] (one chunk of W^T x dY), product [out, B*OH*OW] (W x columns, or the
/// packed dY), dWeight [out, in*K*K]. ConvTranspose2d: columns [out*K*K, B*H*W] (W^T x input, or im2col(dY)),
/// product [in, B*H*W] (W x im2col(dY)), dWeight [in, out*K*K].
final class ConvShard {
  let scratch = Tensor([0])  // [g.scratchSize]: phase planes of one image for im2col/col2im
  let columns = Tensor([0])  // one chunk's column matrix, above
  let product = Tensor([0])  // one chunk's product or packed activations, above
  let dWeight = Tensor([0])  // this shard's weight gradient, above
  let dBias = Tensor([0])  // [out]: this shard's bias gradient

  /// Adds the shards' weight and bias gradients into the parameters' own, in shard order, so that every
  /// thread count gives the same sums.
  static func addGradients(of shards: [ConvShard], into weight: Parameter, _ bias: Parameter?) {
    for shard in shards {
      addInto(weight.grad.data, shard.dWeight.data, weight.grad.count)
      if let bias { addInto(bias.grad.data, shard.dBias.data, bias.grad.count) }
    }
  }
}

/// Adds `source[0..<count]` into `target`, eight lanes at a time, then four (a shard's gradient partial into
/// the total, a window row into a phase plane).
@inline(__always)
func addInto(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
  var i = 0
  while i + 8 <= count {
    let sum = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self)
      + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD8<Float>.self)
    i += 8
  }
  if i + 4 <= count {
    let sum = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD4<Float>.self)
      + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD4<Float>.self)
    UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD4<Float>.self)
    i += 4
  }
  while i < count { target[i] += source[i]; i += 1 }
}

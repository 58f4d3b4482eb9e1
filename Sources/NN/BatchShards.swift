import ConvKernels

/// How a layer splits its work between threads: into `count` pieces, each run by one thread with one-thread
/// products. The convolutions cut the batch into shards of whole kernel chunks with their own buffers and sum
/// the shards' parameter gradients at the end in shard order; Linear, the activations and Adam cut their work
/// so that no sum crosses pieces.
///
/// The products of a 32x32 network are small and skinny; splitting each of them between two threads gains
/// little, while two threads each running part of the images scale almost perfectly. The
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

/// Adds `source[0..<count]` into `target`, eight lanes at a time, then four (a shard's gradient partial into
/// the total, a row of dY into a Linear bias gradient).
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

import ConvKernels

/// How a layer splits its work between threads: into one piece per compute thread (`BLASThreads.count` of
/// the calling thread), each run by one thread with one-thread products. The convolutions cut the batch into
/// shards of whole kernel chunks with their own buffers and sum the shards' parameter gradients at the end
/// in shard order; Linear, the activations and Adam cut their work so that no sum crosses pieces.
///
/// The products of a 32x32 network are small and skinny; splitting each of them between threads gains
/// little, while each thread running part of the images scales almost perfectly. A given thread count
/// always cuts the same pieces and adds the same partial sums in the same order, so its results repeat
/// exactly; another thread count adds the convolutions' partial gradients in other groups, and agrees with
/// it to float rounding.
public enum BatchShards {
  /// Pieces per call made on this thread: one per compute thread.
  public static var count: Int { BLASThreads.count }

  /// Images first..<end of shard `s` of `shards` when `n` images are processed `chunk` at a time: whole
  /// chunks, as evenly as the chunk count allows (a shard may be empty when there are fewer chunks than shards).
  @inline(__always)
  public static func images(_ s: Int, of n: Int, chunk: Int, shards: Int) -> Range<Int> {
    let chunks = (n + chunk - 1) / chunk
    let first = min(n, s * chunks / shards * chunk), end = min(n, (s + 1) * chunks / shards * chunk)
    return first..<end
  }

  /// Runs `body(s, count)` for every shard s in 0..<count, count = `BatchShards.count`: on the available
  /// threads, each taking the next shard (one-thread GEMMs inside), or as the one piece on this thread when
  /// `BLASThreads.count` is 1. `body` is escaping only so that callers pass a closure they made once
  /// (`ShardWorkers` explains why); it is not kept.
  public static func run(_ body: @escaping (_ shard: Int, _ shards: Int) -> Void) {
    run(pieces: count, body)
  }

  /// Runs `body(piece, pieces)` for every piece in 0..<pieces, each taken by the next free compute thread:
  /// for work whose pieces add into nothing they share, so that when one core is slowed by other work the
  /// other takes more pieces instead of waiting for it. A piece uses the buffers of its thread, `thread`.
  public static func run(pieces: Int, _ body: @escaping (_ piece: Int, _ pieces: Int) -> Void) {
    let threads = BLASThreads.count
    guard threads > 1 else {
      for piece in 0..<pieces { body(piece, pieces) }
      return
    }
    // A piece's GEMMs run on its own thread: a large one must not hand OpenBLAS more threads meanwhile.
    BLASThreads.sharded = true
    ShardWorkers.shared.run(pieces, threads: threads, body)
    BLASThreads.sharded = false
  }

  /// The calling thread's place among the threads of the `run` it is in, below `count`: 0 for the thread
  /// that called `run` (and outside a run), 1, 2, ... for the others.
  public static var thread: Int { ShardWorkers.slot }

  /// `run` for a pass over `count` floats (an activation, a copy between layers): shared between the compute
  /// threads from 16,384 floats on, and below that `body(0, 1)` on this thread alone, as the hand-over would
  /// cost more than it saves (one call is about 0.4 us; ReLU does about 4 floats per ns).
  public static func run(over count: Int, _ body: @escaping (_ shard: Int, _ shards: Int) -> Void) {
    if count >= 1 << 14 { run(body) } else { body(0, 1) }
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

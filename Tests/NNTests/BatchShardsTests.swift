import Foundation
import NN
import Testing

/// Pieces run by `BatchShards.run` calls, counted per piece (each thread writes its own slots), and the piece
/// counts they were told.
private final class PieceCounts: @unchecked Sendable {
  var counts: [Int]
  var told: [Int]
  init(_ pieces: Int) {
    counts = [Int](repeating: 0, count: pieces)
    told = [Int](repeating: 0, count: pieces)
  }
}

@Test func batchShardsRunOnePiecePerThreadOnceWhetherTheWorkersSpinOrSleep() {
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  for threads in [1, 2, 3, 4] {
    BLASThreads.set(threads)
    #expect(BatchShards.count == threads)
    let seen = PieceCounts(threads)
    let body: (Int, Int) -> Void = { s, count in
      seen.counts[s] += 1
      seen.told[s] = count
    }
    BatchShards.run(body)  // the workers (if any) are spinning right after this
    BatchShards.run(body)
    Thread.sleep(forTimeInterval: 0.01)  // long past the workers' spin: they are asleep now
    BatchShards.run(body)
    #expect(seen.counts == [Int](repeating: 3, count: threads), "\(threads) thread(s)")
    #expect(seen.told == [Int](repeating: threads, count: threads), "\(threads) thread(s)")
  }
}

@Test func batchShardsRunManyPiecesOnceEachOnTheCallsOwnThreadsOnly() {
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  BLASThreads.set(4)
  BatchShards.run { _, _ in }  // three workers exist from here on; a call with fewer threads uses fewer
  #expect(BatchShards.thread == 0)
  for threads in [1, 2, 3] {
    BLASThreads.set(threads)
    let seen = PieceCounts(37), ranOn = PieceCounts(37)
    BatchShards.run(pieces: 37) { piece, pieces in
      seen.counts[piece] += 1
      seen.told[piece] = pieces
      ranOn.counts[piece] = BatchShards.thread
    }
    #expect(seen.counts == [Int](repeating: 1, count: 37), "\(threads) thread(s)")
    #expect(seen.told == [Int](repeating: 37, count: 37), "\(threads) thread(s)")
    #expect(ranOn.counts.allSatisfy { (0..<threads).contains($0) }, "\(threads) thread(s): \(ranOn.counts)")
  }
}

@Test func batchShardsCoverTheBatchInWholeChunks() {
  // 13 images, 2 per chunk: 7 chunks, 3 for the first of two shards and 4 for the second.
  #expect(BatchShards.images(0, of: 13, chunk: 2, shards: 2) == 0..<6)
  #expect(BatchShards.images(1, of: 13, chunk: 2, shards: 2) == 6..<13)
  // Three shards: 2, 2 and 3 chunks.
  #expect(BatchShards.images(0, of: 13, chunk: 2, shards: 3) == 0..<4)
  #expect(BatchShards.images(1, of: 13, chunk: 2, shards: 3) == 4..<8)
  #expect(BatchShards.images(2, of: 13, chunk: 2, shards: 3) == 8..<13)
  // One shard: everything.
  #expect(BatchShards.images(0, of: 13, chunk: 2, shards: 1) == 0..<13)
  // One chunk: the first shard is empty.
  #expect(BatchShards.images(0, of: 5, chunk: 16, shards: 2) == 0..<0)
  #expect(BatchShards.images(1, of: 5, chunk: 16, shards: 2) == 0..<5)
}

@Test func openBLASsGenericKernelsAreReplacedOnlyWhereTheCPUHasBetterOnes() {
  let avx512: Set = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512dq", "avx512bw", "avx512vl"]
  #expect(BLASCore.suggestion(core: "Prescott", cpuFlags: avx512) == "SkylakeX")
  #expect(BLASCore.suggestion(core: "Prescott", cpuFlags: ["avx", "avx2", "fma"]) == "Haswell")
  #expect(BLASCore.suggestion(core: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")  // not all of AVX-512
  #expect(BLASCore.suggestion(core: "Prescott", cpuFlags: ["sse4_2", "avx"]) == nil)  // an old CPU: generic is right
  #expect(BLASCore.suggestion(core: "SkylakeX", cpuFlags: avx512) == nil)
  #expect(BLASCore.suggestion(core: "Zen", cpuFlags: ["avx2", "fma"]) == nil)
  #expect(!BLASCore.name.isEmpty)
}

import Foundation
import NN
import Testing

/// Pieces run by one `BatchShards.run`, counted per piece (two threads may write, each its own slot).
private final class PieceCounts: @unchecked Sendable {
  var counts = [Int](repeating: 0, count: BatchShards.count)
}

@Test func batchShardsRunEveryPieceOnceWhetherTheWorkerSpinsOrSleeps() {
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  for threads in [1, 2] {
    BLASThreads.set(threads)
    let seen = PieceCounts()
    let body: (Int) -> Void = { seen.counts[$0] += 1 }
    BatchShards.run(body)  // the worker (if any) is spinning right after this
    BatchShards.run(body)
    Thread.sleep(forTimeInterval: 0.01)  // long past the worker's spin: it is asleep now
    BatchShards.run(body)
    #expect(seen.counts == [3, 3], "\(threads) thread(s)")
  }
}

@Test func batchShardsCoverTheBatchInWholeChunks() {
  // 13 images, 2 per chunk: 7 chunks, 3 for the first shard and 4 for the second.
  #expect(BatchShards.images(0, of: 13, chunk: 2) == 0..<6)
  #expect(BatchShards.images(1, of: 13, chunk: 2) == 6..<13)
  // One chunk: the first shard is empty.
  #expect(BatchShards.images(0, of: 5, chunk: 16) == 0..<0)
  #expect(BatchShards.images(1, of: 5, chunk: 16) == 0..<5)
}

import Core
import Foundation
import GridWorld
import Testing
import TestSupport

/// Every frame byte of `data`, in order.
func allFrames(_ data: Dataset) -> [UInt8] { data.frames[0..<data.frames.count] }

/// o and o' of `indices` as gathered by `data.gatherPairs`.
private func gathered(_ data: Dataset, _ indices: [Int]) -> (o: [Float], next: [Float]) {
  var o = [Float](repeating: -1, count: indices.count * data.frameSize), next = o
  o.withUnsafeMutableBufferPointer { a in
    next.withUnsafeMutableBufferPointer { b in data.gatherPairs(indices, o: a.baseAddress!, next: b.baseAddress!) }
  }
  return (o, next)
}

@Test("frames read from frames.npy on demand give the same batches and frames as frames held in memory")
func fileBackedFramesGatherLikeInMemoryFrames() throws {
  let data = try generate(try preset("distractors-8x8"), episodes: 5, steps: 6, seed: 4)
  let folder = makeTemporaryFolder() + "/ds"
  try data.write(to: folder)
  let loaded = try Dataset.load(from: folder, framesInMemoryUpTo: 0)
  #expect(try Dataset.load(from: folder).frames.isInMemory)
  #expect(data.frames.isInMemory && !loaded.frames.isInMemory && loaded.frames.count == 5 * 7 * 3072)
  // Out of order, repeated, and the very last transition (its o' is the file's last frame).
  let indices = [29, 0, 7, 12, 29, 18, 6]
  let (o, next) = gathered(data, indices)
  #expect(!o.contains(-1) && !next.contains(-1) && o != next)
  #expect(gathered(loaded, indices) == (o, next))
  #expect(loaded.frame(episode: 4, step: 6) == data.frame(episode: 4, step: 6))
  #expect(loaded.frames[(5 * 7 - 1) * 3072..<(5 * 7 * 3072)] == data.frames[(5 * 7 - 1) * 3072..<(5 * 7 * 3072)])
  #expect(allFrames(loaded) == allFrames(data))
  // A store of a file then memory reads across the seam.
  let both = loaded.frames.appending(FrameStore([1, 2, 3]))
  #expect(!both.isInMemory && both.count == loaded.frames.count + 3)
  #expect(both[(both.count - 5)..<both.count] == allFrames(data).suffix(2) + [1, 2, 3])
}

@Test("generating into a folder streams the frames and writes the same files and hashes as the in-memory writer")
func streamingGenerateWritesTheInMemoryWritersFiles() throws {
  // 2000 episodes of 8 frames of 3 KB: 49 MB of frames, more than one 32 MiB piece, so the last one is partial.
  let config = try preset("distractors-8x8")
  let root = makeTemporaryFolder()
  try Dataset.generate(config: config, episodes: 2000, steps: 7, seed: 5, source: "distractors-8x8", threads: 1)
    .write(to: root + "/memory")
  try Dataset.generate(config: config, episodes: 2000, steps: 7, seed: 5, source: "distractors-8x8", threads: 3, to: root + "/streamed")
  for name in Dataset.arrayNames.map({ $0 + ".npy" }) + ["dataset.json", Files.marker] {
    #expect(try fileBytes(root + "/memory/" + name) == fileBytes(root + "/streamed/" + name), "\(name)")
  }
  let manifest = try StrictJSON.load(DatasetManifest.self, from: root + "/streamed/dataset.json")
  #expect(manifest.arrays["frames"]?.hash == SHA256.hex(of: try fileBytes(root + "/streamed/frames.npy")))
  #expect(try fileBytes(root + "/streamed/frames.npy").count == 128 + 2000 * 8 * 3072)
  #expect(try Dataset.load(from: root + "/streamed").episodes == 2000)
  #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["memory", "streamed"])
}

@Test("a streamed generate refuses an existing folder and a dataset whose records cannot fit, leaving nothing behind")
func streamingGenerateRefusesBeforeWriting() throws {
  let root = makeTemporaryFolder()
  let config = try preset("paper-4x4-agent")
  try Dataset.generate(config: config, episodes: 2, steps: 3, seed: 1, to: root + "/ds")
  let before = try fileBytes(root + "/ds/frames.npy")
  #expect(throws: LamError("\(root)/ds: already exists (pass --force to replace it)")) {
    try Dataset.generate(config: config, episodes: 2, steps: 3, seed: 2, to: root + "/ds")
  }
  #expect(try fileBytes(root + "/ds/frames.npy") == before)
  var crowded = EnvironmentConfig()
  crowded.distractors = (0..<4).map { _ in DistractorGroup(count: 64) }
  #expect {
    try Dataset.generate(config: crowded, episodes: 10_000_000, steps: 50, seed: 0, to: root + "/big")
  } throws: { "\($0)".hasPrefix("episodes: the dataset (10000000 episodes of 50 steps) needs about ") }
  #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["ds"])
}

@Test("a frames.npy shorter or longer than its header says is a one-line error naming it, also when read on demand")
func aFramesFileOfTheWrongSizeIsNamedWhenReadOnDemand() throws {
  let folder = try writtenDataset()
  let file = folder + "/frames.npy"
  let whole = try fileBytes(file)
  func message() -> String {
    do {
      _ = try Dataset.load(from: folder, framesInMemoryUpTo: 0)
      return ""
    } catch {
      return "\(error)"
    }
  }
  try whole.dropLast(1).write(to: URL(fileURLWithPath: file))
  #expect(message() == "\(file): truncated: shape (3, 6, 3, 32, 32) needs 55296 data bytes, found 55295")
  try (whole + Data(repeating: 0, count: 4096)).write(to: URL(fileURLWithPath: file))
  #expect(message() == "\(file): has trailing bytes: shape (3, 6, 3, 32, 32) needs 55296 data bytes, found 59392")
  try Data().write(to: URL(fileURLWithPath: file))
  #expect(message() == "\(file): not a .npy file (missing the \\x93NUMPY magic)")
  try whole.write(to: URL(fileURLWithPath: file))
  #expect(message() == "")
}

@Test("a frames.npy cut short after loading reads as zeros from the cut on, and checkReads names the file and the bytes")
func aFramesFileCutShortAfterLoadingIsReportedByCheckReads() throws {
  let folder = try writtenDataset()  // 3 episodes of 6 frames of 3072 bytes, 5 transitions each
  let file = folder + "/frames.npy"
  let header = try fileBytes(file).count - 3 * 6 * 3072
  let loaded = try Dataset.load(from: folder, framesInMemoryUpTo: 0)
  let before = gathered(loaded, [0, 9])
  try loaded.frames.checkReads()
  // Cut the file 100 bytes into episode 1: transition 0 (episode 0) is whole, transition 9 (frames 4 and 5 of
  // episode 1, bytes 30720..<36864) is gone.
  #expect(truncate(file, off_t(header + 6 * 3072 + 100)) == 0)
  #expect(gathered(loaded, [0]).o == Array(before.o.prefix(3072)))
  try loaded.frames.checkReads()
  let cut = gathered(loaded, [9])
  #expect(before.o.suffix(3072).contains { $0 != 0 } && cut.o.allSatisfy { $0 == 0 } && cut.next.allSatisfy { $0 == 0 })
  #expect(throws: LamError("\(file): cannot read data bytes 30720..<36864: the file was cut short or changed after it was loaded, or the disk failed")) {
    try loaded.frames.checkReads()
  }
}

import Core
import Foundation
import GridWorld
import Testing
import TestSupport

func fileBytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

/// A small dataset with distractors written to a fresh folder; returns the folder.
func writtenDataset(_ name: String = "distractors-8x8", episodes: Int = 3, steps: Int = 5, seed: UInt64 = 7) throws -> String {
  let folder = makeTemporaryFolder() + "/ds"
  try generate(try preset(name), episodes: episodes, steps: steps, seed: seed).write(to: folder)
  return folder
}

func loadError(_ folder: String) -> String {
  do {
    _ = try Dataset.load(from: folder)
    return ""
  } catch {
    return "\(error)"
  }
}

@Test func theSameConfigAndSeedGiveByteIdenticalFilesOnAnyThreadCount() throws {
  let config = try preset("camera-shake-8x8")
  let root = makeTemporaryFolder()
  try generate(config, episodes: 7, steps: 9, seed: 42, threads: 1).write(to: root + "/a")
  try generate(config, episodes: 7, steps: 9, seed: 42, threads: 3).write(to: root + "/b")
  for name in Dataset.arrayNames.map({ $0 + ".npy" }) + ["dataset.json"] {
    #expect(try fileBytes(root + "/a/" + name) == fileBytes(root + "/b/" + name), "\(name)")
  }
  let other = try generate(config, episodes: 7, steps: 9, seed: 43)
  #expect(allFrames(other) != allFrames(try Dataset.load(from: root + "/a")))
}

@Test func anEpisodeDoesNotDependOnHowManyEpisodesAreGenerated() throws {
  let config = try preset("paper-4x4-noise-low")
  let few = try generate(config, episodes: 2, steps: 10, seed: 9)
  let many = try generate(config, episodes: 5, steps: 10, seed: 9)
  #expect(many.frames[0..<few.frames.count] == allFrames(few))
  #expect(Array(many.actions[0..<few.actions.count]) == few.actions)
}

@Test func writingThenLoadingGivesTheSameDataset() throws {
  let data = try generate(try preset("distractors-8x8"), episodes: 3, steps: 6, seed: 11)
  let folder = makeTemporaryFolder() + "/ds"
  try data.write(to: folder)
  let loaded = try Dataset.load(from: folder)
  #expect(loaded.config == data.config && loaded.seed == 11 && loaded.episodes == 3 && loaded.steps == 6)
  #expect(allFrames(loaded) == allFrames(data) && loaded.actions == data.actions && loaded.moved == data.moved)
  #expect(loaded.agentPositions == data.agentPositions && loaded.shake == data.shake)
  #expect(loaded.distractorActions == data.distractorActions && loaded.distractorPositions == data.distractorPositions)
  #expect(loaded.exogenousChange == data.exogenousChange)
  let manifest = try StrictJSON.load(DatasetManifest.self, from: folder + "/dataset.json")
  #expect(manifest.arrays["frames"]?.shape == [3, 7, 3, 32, 32] && manifest.arrays["frames"]?.dtype == "uint8")
  #expect(manifest.arrays["distractor_pos"]?.shape == [3, 7, 3, 2])
  #expect(manifest.actionNames == ["stay", "up", "down", "left", "right"])
}

@Test func noDistractorsGiveZeroSizedArraysNotMissingFiles() throws {
  let folder = try writtenDataset("paper-4x4-clean", episodes: 2, steps: 4)
  let (actions, shape) = try NPY.read(Int.self, from: folder + "/distractor_actions.npy")
  #expect(actions.isEmpty && shape == [2, 4, 0])
  #expect(try NPY.read(Int.self, from: folder + "/distractor_pos.npy").shape == [2, 5, 0, 2])
  #expect(try Dataset.load(from: folder).distractorCount == 0)
}

@Test func gatherPairsReturnsConsecutiveFramesAsFloats() throws {
  let data = try generate(try preset("distractors-8x8"), episodes: 4, steps: 5)
  let indices = [0, 7, 19, 13]
  let n = data.frameSize
  var o = [Float](repeating: -1, count: indices.count * n), next = o
  o.withUnsafeMutableBufferPointer { a in
    next.withUnsafeMutableBufferPointer { b in data.gatherPairs(indices, o: a.baseAddress!, next: b.baseAddress!) }
  }
  for (row, i) in indices.enumerated() {
    let (e, t) = (i / 5, i % 5)
    let first = (e * 6 + t) * n
    for j in stride(from: 0, to: n, by: 37) {
      #expect(o[row * n + j] == Float(data.frames[first + j]) / 255)
      #expect(next[row * n + j] == Float(data.frames[first + n + j]) / 255)
    }
  }
  #expect(data.transitionIndices(episodes: 1..<3) == Array(5..<15))
}

@Test func aTransitionRecordAgreesWithTheArrays() throws {
  let data = try generate(try preset("distractors-8x8"), episodes: 2, steps: 5)
  let t = data.transition(8)  // episode 1, step 3
  #expect(t.episode == 1 && t.step == 3)
  #expect(t.action.rawValue == data.actions[8] && t.moved == data.moved[8])
  #expect(t.agentBefore == Cell(row: data.agentPositions[18], col: data.agentPositions[19]))
  #expect(t.agentAfter == Cell(row: data.agentPositions[20], col: data.agentPositions[21]))
  #expect(t.distractorActions == Array(data.distractorActions[24..<27]))
  #expect(t.distractorsAfter[2] == Cell(row: data.distractorPositions[(10 * 3 + 2) * 2], col: data.distractorPositions[(10 * 3 + 2) * 2 + 1]))
  #expect(t.exogenousChange == data.exogenousChange[8])
}

@Test func anExistingFolderIsNeverOverwrittenWithoutForce() throws {
  let folder = try writtenDataset(seed: 1)
  let before = try fileBytes(folder + "/frames.npy")
  let other = try generate(try preset("distractors-8x8"), episodes: 3, steps: 5, seed: 2)
  #expect(throws: LamError("\(folder): already exists (pass --force to replace it)")) { try other.write(to: folder) }
  #expect(try fileBytes(folder + "/frames.npy") == before)
  try other.write(to: folder, force: true)
  #expect(allFrames(try Dataset.load(from: folder)) == allFrames(other))
  // No staging or old folders are left beside it.
  let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
  #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["ds"])
}

@Test func aMissingArrayFileIsNamed() throws {
  let folder = try writtenDataset()
  try FileManager.default.removeItem(atPath: folder + "/shake.npy")
  #expect(loadError(folder) == "\(folder)/shake.npy: missing")
}

@Test func aMissingManifestIsReported() throws {
  let folder = try writtenDataset()
  try FileManager.default.removeItem(atPath: folder + "/dataset.json")
  #expect(loadError(folder) == "\(folder): not a dataset folder (dataset.json is missing)")
  #expect(loadError(folder + "-nope") == "\(folder)-nope: no such dataset folder")
}

@Test func anArrayOfTheWrongDtypeIsNamed() throws {
  let folder = try writtenDataset()
  try NPY.write([Float](repeating: 0, count: 15), shape: [3, 5], to: folder + "/actions.npy")
  #expect(loadError(folder) == "\(folder)/actions.npy: expected dtype int64 ('<i8'), found '<f4'")
}

@Test func anArrayOfTheWrongShapeIsNamed() throws {
  let folder = try writtenDataset()
  try NPY.write([Int](repeating: 0, count: 12), shape: [3, 4], to: folder + "/actions.npy")
  #expect(loadError(folder) == "\(folder)/actions.npy: shape (3, 4) does not match dataset.json (expected (3, 5))")
}

@Test func aTruncatedArrayIsNamed() throws {
  let folder = try writtenDataset()
  let data = try fileBytes(folder + "/frames.npy")
  try data.dropLast(100).write(to: URL(fileURLWithPath: folder + "/frames.npy"))
  #expect(loadError(folder) == "\(folder)/frames.npy: truncated: shape (3, 6, 3, 32, 32) needs 55296 data bytes, found 55196")
  try (data + Data([0])).write(to: URL(fileURLWithPath: folder + "/frames.npy"))
  #expect(loadError(folder) == "\(folder)/frames.npy: has trailing bytes: shape (3, 6, 3, 32, 32) needs 55296 data bytes, found 55297")
  try data.prefix(100).write(to: URL(fileURLWithPath: folder + "/frames.npy"))
  #expect(loadError(folder) == "\(folder)/frames.npy: truncated .npy header (needs 128 bytes, file has 100)")
}

@Test func aChangedArrayFailsItsChecksum() throws {
  let folder = try writtenDataset()
  var data = try fileBytes(folder + "/exogenous_change.npy")
  data[data.count - 1] ^= 0x40
  try data.write(to: URL(fileURLWithPath: folder + "/exogenous_change.npy"))
  let message = loadError(folder)
  #expect(message.hasPrefix("\(folder)/exogenous_change.npy: checksum "))
  #expect(message.hasSuffix("the file was changed or corrupted"))
}

@Test func aManifestThatDisagreesWithItselfIsRejected() throws {
  let folder = try writtenDataset()
  let path = folder + "/dataset.json"
  let text = try String(contentsOfFile: path, encoding: .utf8)
  try text.replacingOccurrences(of: "\"distractorCount\" : 3", with: "\"distractorCount\" : 2")
    .write(toFile: path, atomically: true, encoding: .utf8)
  #expect(loadError(folder) == "\(path): distractorCount: expected the environment's 3 distractors, got 2")
}

@Test func anUnsupportedFormatVersionIsRejected() throws {
  let folder = try writtenDataset()
  let path = folder + "/dataset.json"
  let text = try String(contentsOfFile: path, encoding: .utf8)
  try text.replacingOccurrences(of: "\"formatVersion\" : 2", with: "\"formatVersion\" : 3")
    .write(toFile: path, atomically: true, encoding: .utf8)
  #expect(loadError(folder).contains("version 3 is not supported (expected lam-gridworld-dataset version 1...2)"))
}

@Test func generateRejectsBadCounts() {
  #expect(throws: LamError("episodes: expected a value in 1...10000000, got 0")) {
    try Dataset.generate(config: EnvironmentConfig(), episodes: 0, steps: 5, seed: 0)
  }
  #expect(throws: LamError.self) {
    try Dataset.generate(config: EnvironmentConfig(grid: GridConfig(width: 64, height: 64, cellSize: 8, channels: 3)), episodes: 1_000_000, steps: 100, seed: 0)
  }
}

/// Replaces value `index` of the int64 array `name` by `value` and recomputes dataset.json's checksums, as a
/// user who edits an array with NumPy and reruns the documented hash snippet would: only range checks remain.
private func rewrite(_ folder: String, _ name: String, index: Int, value: Int) throws {
  var (values, shape) = try NPY.read(Int.self, from: folder + "/\(name).npy")
  values[index] = value
  try NPY.write(values, shape: shape, to: folder + "/\(name).npy")
  try rehash(folder)
}

private func rehash(_ folder: String) throws {
  var manifest = try StrictJSON.load(DatasetManifest.self, from: folder + "/dataset.json")
  var hashes: [String: String] = [:]
  for name in Dataset.arrayNames {
    hashes[name] = manifest.hashAlgorithm.ofFile(try fileBytes(folder + "/\(name).npy"))
    manifest.arrays[name]!.hash = hashes[name]!
  }
  manifest.contentHash = manifest.hashAlgorithm.content(hashes)
  try StrictJSON.encode(manifest).write(to: URL(fileURLWithPath: folder + "/dataset.json"))
}

@Test func everyCodeCellAndOffsetIsRangeCheckedEvenBehindAMatchingChecksum() throws {
  // camera-shake-8x8: an 8x8 grid, 2 distractors, shake of up to 2 px.
  let cases: [(array: String, index: Int, value: Int, message: String)] = [
    ("actions", 4, 5, "actions.npy: value 5 at flat index 4: expected an action code 0...4"),
    ("actions", 0, -1, "actions.npy: value -1 at flat index 0: expected an action code 0...4"),
    ("agent_pos", 2, 8, "agent_pos.npy: value 8 at flat index 2: expected a cell of the 8x8 grid"),
    ("agent_pos", 3, -1, "agent_pos.npy: value -1 at flat index 3: expected a cell of the 8x8 grid"),
    ("distractor_actions", 1, 6, "distractor_actions.npy: value 6 at flat index 1: expected an action code 0...4 or 5 (teleport)"),
    ("distractor_pos", 5, 1 << 40, "distractor_pos.npy: value 1099511627776 at flat index 5: expected a cell"),
    ("shake", 1, 3, "shake.npy: value 3 at flat index 1: expected an offset in -2...2 pixels"),
  ]
  for c in cases {
    let folder = try writtenDataset("camera-shake-8x8")
    #expect(try Dataset.load(from: folder).episodes == 3)  // valid before the edit
    try rewrite(folder, c.array, index: c.index, value: c.value)
    let message = loadError(folder)
    #expect(message.hasPrefix("\(folder)/\(c.message)"), "\(message)")
  }
  // A teleport code is a valid distractor action.
  let folder = try writtenDataset("camera-shake-8x8")
  try rewrite(folder, "distractor_actions", index: 1, value: 5)
  #expect(try Dataset.load(from: folder).distractorActions[1] == 5)
}

@Test func anExogenousChangeOutsideZeroToOneIsRefused() throws {
  for bad in [Float.nan, -0.5, 1.5, .infinity] {
    let folder = try writtenDataset()
    var (values, shape) = try NPY.read(Float.self, from: folder + "/exogenous_change.npy")
    values[2] = bad
    try NPY.write(values, shape: shape, to: folder + "/exogenous_change.npy")
    try rehash(folder)
    #expect(loadError(folder).hasPrefix("\(folder)/exogenous_change.npy: value \(bad) at flat index 2: expected a mean absolute change in 0...1"))
  }
}

@Test func aDatasetLargerThanThisMachinesMemoryIsRefusedBeforeReading() throws {
  let folder = try writtenDataset()
  let path = folder + "/dataset.json"
  var manifest = try StrictJSON.load(DatasetManifest.self, from: path)
  manifest.episodes = Int(Int32.max)
  try StrictJSON.encode(manifest).write(to: URL(fileURLWithPath: path))
  let message = loadError(folder)
  #expect(message.hasPrefix("\(path): episodes: the dataset (2147483647 episodes of 5 steps, read) needs about "), "\(message)")
  #expect(message.contains("this process may use"))
}

@Test func generateRefusesADatasetLargerThanThisMachinesMemory() {
  // The 2.6 billion distractor positions of 256 distractors do not fit, streamed frames or not.
  var config = EnvironmentConfig()
  config.distractors = (0..<4).map { _ in DistractorGroup(count: 64) }
  #expect {
    try Dataset.generate(config: config, episodes: 10_000_000, steps: 50, seed: 0)
  } throws: { "\($0)".hasPrefix("episodes: the dataset (10000000 episodes of 50 steps) needs about ") }
}

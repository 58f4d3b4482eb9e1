import Core
import Foundation
import GridWorld
import Testing
import TestSupport

// Dataset hashes anyone can check with sha256sum (format 2), and format-1 datasets (64-bit checksums) still read.

private let docsFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("docs/environments.md").path

private func manifest(_ folder: String) throws -> DatasetManifest {
  try StrictJSON.load(DatasetManifest.self, from: folder + "/dataset.json")
}

private func flipByte(_ file: String, at offset: Int) throws {
  var data = try fileBytes(file)
  data[offset] ^= 0x01
  try data.write(to: URL(fileURLWithPath: file))
}

@Test("a new dataset stores, for every array, exactly the hash sha256sum prints for its .npy file")
func arrayHashesAreWhatSha256sumPrints() throws {
  let folder = try writtenDataset()
  let m = try manifest(folder)
  #expect(m.formatVersion == 2 && m.hashAlgorithm == .sha256)
  let files = Dataset.arrayNames.map { $0 + ".npy" }
  let result = try runProgram("/usr/bin/sha256sum", files, currentDirectory: folder)
  #expect(result.status == 0)
  let printed = result.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
  #expect(printed.map { String($0[1]) } == files)
  #expect(printed.map { String($0[0]) } == Dataset.arrayNames.map { m.arrays[$0]!.hash })
  #expect(m.arrays.values.allSatisfy { $0.hash.count == 64 } && m.contentHash.count == 64)
  let json = try String(contentsOfFile: folder + "/dataset.json", encoding: .utf8)
  #expect(json.contains("\"hashAlgorithm\" : \"sha256\""))
}

@Test("the content hash is what the documented sha256sum one-liner prints, run through /bin/sh")
func theDocumentedOneLinerReproducesTheContentHash() throws {
  let folder = try writtenDataset("camera-shake-8x8")
  let docs = try String(contentsOfFile: docsFile, encoding: .utf8)
  let lines = docs.split(separator: "\n").filter { $0.hasPrefix("cd /tmp/ds && sha256sum ") && $0.hasSuffix("| sha256sum") }
  #expect(lines.count == 1, "docs/environments.md should hold the one-liner once")
  let command = try #require(lines.first).replacingOccurrences(of: "/tmp/ds", with: folder)
  let result = try runProgram("/bin/sh", ["-c", String(command)])
  #expect(result.status == 0)
  let m = try manifest(folder)
  #expect(result.stdout == "\(m.contentHash)  -\n")
  // The listing it hashes is sha256sum's output for the files in byte order of their names.
  let listing = try runProgram("/bin/sh", ["-c", String(command.dropLast(" | sha256sum".count))])
  #expect(listing.stdout == DatasetHash.sha256sumListing(m.arrays.mapValues(\.hash)))
  #expect(DatasetHash.sha256.contentOrder == [
    "actions", "agent_pos", "distractor_actions", "distractor_pos", "exogenous_change", "frames", "moved", "shake",
  ])
}

@Test("a corrupted array of a new dataset is refused with one line naming the file and both hashes")
func aCorruptedNewFormatArrayIsNamed() throws {
  let folder = try writtenDataset()
  let stored = try manifest(folder).arrays["frames"]!.hash
  try flipByte(folder + "/frames.npy", at: 5000)
  let actual = SHA256.hex(of: try fileBytes(folder + "/frames.npy"))
  #expect(actual != stored)
  #expect(loadError(folder) == "\(folder)/frames.npy: checksum \(actual) (sha256) does not match dataset.json (\(stored)): the file was changed or corrupted")
}

@Test("a dataset of format 1 loads with its 64-bit checksums, holds the arrays lam generates today and keeps its content hash")
func anOldFormatDatasetStillLoads() throws {
  let folder = try oldFormatDataset()
  let m = try manifest(folder)
  #expect(m.formatVersion == 1 && m.hashAlgorithm == .checksum64)
  #expect(m.contentHash == "14f34b1352fc77e2")
  let old = try Dataset.load(from: folder)
  let today = try generate(try preset("paper-4x4-agent"), episodes: 6, steps: 5, seed: 3)
  #expect(allFrames(old) == allFrames(today) && old.actions == today.actions && old.distractorPositions == today.distractorPositions)
  // The .npy files themselves did not change between formats, only the hashes dataset.json records.
  let fresh = makeTemporaryFolder() + "/ds"
  try today.write(to: fresh)
  for name in Dataset.arrayNames {
    #expect(try fileBytes(folder + "/\(name).npy") == fileBytes(fresh + "/\(name).npy"))
  }
  #expect(try manifest(fresh).contentHash != m.contentHash)
  // Re-encoding a format-1 manifest writes no hashAlgorithm key, so it stays a format-1 file.
  let text = String(decoding: try StrictJSON.encode(m), as: UTF8.self)
  #expect(!text.contains("hashAlgorithm") && text.contains("\"formatVersion\" : 1"))
}

@Test("a corrupted array of a format-1 dataset is still caught by its 64-bit checksum")
func aCorruptedOldFormatArrayIsNamed() throws {
  let folder = try oldFormatDataset()
  let stored = try manifest(folder).arrays["frames"]!.hash
  try flipByte(folder + "/frames.npy", at: 200)
  let actual = ContentHash.hex(ContentHash.of(try fileBytes(folder + "/frames.npy")))
  #expect(actual.count == 16 && actual != stored)
  #expect(loadError(folder) == "\(folder)/frames.npy: checksum \(actual) (lam-checksum64) does not match dataset.json (\(stored)): the file was changed or corrupted")
}

@Test("hashAlgorithm must be sha256 in format 2 and absent in format 1")
func theHashAlgorithmMustMatchTheFormatVersion() throws {
  let folder = try writtenDataset()
  let path = folder + "/dataset.json"
  let text = try String(contentsOfFile: path, encoding: .utf8)
  try text.replacingOccurrences(of: "\"hashAlgorithm\" : \"sha256\",", with: "").write(toFile: path, atomically: true, encoding: .utf8)
  #expect(loadError(folder).hasPrefix(path + ": "))
  #expect(loadError(folder).contains("hashAlgorithm"))
  try text.replacingOccurrences(of: "\"sha256\"", with: "\"md5\"").write(toFile: path, atomically: true, encoding: .utf8)
  #expect(loadError(folder).contains("hashAlgorithm"))
  try text.replacingOccurrences(of: "\"sha256\"", with: "\"lam-checksum64\"").write(toFile: path, atomically: true, encoding: .utf8)
  #expect(loadError(folder) == "\(path): hashAlgorithm: expected \"sha256\" in format version 2")

  let old = try oldFormatDataset()
  let oldPath = old + "/dataset.json"
  let oldText = try String(contentsOfFile: oldPath, encoding: .utf8)
  try oldText.replacingOccurrences(of: "\"formatVersion\" : 1,", with: "\"formatVersion\" : 1, \"hashAlgorithm\" : \"lam-checksum64\",")
    .write(toFile: oldPath, atomically: true, encoding: .utf8)
  #expect(loadError(old) == "\(oldPath): hashAlgorithm: not a key of format version 1 (its hashes are lam-checksum64)")
}

import Foundation
import Imaging
import Testing
import TestSupport

// Each test runs `lam` from a fresh temporary folder, so presets are found next to the executable.

/// The folder's files, hidden ones (lam's marker) included.
private func contents(_ folder: String) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
}

@Test func framesFromAPresetRolloutWriteOnePNGPerFrameAndAStrip() throws {
  let folder = makeTemporaryFolder()
  let result = try runLam(["frames", "--env", "paper-4x4-clean", "--seed", "0", "--steps", "4", "--out", "pics"],
                          currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout == "wrote pics: 5 frames (128x128 px each) and strip.png\n")
  #expect(try contents(folder + "/pics") == [".lam-output"] + (0...4).map { String(format: "frame-%04d.png", $0) } + ["strip.png"])
  let frame = try PNG.read(folder + "/pics/frame-0000.png")
  #expect(frame.width == 128 && frame.height == 128)
  // The agent (gray 0.5) starts in the centre cell of its 3x4 region: row 1, col 2 -> 32 px blocks.
  #expect(frame.pixel(x: 2 * 32 + 16, y: 1 * 32 + 16) == Colour(gray: 128))
  let strip = try PNG.read(folder + "/pics/strip.png")
  #expect(strip.width == 5 * 128 + 6 * 8)
}

@Test func framesFromADatasetDrawTheChosenRangeAtTheChosenScale() throws {
  let folder = makeTemporaryFolder()
  let generated = try runLam(
    ["generate", "--env", "distractors-8x8", "--episodes", "3", "--steps", "6", "--seed", "1", "--out", "ds"],
    currentDirectory: folder)
  #expect(generated.status == 0, "\(generated.stderr)")
  let result = try runLam(
    ["frames", "--data", "ds", "--episode", "2", "--range", "2:4", "--scale", "2", "--out", "pics"],
    currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(try contents(folder + "/pics") == [".lam-output", "frame-0002.png", "frame-0003.png", "frame-0004.png", "strip.png"])
  #expect(try PNG.read(folder + "/pics/frame-0003.png").width == 64)
  #expect(try PNG.read(folder + "/pics/strip.png").width == 3 * 64 + 4 * 8)
}

/// Runs `lam frames` with `arguments` in a folder holding a small dataset `ds` (2 episodes of 3
/// steps) and an existing `pics` folder (made by lam when `lamMade`); expects a one-line error containing
/// `message`, a non-zero exit and `pics` untouched.
private func expectRefusal(_ arguments: [String], _ message: String, lamMade: Bool = true) throws {
  let folder = makeTemporaryFolder()
  let generated = try runLam(
    ["generate", "--env", "paper-4x4-agent", "--episodes", "2", "--steps", "3", "--out", "ds"], currentDirectory: folder)
  #expect(generated.status == 0, "\(generated.stderr)")
  try FileManager.default.createDirectory(atPath: folder + "/pics", withIntermediateDirectories: false)
  try Data("keep".utf8).write(to: URL(fileURLWithPath: folder + "/pics/note.txt"))
  if lamMade { try Data().write(to: URL(fileURLWithPath: folder + "/pics/.lam-output")) }
  let before = try contents(folder + "/pics")
  let result = try runLam(["frames"] + arguments, currentDirectory: folder)
  #expect(result.status != 0)
  let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty && !$0.hasPrefix("Usage") && !$0.contains("--help") }
  #expect(lines.count == 1, "\(result.stderr)")
  #expect(result.stderr.contains(message), "\(result.stderr)")
  #expect(try contents(folder + "/pics") == before)
  #expect(try String(contentsOfFile: folder + "/pics/note.txt", encoding: .utf8) == "keep")
}

@Test func framesForceRefusesAFolderLamDidNotMake() throws {
  try expectRefusal(["--data", "ds", "--out", "pics", "--force"], "pics: --force replaces only folders lam made", lamMade: false)
}

@Test func framesNeverWritesIntoItsInput() throws {
  try expectRefusal(["--data", "ds", "--out", "ds", "--force"], "ds: the output is the input --data ds")
  try expectRefusal(["--data", "ds", "--out", "ds/pics", "--force"], "ds/pics: the output lies inside the input --data ds")
  try expectRefusal(["--data", "ds", "--out", ".", "--force"], ".: the output contains the input --data ds")
}

@Test func framesRefusesAnExistingOutputFolderWithoutForce() throws {
  try expectRefusal(["--data", "ds", "--out", "pics"], "pics: already exists (pass --force to replace it)")
}

@Test func framesRefusesAMissingDataset() throws {
  try expectRefusal(["--data", "nowhere", "--out", "pics", "--force"], "nowhere")
}

@Test func framesRefusesAnEpisodeOutOfRange() throws {
  try expectRefusal(["--data", "ds", "--episode", "2", "--out", "pics", "--force"], "--episode: expected 0...1")
}

@Test func framesRefusesABadRange() throws {
  try expectRefusal(["--data", "ds", "--range", "3:1", "--out", "pics", "--force"], "--range: expected A:B")
  try expectRefusal(["--data", "ds", "--range", "0:9", "--out", "pics", "--force"], "--range: expected frames within 0:3")
}

@Test func framesRefusesABadScale() throws {
  try expectRefusal(["--data", "ds", "--scale", "0", "--out", "pics", "--force"], "--scale: expected a value in 1...256, got 0")
  try expectRefusal(["--data", "ds", "--scale", "-3", "--out", "pics", "--force"], "--scale: expected a value in 1...256, got -3")
}

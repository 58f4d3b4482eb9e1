import Core
import Foundation
import GridWorld
import Imaging
import LAM
import Reports
import Testing
import TestSupport

/// One episode of 3 steps on a 3-wide, 2-high RGB grid with two distractors, written by hand: the
/// agent (bytes 255, 128, 0) visits cells (0,0), (0,0), (0,1), (1,1) over a black background.
private func handMadeDataset() -> Dataset {
  let config = EnvironmentConfig(
    grid: GridConfig(width: 3, height: 2, cellSize: 1, channels: 3),
    distractors: [DistractorGroup(count: 2)])
  let cells = [(0, 0), (0, 0), (0, 1), (1, 1)]
  var frames = [UInt8](repeating: 0, count: 4 * 3 * 2 * 3)  // [T+1, C, H, W]
  for (t, (row, col)) in cells.enumerated() {
    for (c, value) in [UInt8(255), 128, 0].enumerated() { frames[((t * 3 + c) * 2 + row) * 3 + col] = value }
  }
  return Dataset(
    config: config, source: "hand-made", seed: 0, episodes: 1, steps: 3, frames: frames,
    actions: [Action.left.rawValue, Action.right.rawValue, Action.stay.rawValue], moved: [false, true, false],
    agentPositions: cells.flatMap { [$0.0, $0.1] },
    distractorActions: [1, Action.teleportCode, 0, 3, 4, 2],
    distractorPositions: [Int](repeating: 2, count: 4 * 2 * 2), shake: [Int](repeating: 0, count: 8),
    exogenousChange: [0, 0, 0])
}

@Test func frameImagesKeepTheAgentsColourInItsEnlargedCell() throws {
  let strip = FrameStrip(dataset: handMadeDataset(), episode: 0, frames: 0...3, scale: 5)
  let folder = makeTemporaryFolder() + "/frames"
  let names = try strip.write(to: folder, force: false)
  #expect(names == ["frame-0000.png", "frame-0001.png", "frame-0002.png", "frame-0003.png", "strip.png"])
  let frame = try PNG.read(folder + "/frame-0002.png")
  #expect(frame.width == 15 && frame.height == 10 && frame.channels == 3)
  // Step 2: the agent is in cell (0, 1), pixels x 5...9, y 0...4; everything else is background.
  for (x, y) in [(5, 0), (9, 4), (7, 2)] {
    #expect(frame.pixel(x: x, y: y) == Colour(255, 128, 0), "(\(x), \(y))")
  }
  for (x, y) in [(4, 0), (10, 4), (7, 5), (0, 0)] {
    #expect(frame.pixel(x: x, y: y) == Colour(0, 0, 0), "(\(x), \(y))")
  }
}

@Test func theStripPlacesFramesAGutterApartWithTheAgentWhereTheDataSaysItIs() throws {
  let strip = FrameStrip(dataset: handMadeDataset(), episode: 0, frames: 1...3, scale: 40)
  let folder = makeTemporaryFolder() + "/frames"
  try strip.write(to: folder, force: false)
  let image = try PNG.read(folder + "/strip.png")
  // 3 frames of 120 x 80 pixels with 4 gutters of 8.
  #expect(image.width == 3 * 120 + 4 * 8)
  #expect(image.pixel(x: 0, y: 0) == Colour(255, 255, 255))
  // Frame t (shown i-th) starts at x = 8 + i * 128, y = 8; the agent's cell is 40 x 40.
  for (i, (row, col)) in [(0, 0), (0, 1), (1, 1)].enumerated() {
    let x = 8 + i * 128 + col * 40 + 20, y = 8 + row * 40 + 20
    #expect(image.pixel(x: x, y: y) == Colour(255, 128, 0), "frame \(i + 1)")
    #expect(image.pixel(x: 8 + i * 128 + ((col + 1) % 3) * 40 + 20, y: y) == Colour(0, 0, 0), "frame \(i + 1)")
  }
  // The frames are only in the first 8 + 80 rows; below them is text on white, not frame pixels.
  #expect(image.pixel(x: 8 + 60, y: 8 + 80 + 1) == Colour(255, 255, 255))
}

@Test func captionsNameTheActionMarkBlockedMovesAndSpellDistractorMoves() {
  let strip = FrameStrip(dataset: handMadeDataset(), episode: 0, frames: 0...3, scale: 1)
  #expect((0..<3).map { strip.actionLabel(step: $0) } == ["left (blocked)", "right", "stay"])
  #expect((0..<3).map { strip.distractorLabel(step: $0) } == ["UT", ".L", "RD"])
}

@Test func theDefaultScaleMakesFramesAbout128PixelsAcross() {
  #expect(FrameStrip.defaultScale(height: 4, width: 4) == 32)
  #expect(FrameStrip.defaultScale(height: 32, width: 32) == 4)
  #expect(FrameStrip.defaultScale(height: 8, width: 16) == 8)
  #expect(FrameStrip.defaultScale(height: 300, width: 300) == 1)
}

@Test func writingReplacesOnlyAFolderLamMadeAndOnlyWithForce() throws {
  let strip = FrameStrip(dataset: handMadeDataset(), episode: 0, frames: 0...1, scale: 2)
  let folder = makeTemporaryFolder() + "/frames"
  try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
  try Data("keep".utf8).write(to: URL(fileURLWithPath: folder + "/note.txt"))
  #expect(throws: LamError("\(folder): already exists (pass --force to replace it)")) { try strip.write(to: folder, force: false) }
  #expect(throws: LamError.self) { try strip.write(to: folder, force: true) }  // no marker: not lam's
  #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["note.txt"])
  try FileManager.default.removeItem(atPath: folder)
  try strip.write(to: folder, force: false)
  try strip.write(to: folder, force: true)
  #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    == [".lam-output", "frame-0000.png", "frame-0001.png", "strip.png"])
  // Nothing is left beside it: no staging folder, no old copy.
  #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/..") == ["frames"])
}

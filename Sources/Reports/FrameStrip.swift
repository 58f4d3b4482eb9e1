import Core
import Foundation
import GridWorld
import Imaging
import LAM
import Probing
import Training

/// Pictures of one episode's frames: each frame enlarged, and a strip of them side by side with the
/// agent's action and the distractors' moves written under each transition.
///
/// Strip layout (all in pixels, `tile` = frame width x scale): frames sit in one row, `gutter` apart
/// with a gutter on both ends and a one-pixel gray outline in the gutter around each frame, so the strip is `frames * tile + (frames + 1) * gutter` wide. Under
/// each frame its step number ("t=3"); under the gap between frames t and t + 1 the action taken
/// there ("left", "left (blocked)" when the agent did not move) and, when there are distractors, one
/// letter per distractor: U D L R for a move, `.` for stay, T for a teleport.
public struct FrameStrip: Sendable {
  /// Space between frames and around the strip.
  public static let gutter = 8
  /// The side, in pixels, `defaultScale` aims an enlarged frame at.
  public static let targetSize = 128

  public let dataset: Dataset
  public let episode: Int
  /// The frames shown (steps of the episode, both ends included).
  public let frames: ClosedRange<Int>
  /// Each frame pixel becomes a scale x scale block.
  public let scale: Int

  /// The strip of frames `frames` of `episode` of `dataset`, each pixel enlarged `scale` times.
  public init(dataset: Dataset, episode: Int, frames: ClosedRange<Int>, scale: Int) {
    precondition(episode >= 0 && episode < dataset.episodes, "episode \(episode) out of range")
    precondition(frames.lowerBound >= 0 && frames.upperBound <= dataset.steps, "frames \(frames) out of range")
    precondition(scale >= 1, "scale must be at least 1")
    self.dataset = dataset
    self.episode = episode
    self.frames = frames
    self.scale = scale
  }

  /// The scale that makes the frame's larger side about `targetSize` pixels, and never under
  /// `FrameScale.minimumSide` (at least 1).
  public static func defaultScale(height: Int, width: Int) -> Int {
    max(1, targetSize / max(height, width), FrameScale.factor(height: height, width: width))
  }

  /// Frame `step` of the episode, enlarged (gray for 1 channel, RGB for 3).
  public func frameImage(step: Int) -> Image {
    let shape = dataset.frameShape  // [C, H, W]
    var values = [Float](repeating: 0, count: dataset.frameSize)  // [C, H, W]
    values.withUnsafeMutableBufferPointer { dataset.copyFrame(episode: episode, step: step, into: $0.baseAddress!) }
    let image = Image(planar: values, channels: shape[0], height: shape[1], width: shape[2])
    return scale > 1 ? image.upscaled(by: scale) : image
  }

  /// The caption of the transition from frame `step` to `step + 1`: the action's name, with
  /// " (blocked)" when it was a move and the agent's cell did not change.
  public func actionLabel(step: Int) -> String {
    let i = episode * dataset.steps + step
    let action = Action(rawValue: dataset.actions[i])!
    return action != .stay && !dataset.moved[i] ? action.name + " (blocked)" : action.name
  }

  /// One letter per distractor for the transition from frame `step`: U D L R, `.` for stay, T for a teleport.
  public func distractorLabel(step: Int) -> String {
    let k = dataset.distractorCount
    let start = (episode * dataset.steps + step) * k
    return String(dataset.distractorActions[start..<start + k].map { FrameStrip.letters[$0] })
  }

  /// The letter for each distractor action code (0...4, then `Action.teleportCode`).
  static let letters: [Character] = [".", "U", "D", "L", "R", "T"]

  /// The strip: frames side by side with their step numbers and the transitions' captions (RGB).
  public func render() -> Image {
    let tiles = frames.map { frameImage(step: $0).converted(toChannels: 3) }
    let tileWidth = tiles[0].width, tileHeight = tiles[0].height
    let gutter = FrameStrip.gutter
    // Letters per caption line: a transition's text may use the width of a frame and a gutter.
    let perLine = max(1, (tileWidth + gutter) / Font.advance)
    var captions: [[String]] = []  // [transitions][lines]
    for step in frames.dropLast() {
      var lines = [actionLabel(step: step)]
      let letters = Array(distractorLabel(step: step))
      for start in stride(from: 0, to: letters.count, by: perLine) {
        lines.append(String(letters[start..<min(start + perLine, letters.count)]))
      }
      captions.append(lines)
    }
    let lineCount = 1 + (captions.map(\.count).max() ?? 0)
    let width = tiles.count * tileWidth + (tiles.count + 1) * gutter
    let height = gutter + tileHeight + 4 + lineCount * Font.lineHeight + gutter
    var image = Image(width: width, height: height, channels: 3, colour: .white)
    let ink = Colour(gray: 34)
    let textTop = gutter + tileHeight + 4
    for (i, tile) in tiles.enumerated() {
      let x = gutter + i * (tileWidth + gutter)
      // A one-pixel gray outline in the gutter keeps white frame pixels apart from the white page.
      image.fill(Rect(x: x - 1, y: gutter - 1, width: tileWidth + 2, height: tileHeight + 2), Colour(gray: 160))
      image.paste(tile, x: x, y: gutter)
      let label = "t=\(frames.lowerBound + i)"
      image.drawText(label, at: (x + (tileWidth - Font.textWidth(label, scale: 1)) / 2, textTop), colour: ink)
    }
    for (i, lines) in captions.enumerated() {
      // Centred on the gap between frame i and frame i + 1.
      let centre = gutter + (i + 1) * (tileWidth + gutter) - gutter / 2
      for (j, line) in lines.enumerated() {
        let colour = j == 0 ? ink : Colour(hex: 0x1f77b4)
        image.drawText(line, at: (centre - Font.textWidth(line, scale: 1) / 2, textTop + (j + 1) * Font.lineHeight),
                       colour: colour)
      }
    }
    return image
  }

  /// Writes frame-0000.png ... (one per shown frame, numbered by step) and strip.png into a new folder
  /// `path`, built aside and renamed into place (`Files.writeFolder`). Returns the names of the files written.
  @discardableResult
  public func write(to path: String, force: Bool, inputs: [Files.Input] = []) throws -> [String] {
    try Files.writeFolder(path, force: force, inputs: inputs) { staging in
      var names: [String] = []
      for step in frames {
        let name = String(format: "frame-%04d.png", step)
        try PNG.write(frameImage(step: step), to: staging + "/" + name)
        names.append(name)
      }
      try PNG.write(render(), to: staging + "/strip.png")
      try dataset.frames.checkReads()  // before the staging folder replaces anything
      return names + ["strip.png"]
    }
  }
}

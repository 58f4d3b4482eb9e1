import ArgumentParser
import Core
import Foundation
import GridWorld
import LAM
import Reports

/// `lam frames`: PNG pictures of one episode's frames and a captioned strip of them.
struct FramesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "frames",
    abstract: "Draw an episode's frames as PNGs and a strip with the actions under each transition.",
    discussion: """
      Give either --data (a dataset folder from `lam generate`) with --episode, or --env (a JSON file or \
      preset name) with --seed and --steps for a fresh one-episode rollout.
      """)

  @Option(help: "A dataset folder written by `lam generate`.")
  var data: String?

  @Option(help: "The episode of the dataset to draw.")
  var episode: Int = 0

  @Option(help: "An environment JSON file or a preset name, rolled out for one episode (instead of --data).")
  var env: String?

  @Option(help: "Random seed of the rollout with --env.")
  var seed: UInt64 = 0

  @Option(help: "Steps of the rollout with --env. Default: the config's episodeLength.")
  var steps: Int?

  @Option(help: "Frames A:B to draw, both included (steps of the episode). Default: the whole episode.")
  var range: String?

  @Option(help: "Each frame pixel becomes a K x K block. Default: frames about 128 pixels across.")
  var scale: Int?

  @OptionGroup var output: OutputFolder

  func validate() throws {
    guard (data == nil) != (env == nil) else { throw ValidationError("give exactly one of --data and --env") }
    _ = try output.required("the folder to create: frame-0000.png ... and strip.png")
    try Limits.check(steps, "--steps", Limits.episodeSteps)
    try Limits.check(scale, "--scale", Limits.scale)
    try Limits.check(episode, "--episode", 0...Limits.episodes.upperBound - 1)
    if let range, parseRange(range) == nil { throw ValidationError("--range: expected A:B with whole numbers 0 <= A <= B <= 100000, got \(range)") }
  }

  func run() throws {
    let (out, force) = (try output.required("the folder to create"), output.force)
    let inputs = [Files.Input(data ?? env!, flag: data == nil ? "--env" : "--data")]
      .filter { FileManager.default.fileExists(atPath: $0.path) }
    try Files.checkOutputFolder(out, force: force, inputs: inputs)
    let dataset: Dataset
    if let data {
      dataset = try Dataset.load(from: data)
      guard (0..<dataset.episodes).contains(episode) else {
        throw LamError("--episode: expected 0...\(dataset.episodes - 1) for \(data), got \(episode)")
      }
    } else {
      guard episode == 0 else { throw LamError("--episode: a rollout with --env has only episode 0, got \(episode)") }
      let (config, source) = try Presets.resolve(env!, in: presetFolders())
      dataset = try Dataset.generate(
        config: config, episodes: 1, steps: steps ?? config.episodeLength, seed: seed, source: source, threads: 1)
    }
    var frames = 0...dataset.steps
    if let range {
      let (a, b) = parseRange(range)!
      guard b <= dataset.steps else {
        throw LamError("--range: expected frames within 0:\(dataset.steps), got \(range)")
      }
      frames = a...b
    }
    let shape = dataset.frameShape
    let scale = self.scale ?? FrameStrip.defaultScale(height: shape[1], width: shape[2])
    let strip = FrameStrip(dataset: dataset, episode: episode, frames: frames, scale: scale)
    let names = try strip.write(to: out, force: force, inputs: inputs)
    print("wrote \(out): \(names.count - 1) frames (\(shape[2] * scale)x\(shape[1] * scale) px each) and strip.png")
  }

  /// "A:B" with 0 <= A <= B, or nil.
  private func parseRange(_ text: String) -> (Int, Int)? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, a <= b, b <= Limits.episodeSteps.upperBound
    else { return nil }
    return (a, b)
  }
}

import ArgumentParser
import Core
import Dispatch
import Foundation
import GridWorld

/// `lam generate`: roll out a grid-world environment and write a dataset folder.
struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate a grid-world dataset (dataset.json + NumPy .npy arrays) from an environment config.",
    discussion: "--env takes a JSON file or a preset name (see `lam envs`). --threads: 2 by default; the output does not depend on it.")

  @Option(help: "An environment JSON file, or a preset name from environments/.")
  var env: String

  @Option(help: "Number of episodes (1...10000000).")
  var episodes: Int

  @Option(help: "Steps per episode, frames = steps + 1 (1...100000). Default: the config's episodeLength.")
  var steps: Int?

  @Option(help: "Random seed; the same config and seed give byte-identical files.")
  var seed: UInt64 = 0

  @OptionGroup var output: OutputFolder
  @OptionGroup var compute: ComputeThreads

  func validate() throws {
    try Limits.check(episodes, "--episodes", Limits.episodes)
    try Limits.check(steps, "--steps", Limits.episodeSteps)
    _ = try output.required("the dataset folder to create")
  }

  func run() throws {
    let (config, source) = try Presets.resolve(env, in: presetFolders())
    let (out, force) = (try output.required("the dataset folder to create"), output.force)
    let inputs = [Files.Input(env, flag: "--env")].filter { FileManager.default.fileExists(atPath: $0.path) }
    // Refuse the output folder before spending time on generation.
    try Files.checkOutputFolder(out, force: force, inputs: inputs)
    let steps = self.steps ?? config.episodeLength
    let shape = config.grid.frameShape.map(String.init).joined(separator: "x")
    print("generating \(episodes) episodes x \(steps) steps of \(source) (frames \(shape), seed \(seed))")
    let start = DispatchTime.now()
    let progress = ProgressLine(total: episodes)
    // Frames are written as they are rolled out, so the dataset may be larger than memory.
    try Dataset.generate(
      config: config, episodes: episodes, steps: steps, seed: seed, source: source, threads: compute.threads ?? 2,
      to: out, force: force, inputs: inputs, progress: progress.update)
    progress.finish()
    let frames = episodes * (steps + 1)
    let total = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    print("wrote \(out): \(frames) frames in \(String(format: "%.3f", total)) s (\(Int(Double(frames) / max(total, 1e-9))) frames/s)")
  }
}

/// A progress line on stderr, rewritten in place on a terminal (at most every 10%), silent otherwise.
final class ProgressLine: @unchecked Sendable {
  let total: Int
  private var shown = -1
  private let enabled = isatty(fileno(stderr)) != 0

  init(total: Int) { self.total = total }

  func update(_ done: Int) {
    guard enabled else { return }
    let tenth = done * 10 / total
    guard tenth != shown else { return }
    shown = tenth
    FileHandle.standardError.write(Data("\rgenerating: \(done)/\(total) episodes".utf8))
  }

  func finish() {
    if enabled && shown >= 0 { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}

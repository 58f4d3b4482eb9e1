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
    discussion: "--env takes a JSON file or a preset name (see `lam envs`).")

  @Option(help: "An environment JSON file, or a preset name from environments/.")
  var env: String

  @Option(help: "Number of episodes.")
  var episodes: Int

  @Option(help: "Steps per episode (frames = steps + 1). Default: the config's episodeLength.")
  var steps: Int?

  @Option(help: "Random seed; the same config and seed give byte-identical files.")
  var seed: UInt64 = 0

  @Option(help: "The dataset folder to create.")
  var out: String

  @Flag(help: "Replace the output folder if it exists.")
  var force = false

  @Option(help: "Worker threads (the output does not depend on it).")
  var threads = 2

  func validate() throws {
    guard episodes >= 1 else { throw ValidationError("--episodes: expected at least 1, got \(episodes)") }
    if let steps, steps < 1 { throw ValidationError("--steps: expected at least 1, got \(steps)") }
    guard (1...64).contains(threads) else { throw ValidationError("--threads: expected 1...64, got \(threads)") }
  }

  func run() throws {
    let (config, source) = try Presets.resolve(env, in: presetFolders())
    // Refuse an existing folder before spending time on generation.
    if FileManager.default.fileExists(atPath: out) && !force {
      throw LamError("\(out): already exists (pass --force to replace it)")
    }
    let steps = self.steps ?? config.episodeLength
    let shape = config.grid.frameShape.map(String.init).joined(separator: "x")
    print("generating \(episodes) episodes x \(steps) steps of \(source) (frames \(shape), seed \(seed))")
    let start = DispatchTime.now()
    let progress = ProgressLine(total: episodes)
    let dataset = try Dataset.generate(
      config: config, episodes: episodes, steps: steps, seed: seed, source: source, threads: threads,
      progress: progress.update)
    progress.finish()
    let generated = DispatchTime.now()
    try dataset.write(to: out, force: force)
    let end = DispatchTime.now()
    let frames = episodes * (steps + 1)
    let total = seconds(start, end)
    print(
      "wrote \(out): \(frames) frames in \(format(total)) s (\(Int(Double(frames) / max(total, 1e-9))) frames/s; "
        + "generate \(format(seconds(start, generated))) s, write \(format(seconds(generated, end))) s)")
  }

  private func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double {
    Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
  }

  private func format(_ s: Double) -> String { String(format: "%.3f", s) }
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

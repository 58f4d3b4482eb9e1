import Core
import Dispatch
import Foundation

extension Dataset {
  /// About how many bytes of frames are rolled out, or copied to a file, at a time.
  public static let framePieceBytes = 32 << 20

  /// Rolls out `episodes` episodes of `steps` steps of `config` with `seed`, each episode on its own
  /// random streams, split over `threads` threads (the result is identical for any thread count), and
  /// keeps the frames in memory. `progress` is called (from worker threads, one call at a time) with the
  /// number of episodes done.
  public static func generate(
    config: EnvironmentConfig, episodes: Int, steps: Int, seed: UInt64, source: String = "", threads: Int = 2,
    progress: ((Int) -> Void)? = nil
  ) throws -> Dataset {
    try checkGeneration(config: config, episodes: episodes, steps: steps, threads: threads, framesInMemory: true)
    var frames: [UInt8] = []
    frames.reserveCapacity(episodes * (steps + 1) * config.grid.frameShape.reduce(1, *))
    let records = try rollOut(config: config, episodes: episodes, steps: steps, seed: seed, threads: threads, progress: progress) {
      frames.append(contentsOf: $0)
    }
    return Dataset(config: config, source: source, seed: seed, episodes: episodes, steps: steps, frames: FrameStore(frames), records: records)
  }

  /// Generates as `generate` does and writes the dataset folder at `path` as `write(to:)` does, byte for
  /// byte, but streams the frames: frames.npy is written and hashed a few episodes at a time as they are
  /// rolled out, so a dataset larger than memory can be made. The folder appears only once complete.
  public static func generate(
    config: EnvironmentConfig, episodes: Int, steps: Int, seed: UInt64, source: String = "", threads: Int = 2,
    to path: String, force: Bool = false, inputs: [Files.Input] = [], progress: ((Int) -> Void)? = nil
  ) throws {
    try checkGeneration(config: config, episodes: episodes, steps: steps, threads: threads, framesInMemory: false)
    try Files.writeFolder(path, force: force, inputs: inputs) { staging in
      let file = "\(staging)/frames.npy"
      let shape = arrayLayout("frames", episodes: episodes, steps: steps, frameShape: config.grid.frameShape, distractors: 0).shape
      let count = shape.reduce(1, *)
      let records: Records
      let hash: String
      do {
        let writer = try NPYFileWriter(path: file, descr: UInt8.npyDescr, shape: shape, dataBytes: count)
        records = try rollOut(config: config, episodes: episodes, steps: steps, seed: seed, threads: threads, progress: progress) {
          try writer.append(UnsafeRawBufferPointer($0))
        }
        hash = try writer.finish()
      } catch {
        throw LamError("\(path)/frames.npy: cannot write (disk full or not writable?)")
      }
      let frames = try FrameFile(written: file, offset: NPY.header(descr: UInt8.npyDescr, shape: shape).count, count: count)
      let dataset = Dataset(
        config: config, source: source, seed: seed, episodes: episodes, steps: steps, frames: FrameStore(file: frames),
        records: records)
      try dataset.writeFiles(in: staging, for: path, written: ["frames": hash])
    }
  }

  /// Checks generate's arguments, and that what it holds in memory fits: the records, and the frames too if `framesInMemory`.
  static func checkGeneration(config: EnvironmentConfig, episodes: Int, steps: Int, threads: Int, framesInMemory: Bool) throws {
    try config.validate()
    try Check.range(episodes, "episodes", 1...10_000_000)
    try Check.range(steps, "steps", 1...100_000)
    try Check.range(threads, "threads", 1...256)
    let (frameShape, k) = (config.grid.frameShape, config.distractorCount)
    try Check.that(
      arrayBytes(["frames"], episodes: episodes, steps: steps, frameShape: frameShape, distractors: k) != nil,
      "episodes * (steps + 1) * frame size", "a byte count that fits in a 64-bit integer")
    let held = framesInMemory ? arrayNames : recordArrayNames
    try Check.memory(arrayBytes(held, episodes: episodes, steps: steps, frameShape: frameShape, distractors: k),
                     "episodes", what: "dataset (\(episodes) episodes of \(steps) steps)")
  }

  private init(
    config: EnvironmentConfig, source: String, seed: UInt64, episodes: Int, steps: Int, frames: FrameStore, records: Records
  ) {
    self.init(
      config: config, source: source, seed: seed, episodes: episodes, steps: steps, frames: frames,
      actions: records.actions.array(), moved: records.moved.array(), agentPositions: records.agentPositions.array(),
      distractorActions: records.distractorActions.array(), distractorPositions: records.distractorPositions.array(),
      shake: records.shake.array(), exogenousChange: records.exogenous.array())
  }

  /// Rolls out the episodes a chunk at a time (about `framePieceBytes` of frames, at least one episode per
  /// worker), each chunk split over `threads` threads, and hands each chunk's frames [episodes, T+1, C, H, W]
  /// to `onFrames` in episode order. Returns the records of every episode.
  static func rollOut(
    config: EnvironmentConfig, episodes: Int, steps t: Int, seed: UInt64, threads: Int, progress: ((Int) -> Void)?,
    onFrames: (UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws -> Records {
    let e = episodes, k = config.distractorCount, frameSize = config.grid.frameShape.reduce(1, *)
    let records = Records(
      actions: Buffer(e * t), moved: Buffer(e * t), agentPositions: Buffer(e * (t + 1) * 2),
      distractorActions: Buffer(e * t * k), distractorPositions: Buffer(e * (t + 1) * k * 2),
      shake: Buffer(e * (t + 1) * 2), exogenous: Buffer(e * t))
    let counter = ProgressCounter(progress)
    let workers = min(threads, episodes)
    let episodeBytes = (t + 1) * frameSize
    let perChunk = min(episodes, max(workers, framePieceBytes / episodeBytes))
    let chunk = Buffer<UInt8>(perChunk * episodeBytes)  // [perChunk, T+1, C, H, W]
    let scratch = (0..<workers).map { _ in Buffer<Float>(3 * frameSize) }  // [workers][3, C, H, W]
    for first in stride(from: 0, to: episodes, by: perChunk) {
      let count = min(perChunk, episodes - first)
      let split = min(workers, count)
      DispatchQueue.concurrentPerform(iterations: split) { w in
        for j in (count * w / split)..<(count * (w + 1) / split) {
          var world = World(validated: config, seed: seed, episode: first + j)
          rollOut(&world, episode: first + j, steps: t, frames: chunk.pointer + j * episodeBytes, records: records,
                  scratch: scratch[w].pointer)
          counter.add(1)
        }
      }
      try onFrames(UnsafeBufferPointer(start: chunk.pointer, count: count * episodeBytes))
    }
    return records
  }

  /// Runs episode `episode` of `world` for `steps` steps, writing its frames [T+1, C, H, W] to `frames`
  /// and its records at the episode's offsets. `scratch` holds three Float frames: [3, C, H, W].
  static func rollOut(
    _ world: inout World, episode: Int, steps t: Int, frames: UnsafeMutablePointer<UInt8>, records: Records,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let n = world.frameSize, k = world.distractors.count
    var previous = scratch, counterfactual = scratch + n, current = scratch + 2 * n
    func record(frameAt step: Int, _ frame: UnsafeMutablePointer<Float>) {
      let f = episode * (t + 1) + step
      quantize(frame, into: frames + step * n, count: n)
      records.agentPositions.pointer[f * 2] = world.agent.row
      records.agentPositions.pointer[f * 2 + 1] = world.agent.col
      for j in 0..<k {
        records.distractorPositions.pointer[(f * k + j) * 2] = world.distractors[j].row
        records.distractorPositions.pointer[(f * k + j) * 2 + 1] = world.distractors[j].col
      }
      records.shake.pointer[f * 2] = world.shake.dy
      records.shake.pointer[f * 2 + 1] = world.shake.dx
    }
    world.render(into: previous)
    record(frameAt: 0, previous)
    for step in 0..<t {
      let i = episode * t + step
      let action = world.policyAction()
      let before = world.agent
      records.moved.pointer[i] = world.step(action)
      records.actions.pointer[i] = action.rawValue
      for j in 0..<k { records.distractorActions.pointer[i * k + j] = world.distractorActions[j] }
      // The exogenous change: the next frame with the agent left where it was, against this frame.
      world.render(into: counterfactual, agentAt: before)
      records.exogenous.pointer[i] = meanAbsoluteDifference(counterfactual, previous, count: n)
      world.render(into: current)
      record(frameAt: step + 1, current)
      swap(&previous, &current)
    }
  }
}

/// The per-transition and per-frame records being filled, shared by the worker threads (each writes
/// only its own episodes' offsets).
struct Records: @unchecked Sendable {
  let actions: Buffer<Int>  // [E, T]
  let moved: Buffer<Bool>  // [E, T]
  let agentPositions: Buffer<Int>  // [E, T+1, 2]
  let distractorActions: Buffer<Int>  // [E, T, K]
  let distractorPositions: Buffer<Int>  // [E, T+1, K, 2]
  let shake: Buffer<Int>  // [E, T+1, 2]
  let exogenous: Buffer<Float>  // [E, T]
}

/// uint8 codes of Float values in [0, 1]: round(255 * x), ties to even (as NumPy's round).
@inline(__always) func quantize(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<UInt8>, count: Int) {
  // Adding 2^23 leaves round-to-nearest-even(255 x) in the low mantissa bits: no range-checked conversion,
  // so the loop vectorizes.
  for j in 0..<count { out[j] = UInt8(truncatingIfNeeded: (x[j] * 255 + 8_388_608).bitPattern) }
}

/// The mean of |a[j] - b[j]| over `count` values (eight partial sums, so the loop vectorizes).
@inline(__always) func meanAbsoluteDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
  var lanes = SIMD8<Float>()
  var j = 0
  while j + 8 <= count {
    let va = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
    let vb = UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
    let d = va - vb
    lanes += d.replacing(with: -d, where: d .< 0)
    j += 8
  }
  var sum = lanes.sum()
  while j < count {
    sum += abs(a[j] - b[j])
    j += 1
  }
  return sum / Float(count)
}

// A heap buffer that worker threads fill at disjoint offsets, then copied into an array.
final class Buffer<T>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<T>
  let count: Int
  init(_ count: Int) {
    self.count = count
    pointer = .allocate(capacity: max(count, 1))
  }
  func array() -> [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
  deinit { pointer.deallocate() }
}

// Counts finished episodes across threads and reports them one call at a time.
final class ProgressCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var done = 0
  private let report: ((Int) -> Void)?
  init(_ report: ((Int) -> Void)?) { self.report = report }
  func add(_ n: Int) {
    guard let report else { return }
    lock.lock()
    done += n
    report(done)
    lock.unlock()
  }
}

import Core
import Dispatch
import Foundation

extension Dataset {
  /// The largest frames array `generate` builds in memory (8 GiB).
  public static let maxFrameBytes = 8 << 30

  /// Rolls out `episodes` episodes of `steps` steps of `config` with `seed`, each episode on its own
  /// random streams, split over `threads` threads (the result is identical for any thread count).
  /// `progress` is called (from worker threads, one call at a time) with the number of episodes done.
  public static func generate(
    config: EnvironmentConfig, episodes: Int, steps: Int, seed: UInt64, source: String = "", threads: Int = 2,
    progress: ((Int) -> Void)? = nil
  ) throws -> Dataset {
    try config.validate()
    try Check.range(episodes, "episodes", 1...10_000_000)
    try Check.range(steps, "steps", 1...100_000)
    try Check.range(threads, "threads", 1...256)
    let frameSize = config.grid.frameShape.reduce(1, *)
    let (frameBytes, overflow) = episodes.multipliedReportingOverflow(by: (steps + 1) * frameSize)
    try Check.that(
      !overflow && frameBytes <= maxFrameBytes, "episodes * (steps + 1) * frame size",
      "at most \(maxFrameBytes) bytes of frames in memory, got \(overflow ? "more than Int.max" : String(frameBytes))")
    try Check.memory(arrayBytes(episodes: episodes, steps: steps, frameShape: config.grid.frameShape,
                                distractors: config.distractorCount),
                     "episodes", what: "dataset (\(episodes) episodes of \(steps) steps)")

    let e = episodes, t = steps, k = config.distractorCount
    let records = Records(
      actions: Buffer(e * t), moved: Buffer(e * t), agentPositions: Buffer(e * (t + 1) * 2),
      distractorActions: Buffer(e * t * k), distractorPositions: Buffer(e * (t + 1) * k * 2),
      shake: Buffer(e * (t + 1) * 2), exogenous: Buffer(e * t))
    let counter = ProgressCounter(progress)
    let workers = min(threads, episodes)
    // Frames go straight into the array's storage (the largest buffer: no copy afterwards).
    let frames = [UInt8](unsafeUninitializedCapacity: e * (t + 1) * frameSize) { buffer, initialized in
      let framesBase = buffer.baseAddress!  // [E, T+1, C, H, W]
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        let scratch = Buffer<Float>(3 * frameSize)  // [3, C, H, W]
        for episode in (episodes * w / workers)..<(episodes * (w + 1) / workers) {
          var world = World(validated: config, seed: seed, episode: episode)
          rollOut(&world, episode: episode, steps: t, frames: framesBase, records: records, scratch: scratch.pointer)
          counter.add(1)
        }
      }
      initialized = buffer.count
    }
    return Dataset(
      config: config, source: source, seed: seed, episodes: episodes, steps: steps, frames: frames,
      actions: records.actions.array(), moved: records.moved.array(), agentPositions: records.agentPositions.array(),
      distractorActions: records.distractorActions.array(), distractorPositions: records.distractorPositions.array(),
      shake: records.shake.array(), exogenousChange: records.exogenous.array())
  }

  /// Runs episode `episode` of `world` for `steps` steps, writing its frames and records at the episode's
  /// offsets. `scratch` holds three Float frames: [3, C, H, W].
  static func rollOut(
    _ world: inout World, episode: Int, steps t: Int, frames: UnsafeMutablePointer<UInt8>, records: Records,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let n = world.frameSize, k = world.distractors.count
    var previous = scratch, counterfactual = scratch + n, current = scratch + 2 * n
    func record(frameAt step: Int, _ frame: UnsafeMutablePointer<Float>) {
      let f = episode * (t + 1) + step
      quantize(frame, into: frames + f * n, count: n)
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

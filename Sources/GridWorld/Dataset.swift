import Core

/// A generated grid-world dataset: E episodes of T steps (T + 1 frames each).
///
/// Frames stay as uint8 (v = round(255 * x)), in memory or read from frames.npy on demand (`FrameStore`);
/// `gatherPairs` and `copyFrame` convert them to Float32 in [0, 1] when a batch is formed. The other
/// arrays are small and held in memory. Transition i (0 ..< E * T) is step
/// t = i % T of episode e = i / T: the pair (frame t, frame t + 1) and the action between them.
public struct Dataset: Sendable {
  /// The version written to dataset.json: 2 hashes files with SHA-256 (`DatasetHash`).
  public static let formatVersion = 2
  /// The versions readers accept: 1 (the 64-bit checksum) is still read and verified.
  public static let readableFormatVersions = 1...2

  public let config: EnvironmentConfig
  /// Where the config came from (a preset name or a file path), for reports.
  public let source: String
  public let seed: UInt64
  /// E
  public let episodes: Int
  /// T
  public let steps: Int
  /// [C, H, W]
  public let frameShape: [Int]
  /// K
  public let distractorCount: Int

  public let frames: FrameStore  // [E, T+1, C, H, W]
  public let actions: [Int]  // [E, T] codes of Action
  public let moved: [Bool]  // [E, T] the agent's cell changed
  public let agentPositions: [Int]  // [E, T+1, 2] (row, col)
  public let distractorActions: [Int]  // [E, T, K] codes 0...4 or Action.teleportCode
  public let distractorPositions: [Int]  // [E, T+1, K, 2] (row, col)
  public let shake: [Int]  // [E, T+1, 2] (dy, dx) in pixels
  public let exogenousChange: [Float]  // [E, T]

  /// A dataset from its arrays, the frames held in memory.
  public init(
    config: EnvironmentConfig, source: String, seed: UInt64, episodes: Int, steps: Int, frames: [UInt8], actions: [Int],
    moved: [Bool], agentPositions: [Int], distractorActions: [Int], distractorPositions: [Int], shake: [Int],
    exogenousChange: [Float]
  ) {
    self.init(
      config: config, source: source, seed: seed, episodes: episodes, steps: steps, frames: FrameStore(frames),
      actions: actions, moved: moved, agentPositions: agentPositions, distractorActions: distractorActions,
      distractorPositions: distractorPositions, shake: shake, exogenousChange: exogenousChange)
  }

  /// A dataset from its arrays (shapes as documented on each property; the counts must agree).
  public init(
    config: EnvironmentConfig, source: String, seed: UInt64, episodes: Int, steps: Int, frames: FrameStore, actions: [Int],
    moved: [Bool], agentPositions: [Int], distractorActions: [Int], distractorPositions: [Int], shake: [Int],
    exogenousChange: [Float]
  ) {
    let (e, t, k, n) = (episodes, steps, config.distractorCount, config.grid.frameShape.reduce(1, *))
    precondition(
      frames.count == e * (t + 1) * n && actions.count == e * t && moved.count == e * t
        && agentPositions.count == e * (t + 1) * 2 && distractorActions.count == e * t * k
        && distractorPositions.count == e * (t + 1) * k * 2 && shake.count == e * (t + 1) * 2
        && exogenousChange.count == e * t,
      "Dataset arrays do not match \(e) episodes x \(t) steps, frame size \(n), \(k) distractors")
    self.config = config
    self.source = source
    self.seed = seed
    self.episodes = episodes
    self.steps = steps
    frameShape = config.grid.frameShape
    distractorCount = config.distractorCount
    self.frames = frames
    self.actions = actions
    self.moved = moved
    self.agentPositions = agentPositions
    self.distractorActions = distractorActions
    self.distractorPositions = distractorPositions
    self.shake = shake
    self.exogenousChange = exogenousChange
  }

  /// Values in one frame: C * H * W.
  public var frameSize: Int { frameShape.reduce(1, *) }
  /// E * T.
  public var transitionCount: Int { episodes * steps }

  /// uint8 code -> Float32 value in [0, 1].
  static let byteToFloat: [Float] = (0..<256).map { Float($0) / 255 }

  /// Frame `step` (0...T) of `episode` as Float32 [C, H, W] in [0, 1], written to `out`.
  public func copyFrame(episode: Int, step: Int, into out: UnsafeMutablePointer<Float>) {
    precondition(episode >= 0 && episode < episodes && step >= 0 && step <= steps, "frame (\(episode), \(step)) out of range")
    let n = frameSize
    let start = (episode * (steps + 1) + step) * n
    frames.withBytes(start..<(start + n)) { Dataset.convert($0, into: out) }
  }

  /// Float32 values in [0, 1] of uint8 codes.
  static func convert(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<Float>) {
    byteToFloat.withUnsafeBufferPointer { table in
      for j in 0..<bytes.count { out[j] = table[Int(bytes[j])] }
    }
  }

  /// Frame `step` (0...T) of `episode` as Float32 [C, H, W] in [0, 1].
  public func frame(episode: Int, step: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: frameSize) { buffer, count in
      copyFrame(episode: episode, step: step, into: buffer.baseAddress!)
      count = frameSize
    }
  }

  /// For each transition index in `transitions` (or those of batch rows `rows` only), writes its first frame
  /// to `o` and its second to `next`, both Float32 [N, C, H, W] in [0, 1] with N = transitions.count.
  public func gatherPairs(
    _ transitions: [Int], rows: Range<Int>? = nil, o: UnsafeMutablePointer<Float>, next: UnsafeMutablePointer<Float>
  ) {
    let n = frameSize
    for row in rows ?? transitions.indices {
      let i = transitions[row]
      precondition(i >= 0 && i < transitionCount, "transition \(i) out of range 0..<\(transitionCount)")
      // Frames t and t + 1 lie side by side: one read for both.
      let start = (i / steps * (steps + 1) + i % steps) * n
      frames.withBytes(start..<(start + 2 * n)) { pair in
        Dataset.convert(UnsafeBufferPointer(rebasing: pair[..<n]), into: o + row * n)
        Dataset.convert(UnsafeBufferPointer(rebasing: pair[n...]), into: next + row * n)
      }
    }
  }

  /// The transition indices of the episodes in `range` (for splitting by episode).
  public func transitionIndices(episodes range: Range<Int>) -> [Int] {
    Array((range.lowerBound * steps)..<(range.upperBound * steps))
  }

  /// Everything recorded about transition `index` (episode index / T, step index % T).
  public func transition(_ index: Int) -> Transition {
    precondition(index >= 0 && index < transitionCount, "transition \(index) out of range 0..<\(transitionCount)")
    let (e, t) = (index / steps, index % steps)
    let k = distractorCount
    func agentCell(_ t: Int) -> Cell {
      let p = (e * (steps + 1) + t) * 2
      return Cell(row: agentPositions[p], col: agentPositions[p + 1])
    }
    func distractorCells(_ t: Int) -> [Cell] {
      (0..<k).map { j in
        let p = ((e * (steps + 1) + t) * k + j) * 2
        return Cell(row: distractorPositions[p], col: distractorPositions[p + 1])
      }
    }
    func offset(_ t: Int) -> PixelOffset {
      let p = (e * (steps + 1) + t) * 2
      return PixelOffset(dy: shake[p], dx: shake[p + 1])
    }
    return Transition(
      episode: e, step: t, action: Action(rawValue: actions[index])!, moved: moved[index],
      agentBefore: agentCell(t), agentAfter: agentCell(t + 1),
      distractorActions: Array(distractorActions[(index * k)..<((index + 1) * k)]),
      distractorsBefore: distractorCells(t), distractorsAfter: distractorCells(t + 1),
      shakeBefore: offset(t), shakeAfter: offset(t + 1), exogenousChange: exogenousChange[index])
  }
}

/// The record of one transition (frame t -> frame t + 1 of an episode).
public struct Transition: Hashable, Sendable {
  public let episode: Int
  public let step: Int
  public let action: Action
  /// Whether the agent's cell changed (false for stay and for blocked moves).
  public let moved: Bool
  public let agentBefore: Cell
  public let agentAfter: Cell
  public let distractorActions: [Int]  // [K]
  public let distractorsBefore: [Cell]  // [K]
  public let distractorsAfter: [Cell]  // [K]
  public let shakeBefore: PixelOffset
  public let shakeAfter: PixelOffset
  /// The mean absolute pixel change not caused by the agent (see docs/environments.md).
  public let exogenousChange: Float
}

import Core

/// One episode of a grid world: the agent, the distractors, and the current frame's noise and shake.
///
/// Randomness comes from independent streams derived from (seed, episode, purpose): the agent (start
/// cell and policy), each distractor group, each noise layer, and the camera shake. Changing one feature
/// of a config therefore leaves the others' random draws unchanged, and episodes can be generated in
/// any order or on any number of threads with identical results.
public struct World: Sendable {
  public let config: EnvironmentConfig
  public let channels: Int
  public let pixelHeight: Int
  public let pixelWidth: Int
  public let cellSize: Int
  public let agentRegion: Region
  /// The snaking path's action for each cell of the agent's region (row-major in the region).
  public let path: [Action]

  let background: [Float]  // [C]
  let agentColor: [Float]  // [C]
  let groupOf: [Int]  // [K] the group of each distractor
  let groupRegions: [Region]  // [G]
  let groupColors: [[Float]]  // [G][C]
  let groupBlocksAgent: [Bool]  // [G] !overlapAgent
  let noiseRegions: [Region]  // [L]

  /// The agent's cell.
  public private(set) var agent: Cell
  /// Each distractor's cell, groups in config order.
  public private(set) var distractors: [Cell]  // [K]
  /// The action codes the distractors took in the last step (0...4, or `Action.teleportCode`); stay before it.
  public private(set) var distractorActions: [Int]  // [K]
  /// The agent's previous action (nil before the first step); the sticky policy repeats it.
  public private(set) var lastAction: Action?
  /// The current frame's camera-shake translation.
  public private(set) var shake: PixelOffset
  /// Steps taken so far.
  public private(set) var time: Int

  var distractorMemory: [Action?]  // [K] sticky: previous action; constant: current direction
  var noiseValues: [Float]  // [C, H, W] the current frame's additive noise (empty without noise layers)
  var agentRNG: RNG
  var shakeRNG: RNG
  var groupRNGs: [RNG]  // [G]
  var noiseRNGs: [RNG]  // [L]

  /// Starts episode `episode` of the world `config` describes, with the random streams of `seed`.
  public init(config: EnvironmentConfig, seed: UInt64, episode: Int) throws {
    try config.validate()
    self.init(validated: config, seed: seed, episode: episode)
  }

  init(validated config: EnvironmentConfig, seed: UInt64, episode: Int) {
    self.config = config
    let grid = config.grid
    channels = grid.channels
    pixelHeight = grid.pixelHeight
    pixelWidth = grid.pixelWidth
    cellSize = grid.cellSize
    agentRegion = config.agentRegion
    path = SnakePath.actions(agentRegion)
    background = grid.background.expanded(channels: channels)
    agentColor = config.agent.color.expanded(channels: channels)
    groupOf = config.distractors.enumerated().flatMap { [Int](repeating: $0.offset, count: $0.element.count) }
    groupRegions = config.distractors.map { $0.region ?? grid.wholeRegion }
    groupColors = config.distractors.map { $0.color.expanded(channels: grid.channels) }
    groupBlocksAgent = config.distractors.map { !$0.overlapAgent }
    noiseRegions = config.noise.map { $0.region ?? grid.wholeRegion }

    agentRNG = World.stream(seed: seed, episode: episode, purpose: 1)
    shakeRNG = World.stream(seed: seed, episode: episode, purpose: 2)
    groupRNGs = config.distractors.indices.map { World.stream(seed: seed, episode: episode, purpose: 0x100 + UInt64($0)) }
    noiseRNGs = config.noise.indices.map { World.stream(seed: seed, episode: episode, purpose: 0x200 + UInt64($0)) }

    switch config.agent.start {
    case .centre: agent = agentRegion.centre
    case .random: agent = agentRegion.cell(at: agentRNG.int(below: agentRegion.cellCount))
    case .cell(let cell): agent = cell
    }
    let k = groupOf.count
    distractors = []
    distractors.reserveCapacity(k)
    for g in groupOf {
      let avoid = groupBlocksAgent[g] ? agent : nil
      distractors.append(randomCell(in: groupRegions[g], avoiding: avoid, rng: &groupRNGs[g]))
    }
    distractorActions = [Int](repeating: Action.stay.rawValue, count: k)
    distractorMemory = [Action?](repeating: nil, count: k)
    lastAction = nil
    shake = .zero
    time = 0
    noiseValues = config.noise.isEmpty ? [] : [Float](repeating: 0, count: channels * pixelHeight * pixelWidth)
    sampleFrameRandomness()
  }

  /// The generator for `purpose` in episode `episode`: well-mixed, and distinct for every triple.
  static func stream(seed: UInt64, episode: Int, purpose: UInt64) -> RNG {
    var s = ContentHash.fmix(seed &+ 0x9E37_79B9_7F4A_7C15)
    s = ContentHash.fmix(s ^ UInt64(episode))
    s = ContentHash.fmix(s ^ (purpose &* 0xD1B5_4A32_D192_ED03))
    return RNG(seed: s)
  }

  /// The action the configured policy picks now (uses the agent's random stream).
  public mutating func policyAction() -> Action {
    config.agent.policy.choose(at: agent, last: lastAction, path: path, region: agentRegion, rng: &agentRNG)
  }

  /// Applies `action`, moves the distractors, and draws the next frame's noise and shake. Returns whether
  /// the agent's cell changed: false for stay and for a move into a wall or an occupied cell.
  @discardableResult
  public mutating func step(_ action: Action) -> Bool {
    let target = agent.moved(action)
    let moved = target != agent && agentRegion.contains(target) && !occupiedByBlockingDistractor(target)
    if moved { agent = target }
    lastAction = action
    for i in distractors.indices {
      let g = groupOf[i]
      let (cell, code) = config.distractors[g].policy.step(
        from: distractors[i], last: &distractorMemory[i], region: groupRegions[g],
        blocked: groupBlocksAgent[g] ? agent : nil, rng: &groupRNGs[g])
      distractors[i] = cell
      distractorActions[i] = code
    }
    time += 1
    sampleFrameRandomness()
    return moved
  }

  func occupiedByBlockingDistractor(_ cell: Cell) -> Bool {
    for i in distractors.indices where distractors[i] == cell && groupBlocksAgent[groupOf[i]] { return true }
    return false
  }

  mutating func sampleFrameRandomness() {
    if !noiseValues.isEmpty {
      let (c, h, w, s) = (channels, pixelHeight, pixelWidth, cellSize)
      noiseValues.withUnsafeMutableBufferPointer { buffer in
        buffer.update(repeating: 0)
        for (n, layer) in config.noise.enumerated() {
          layer.add(
            into: buffer.baseAddress!, region: noiseRegions[n], channels: c, cellSize: s, pixelHeight: h,
            pixelWidth: w, rng: &noiseRNGs[n])
        }
      }
    }
    let spec = config.shake
    if spec.isActive && shakeRNG.bernoulli(spec.probability) {
      let span = 2 * spec.maxPixels + 1
      shake = PixelOffset(dy: shakeRNG.int(below: span) - spec.maxPixels, dx: shakeRNG.int(below: span) - spec.maxPixels)
    } else {
      shake = .zero
    }
  }

  // MARK: - Rendering

  /// Values in one frame: C * H * W.
  public var frameSize: Int { channels * pixelHeight * pixelWidth }

  /// The current frame as Float32 [C, H, W] in [0, 1].
  public func renderFrame() -> [Float] {
    [Float](unsafeUninitializedCapacity: frameSize) { buffer, count in
      render(into: buffer.baseAddress!)
      count = frameSize
    }
  }

  /// Writes the current frame, Float32 [C, H, W] in [0, 1], to `frame`.
  public func render(into frame: UnsafeMutablePointer<Float>) {
    render(into: frame, agentAt: agent)
  }

  /// Writes the current frame with the agent drawn at `cell` instead (nil: no agent) to `frame`
  /// ([C, H, W]). Order: background, distractors, the agent on top, plus noise, clipped to [0, 1],
  /// then the whole frame translated by the shake.
  public func render(into frame: UnsafeMutablePointer<Float>, agentAt cell: Cell?) {
    let plane = pixelHeight * pixelWidth
    for c in 0..<channels { (frame + c * plane).update(repeating: background[c], count: plane) }
    for i in distractors.indices { paint(distractors[i], groupColors[groupOf[i]], into: frame) }
    if let cell { paint(cell, agentColor, into: frame) }
    if !noiseValues.isEmpty {
      noiseValues.withUnsafeBufferPointer { noise in
        for i in 0..<(channels * plane) { frame[i] = min(max(frame[i] + noise[i], 0), 1) }
      }
    }
    if shake != .zero { translate(frame) }
  }

  private func paint(_ cell: Cell, _ color: [Float], into frame: UnsafeMutablePointer<Float>) {
    let plane = pixelHeight * pixelWidth
    for c in 0..<channels {
      for y in (cell.row * cellSize)..<((cell.row + 1) * cellSize) {
        (frame + c * plane + y * pixelWidth + cell.col * cellSize).update(repeating: color[c], count: cellSize)
      }
    }
  }

  // Moves the content down by shake.dy and right by shake.dx in place; uncovered pixels get the background.
  private func translate(_ frame: UnsafeMutablePointer<Float>) {
    let (h, w, dy, dx) = (pixelHeight, pixelWidth, shake.dy, shake.dx)
    let plane = h * w
    for c in 0..<channels {
      let base = frame + c * plane
      for i in 0..<h {
        // Visit destination rows so that each source row is read before it is overwritten.
        let y = dy > 0 ? h - 1 - i : i
        let dst = base + y * w
        let sy = y - dy
        guard sy >= 0 && sy < h && abs(dx) < w else {
          dst.update(repeating: background[c], count: w)
          continue
        }
        let src = base + sy * w
        // copyMemory is memmove: the rows overlap when dy == 0.
        let bytes = (w - abs(dx)) * MemoryLayout<Float>.stride
        if dx >= 0 {
          UnsafeMutableRawPointer(dst + dx).copyMemory(from: src, byteCount: bytes)
          dst.update(repeating: background[c], count: dx)
        } else {
          UnsafeMutableRawPointer(dst).copyMemory(from: src - dx, byteCount: bytes)
          (dst + w + dx).update(repeating: background[c], count: -dx)
        }
      }
    }
  }
}

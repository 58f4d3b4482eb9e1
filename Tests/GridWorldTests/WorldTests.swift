import Core
import Foundation
import GridWorld
import Testing

func generate(_ config: EnvironmentConfig, episodes: Int, steps: Int, seed: UInt64 = 1, threads: Int = 2) throws -> Dataset {
  try Dataset.generate(config: config, episodes: episodes, steps: steps, seed: seed, threads: threads)
}

/// The transitions of a dataset, in index order.
func transitions(_ data: Dataset) -> [Transition] { (0..<data.transitionCount).map(data.transition) }

@Test func theFiveActionsHaveTheirDocumentedCodesAndMoves() {
  #expect(Action.names == ["stay", "up", "down", "left", "right"])
  #expect(Action.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
  #expect(Cell(row: 2, col: 2).moved(.up) == Cell(row: 1, col: 2))
  #expect(Cell(row: 2, col: 2).moved(.right) == Cell(row: 2, col: 3))
}

@Test func theUniformPolicyPicksAllFiveActionsEquallyOften() throws {
  let data = try generate(try preset("paper-4x4-clean"), episodes: 100, steps: 200)
  var counts = [Double](repeating: 0, count: 5)
  for a in data.actions { counts[a] += 1 }
  let expected = Double(data.actions.count) / 5
  let chiSquare = counts.reduce(0) { $0 + ($1 - expected) * ($1 - expected) / expected }
  // The 99.9% quantile of chi-square with 4 degrees of freedom is 18.47.
  #expect(chiSquare < 18.47, "counts \(counts)")
}

@Test func wallMovesNeverMoveTheAgentAndAreFlagged() throws {
  let config = try preset("paper-4x4-clean")
  let data = try generate(config, episodes: 50, steps: 100)
  var wallMoves = 0, moves = 0
  for t in transitions(data) {
    let target = t.agentBefore.moved(t.action)
    if t.action == .stay {
      #expect(!t.moved && t.agentAfter == t.agentBefore)
    } else if !config.agentRegion.contains(target) {
      wallMoves += 1
      #expect(!t.moved && t.agentAfter == t.agentBefore)
    } else {
      moves += 1
      #expect(t.moved && t.agentAfter == target)
    }
  }
  // The agent never enters the noise row, and both kinds of move really happen.
  #expect(wallMoves > 500 && moves > 2000)
  for i in stride(from: 0, to: data.agentPositions.count, by: 2) { #expect(data.agentPositions[i] < 3) }
}

@Test func movesIntoANonOverlappingDistractorAreBlockedAndFlagged() throws {
  // A 1 x 3 grid: the agent starts on the left, a still distractor stands on one of the other two cells.
  var config = EnvironmentConfig(grid: GridConfig(width: 3, height: 1))
  config.agent = AgentConfig(start: .cell(Cell(row: 0, col: 0)))
  config.distractors = [
    DistractorGroup(region: Region(row: 0, col: 1, height: 1, width: 2), policy: .constant(direction: .stay, edge: .wrap))
  ]
  var blocked = 0, free = 0
  for episode in 0..<40 {
    var world = try World(config: config, seed: 5, episode: episode)
    let distractor = world.distractors[0]
    #expect(distractor != world.agent)
    let moved = world.step(.right)
    if distractor == Cell(row: 0, col: 1) {
      blocked += 1
      #expect(!moved && world.agent == Cell(row: 0, col: 0))
    } else {
      free += 1
      #expect(moved && world.agent == Cell(row: 0, col: 1))
      // And the distractor cannot be entered from the other side either.
      let again = world.step(.right)
      #expect(!again && world.agent == Cell(row: 0, col: 1))
    }
  }
  #expect(blocked > 5 && free > 5)
}

@Test func anOverlappingDistractorCanBeEnteredAndIsDrawnUnderTheAgent() throws {
  var config = EnvironmentConfig(grid: GridConfig(width: 2, height: 1))
  config.agent = AgentConfig(color: Color(gray: 0.6), start: .cell(Cell(row: 0, col: 0)))
  config.distractors = [
    DistractorGroup(
      region: Region(row: 0, col: 1, height: 1, width: 1), color: Color(gray: 0.2),
      policy: .constant(direction: .stay, edge: .wrap), overlapAgent: true)
  ]
  var world = try World(config: config, seed: 0, episode: 0)
  #expect(world.renderFrame() == [0.6, 0.2])
  let moved = world.step(.right)
  #expect(moved)
  #expect(world.renderFrame() == [0, 0.6])
}

/// Frame `f` of `data` painted independently from the records: background, distractors in order, the agent,
/// the shake; no noise. uint8 codes.
func expectedFrame(_ data: Dataset, episode e: Int, step t: Int) -> [UInt8] {
  let config = data.config
  let (c, h, w, s, k) = (config.grid.channels, config.grid.pixelHeight, config.grid.pixelWidth, config.grid.cellSize, data.distractorCount)
  let f = e * (data.steps + 1) + t
  let agent = Cell(row: data.agentPositions[f * 2], col: data.agentPositions[f * 2 + 1])
  let colors = config.distractors.flatMap { g in [[Float]](repeating: g.color.expanded(channels: c), count: g.count) }
  let (dy, dx) = (data.shake[f * 2], data.shake[f * 2 + 1])
  var out = [UInt8](repeating: 0, count: c * h * w)
  for ch in 0..<c {
    for y in 0..<h {
      for x in 0..<w {
        var value = config.grid.background.expanded(channels: c)[ch]
        let (sy, sx) = (y - dy, x - dx)
        if sy >= 0 && sy < h && sx >= 0 && sx < w {
          let cell = Cell(row: sy / s, col: sx / s)
          for j in 0..<k {
            let p = (f * k + j) * 2
            if Cell(row: data.distractorPositions[p], col: data.distractorPositions[p + 1]) == cell { value = colors[j][ch] }
          }
          if cell == agent { value = config.agent.color.expanded(channels: c)[ch] }
        }
        out[(ch * h + y) * w + x] = UInt8((Double(value) * 255).rounded(.toNearestOrEven))
      }
    }
  }
  return out
}

func storedFrame(_ data: Dataset, episode e: Int, step t: Int) -> [UInt8] {
  let n = data.frameSize
  let start = (e * (data.steps + 1) + t) * n
  return data.frames[start..<(start + n)]
}

@Test func recordedPositionsAndShakeMatchTheRenderedPixels() throws {
  for name in ["distractors-8x8", "camera-shake-8x8", "paper-4x4-agent"] {
    let data = try generate(try preset(name), episodes: 6, steps: 20)
    var mismatches = 0
    for e in 0..<data.episodes {
      for t in 0...data.steps where storedFrame(data, episode: e, step: t) != expectedFrame(data, episode: e, step: t) {
        mismatches += 1
      }
    }
    #expect(mismatches == 0, "\(name)")
  }
  let shaken = try generate(try preset("camera-shake-8x8"), episodes: 20, steps: 20)
  let offsets = stride(from: 0, to: shaken.shake.count, by: 2).map { PixelOffset(dy: shaken.shake[$0], dx: shaken.shake[$0 + 1]) }
  #expect(offsets.allSatisfy { abs($0.dy) <= 2 && abs($0.dx) <= 2 })
  // Probability 0.5 of a shake, and then 24 of 25 offsets are non-zero.
  let fraction = Double(offsets.filter { $0 != .zero }.count) / Double(offsets.count)
  #expect(abs(fraction - 0.48) < 0.06)
}

@Test func framesAreStoredAsRoundedBytes() throws {
  var config = EnvironmentConfig(grid: GridConfig(width: 2, height: 1, background: Color(gray: 0.2)))
  config.agent = AgentConfig(color: Color(gray: 0.5), start: .cell(Cell(row: 0, col: 0)))
  let data = try generate(config, episodes: 1, steps: 1)
  // 0.2 * 255 = 51; 0.5 * 255 = 127.5 rounds to the even 128.
  #expect(Array(data.frames[0..<2]) == [128, 51])
  #expect(data.frame(episode: 0, step: 0) == [128 / 255, 51 / 255])
}

@Test func noiseAppearsOnlyWhereConfigured() throws {
  let data = try generate(try preset("paper-4x4-noise-low"), episodes: 20, steps: 100)
  var lit = 0, bottom = 0
  for e in 0..<data.episodes {
    for t in 0...data.steps {
      let stored = storedFrame(data, episode: e, step: t)
      // The top three rows hold only the agent; the bottom row only 0 or round(0.5 * 255).
      #expect(Array(stored[0..<12]) == Array(expectedFrame(data, episode: e, step: t)[0..<12]))
      for v in stored[12..<16] {
        #expect(v == 0 || v == 128)
        bottom += 1
        if v == 128 { lit += 1 }
      }
    }
  }
  #expect(abs(Double(lit) / Double(bottom) - 0.5) < 0.02)

  // Per-pixel Gaussian colour noise in one block of an RGB grid: every other pixel keeps the background.
  var config = EnvironmentConfig(grid: GridConfig(width: 4, height: 4, cellSize: 2, channels: 3, background: Color([0.5, 0.5, 0.5])))
  config.agent = AgentConfig(region: Region(row: 0, col: 0, height: 1, width: 1), color: Color([0.5, 0.5, 0.5]))
  let region = Region(row: 2, col: 1, height: 2, width: 2)
  config.noise = [Noise(.gaussian(std: 0.1), unit: .pixel, region: region, perChannel: true)]
  let noisy = try generate(config, episodes: 3, steps: 10)
  var inside = Set<UInt8>()
  for f in 0..<(noisy.episodes * (noisy.steps + 1)) {
    for ch in 0..<3 {
      for y in 0..<8 {
        for x in 0..<8 {
          let v = noisy.frames[f * 192 + (ch * 8 + y) * 8 + x]
          if region.contains(Cell(row: y / 2, col: x / 2)) { inside.insert(v) } else { #expect(v == 128) }
        }
      }
    }
  }
  #expect(inside.count > 30)
}

@Test func exogenousChangeIsTheChangeNotCausedByTheAgent() throws {
  // Clean: nothing but the agent moves.
  let clean = try generate(try preset("paper-4x4-clean"), episodes: 5, steps: 50)
  #expect(clean.exogenousChange.allSatisfy { $0 == 0 })
  // Noise row: each bottom cell that changed contributes |0.5 - 0| / 16.
  let noisy = try generate(try preset("paper-4x4-noise-low"), episodes: 5, steps: 50)
  for i in 0..<noisy.transitionCount {
    let (e, t) = (i / noisy.steps, i % noisy.steps)
    let a = storedFrame(noisy, episode: e, step: t), b = storedFrame(noisy, episode: e, step: t + 1)
    let changed = (12..<16).filter { a[$0] != b[$0] }.count
    #expect(noisy.exogenousChange[i] == Float(changed) * 0.5 / 16)
  }
  // A random-walking distractor: a move changes two pixels by 0.5.
  let agent = try generate(try preset("paper-4x4-agent"), episodes: 5, steps: 50)
  for t in transitions(agent) {
    let moved = t.distractorsBefore != t.distractorsAfter
    #expect(agent.exogenousChange[t.episode * agent.steps + t.step] == (moved ? 0.0625 : 0))
  }
}

@Test func exogenousChangeCountsCameraShakeOfTheAgentToo() throws {
  var config = EnvironmentConfig(grid: GridConfig(width: 4, height: 4, cellSize: 2))
  config.agent = AgentConfig(color: Color(gray: 1), policy: .sticky(p: 1))
  config.shake = Shake(maxPixels: 1, probability: 1)
  let data = try generate(config, episodes: 4, steps: 30)
  var checked = 0
  for t in transitions(data) where t.shakeBefore != t.shakeAfter && !t.moved {
    checked += 1
    // The agent did not move, so everything that changed is exogenous.
    let a = storedFrame(data, episode: t.episode, step: t.step), b = storedFrame(data, episode: t.episode, step: t.step + 1)
    let mean = zip(a, b).reduce(Float(0)) { $0 + abs(Float($1.0) - Float($1.1)) / 255 } / Float(a.count)
    #expect(abs(t.exogenousChange - mean) < 1e-6)
    #expect(t.exogenousChange > 0)
  }
  #expect(checked > 20)
}

@Test func correlatedPolicyFollowsThePathWithProbabilityChiPlusItsUniformShare() throws {
  var config = try preset("paper-4x4-clean")
  let path = SnakePath.actions(config.agentRegion)
  for (chi, expected) in [(0.0, 0.2), (0.6, 0.68), (1.0, 1.0)] {
    config.agent.policy = .correlated(chi: chi)
    let data = try generate(config, episodes: 100, steps: 200)
    let onPath = transitions(data).filter { $0.action == path[config.agentRegion.index(of: $0.agentBefore)] }.count
    let fraction = Double(onPath) / Double(data.transitionCount)
    // 20,000 draws: the standard error is at most 0.0036.
    #expect(abs(fraction - expected) < 0.015, "chi \(chi): \(fraction)")
  }
}

@Test func stickyPolicyRepeatsWithProbabilityPPlusItsUniformShare() throws {
  var config = try preset("paper-4x4-clean")
  config.agent.policy = .sticky(p: 0.8)
  let data = try generate(config, episodes: 100, steps: 200)
  var repeats = 0, pairs = 0
  for e in 0..<data.episodes {
    for t in 1..<data.steps {
      pairs += 1
      if data.actions[e * data.steps + t] == data.actions[e * data.steps + t - 1] { repeats += 1 }
    }
  }
  #expect(abs(Double(repeats) / Double(pairs) - 0.84) < 0.015)
}

@Test func snakePathIsACycleThroughEveryCellWhenASideIsEven() {
  for (h, w) in [(3, 4), (4, 3), (2, 2), (2, 5), (4, 4), (6, 2)] {
    let region = Region(row: 1, col: 2, height: h, width: w)
    let path = SnakePath.actions(region)
    var cell = region.cell(at: 0)
    var seen = Set<Cell>()
    for _ in 0..<(h * w) {
      seen.insert(cell)
      cell = cell.moved(path[region.index(of: cell)])
      #expect(region.contains(cell))
    }
    #expect(seen.count == h * w, "\(h)x\(w)")
    #expect(cell == region.cell(at: 0), "\(h)x\(w) returns to its start")
  }
  // The paper's 3 x 4 region, row by row.
  #expect(
    SnakePath.actions(Region(height: 3, width: 4)) == [
      .right, .right, .right, .down,
      .up, .down, .left, .down,
      .up, .left, .up, .left,
    ])
  // Both sides odd: row by row, and the last cell steps back.
  #expect(SnakePath.actions(Region(height: 3, width: 3)) == [.right, .right, .down, .down, .left, .left, .right, .right, .left])
  #expect(SnakePath.actions(Region(height: 1, width: 3)) == [.right, .right, .left])
}

@Test func distractorPoliciesMoveAsDocumented() throws {
  func run(_ policy: DistractorPolicy, steps: Int = 12) throws -> (cols: [Int], codes: [Int]) {
    var config = EnvironmentConfig(grid: GridConfig(width: 4, height: 2))
    config.agent = AgentConfig(region: Region(row: 0, col: 0, height: 1, width: 4), start: .cell(Cell(row: 0, col: 0)))
    config.distractors = [DistractorGroup(region: Region(row: 1, col: 0, height: 1, width: 4), policy: policy)]
    var world = try World(config: config, seed: 3, episode: 0)
    var cols = [world.distractors[0].col], codes: [Int] = []
    for _ in 0..<steps {
      world.step(.stay)
      cols.append(world.distractors[0].col)
      codes.append(world.distractorActions[0])
    }
    return (cols, codes)
  }
  let wrap = try run(.constant(direction: .right, edge: .wrap))
  for i in 1..<wrap.cols.count { #expect(wrap.cols[i] == (wrap.cols[i - 1] + 1) % 4) }
  #expect(wrap.codes.allSatisfy { $0 == Action.right.rawValue })

  let bounce = try run(.constant(direction: .right, edge: .bounce))
  for i in 1..<bounce.cols.count { #expect(abs(bounce.cols[i] - bounce.cols[i - 1]) == 1) }
  #expect(bounce.cols.contains(0) && bounce.cols.contains(3))
  #expect(Set(bounce.codes) == [Action.left.rawValue, Action.right.rawValue])

  let teleport = try run(.teleport(p: 1), steps: 60)
  #expect(teleport.codes.allSatisfy { $0 == Action.teleportCode })
  #expect(Set(teleport.cols) == [0, 1, 2, 3])

  let still = try run(.teleport(p: 0))
  #expect(Set(still.cols).count == 1 && still.codes.allSatisfy { $0 == 0 })

  let walk = try run(.randomWalk, steps: 500)
  #expect(Set(walk.codes) == [0, 1, 2, 3, 4])
  for i in 1..<walk.cols.count {
    let code = walk.codes[i - 1]
    let expected = code == 3 ? max(walk.cols[i - 1] - 1, 0) : code == 4 ? min(walk.cols[i - 1] + 1, 3) : walk.cols[i - 1]
    #expect(walk.cols[i] == expected)
  }
}

@Test func addingNoiseOrDistractorsLeavesTheAgentsRandomDrawsUnchanged() throws {
  let clean = try generate(try preset("paper-4x4-clean"), episodes: 10, steps: 50)
  let noisy = try generate(try preset("paper-4x4-noise-high"), episodes: 10, steps: 50)
  let agent = try generate(try preset("paper-4x4-agent"), episodes: 10, steps: 50)
  #expect(noisy.actions == clean.actions && noisy.agentPositions == clean.agentPositions)
  // The bottom-row distractor never blocks the agent, so the agent's trajectory is the same too.
  #expect(agent.actions == clean.actions && agent.agentPositions == clean.agentPositions)
}

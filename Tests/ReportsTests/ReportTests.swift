import GridWorld
import LAM
import Reports
import Testing

@Test func pcaOfPointsOnALineFindsThatLine() throws {
  // Points (1, 0, -1) + t (1, 2, 2) / 3 for t = -2, -1, 0, 1, 2: all variance along (1, 2, 2) / 3.
  let direction: [Float] = [1.0 / 3, 2.0 / 3, 2.0 / 3]
  let ts: [Float] = [-2, -1, 0, 1, 2]
  let points = ts.flatMap { t in [1 + t * direction[0], t * direction[1], -1 + t * direction[2]] }
  let pca = try PCA(points: points, count: 5, dim: 3)
  let axis = (0..<3).map { pca.axes[$0 * 3] }
  let dot = zip(axis, direction).map { $0 * Double($1) }.reduce(0, +)
  #expect(abs(abs(dot) - 1) < 1e-6)
  #expect(abs(pca.variances[0] - 2.5) < 1e-5)  // sample variance of -2...2
  #expect(pca.variances[1] < 1e-9 && pca.variances[2] < 1e-9)
  #expect(abs(pca.mean[0] - 1) < 1e-6 && abs(pca.mean[2] + 1) < 1e-6)
  let projected = pca.project(points[6..<9], components: 1)  // t = 0: the mean
  #expect(abs(projected[0]) < 1e-6)
  let along = pca.point(alongAxis: 0, steps: 1)  // mean + sqrt(2.5) along the line
  let expectedShift = Float(2.5.squareRoot()) * Float(dot > 0 ? 1 : -1)
  #expect(abs(along[1] - expectedShift * direction[1]) < 1e-5)
}

@Test func expectedCellStopsAtWallsAndBlockingDistractors() {
  let region = Region(row: 0, col: 0, height: 3, width: 4)
  let corner = Cell(row: 0, col: 0)
  #expect(AgentMove.expectedCell(from: corner, action: .up, region: region) == corner)
  #expect(AgentMove.expectedCell(from: corner, action: .left, region: region) == corner)
  #expect(AgentMove.expectedCell(from: corner, action: .right, region: region) == Cell(row: 0, col: 1))
  #expect(AgentMove.expectedCell(from: Cell(row: 2, col: 1), action: .down, region: region) == Cell(row: 2, col: 1))
  #expect(AgentMove.expectedCell(from: corner, action: .down, region: region, blocked: [Cell(row: 1, col: 0)]) == corner)
  #expect(AgentMove.action(from: corner, to: Cell(row: 1, col: 0)) == .down)
  #expect(AgentMove.action(from: corner, to: corner) == .stay)
  #expect(AgentMove.action(from: corner, to: Cell(row: 2, col: 2)) == nil)
}

/// A 4 x 4 gray frame (cell size 1) with 0.5 at the given cells.
private func frame(_ cells: [Cell], value: Float = 0.5) -> [Float] {
  var f = [Float](repeating: 0, count: 16)
  for c in cells { f[c.row * 4 + c.col] = value }
  return f
}

@Test func locateFindsTheAgentInABlurredPrediction() {
  let region = Region(row: 0, col: 0, height: 3, width: 4)
  let distractor = Cell(row: 3, col: 2)
  let base = frame([Cell(row: 1, col: 1), distractor])
  func find(_ predicted: [Float]) -> Cell {
    AgentMove.locate(in: predicted[...], base: base[...], agentAt: Cell(row: 1, col: 1), region: region, colour: [0.5],
                     background: [0], height: 4, width: 4, cellSize: 1)
  }
  // Moved up, drawn faintly, with a ghost of the old cell and the distractor moved.
  var up = frame([Cell(row: 0, col: 1), Cell(row: 3, col: 3)], value: 0.35)
  up[1 * 4 + 1] = 0.15
  #expect(find(up) == Cell(row: 0, col: 1))
  // Unchanged: stay.
  #expect(find(base) == Cell(row: 1, col: 1))
  // Moved right with a faint copy left behind (more of the agent at the new cell than the old).
  var right = frame([Cell(row: 1, col: 2), distractor])
  right[1 * 4 + 1] = 0.2
  #expect(find(right) == Cell(row: 1, col: 2))
}

@Test func swapTestAccuracyCountsPairsThatMoveAsTheSource() {
  func pair(_ action: Action, expected: Cell, found: Cell, targetNext: Cell, sourceNext: Cell,
            targetBefore: Cell = Cell(row: 0, col: 0)) -> SwapPair {
    SwapPair(source: 0, target: 1, sourceAction: action, expected: expected, found: found, targetNext: targetNext,
             targetBefore: targetBefore, sourceNext: sourceNext, predicted: [])
  }
  let a = Cell(row: 0, col: 0), b = Cell(row: 0, col: 1), c = Cell(row: 1, col: 0)
  let result = SwapTestResult(pairs: [
    pair(.right, expected: b, found: b, targetNext: a, sourceNext: c),
    pair(.right, expected: b, found: a, targetNext: a, sourceNext: c),
    pair(.down, expected: c, found: c, targetNext: c, sourceNext: c),
    pair(.stay, expected: a, found: b, targetNext: a, sourceNext: b),
  ])
  // No source move is blocked on its target's frame: every pair is unblocked.
  #expect(result.blockedCount == 0 && result.accuracyBlocked == nil && result.accuracyUnblocked == 0.5)
  #expect(result.accuracy == 0.5)
  #expect(result.followsTarget == 0.5)
  #expect(result.followsSourceCell == 0.5)
  #expect(result.accuracyByAction[Action.right.rawValue] == 0.5)
  #expect(result.accuracyByAction[Action.down.rawValue] == 1)
  #expect(result.accuracyByAction[Action.stay.rawValue] == 0)
  #expect(result.accuracyByAction[Action.up.rawValue] == nil)

  // `up` from the top row is blocked: the expected cell is where the target's agent already is. Staying there
  // counts as right; a stay is never blocked.
  let blocked = SwapTestResult(pairs: [
    pair(.up, expected: a, found: a, targetNext: a, sourceNext: a, targetBefore: a),
    pair(.up, expected: b, found: c, targetNext: b, sourceNext: a, targetBefore: b),
    pair(.up, expected: c, found: b, targetNext: c, sourceNext: c, targetBefore: Cell(row: 2, col: 0)),
    pair(.stay, expected: a, found: a, targetNext: a, sourceNext: a, targetBefore: a),
  ])
  #expect(blocked.blockedCount == 2)
  #expect(blocked.accuracyBlocked == 0.5)
  #expect(blocked.accuracyUnblocked == 0.5)
  #expect(blocked.accuracy == 0.5)
}

@Test("frames are enlarged by an integer factor to at least 96 pixels, 4 x 4 and 32 x 32 worlds alike")
func framesAreEnlargedToAReadableSize() {
  #expect(FrameScale.factor(height: 4, width: 4) == 24)
  #expect(FrameScale.factor(height: 32, width: 32) == 3)
  #expect(FrameScale.factor(height: 12, width: 40) == 3)  // 120 pixels wide
  #expect(FrameScale.factor(height: 200, width: 100) == 1)
  for side in 1...200 { #expect(side * FrameScale.factor(height: side, width: side) >= 96) }
  // lam frames aims higher (128) but never below the same floor.
  #expect(FrameStrip.defaultScale(height: 70, width: 70) == 2)
}

@Test("a principal axis's share of variance is never printed as a misleading 0% or 100%")
func principalAxisLabelsKeepTinySharesVisible() {
  #expect(Report.principalAxisLabel(1, variances: [10, 0.03]) == "PC 2 (0.3% of variance)")
  #expect(Report.principalAxisLabel(1, variances: [100, 0.01]) == "PC 2 (<0.1% of variance)")
  #expect(Report.principalAxisLabel(0, variances: [100, 0.01]) == "PC 1 (>99.9% of variance)")
  #expect(Report.principalAxisLabel(0, variances: [3, 1]) == "PC 1 (75% of variance)")
  #expect(Report.principalAxisLabel(1, variances: [1, 0]) == "PC 2 (0% of variance)")
  #expect(Report.principalAxisLabel(2, variances: [1, 1]) == "PC 3 (- of variance)")
}

import GridWorld
import LAM
import Probing
import Training

/// Where the agent ends up: by the world's rules, and as seen in a predicted frame.
public enum AgentMove {
  /// The cell `action` takes the agent to from `cell`: a move out of `region` or onto a `blocked`
  /// cell leaves it where it is, as in `World.step`.
  public static func expectedCell(from cell: Cell, action: Action, region: Region, blocked: Set<Cell> = []) -> Cell {
    let target = cell.moved(action)
    return region.contains(target) && !blocked.contains(target) ? target : cell
  }

  /// The action that moves the agent from `cell` to `next` (stay for the same cell; nil for any other jump).
  public static func action(from cell: Cell, to next: Cell) -> Action? {
    Action.allCases.first { cell.moved($0) == next }
  }

  /// The agent's cell in `predicted` ([C, H, W]): of the frames made from `base` (the frame before,
  /// with the agent at `agentAt`) by moving the agent to each cell of `region`, the one closest to
  /// `predicted` in squared error over the region. Distractors and noise of `base` cancel out, since
  /// every candidate shares them.
  public static func locate(
    in predicted: ArraySlice<Float>, base: ArraySlice<Float>, agentAt: Cell, region: Region, colour: [Float],
    background: [Float], height: Int, width: Int, cellSize: Int
  ) -> Cell {
    let channels = colour.count
    let (p0, b0) = (predicted.startIndex, base.startIndex)
    // Squared error of a cell's pixels against a constant colour, or against the base frame.
    func error(_ cell: Cell, against fill: [Float]?) -> Double {
      var s = 0.0
      for c in 0..<channels {
        for y in (cell.row * cellSize)..<((cell.row + 1) * cellSize) {
          for x in (cell.col * cellSize)..<((cell.col + 1) * cellSize) {
            let i = (c * height + y) * width + x
            let d = Double(predicted[p0 + i]) - Double(fill?[c] ?? base[b0 + i])
            s += d * d
          }
        }
      }
      return s
    }
    // A candidate differs from the base frame only at the agent's old cell (now background) and
    // its new cell (now agent colour); the rest of the error is common to all candidates.
    let stayCost = error(agentAt, against: nil)
    var best = agentAt, bestCost = 0.0
    for index in 0..<region.cellCount {
      let cell = region.cell(at: index)
      if cell == agentAt { continue }
      let cost = error(agentAt, against: background) + error(cell, against: colour)
        - stayCost - error(cell, against: nil)
      if cost < bestCost {
        bestCost = cost
        best = cell
      }
    }
    return best
  }
}

/// The fixed snaking path through a region that the correlated policy follows: for each cell, the action
/// that takes the agent to the path's next cell.
///
/// When the region's width is even (the paper's 3 x 4 region) the path is a cycle through every cell:
/// right along the top row, then down and up the columns from the right-most to the left-most (rows 1
/// and below), and up the left column back to the start. When only the height is even, the same cycle
/// transposed. Otherwise no cycle through every cell exists (a side of 1, or both sides odd), and the
/// path runs row by row, left to right then right to left, and its last cell steps back to the one before.
public enum SnakePath {
  /// The path's action for every cell of `region`, in row-major order within the region.
  public static func actions(_ region: Region) -> [Action] {
    let h = region.height, w = region.width
    var result = [Action](repeating: .stay, count: h * w)
    for r in 0..<h {
      for c in 0..<w {
        let action: Action
        if h >= 2 && w >= 2 && w % 2 == 0 {
          action = cycleStep(r, c, h, w)
        } else if h >= 2 && w >= 2 && h % 2 == 0 {
          action = transposed(cycleStep(c, r, w, h))
        } else {
          action = rowSnakeStep(r, c, h, w)
        }
        result[r * w + c] = action
      }
    }
    return result
  }

  // The cycle for an even width w and h >= 2, in local coordinates.
  private static func cycleStep(_ r: Int, _ c: Int, _ h: Int, _ w: Int) -> Action {
    if r == 0 { return c < w - 1 ? .right : .down }
    let k = w - 1 - c  // columns are visited from the right: even k goes down, odd k goes up
    if k % 2 == 0 { return r < h - 1 ? .down : .left }
    if r > 1 { return .up }
    return c > 0 ? .left : .up
  }

  private static func transposed(_ a: Action) -> Action {
    switch a {
    case .stay: return .stay
    case .up: return .left
    case .left: return .up
    case .down: return .right
    case .right: return .down
    }
  }

  // Boustrophedon through the rows; the last cell returns to its predecessor.
  private static func rowSnakeStep(_ r: Int, _ c: Int, _ h: Int, _ w: Int) -> Action {
    if h * w == 1 { return .stay }
    let forward: Action = r % 2 == 0 ? .right : .left
    let atRowEnd = r % 2 == 0 ? c == w - 1 : c == 0
    if !atRowEnd { return forward }
    if r < h - 1 { return .down }
    // The last cell: go back the way the path came in.
    return w == 1 ? .up : forward.reversed
  }
}

/// The five actions, in their fixed order: the integer codes stored in datasets.
public enum Action: Int, CaseIterable, Codable, Sendable {
  case stay = 0
  case up = 1
  case down = 2
  case left = 3
  case right = 4

  /// Lower-case names in code order, as written in configs and dataset.json.
  public static let names = allCases.map(\.name)

  /// The action's name: `stay`, `up`, `down`, `left` or `right`.
  public var name: String {
    switch self {
    case .stay: return "stay"
    case .up: return "up"
    case .down: return "down"
    case .left: return "left"
    case .right: return "right"
    }
  }

  /// The action called `name`, if any.
  public init?(name: String) {
    guard let found = Action.allCases.first(where: { $0.name == name }) else { return nil }
    self = found
  }

  /// The change in (row, col): up is row - 1, right is col + 1.
  public var delta: (row: Int, col: Int) {
    switch self {
    case .stay: return (0, 0)
    case .up: return (-1, 0)
    case .down: return (1, 0)
    case .left: return (0, -1)
    case .right: return (0, 1)
    }
  }

  /// The move in the opposite direction (stay stays).
  public var reversed: Action {
    switch self {
    case .stay: return .stay
    case .up: return .down
    case .down: return .up
    case .left: return .right
    case .right: return .left
    }
  }

  /// The code recorded in `distractor_actions` when a teleporting distractor jumps (0...4 are the actions).
  public static let teleportCode = 5
}

/// A grid cell: row 0 is the top, col 0 the left.
public struct Cell: Hashable, Codable, Sendable, CustomStringConvertible {
  public var row: Int
  public var col: Int
  public init(row: Int, col: Int) {
    self.row = row
    self.col = col
  }

  /// The neighbouring cell in `action`'s direction (possibly off the grid).
  public func moved(_ action: Action) -> Cell {
    let d = action.delta
    return Cell(row: row + d.row, col: col + d.col)
  }

  public var description: String { "(\(row), \(col))" }
}

/// A camera-shake translation in pixels: content moves down by `dy` and right by `dx`.
public struct PixelOffset: Hashable, Codable, Sendable {
  public var dy: Int
  public var dx: Int
  public init(dy: Int, dx: Int) {
    self.dy = dy
    self.dx = dx
  }
  public static let zero = PixelOffset(dy: 0, dx: 0)
}

import Core

/// How a distractor moves each step. Distractors are uncontrolled squares; their actions are recorded.
public enum DistractorPolicy: Hashable, Sendable {
  /// Each of the five actions with probability 1/5 (moves off the region leave it in place).
  case randomWalk
  /// Repeat the previous action with probability `p`, else uniform (the first step is uniform).
  case sticky(p: Double)
  /// Always move in `direction`; at the region's edge either `wrap` to the opposite side or `bounce`
  /// (reverse the direction and step back).
  case constant(direction: Action, edge: Edge)
  /// With probability `p` jump to a uniformly random cell of the region (recorded as
  /// `Action.teleportCode`), else stay (recorded as stay).
  case teleport(p: Double)

  /// What a constant-direction distractor does at the region's edge.
  public enum Edge: String, Codable, Sendable, CaseIterable {
    case wrap, bounce
  }

  func validate(_ field: String) throws {
    switch self {
    case .randomWalk, .constant: break
    case .sticky(let p): try Check.range(p, "\(field).p", 0...1)
    case .teleport(let p): try Check.range(p, "\(field).p", 0...1)
    }
  }

  /// One distractor's move from `cell` in `region`. `blocked` is a cell it may not enter (the agent's,
  /// when the group may not overlap it). `last` carries the previous action (sticky) and the current
  /// direction (constant). Returns the new cell and the recorded action code.
  func step(
    from cell: Cell, last: inout Action?, region: Region, blocked: Cell?, rng: inout RNG
  ) -> (cell: Cell, code: Int) {
    func free(_ c: Cell) -> Bool { region.contains(c) && c != blocked }
    switch self {
    case .randomWalk, .sticky:
      let action: Action
      if case .sticky(let p) = self, let previous = last, rng.bernoulli(p) {
        action = previous
      } else {
        action = Action.uniformlyRandom(&rng)
      }
      last = action
      let target = cell.moved(action)
      return (free(target) ? target : cell, action.rawValue)
    case .constant(let direction, let edge):
      var action = last ?? direction
      var target = cell.moved(action)
      if !region.contains(target) {
        switch edge {
        case .wrap:
          target = Cell(
            row: region.row + (target.row - region.row + region.height) % region.height,
            col: region.col + (target.col - region.col + region.width) % region.width)
        case .bounce:
          action = action.reversed
          target = cell.moved(action)
        }
      }
      last = action
      return (free(target) ? target : cell, action.rawValue)
    case .teleport(let p):
      guard rng.bernoulli(p) else { return (cell, Action.stay.rawValue) }
      return (randomCell(in: region, avoiding: blocked, rng: &rng), Action.teleportCode)
    }
  }
}

/// A uniformly random cell of `region` other than `avoid` (one draw, no rejection loop).
func randomCell(in region: Region, avoiding avoid: Cell?, rng: inout RNG) -> Cell {
  guard let avoid, region.contains(avoid) else { return region.cell(at: rng.int(below: region.cellCount)) }
  var k = rng.int(below: region.cellCount - 1)
  if k >= region.index(of: avoid) { k += 1 }
  return region.cell(at: k)
}

extension DistractorPolicy: Codable {
  enum CodingKeys: String, CodingKey { case kind, p, direction, edge }
  static let kinds = ["randomWalk", "sticky", "constant", "teleport"]

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let kind = try c.decode(String.self, forKey: .kind)
    switch kind {
    case "randomWalk":
      try decoder.rejectKeys(except: ["kind"], kind: kind)
      self = .randomWalk
    case "sticky":
      try decoder.rejectKeys(except: ["kind", "p"], kind: kind)
      self = .sticky(p: try c.decode(.p, default: 0.9))
    case "constant":
      try decoder.rejectKeys(except: ["kind", "direction", "edge"], kind: kind)
      let name = try c.decode(.direction, default: "right")
      guard let direction = Action(name: name) else {
        throw DecodingError.dataCorruptedError(
          forKey: .direction, in: c,
          debugDescription: "unknown direction '\(name)' (expected one of: \(Action.names.joined(separator: ", ")))")
      }
      let edgeName = try c.decode(.edge, default: "bounce")
      guard let edge = Edge(rawValue: edgeName) else {
        throw DecodingError.dataCorruptedError(
          forKey: .edge, in: c, debugDescription: "unknown edge '\(edgeName)' (expected one of: wrap, bounce)")
      }
      self = .constant(direction: direction, edge: edge)
    case "teleport":
      try decoder.rejectKeys(except: ["kind", "p"], kind: kind)
      self = .teleport(p: try c.decode(.p, default: 0.1))
    default:
      throw decoder.unknownKind(kind, key: CodingKeys.kind, expected: Self.kinds)
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .randomWalk:
      try c.encode("randomWalk", forKey: .kind)
    case .sticky(let p):
      try c.encode("sticky", forKey: .kind)
      try c.encode(p, forKey: .p)
    case .constant(let direction, let edge):
      try c.encode("constant", forKey: .kind)
      try c.encode(direction.name, forKey: .direction)
      try c.encode(edge.rawValue, forKey: .edge)
    case .teleport(let p):
      try c.encode("teleport", forKey: .kind)
      try c.encode(p, forKey: .p)
    }
  }
}

import Core

/// How the controllable agent picks its action each step.
public enum AgentPolicy: Hashable, Sendable {
  /// Each of the five actions with probability 1/5.
  case uniform
  /// Repeat the previous action with probability `p`, else uniform (the first step is uniform).
  case sticky(p: Double)
  /// With probability `chi` the next step of the fixed snaking path through the agent's region
  /// (a function of the agent's cell only), else uniform. chi = 0 is uniform; chi = 1 is deterministic.
  case correlated(chi: Double)

  /// Picks the action for an agent at `cell` whose previous action was `last`; `path` is
  /// `SnakePath.actions(region)`, indexed by the cell's row-major index in `region`.
  public func choose(at cell: Cell, last: Action?, path: [Action], region: Region, rng: inout RNG) -> Action {
    switch self {
    case .uniform:
      return Action.uniformlyRandom(&rng)
    case .sticky(let p):
      if let last, rng.bernoulli(p) { return last }
      return Action.uniformlyRandom(&rng)
    case .correlated(let chi):
      if rng.bernoulli(chi) { return path[region.index(of: cell)] }
      return Action.uniformlyRandom(&rng)
    }
  }

  func validate(_ field: String) throws {
    switch self {
    case .uniform: break
    case .sticky(let p): try Check.range(p, "\(field).p", 0...1)
    case .correlated(let chi): try Check.range(chi, "\(field).chi", 0...1)
    }
  }
}

extension Action {
  /// One of the five actions, each with probability 1/5.
  public static func uniformlyRandom(_ rng: inout RNG) -> Action { Action(rawValue: rng.int(below: 5))! }
}

extension AgentPolicy: Codable {
  enum CodingKeys: String, CodingKey { case kind, p, chi }
  static let kinds = ["uniform", "sticky", "correlated"]

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let kind = try c.decode(String.self, forKey: .kind)
    switch kind {
    case "uniform":
      try decoder.rejectKeys(except: ["kind"], kind: kind)
      self = .uniform
    case "sticky":
      try decoder.rejectKeys(except: ["kind", "p"], kind: kind)
      self = .sticky(p: try c.decode(.p, default: 0.9))
    case "correlated":
      try decoder.rejectKeys(except: ["kind", "chi"], kind: kind)
      self = .correlated(chi: try c.decode(.chi, default: 0.95))
    default:
      throw decoder.unknownKind(kind, key: CodingKeys.kind, expected: Self.kinds)
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .uniform:
      try c.encode("uniform", forKey: .kind)
    case .sticky(let p):
      try c.encode("sticky", forKey: .kind)
      try c.encode(p, forKey: .p)
    case .correlated(let chi):
      try c.encode("correlated", forKey: .kind)
      try c.encode(chi, forKey: .chi)
    }
  }
}

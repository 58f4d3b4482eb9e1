import Core

/// A grid-world environment: the JSON config a preset or a user file holds.
///
/// Every field has a default (see docs/environments.md), so `{}` is a valid config. Unknown keys are
/// rejected with their name and every value is range-checked with a message naming the field.
public struct EnvironmentConfig: Hashable, Sendable {
  /// One line that `lam envs` prints.
  public var description: String
  public var grid: GridConfig
  public var agent: AgentConfig
  public var distractors: [DistractorGroup]
  /// Noise layers, added in order.
  public var noise: [Noise]
  public var shake: Shake
  /// Steps per episode (an episode has episodeLength + 1 frames); `lam generate --steps` overrides it.
  public var episodeLength: Int

  public init(
    description: String = "", grid: GridConfig = GridConfig(), agent: AgentConfig = AgentConfig(),
    distractors: [DistractorGroup] = [], noise: [Noise] = [], shake: Shake = Shake(), episodeLength: Int = 32
  ) {
    self.description = description
    self.grid = grid
    self.agent = agent
    self.distractors = distractors
    self.noise = noise
    self.shake = shake
    self.episodeLength = episodeLength
  }

  /// The number of distractors over all groups (K in the dataset arrays).
  public var distractorCount: Int { distractors.reduce(0) { $0 + $1.count } }

  /// One name per distractor (K), for probes, reports and summaries: the group's name or its colour's
  /// ("red"), numbered within a group of several ("red 1", "red 2"), and the group added when two groups'
  /// names would clash ("grey (group 2)").
  public var distractorNames: [String] {
    let groupNames = distractors.map { $0.name ?? $0.color.name }
    let clashing = Set(groupNames.filter { name in groupNames.filter { $0 == name }.count > 1 })
    return distractors.enumerated().flatMap { g, group -> [String] in
      let base = clashing.contains(groupNames[g]) ? "\(groupNames[g]) (group \(g + 1))" : groupNames[g]
      return group.count == 1 ? [base] : (1...group.count).map { "\(base) \($0)" }
    }
  }

  /// The agent's region with its default (the whole grid) filled in.
  public var agentRegion: Region { agent.region ?? grid.wholeRegion }

  /// Throws a one-line `LamError` naming the first field that is out of range.
  public func validate() throws {
    try Check.that(!description.contains("\n"), "description", "a single line")
    try grid.validate()
    let gridHeight = grid.height, gridWidth = grid.width
    let agentRegion = self.agentRegion
    try agent.region?.validate("agent.region", gridHeight: gridHeight, gridWidth: gridWidth)
    try agent.color.validate("agent.color", channels: grid.channels)
    if case .cell(let cell) = agent.start {
      try Check.that(
        agentRegion.contains(cell), "agent.start", "a cell inside agent.region, got row \(cell.row), col \(cell.col)")
    }
    try agent.policy.validate("agent.policy")
    for (i, group) in distractors.enumerated() {
      let field = "distractors[\(i)]"
      try Check.range(group.count, "\(field).count", 1...64)
      if let name = group.name {
        try Check.that(!name.isEmpty && name.count <= 40 && name.allSatisfy { !$0.isNewline && $0 != "'" },
                       "\(field).name", "1 to 40 characters on one line, without quotes")
      }
      try group.region?.validate("\(field).region", gridHeight: gridHeight, gridWidth: gridWidth)
      try group.color.validate("\(field).color", channels: grid.channels)
      try group.policy.validate("\(field).policy")
      let region = group.region ?? grid.wholeRegion
      try Check.that(
        group.overlapAgent || region.cellCount > 1 || !agentRegion.contains(region.cell(at: 0)),
        "\(field).region", "more than one cell when overlapAgent is false (the agent may stand on the only one)")
    }
    try Check.range(distractorCount, "distractors (total count)", 0...256)
    for (i, layer) in noise.enumerated() {
      try layer.validate("noise[\(i)]")
      try layer.region?.validate("noise[\(i)].region", gridHeight: gridHeight, gridWidth: gridWidth)
    }
    try Check.range(shake.maxPixels, "shake.maxPixels", 0...16)
    try Check.range(shake.probability, "shake.probability", 0...1)
    try Check.range(episodeLength, "episodeLength", 1...100_000)
  }
}

/// The grid's size, its pixels and its background.
public struct GridConfig: Hashable, Sendable {
  /// Columns of cells.
  public var width: Int
  /// Rows of cells.
  public var height: Int
  /// Pixels per cell side.
  public var cellSize: Int
  /// 1 (grey) or 3 (RGB).
  public var channels: Int
  public var background: Color

  public init(width: Int = 4, height: Int = 4, cellSize: Int = 1, channels: Int = 1, background: Color = Color(gray: 0)) {
    self.width = width
    self.height = height
    self.cellSize = cellSize
    self.channels = channels
    self.background = background
  }

  public var wholeRegion: Region { .whole(height: height, width: width) }
  /// Frame height and width in pixels.
  public var pixelHeight: Int { height * cellSize }
  public var pixelWidth: Int { width * cellSize }
  /// [C, H, W] of a rendered frame.
  public var frameShape: [Int] { [channels, pixelHeight, pixelWidth] }

  func validate() throws {
    try Check.range(width, "grid.width", 1...64)
    try Check.range(height, "grid.height", 1...64)
    try Check.range(cellSize, "grid.cellSize", 1...32)
    try Check.that(channels == 1 || channels == 3, "grid.channels", "1 or 3, got \(channels)")
    try Check.range(pixelWidth, "grid.width * grid.cellSize (frame width in pixels)", 1...512)
    try Check.range(pixelHeight, "grid.height * grid.cellSize (frame height in pixels)", 1...512)
    try background.validate("grid.background", channels: channels)
  }
}

/// The controllable agent.
public struct AgentConfig: Hashable, Sendable {
  /// The cells the agent lives in (its edges are walls); nil means the whole grid.
  public var region: Region?
  public var color: Color
  public var start: StartRule
  public var policy: AgentPolicy

  public init(region: Region? = nil, color: Color = Color(gray: 1), start: StartRule = .centre, policy: AgentPolicy = .uniform) {
    self.region = region
    self.color = color
    self.start = start
    self.policy = policy
  }
}

/// Where the agent starts each episode.
public enum StartRule: Hashable, Sendable {
  /// The region's middle cell (for an even side, the lower/right of the two middle cells).
  case centre
  /// A uniformly random cell of the region.
  case random
  /// This cell (written `{"row": r, "col": c}`).
  case cell(Cell)
}

/// A group of distractors: uncontrolled squares sharing a region, a colour and a policy.
public struct DistractorGroup: Hashable, Sendable {
  /// What probes, reports and summaries call the group's distractors; nil: their colour's name.
  public var name: String?
  public var count: Int
  /// The cells the group lives in; nil means the whole grid. Each distractor starts on a random cell.
  public var region: Region?
  public var color: Color
  public var policy: DistractorPolicy
  /// Whether a distractor may share the agent's cell (drawn under it). When false, the agent cannot
  /// enter its cell and it cannot enter the agent's.
  public var overlapAgent: Bool

  public init(
    name: String? = nil, count: Int = 1, region: Region? = nil, color: Color = Color(gray: 1),
    policy: DistractorPolicy = .randomWalk, overlapAgent: Bool = false
  ) {
    self.name = name
    self.count = count
    self.region = region
    self.color = color
    self.policy = policy
    self.overlapAgent = overlapAgent
  }
}

/// Camera shake: with probability `probability` per frame, the whole frame is translated by (dy, dx),
/// each drawn uniformly from -maxPixels...maxPixels; uncovered pixels take the background colour.
public struct Shake: Hashable, Sendable {
  public var maxPixels: Int
  public var probability: Double

  public init(maxPixels: Int = 0, probability: Double = 0) {
    self.maxPixels = maxPixels
    self.probability = probability
  }

  public var isActive: Bool { maxPixels > 0 && probability > 0 }
}

// MARK: - Codable (every key optional with its documented default; unknown keys rejected)

extension EnvironmentConfig: Codable {
  public init(from decoder: Decoder) throws {
    self = try decoder.decode(EnvironmentConfig(), [
      .field("description", \.description), .field("grid", \.grid), .field("agent", \.agent),
      .field("distractors", \.distractors), .field("noise", \.noise), .field("shake", \.shake),
      .field("episodeLength", \.episodeLength),
    ])
    try validate()
  }
}

extension GridConfig: Codable {
  public init(from decoder: Decoder) throws {
    self = try decoder.decode(GridConfig(), [
      .field("width", \.width), .field("height", \.height), .field("cellSize", \.cellSize),
      .field("channels", \.channels), .field("background", \.background),
    ])
  }
}

extension AgentConfig: Codable {
  public init(from decoder: Decoder) throws {
    self = try decoder.decode(AgentConfig(), [
      .field("region", \.region), .field("color", \.color), .field("start", \.start), .field("policy", \.policy),
    ])
  }
}

extension StartRule: Codable {
  public init(from decoder: Decoder) throws {
    if let name = try? decoder.singleValueContainer().decode(String.self) {
      switch name {
      case "centre", "center": self = .centre
      case "random": self = .random
      default:
        throw DecodingError.dataCorrupted(
          DecodingError.Context(
            codingPath: decoder.codingPath,
            debugDescription: "unknown start '\(name)' (expected \"centre\", \"random\" or {\"row\": r, \"col\": c})"))
      }
      return
    }
    try decoder.rejectUnknownKeys(CellKeys.self)
    let c = try decoder.container(keyedBy: CellKeys.self)
    self = .cell(Cell(row: try c.decode(Int.self, forKey: .row), col: try c.decode(Int.self, forKey: .col)))
  }

  enum CellKeys: String, CodingKey, CaseIterable { case row, col }

  public func encode(to encoder: Encoder) throws {
    switch self {
    case .centre:
      var c = encoder.singleValueContainer()
      try c.encode("centre")
    case .random:
      var c = encoder.singleValueContainer()
      try c.encode("random")
    case .cell(let cell):
      var c = encoder.container(keyedBy: CellKeys.self)
      try c.encode(cell.row, forKey: .row)
      try c.encode(cell.col, forKey: .col)
    }
  }
}

extension DistractorGroup: Codable {
  public init(from decoder: Decoder) throws {
    self = try decoder.decode(DistractorGroup(), [
      .field("name", \.name), .field("count", \.count), .field("region", \.region), .field("color", \.color),
      .field("policy", \.policy), .field("overlapAgent", \.overlapAgent),
    ])
  }
}

extension Shake: Codable {
  public init(from decoder: Decoder) throws {
    self = try decoder.decode(Shake(), [.field("maxPixels", \.maxPixels), .field("probability", \.probability)])
  }
}

import Core

/// Exogenous pixel noise: i.i.d. values added to the frame inside a region, then clipped to [0, 1].
public struct Noise: Hashable, Sendable {
  /// The distribution of each added value.
  public enum Distribution: Hashable, Sendable {
    /// `intensity` with probability `p`, else 0 (the paper's noise row).
    case bernoulli(p: Double, intensity: Float)
    /// Normal with mean 0 and standard deviation `std`.
    case gaussian(std: Float)
    /// Uniform on [-std * sqrt(3), std * sqrt(3)] (mean 0, standard deviation `std`).
    case uniform(std: Float)
  }

  /// One value per grid cell (all its pixels alike) or one per pixel.
  public enum Unit: String, Codable, Sendable, CaseIterable {
    case cell, pixel
  }

  public var distribution: Distribution
  public var unit: Unit
  /// The cells the noise covers; nil means the whole grid.
  public var region: Region?
  /// One value per channel (coloured noise) instead of one value shared by every channel.
  public var perChannel: Bool

  public init(_ distribution: Distribution, unit: Unit = .cell, region: Region? = nil, perChannel: Bool = false) {
    self.distribution = distribution
    self.unit = unit
    self.region = region
    self.perChannel = perChannel
  }

  @inline(__always) func draw(_ rng: inout RNG) -> Float {
    switch distribution {
    case .bernoulli(let p, let intensity): return rng.bernoulli(p) ? intensity : 0
    case .gaussian(let std): return std * rng.normal()
    case .uniform(let std): return std * 1.732_050_8 * (2 * rng.uniform() - 1)
    }
  }

  /// Adds one frame's noise into `buffer` (the additive noise of the frame, [C, H, W] in pixels).
  func add(
    into buffer: UnsafeMutablePointer<Float>, region: Region, channels: Int, cellSize: Int, pixelHeight: Int,
    pixelWidth: Int, rng: inout RNG
  ) {
    let plane = pixelHeight * pixelWidth
    let shared = perChannel ? 1 : channels  // channels that receive each drawn value
    let draws = perChannel ? channels : 1
    switch unit {
    case .cell:
      for r in region.row..<(region.row + region.height) {
        for q in region.col..<(region.col + region.width) {
          for d in 0..<draws {
            let v = draw(&rng)
            for c in d..<(d + shared) {
              for y in (r * cellSize)..<((r + 1) * cellSize) {
                let row = buffer + c * plane + y * pixelWidth
                for x in (q * cellSize)..<((q + 1) * cellSize) { row[x] += v }
              }
            }
          }
        }
      }
    case .pixel:
      for y in (region.row * cellSize)..<((region.row + region.height) * cellSize) {
        for x in (region.col * cellSize)..<((region.col + region.width) * cellSize) {
          for d in 0..<draws {
            let v = draw(&rng)
            for c in d..<(d + shared) { buffer[c * plane + y * pixelWidth + x] += v }
          }
        }
      }
    }
  }

  func validate(_ field: String) throws {
    switch distribution {
    case .bernoulli(let p, let intensity):
      try Check.range(p, "\(field).p", 0...1)
      try Check.range(intensity, "\(field).intensity", 0...1)
    case .gaussian(let std), .uniform(let std):
      try Check.range(std, "\(field).std", 0...1)
    }
  }
}

extension Noise: Codable {
  enum CodingKeys: String, CodingKey { case kind, p, intensity, std, unit, region, perChannel }
  static let kinds = ["bernoulli", "gaussian", "uniform"]
  static let commonKeys = ["kind", "unit", "region", "perChannel"]

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let kind = try c.decode(String.self, forKey: .kind)
    switch kind {
    case "bernoulli":
      try decoder.rejectKeys(except: Self.commonKeys + ["p", "intensity"], kind: kind)
      distribution = .bernoulli(p: try c.decode(.p, default: 0.5), intensity: try c.decode(.intensity, default: 1))
    case "gaussian", "uniform":
      try decoder.rejectKeys(except: Self.commonKeys + ["std"], kind: kind)
      let std: Float = try c.decode(.std, default: 0.1)
      distribution = kind == "gaussian" ? .gaussian(std: std) : .uniform(std: std)
    default:
      throw decoder.unknownKind(kind, key: CodingKeys.kind, expected: Self.kinds)
    }
    let unitName = try c.decode(.unit, default: "cell")
    guard let unit = Unit(rawValue: unitName) else {
      throw DecodingError.dataCorruptedError(
        forKey: .unit, in: c, debugDescription: "unknown unit '\(unitName)' (expected one of: cell, pixel)")
    }
    self.unit = unit
    region = try c.decodeIfPresent(Region.self, forKey: .region)
    perChannel = try c.decode(.perChannel, default: false)
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    switch distribution {
    case .bernoulli(let p, let intensity):
      try c.encode("bernoulli", forKey: .kind)
      try c.encode(p, forKey: .p)
      try c.encode(intensity, forKey: .intensity)
    case .gaussian(let std):
      try c.encode("gaussian", forKey: .kind)
      try c.encode(std, forKey: .std)
    case .uniform(let std):
      try c.encode("uniform", forKey: .kind)
      try c.encode(std, forKey: .std)
    }
    try c.encode(unit.rawValue, forKey: .unit)
    try c.encodeIfPresent(region, forKey: .region)
    try c.encode(perChannel, forKey: .perChannel)
  }
}

import Core

/// A colour: one intensity for every channel (written as a number) or one per channel (an array).
public struct Color: Hashable, Codable, Sendable {
  /// 1 value (the same in every channel) or one value per channel, each in [0, 1].
  public var values: [Float]

  public init(_ values: [Float]) { self.values = values }
  public init(gray: Float) { values = [gray] }

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let gray = try? c.decode(Float.self) {
      values = [gray]
    } else {
      do {
        values = try c.decode([Float].self)
      } catch {
        throw DecodingError.dataCorrupted(
          DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "expected a number or an array of numbers"))
      }
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    if values.count == 1 { try c.encode(values[0]) } else { try c.encode(values) }
  }

  /// The value in each of `channels` channels.
  public func expanded(channels: Int) -> [Float] {
    values.count == 1 ? [Float](repeating: values[0], count: channels) : values
  }

  /// The nearest of a few common colour names (black, grey, white for one channel).
  public var name: String {
    let palette: [(String, [Float])] = values.count == 1
      ? [("black", [0]), ("grey", [0.5]), ("white", [1])]
      : [("black", [0, 0, 0]), ("grey", [0.5, 0.5, 0.5]), ("white", [1, 1, 1]), ("red", [1, 0, 0]), ("green", [0, 1, 0]),
         ("blue", [0, 0, 1]), ("yellow", [1, 1, 0]), ("magenta", [1, 0, 1]), ("cyan", [0, 1, 1]), ("orange", [1, 0.5, 0]),
         ("purple", [0.5, 0, 1])]
    func distance(_ colour: [Float]) -> Float { zip(values, colour).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
    return palette.min { distance($0.1) < distance($1.1) }!.0
  }

  func validate(_ field: String, channels: Int) throws {
    try Check.that(
      values.count == 1 || values.count == channels, field,
      "1 value or \(channels) (one per channel), got \(values.count)")
    for (i, v) in values.enumerated() {
      try Check.range(v, values.count == 1 ? field : "\(field)[\(i)]", 0...1)
    }
  }
}

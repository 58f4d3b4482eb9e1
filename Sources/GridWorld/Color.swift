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

  func validate(_ field: String, channels: Int) throws {
    try Check.that(
      values.count == 1 || values.count == channels, field,
      "1 value or \(channels) (one per channel), got \(values.count)")
    for (i, v) in values.enumerated() {
      try Check.range(v, values.count == 1 ? field : "\(field)[\(i)]", 0...1)
    }
  }
}

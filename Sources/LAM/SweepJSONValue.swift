import Foundation

/// Any JSON value, kept as written: how a sweep spec holds its base config and its `set` values.
public enum JSONValue: Codable, Equatable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let n = try? c.decode(Double.self) {
      self = .number(n)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .null: try c.encodeNil()
    case .bool(let b): try c.encode(b)
    case .number(let n): try c.encode(n)
    case .string(let s): try c.encode(s)
    case .array(let a): try c.encode(a)
    case .object(let o): try c.encode(o)
    }
  }

  /// The value as JSONSerialization objects (whole numbers as integers, so integer fields decode them).
  public var foundationObject: Any {
    switch self {
    case .null: return NSNull()
    case .bool(let b): return b
    case .number(let n): return n == n.rounded() && abs(n) < 9e15 ? Int64(n) as Any : n as Any
    case .string(let s): return s
    case .array(let a): return a.map(\.foundationObject)
    case .object(let o): return o.mapValues(\.foundationObject)
    }
  }

  /// The value as JSON text, e.g. `"shift"`, `0.01`, `true`.
  public var jsonText: String {
    let data = (try? JSONSerialization.data(withJSONObject: foundationObject, options: [.fragmentsAllowed, .sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }
}

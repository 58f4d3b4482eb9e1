import Foundation

// JSON as a value: what configs are edited as before they are decoded (a sweep's base config and the
// values it sets, `--set PATH=VALUE`), compared and written back.

extension JSON: Equatable {
  /// Objects are equal when they hold the same keys with equal values, in any order; numbers when their
  /// values are (`1.0` equals `1`).
  public static func == (a: JSON, b: JSON) -> Bool {
    switch (a, b) {
    case (.object(let x), .object(let y)):
      let dictionary = Dictionary(y, uniquingKeysWith: { first, _ in first })
      return x.count == y.count && x.allSatisfy { dictionary[$0.key] == $0.value }
    case (.array(let x), .array(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y || (Double(x) != nil && Double(x) == Double(y))
    case (.bool(let x), .bool(let y)): return x == y
    case (.null, .null): return true
    default: return false
    }
  }
}

extension JSON: Codable {
  /// Decodes whatever the decoder holds; integers keep every digit, object keys come sorted (a decoder does not
  /// keep the order of the text).
  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let n = try? c.decode(Int64.self) {
      self = .number(String(n))
    } else if let n = try? c.decode(UInt64.self) {
      self = .number(String(n))
    } else if let n = try? c.decode(Double.self) {
      self = .number(String(n))
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSON].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSON].self).sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .null: try c.encodeNil()
    case .bool(let b): try c.encode(b)
    case .number(let text):
      if let n = Int64(text) { try c.encode(n) } else if let n = UInt64(text) { try c.encode(n) } else { try c.encode(Double(text) ?? 0) }
    case .string(let s): try c.encode(s)
    case .array(let a): try c.encode(a)
    case .object(let members): try c.encode(Dictionary(members, uniquingKeysWith: { first, _ in first }))
    }
  }
}

extension JSON {
  /// `text` read as JSON when it parses (`5`, `true`, `[32, 64]`, `"x"`), else as a string (`shift`): how
  /// a value given on the command line is read.
  public static func lenient(_ text: String) -> JSON {
    (try? parse(Array(text.utf8))) ?? .string(text)
  }

  /// Compact JSON text, keys in their order.
  public var text: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let n): return n
    case .string(let s): return String(decoding: JSON.quoted(s), as: UTF8.self)
    case .array(let a): return "[" + a.map(\.text).joined(separator: ",") + "]"
    case .object(let members):
      return "{" + members.map { String(decoding: JSON.quoted($0.key), as: UTF8.self) + ":" + $0.value.text }
        .joined(separator: ",") + "}"
    }
  }

  /// This object with `value` at the dotted `path` ("train.steps"), creating objects on the way; throws
  /// naming the path when a step on it is not an object.
  public func setting(_ value: JSON, at path: String) throws -> JSON {
    let keys = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    try Check.that(!keys.contains(""), path, "a dotted field path such as train.steps")
    return try setting(value, at: keys[...], path: path)
  }

  private func setting(_ value: JSON, at keys: ArraySlice<String>, path: String) throws -> JSON {
    guard case .object(var members) = self else { throw LamError("\(path): '\(keys.first!)' is not inside an object") }
    let key = keys.first!
    let index = members.firstIndex { $0.key == key }
    let inner = keys.count == 1 ? value : try (index.map { members[$0].value } ?? .object([])).setting(value, at: keys.dropFirst(), path: path)
    if let index { members[index].value = inner } else { members.append((key, inner)) }
    return .object(members)
  }
}

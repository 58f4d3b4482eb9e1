import Foundation

/// A JSON value as the fuzzer edits it. Objects are lists of members, so a key can appear twice (a mutation
/// lam must refuse), and numbers keep their text, so a value that is not edited is written back unchanged.
public indirect enum FuzzJSON: Equatable {
  case null
  case bool(Bool)
  case number(String)
  case string(String)
  case array([FuzzJSON])
  case object([Member])

  public struct Member: Equatable {
    public var key: String
    public var value: FuzzJSON
    public init(_ key: String, _ value: FuzzJSON) {
      self.key = key
      self.value = value
    }
  }

  /// Parses `text`; nil if it is not one JSON value (the fuzzer then falls back to byte mutations).
  public static func parse(_ text: String) -> FuzzJSON? {
    var parser = Parser(bytes: Array(text.utf8))
    guard let value = parser.value(depth: 0) else { return nil }
    parser.skipSpace()
    return parser.index == parser.bytes.count ? value : nil
  }

  public static func parse(_ data: Data) -> FuzzJSON? {
    guard let text = String(data: data, encoding: .utf8) else { return nil }
    return parse(text)
  }

  /// Compact JSON text.
  public var text: String {
    var out = ""
    write(to: &out)
    return out
  }

  private func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let n): out += n
    case .string(let s): FuzzJSON.quote(s, into: &out)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (i, member) in members.enumerated() {
        if i > 0 { out += "," }
        FuzzJSON.quote(member.key, into: &out)
        out += ":"
        member.value.write(to: &out)
      }
      out += "}"
    }
  }

  static func quote(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          out += String(format: "\\u%04x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }

  // MARK: - Paths

  /// One step into a value: a member's position in an object or an element's index in an array.
  public typealias Path = [Int]

  /// Every value inside this one (itself included, as the empty path), depth first.
  public var paths: [Path] {
    var result: [Path] = [[]]
    switch self {
    case .array(let items):
      for (i, item) in items.enumerated() { result += item.paths.map { [i] + $0 } }
    case .object(let members):
      for (i, member) in members.enumerated() { result += member.value.paths.map { [i] + $0 } }
    default: break
    }
    return result
  }

  public subscript(path: Path) -> FuzzJSON {
    get {
      guard let first = path.first else { return self }
      switch self {
      case .array(let items): return items[first][Array(path.dropFirst())]
      case .object(let members): return members[first].value[Array(path.dropFirst())]
      default: return self
      }
    }
    set {
      guard let first = path.first else {
        self = newValue
        return
      }
      switch self {
      case .array(var items):
        items[first][Array(path.dropFirst())] = newValue
        self = .array(items)
      case .object(var members):
        members[first].value[Array(path.dropFirst())] = newValue
        self = .object(members)
      default: break
      }
    }
  }

  /// The dotted name of `path` (`model.bottleneck.dz`, `train[3]`), for mutation descriptions.
  public func name(of path: Path) -> String {
    var name = ""
    var value = self
    for step in path {
      switch value {
      case .array(let items):
        name += "[\(step)]"
        value = items[step]
      case .object(let members):
        name += (name.isEmpty ? "" : ".") + members[step].key
        value = members[step].value
      default: break
      }
    }
    return name.isEmpty ? "(root)" : name
  }

  public subscript(key: String) -> FuzzJSON? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var numberText: String? {
    if case .number(let n) = self { return n }
    return nil
  }

  // MARK: - Parser

  private struct Parser {
    let bytes: [UInt8]
    var index = 0

    mutating func skipSpace() {
      while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    mutating func value(depth: Int) -> FuzzJSON? {
      // The fixture's files are shallow; a limit keeps a pathological input from overflowing our stack.
      guard depth < 2000 else { return nil }
      skipSpace()
      guard index < bytes.count else { return nil }
      switch bytes[index] {
      case UInt8(ascii: "{"):
        index += 1
        var members: [Member] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
          index += 1
          return .object(members)
        }
        while true {
          skipSpace()
          guard let key = string() else { return nil }
          skipSpace()
          guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
          index += 1
          guard let v = value(depth: depth + 1) else { return nil }
          members.append(Member(key, v))
          skipSpace()
          guard index < bytes.count else { return nil }
          if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
          if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
          return nil
        }
      case UInt8(ascii: "["):
        index += 1
        var items: [FuzzJSON] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
          index += 1
          return .array(items)
        }
        while true {
          guard let v = value(depth: depth + 1) else { return nil }
          items.append(v)
          skipSpace()
          guard index < bytes.count else { return nil }
          if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
          if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
          return nil
        }
      case UInt8(ascii: "\""):
        return string().map { .string($0) }
      case UInt8(ascii: "t"): return literal("true", .bool(true))
      case UInt8(ascii: "f"): return literal("false", .bool(false))
      case UInt8(ascii: "n"): return literal("null", .null)
      default:
        let start = index
        while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
        guard index > start else { return nil }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
      }
    }

    mutating func literal(_ word: String, _ value: FuzzJSON) -> FuzzJSON? {
      let w = Array(word.utf8)
      guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else { return nil }
      index += w.count
      return value
    }

    mutating func string() -> String? {
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
      index += 1
      var scalars = String.UnicodeScalarView()
      var raw: [UInt8] = []
      func flush() {
        scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
        raw.removeAll()
      }
      while index < bytes.count {
        let b = bytes[index]
        index += 1
        if b == UInt8(ascii: "\"") {
          flush()
          return String(scalars)
        }
        guard b == UInt8(ascii: "\\") else {
          raw.append(b)
          continue
        }
        flush()
        guard index < bytes.count else { return nil }
        let e = bytes[index]
        index += 1
        switch e {
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "b"): scalars.append("\u{8}")
        case UInt8(ascii: "f"): scalars.append("\u{c}")
        case UInt8(ascii: "u"):
          guard index + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
          else { return nil }
          index += 4
          // A lone surrogate half cannot be a Swift scalar; the replacement character stands in for it.
          scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
        default: scalars.append(Unicode.Scalar(e))
        }
      }
      return nil
    }
  }
}

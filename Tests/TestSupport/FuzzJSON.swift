import Core
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

  /// Parses `text` with Core's strict parser; nil if it is not one JSON value (the fuzzer then falls back
  /// to byte mutations). Repeated keys are the mutations' to make, so the fixture's text has none.
  public static func parse(_ text: String) -> FuzzJSON? {
    (try? JSON.parse(Array(text.utf8))).map(FuzzJSON.init)
  }

  /// The same value as Core's JSON, with its members in their order.
  init(_ json: JSON) {
    switch json {
    case .null: self = .null
    case .bool(let b): self = .bool(b)
    case .number(let n): self = .number(n)
    case .string(let s): self = .string(s)
    case .array(let items): self = .array(items.map(FuzzJSON.init))
    case .object(let members): self = .object(members.map { Member($0.key, FuzzJSON($0.value)) })
    }
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
}

/// A JSON value as strict readers need it: objects keep their key order and numbers keep their text,
/// so integers are read exactly (no detour through Double) and duplicate keys can be reported.
///
/// Foundation's JSONSerialization and JSONDecoder are not enough alone: they silently keep one of two
/// duplicate keys, turn large integers into inexact doubles and recurse without a depth limit.
public enum JSON: Sendable {
  case object([(key: String, value: JSON)])
  case array([JSON])
  case string(String)
  case number(String)
  case bool(Bool)
  case null

  /// The deepest nesting of arrays and objects accepted. Configs nest about 5 levels and safetensors
  /// headers 3; the limit keeps a hostile "[[[[..." from exhausting the stack.
  static let maxDepth = 64

  /// What kind of value this is, for "expected X, got Y" messages.
  public var kind: String {
    switch self {
    case .object: return "an object"
    case .array: return "an array"
    case .string: return "a string"
    case .number: return "a number"
    case .bool: return "true or false"
    case .null: return "null"
    }
  }

  /// Text that is not one JSON value in UTF-8, nests too deep or has a key twice in one object. The
  /// message is one line: where the key is, or the byte position where the syntax error was noticed.
  public struct SyntaxError: Error {
    public let message: String
    /// Whether the text is JSON apart from a key that appears twice in one object.
    public let isDuplicateKey: Bool
  }

  /// Parses one JSON value (surrounded by optional whitespace) from UTF-8 `bytes`; any bytes are
  /// safe to pass, whatever is wrong with them is a `SyntaxError`.
  public static func parse(_ bytes: [UInt8]) throws -> JSON {
    var parser = Parser(bytes: bytes)
    parser.skipWhitespace()
    let value = try parser.value()
    parser.skipWhitespace()
    guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
    return value
  }

  /// A JSON integer literal read exactly, or why it is not a usable count or offset.
  public enum Integer: Equatable {
    case value(Int)
    case negative
    case tooLarge
    case notAnInteger
  }

  /// The value as a non-negative integer, if it is a number written without fraction or exponent.
  public var integer: Integer {
    guard case .number(let text) = self else { return .notAnInteger }
    var digits = Substring(text)
    let negative = digits.first == "-"
    if negative { digits = digits.dropFirst() }
    guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return .notAnInteger }
    if negative { return digits.allSatisfy { $0 == "0" } ? .value(0) : .negative }
    var result = 0
    for digit in digits.utf8 {
      let (times10, o1) = result.multipliedReportingOverflow(by: 10)
      let (sum, o2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
      if o1 || o2 { return .tooLarge }
      result = sum
    }
    return .value(result)
  }

  /// `string` as a JSON string literal, escaped exactly as serde_json (the safetensors reference
  /// writer) does: quote, backslash and control characters only; everything else stays raw UTF-8.
  public static func quoted(_ string: String) -> [UInt8] {
    var out: [UInt8] = [UInt8(ascii: "\"")]
    let hex = Array("0123456789abcdef".utf8)
    for byte in string.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
      case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
      case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
      case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
      case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
      case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
      case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
    return out
  }

  /// One step from a JSON value into a member of it.
  enum PathComponent {
    case key(String)
    case index(Int)
  }

  /// How messages name a place in a JSON text: "field 'conditions[2].name'" (keys joined by dots,
  /// array indices in brackets), or "top level".
  static func fieldName(_ path: [PathComponent]) -> String {
    guard !path.isEmpty else { return "top level" }
    var text = ""
    for component in path {
      switch component {
      case .key(let key): text += (text.isEmpty ? "" : ".") + oneLine(key)
      case .index(let index): text += "[\(index)]"
      }
    }
    return "field '\(text)'"
  }

  /// `text` with line breaks and other control or invisible characters written as escapes, so a
  /// message that quotes it stays on one line and shows what is there.
  static func oneLine(_ text: String) -> String {
    text.unicodeScalars.map { scalar in
      switch scalar.properties.generalCategory {
      case .control, .format, .lineSeparator, .paragraphSeparator: return scalar.escaped(asASCII: true)
      default: return String(scalar)
      }
    }.joined()
  }
}

private struct Parser {
  let bytes: [UInt8]
  var position = 0
  /// The keys and indices leading to the value being read, to say where a duplicate key is.
  var path: [JSON.PathComponent] = []

  init(bytes: [UInt8]) { self.bytes = bytes }

  func error(_ what: String) -> JSON.SyntaxError {
    JSON.SyntaxError(message: "\(what) at byte \(position)", isDuplicateKey: false)
  }

  var current: UInt8? { position < bytes.count ? bytes[position] : nil }

  /// The character at `position` for a message, or its byte in hex where the text is not UTF-8.
  var shownCurrent: String {
    var iterator = bytes[position...].makeIterator()
    var decoder = UTF8()
    guard case .scalarValue(let scalar) = decoder.decode(&iterator) else {
      return "byte 0x" + String(bytes[position], radix: 16, uppercase: true)
    }
    return "character '\(JSON.oneLine(String(scalar)))'"
  }

  mutating func skipWhitespace() {
    while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
  }

  mutating func expect(_ literal: String) throws {
    for byte in literal.utf8 {
      guard current == byte else { throw error("expected '\(literal)'") }
      position += 1
    }
  }

  mutating func value() throws -> JSON {
    guard path.count < JSON.maxDepth else { throw error("nested deeper than \(JSON.maxDepth) levels") }
    guard let c = current else { throw error("unexpected end of the text") }
    switch c {
    case UInt8(ascii: "{"): return try object()
    case UInt8(ascii: "["): return try array()
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try expect("true"); return .bool(true)
    case UInt8(ascii: "f"): try expect("false"); return .bool(false)
    case UInt8(ascii: "n"): try expect("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
    default: throw error("unexpected \(shownCurrent)")
    }
  }

  mutating func object() throws -> JSON {
    position += 1  // {
    var members: [(key: String, value: JSON)] = []
    var seen = Set<String>()
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
      let key = try string()
      path.append(.key(key))
      guard seen.insert(key).inserted else {
        throw JSON.SyntaxError(message: "\(JSON.fieldName(path)) appears twice", isDuplicateKey: true)
      }
      skipWhitespace()
      guard current == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
      position += 1
      skipWhitespace()
      members.append((key, try value()))
      path.removeLast()
      skipWhitespace()
      guard let c = current else { throw error("unexpected end of the text in an object") }
      position += 1
      if c == UInt8(ascii: "}") { return .object(members) }
      guard c == UInt8(ascii: ",") else {
        position -= 1
        throw error("expected ',' or '}'")
      }
    }
  }

  mutating func array() throws -> JSON {
    position += 1  // [
    var elements: [JSON] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      path.append(.index(elements.count))
      elements.append(try value())
      path.removeLast()
      skipWhitespace()
      guard let c = current else { throw error("unexpected end of the text in an array") }
      position += 1
      if c == UInt8(ascii: "]") { return .array(elements) }
      guard c == UInt8(ascii: ",") else {
        position -= 1
        throw error("expected ',' or ']'")
      }
    }
  }

  /// A string literal; raw bytes are copied and checked to be UTF-8 once the string is complete.
  mutating func string() throws -> String {
    let start = position
    position += 1  // opening quote
    var out: [UInt8] = []
    while true {
      guard let c = current else { throw error("unterminated string") }
      position += 1
      switch c {
      case UInt8(ascii: "\""):
        guard let text = String(validating: out, as: UTF8.self) else {
          position = start
          throw error("invalid UTF-8 in the string")
        }
        return text
      case UInt8(ascii: "\\"):
        guard let e = current else { throw error("unterminated string") }
        position += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"): out += Array(String(Character(try unicodeEscape())).utf8)
        default:
          position -= 1
          throw error("invalid escape: \(shownCurrent) after a backslash")
        }
      case 0..<0x20:
        position -= 1
        throw error("control character in a string (must be escaped)")
      default:
        out.append(c)
      }
    }
  }

  /// The scalar of a `\uXXXX` escape (the `\u` already read), joining a UTF-16 surrogate pair.
  mutating func unicodeEscape() throws -> Unicode.Scalar {
    let high = try hex4()
    if (0xD800..<0xDC00).contains(high) {
      guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
        throw error("lone UTF-16 surrogate in a \\u escape")
      }
      position += 2
      let low = try hex4()
      guard (0xDC00..<0xE000).contains(low) else { throw error("invalid UTF-16 surrogate pair in a \\u escape") }
      let scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
      guard let result = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
      return result
    }
    guard let result = Unicode.Scalar(high) else { throw error("lone UTF-16 surrogate in a \\u escape") }
    return result
  }

  mutating func hex4() throws -> UInt32 {
    var result: UInt32 = 0
    for _ in 0..<4 {
      guard let c = current else { throw error("unterminated \\u escape") }
      let digit: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
      default: throw error("expected four hex digits after \\u")
      }
      result = result << 4 | UInt32(digit)
      position += 1
    }
    return result
  }

  /// A number literal in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  mutating func number() throws -> String {
    let start = position
    func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
    if current == UInt8(ascii: "-") { position += 1 }
    guard isDigit(current) else { throw error("expected a digit") }
    if current == UInt8(ascii: "0") {
      position += 1
      if isDigit(current) { throw error("leading zero in a number") }
    } else {
      while isDigit(current) { position += 1 }
    }
    if current == UInt8(ascii: ".") {
      position += 1
      guard isDigit(current) else { throw error("expected a digit after '.'") }
      while isDigit(current) { position += 1 }
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      position += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
      guard isDigit(current) else { throw error("expected a digit in the exponent") }
      while isDigit(current) { position += 1 }
    }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }
}

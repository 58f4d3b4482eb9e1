import Foundation

/// A coding key that accepts any name, used to list the keys a JSON object really has.
public struct AnyCodingKey: CodingKey, Hashable {
  public var stringValue: String
  public var intValue: Int?
  public init(_ string: String) { stringValue = string }
  public init?(stringValue: String) { self.stringValue = stringValue }
  public init?(intValue: Int) {
    stringValue = String(intValue)
    self.intValue = intValue
  }
}

extension Decoder {
  /// Throws if the JSON object being decoded has a key that `Keys` does not name, so a typo in a
  /// config file is an error instead of a silently ignored setting.
  public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
    try rejectUnknownKeys(Keys.allCases.map(\.stringValue))
  }

  /// Throws if the JSON object being decoded has a key that is not one of `names`.
  public func rejectUnknownKeys(_ names: [String]) throws {
    let container = try container(keyedBy: AnyCodingKey.self)
    let known = Set(names)
    for key in container.allKeys where !known.contains(key.stringValue) {
      let expected = names.sorted().joined(separator: ", ")
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: codingPath + [key],
          debugDescription: "unknown key '\(key.stringValue)' (expected one of: \(expected))"))
    }
  }
}

extension KeyedDecodingContainer {
  /// Decodes `key` if present, else returns `fallback`: how configs get their documented defaults.
  public func decode<T: Decodable>(_ key: Key, default fallback: @autoclosure () -> T) throws -> T {
    try decodeIfPresent(T.self, forKey: key) ?? fallback()
  }

  /// A named choice (an enum of strings) at `key`, matched ignoring case, or `fallback` when absent; any
  /// other name is an error that lists the choices.
  public func decode<T: RawRepresentable & CaseIterable & Decodable>(_ key: Key, default fallback: @autoclosure () -> T) throws
    -> T where T.RawValue == String
  {
    guard let name = try decodeIfPresent(String.self, forKey: key) else { return fallback() }
    if let match = T.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) { return match }
    let choices = T.allCases.map(\.rawValue).joined(separator: ", ")
    throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected one of \(choices), got '\(name)'")
  }
}

/// Range checks for config values; each throws a one-line message naming the field.
public enum Check {
  public static func range<T: Comparable>(
    _ value: T, _ field: String, _ range: ClosedRange<T>, file: String? = nil
  ) throws {
    guard range.contains(value) else {
      throw LamError("\(prefix(file))\(field): expected a value in \(range.lowerBound)...\(range.upperBound), got \(value)")
    }
  }

  public static func that(_ condition: Bool, _ field: String, _ expected: String, file: String? = nil) throws {
    guard condition else { throw LamError("\(prefix(file))\(field): expected \(expected)") }
  }

  static func prefix(_ file: String?) -> String { file.map { "\($0): " } ?? "" }
}

/// JSON decoding and encoding with the error messages a user can act on.
public enum StrictJSON {
  /// Decodes `T` from the file at `path`; every failure becomes one line naming the file and field.
  public static func load<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw LamError("\(path): cannot read the file (\(FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"))")
    }
    return try decode(type, from: data, source: path)
  }

  /// The integer `format_version` of the JSON file at `path`, or nil when it has none (or is not JSON):
  /// read before the whole file, so an old format gets its own message.
  public static func formatVersion(at path: String) -> Int? {
    struct Version: Decodable {
      var formatVersion: Int?
      enum CodingKeys: String, CodingKey { case formatVersion = "format_version" }
    }
    return (try? load(Version.self, from: path))?.formatVersion
  }

  /// Decodes `T` from `data`; `source` names where the data came from in error messages.
  public static func decode<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
    try checkSyntax(data, source: source)
    do {
      return try JSONDecoder().decode(type, from: data)
    } catch let error as DecodingError {
      throw LamError("\(source): \(describe(error))")
    } catch let error as LamError {
      throw LamError("\(source): \(error.message)")
    }
  }

  /// Throws unless `data` is one JSON value in UTF-8 with no key twice in an object and at most 64
  /// levels of nesting: JSONDecoder and JSONSerialization silently keep one of two duplicate keys.
  /// `source` names where the data came from in the message.
  public static func checkSyntax(_ data: Data, source: String) throws {
    // Foundation skips a UTF-8 byte order mark, which some editors write; so does this check.
    let text = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data
    do {
      _ = try JSON.parse([UInt8](text))
    } catch let error as JSON.SyntaxError {
      throw LamError("\(source): \(error.isDuplicateKey ? error.message : "not valid JSON (\(error.message))")")
    }
  }

  /// Pretty, key-sorted JSON so files diff cleanly and are byte-identical run to run.
  public static func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(0x0A)
    return data
  }

  /// One line: the field path and what was wrong with it.
  public static func describe(_ error: DecodingError) -> String {
    func path(_ codingPath: [CodingKey]) -> String {
      JSON.fieldName(codingPath.map { key in key.intValue.map(JSON.PathComponent.index) ?? .key(key.stringValue) })
    }
    switch error {
    case .keyNotFound(let key, let context):
      let parent = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
      return "missing required field '\(key.stringValue)'\(parent)"
    case .typeMismatch(let type, let context):
      return "\(path(context.codingPath)): expected \(typeName(type))"
    case .valueNotFound(let type, let context):
      return "\(path(context.codingPath)): expected \(typeName(type)), got null"
    case .dataCorrupted(let context):
      if context.codingPath.isEmpty {
        return "not valid JSON (\(context.underlyingError.map { String(describing: $0) } ?? context.debugDescription))"
          .replacingOccurrences(of: "\n", with: " ")
      }
      return "\(path(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return String(describing: error)
    }
  }

  private static func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type, is Int64.Type, is UInt64.Type: return "an integer"
    case is Double.Type, is Float.Type: return "a number"
    case is Bool.Type: return "true or false"
    default:
      let name = String(describing: type)
      if name.hasPrefix("Array") { return "an array" }
      if name.hasPrefix("Dictionary") { return "an object" }
      return "a \(name)"
    }
  }
}

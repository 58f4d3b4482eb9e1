import Core

// Configs with a "kind" (policies, noise) accept only the keys that kind uses, so a parameter given to
// the wrong kind (say "p" for a uniform policy) is an error instead of being silently ignored.
extension Decoder {
  func rejectKeys(except allowed: [String], kind: String) throws {
    let container = try container(keyedBy: AnyCodingKey.self)
    for key in container.allKeys where !allowed.contains(key.stringValue) {
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: codingPath + [key],
          debugDescription: "unknown key '\(key.stringValue)' for kind '\(kind)' (expected one of: \(allowed.sorted().joined(separator: ", ")))"))
    }
  }

  func unknownKind(_ kind: String, key: CodingKey, expected: [String]) -> DecodingError {
    DecodingError.dataCorrupted(
      DecodingError.Context(
        codingPath: codingPath + [key],
        debugDescription: "unknown kind '\(kind)' (expected one of: \(expected.joined(separator: ", ")))"))
  }
}

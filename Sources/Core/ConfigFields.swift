/// One field of a config read from JSON: its key, and how its value goes into the config. A config's
/// `init(from:)` lists its fields once (`decoder.decode(Config(), [.field("steps", \.steps), ...])`):
/// absent keys keep the starting value's default, unknown keys are errors naming the known ones, named
/// choices (enums of strings) match ignoring case, and `required` fields must be there.
public struct ConfigField<Config> {
  let key: String
  let read: (KeyedDecodingContainer<AnyCodingKey>, AnyCodingKey, inout Config) throws -> Void

  /// A field that keeps its default when absent (an optional one stays nil).
  public static func field<T: Decodable>(_ key: String, _ path: WritableKeyPath<Config, T>) -> ConfigField {
    ConfigField(key: key) { c, k, config in config[keyPath: path] = try c.decode(k, default: config[keyPath: path]) }
  }

  /// A named choice that keeps its default when absent.
  public static func field<T: RawRepresentable & CaseIterable & Decodable>(
    _ key: String, _ path: WritableKeyPath<Config, T>
  ) -> ConfigField where T.RawValue == String {
    ConfigField(key: key) { c, k, config in config[keyPath: path] = try c.decode(k, default: config[keyPath: path]) }
  }

  /// A field the JSON must have.
  public static func required<T: Decodable>(_ key: String, _ path: WritableKeyPath<Config, T>) -> ConfigField {
    ConfigField(key: key) { c, k, config in config[keyPath: path] = try c.decode(T.self, forKey: k) }
  }

  /// A named choice the JSON must have.
  public static func required<T: RawRepresentable & CaseIterable & Decodable>(
    _ key: String, _ path: WritableKeyPath<Config, T>
  ) -> ConfigField where T.RawValue == String {
    ConfigField(key: key) { c, k, config in
      guard c.contains(k) else { _ = try c.decode(String.self, forKey: k); return }  // throws "missing required field"
      config[keyPath: path] = try c.decode(k, default: config[keyPath: path])
    }
  }
}

extension Decoder {
  /// `start` with the value of every field in `fields` that the JSON object holds read over it.
  public func decode<Config>(_ start: Config, _ fields: [ConfigField<Config>]) throws -> Config {
    try rejectUnknownKeys(fields.map(\.key))
    let c = try container(keyedBy: AnyCodingKey.self)
    var config = start
    for field in fields { try field.read(c, AnyCodingKey(field.key), &config) }
    return config
  }
}

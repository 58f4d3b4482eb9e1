import Foundation

/// One change a case makes to the restored fixture; paths are relative to the fixture folder.
public enum FuzzEdit {
  case write(String, Data)
  case remove(String)
  /// The file is replaced by an empty folder of the same name.
  case makeFolder(String)
}

/// What a case does to the fixture, and a short description of it for the reproducer.
public struct FuzzMutation {
  public var edits: [FuzzEdit]
  public var description: String
  /// The dataset episode the mutation touched, when it touched one: `lam frames` draws that episode.
  public var episode: Int?
  /// For a flag case, which edits no file: the command with the bad flag.
  public var command: [String]?

  public init(_ edits: [FuzzEdit], _ description: String, episode: Int? = nil) {
    self.edits = edits
    self.description = description
    self.episode = episode
  }
}

/// Mutations that know nothing of the format: bytes flipped, inserted, deleted, the file cut or gone.
public enum ByteMutator {
  /// Bytes that often mean something to a parser: quotes, braces, digits, signs, extremes.
  static let interestingBytes: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x22, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x2D, 0x30, 0x39, 0x0A, 0x5C]

  /// `data` changed in one random way, and what was done.
  public static func mutate(_ data: Data, _ rng: inout FuzzRandom) -> (Data, String) {
    var bytes = [UInt8](data)
    let n = bytes.count
    func position() -> Int { n == 0 ? 0 : rng.below(n) }
    switch rng.below(n == 0 ? 1 : 9) {
    case 0:
      let count = rng.int(1...24)
      bytes += (0..<count).map { _ in rng.byte() }
      return (Data(bytes), "appended \(count) random bytes")
    case 1:
      let flips = rng.int(1...8)
      for _ in 0..<flips {
        let i = position()
        bytes[i] ^= 1 << UInt8(rng.below(8))
      }
      return (Data(bytes), "flipped \(flips) bits")
    case 2:
      let at = position(), count = min(rng.int(1...16), n - at)
      let useful = rng.chance(0.5)
      for i in at..<at + count { bytes[i] = useful ? rng.pick(interestingBytes) : rng.byte() }
      return (Data(bytes), "overwrote \(count) bytes at \(at) with \(useful ? "syntax bytes" : "random bytes")")
    case 3:
      let at = rng.int(0...n), count = rng.int(1...64)
      bytes.insert(contentsOf: (0..<count).map { _ in rng.byte() }, at: at)
      return (Data(bytes), "inserted \(count) random bytes at \(at)")
    case 4:
      let at = position(), count = min(rng.int(1...64), n - at)
      bytes.removeSubrange(at..<at + count)
      return (Data(bytes), "deleted \(count) bytes at \(at)")
    case 5:
      let keep = rng.below(n)
      return (Data(bytes.prefix(keep)), "truncated to \(keep) of \(n) bytes")
    case 6:
      let from = position(), count = min(rng.int(1...256), n - from), to = rng.int(0...n)
      bytes.insert(contentsOf: bytes[from..<from + count], at: to)
      return (Data(bytes), "copied \(count) bytes from \(from) to \(to)")
    case 7:
      // A single byte set to each extreme: the smallest change a checksum or a parser must notice.
      let i = position(), value: UInt8 = rng.pick([0x00, 0xFF, 0x80, 0x7F])
      bytes[i] = value
      return (Data(bytes), "set byte \(i) to \(value)")
    default:
      return (Data(), "emptied the file")
    }
  }

  /// A byte mutation of `path`, or the file deleted or replaced by a folder.
  public static func mutateFile(_ path: String, _ data: Data, _ rng: inout FuzzRandom) -> FuzzMutation {
    switch rng.below(20) {
    case 0: return FuzzMutation([.remove(path)], "deleted \(path)")
    case 1: return FuzzMutation([.makeFolder(path)], "replaced \(path) by a folder")
    default:
      let (bytes, what) = mutate(data, &rng)
      return FuzzMutation([.write(path, bytes)], "\(path): \(what)")
    }
  }
}

/// Mutations of JSON documents as values: keys deleted, repeated or unknown, values of another type or out of
/// range, long strings, deep nesting; and textual cuts.
public enum JSONMutator {
  /// Numbers at and past the edges of the documented ranges and of the integer and float types.
  public static let numbers: [String] = [
    "-1", "0", "1", "2", "3", "5", "6", "8", "16", "255", "256", "1024", "4096", "65536", "100000000",
    "2147483648", "4294967296", "9223372036854775807", "9223372036854775808", "18446744073709551616",
    "-9223372036854775808", "-9223372036854775809", "1e20", "1e300", "-1e300", "1e400", "0.5", "-0.5", "2.5",
    "1e-320", "-0", "0.99999", "1E2", "1.0",
  ]

  /// The value `value` replaced by something of another kind or out of range.
  static func replacement(for value: FuzzJSON, _ rng: inout FuzzRandom) -> (FuzzJSON, String) {
    if case .number(let n) = value, rng.chance(0.6) {
      // Near the original: off by one, doubled, negated (indices and sizes are where the bugs live).
      if rng.chance(0.35), let v = Double(n), v.rounded() == v, abs(v) < 1e15 {
        let i = Int(v)
        let next = rng.pick([i + 1, i - 1, 2 * i, -i, i * 1000 + 7])
        return (.number(String(next)), "\(n) -> \(next)")
      }
      let m = rng.pick(numbers)
      return (.number(m), "\(n) -> \(m)")
    }
    switch rng.below(9) {
    case 0: return (.null, "null")
    case 1: return (.bool(rng.chance(0.5)), "a bool")
    case 2:
      let s = rng.pick(["", "x", "1", "NaN", "vq", "mlp", "conv", "../../x", "\u{0}", "é", "lam-checkpoint-2", "two\nlines"])
      return (.string(s), s.debugDescription)
    case 3:
      let count = rng.pick([1_000, 100_000, 1_000_000])
      return (.string(String(repeating: "a", count: count)), "a string of \(count) characters")
    case 4: return (.array([]), "[]")
    case 5: return (.object([]), "{}")
    case 6: return (.array([value, value]), "[value, value]")
    case 7:
      // A number's text is written as it is: here, arrays nested deeper than any parser should follow.
      let depth = rng.pick([100, 1_000, 100_000])
      return (.number(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)), "arrays nested \(depth) deep")
    default:
      let m = rng.pick(numbers)
      return (.number(m), m)
    }
  }

  /// `json` changed in one structural way at a random place, and what was done. `preferring` names keys
  /// whose values are picked more often (the ones deep checks depend on).
  public static func mutate(_ json: FuzzJSON, _ rng: inout FuzzRandom, preferring: [FuzzJSON.Path] = []) -> (String, String) {
    var json = json
    let paths = json.paths
    let path = !preferring.isEmpty && rng.chance(0.5) ? rng.pick(preferring) : rng.pick(paths)
    let name = json.name(of: path)
    // The object holding the value, when it is an object member: keys can be deleted or repeated there.
    let parentPath = Array(path.dropLast())
    var siblings: [FuzzJSON.Member]? = nil
    if !path.isEmpty, case .object(let members) = json[parentPath] { siblings = members }
    switch rng.below(10) {
    case 0 where siblings != nil:
      var members = siblings!
      members.remove(at: path.last!)
      json[parentPath] = .object(members)
      return (json.text, "deleted \(name)")
    case 1 where siblings != nil:
      var members = siblings!
      let i = path.last!
      let (other, what) = replacement(for: members[i].value, &rng)
      let again = rng.chance(0.5)
      members.insert(FuzzJSON.Member(members[i].key, again ? members[i].value : other), at: i + 1)
      json[parentPath] = .object(members)
      return (json.text, "repeated the key \(name) (\(again ? "same value" : what))")
    case 2:
      if case .object(var members) = json[path] {
        let key = rng.pick(["extra", "kind", "__proto__", "", "two\nlines"])
        members.append(FuzzJSON.Member(key, .number("1")))
        json[path] = .object(members)
        return (json.text, "added an unknown key \(key.debugDescription) to \(name)")
      }
    case 3:
      if case .array(var items) = json[path], !items.isEmpty {
        switch rng.below(4) {
        case 0:
          items.removeLast(rng.int(1...items.count))
          json[path] = .array(items)
          return (json.text, "shortened the array \(name) to \(items.count)")
        case 1:
          items.append(items[rng.below(items.count)])
          json[path] = .array(items)
          return (json.text, "repeated an element of \(name)")
        case 2:
          items.reverse()
          json[path] = .array(items)
          return (json.text, "reversed \(name)")
        default:
          let count = rng.pick([100, 10_000])
          json[path] = .array(Array(repeating: items[0], count: count))
          return (json.text, "made \(name) \(count) copies of its first element")
        }
      }
    default: break
    }
    let (value, what) = replacement(for: json[path], &rng)
    json[path] = value
    return (json.text, "\(name) = \(what)")
  }

  /// A JSON file mutated: mostly structurally, sometimes cut short or byte-mutated as text.
  public static func mutateFile(_ path: String, _ data: Data, _ rng: inout FuzzRandom, preferring: [[String]] = []) -> FuzzMutation {
    guard let json = FuzzJSON.parse(data), rng.chance(0.85) else {
      if rng.chance(0.4) {
        let keep = rng.below(max(1, data.count))
        return FuzzMutation([.write(path, data.prefix(keep))], "\(path): cut after \(keep) of \(data.count) bytes")
      }
      return ByteMutator.mutateFile(path, data, &rng)
    }
    let preferred = preferring.compactMap { keys in json.pathOf(keys) }
    let (text, what) = mutate(json, &rng, preferring: preferred)
    return FuzzMutation([.write(path, Data(text.utf8))], "\(path): \(what)")
  }
}

extension FuzzJSON {
  /// `path(_:)` for a list of keys.
  func pathOf(_ keys: [String]) -> Path? {
    var path: Path = []
    var value = self
    for key in keys {
      guard case .object(let members) = value, let i = members.firstIndex(where: { $0.key == key }) else { return nil }
      path.append(i)
      value = members[i].value
    }
    return path
  }
}

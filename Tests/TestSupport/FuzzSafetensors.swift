import Foundation

extension FuzzJSON {
  /// This object with the member at `keys` set to `value` (added, with any missing objects on the way).
  func setting(_ keys: [String], to value: FuzzJSON) -> FuzzJSON {
    guard let key = keys.first else { return value }
    guard case .object(var members) = self else { return self }
    if let i = members.firstIndex(where: { $0.key == key }) {
      members[i].value = members[i].value.setting(Array(keys.dropFirst()), to: value)
    } else {
      members.append(Member(key, FuzzJSON.object([]).setting(Array(keys.dropFirst()), to: value)))
    }
    return .object(members)
  }
}

/// Mutations of a run config (a `lam train --config` file, a run folder's config.json, the config embedded in
/// a checkpoint): the generic JSON ones aimed at the fields the model is built from, and models that are
/// within every range one field at a time but absurd together.
public enum RunConfigMutator {
  static let preferred: [[String]] = [
    ["model", "hidden"], ["model", "depth"], ["model", "architecture"], ["model", "channels"], ["model", "predict"],
    ["model", "encoderHidden"], ["model", "latentEmbed"],
    ["model", "bottleneck", "kind"], ["model", "bottleneck", "dz"], ["model", "bottleneck", "codes"],
    ["train", "batch"], ["train", "valFraction"], ["train", "seed"], ["train", "threads"],
    ["remedies", "labelFraction"], ["remedies", "labelMode"], ["remedies", "augment"], ["remedies", "cleanFraction"],
  ]

  /// Combinations of values: each field in range, the whole far too big or inconsistent with the frames.
  static let combinations: [(String, [([String], String)])] = [
    ("mlp hidden 65536 depth 16", [(["model", "hidden"], "65536"), (["model", "depth"], "16")]),
    ("mlp hidden 65536 depth 1", [(["model", "hidden"], "65536"), (["model", "depth"], "1")]),
    ("conv channels [4096, 4096, 4096]", [(["model", "architecture"], "\"conv\""), (["model", "channels"], "[4096, 4096, 4096]")]),
    ("conv with 4 halvings of 8-pixel frames", [(["model", "architecture"], "\"conv\""), (["model", "channels"], "[1, 1, 1, 1]")]),
    ("conv channels []", [(["model", "architecture"], "\"conv\""), (["model", "channels"], "[]")]),
    ("conv encoderHidden 65536 latentEmbed 4096", [(["model", "architecture"], "\"conv\""), (["model", "encoderHidden"], "65536"), (["model", "latentEmbed"], "4096")]),
    ("vq dz 1024 codes 4096", [(["model", "bottleneck", "kind"], "\"vq\""), (["model", "bottleneck", "dz"], "1024"), (["model", "bottleneck", "codes"], "4096")]),
    ("vq 2 codes with labelMode codes", [(["model", "bottleneck", "kind"], "\"vq\""), (["model", "bottleneck", "codes"], "2"), (["remedies", "labelMode"], "\"codes\""), (["remedies", "labelFraction"], "0.5")]),
    ("continuous with labelMode codes", [(["model", "bottleneck", "kind"], "\"continuous\""), (["remedies", "labelMode"], "\"codes\""), (["remedies", "labelFraction"], "0.5")]),
    ("batch 65536 valFraction 0.99", [(["train", "batch"], "65536"), (["train", "valFraction"], "0.99")]),
    ("cleanFraction 0.99 labelFraction 1", [(["remedies", "cleanFraction"], "0.99"), (["remedies", "labelFraction"], "1")]),
  ]

  /// `json` (a run config) mutated; the text and what was done.
  public static func mutate(_ json: FuzzJSON, _ rng: inout FuzzRandom) -> (String, String) {
    if rng.chance(0.2) {
      let (name, fields) = rng.pick(combinations)
      var result = json
      for (keys, value) in fields { result = result.setting(keys, to: FuzzJSON.parse(value)!) }
      return (result.text, name)
    }
    return JSONMutator.mutate(json, &rng, preferring: preferred.compactMap { json.pathOf($0) })
  }

  public static func mutateFile(_ path: String, _ data: Data, _ rng: inout FuzzRandom) -> FuzzMutation {
    guard let json = FuzzJSON.parse(data), rng.chance(0.85) else { return JSONMutator.mutateFile(path, data, &rng) }
    let (text, what) = mutate(json, &rng)
    return FuzzMutation([.write(path, Data(text.utf8))], "\(path): \(what)")
  }
}

/// Mutations of safetensors files (8-byte little-endian header length, a JSON header, the data buffer),
/// re-framed so the header length is right and the checks behind the framing are reached: tensor entries,
/// the metadata lam keeps there (config, frame, step, format, adam_step), and the values themselves.
public enum SafetensorsMutator {
  struct File {
    var header: FuzzJSON
    var data: Data

    init?(_ bytes: Data) {
      let b = [UInt8](bytes)
      guard b.count >= 8 else { return nil }
      var n: UInt64 = 0
      for j in 0..<8 { n |= UInt64(b[j]) << (8 * UInt64(j)) }
      guard n <= UInt64(b.count - 8), let header = FuzzJSON.parse(Data(b[8..<8 + Int(n)])) else { return nil }
      self.header = header
      data = Data(b[(8 + Int(n))...])
    }

    func encoded(headerText: String? = nil, pad: Bool = true) -> Data {
      var text = Array((headerText ?? header.text).utf8)
      if pad { text += Array(repeating: 0x20, count: (8 - text.count % 8) % 8) }
      return Data(withUnsafeBytes(of: UInt64(text.count).littleEndian, Array.init) + text) + data
    }

    /// Positions of the tensor entries among the header's members.
    var tensors: [Int] {
      guard case .object(let members) = header else { return [] }
      return members.indices.filter { members[$0].key != "__metadata__" }
    }

    var members: [FuzzJSON.Member] {
      if case .object(let m) = header { return m }
      return []
    }
  }

  static func numbers(_ values: [Int]) -> FuzzJSON { .array(values.map { .number(String($0)) }) }

  static func ints(_ json: FuzzJSON?) -> [Int] {
    guard case .array(let items)? = json else { return [] }
    return items.compactMap { $0.numberText.flatMap { Int($0) } }
  }

  /// One tensor entry changed: its shape, dtype or offsets, or an unknown field.
  static func mutateEntry(_ entry: FuzzJSON, name: String, bufferLength: Int, _ rng: inout FuzzRandom) -> (FuzzJSON, String) {
    let shape = ints(entry["shape"])
    let offsets = ints(entry["data_offsets"])
    let (b, e) = offsets.count == 2 ? (offsets[0], offsets[1]) : (0, 0)
    switch rng.below(4) {
    case 0:
      var s = shape
      let i = s.isEmpty ? 0 : rng.below(s.count)
      let (value, what): (FuzzJSON, String)
      switch rng.below(7) {
      case 0 where !s.isEmpty:
        s[i] = rng.pick([1 << 40, 1 << 62, Int.max, 65536])
        (value, what) = (numbers(s), "dim \(i) huge")
      case 1 where !s.isEmpty:
        s[i] = rng.pick([-1, 0, s[i] + 1, s[i] - 1])
        (value, what) = (numbers(s), "dim \(i) = \(s[i])")
      case 2 where s.count > 1:
        (value, what) = (numbers(s.reversed()), "dims reversed")
      case 3:
        (value, what) = (numbers(s + [1]), "an extra dim")
      case 4:
        (value, what) = (numbers([]), "a scalar")
      case 5:
        (value, what) = (.array([.number("1.5"), .string("2")]), "not integers")
      default:
        (value, what) = (.array([.number("18446744073709551616")]), "dim 2^64")
      }
      return (entry.setting(["shape"], to: value), "\(name).shape \(what)")
    case 1:
      let dtype = rng.pick(["F64", "F16", "BF16", "I64", "I32", "I8", "U8", "U16", "BOOL", "f32", "", "F8_E4M3", "C64", "F\n32"])
      let value: FuzzJSON = rng.chance(0.9) ? .string(dtype) : rng.pick([.null, .number("5"), .array([])])
      return (entry.setting(["dtype"], to: value), "\(name).dtype = \(value.text)")
    case 2:
      let options: [[Int]] = [[b, e + 4], [b + 4, e], [e, b], [b, e - 4], [-1, e], [b, bufferLength + 8], [b, e, e], [b],
                              [0, e - b], [b + 1, e + 1], [b, Int.max], [bufferLength, bufferLength + e - b]]
      let value = rng.pick(options)
      return (entry.setting(["data_offsets"], to: numbers(value)), "\(name).data_offsets = \(value)")
    default:
      return (entry.setting(["extra"], to: .number("1")), "\(name): an unknown field")
    }
  }

  /// A metadata value changed: the embedded config mutated like a run config, the frame, step, format or
  /// Adam's step edited, or a key removed or not a string.
  static func mutateMetadata(_ metadata: FuzzJSON, _ rng: inout FuzzRandom) -> (FuzzJSON, String) {
    guard case .object(var members) = metadata, !members.isEmpty else { return (metadata, "no metadata") }
    let i = rng.below(members.count)
    let key = members[i].key
    let text = members[i].value.stringValue ?? ""
    switch rng.below(10) {
    case 0:
      members.remove(at: i)
      return (.object(members), "metadata '\(key)' removed")
    case 1:
      let value: FuzzJSON = rng.pick([.null, .number("4"), .object([]), .array([])])
      members[i].value = value
      return (.object(members), "metadata '\(key)' = \(value.text) (not a string)")
    default: break
    }
    switch key {
    case "config", "frame":
      guard let json = FuzzJSON.parse(text) else { break }
      let (mutated, what) = key == "config" ? RunConfigMutator.mutate(json, &rng)
        : JSONMutator.mutate(json, &rng, preferring: ["channels", "height", "width"].compactMap { json.pathOf([$0]) })
      members[i].value = .string(mutated)
      return (.object(members), "metadata '\(key)': \(what)")
    case "step", "adam_step":
      let n = Int(text) ?? 0
      let value = rng.pick([String(n + 1), String(n - 1), "-1", "0", "2", "9223372036854775807", "9223372036854775808",
                            "1e3", "2.5", "", "abc", " \(n)", "0\(n)", "+\(n)", "\(n)\n"])
      members[i].value = .string(value)
      return (.object(members), "metadata '\(key)' \(text) -> \(value.debugDescription)")
    default:
      let value = rng.pick(["lam-checkpoint-2", "", "LAM-CHECKPOINT-1", "\(text) ", "lam-checkpoint-0", "lam\ncheckpoint"])
      members[i].value = .string(value)
      return (.object(members), "metadata '\(key)' -> \(value.debugDescription)")
    }
    members[i].value = .string("{")
    return (.object(members), "metadata '\(key)' = \"{\"")
  }

  /// Values of one tensor overwritten in the data buffer: NaN, infinities, huge and negative numbers.
  static func mutateValues(_ file: File, _ rng: inout FuzzRandom) -> (Data, String) {
    let members = file.members
    guard let t = file.tensors.isEmpty ? nil : rng.pick(file.tensors) else { return (file.data, "no tensors") }
    let entry = members[t].value
    let offsets = ints(entry["data_offsets"])
    guard offsets.count == 2, offsets[0] < offsets[1], offsets[1] <= file.data.count else { return (file.data, "no data") }
    let dtype = entry["dtype"]?.stringValue ?? "F32"
    let size = dtype == "I64" ? 8 : dtype == "F32" ? 4 : 1
    var data = [UInt8](file.data)
    let count = (offsets[1] - offsets[0]) / size
    let all = rng.chance(0.2)
    let chosen = all ? Array(0..<count) : (0..<rng.int(1...3)).map { _ in rng.below(count) }
    var what = ""
    let bytes: [UInt8]
    if dtype == "I64" {
      let v: Int64 = rng.pick([-1, 0, .max, .min, 1 << 40])
      bytes = withUnsafeBytes(of: v.littleEndian, Array.init)
      what = String(v)
    } else if dtype == "F32" {
      let v: Float = rng.pick([.nan, .infinity, -.infinity, -1, 1e38, -1e38, 0, .signalingNaN])
      bytes = withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init)
      what = "\(v)"
    } else {
      bytes = [rng.byte()]
      what = String(bytes[0])
    }
    for element in chosen {
      let at = offsets[0] + element * size
      data.replaceSubrange(at..<at + size, with: bytes)
    }
    return (Data(data), "\(members[t].key)\(all ? " every element" : " \(chosen.count) elements") = \(what)")
  }

  /// `data` (a safetensors file) mutated; nil if it is not one.
  public static func mutate(_ data: Data, _ rng: inout FuzzRandom) -> (Data, String)? {
    guard var file = File(data) else { return nil }
    var members = file.members
    let tensors = file.tensors
    switch rng.below(14) {
    case 0...3:
      if let m = members.firstIndex(where: { $0.key == "__metadata__" }) {
        let (metadata, what) = mutateMetadata(members[m].value, &rng)
        members[m].value = metadata
        file.header = .object(members)
        return (file.encoded(), what)
      }
    case 4...6 where !tensors.isEmpty:
      let t = rng.pick(tensors)
      let (entry, what) = mutateEntry(members[t].value, name: members[t].key, bufferLength: file.data.count, &rng)
      members[t].value = entry
      file.header = .object(members)
      return (file.encoded(), what)
    case 7 where !tensors.isEmpty:
      let t = rng.pick(tensors)
      let name = members[t].key
      switch rng.below(4) {
      case 0:
        members.insert(members[t], at: t + 1)
        file.header = .object(members)
        return (file.encoded(), "tensor '\(name)' listed twice")
      case 1:
        members.remove(at: t)
        file.header = .object(members)
        return (file.encoded(), "tensor '\(name)' removed (a hole in the buffer)")
      case 2:
        members[t].key = rng.pick(["idm.fc9.weight", "vq.codebook", "action_head.weight", "adam.m.99", "", "step", "idm.fc1.weight\nx"])
        file.header = .object(members)
        return (file.encoded(), "tensor '\(name)' renamed '\(members[t].key)'")
      default:
        let end = file.data.count
        members.append(FuzzJSON.Member("extra.weight", .object([
          FuzzJSON.Member("dtype", .string("F32")), FuzzJSON.Member("shape", numbers([0])),
          FuzzJSON.Member("data_offsets", numbers([end, end])),
        ])))
        file.header = .object(members)
        return (file.encoded(), "an empty tensor 'extra.weight' added")
      }
    case 8:
      let whole = file.encoded()
      let n = whole.count - 8 - file.data.count
      let length = rng.pick([UInt64(n + 1), UInt64(max(0, n - 1)), UInt64(n + 8), 0, 1 << 63, UInt64(whole.count), UInt64.max])
      var bytes = [UInt8](whole)
      bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: length.littleEndian, Array.init))
      return (Data(bytes), "header length \(n) -> \(length)")
    case 9:
      // Header bytes mutated as text, with the length fixed up: the JSON parser sees the damage.
      let (text, what) = ByteMutator.mutate(Data(file.header.text.utf8), &rng)
      return (file.encoded(headerText: String(decoding: text, as: UTF8.self), pad: rng.chance(0.5)), "header text \(what)")
    case 10:
      let nested = rng.pick([65, 1000, 100_000])
      let text = String(file.header.text.dropLast()) + ",\"deep\":" + String(repeating: "[", count: nested) + String(repeating: "]", count: nested) + "}"
      return (file.encoded(headerText: text), "header with an array nested \(nested) deep")
    default:
      let (values, what) = mutateValues(file, &rng)
      file.data = values
      return (file.encoded(), "values \(what)")
    }
    let (values, what) = mutateValues(file, &rng)
    file.data = values
    return (file.encoded(), "values \(what)")
  }
}

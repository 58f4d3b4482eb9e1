import Foundation

/// Mutations of NumPy .npy files (format 1.0: magic, version, a 2-byte header length, a Python dict
/// literal padded to 64 bytes, then the data), made with the header length fixed up so the reader gets
/// past the framing to the checks of shape, type and values.
public enum NPYMutator {
  /// A .npy file split into its header text (without padding) and its data bytes.
  struct File {
    var header: String
    var data: Data

    init?(_ bytes: Data) {
      let b = [UInt8](bytes)
      guard b.count >= 10, b[0] == 0x93, b[6] == 1 else { return nil }
      let length = Int(b[8]) | Int(b[9]) << 8
      guard 10 + length <= b.count else { return nil }
      header = String(decoding: b[10..<10 + length], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      data = Data(b[(10 + length)...])
    }

    /// The file's bytes: the header padded with spaces and a newline to a multiple of 64, as NumPy writes it.
    /// `version` 2 writes a 4-byte header length (a valid file of another format version).
    func encoded(version: UInt8 = 1) -> Data {
      let fixed = version == 1 ? 10 : 12
      var text = Array(header.utf8)
      let padding = (64 - (fixed + text.count + 1) % 64) % 64
      text += Array(repeating: 0x20, count: padding) + [0x0A]
      var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
      let length = text.count
      out += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF)]
        : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
      return Data(out + text) + data
    }

    var shape: [Int] {
      guard let range = header.range(of: #"'shape': \(([^)]*)\)"#, options: .regularExpression) else { return [] }
      return header[range].dropFirst(10).dropLast().split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    var descr: String {
      guard let range = header.range(of: #"'descr': '[^']*'"#, options: .regularExpression) else { return "" }
      return String(header[range].dropFirst(10).dropLast())
    }
  }

  static func tuple(_ dims: [String]) -> String {
    dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
  }

  /// A shape that is not the file's: a dimension huge, negative or zero, one more or one fewer, the dims
  /// permuted (same element count), or not a tuple of integers.
  static func otherShape(_ shape: [Int], _ rng: inout FuzzRandom) -> (String, String) {
    var dims = shape.map(String.init)
    let i = dims.isEmpty ? 0 : rng.below(dims.count)
    switch rng.below(9) {
    case 0 where !dims.isEmpty:
      dims[i] = rng.pick(["1099511627776", "4611686018427387904", "9223372036854775807", "9223372036854775808",
                          "100000000000000000000", "4294967296"])
      return (tuple(dims), "dim \(i) huge")
    case 1 where !dims.isEmpty:
      dims[i] = rng.pick(["-1", "-6", "-9223372036854775808"])
      return (tuple(dims), "dim \(i) negative")
    case 2 where !dims.isEmpty:
      dims[i] = "0"
      return (tuple(dims), "dim \(i) zero")
    case 3 where !dims.isEmpty:
      dims[i] = String(shape[i] + rng.pick([1, -1]))
      return (tuple(dims), "dim \(i) off by one")
    case 4:
      dims.append(rng.pick(["1", "2"]))
      return (tuple(dims), "an extra dim")
    case 5 where dims.count > 1:
      dims.remove(at: i)
      return (tuple(dims), "a dim dropped")
    case 6 where dims.count > 1:
      // The same element count in another layout: only a shape check can notice.
      dims.reverse()
      return (tuple(dims), "dims reversed")
    case 7 where dims.count > 1:
      let merged = shape[0] * shape[1]
      return (tuple([String(merged)] + dims.dropFirst(2)), "first two dims merged")
    default:
      let odd = rng.pick(["()", "[6, 4]", "(6.5, 4)", "(None,)", "(6,, 4)", "('6', 4)", "(6, 4", "6", "(+6, 4)", "(0x6, 4)"])
      return (odd, "not a tuple of integers: \(odd)")
    }
  }

  /// The header text changed in one way, and what was done.
  static func mutateHeader(_ file: File, _ rng: inout FuzzRandom) -> (String, String) {
    var header = file.header
    let descr = file.descr
    let shape = file.shape
    func replacing(_ pattern: String, with text: String) -> String {
      guard let range = header.range(of: pattern, options: .regularExpression) else { return header }
      var h = header
      h.replaceSubrange(range, with: text)
      return h
    }
    switch rng.below(8) {
    case 0, 1, 2:
      let (tuple, what) = otherShape(shape, &rng)
      header = replacing(#"'shape': \([^)]*\)"#, with: "'shape': \(tuple)")
      return (header, "shape \(what)")
    case 3:
      let other = rng.pick(["<i4", ">i8", "|u1", "<u8", "<f4", "<f8", "|b1", "<i2", "<f2", "|O", "int64", "", "<c8", "|S8", "<M8[s]", "|V8", "<U1", "<i8\n"]
        .filter { $0 != descr })
      header = replacing(#"'descr': '[^']*'"#, with: "'descr': '\(other)'")
      return (header, "descr '\(descr)' -> '\(other)'")
    case 4:
      let value = rng.pick(["True", "1", "'False'", "None"])
      header = replacing(#"'fortran_order': [A-Za-z]+"#, with: "'fortran_order': \(value)")
      return (header, "fortran_order \(value)")
    case 5:
      let key = rng.pick(["'descr': '|u1', ", "'shape': (1,), ", "'fortran_order': False, ", "'extra': 1, "])
      header = "{" + key + header.dropFirst()
      return (header, "key added in front: \(key)")
    case 6:
      // Drop one key, or the three in another order (valid: a reader must not depend on the order).
      let entries = ["'descr': '\(descr)'", "'fortran_order': False", "'shape': \(tuple(shape.map(String.init)))"]
      if rng.chance(0.5) {
        let drop = rng.below(3)
        header = "{" + entries.enumerated().filter { $0.offset != drop }.map(\.element).joined(separator: ", ") + ", }"
        return (header, "key \(entries[drop].prefix { $0 != ":" }) missing")
      }
      header = "{" + entries.reversed().joined(separator: ", ") + "}"
      return (header, "keys reordered")
    default:
      let odd = rng.pick(["{}", "", "[]", "{'descr': '\(descr)'", "{'descr': '\(descr)', 'fortran_order': False, 'shape': ((((((((((((((((((((((((((((((((1,),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),), }", String(repeating: "{", count: 10_000)])
      return (odd, "header replaced by \(odd.prefix(40))")
    }
  }

  /// Values at and past the edges of each element type (the arrays' dtypes in a dataset).
  static func value(descr: String, _ rng: inout FuzzRandom) -> (bytes: [UInt8], text: String) {
    switch descr {
    case "<i8":
      let v: Int64 = rng.pick([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 63, 64, 255, 256, -2, -5, 2_147_483_648,
                               4_294_967_296, 1 << 53, .max, .min, .max - 1])
      return (withUnsafeBytes(of: v.littleEndian, Array.init), String(v))
    case "<f4":
      let v: Float = rng.pick([.nan, -.nan, .signalingNaN, .infinity, -.infinity, -1, 2, 1e38, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.5, 1])
      return (withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init), "\(v)")
    case "|b1":
      let v: UInt8 = rng.pick([2, 255, 128, 1, 0])
      return ([v], String(v))
    default:
      let random = rng.byte()
      let v = rng.pick([0, 255, 1, 128, random])
      return ([v], String(v))
    }
  }

  /// Element values rewritten inside the data: a few elements, or every element of one episode.
  /// Returns the new data, a description and the episode touched.
  static func mutateValues(_ file: File, _ rng: inout FuzzRandom) -> (Data, String, Int?) {
    let size = ["<i8": 8, "<f4": 4].first { $0.key == file.descr }?.value ?? 1
    let count = file.data.count / size
    guard count > 0 else { return (file.data, "no elements to change", nil) }
    let perEpisode = max(1, count / max(1, file.shape.first ?? 1))
    var data = [UInt8](file.data)
    var changes: [String] = []
    var episode: Int? = nil
    let all = rng.chance(0.15)
    let targets: [Int]
    if all {
      let e = rng.below(max(1, count / perEpisode))
      targets = Array(e * perEpisode..<min(count, (e + 1) * perEpisode))
      changes.append("all of episode \(e)")
    } else {
      targets = (0..<rng.int(1...3)).map { _ in rng.below(count) }
    }
    let shared = value(descr: file.descr, &rng)
    for element in targets {
      let v = all ? shared : value(descr: file.descr, &rng)
      data.replaceSubrange(element * size..<(element + 1) * size, with: v.bytes)
      if !all { changes.append("[\(element)] = \(v.text)") }
      episode = episode ?? element / perEpisode
    }
    if all { changes.append("= \(shared.text)") }
    return (Data(data), changes.joined(separator: ", "), episode)
  }

  /// `data` (a .npy file) mutated in its header, its framing or its values; nil if it is not a .npy file.
  public static func mutate(_ data: Data, _ rng: inout FuzzRandom) -> (Data, String, Int?)? {
    guard var file = File(data) else { return nil }
    switch rng.below(10) {
    case 0...4:
      let (values, what, episode) = mutateValues(file, &rng)
      file.data = values
      return (file.encoded(), "values \(what)", episode)
    case 5...7:
      let (header, what) = mutateHeader(file, &rng)
      file.header = header
      return (file.encoded(), "header \(what)", nil)
    case 8:
      // Data cut or grown by whole elements: the shape no longer matches the byte count.
      var d = [UInt8](file.data)
      if rng.chance(0.5), !d.isEmpty {
        let cut = rng.int(1...d.count)
        d.removeLast(cut)
        file.data = Data(d)
        return (file.encoded(), "data \(cut) bytes short", nil)
      }
      let extra = rng.pick([1, 8, 64, 1000])
      file.data = Data(d + Array(repeating: 0, count: extra))
      return (file.encoded(), "data \(extra) bytes long", nil)
    default:
      return (file.encoded(version: rng.pick([2, 3])), "written as format version 2/3 (4-byte header length)", nil)
    }
  }
}

import Core
import Foundation

/// An element type that can be stored in a NumPy `.npy` file.
public protocol NPYScalar {
  /// NumPy's dtype string for this type, as `np.save` writes it (`'<f4'`, `'|u1'`, ...).
  static var npyDescr: String { get }
  /// A readable name for messages (`float32`, `uint8`, ...).
  static var npyName: String { get }
}

extension UInt8: NPYScalar {
  public static var npyDescr: String { "|u1" }
  public static var npyName: String { "uint8" }
}

extension Bool: NPYScalar {
  public static var npyDescr: String { "|b1" }
  public static var npyName: String { "bool" }
}

extension Int64: NPYScalar {
  public static var npyDescr: String { "<i8" }
  public static var npyName: String { "int64" }
}

// Int is 64 bits on every platform Swift builds this package for, so it is stored as int64.
extension Int: NPYScalar {
  public static var npyDescr: String { "<i8" }
  public static var npyName: String { "int64" }
}

extension Float: NPYScalar {
  public static var npyDescr: String { "<f4" }
  public static var npyName: String { "float32" }
}

/// NumPy's `.npy` format, version 1.0: what `np.save` writes and `np.load` reads.
///
/// Layout: the magic `\x93NUMPY`, the version bytes 1 and 0, the header length as a little-endian u16,
/// then the header: an ASCII Python dict `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`,
/// padded with spaces and ended by `\n` so that magic + version + length + header is a multiple of 64
/// bytes; then the raw little-endian data in C order. The padding follows `np.save` exactly (it also
/// reserves room for the first axis to grow to 21 digits), so our files are byte-identical to NumPy's.
public enum NPY {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
  static let alignment = 64
  static let growthAxisDigits = 21

  /// The header (magic through the final newline) for an array of `descr` and `shape`.
  public static func header(descr: String, shape: [Int]) -> [UInt8] {
    let shapeText: String
    switch shape.count {
    case 0: shapeText = "()"
    case 1: shapeText = "(\(shape[0]),)"
    default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
    var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    if let first = shape.first {
      dict += String(repeating: " ", count: max(0, growthAxisDigits - String(first).count))
    }
    let prefixLength = magic.count + 2 + 2
    let textLength = dict.utf8.count + 1  // + the final newline
    let padding = alignment - (prefixLength + textLength) % alignment
    let headerLength = textLength + padding
    precondition(headerLength <= Int(UInt16.max), "npy header too long for format 1.0")
    var bytes = magic
    bytes += [1, 0, UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
    bytes += Array(dict.utf8)
    bytes += [UInt8](repeating: 0x20, count: padding)
    bytes.append(0x0A)
    return bytes
  }

  /// A complete `.npy` file for `values` laid out in C order with `shape`.
  public static func encode<T: NPYScalar>(_ values: [T], shape: [Int]) -> Data {
    precondition(shape.reduce(1, *) == values.count, "npy shape \(shape) does not hold \(values.count) values")
    var data = Data(header(descr: T.npyDescr, shape: shape))
    values.withUnsafeBytes { data.append(contentsOf: $0) }
    return data
  }

  /// Writes `values` with `shape` to `path` (atomically: a temporary file renamed into place).
  public static func write<T: NPYScalar>(_ values: [T], shape: [Int], to path: String) throws {
    try Files.writeAtomically(encode(values, shape: shape), to: path)
  }

  /// Writes `values` as a `.npy` file at `path` straight from the array's memory (no copy, no temporary
  /// file: for files inside a staging folder) and returns the file's `ContentHash`.
  static func writeInPlace<T: NPYScalar>(_ values: [T], shape: [Int], to path: String) throws -> UInt64 {
    precondition(shape.reduce(1, *) == values.count, "npy shape \(shape) does not hold \(values.count) values")
    let head = header(descr: T.npyDescr, shape: shape)
    var sum = ContentHash.Sum()
    head.withUnsafeBytes { sum.add($0) }
    values.withUnsafeBytes { sum.add($0) }
    guard FileManager.default.createFile(atPath: path, contents: Data(head)),
      let handle = FileHandle(forWritingAtPath: path)
    else { throw LamError("\(path): cannot create the file") }
    defer { try? handle.close() }
    do {
      try handle.seekToEnd()
      try values.withUnsafeBytes { raw in
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none))
      }
    } catch {
      throw LamError("\(path): cannot write (disk full?)")
    }
    return sum.value
  }

  /// Reads the `.npy` file at `path`, which must hold `T` values; returns them with the array's shape.
  public static func read<T: NPYScalar>(_ type: T.Type, from path: String) throws -> (values: [T], shape: [Int]) {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw LamError("\(path): cannot read the file (\(FileManager.default.fileExists(atPath: path) ? "not readable" : "missing"))")
    }
    return try decode(type, from: data, source: path)
  }

  /// Decodes a complete `.npy` file held in `data`; `source` names it in error messages.
  public static func decode<T: NPYScalar>(_ type: T.Type, from data: Data, source: String) throws -> (values: [T], shape: [Int]) {
    let (descr, shape, offset) = try parseHeader(data, source: source)
    guard descr == T.npyDescr else {
      throw LamError("\(source): expected dtype \(T.npyName) ('\(T.npyDescr)'), found '\(descr)'")
    }
    let count = shape.reduce(1, *)
    let expectedBytes = count * MemoryLayout<T>.stride
    let found = data.count - offset
    guard found == expectedBytes else {
      let what = found < expectedBytes ? "truncated" : "has trailing bytes"
      throw LamError("\(source): \(what): shape \(shapeString(shape)) needs \(expectedBytes) data bytes, found \(found)")
    }
    if T.self == Bool.self {
      // Any byte but 0 or 1 is not a valid Swift Bool, so check before reinterpreting.
      if let bad = data[(data.startIndex + offset)...].firstIndex(where: { $0 > 1 }) {
        throw LamError("\(source): bool array holds the byte \(data[bad]) at data offset \(bad - data.startIndex - offset) (expected 0 or 1)")
      }
    }
    let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      data.withUnsafeBytes { raw in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + expectedBytes)]))
      }
      initialized = count
    }
    return (values, shape)
  }

  /// Parses the header of a `.npy` file (versions 1.0, 2.0 and 3.0): its dtype, shape and data offset.
  public static func parseHeader(_ data: Data, source: String) throws -> (descr: String, shape: [Int], dataOffset: Int) {
    let bytes = [UInt8](data.prefix(12))
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw LamError("\(source): not a .npy file (missing the \\x93NUMPY magic)")
    }
    let major = bytes[6]
    let headerLength: Int
    let start: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      start = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw LamError("\(source): truncated .npy header") }
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      start = 12
    default:
      throw LamError("\(source): unsupported .npy format version \(major).\(bytes[7])")
    }
    guard data.count >= start + headerLength else {
      throw LamError("\(source): truncated .npy header (needs \(start + headerLength) bytes, file has \(data.count))")
    }
    let text = String(decoding: data[(data.startIndex + start)..<(data.startIndex + start + headerLength)], as: UTF8.self)
    guard let descr = quotedValue(of: "descr", in: text) else {
      throw LamError("\(source): .npy header has no 'descr' entry")
    }
    guard let fortran = rawValue(of: "fortran_order", in: text), fortran.hasPrefix("False") || fortran.hasPrefix("True") else {
      throw LamError("\(source): .npy header has no 'fortran_order' entry")
    }
    guard fortran.hasPrefix("False") else {
      throw LamError("\(source): Fortran-ordered arrays are not supported (expected fortran_order False)")
    }
    guard let shapeText = rawValue(of: "shape", in: text), shapeText.hasPrefix("("),
      let close = shapeText.firstIndex(of: ")")
    else {
      throw LamError("\(source): .npy header has no 'shape' entry")
    }
    var shape: [Int] = []
    for part in shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",") {
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { continue }
      guard let n = Int(trimmed), n >= 0 else {
        throw LamError("\(source): .npy header has a bad shape \(shapeText[...close])")
      }
      shape.append(n)
    }
    return (descr, shape, start + headerLength)
  }

  /// `(2, 3)` for [2, 3], as NumPy prints a shape.
  public static func shapeString(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  }

  // The text after `'key':`, with leading spaces removed.
  private static func rawValue(of key: String, in text: String) -> Substring? {
    for quote in ["'", "\""] {
      if let range = text.range(of: "\(quote)\(key)\(quote)") {
        var rest = text[range.upperBound...].drop(while: { $0 == " " })
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop(while: { $0 == " " })
        return rest
      }
    }
    return nil
  }

  // The string value of `'key': '...'`.
  private static func quotedValue(of key: String, in text: String) -> String? {
    guard let rest = rawValue(of: key, in: text), let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
    let body = rest.dropFirst()
    guard let end = body.firstIndex(of: quote) else { return nil }
    return String(body[..<end])
  }
}

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

  /// Whether `bytes` begin like a .npy file (its magic string).
  public static func hasMagic(_ bytes: Data) -> Bool { bytes.starts(with: magic) }

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
  /// file: for files inside a staging folder) and returns the file's SHA-256 as hex, hashed from memory.
  static func writeInPlace<T: NPYScalar>(_ values: [T], shape: [Int], to path: String) throws -> String {
    precondition(shape.reduce(1, *) == values.count, "npy shape \(shape) does not hold \(values.count) values")
    let writer = try NPYFileWriter(path: path, descr: T.npyDescr, shape: shape, dataBytes: values.count * MemoryLayout<T>.stride)
    try values.withUnsafeBytes { try writer.append($0) }
    return try writer.finish()
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
    let stride = MemoryLayout<T>.stride
    guard let expectedBytes = byteCount(shape, itemSize: stride) else {
      throw LamError("\(source): shape \(shapeString(shape)) of \(T.npyName) needs more bytes than fit in memory")
    }
    let count = expectedBytes / stride
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
  ///
  /// As strict as NumPy's reader: the header must be a Python dict literal with exactly the keys 'descr',
  /// 'fortran_order' and 'shape' (see `HeaderParser`), and the shape's element count must fit in an Int.
  /// Every problem is a one-line `LamError`; nothing here traps or allocates by what the file claims.
  /// `data` may be the file's first bytes only, with `fileSize` the whole file's size.
  public static func parseHeader(_ data: Data, fileSize: Int? = nil, source: String) throws -> (descr: String, shape: [Int], dataOffset: Int) {
    let prefix = [UInt8](data.prefix(12))
    guard prefix.starts(with: magic) else {
      throw LamError("\(source): not a .npy file (missing the \\x93NUMPY magic)")
    }
    guard prefix.count >= 8 else { throw LamError("\(source): truncated .npy header (the file ends inside the version)") }
    let (major, minor) = (prefix[6], prefix[7])
    guard (1...3).contains(major), minor == 0 else {
      throw LamError("\(source): unsupported .npy format version \(major).\(minor) (expected 1.0, 2.0 or 3.0)")
    }
    // The header length is a little-endian u16 in version 1.0 and a u32 since 2.0.
    let start = major == 1 ? 10 : 12
    guard prefix.count >= start else {
      throw LamError("\(source): truncated .npy header (the file ends inside the header length)")
    }
    let headerLength = prefix[8..<start].reversed().reduce(0) { $0 << 8 | Int($1) }
    let size = fileSize ?? data.count
    guard size - start >= headerLength else {
      throw LamError("\(source): truncated .npy header (needs \(start + headerLength) bytes, file has \(size))")
    }
    guard data.count - start >= headerLength else {
      throw LamError("\(source): .npy header of \(headerLength) bytes is longer than lam reads (at most \(data.count - start))")
    }
    let text = [UInt8](data.dropFirst(start).prefix(headerLength))
    // Versions 1.0 and 2.0 are latin-1, 3.0 is UTF-8. The dict's syntax is ASCII and so is every dtype we
    // read, so a latin-1 byte >= 0x80 can only be an error; UTF-8 is checked whole, as NumPy decodes it.
    if major < 3, let i = text.firstIndex(where: { $0 >= 0x80 }) {
      throw LamError("\(source): .npy header: byte \(hex(text[i])) at header byte \(i) is not ASCII (expected a Python dict in ASCII)")
    }
    if major == 3, String(validating: text, as: UTF8.self) == nil {
      throw LamError("\(source): .npy header: not valid UTF-8 (a version 3.0 header is UTF-8)")
    }
    var parser = HeaderParser(text: text, source: source)
    let (descr, fortranOrder, shape) = try parser.parse()
    guard !fortranOrder else {
      throw LamError("\(source): Fortran-ordered arrays are not supported (expected fortran_order False)")
    }
    guard byteCount(shape, itemSize: 1) != nil else {
      throw LamError("\(source): shape \(shapeString(shape)) holds more elements than fit in memory")
    }
    return (descr, shape, start + headerLength)
  }

  /// `itemSize` times the product of `shape`'s dimensions, or nil if that overflows an Int. As in NumPy,
  /// the non-zero dimensions must multiply without overflow even when another one is 0.
  private static func byteCount(_ shape: [Int], itemSize: Int) -> Int? {
    var bytes = itemSize
    for dim in shape where dim != 0 {
      let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
      if overflow { return nil }
      bytes = product
    }
    return shape.contains(0) ? 0 : bytes
  }

  /// `(2, 3)` for [2, 3], as NumPy prints a shape.
  public static func shapeString(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  }

  fileprivate static func hex(_ byte: UInt8) -> String { String(format: "0x%02X", byte) }
}

/// A recursive-descent parser for the `.npy` header: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
/// then spaces and a newline. NumPy reads it with Python's `ast.literal_eval` and then demands exactly these
/// three keys; this accepts the part of Python's syntax such a dict can use: single- or double-quoted strings
/// (no escapes), `True`/`False`, tuples of non-negative decimal integers, and spaces between tokens.
private struct HeaderParser {
  static let keys = ["descr", "fortran_order", "shape"]
  static let maxDimensions = 64  // NumPy 2's NPY_MAXDIMS
  static let expectedKeys = "expected each of 'descr', 'fortran_order', 'shape' once"

  enum Value { case string(String), bool(Bool), tuple([Int]) }

  let text: [UInt8]
  let source: String
  var at = 0

  mutating func parse() throws -> (descr: String, fortranOrder: Bool, shape: [Int]) {
    guard take("{") else { throw unexpected("'{' opening the header dict") }
    var entries: [String: Value] = [:]
    while !take("}") {
      let key = try string(expected: "a quoted key or the closing '}'")
      guard Self.keys.contains(key) else { throw fail("unknown key '\(key)' (\(Self.expectedKeys))") }
      guard entries[key] == nil else { throw fail("the key '\(key)' appears twice (\(Self.expectedKeys))") }
      guard take(":") else { throw unexpected("':' after the key '\(key)'") }
      entries[key] = try value()
      guard take(",") || next == "}" else { throw unexpected("',' or '}' after the value of '\(key)'") }
    }
    skipSpaces()
    if next == "\n" { at += 1 }
    guard at == text.count else { throw unexpected("only spaces and a final newline after the closing '}'") }
    if let missing = Self.keys.first(where: { entries[$0] == nil }) {
      throw fail("the key '\(missing)' is missing (\(Self.expectedKeys))")
    }
    guard case .string(let descr) = entries["descr"] else {
      throw fail("'descr' must be a quoted dtype string such as '<f4'")
    }
    guard case .bool(let fortranOrder) = entries["fortran_order"] else {
      throw fail("'fortran_order' must be True or False")
    }
    guard case .tuple(let shape) = entries["shape"] else {
      throw fail("'shape' must be a tuple of non-negative integers such as (2, 3) or (3,)")
    }
    return (descr, fortranOrder, shape)
  }

  mutating func value() throws -> Value {
    skipSpaces()
    switch next {
    case "'", "\"": return .string(try string(expected: "a string"))
    case "(": return .tuple(try tuple())
    case let c? where c.isASCII && Character(c).isLetter:
      let start = at
      while let c = next, c.isASCII, Character(c).isLetter { at += 1 }
      switch String(decoding: text[start..<at], as: UTF8.self) {
      case "True": return .bool(true)
      case "False": return .bool(false)
      case let name: throw fail("unexpected name '\(name)' at header byte \(start) (expected True or False)")
      }
    default: throw unexpected("a value (a quoted string, True, False or a tuple)")
    }
  }

  /// A single- or double-quoted string.
  mutating func string(expected: String) throws -> String {
    skipSpaces()
    guard let quote = next, quote == "'" || quote == "\"" else { throw unexpected(expected) }
    let start = at + 1
    guard let end = text[start...].firstIndex(where: { $0 == UInt8(ascii: quote) || $0 == UInt8(ascii: "\\") }) else {
      throw fail("the string at header byte \(at) is never closed")
    }
    guard text[end] == UInt8(ascii: quote) else {
      throw fail("backslash at header byte \(end) (escapes in header strings are not supported)")
    }
    let body = String(decoding: text[start..<end], as: UTF8.self)
    // A line break ends a Python string too soon; control characters belong in no key or dtype (nor in messages).
    let bad: [Unicode.GeneralCategory] = [.control, .lineSeparator, .paragraphSeparator]
    guard !body.unicodeScalars.contains(where: { bad.contains($0.properties.generalCategory) }) else {
      throw fail("control character or line break in the string at header byte \(at)")
    }
    at = end + 1
    return body
  }

  /// `()`, `(3,)`, `(2, 3)` or `(2, 3,)`.
  mutating func tuple() throws -> [Int] {
    at += 1  // the '('
    var items: [Int] = []
    var endsWithComma = false
    while !take(")") {
      guard items.count < Self.maxDimensions else {
        throw fail("a tuple of more than \(Self.maxDimensions) items (NumPy arrays have at most \(Self.maxDimensions) dimensions)")
      }
      items.append(try dimension())
      endsWithComma = take(",")
      guard endsWithComma || next == ")" else { throw unexpected("',' or ')' in the tuple") }
    }
    // In Python `(3)` is the integer 3; only `(3,)` is a one-element tuple.
    guard items.count != 1 || endsWithComma else {
      throw fail("(\(items[0])) is the integer \(items[0]), not a tuple (expected (\(items[0]),))")
    }
    return items
  }

  /// A non-negative decimal integer literal that fits in an Int.
  mutating func dimension() throws -> Int {
    skipSpaces()
    let start = at
    while let c = next, ("0"..."9").contains(c) { at += 1 }
    guard at > start else { throw unexpected("a non-negative integer dimension") }
    let digits = text[start..<at]
    // Python rejects `012` but allows `0` and `00`.
    guard digits.first != UInt8(ascii: "0") || digits.allSatisfy({ $0 == UInt8(ascii: "0") }) else {
      throw fail("the dimension at header byte \(start) has a leading zero (not a Python integer)")
    }
    guard let dim = Int(String(decoding: digits, as: UTF8.self)) else {
      let shown = String(decoding: digits.prefix(40), as: UTF8.self) + (digits.count > 40 ? "..." : "")
      throw fail("the dimension \(shown) does not fit in a 64-bit integer")
    }
    return dim
  }

  var next: Unicode.Scalar? { at < text.count ? Unicode.Scalar(text[at]) : nil }

  mutating func skipSpaces() { while next == " " { at += 1 } }

  /// Skips spaces, then consumes `char` if it comes next.
  mutating func take(_ char: Unicode.Scalar) -> Bool {
    skipSpaces()
    guard next == char else { return false }
    at += 1
    return true
  }

  func fail(_ what: String) -> LamError { LamError("\(source): .npy header: \(what)") }

  /// "expected <what>, found <the next byte>".
  func unexpected(_ expected: String) -> LamError {
    let found: String
    switch next {
    case nil: found = "the end of the header"
    case let c? where (0x21...0x7E).contains(c.value): found = "'\(c)' at header byte \(at)"
    case let c?: found = "byte \(NPY.hex(UInt8(c.value))) at header byte \(at)"
    }
    return fail("expected \(expected), found \(found)")
  }
}

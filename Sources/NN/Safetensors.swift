import Core
import Foundation

/// The safetensors file format (huggingface/safetensors), read and written exactly as the reference
/// implementation does (see docs/checkpoint-format.md):
///
///     [8 bytes]  N, the header length, unsigned little-endian
///     [N bytes]  UTF-8 JSON: {"__metadata__": {string: string}, NAME: {"dtype": "F32",
///                "shape": [..], "data_offsets": [BEGIN, END]}, ...}, padded with spaces to a multiple of 8
///     [rest]     the data buffer; offsets count from its start, tensors cover it exactly
///
/// Reading treats the file as hostile: every number in the header is checked before it is used, and
/// every problem is a one-line `LamError` naming the file and the tensor or field.
public enum Safetensors {
  /// The largest header accepted, as in the reference implementation (it guards against parsing
  /// absurdly large JSON).
  public static let maxHeaderLength = 100_000_000

  /// The header key reserved for the string-to-string metadata map.
  public static let metadataKey = "__metadata__"

  // MARK: - Writing

  /// The file's bytes. Tensors are laid out by descending alignment (8-byte types, then 4, then 1)
  /// and by name within one type, like the reference writer, so the same tensors always give the
  /// same bytes, whatever order they are passed in. Throws on a repeated or reserved name.
  public static func encode(_ tensors: [StoredTensor], metadata: [String: String] = [:]) throws -> Data {
    var names = Set<String>()
    for tensor in tensors {
      guard tensor.name != metadataKey else { throw LamError("'\(metadataKey)' is reserved and cannot name a tensor") }
      guard names.insert(tensor.name).inserted else { throw LamError("the tensor name '\(tensor.name)' appears twice") }
    }
    let ordered = tensors.sorted { a, b in
      if a.dtype.referenceRank != b.dtype.referenceRank { return a.dtype.referenceRank > b.dtype.referenceRank }
      return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }

    var header: [UInt8] = Array("{".utf8)
    var first = true
    func key(_ name: String) {
      if !first { header.append(UInt8(ascii: ",")) }
      first = false
      header += JSON.quoted(name) + Array(":".utf8)
    }
    if !metadata.isEmpty {
      key(metadataKey)
      let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
      header += Array("{".utf8)
      for (i, pair) in pairs.enumerated() {
        if i > 0 { header.append(UInt8(ascii: ",")) }
        header += JSON.quoted(pair.key) + Array(":".utf8) + JSON.quoted(pair.value)
      }
      header += Array("}".utf8)
    }
    var offset = 0
    for tensor in ordered {
      key(tensor.name)
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      let end = offset + tensor.bytes.count
      header += Array(#"{"dtype":"\#(tensor.dtype.rawValue)","shape":[\#(shape)],"data_offsets":[\#(offset),\#(end)]}"#.utf8)
      offset = end
    }
    header += Array("}".utf8)
    // Spaces (still valid JSON) pad the header so the data buffer starts 8-byte aligned.
    header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

    var file: [UInt8] = []
    file.reserveCapacity(8 + header.count + offset)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { file += $0 }
    file += header
    for tensor in ordered { file += tensor.bytes }
    return Data(file)
  }

  /// Writes `tensors` and `metadata` to `path` atomically (a temporary file renamed into place).
  public static func write(_ tensors: [StoredTensor], metadata: [String: String] = [:], to path: String) throws {
    let data: Data
    do {
      data = try encode(tensors, metadata: metadata)
    } catch let error as LamError {
      throw LamError("\(path): \(error.message)")
    }
    try Files.writeAtomically(data, to: path)
  }

  // MARK: - Reading

  /// Reads and checks the file at `path`: its tensors by name and its metadata.
  public static func read(from path: String) throws -> (tensors: [String: StoredTensor], metadata: [String: String]) {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw LamError("\(path): cannot read the file (\(FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"))")
    }
    return try decode(data, source: path)
  }

  /// Parses and checks a whole file held in `data`; `source` names it in error messages.
  public static func decode(_ data: Data, source: String) throws -> (tensors: [String: StoredTensor], metadata: [String: String]) {
    let file = [UInt8](data)
    func fail(_ message: String) -> LamError { LamError("\(source): \(message)") }

    guard file.count >= 8 else {
      throw fail("the file is \(file.count) bytes, too short for the 8-byte header length")
    }
    var declared: UInt64 = 0
    for i in 0..<8 { declared |= UInt64(file[i]) << UInt64(8 * i) }
    guard declared <= UInt64(maxHeaderLength) else {
      throw fail("the header length \(declared) exceeds the limit of \(maxHeaderLength) bytes")
    }
    let headerLength = Int(declared)
    guard headerLength <= file.count - 8 else {
      throw fail("the header length \(headerLength) reaches past the end of the file (\(file.count - 8) bytes follow the length)")
    }
    let header = Array(file[8..<(8 + headerLength)])
    guard String(validating: header, as: UTF8.self) != nil else { throw fail("the header is not valid UTF-8") }
    let json: JSON
    do {
      json = try JSON.parse(header)
    } catch let error as JSON.SyntaxError {
      throw fail("the header is not valid JSON: \(error.message)")
    }
    guard case .object(let entries) = json else {
      throw fail("the header must be a JSON object, got \(json.kind)")
    }

    let dataStart = 8 + headerLength
    let bufferLength = file.count - dataStart
    var metadata: [String: String] = [:]
    var layouts: [Layout] = []
    for (key, value) in entries {
      if key == metadataKey {
        metadata = try parseMetadata(value, fail: fail)
      } else {
        layouts.append(try parseEntry(key, value, bufferLength: bufferLength, fail: fail))
      }
    }
    try checkCoverage(layouts, bufferLength: bufferLength, fail: fail)

    var tensors: [String: StoredTensor] = [:]
    for layout in layouts {
      let bytes = Array(file[(dataStart + layout.begin)..<(dataStart + layout.end)])
      tensors[layout.name] = StoredTensor(name: layout.name, dtype: layout.dtype, shape: layout.shape, bytes: bytes)
    }
    return (tensors, metadata)
  }

  /// Where one tensor lives in the data buffer, as its header entry says.
  private struct Layout {
    let name: String
    let dtype: DType
    let shape: [Int]
    let begin: Int
    let end: Int
  }

  private static func parseMetadata(_ value: JSON, fail: (String) -> LamError) throws -> [String: String] {
    // The reference reads `"__metadata__": null` as no metadata.
    if case .null = value { return [:] }
    guard case .object(let pairs) = value else {
      throw fail("field '\(metadataKey)' must be an object of strings, got \(value.kind)")
    }
    var metadata: [String: String] = [:]
    for (key, item) in pairs {
      guard case .string(let text) = item else {
        throw fail("field '\(metadataKey).\(key)' must be a string, got \(item.kind)")
      }
      metadata[key] = text
    }
    return metadata
  }

  private static func parseEntry(
    _ name: String, _ value: JSON, bufferLength: Int, fail: (String) -> LamError
  ) throws -> Layout {
    let known = ["dtype", "shape", "data_offsets"]
    guard case .object(let fields) = value else {
      throw fail("tensor '\(name)': expected an object with dtype, shape and data_offsets, got \(value.kind)")
    }
    for (key, _) in fields where !known.contains(key) {
      throw fail("tensor '\(name)': unknown field '\(key)' (expected dtype, shape, data_offsets)")
    }
    func field(_ key: String) throws -> JSON {
      guard let found = fields.first(where: { $0.key == key }) else {
        throw fail("tensor '\(name)': missing field '\(key)'")
      }
      return found.value
    }

    let dtypeValue = try field("dtype")
    guard case .string(let dtypeName) = dtypeValue else {
      throw fail("tensor '\(name)': field 'dtype' must be a string, got \(dtypeValue.kind)")
    }
    guard let dtype = DType(rawValue: dtypeName) else {
      let supported = DType.allCases.map(\.rawValue).joined(separator: ", ")
      throw fail("tensor '\(name)': unsupported dtype '\(dtypeName)' (supported: \(supported))")
    }

    let shapeValue = try field("shape")
    guard case .array(let dims) = shapeValue else {
      throw fail("tensor '\(name)': field 'shape' must be an array of integers, got \(shapeValue.kind)")
    }
    var shape: [Int] = []
    for dim in dims {
      switch dim.integer {
      case .value(let n): shape.append(n)
      case .negative: throw fail("tensor '\(name)': field 'shape' has a negative dimension")
      case .tooLarge: throw fail("tensor '\(name)': field 'shape' has a dimension too large to address")
      case .notAnInteger:
        throw fail("tensor '\(name)': field 'shape' must be an array of integers, found \(dim.kind) that is not one")
      }
    }

    let offsetsValue = try field("data_offsets")
    guard case .array(let offsets) = offsetsValue, offsets.count == 2 else {
      throw fail("tensor '\(name)': field 'data_offsets' must be an array of two integers [BEGIN, END]")
    }
    let shown = "data_offsets [\(describe(offsets[0])), \(describe(offsets[1]))]"
    var bounds: [Int] = []
    for offset in offsets {
      switch offset.integer {
      case .value(let n): bounds.append(n)
      case .negative: throw fail("tensor '\(name)': \(shown) has a negative offset")
      case .tooLarge:
        throw fail("tensor '\(name)': \(shown) reach past the end of the data buffer (\(bufferLength) bytes)")
      case .notAnInteger:
        throw fail("tensor '\(name)': field 'data_offsets' must be an array of two integers [BEGIN, END]")
      }
    }
    let (begin, end) = (bounds[0], bounds[1])
    guard begin <= end else { throw fail("tensor '\(name)': \(shown) are reversed (END before BEGIN)") }
    guard end <= bufferLength else {
      throw fail("tensor '\(name)': \(shown) reach past the end of the data buffer (\(bufferLength) bytes)")
    }

    // Element count times element size, refusing anything that would overflow.
    var byteCount = dtype.size
    for dim in shape {
      let (product, overflow) = byteCount.multipliedReportingOverflow(by: dim)
      guard !overflow else { throw fail("tensor '\(name)': shape \(shape) holds too many elements to address") }
      byteCount = product
    }
    guard end - begin == byteCount else {
      throw fail("tensor '\(name)': \(shown) hold \(end - begin) bytes but shape \(shape) of \(dtype.rawValue) needs \(byteCount)")
    }
    return Layout(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
  }

  /// The number as written in the header, for messages.
  private static func describe(_ value: JSON) -> String {
    if case .number(let text) = value { return text }
    return value.kind
  }

  /// The tensors must tile the data buffer: sorted by offset, each starts where the previous one
  /// ended, and the last ends at the end of the file (what the reference implementation checks).
  private static func checkCoverage(_ layouts: [Layout], bufferLength: Int, fail: (String) -> LamError) throws {
    let sorted = layouts.sorted { a, b in
      if a.begin != b.begin { return a.begin < b.begin }
      if a.end != b.end { return a.end < b.end }
      return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }
    var cursor = 0
    var previous: Layout? = nil
    for layout in sorted {
      if layout.begin < cursor, let previous {
        throw fail("tensor '\(layout.name)': data_offsets [\(layout.begin), \(layout.end)] overlap tensor '\(previous.name)' [\(previous.begin), \(previous.end)]")
      }
      if layout.begin > cursor {
        throw fail("bytes \(cursor)..<\(layout.begin) of the data buffer belong to no tensor (a hole before tensor '\(layout.name)')")
      }
      cursor = layout.end
      previous = layout
    }
    guard cursor == bufferLength else {
      throw fail("bytes \(cursor)..<\(bufferLength) at the end of the data buffer belong to no tensor")
    }
  }
}

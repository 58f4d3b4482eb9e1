import Core

/// An element type of the safetensors format, spelled as in the file header.
public enum DType: String, CaseIterable, Sendable {
  case bool = "BOOL"
  case u8 = "U8"
  case i32 = "I32"
  case i64 = "I64"
  case f32 = "F32"
  case f64 = "F64"

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .bool, .u8: return 1
    case .i32, .f32: return 4
    case .i64, .f64: return 8
    }
  }

  // The position of the type in the reference implementation's dtype list (ordered by alignment).
  // Its writer lays tensors out by descending rank, then by name, so that after the header (padded
  // to 8 bytes) every tensor starts at a multiple of its element size; ours does the same.
  var referenceRank: Int {
    switch self {
    case .bool: return 0
    case .u8: return 1
    case .i32: return 2
    case .f32: return 3
    case .f64: return 4
    case .i64: return 5
    }
  }
}

/// One named tensor as a safetensors file holds it: element type, shape and little-endian row-major bytes.
public struct StoredTensor: Equatable, Sendable {
  public let name: String
  public let dtype: DType
  public let shape: [Int]
  public let bytes: [UInt8]

  /// A tensor from raw little-endian bytes; `bytes.count` must equal the element count times `dtype.size`.
  public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "\(name): negative dimension in \(shape)")
    precondition(bytes.count == shape.reduce(1, *) * dtype.size,
                 "\(name): \(bytes.count) bytes for \(dtype.rawValue) \(shape)")
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// An F32 tensor holding a copy of `tensor`'s shape and values.
  public init(name: String, tensor: Tensor) {
    self.init(name: name, shape: tensor.shape, floats: tensor.array)
  }

  /// An F32 tensor from row-major values; `floats.count` must equal the element count of `shape`.
  public init(name: String, shape: [Int], floats: [Float]) {
    self.init(name: name, dtype: .f32, shape: shape, bytes: littleEndianBytes(floats.map(\.bitPattern)))
  }

  /// An F64 tensor from row-major values; `doubles.count` must equal the element count of `shape`.
  public init(name: String, shape: [Int], doubles: [Double]) {
    self.init(name: name, dtype: .f64, shape: shape, bytes: littleEndianBytes(doubles.map(\.bitPattern)))
  }

  /// An I32 tensor from row-major values; `int32s.count` must equal the element count of `shape`.
  public init(name: String, shape: [Int], int32s: [Int32]) {
    self.init(name: name, dtype: .i32, shape: shape, bytes: littleEndianBytes(int32s))
  }

  /// An I64 tensor from row-major values; `int64s.count` must equal the element count of `shape`.
  public init(name: String, shape: [Int], int64s: [Int64]) {
    self.init(name: name, dtype: .i64, shape: shape, bytes: littleEndianBytes(int64s))
  }

  /// A U8 tensor from row-major values; `uint8s.count` must equal the element count of `shape`.
  public init(name: String, shape: [Int], uint8s: [UInt8]) {
    self.init(name: name, dtype: .u8, shape: shape, bytes: uint8s)
  }

  /// A BOOL tensor from row-major values; `bools.count` must equal the element count of `shape`.
  public init(name: String, shape: [Int], bools: [Bool]) {
    self.init(name: name, dtype: .bool, shape: shape, bytes: bools.map { $0 ? 1 : 0 })
  }

  /// The number of elements (1 for a scalar of shape []).
  public var count: Int { bytes.count / dtype.size }

  /// The values of an F32 tensor; throws if the tensor has another dtype.
  public func floats() throws -> [Float] {
    try expect(.f32)
    return fromLittleEndian(UInt32.self).map(Float.init(bitPattern:))
  }

  /// The values of an F64 tensor.
  public func doubles() throws -> [Double] {
    try expect(.f64)
    return fromLittleEndian(UInt64.self).map(Double.init(bitPattern:))
  }

  /// The values of an I32 tensor.
  public func int32s() throws -> [Int32] {
    try expect(.i32)
    return fromLittleEndian(Int32.self)
  }

  /// The values of an I64 tensor.
  public func int64s() throws -> [Int64] {
    try expect(.i64)
    return fromLittleEndian(Int64.self)
  }

  /// The values of a U8 tensor.
  public func uint8s() throws -> [UInt8] {
    try expect(.u8)
    return bytes
  }

  /// The values of a BOOL tensor (any non-zero byte is true, as in NumPy).
  public func bools() throws -> [Bool] {
    try expect(.bool)
    return bytes.map { $0 != 0 }
  }

  private func expect(_ wanted: DType) throws {
    guard dtype == wanted else {
      throw LamError("tensor '\(name)': expected dtype \(wanted.rawValue), found \(dtype.rawValue)")
    }
  }

  private func fromLittleEndian<T: FixedWidthInteger>(_ type: T.Type) -> [T] {
    let size = MemoryLayout<T>.size
    return bytes.withUnsafeBytes { raw in
      (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
    }
  }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
  let size = MemoryLayout<T>.size
  var out = [UInt8](repeating: 0, count: values.count * size)
  out.withUnsafeMutableBytes { raw in
    for (i, value) in values.enumerated() { raw.storeBytes(of: value.littleEndian, toByteOffset: i * size, as: T.self) }
  }
  return out
}

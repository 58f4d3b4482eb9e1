import Foundation

/// The 64-bit checksum of format-1 datasets (`DatasetHash.checksum64`), kept only to verify such datasets
/// when reading them; format 2 uses SHA-256. `fmix` also mixes the world's seeds.
///
/// Not cryptographic. Definition (reproducible with NumPy, see docs/environments.md): pad the bytes with
/// zeros to a multiple of 8, read them as little-endian u64 words w[i], and return, modulo 2^64,
///     fmix(byteCount) + sum over i of fmix(w[i] ^ (i * 0x9E3779B97F4A7C15))
/// where fmix is SplitMix64's output function (a bijection, so changing any single word always
/// changes the sum). Words are independent, so the sum vectorizes.
public enum ContentHash {
  /// SplitMix64's output function.
  @inline(__always) public static func fmix(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

  /// The checksum of `data`.
  public static func of(_ data: Data) -> UInt64 {
    data.withUnsafeBytes { of($0) }
  }

  /// The checksum of the bytes in `raw`.
  public static func of(_ raw: UnsafeRawBufferPointer) -> UInt64 {
    var sum = Sum()
    sum.add(raw)
    return sum.value
  }

  /// The checksum of a file made of several pieces, added in order; every piece but the last must be a
  /// whole number of 8-byte words (as a .npy header is).
  public struct Sum {
    private var total: UInt64 = 0
    private var bytes = 0
    public init() {}

    public mutating func add(_ raw: UnsafeRawBufferPointer) {
      precondition(bytes % 8 == 0, "ContentHash.Sum: only the last piece may end mid-word")
      let first = bytes / 8
      let words = raw.count / 8
      if let base = raw.baseAddress {
        // Four partial sums let the independent terms overlap in the pipeline.
        var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0, s3: UInt64 = 0
        var i = 0
        @inline(__always) func term(_ i: Int) -> UInt64 {
          let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
          return fmix(w ^ (UInt64(first + i) &* golden))
        }
        while i + 4 <= words {
          s0 &+= term(i)
          s1 &+= term(i + 1)
          s2 &+= term(i + 2)
          s3 &+= term(i + 3)
          i += 4
        }
        while i < words {
          s0 &+= term(i)
          i += 1
        }
        total &+= s0 &+ s1 &+ s2 &+ s3
        let tail = raw.count - words * 8
        if tail > 0 {
          var w: UInt64 = 0
          for j in 0..<tail { w |= UInt64(base.load(fromByteOffset: words * 8 + j, as: UInt8.self)) << (8 * UInt64(j)) }
          total &+= fmix(w ^ (UInt64(first + words) &* golden))
        }
      }
      bytes += raw.count
    }

    /// The checksum of everything added so far.
    public var value: UInt64 { total &+ fmix(UInt64(bytes)) }
  }

  /// The hash as 16 lowercase hex digits.
  public static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  /// Folds per-file checksums (in a fixed order) into one: h = fmix(h ^ x) for each, from h = 0.
  public static func combine(_ values: [UInt64]) -> UInt64 {
    values.reduce(0) { fmix($0 ^ $1) }
  }
}

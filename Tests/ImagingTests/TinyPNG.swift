import Foundation

// A deliberately naive PNG writer (stored, uncompressed deflate blocks) for building test files in
// formats the library itself never writes: palette, 16-bit, gray with alpha, 1-bit.

enum TinyPNG {
  /// A PNG file from IHDR fields and raw scanlines (each already prefixed with filter byte 0).
  static func file(width: Int, height: Int, bitDepth: UInt8, colourType: UInt8, scanlines: [UInt8],
                   extraChunks: [(String, [UInt8])] = []) -> Data {
    var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    let ihdr = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colourType, 0, 0, 0]
    out += chunk("IHDR", ihdr)
    for (type, body) in extraChunks { out += chunk(type, body) }
    out += chunk("IDAT", zlibStored(scanlines))
    out += chunk("IEND", [])
    return Data(out)
  }

  static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
    let typed = Array(type.utf8) + body
    return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
  }

  static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
      crc ^= UInt32(b)
      for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return crc ^ 0xFFFF_FFFF
  }

  /// A zlib stream holding `data` in one stored (uncompressed) deflate block.
  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    precondition(data.count < 65536)
    let n = UInt16(data.count)
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    return [0x78, 0x01, 0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + data + bigEndian(b << 16 | a)
  }
}

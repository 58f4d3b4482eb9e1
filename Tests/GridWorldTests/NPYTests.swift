import Core
import Foundation
import GridWorld
import Testing
import TestSupport

// Expected headers are NumPy 2.4's own np.save output: the dict text, then `spaces` spaces and a newline,
// with the u16 header length `length` (magic + version + length + header = a multiple of 64).
private func numpyHeader(_ dict: String, spaces: Int, length: UInt16) -> [UInt8] {
  [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
    + Array(dict.utf8) + [UInt8](repeating: 0x20, count: spaces) + [0x0A]
}

@Test func npyHeaderMatchesNumPysBytesExactly() {
  #expect(
    NPY.header(descr: "<f4", shape: [2, 3])
      == numpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", spaces: 58, length: 118))
  #expect(
    NPY.header(descr: "|u1", shape: [5])
      == numpyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", spaces: 60, length: 118))
  #expect(
    NPY.header(descr: "<i8", shape: [2, 0, 3])
      == numpyHeader("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 0, 3), }", spaces: 55, length: 118))
  #expect(
    NPY.header(descr: "<f4", shape: [])
      == numpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", spaces: 62, length: 118))
  #expect(
    NPY.header(descr: "|b1", shape: [3, 2])
      == numpyHeader("{'descr': '|b1', 'fortran_order': False, 'shape': (3, 2), }", spaces: 58, length: 118))
}

@Test func npyHeaderAddsAFullBlockWhenTheTextEndsOnTheBoundary() {
  // NumPy pads by 64 - (length % 64), so text that would end exactly on a boundary gets 64 more bytes.
  let shape = [Int](repeating: 1, count: 13) + [100]
  let dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100), }"
  let header = NPY.header(descr: "|u1", shape: shape)
  #expect(header == numpyHeader(dict, spaces: 84, length: 182))
  #expect(header.count == 192)
}

@Test func npyRoundTripsEveryDtypeAndZeroSizedShapes() throws {
  let folder = makeTemporaryFolder()
  try NPY.write([UInt8(0), 7, 255], shape: [3], to: folder + "/u1.npy")
  try NPY.write([true, false, true, true], shape: [2, 2], to: folder + "/b1.npy")
  try NPY.write([Int64.min, -1, 0, Int64.max], shape: [4, 1], to: folder + "/i8.npy")
  try NPY.write([1, -2, 30, 5] as [Int], shape: [2, 2], to: folder + "/int.npy")
  try NPY.write([Float(0.25), -1.5, .greatestFiniteMagnitude, 0], shape: [1, 2, 2], to: folder + "/f4.npy")
  try NPY.write([Int](), shape: [2, 0, 3], to: folder + "/empty.npy")

  #expect(try NPY.read(UInt8.self, from: folder + "/u1.npy") == ([0, 7, 255], [3]))
  #expect(try NPY.read(Bool.self, from: folder + "/b1.npy") == ([true, false, true, true], [2, 2]))
  #expect(try NPY.read(Int64.self, from: folder + "/i8.npy") == ([Int64.min, -1, 0, Int64.max], [4, 1]))
  #expect(try NPY.read(Int.self, from: folder + "/int.npy") == ([1, -2, 30, 5], [2, 2]))
  #expect(try NPY.read(Float.self, from: folder + "/f4.npy") == ([0.25, -1.5, .greatestFiniteMagnitude, 0], [1, 2, 2]))
  #expect(try NPY.read(Int.self, from: folder + "/empty.npy") == ([], [2, 0, 3]))
  // The data is raw little-endian right after the 128-byte header: 0.25f is 0x3E800000.
  let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/f4.npy")))
  #expect(bytes.count == 128 + 16)
  #expect(Array(bytes[128..<132]) == [0x00, 0x00, 0x80, 0x3E])
}

@Test func npyReadsVersion2Headers() throws {
  // Version 2.0 has a u32 header length; hand-built: 12 + 116 = 128 bytes of header.
  var dict = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }".utf8)
  dict += [UInt8](repeating: 0x20, count: 116 - dict.count - 1) + [0x0A]
  var file = [0x93] + Array("NUMPY".utf8) + [2, 0, 116, 0, 0, 0] + dict
  file += [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40]  // 1.0f, 2.0f
  let (values, shape) = try NPY.decode(Float.self, from: Data(file), source: "v2.npy")
  #expect(values == [1, 2])
  #expect(shape == [2])
}

private func npyError(_ data: Data) -> String {
  do {
    _ = try NPY.decode(Int.self, from: data, source: "x.npy")
    return ""
  } catch {
    return "\(error)"
  }
}

@Test func npyRejectsAWrongDtypeNamingBoth() {
  let message = npyError(NPY.encode([Float(1), 2], shape: [2]))
  #expect(message == "x.npy: expected dtype int64 ('<i8'), found '<f4'")
}

@Test func npyRejectsTruncatedAndOverlongData() {
  let whole = NPY.encode([1, 2, 3] as [Int], shape: [3])
  #expect(npyError(whole.dropLast(1)) == "x.npy: truncated: shape (3,) needs 24 data bytes, found 23")
  #expect(npyError(whole + Data([0])) == "x.npy: has trailing bytes: shape (3,) needs 24 data bytes, found 25")
  #expect(npyError(whole.prefix(40)).hasPrefix("x.npy: truncated .npy header"))
}

@Test func npyRejectsAFileWithoutTheMagic() {
  #expect(npyError(Data("PK\u{3}\u{4} not numpy at all".utf8)).contains("not a .npy file"))
}

@Test func npyRejectsFortranOrder() {
  var data = NPY.encode([1, 2] as [Int], shape: [2])
  let range = data.range(of: Data("False".utf8))!
  data.replaceSubrange(range, with: Data("True ".utf8))
  #expect(npyError(data).contains("fortran_order False"))
}

@Test func npyRejectsBoolBytesOtherThanZeroOrOne() {
  var data = NPY.encode([true, false], shape: [2])
  data[data.startIndex + 129] = 2
  #expect(throws: LamError.self) { try NPY.decode(Bool.self, from: data, source: "b.npy") }
}

@Test func contentHashFollowsItsDocumentedDefinition() {
  // 9 bytes: word 0 = bytes 1...8 little-endian, word 1 = byte 9 zero-padded; plus fmix(length).
  let bytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
  let w0: UInt64 = 0x0807_0605_0403_0201
  let w1: UInt64 = 9
  let golden: UInt64 = 0x9E37_79B9_7F4A_7C15
  let expected = ContentHash.fmix(9) &+ ContentHash.fmix(w0) &+ ContentHash.fmix(w1 ^ golden)
  #expect(ContentHash.of(Data(bytes)) == expected)
  // SplitMix64's output function on 1 (its first output from seed 0 is fmix(golden)).
  var rng = RNG(seed: 0)
  #expect(ContentHash.fmix(golden) == rng.next())
  #expect(ContentHash.of(Data()) == 0)
  #expect(ContentHash.hex(0xAB) == "00000000000000ab")
}

@Test func contentHashChangesWithAnyByteAndAddsUpInPieces() {
  let data = Data((0..<1000).map { UInt8($0 % 251) })
  let whole = ContentHash.of(data)
  for i in stride(from: 0, to: 1000, by: 97) {
    var changed = data
    changed[i] ^= 1
    #expect(ContentHash.of(changed) != whole)
  }
  var sum = ContentHash.Sum()
  data.prefix(128).withUnsafeBytes { sum.add($0) }
  data.dropFirst(128).withUnsafeBytes { sum.add($0) }
  #expect(sum.value == whole)
}

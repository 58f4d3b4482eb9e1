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

// A .npy file of format version `major`.0 whose header is `dict` verbatim plus a newline, then `data`.
private func npyFile(_ dict: String, major: UInt8 = 1, data: [UInt8] = []) -> Data {
  let text = Array(dict.utf8) + [0x0A]
  let length = withUnsafeBytes(of: UInt32(text.count).littleEndian, Array.init).prefix(major == 1 ? 2 : 4)
  return Data([0x93] + Array("NUMPY".utf8) + [major, 0] + length + text + data)
}

// The error for a file with header `dict` and the 16 data bytes of two int64s (right for the shape (2,)).
private func headerError(_ dict: String) -> String {
  npyError(npyFile(dict, data: [UInt8](repeating: 0, count: 16)))
}

@Test func npyAcceptsEverySpellingOfTheDictThatNumPyWrites() throws {
  let headers = [
    #"{"descr": "<i8", "fortran_order": False, "shape": (2,)}"#,
    "{'shape': (2,), 'descr': '<i8', 'fortran_order': False}",
    "{'fortran_order': False, 'shape': (2, ), 'descr': \"<i8\", }",
    "  {  'descr'  :  '<i8'  ,'fortran_order':False,'shape':(  2  ,  )  ,  }    ",
  ]
  for dict in headers {
    let file = npyFile(dict, data: [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0])
    #expect(try NPY.decode(Int.self, from: file, source: "x.npy") == ([1, 2], [2]), "\(dict)")
  }
}

@Test func npyParsesEveryTupleFormOfTheShape() throws {
  func shape(_ text: String) throws -> [Int] {
    try NPY.parseHeader(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': \(text), }"), source: "x.npy").shape
  }
  #expect(try shape("()") == [])
  #expect(try shape("(3,)") == [3])
  #expect(try shape("(2, 3)") == [2, 3])
  #expect(try shape("(2, 3,)") == [2, 3])
  #expect(try shape("(0, 00, 9223372036854775807)") == [0, 0, Int.max])
}

@Test func npyReadsVersion2And3HeadersWithTheirU32Length() throws {
  for major: UInt8 in [2, 3] {
    let file = npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", major: major, data: [7, 8, 9])
    let (descr, shape, offset) = try NPY.parseHeader(file, source: "x.npy")
    #expect(descr == "|u1")
    #expect(shape == [3])
    #expect(offset == file.count - 3)
    #expect(try NPY.decode(UInt8.self, from: file, source: "x.npy").values == [7, 8, 9])
  }
}

@Test func npyRejectsUnsupportedVersionsNamingThem() {
  var file = NPY.encode([1, 2] as [Int], shape: [2])
  file[6] = 4
  #expect(npyError(file) == "x.npy: unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)")
  file[6] = 1
  file[7] = 5
  #expect(npyError(file) == "x.npy: unsupported .npy format version 1.5 (expected 1.0, 2.0 or 3.0)")
}

@Test func npyRejectsAHeaderLengthPastTheEndOfTheFile() {
  var file = NPY.encode([1, 2] as [Int], shape: [2])  // 128 header bytes + 16 data bytes
  file[8] = 0xFF
  file[9] = 0xFF
  #expect(npyError(file) == "x.npy: truncated .npy header (needs 65545 bytes, file has 144)")
  // The largest version 2.0 header length, 4 GiB - 1.
  let v2 = Data([0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B])
  #expect(npyError(v2) == "x.npy: truncated .npy header (needs 4294967307 bytes, file has 13)")
  #expect(npyError(file.prefix(9)) == "x.npy: truncated .npy header (the file ends inside the header length)")
}

@Test func npyRejectsAShapeWhoseElementCountOverflowsAnInt() {
  let message = headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }")
  #expect(message == "x.npy: shape (4294967296, 4294967296, 16) holds more elements than fit in memory")
  // As in NumPy, a zero-length axis does not excuse the others.
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }")
      .contains("holds more elements than fit in memory"))
}

@Test func npyRejectsAShapeWhoseByteCountOverflowsAnInt() {
  // 2^61 * 2 elements fit in an Int; at 8 bytes each they do not.
  let message = headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (2305843009213693952, 2), }")
  #expect(message == "x.npy: shape (2305843009213693952, 2) of int64 needs more bytes than fit in memory")
}

@Test func npyRejectsAShapeLargerThanTheDataBeforeAllocating() {
  let message = headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (1152921504606846975,), }")
  #expect(message == "x.npy: truncated: shape (1152921504606846975,) needs 9223372036854775800 data bytes, found 16")
}

@Test func npyRejectsADimensionTooLongForAnInt() {
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (123456789012345678901234567890,), }")
      == "x.npy: .npy header: the dimension 123456789012345678901234567890 does not fit in a 64-bit integer")
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (9223372036854775808,), }")
      .contains("does not fit in a 64-bit integer"))
}

@Test func npyRejectsAHeaderWithoutTheOpeningBrace() {
  #expect(
    headerError("'descr': '<i8', 'fortran_order': False, 'shape': (2,), }")
      == "x.npy: .npy header: expected '{' opening the header dict, found ''' at header byte 0")
}

@Test func npyRejectsARepeatedKey() {
  #expect(
    headerError("{'descr': '<i8', 'descr': '<i8', 'fortran_order': False, 'shape': (2,), }")
      == "x.npy: .npy header: the key 'descr' appears twice (expected each of 'descr', 'fortran_order', 'shape' once)")
}

@Test func npyRejectsAMissingKey() {
  #expect(
    headerError("{'descr': '<i8', 'shape': (2,), }")
      == "x.npy: .npy header: the key 'fortran_order' is missing (expected each of 'descr', 'fortran_order', 'shape' once)")
}

@Test func npyRejectsAnUnknownKey() {
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), 'order': 'C', }")
      == "x.npy: .npy header: unknown key 'order' (expected each of 'descr', 'fortran_order', 'shape' once)")
}

@Test func npyRejectsAnythingButSpacesAfterTheClosingBrace() {
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), } x")
      == "x.npy: .npy header: expected only spaces and a final newline after the closing '}', found 'x' at header byte 58")
  #expect(headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n ").contains("after the closing '}'"))
}

@Test func npyRejectsGarbageBetweenEntries() {
  #expect(
    headerError("{'descr': '<i8' 'fortran_order': False, 'shape': (2,), }")
      .contains("expected ',' or '}' after the value of 'descr', found '''"))
  #expect(
    headerError("{'descr': '<i8',, 'fortran_order': False, 'shape': (2,), }")
      .contains("expected a quoted key or the closing '}', found ','"))
  #expect(
    headerError("{'descr' '<i8', 'fortran_order': False, 'shape': (2,), }")
      .contains("expected ':' after the key 'descr'"))
}

@Test func npyRejectsAParenthesizedIntegerAsAOneElementShape() {
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (2), }")
      == "x.npy: .npy header: (2) is the integer 2, not a tuple (expected (2,))")
}

@Test func npyRejectsANegativeDimension() {
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': (-2,), }")
      == "x.npy: .npy header: expected a non-negative integer dimension, found '-' at header byte 51")
}

@Test func npyRejectsDimensionsThatAreNotPlainDecimalIntegers() {
  let problems = [
    "(+2,)": "found '+'", "(2.0,)": "found '.'", "(0x2,)": "found 'x'", "('2',)": "found '''",
    "(2_0,)": "found '_'", "(02,)": "leading zero", "(2 0,)": "found '0'", "(,)": "found ','", "(2,,)": "found ','",
  ]
  for (dims, problem) in problems {
    let message = headerError("{'descr': '<i8', 'fortran_order': False, 'shape': \(dims), }")
    #expect(message.hasPrefix("x.npy: .npy header: ") && message.contains(problem), "\(dims): \(message)")
  }
}

@Test func npyRejectsNestedValues() {
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': ((2,),), }")
      .contains("expected a non-negative integer dimension, found '('"))
  #expect(
    headerError("{'descr': [('a', '<i8')], 'fortran_order': False, 'shape': (2,), }")
      .contains("expected a value (a quoted string, True, False or a tuple), found '['"))
  #expect(headerError("{'descr': {'x': '<i8'}, 'fortran_order': False, 'shape': (2,), }").contains("found '{'"))
}

@Test func npyRejectsValuesOfTheWrongType() {
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': 'False', 'shape': (2,), }")
      .hasSuffix(".npy header: 'fortran_order' must be True or False"))
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': false, 'shape': (2,), }")
      .hasSuffix(".npy header: unexpected name 'false' at header byte 34 (expected True or False)"))
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': '(2,)', }")
      .hasSuffix(".npy header: 'shape' must be a tuple of non-negative integers such as (2, 3) or (3,)"))
  #expect(
    headerError("{'descr': (2,), 'fortran_order': False, 'shape': (2,), }")
      .hasSuffix(".npy header: 'descr' must be a quoted dtype string such as '<f4'"))
}

@Test func npyRejectsMoreThan64Dimensions() throws {
  let ones = { (n: Int) in "(" + String(repeating: "1, ", count: n) + ")" }
  let file64 = npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': \(ones(64)), }", data: [0])
  #expect(try NPY.decode(UInt8.self, from: file64, source: "x.npy").shape.count == 64)
  #expect(
    headerError("{'descr': '<i8', 'fortran_order': False, 'shape': \(ones(65)), }")
      .hasSuffix(".npy header: a tuple of more than 64 items (NumPy arrays have at most 64 dimensions)"))
}

@Test func npyRejectsStringsWithEscapesLineBreaksOrNoEnd() {
  #expect(headerError("{'descr': '<i\\x38', 'fortran_order': False, 'shape': (2,), }").contains("escapes"))
  #expect(headerError("{'descr': '<i8\n', 'fortran_order': False, 'shape': (2,), }").contains("line break"))
  #expect(headerError("{'descr': '<i8").contains("never closed"))
}

@Test func npyChecksTheHeaderTextEncodingOfEachVersion() {
  // Versions 1.0 and 2.0 are latin-1, where nothing beyond ASCII is valid in our dict; 3.0 is UTF-8.
  let dict = "{'descr': '<i8\u{E9}', 'fortran_order': False, 'shape': (2,), }"
  #expect(
    npyError(npyFile(dict, major: 1))
      == "x.npy: .npy header: byte 0xC3 at header byte 14 is not ASCII (expected a Python dict in ASCII)")
  #expect(npyError(npyFile(dict, major: 2)).contains("is not ASCII"))
  #expect(npyError(npyFile(dict, major: 3)) == "x.npy: expected dtype int64 ('<i8'), found '<i8\u{E9}'")
  var broken = npyFile(dict, major: 3)
  broken[12 + 15] = 0x20  // the second byte of é
  #expect(npyError(broken) == "x.npy: .npy header: not valid UTF-8 (a version 3.0 header is UTF-8)")
}

@Test func npyDecodeNeverCrashesOnRandomlyMutatedFiles() {
  // Flips, inserts, deletes and overwrites bytes of a valid file, half the time with the dict's own
  // characters so that mutants get deep into the parser. Each must decode or throw a one-line LamError.
  let original = [UInt8](NPY.encode([1, -2, 3, 4, 5, 6] as [Int], shape: [2, 3]))  // 128 + 48 bytes
  let alphabet = Array("{}()[],:'\" \n-+0123456789TrueFalsdcihp<|".utf8) + [0x00, 0x80, 0xFF]
  var rng = RNG(seed: 20_240_601)
  var decoded = 0
  for trial in 0..<5_000 {
    var bytes = original
    for _ in 0...rng.int(below: 3) {
      // Three times in four in the header (the first 128 bytes), else anywhere.
      let end = rng.int(below: 4) == 0 ? bytes.count : min(128, bytes.count)
      let index = rng.int(below: end + 1)
      let byte = rng.int(below: 2) == 0 ? alphabet[rng.int(below: alphabet.count)] : UInt8(rng.int(below: 256))
      switch rng.int(below: 4) {
      case 0 where index < bytes.count: bytes[index] ^= 1 << rng.int(below: 8)
      case 1: bytes.insert(byte, at: index)
      case 2 where index < bytes.count: bytes.remove(at: index)
      case 3 where index < bytes.count: bytes[index] = byte
      default: break
      }
    }
    do {
      let (values, shape) = try NPY.decode(Int.self, from: Data(bytes), source: "m.npy")
      #expect(values.count == shape.reduce(1, *), "trial \(trial)")
      decoded += 1
    } catch let error as LamError {
      #expect(error.message.hasPrefix("m.npy: "), "trial \(trial): \(error.message)")
      #expect(!error.message.contains(where: { $0.isNewline }), "trial \(trial): \(error.message)")
    } catch {
      Issue.record("trial \(trial): not a LamError: \(error)")
    }
  }
  // Some mutants (a changed padding space, a changed data byte) are still valid files.
  #expect(decoded > 0)
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

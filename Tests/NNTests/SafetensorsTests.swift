import Core
import Foundation
import NN
import TestSupport
import Testing

/// A file with the given header text (not padded) and data buffer.
private func file(_ header: String, _ data: [UInt8] = []) -> Data {
  let json = Array(header.utf8)
  return file(headerLength: UInt64(json.count), json + data)
}

/// A file whose length field says `headerLength`, followed by `rest`.
private func file(headerLength: UInt64, _ rest: [UInt8]) -> Data {
  var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: headerLength >> (8 * UInt64($0))) }
  bytes += rest
  return Data(bytes)
}

/// The message `decode` throws for `data`, or a marker that it did not throw a LamError.
private func decodeError(_ data: Data) -> String {
  do {
    _ = try Safetensors.decode(data, source: "bad.safetensors")
    return "(no error)"
  } catch let error as LamError {
    return error.message
  } catch {
    return "(not a LamError: \(error))"
  }
}

/// One well-formed tensor entry.
private func entry(_ name: String, _ dtype: String, _ shape: String, _ begin: Int, _ end: Int) -> String {
  #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
}

@Suite struct SafetensorsTests {
  // MARK: - Round trip and exact bytes

  @Test func roundTripKeepsEveryDTypeShapeValueAndMetadata() throws {
    let tensors = [
      StoredTensor(name: "w", shape: [2, 3], floats: [1.5, -2, 0, .infinity, -0.0, 3.25e-7]),
      StoredTensor(name: "d", shape: [2], doubles: [1e300, -1.0 / 3.0]),
      StoredTensor(name: "i", shape: [3], int32s: [Int32.min, -1, Int32.max]),
      StoredTensor(name: "l", shape: [1, 2], int64s: [Int64.min, 1 << 40]),
      StoredTensor(name: "u", shape: [4], uint8s: [0, 1, 128, 255]),
      StoredTensor(name: "m", shape: [2], bools: [true, false]),
      StoredTensor(name: "empty", shape: [0, 3], floats: []),
      StoredTensor(name: "scalar", shape: [], int64s: [42]),
    ]
    let metadata = ["config": #"{"dz": 8}"#, "note": "tab\tquote\"é\u{1}"]
    let folder = makeTemporaryFolder()
    let path = folder + "/model.safetensors"
    try Safetensors.write(tensors, metadata: metadata, to: path)
    let read = try Safetensors.read(from: path)

    #expect(read.metadata == metadata)
    #expect(read.tensors.count == tensors.count)
    for tensor in tensors { #expect(read.tensors[tensor.name] == tensor) }
    #expect(try read.tensors["w"]?.floats() == [1.5, -2, 0, .infinity, -0.0, 3.25e-7])
    #expect(try read.tensors["w"]?.floats()[4].sign == .minus)
    #expect(try read.tensors["d"]?.doubles() == [1e300, -1.0 / 3.0])
    #expect(try read.tensors["i"]?.int32s() == [Int32.min, -1, Int32.max])
    #expect(try read.tensors["l"]?.int64s() == [Int64.min, 1 << 40])
    #expect(try read.tensors["u"]?.uint8s() == [0, 1, 128, 255])
    #expect(try read.tensors["m"]?.bools() == [true, false])
    #expect(read.tensors["empty"]?.shape == [0, 3])
    #expect(try read.tensors["empty"]?.floats() == [])
    #expect(read.tensors["scalar"]?.shape == [])
    #expect(try read.tensors["scalar"]?.int64s() == [42])
    // The atomic write leaves only the file itself behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.safetensors"])
  }

  @Test func tinyFileHasExactlyTheExpectedBytes() throws {
    let data = try Safetensors.encode(
      [StoredTensor(name: "a", shape: [3], uint8s: [1, 2, 255]),
       StoredTensor(name: "b", shape: [2], floats: [1, -2])],
      metadata: ["step": "3"])
    // The 4-byte F32 tensor comes before the 1-byte U8 one although "a" < "b"; the 135-byte JSON is
    // padded with one space to 136 = 0x88 so the data buffer starts 8-byte aligned.
    let json = #"{"__metadata__":{"step":"3"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
      + #""a":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}} "#
    let expected: [UInt8] =
      [0x88, 0, 0, 0, 0, 0, 0, 0]
      + Array(json.utf8)
      + [0x00, 0x00, 0x80, 0x3F]  // 1.0 as F32, little-endian
      + [0x00, 0x00, 0x00, 0xC0]  // -2.0
      + [0x01, 0x02, 0xFF]
    #expect(Array(json.utf8).count == 136)
    #expect([UInt8](data) == expected)
  }

  @Test func emptyFileWithoutTensorsIsAPaddedEmptyObject() throws {
    let data = try Safetensors.encode([])
    #expect([UInt8](data) == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
    let read = try Safetensors.decode(data, source: "empty")
    #expect(read.tensors.isEmpty && read.metadata.isEmpty)
  }

  @Test func inputOrderDoesNotChangeTheBytes() throws {
    let tensors = [
      StoredTensor(name: "z", shape: [1], floats: [1]),
      StoredTensor(name: "a", shape: [1], floats: [2]),
      StoredTensor(name: "m", shape: [1], int64s: [3]),
      StoredTensor(name: "b", shape: [2], uint8s: [4, 5]),
    ]
    let metadata = ["y": "1", "x": "2", "w": "3"]
    let forward = try Safetensors.encode(tensors, metadata: metadata)
    let backward = try Safetensors.encode(tensors.reversed(), metadata: metadata)
    #expect(forward == backward)
    // I64 first, then the F32 tensors by name, then U8; metadata keys sorted.
    let json = #"{"__metadata__":{"w":"3","x":"2","y":"1"},"#
      + #""m":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"#
      + #""a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"#
      + #""z":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},"#
      + #""b":{"dtype":"U8","shape":[2],"data_offsets":[16,18]}}"#
    #expect([UInt8](forward.dropFirst(8).prefix(json.utf8.count)) == Array(json.utf8))
  }

  @Test func readerAcceptsFilesFromOtherWritersUnpaddedInAnyOrder() throws {
    // No padding, whitespace, tensors listed out of offset order, a "\/" escape, and null metadata.
    let header = #" { "b\/c" : {"shape":[2],"dtype":"I32","data_offsets":[4,12]}, "#
      + #""a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}, "e":{"dtype":"F32","shape":[0],"data_offsets":[1,1]},"#
      + #""p":{"dtype":"U8","shape":[3],"data_offsets":[1,4]}, "__metadata__": null }"#
    let data = file(header, [9, 7, 8, 6, 1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF])
    let read = try Safetensors.decode(data, source: "other.safetensors")
    #expect(read.metadata.isEmpty)
    #expect(try read.tensors["b/c"]?.int32s() == [1, -2])
    #expect(try read.tensors["a"]?.uint8s() == [9])
    #expect(try read.tensors["p"]?.uint8s() == [7, 8, 6])
    #expect(read.tensors["e"]?.shape == [0])
  }

  @Test func encodeRejectsRepeatedAndReservedNames() {
    let t = StoredTensor(name: "x", shape: [1], floats: [1])
    #expect(throws: LamError("the tensor name 'x' appears twice")) { try Safetensors.encode([t, t]) }
    let reserved = StoredTensor(name: "__metadata__", shape: [1], floats: [1])
    #expect(throws: LamError("'__metadata__' is reserved and cannot name a tensor")) {
      try Safetensors.encode([reserved])
    }
  }

  @Test func accessorForAnotherDTypeThrowsNamingTheTensor() {
    let t = StoredTensor(name: "steps", shape: [1], int64s: [5])
    #expect(throws: LamError("tensor 'steps': expected dtype F32, found I64")) { try t.floats() }
  }

  @Test func missingFileIsAnErrorNamingIt() {
    let path = makeTemporaryFolder() + "/absent.safetensors"
    #expect(throws: LamError("\(path): cannot read the file (no such file)")) { try Safetensors.read(from: path) }
  }

  // MARK: - One test per class of corrupt file

  @Test func fileShorterThanEightBytes() {
    let message = decodeError(Data([1, 0, 0]))
    #expect(message == "bad.safetensors: the file is 3 bytes, too short for the 8-byte header length")
  }

  @Test func headerLengthPastTheEndOfTheFile() {
    #expect(decodeError(file(headerLength: 20, Array("{}".utf8)))
      == "bad.safetensors: the header length 20 reaches past the end of the file (2 bytes follow the length)")
    // Absurd lengths are refused without arithmetic overflow.
    #expect(decodeError(file(headerLength: UInt64.max, []))
      == "bad.safetensors: the header length 18446744073709551615 exceeds the limit of 100000000 bytes")
    #expect(decodeError(file(headerLength: 1 << 63, Array("{}".utf8))).contains("exceeds the limit"))
  }

  @Test func headerThatIsNotUTF8() {
    let data = file(headerLength: 4, [UInt8(ascii: "{"), 0xC3, 0x28, UInt8(ascii: "}")])
    #expect(decodeError(data) == "bad.safetensors: the header is not valid UTF-8")
  }

  @Test func headerThatIsNotJSON() {
    #expect(decodeError(file(#"{"a":{"dtype":"F32",}}"#))
      == "bad.safetensors: the header is not valid JSON: expected a quoted key at byte 20")
    #expect(decodeError(file("{} x")) == "bad.safetensors: the header is not valid JSON: unexpected text after the JSON value at byte 3")
    #expect(decodeError(file(#"{"a":01}"#)).contains("leading zero"))
    #expect(decodeError(file("")).contains("unexpected end of the text"))
    // Deep nesting is refused instead of exhausting the stack.
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect(decodeError(file(#"{"a":"# + deep + "}")).contains("nested deeper than 64 levels"))
  }

  @Test func headerThatIsNotAnObject() {
    #expect(decodeError(file("[1, 2]")) == "bad.safetensors: the header must be a JSON object, got an array")
  }

  @Test func headerWithARepeatedKey() {
    let header = "{" + entry("x", "F32", "[1]", 0, 4) + "," + entry("x", "F32", "[1]", 4, 8) + "}"
    #expect(decodeError(file(header, [UInt8](repeating: 0, count: 8)))
      == "bad.safetensors: the header is not valid JSON: field 'x' appears twice")
  }

  @Test func tensorEntryMissingAField() {
    #expect(decodeError(file(#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': missing field 'dtype'")
    #expect(decodeError(file(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': missing field 'shape'")
    #expect(decodeError(file(#"{"w":{"dtype":"F32","shape":[1]}}"#, [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': missing field 'data_offsets'")
  }

  @Test func tensorEntryWithWrongTypes() {
    let four: [UInt8] = [0, 0, 0, 0]
    #expect(decodeError(file(#"{"w":[1]}"#))
      == "bad.safetensors: tensor 'w': expected an object with dtype, shape and data_offsets, got an array")
    #expect(decodeError(file(#"{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}"#, four))
      == "bad.safetensors: tensor 'w': field 'dtype' must be a string, got a number")
    #expect(decodeError(file(#"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, four))
      == "bad.safetensors: tensor 'w': field 'shape' must be an array of integers, got a string")
    #expect(decodeError(file(#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, four))
      == "bad.safetensors: tensor 'w': field 'shape' must be an array of integers, found a number that is not one")
    #expect(decodeError(file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}"#, four))
      == "bad.safetensors: tensor 'w': field 'data_offsets' must be an array of two integers [BEGIN, END]")
    #expect(decodeError(file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}"#, four))
      == "bad.safetensors: tensor 'w': field 'data_offsets' must be an array of two integers [BEGIN, END]")
  }

  @Test func tensorEntryWithAnUnknownField() {
    let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"stride":[1]}}"#
    #expect(decodeError(file(header, [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': unknown field 'stride' (expected dtype, shape, data_offsets)")
  }

  @Test func unknownDType() {
    #expect(decodeError(file("{" + entry("w", "F16", "[2]", 0, 4) + "}", [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': unsupported dtype 'F16' (supported: BOOL, U8, I32, I64, F32, F64)")
  }

  @Test func negativeShape() {
    #expect(decodeError(file("{" + entry("w", "F32", "[2,-1]", 0, 4) + "}", [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': field 'shape' has a negative dimension")
  }

  @Test func overflowingShape() {
    // Each dimension fits in Int; their product times 4 bytes does not.
    #expect(decodeError(file("{" + entry("w", "F32", "[4294967296,4294967296]", 0, 4) + "}", [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': shape [4294967296, 4294967296] holds too many elements to address")
    #expect(decodeError(file("{" + entry("w", "F32", "[99999999999999999999]", 0, 4) + "}", [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': field 'shape' has a dimension too large to address")
  }

  @Test func offsetsOutOfRange() {
    #expect(decodeError(file("{" + entry("w", "F32", "[2]", 0, 8) + "}", [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': data_offsets [0, 8] reach past the end of the data buffer (4 bytes)")
    let huge = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}"#
    #expect(decodeError(file(huge, [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': data_offsets [0, 18446744073709551616] reach past the end of the data buffer (4 bytes)")
    #expect(decodeError(file("{" + entry("w", "F32", "[1]", -4, 0) + "}", []))
      == "bad.safetensors: tensor 'w': data_offsets [-4, 0] has a negative offset")
  }

  @Test func offsetsReversed() {
    #expect(decodeError(file("{" + entry("w", "F32", "[1]", 4, 0) + "}", [0, 0, 0, 0]))
      == "bad.safetensors: tensor 'w': data_offsets [4, 0] are reversed (END before BEGIN)")
  }

  @Test func offsetsOverlapping() {
    let header = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}"
    #expect(decodeError(file(header, [UInt8](repeating: 0, count: 12)))
      == "bad.safetensors: tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]")
    // A zero-sized tensor inside another one overlaps it too.
    let inside = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("e", "F32", "[0]", 4, 4) + "}"
    #expect(decodeError(file(inside, [UInt8](repeating: 0, count: 8)))
      == "bad.safetensors: tensor 'e': data_offsets [4, 4] overlap tensor 'a' [0, 8]")
  }

  @Test func offsetsLeavingHoles() {
    let header = "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12) + "}"
    #expect(decodeError(file(header, [UInt8](repeating: 0, count: 12)))
      == "bad.safetensors: bytes 4..<8 of the data buffer belong to no tensor (a hole before tensor 'b')")
    let first = "{" + entry("a", "F32", "[1]", 4, 8) + "}"
    #expect(decodeError(file(first, [UInt8](repeating: 0, count: 8)))
      == "bad.safetensors: bytes 0..<4 of the data buffer belong to no tensor (a hole before tensor 'a')")
    #expect(decodeError(file("{" + entry("a", "F32", "[1]", 0, 4) + "}", [UInt8](repeating: 0, count: 6)))
      == "bad.safetensors: bytes 4..<6 at the end of the data buffer belong to no tensor")
  }

  @Test func byteCountNotMatchingShapeTimesDTypeSize() {
    #expect(decodeError(file("{" + entry("w", "F32", "[3]", 0, 8) + "}", [UInt8](repeating: 0, count: 8)))
      == "bad.safetensors: tensor 'w': data_offsets [0, 8] hold 8 bytes but shape [3] of F32 needs 12")
  }

  @Test func metadataThatIsNotAStringMap() {
    #expect(decodeError(file(#"{"__metadata__":{"step":3}}"#))
      == "bad.safetensors: field '__metadata__.step' must be a string, got a number")
    #expect(decodeError(file(#"{"__metadata__":["a"]}"#))
      == "bad.safetensors: field '__metadata__' must be an object of strings, got an array")
  }

  @Test func randomlyCorruptedFilesAreRejectedWithLamErrorsNeverACrash() throws {
    let base = [UInt8](try Safetensors.encode(
      [StoredTensor(name: "w", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]),
       StoredTensor(name: "n", shape: [], int64s: [9]),
       StoredTensor(name: "e", shape: [0], int32s: []),
       StoredTensor(name: "u", shape: [3], uint8s: [1, 2, 3])],
      metadata: ["k": "v"]))
    let headerLength = Int(base[0]) | Int(base[1]) << 8
    let digitPositions = (8..<(8 + headerLength)).filter { base[$0] >= UInt8(ascii: "0") && base[$0] <= UInt8(ascii: "9") }
    var rng = RNG(seed: 11)
    var rejected = 0
    let trials = 3000
    for trial in 0..<trials {
      var bytes = base
      switch trial % 4 {
      case 0: bytes[digitPositions[rng.int(below: digitPositions.count)]] = UInt8(ascii: "0") + UInt8(rng.int(below: 10))
      case 1: bytes[8 + rng.int(below: headerLength)] = UInt8(rng.int(below: 256))
      case 2: bytes = Array(bytes.prefix(rng.int(below: bytes.count)))
      default: bytes[rng.int(below: 8)] = UInt8(rng.int(below: 256))
      }
      do {
        _ = try Safetensors.decode(Data(bytes), source: "fuzz")
      } catch let error as LamError {
        #expect(error.message.hasPrefix("fuzz: ") && !error.message.contains("\n"))
        rejected += 1
      }
    }
    // Most mutations break the file; the few accepted ones swap digits into an equally valid layout.
    #expect(rejected > trials * 3 / 4)
  }

  // MARK: - Loading into parameters

  private func parameters() -> [(name: String, tensor: Tensor)] {
    [("enc.weight", Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])),
     ("enc.bias", Tensor(shape: [2], values: [-1, -2]))]
  }

  @Test func saveThenLoadRestoresParametersExtraTensorsAndMetadata() throws {
    let path = makeTemporaryFolder() + "/ckpt.safetensors"
    try Safetensors.save(
      parameters: parameters(), extra: [StoredTensor(name: "step", shape: [], int64s: [7])],
      metadata: ["config": "{}"], to: path)
    let target: [(name: String, tensor: Tensor)] = [("enc.weight", Tensor([2, 3])), ("enc.bias", Tensor([2]))]
    let result = try Safetensors.load(into: target, extra: ["step"], from: path)
    #expect(target[0].tensor.array == [1, 2, 3, 4, 5, 6])
    #expect(target[1].tensor.array == [-1, -2])
    #expect(try result.extra["step"]?.int64s() == [7])
    #expect(result.extra.count == 1)
    #expect(result.metadata == ["config": "{}"])
  }

  @Test func loadListsEveryMissingTensor() throws {
    let path = makeTemporaryFolder() + "/ckpt.safetensors"
    try Safetensors.save(parameters: [parameters()[1]], to: path)
    let target = parameters() + [("dec.weight", Tensor([1]))]
    #expect(throws: LamError("\(path): missing tensors dec.weight, enc.weight")) {
      try Safetensors.load(into: target, from: path)
    }
  }

  @Test func loadListsEveryUnexpectedTensor() throws {
    let path = makeTemporaryFolder() + "/ckpt.safetensors"
    try Safetensors.save(
      parameters: parameters(),
      extra: [StoredTensor(name: "step", shape: [], int64s: [1]), StoredTensor(name: "old.bias", shape: [1], floats: [0])],
      to: path)
    #expect(throws: LamError("\(path): unexpected tensors old.bias, step")) {
      try Safetensors.load(into: parameters(), from: path)
    }
  }

  @Test func loadRejectsAWrongShapeAndChangesNothing() throws {
    let path = makeTemporaryFolder() + "/ckpt.safetensors"
    try Safetensors.save(parameters: parameters(), to: path)
    let target: [(name: String, tensor: Tensor)] = [("enc.weight", Tensor([2, 3])), ("enc.bias", Tensor([3]))]
    #expect(throws: LamError("\(path): tensor 'enc.bias': expected shape [3], found [2]")) {
      try Safetensors.load(into: target, from: path)
    }
    // enc.weight came first and matched, but a failed load must leave every parameter untouched.
    #expect(target[0].tensor.array == [0, 0, 0, 0, 0, 0])
  }

  @Test func loadRejectsAWrongDType() throws {
    let path = makeTemporaryFolder() + "/ckpt.safetensors"
    try Safetensors.write(
      [StoredTensor(name: "enc.weight", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]),
       StoredTensor(name: "enc.bias", shape: [2], doubles: [1, 2])],
      to: path)
    #expect(throws: LamError("\(path): tensor 'enc.bias': expected dtype F32, found F64")) {
      try Safetensors.load(into: parameters(), from: path)
    }
  }
}

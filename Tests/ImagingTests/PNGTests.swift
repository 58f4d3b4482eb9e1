import Core
import Foundation
import Imaging
import Testing
import TestSupport

func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
  var rng = RNG(seed: seed)
  return Image(width: width, height: height, channels: channels,
               pixels: (0..<(width * height * channels)).map { _ in UInt8(rng.int(below: 256)) })
}

/// The LamError `body` throws, or nil.
func lamError(_ body: () throws -> Void) -> LamError? {
  do { try body() } catch let error as LamError { return error } catch { return nil }
  return nil
}

@Test(arguments: [1, 3, 4])
func pngRoundTripIsExact(channels: Int) throws {
  let dir = makeTemporaryFolder()
  for (w, h) in [(1, 1), (7, 3), (3, 7), (64, 33)] {
    let image = randomImage(width: w, height: h, channels: channels, seed: UInt64(w * 100 + h))
    let path = dir + "/\(w)x\(h).png"
    try PNG.write(image, to: path)
    #expect(try PNG.read(path) == image, "\(w)x\(h)x\(channels)")
  }
}

@Test func pngBytesStartWithTheSignatureAndIHDRCarriesSizeAndColourType() throws {
  for (channels, colourType) in [(1, 0), (3, 2), (4, 6)] as [(Int, UInt8)] {
    let bytes = [UInt8](try PNG.encode(Image(width: 7, height: 3, channels: channels)))
    #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    #expect(Array(bytes[8..<12]) == [0, 0, 0, 13])  // IHDR length
    #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
    #expect(Array(bytes[16..<24]) == [0, 0, 0, 7, 0, 0, 0, 3])  // width, height (big-endian)
    #expect(bytes[24] == 8)  // bit depth
    #expect(bytes[25] == colourType)
  }
}

@Test func sameImageGivesTheSameBytes() throws {
  let image = randomImage(width: 13, height: 5, channels: 3, seed: 9)
  let dir = makeTemporaryFolder()
  try PNG.write(image, to: dir + "/a.png")
  try PNG.write(image, to: dir + "/b.png")
  let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.png"))
  #expect(a == (try Data(contentsOf: URL(fileURLWithPath: dir + "/b.png"))))
  #expect(a == (try PNG.encode(image)))
}

@Test func readingANonPNGFileNamesTheFile() throws {
  let path = makeTemporaryFolder() + "/notes.png"
  try Data("hello, this is text".utf8).write(to: URL(fileURLWithPath: path))
  let error = lamError { _ = try PNG.read(path) }
  #expect(error?.message.hasPrefix(path + ": not a PNG file") == true, "\(String(describing: error))")
}

@Test func readingATruncatedPNGNamesTheFile() throws {
  let path = makeTemporaryFolder() + "/cut.png"
  let whole = try PNG.encode(randomImage(width: 20, height: 20, channels: 3, seed: 1))
  for keep in [12, 40, whole.count - 20] {
    try whole.prefix(keep).write(to: URL(fileURLWithPath: path))
    let error = lamError { _ = try PNG.read(path) }
    #expect(error?.message.hasPrefix(path + ": ") == true, "keep \(keep): \(String(describing: error))")
  }
}

@Test func readingACorruptedPNGNamesTheFile() throws {
  let path = makeTemporaryFolder() + "/flipped.png"
  var bytes = [UInt8](try PNG.encode(randomImage(width: 20, height: 20, channels: 3, seed: 2)))
  bytes[bytes.count / 2] ^= 0xFF  // inside IDAT: the chunk CRC no longer matches
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  let error = lamError { _ = try PNG.read(path) }
  #expect(error?.message.hasPrefix(path + ": ") == true, "\(String(describing: error))")
}

@Test func readingAPNGThatClaimsAHugeSizeFailsCleanly() throws {
  let path = makeTemporaryFolder() + "/huge.png"
  try TinyPNG.file(width: 100_000, height: 100_000, bitDepth: 8, colourType: 0, scanlines: [0, 0])
    .write(to: URL(fileURLWithPath: path))
  let error = lamError { _ = try PNG.read(path) }
  #expect(error?.message == "\(path): the image is too large (100000x100000 pixels)")
}

@Test func readingAMissingFileNamesTheFile() {
  let path = makeTemporaryFolder() + "/absent.png"
  let error = lamError { _ = try PNG.read(path) }
  #expect(error?.message == "\(path): cannot read the file (no such file)")
}

@Test func writingIntoAMissingFolderNamesTheFileAndWritesNothing() {
  let dir = makeTemporaryFolder()
  let path = dir + "/missing/out.png"
  let error = lamError { try PNG.write(Image(width: 2, height: 2), to: path) }
  #expect(error?.message.hasPrefix(path + ": ") == true)
  #expect((try? FileManager.default.contentsOfDirectory(atPath: dir)) == [])
}

@Test func writingAnEmptyImageFailsAndKeepsTheOldFile() throws {
  let path = makeTemporaryFolder() + "/keep.png"
  let old = Image(width: 2, height: 2, channels: 1, colour: Colour(gray: 9))
  try PNG.write(old, to: path)
  let error = lamError { try PNG.write(Image(width: 0, height: 4), to: path) }
  #expect(error?.message.hasPrefix(path + ": ") == true)
  #expect(try PNG.read(path) == old)
}

@Test func paletteFilesAreReadAsRGBAndWithTransparencyAsRGBA() throws {
  let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255]
  let indices: [UInt8] = [0, 2, 0, 1]  // filter byte, then one index per pixel
  let plain = TinyPNG.file(width: 3, height: 1, bitDepth: 8, colourType: 3, scanlines: indices,
                           extraChunks: [("PLTE", palette)])
  #expect(try PNG.decode(plain, source: "p.png") == Image(width: 3, height: 1, channels: 3,
                                                            pixels: [0, 0, 255, 255, 0, 0, 0, 255, 0]))
  let transparent = TinyPNG.file(width: 3, height: 1, bitDepth: 8, colourType: 3, scanlines: indices,
                                 extraChunks: [("PLTE", palette), ("tRNS", [0, 255, 255])])
  #expect(try PNG.decode(transparent, source: "t.png") == Image(width: 3, height: 1, channels: 4,
                                                                  pixels: [0, 0, 255, 255, 255, 0, 0, 0, 0, 255, 0, 255]))
}

@Test func sixteenBitAndOneBitGrayAreReadAsEightBit() throws {
  // Without gamma information 16-bit samples are read as sRGB, like 8-bit ones: multiples of 257
  // map to v / 257 however libpng rounds.
  let sixteen = TinyPNG.file(width: 3, height: 1, bitDepth: 16, colourType: 0,
                             scanlines: [0, 0x00, 0x00, 0x12, 0x12, 0xFF, 0xFF])
  #expect(try PNG.decode(sixteen, source: "s.png") == Image(width: 3, height: 1, channels: 1, pixels: [0, 18, 255]))
  let oneBit = TinyPNG.file(width: 3, height: 1, bitDepth: 1, colourType: 0, scanlines: [0, 0b1010_0000])
  #expect(try PNG.decode(oneBit, source: "b.png") == Image(width: 3, height: 1, channels: 1, pixels: [255, 0, 255]))
}

@Test func grayWithAlphaIsReadAsRGBA() throws {
  let file = TinyPNG.file(width: 2, height: 1, bitDepth: 8, colourType: 4, scanlines: [0, 10, 255, 200, 0])
  #expect(try PNG.decode(file, source: "ga.png") == Image(width: 2, height: 1, channels: 4,
                                                            pixels: [10, 10, 10, 255, 200, 200, 200, 0]))
}

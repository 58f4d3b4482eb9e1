import Imaging
import Testing

@Test func newImageIsFilledAndGrayImagesStoreLuma() {
  let rgb = Image(width: 3, height: 2, channels: 3, colour: Colour(10, 200, 30))
  #expect(rgb.pixels == [UInt8](repeating: 0, count: 6).flatMap { _ in [10, 200, 30] as [UInt8] })
  // (299 * 10 + 587 * 200 + 114 * 30 + 500) / 1000 = 124810 / 1000 = 124
  let gray = Image(width: 2, height: 2, channels: 1, colour: Colour(10, 200, 30))
  #expect(gray.pixels == [124, 124, 124, 124])
  let rgba = Image(width: 1, height: 1, channels: 4, colour: Colour(1, 2, 3, 4))
  #expect(rgba.pixels == [1, 2, 3, 4])
}

@Test func setPixelWritesOnePixelAndIgnoresPointsOutside() {
  var image = Image(width: 3, height: 2, channels: 3, colour: .black)
  image.setPixel(x: 2, y: 1, Colour(7, 8, 9))
  image.setPixel(x: 3, y: 0, .white)
  image.setPixel(x: -1, y: 1, .white)
  #expect(image.pixel(x: 2, y: 1) == Colour(7, 8, 9))
  #expect(image[x: 2, y: 1, channel: 1] == 8)
  #expect(image.pixels.reduce(0) { $0 + Int($1) } == 7 + 8 + 9)
}

@Test func fillPaintsOnlyThePartOfTheRectInsideTheImage() {
  var image = Image(width: 5, height: 5, channels: 1, colour: .black)
  image.fill(Rect(x: -2, y: 3, width: 4, height: 9), .white)
  for y in 0..<5 {
    for x in 0..<5 {
      #expect(image[x: x, y: y, channel: 0] == (x < 2 && y >= 3 ? 255 : 0), "(\(x), \(y))")
    }
  }
}

@Test func channelConversionsCopyGrayAndComputeLuma() {
  let gray = Image(width: 2, height: 1, channels: 1, pixels: [0, 77])
  #expect(gray.converted(toChannels: 3).pixels == [0, 0, 0, 77, 77, 77])
  #expect(gray.converted(toChannels: 4).pixels == [0, 0, 0, 255, 77, 77, 77, 255])
  let rgba = Image(width: 1, height: 1, channels: 4, pixels: [10, 200, 30, 9])
  #expect(rgba.converted(toChannels: 3).pixels == [10, 200, 30])
  #expect(rgba.converted(toChannels: 1).pixels == [124])
}

@Test func planarFloatsAreClippedAndRoundedToBytes() {
  // round(255 * clamp(v, 0, 1)), halves up, NaN -> 0.
  let values: [Float] = [0, 1, 0.5, -0.3, 1.7, .nan, 0.002, 0.0019, .infinity, -.infinity, 0.25, 0.75]
  let image = Image(planar: values, channels: 1, height: 3, width: 4)
  // 0.5 -> 127.5 -> 128; 0.002 -> 0.51 -> 1; 0.0019 -> 0.4845 -> 0; 0.25 -> 63.75 -> 64; 0.75 -> 191.25 -> 191
  #expect(image.pixels == [0, 255, 128, 0, 255, 0, 1, 0, 255, 0, 64, 191])
  #expect(image.width == 4 && image.height == 3 && image.channels == 1)
}

@Test func planarRGBFramesBecomeInterleavedPixels() {
  // [3, 1, 2]: the R plane, then G, then B.
  let frame: [Float] = [1, 0, 0, 0.5, 0.2, 1]
  let image = Image(planar: frame, channels: 3, height: 1, width: 2)
  #expect(image.pixels == [255, 0, 51, 0, 128, 255])
}

@Test func upscalingCopiesEachPixelIntoAKByKBlock() {
  let small = Image(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4])
  let big = small.upscaled(by: 3)
  #expect(big.width == 6 && big.height == 6)
  #expect(big.pixels == [
    1, 1, 1, 2, 2, 2,
    1, 1, 1, 2, 2, 2,
    1, 1, 1, 2, 2, 2,
    3, 3, 3, 4, 4, 4,
    3, 3, 3, 4, 4, 4,
    3, 3, 3, 4, 4, 4,
  ])
  let rgb = Image(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6]).upscaled(by: 2)
  #expect(rgb.pixels == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
}

@Test func pasteCopiesATileConvertedAndClippedAtTheEdges() {
  var canvas = Image(width: 4, height: 3, channels: 3, colour: .black)
  let tile = Image(width: 2, height: 2, channels: 1, pixels: [10, 20, 30, 40])
  canvas.paste(tile, x: 1, y: 0)
  canvas.paste(tile, x: 3, y: 2)  // only its top-left pixel lands inside
  #expect(canvas.pixel(x: 1, y: 0) == Colour(gray: 10))
  #expect(canvas.pixel(x: 2, y: 0) == Colour(gray: 20))
  #expect(canvas.pixel(x: 1, y: 1) == Colour(gray: 30))
  #expect(canvas.pixel(x: 2, y: 1) == Colour(gray: 40))
  #expect(canvas.pixel(x: 3, y: 2) == Colour(gray: 10))
  #expect(canvas.pixel(x: 0, y: 0) == .black && canvas.pixel(x: 3, y: 0) == .black && canvas.pixel(x: 0, y: 2) == .black)
}

/// A picture: `height` rows of `width` pixels of `channels` bytes each (1 gray, 3 RGB, 4 RGBA),
/// stored row-major and interleaved: the byte of channel c at (x, y) is
/// `pixels[(y * width + x) * channels + c]`.
public struct Image: Equatable, Sendable {
  public let width: Int
  public let height: Int
  public let channels: Int
  public var pixels: [UInt8]  // [height, width, channels]

  /// An image filled with `colour` (gray images store its luma; RGB images drop its alpha).
  public init(width: Int, height: Int, channels: Int = 3, colour: Colour = .white) {
    precondition(width >= 0 && height >= 0, "image size must not be negative")
    precondition([1, 3, 4].contains(channels), "channels must be 1, 3 or 4, got \(channels)")
    self.width = width
    self.height = height
    self.channels = channels
    let one = Image.bytes(of: colour, channels: channels)
    var pixels = [UInt8]()
    pixels.reserveCapacity(width * height * channels)
    for _ in 0..<(width * height) { pixels.append(contentsOf: one) }
    self.pixels = pixels
  }

  /// An image over existing interleaved bytes; `pixels.count` must be width * height * channels.
  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    precondition(width >= 0 && height >= 0, "image size must not be negative")
    precondition([1, 3, 4].contains(channels), "channels must be 1, 3 or 4, got \(channels)")
    precondition(pixels.count == width * height * channels,
                 "\(pixels.count) bytes for a \(width)x\(height)x\(channels) image")
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// The bytes `colour` occupies in an image of `channels` channels.
  static func bytes(of colour: Colour, channels: Int) -> [UInt8] {
    switch channels {
    case 1: return [colour.luma]
    case 3: return [colour.r, colour.g, colour.b]
    default: return [colour.r, colour.g, colour.b, colour.a]
    }
  }

  /// True when (x, y) is a pixel of this image.
  public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

  /// The byte of one channel of one pixel.
  public subscript(x x: Int, y y: Int, channel channel: Int) -> UInt8 {
    get {
      precondition(contains(x: x, y: y) && channel >= 0 && channel < channels, "pixel (\(x), \(y), \(channel)) outside the image")
      return pixels[(y * width + x) * channels + channel]
    }
    set {
      precondition(contains(x: x, y: y) && channel >= 0 && channel < channels, "pixel (\(x), \(y), \(channel)) outside the image")
      pixels[(y * width + x) * channels + channel] = newValue
    }
  }

  /// The colour at (x, y): gray g reads as (g, g, g), RGB as opaque.
  public func pixel(x: Int, y: Int) -> Colour {
    precondition(contains(x: x, y: y), "pixel (\(x), \(y)) outside a \(width)x\(height) image")
    let i = (y * width + x) * channels
    switch channels {
    case 1: return Colour(gray: pixels[i])
    case 3: return Colour(pixels[i], pixels[i + 1], pixels[i + 2])
    default: return Colour(pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
    }
  }

  /// Sets the pixel at (x, y); points outside the image are ignored, so shapes may overhang the edge.
  public mutating func setPixel(x: Int, y: Int, _ colour: Colour) {
    guard contains(x: x, y: y) else { return }
    let i = (y * width + x) * channels
    switch channels {
    case 1:
      pixels[i] = colour.luma
    case 3:
      pixels[i] = colour.r; pixels[i + 1] = colour.g; pixels[i + 2] = colour.b
    default:
      pixels[i] = colour.r; pixels[i + 1] = colour.g; pixels[i + 2] = colour.b; pixels[i + 3] = colour.a
    }
  }

  /// Paints the part of `rect` inside the image with `colour` (no blending).
  public mutating func fill(_ rect: Rect, _ colour: Colour) {
    let r = rect.intersection(Rect(x: 0, y: 0, width: width, height: height))
    guard r.width > 0 && r.height > 0 else { return }
    let one = Image.bytes(of: colour, channels: channels)
    for y in r.y..<r.maxY {
      var i = (y * width + r.x) * channels
      for _ in 0..<r.width {
        for c in 0..<channels { pixels[i + c] = one[c] }
        i += channels
      }
    }
  }

  /// The same picture with `channels` channels: gray is copied into R, G and B; colour becomes gray
  /// by its luma; alpha is dropped, or added as 255 (opaque).
  public func converted(toChannels target: Int) -> Image {
    precondition([1, 3, 4].contains(target), "channels must be 1, 3 or 4, got \(target)")
    if target == channels { return self }
    var out = [UInt8](repeating: 0, count: width * height * target)
    for p in 0..<(width * height) {
      let s = p * channels, d = p * target
      if target == 1 {
        out[d] = channels == 1 ? pixels[s] : Colour(pixels[s], pixels[s + 1], pixels[s + 2]).luma
        continue
      }
      if channels == 1 {
        out[d] = pixels[s]; out[d + 1] = pixels[s]; out[d + 2] = pixels[s]
      } else {
        out[d] = pixels[s]; out[d + 1] = pixels[s + 1]; out[d + 2] = pixels[s + 2]
      }
      if target == 4 { out[d + 3] = channels == 4 ? pixels[s + 3] : 255 }
    }
    return Image(width: width, height: height, channels: target, pixels: out)
  }

  /// The byte for an intensity in [0, 1]: round(255 * v) after clipping to [0, 1], halves rounded
  /// up (0.5 -> 128); NaN -> 0.
  public static func byte(_ v: Float) -> UInt8 {
    guard !v.isNaN else { return 0 }
    let clipped = min(max(v, 0), 1)
    return UInt8((clipped * 255).rounded(.toNearestOrAwayFromZero))
  }

  /// An image from planar float data `[channels, height, width]` in [0, 1] (a grid-world frame),
  /// each value converted by `Image.byte`. `channels` is 1, 3 or 4.
  public init(planar values: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int) {
    precondition([1, 3, 4].contains(channels), "channels must be 1, 3 or 4, got \(channels)")
    precondition(values.count == channels * height * width,
                 "\(values.count) values for a \(channels)x\(height)x\(width) frame")
    var out = [UInt8](repeating: 0, count: values.count)  // [height, width, channels]
    let plane = height * width
    for c in 0..<channels {
      for p in 0..<plane { out[p * channels + c] = Image.byte(values[c * plane + p]) }
    }
    self.init(width: width, height: height, channels: channels, pixels: out)
  }

  /// An image from planar float data `[channels, height, width]` in [0, 1]; see the pointer version.
  public init(planar values: [Float], channels: Int, height: Int, width: Int) {
    self = values.withUnsafeBufferPointer { Image(planar: $0, channels: channels, height: height, width: width) }
  }

  /// The image enlarged `factor` times by nearest neighbour: each pixel becomes a factor x factor block.
  public func upscaled(by factor: Int) -> Image {
    precondition(factor >= 1, "upscale factor must be at least 1, got \(factor)")
    if factor == 1 { return self }
    let w = width * factor
    var out = [UInt8](repeating: 0, count: w * height * factor * channels)  // [height * f, width * f, channels]
    for y in 0..<(height * factor) {
      let sy = y / factor
      for x in 0..<w {
        let s = (sy * width + x / factor) * channels, d = (y * w + x) * channels
        for c in 0..<channels { out[d + c] = pixels[s + c] }
      }
    }
    return Image(width: w, height: height * factor, channels: channels, pixels: out)
  }

  /// Copies `tile` (converted to this image's channels, no blending) with its top-left corner at
  /// (x, y); the part falling outside this image is dropped.
  public mutating func paste(_ tile: Image, x: Int, y: Int) {
    let src = tile.converted(toChannels: channels)
    let r = Rect(x: x, y: y, width: src.width, height: src.height)
      .intersection(Rect(x: 0, y: 0, width: width, height: height))
    guard r.width > 0 && r.height > 0 else { return }
    let rowBytes = r.width * channels
    for row in r.y..<r.maxY {
      let s = ((row - y) * src.width + (r.x - x)) * channels
      let d = (row * width + r.x) * channels
      pixels.replaceSubrange(d..<(d + rowBytes), with: src.pixels[s..<(s + rowBytes)])
    }
  }
}

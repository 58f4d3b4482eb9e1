/// An 8-bit sRGB colour with alpha (255 = opaque).
public struct Colour: Equatable, Hashable, Sendable {
  public var r: UInt8
  public var g: UInt8
  public var b: UInt8
  public var a: UInt8

  public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) {
    self.r = r
    self.g = g
    self.b = b
    self.a = a
  }

  /// A colour from a 0xRRGGBB literal, opaque.
  public init(hex: UInt32) {
    self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
  }

  /// A grey with r = g = b = `level`.
  public init(gray level: UInt8) { self.init(level, level, level) }

  /// Rec. 601 luma rounded to the nearest integer: (299 r + 587 g + 114 b) / 1000.
  /// This is the value a gray image stores for this colour.
  public var luma: UInt8 {
    let weighted: Int = 299 * Int(r) + 587 * Int(g) + 114 * Int(b)
    return UInt8((weighted + 500) / 1000)
  }

  /// This colour moved `amount` (0...1) of the way towards white, rounded: a faint copy drawn behind the original.
  public func faded(_ amount: Double) -> Colour {
    func mix(_ v: UInt8) -> UInt8 { UInt8((Double(v) + (255 - Double(v)) * min(max(amount, 0), 1)).rounded()) }
    return Colour(mix(r), mix(g), mix(b), a)
  }

  public static let black = Colour(0, 0, 0)
  public static let white = Colour(255, 255, 255)
}

/// An axis-aligned rectangle of pixels: columns x..<x+width, rows y..<y+height.
public struct Rect: Equatable, Hashable, Sendable {
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int

  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }

  public var maxX: Int { x + width }
  public var maxY: Int { y + height }

  /// The part of this rectangle inside `other` (zero-sized when they do not meet).
  public func intersection(_ other: Rect) -> Rect {
    let x0 = max(x, other.x), y0 = max(y, other.y)
    let x1 = min(maxX, other.maxX), y1 = min(maxY, other.maxY)
    return Rect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
  }

  /// This rectangle shrunk by `d` pixels on every side (grown when `d` is negative).
  public func insetBy(_ d: Int) -> Rect {
    Rect(x: x + d, y: y + d, width: max(0, width - 2 * d), height: max(0, height - 2 * d))
  }
}

// Drawing primitives the plots share: blending, anti-aliased lines and discs, outlines.
// Continuous coordinates put the centre of pixel (i, j) at (i, j).

extension Image {
  /// Mixes `colour` into pixel (x, y) with weight `alpha` in [0, 1]; outside points are ignored.
  mutating func blend(x: Int, y: Int, _ colour: Colour, alpha: Float) {
    guard contains(x: x, y: y), alpha > 0 else { return }
    let a = min(alpha, 1)
    let one = Image.bytes(of: colour, channels: channels)
    let i = (y * width + x) * channels
    for c in 0..<min(channels, 3) {
      let old = Float(pixels[i + c])
      pixels[i + c] = UInt8((old + (Float(one[c]) - old) * a).rounded())
    }
  }

  /// Mixes `colour` into every pixel of `rect` with weight `alpha`.
  mutating func blend(_ rect: Rect, _ colour: Colour, alpha: Float) {
    let r = rect.intersection(Rect(x: 0, y: 0, width: width, height: height))
    guard r.width > 0 && r.height > 0 else { return }
    for y in r.y..<r.maxY {
      for x in r.x..<r.maxX { blend(x: x, y: y, colour, alpha: alpha) }
    }
  }

  /// A one-pixel outline just inside `rect`.
  mutating func stroke(_ rect: Rect, _ colour: Colour) {
    guard rect.width > 0 && rect.height > 0 else { return }
    fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), colour)
    fill(Rect(x: rect.x, y: rect.maxY - 1, width: rect.width, height: 1), colour)
    fill(Rect(x: rect.x, y: rect.y, width: 1, height: rect.height), colour)
    fill(Rect(x: rect.maxX - 1, y: rect.y, width: 1, height: rect.height), colour)
  }

  /// An anti-aliased polyline `width` pixels wide, drawn inside `clip` only. Coverage is the
  /// maximum over segments, so joints are not painted twice.
  mutating func drawPolyline(_ points: [(x: Double, y: Double)], _ colour: Colour, width lineWidth: Double, clip: Rect) {
    guard !points.isEmpty else { return }
    let reach = lineWidth / 2 + 1
    let xs = points.map(\.x), ys = points.map(\.y)
    let x0 = Int((xs.min()! - reach).rounded(.down)), y0 = Int((ys.min()! - reach).rounded(.down))
    let x1 = Int((xs.max()! + reach).rounded(.up)), y1 = Int((ys.max()! + reach).rounded(.up))
    let bounds = Rect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
      .intersection(clip).intersection(Rect(x: 0, y: 0, width: width, height: height))
    guard bounds.width > 0 && bounds.height > 0 else { return }
    var coverage = [Float](repeating: 0, count: bounds.width * bounds.height)  // [bounds.height, bounds.width]
    let segments = points.count == 1 ? [(points[0], points[0])] : Array(zip(points, points.dropFirst()))
    for (p, q) in segments {
      let seg = Rect(
        x: Int((min(p.x, q.x) - reach).rounded(.down)), y: Int((min(p.y, q.y) - reach).rounded(.down)),
        width: Int((abs(p.x - q.x) + 2 * reach).rounded(.up)) + 2,
        height: Int((abs(p.y - q.y) + 2 * reach).rounded(.up)) + 2)
        .intersection(bounds)
      guard seg.width > 0 && seg.height > 0 else { continue }
      let dx = q.x - p.x, dy = q.y - p.y
      let length2 = dx * dx + dy * dy
      for y in seg.y..<seg.maxY {
        for x in seg.x..<seg.maxX {
          // Distance from the pixel centre to the segment.
          var t = length2 > 0 ? ((Double(x) - p.x) * dx + (Double(y) - p.y) * dy) / length2 : 0
          t = min(max(t, 0), 1)
          let ex = Double(x) - (p.x + t * dx), ey = Double(y) - (p.y + t * dy)
          let c = Float(min(max(lineWidth / 2 + 0.5 - (ex * ex + ey * ey).squareRoot(), 0), 1))
          let k = (y - bounds.y) * bounds.width + (x - bounds.x)
          if c > coverage[k] { coverage[k] = c }
        }
      }
    }
    for y in bounds.y..<bounds.maxY {
      for x in bounds.x..<bounds.maxX {
        let c = coverage[(y - bounds.y) * bounds.width + (x - bounds.x)]
        if c > 0 { blend(x: x, y: y, colour, alpha: c * Float(colour.a) / 255) }
      }
    }
  }

  /// An anti-aliased filled disc centred at (cx, cy), drawn inside `clip` only.
  mutating func fillDisc(cx: Double, cy: Double, radius: Double, _ colour: Colour, clip: Rect) {
    let r = Rect(
      x: Int((cx - radius - 1).rounded(.down)), y: Int((cy - radius - 1).rounded(.down)),
      width: Int((2 * radius + 3).rounded(.up)), height: Int((2 * radius + 3).rounded(.up)))
      .intersection(clip)
    guard r.width > 0 && r.height > 0 else { return }
    for y in r.y..<r.maxY {
      for x in r.x..<r.maxX {
        let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
        let c = Float(min(max(radius + 0.5 - d, 0), 1))
        blend(x: x, y: y, colour, alpha: c * Float(colour.a) / 255)
      }
    }
  }
}

// Plot legends, placed where they hide no data.

/// Which pixels of a picture hold data, so a legend can be put where it hides none.
struct Occupancy {
  let width: Int
  let height: Int
  private var used: [Bool]  // [height, width]

  init(width: Int, height: Int) {
    self.width = width
    self.height = height
    used = [Bool](repeating: false, count: width * height)
  }

  mutating func mark(_ rect: Rect) {
    let r = rect.intersection(Rect(x: 0, y: 0, width: width, height: height))
    guard r.width > 0 && r.height > 0 else { return }
    for y in r.y..<r.maxY {
      for x in r.x..<r.maxX { used[y * width + x] = true }
    }
  }

  /// Marks the pixels along a segment, `radius` pixels either side.
  mutating func mark(from p: (x: Double, y: Double), to q: (x: Double, y: Double), radius: Int) {
    let steps = Int(max(abs(q.x - p.x), abs(q.y - p.y)).rounded(.up)) + 1
    for i in 0...steps {
      let t = Double(i) / Double(steps)
      let x = Int((p.x + (q.x - p.x) * t).rounded()), y = Int((p.y + (q.y - p.y) * t).rounded())
      mark(Rect(x: x - radius, y: y - radius, width: 2 * radius + 1, height: 2 * radius + 1))
    }
  }

  func isFree(_ rect: Rect) -> Bool {
    let r = rect.intersection(Rect(x: 0, y: 0, width: width, height: height))
    guard r.width > 0 && r.height > 0 else { return true }
    for y in r.y..<r.maxY {
      for x in r.x..<r.maxX where used[y * width + x] { return false }
    }
    return true
  }
}

/// A boxed list of coloured marks and names.
struct Legend {
  enum Mark { case line, disc, box }

  var entries: [(name: String, colour: Colour)]
  var mark: Mark
  var scale = 1

  var inset: Int { 6 * scale }
  var rowHeight: Int { (Font.lineHeight + 3) * scale }
  var markWidth: Int { mark == .line ? 20 * scale : 9 * scale }

  var width: Int {
    2 * inset + markWidth + 5 * scale + (entries.map { Font.textWidth($0.name, scale: scale) }.max() ?? 0) - scale
  }
  var height: Int { 2 * inset + entries.count * rowHeight - 3 * scale }

  /// The legend's place: a free corner of `frame.area`, or else a margin reserved on the frame's right
  /// (which shrinks the frame's area: `moved` tells the caller to map its data again).
  func place(in frame: inout Frame, avoiding occupancy: Occupancy) -> (rect: Rect, moved: Bool) {
    if let inside = place(in: frame.area, avoiding: occupancy) { return (inside, false) }
    frame.reserveRight = width + 8 * scale
    let area = frame.area
    return (Rect(x: area.maxX + 8 * scale, y: area.y, width: width, height: height), true)
  }

  /// The first of the area's corners (top right, top left, bottom right, bottom left) where the
  /// legend covers no data, or nil when every corner is taken.
  func place(in area: Rect, avoiding occupancy: Occupancy) -> Rect? {
    let m = 6 * scale
    let corners = [
      (area.maxX - m - width, area.y + m), (area.x + m, area.y + m),
      (area.maxX - m - width, area.maxY - m - height), (area.x + m, area.maxY - m - height),
    ]
    for (x, y) in corners {
      let r = Rect(x: x, y: y, width: width, height: height)
      if r.x >= area.x && r.y >= area.y && occupancy.isFree(r.insetBy(-2 * scale)) { return r }
    }
    return nil
  }

  func draw(on image: inout Image, at origin: (x: Int, y: Int)) {
    let box = Rect(x: origin.x, y: origin.y, width: width, height: height)
    image.fill(box, .white)
    image.stroke(box, Colour(gray: 200))
    for (i, entry) in entries.enumerated() {
      let top = origin.y + inset + i * rowHeight
      let midY = Double(top) + Double(Font.capHeight * scale - 1) / 2
      let x0 = origin.x + inset
      switch mark {
      case .line:
        image.drawPolyline([(Double(x0), midY), (Double(x0 + markWidth - 1), midY)], entry.colour,
                           width: 2 * Double(scale), clip: box)
      case .disc:
        image.fillDisc(cx: Double(x0) + Double(markWidth - 1) / 2, cy: midY, radius: Double(markWidth) / 2 - 0.5,
                       entry.colour, clip: box)
      case .box:
        image.fill(Rect(x: x0, y: top - scale, width: markWidth, height: markWidth), entry.colour)
      }
      image.drawText(entry.name, at: (x0 + markWidth + 5 * scale, top), colour: Frame.textColour, scale: scale)
    }
  }
}

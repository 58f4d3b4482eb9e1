import Foundation

/// A matrix drawn as coloured cells with a colour bar, row and column labels and optionally each
/// cell's number (a confusion matrix, an error map).
public struct Heatmap: Sendable {
  /// The cells, row by row; every row has the same length.
  public var values: [[Double]]
  public var rowLabels: [String]
  public var columnLabels: [String]
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var colourMap: ColourMap = .viridis
  /// The values at the two ends of the colour map; nil: the smallest and largest finite values
  /// (-m...m with m the largest magnitude when `symmetric`).
  public var range: ClosedRange<Double>? = nil
  public var symmetric = false
  /// Write each cell's value in it (black or white, whichever is more legible).
  public var showValues = false
  /// Decimals of the written values; nil: 0 when every value is a whole number, else 2.
  public var decimals: Int? = nil
  public var squareCells = true
  public var width = 640
  public var height = 400
  /// Multiplies every text size and spacing.
  public var textScale = 1

  public init(values: [[Double]], rowLabels: [String] = [], columnLabels: [String] = [],
              title: String = "", xLabel: String = "", yLabel: String = "") {
    precondition(values.allSatisfy { $0.count == (values.first?.count ?? 0) }, "heatmap rows differ in length")
    self.values = values
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
  }

  /// The value range the colour map spans.
  public var effectiveRange: ClosedRange<Double> {
    if let range, range.upperBound > range.lowerBound { return range }
    let finite = values.joined().filter(\.isFinite)
    guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
    if symmetric {
      let m = max(abs(lo), abs(hi))
      return m > 0 ? -m...m : -1...1
    }
    return lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
  }

  /// The colour a cell holding `value` gets.
  public func colour(of value: Double) -> Colour { colourMap.colour(of: value, in: effectiveRange) }

  /// Where cell (row, column) lands in the rendered image.
  public func cellRect(row: Int, column: Int) -> Rect {
    let g = layout()
    return Rect(x: g.matrix.x + column * g.cellWidth, y: g.matrix.y + row * g.cellHeight,
                width: g.cellWidth, height: g.cellHeight)
  }

  /// Draws the heatmap on a white RGB image of width x height.
  public func render() -> Image {
    let s = textScale
    let g = layout()
    let rows = values.count, columns = values.first?.count ?? 0
    var image = Image(width: width, height: height, channels: 3, colour: .white)
    g.frame.draw(
      on: &image, area: g.matrix,
      xTicks: (0..<columns).map { Tick(position: g.matrix.x + $0 * g.cellWidth + g.cellWidth / 2, label: label(columnLabels, $0)) },
      yTicks: (0..<rows).map { Tick(position: g.matrix.y + $0 * g.cellHeight + g.cellHeight / 2, label: label(rowLabels, $0)) },
      grid: false)

    let range = effectiveRange
    let places = decimals ?? (values.joined().allSatisfy { !$0.isFinite || $0 == $0.rounded() } ? 0 : 2)
    let texts = values.map { row in row.map { showValues && $0.isFinite ? cellText($0, places: places) : "" } }
    // One text size for every cell: the largest at which the longest number fits with a margin.
    let longest = texts.joined().max { $0.count < $1.count } ?? ""
    let textSize = (1...(2 * s)).reversed().first {
      Font.textWidth(longest, scale: $0) + 4 <= g.cellWidth && Font.capHeight * $0 + 4 <= g.cellHeight
    }
    for r in 0..<rows {
      for c in 0..<columns {
        let cell = Rect(x: g.matrix.x + c * g.cellWidth, y: g.matrix.y + r * g.cellHeight,
                        width: g.cellWidth, height: g.cellHeight)
        let colour = colourMap.colour(of: values[r][c], in: range)
        image.fill(cell, colour)
        guard let size = textSize, !texts[r][c].isEmpty else { continue }
        let text = texts[r][c]
        let ink = colour.luma > 140 ? Colour(gray: 20) : .white
        image.drawText(text, at: (cell.x + (cell.width - Font.textWidth(text, scale: size) + size) / 2,
                                  cell.y + (cell.height - Font.capHeight * size) / 2), colour: ink, scale: size)
      }
    }

    // The colour bar: the map from bottom (low) to top (high), with nice ticks.
    let bar = Rect(x: g.matrix.maxX + 12 * s, y: g.matrix.y, width: 14 * s, height: g.matrix.height)
    for y in bar.y..<bar.maxY {
      let t = bar.height > 1 ? Double(bar.maxY - 1 - y) / Double(bar.height - 1) : 0.5
      image.fill(Rect(x: bar.x, y: y, width: bar.width, height: 1), colourMap.colour(at: t))
    }
    image.stroke(bar.insetBy(-1), Frame.axisColour)
    let ticks = barTicks(height: bar.height)
    for (v, text) in zip(ticks.values, ticks.labels) {
      let y = bar.maxY - 1 - Int(((v - range.lowerBound) / (range.upperBound - range.lowerBound) * Double(bar.height - 1)).rounded())
      image.fill(Rect(x: bar.maxX + 1, y: y, width: 4 * s, height: s), Frame.axisColour)
      image.drawText(text, at: (bar.maxX + 1 + 7 * s, y - Font.capHeight * s / 2), colour: Frame.textColour, scale: s)
    }
    return image
  }

  func label(_ labels: [String], _ i: Int) -> String { i < labels.count ? labels[i] : "\(i)" }

  /// A cell's number written with `places` decimals.
  func cellText(_ v: Double, places: Int) -> String {
    let text = String(format: "%.\(max(0, places))f", v)
    // A small negative value rounds to "-0.00": drop the sign.
    return text.hasPrefix("-") && text.dropFirst().allSatisfy { $0 == "0" || $0 == "." } ? String(text.dropFirst()) : text
  }

  func barTicks(height: Int) -> (values: [Double], labels: [String]) {
    let range = effectiveRange
    let t = Ticks.nice(range.lowerBound, range.upperBound, maxCount: max(2, min(8, height / (30 * textScale))))
    return (t, Ticks.labels(t))
  }

  /// The frame, the matrix rectangle and the cell size.
  func layout() -> (frame: Frame, matrix: Rect, cellWidth: Int, cellHeight: Int) {
    let s = textScale
    let rows = max(values.count, 1), columns = max(values.first?.count ?? 0, 1)
    // The bar is at most `height` high; more ticks never means narrower labels.
    let barLabels = barTicks(height: height).labels
    var frame = Frame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                      xTickLabels: (0..<columns).map { label(columnLabels, $0) },
                      yTickLabels: (0..<rows).map { label(rowLabels, $0) }, scale: s)
    frame.reserveRight = 12 * s + 14 * s + 7 * s + (barLabels.map { Font.textWidth($0, scale: s) }.max() ?? 0)
    func cells(_ area: Rect) -> (Int, Int) {
      var w = max(area.width / columns, 1), h = max(area.height / rows, 1)
      if squareCells { w = min(w, h); h = w }
      return (w, h)
    }
    var (w, h) = cells(frame.area)
    if frame.xTickLabels.contains(where: { Font.textWidth($0, scale: s) + 4 * s > w }) {
      frame.verticalXTickLabels = true
      (w, h) = cells(frame.area)
    }
    let area = frame.area
    // Centre the matrix horizontally in the space the frame leaves.
    let matrix = Rect(x: area.x + (area.width - w * columns) / 2, y: area.y, width: w * columns, height: h * rows)
    return (frame, matrix, w, h)
  }
}

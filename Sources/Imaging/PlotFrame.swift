import Foundation

// The scaffolding every plot shares: a data-to-pixel scale and the frame around the data
// (margins, title, axis labels, ticks and grid).

/// Maps data values on one axis to fractions of the axis, linearly or in log10.
struct Scale {
  var lo: Double
  var hi: Double
  var log: Bool

  /// A scale covering the finite `values` (positive ones when `log`), widened by `pad` of the span
  /// on each side; `fixed` is used as given.
  static func fitting(_ values: [Double], log: Bool, pad: Double, fixed: ClosedRange<Double>? = nil) -> Scale {
    if let fixed, fixed.upperBound > fixed.lowerBound, !log || fixed.lowerBound > 0 {
      return Scale(lo: fixed.lowerBound, hi: fixed.upperBound, log: log)
    }
    let usable = values.filter { $0.isFinite && (!log || $0 > 0) }
    guard var lo = usable.min(), var hi = usable.max() else {
      return log ? Scale(lo: 1, hi: 10, log: true) : Scale(lo: 0, hi: 1, log: false)
    }
    if log {
      var a = log10(lo), b = log10(hi)
      if a == b { a -= 0.5; b += 0.5 }
      let d = (b - a) * pad
      return Scale(lo: pow(10, a - d), hi: pow(10, b + d), log: true)
    }
    if lo == hi {
      let d = lo == 0 ? 0.5 : abs(lo) * 0.1
      lo -= d; hi += d
    }
    let d = (hi - lo) * pad
    return Scale(lo: lo - d, hi: hi + d, log: false)
  }

  /// Where `v` falls: 0 at lo, 1 at hi (kept within -1...2, so far-off values stay drawable).
  func fraction(_ v: Double) -> Double {
    let f = log ? (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) : (v - lo) / (hi - lo)
    return f.isNaN ? 0 : min(max(f, -1), 2)
  }

  /// The pixel column of `v` across `area` (continuous: pixel centres at whole numbers).
  func column(_ v: Double, in area: Rect) -> Double { Double(area.x) + fraction(v) * Double(area.width - 1) }

  /// The pixel row of `v` up `area` (rows grow downwards, so hi is the top row).
  func row(_ v: Double, in area: Rect) -> Double { Double(area.maxY - 1) - fraction(v) * Double(area.height - 1) }

  func ticks(maxCount: Int) -> (values: [Double], labels: [String]) {
    if log {
      let t = Ticks.logarithmic(lo, hi, maxCount: maxCount)
      return (t, Ticks.logLabels(t))
    }
    let t = Ticks.nice(lo, hi, maxCount: maxCount)
    return (t, Ticks.labels(t))
  }
}

/// A tick: its pixel position along the axis and its label.
struct Tick {
  var position: Int
  var label: String
}

/// The frame of a plot: computes where the data area goes and draws everything around it.
struct Frame {
  var width: Int
  var height: Int
  var title = ""
  var xLabel = ""
  var yLabel = ""
  var xTickLabels: [String] = []
  var yTickLabels: [String] = []
  /// Write the x tick labels turned a quarter left (for long category names).
  var verticalXTickLabels = false
  /// Pixels kept free right of the data area (an outside legend, a colour bar).
  var reserveRight = 0
  var scale = 1

  static let textColour = Colour(gray: 34)
  static let axisColour = Colour(gray: 80)
  static let gridColour = Colour(gray: 232)

  var pad: Int { 10 * scale }
  var tickLength: Int { 4 * scale }
  var gap: Int { 4 * scale }

  /// Height of the band under the data area taken by the x tick labels.
  var xTickLabelBand: Int {
    if xTickLabels.isEmpty { return 0 }
    if verticalXTickLabels { return xTickLabels.map { Font.textWidth($0, scale: scale) }.max() ?? 0 }
    return Font.lineHeight * scale
  }

  /// Width of the band left of the data area taken by the y tick labels.
  var yTickLabelBand: Int { yTickLabels.map { Font.textWidth($0, scale: scale) }.max() ?? 0 }

  /// The rectangle the data is drawn in.
  var area: Rect {
    let top = pad + (title.isEmpty ? Font.capHeight * scale / 2 : Font.lineHeight * 2 * scale + 2 * gap)
    let left = pad + (yLabel.isEmpty ? 0 : Font.lineHeight * scale + gap) + yTickLabelBand + tickLength + gap + 1
    let bottom = pad + tickLength + gap + xTickLabelBand + (xLabel.isEmpty ? 0 : 2 * gap + Font.lineHeight * scale)
    // The last x tick label is centred on the right edge: leave room for its right half.
    let overhang = verticalXTickLabels ? 0 : Font.textWidth(xTickLabels.last ?? "", scale: scale) / 2
    let right = max(pad, overhang + gap) + reserveRight
    return Rect(x: left, y: top, width: max(width - left - right, 8), height: max(height - top - bottom, 8))
  }

  /// Draws the grid (when `grid`), the box, ticks, tick labels, axis labels and title around `area`.
  func draw(on image: inout Image, area: Rect, xTicks: [Tick], yTicks: [Tick], grid: Bool) {
    if grid {
      for t in xTicks { image.fill(Rect(x: t.position, y: area.y, width: 1, height: area.height), Frame.gridColour) }
      for t in yTicks { image.fill(Rect(x: area.x, y: t.position, width: area.width, height: 1), Frame.gridColour) }
    }
    image.stroke(area.insetBy(-1), Frame.axisColour)
    let labelTop = area.maxY + 1 + tickLength + gap
    for t in xTicks {
      image.fill(Rect(x: t.position, y: area.maxY + 1, width: scale, height: tickLength), Frame.axisColour)
      let w = Font.textWidth(t.label, scale: scale)
      if verticalXTickLabels {
        image.drawText(t.label, at: (t.position - Font.capHeight * scale / 2, labelTop), colour: Frame.textColour,
                       scale: scale, vertical: true)
      } else {
        image.drawText(t.label, at: (t.position - w / 2 + scale / 2, labelTop), colour: Frame.textColour, scale: scale)
      }
    }
    for t in yTicks {
      image.fill(Rect(x: area.x - 1 - tickLength, y: t.position, width: tickLength, height: scale), Frame.axisColour)
      let w = Font.textWidth(t.label, scale: scale)
      image.drawText(t.label, at: (area.x - 1 - tickLength - gap - w + scale, t.position - Font.capHeight * scale / 2),
                     colour: Frame.textColour, scale: scale)
    }
    if !xLabel.isEmpty {
      let w = Font.textWidth(xLabel, scale: scale)
      image.drawText(xLabel, at: (area.x + (area.width - w) / 2, labelTop + xTickLabelBand + 2 * gap),
                     colour: Frame.textColour, scale: scale)
    }
    if !yLabel.isEmpty {
      // Beside the tick labels, so it follows a data area that was moved (a centred heatmap).
      let x = area.x - 1 - tickLength - gap - yTickLabelBand - gap - Font.lineHeight * scale
      let h = Font.textWidth(yLabel, scale: scale)
      image.drawText(yLabel, at: (max(x, pad), area.y + (area.height - h) / 2), colour: Frame.textColour, scale: scale,
                     vertical: true)
    }
    if !title.isEmpty {
      let w = Font.textWidth(title, scale: 2 * scale)
      let x = min(max(area.x + (area.width - w) / 2, pad), max(width - pad - w, pad))
      image.drawText(title, at: (x, pad), colour: Frame.textColour, scale: 2 * scale)
    }
  }
}

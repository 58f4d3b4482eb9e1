import Foundation

/// Named series of (x, y) points drawn as lines, with optional error bands or bars, a legend,
/// nice ticks and an optional log-scale y axis.
public struct LinePlot: Sendable {
  /// How a series shows its error.
  public enum ErrorStyle: Sendable { case band, bars }

  /// One line: `y[i]` at `x[i]`, optionally ± `error[i]`. Non-finite points (and y <= 0 on a log
  /// axis) are skipped and break the line.
  public struct Series: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var error: [Double]?
    public var errorStyle: ErrorStyle
    /// nil: the next Tableau 10 colour.
    public var colour: Colour?

    public init(name: String, x: [Double], y: [Double], error: [Double]? = nil,
                errorStyle: ErrorStyle = .band, colour: Colour? = nil) {
      precondition(x.count == y.count, "series '\(name)': \(x.count) x values but \(y.count) y values")
      precondition(error == nil || error!.count == y.count, "series '\(name)': error count differs from y count")
      self.name = name
      self.x = x
      self.y = y
      self.error = error
      self.errorStyle = errorStyle
      self.colour = colour
    }
  }

  public var series: [Series]
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var width = 640
  public var height = 400
  public var logY = false
  /// Fixed axis ranges; nil fits the data with a small margin.
  public var xRange: ClosedRange<Double>? = nil
  public var yRange: ClosedRange<Double>? = nil
  public var lineWidth = 2.0
  /// Multiplies every text size and spacing (2 for pictures shown at twice the size).
  public var textScale = 1

  public init(series: [Series] = [], title: String = "", xLabel: String = "", yLabel: String = "") {
    self.series = series
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
  }

  /// `values` smoothed as TensorBoard smooths a curve: an exponential moving average with `weight` (0: none,
  /// towards 1: smoother), debiased so the start is not pulled towards zero:
  /// m_i = weight * m_(i-1) + (1 - weight) * v_i, m_0 = 0, smoothed_i = m_i / (1 - weight^i) over the finite
  /// values so far. A non-finite value is kept as it is and skipped by the average.
  public static func smoothed(_ values: [Double], weight: Double) -> [Double] {
    var m = 0.0, count = 0.0
    return values.map { v in
      guard v.isFinite else { return v }
      m = weight * m + (1 - weight) * v
      count += 1
      let debias = 1 - pow(weight, count)
      return debias > 0 ? m / debias : v
    }
  }

  /// Draws the plot on a white RGB image of width x height.
  public func render() -> Image {
    let s = textScale
    let allX = series.flatMap(\.x)
    var allY = [Double]()
    for line in series {
      allY += line.y
      if let e = line.error { allY += zip(line.y, e).flatMap { [$0 - abs($1), $0 + abs($1)] } }
    }
    let xs = Scale.fitting(allX, log: false, pad: 0.02, fixed: xRange)
    let ys = Scale.fitting(allY, log: logY, pad: 0.05, fixed: yRange)
    let xt = xs.ticks(maxCount: max(2, min(10, width / (90 * s))))
    let yt = ys.ticks(maxCount: max(2, min(10, height / (45 * s))))
    var frame = Frame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                      xTickLabels: xt.labels, yTickLabels: yt.labels, scale: s)
    let colours = series.indices.map { series[$0].colour ?? Palette.colour($0) }
    let legend = Legend(entries: series.indices.filter { !series[$0].name.isEmpty }.map { (series[$0].name, colours[$0]) },
                        mark: .line, scale: s)

    var area = frame.area
    var runs = self.runs(area: area, xs: xs, ys: ys)
    var legendRect: Rect? = nil
    if !legend.entries.isEmpty {
      var occupancy = Occupancy(width: width, height: height)
      for line in runs {
        for run in line.runs {
          for (p, q) in zip(run, run.dropFirst()) { occupancy.mark(from: p, to: q, radius: Int(lineWidth)) }
          if run.count == 1 { occupancy.mark(from: run[0], to: run[0], radius: Int(lineWidth) + 2) }
        }
        for bar in line.bars { occupancy.mark(from: (bar.x, bar.lo), to: (bar.x, bar.hi), radius: 3) }
        for band in line.bands {
          for p in band { occupancy.mark(from: (p.x, p.lo), to: (p.x, p.hi), radius: 1) }
        }
      }
      let placed = legend.place(in: &frame, avoiding: occupancy)
      legendRect = placed.rect
      if placed.moved {
        area = frame.area
        runs = self.runs(area: area, xs: xs, ys: ys)
      }
    }

    var image = Image(width: width, height: height, channels: 3, colour: .white)
    frame.draw(on: &image, area: area,
               xTicks: zip(xt.values, xt.labels).map { Tick(position: Int(xs.column($0, in: area).rounded()), label: $1) },
               yTicks: zip(yt.values, yt.labels).map { Tick(position: Int(ys.row($0, in: area).rounded()), label: $1) },
               grid: true)
    for (i, line) in runs.enumerated() {
      for band in line.bands { image.fillBand(band, colours[i], alpha: 0.2, clip: area) }
    }
    for (i, line) in runs.enumerated() {
      for bar in line.bars {
        image.drawPolyline([(bar.x, bar.lo), (bar.x, bar.hi)], colours[i], width: 1.5, clip: area)
        for y in [bar.lo, bar.hi] {
          image.drawPolyline([(bar.x - 3, y), (bar.x + 3, y)], colours[i], width: 1.5, clip: area)
        }
      }
      for run in line.runs {
        if run.count == 1 {
          image.fillDisc(cx: run[0].x, cy: run[0].y, radius: lineWidth + 1, colours[i], clip: area)
        } else {
          image.drawPolyline(run, colours[i], width: lineWidth, clip: area)
        }
      }
    }
    if let r = legendRect { legend.draw(on: &image, at: (r.x, r.y)) }
    return image
  }

  /// One series in pixel coordinates: its unbroken runs, error bands and error bars.
  struct PixelSeries {
    var runs: [[(x: Double, y: Double)]] = []
    var bands: [[(x: Double, lo: Double, hi: Double)]] = []
    var bars: [(x: Double, lo: Double, hi: Double)] = []
  }

  func runs(area: Rect, xs: Scale, ys: Scale) -> [PixelSeries] {
    let px = { (v: Double) in xs.column(v, in: area) }
    let py = { (v: Double) in ys.row(v, in: area) }
    let usable = { (v: Double) in v.isFinite && (!ys.log || v > 0) }
    return series.map { line in
      var out = PixelSeries()
      var run = [(x: Double, y: Double)]()
      var band = [(x: Double, lo: Double, hi: Double)]()
      for i in line.x.indices {
        guard line.x[i].isFinite && usable(line.y[i]) else {
          if !run.isEmpty { out.runs.append(run); run = [] }
          if !band.isEmpty { out.bands.append(band); band = [] }
          continue
        }
        let x = px(line.x[i])
        run.append((x, py(line.y[i])))
        if let e = line.error?[i], e.isFinite {
          let lo = line.y[i] - abs(e), hi = line.y[i] + abs(e)
          // On a log axis a lower bound <= 0 is drawn at the bottom edge.
          let loY = usable(lo) ? py(lo) : Double(area.maxY - 1)
          if line.errorStyle == .band { band.append((x, loY, py(hi))) } else { out.bars.append((x, loY, py(hi))) }
        }
      }
      if !run.isEmpty { out.runs.append(run) }
      if !band.isEmpty { out.bands.append(band) }
      return out
    }
  }
}

extension Image {
  /// Fills the region between a band's lower and upper edges (pixel coordinates, ordered by x):
  /// linear between points, and in a column holding several points, their whole spread.
  mutating func fillBand(_ band: [(x: Double, lo: Double, hi: Double)], _ colour: Colour, alpha: Float, clip: Rect) {
    guard let first = band.first, let last = band.last else { return }
    let x0 = max(Int(first.x.rounded()), clip.x), x1 = min(Int(last.x.rounded()), clip.maxX - 1)
    guard x0 <= x1 else { return }
    var top = [Double](repeating: .infinity, count: x1 - x0 + 1)  // [columns]: smallest row covered
    var bottom = [Double](repeating: -.infinity, count: x1 - x0 + 1)  // [columns]: largest row covered
    func cover(_ x: Int, _ a: Double, _ b: Double) {
      guard x >= x0 && x <= x1 else { return }
      top[x - x0] = min(top[x - x0], a, b)
      bottom[x - x0] = max(bottom[x - x0], a, b)
    }
    for (p, q) in zip(band, band.dropFirst()) {
      cover(Int(p.x.rounded()), p.lo, p.hi)
      let a = max(Int(p.x.rounded(.up)), x0), b = min(Int(q.x.rounded(.down)), x1)
      guard q.x > p.x, a <= b else { continue }
      for x in a...b {
        let t = (Double(x) - p.x) / (q.x - p.x)
        cover(x, p.lo + (q.lo - p.lo) * t, p.hi + (q.hi - p.hi) * t)
      }
    }
    cover(Int(last.x.rounded()), last.lo, last.hi)
    for x in x0...x1 where top[x - x0] <= bottom[x - x0] {
      let y0 = max(Int(top[x - x0].rounded()), clip.y), y1 = min(Int(bottom[x - x0].rounded()), clip.maxY - 1)
      if y0 <= y1 { blend(Rect(x: x, y: y0, width: 1, height: y1 - y0 + 1), colour, alpha: alpha) }
    }
  }
}

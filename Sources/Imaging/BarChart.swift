/// Grouped bars: for each category one bar per series, with optional error bars.
public struct BarChart: Sendable {
  /// One bar per category, `values[i]` ± `errors[i]`.
  public struct Series: Sendable {
    public var name: String
    public var values: [Double]
    public var errors: [Double]?
    /// nil: the next Tableau 10 colour.
    public var colour: Colour?

    public init(name: String, values: [Double], errors: [Double]? = nil, colour: Colour? = nil) {
      precondition(errors == nil || errors!.count == values.count, "bar series '\(name)': error count differs from value count")
      self.name = name
      self.values = values
      self.errors = errors
      self.colour = colour
    }
  }

  public var categories: [String]
  public var series: [Series]
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var width = 640
  public var height = 400
  /// A fixed value axis; nil spans zero and every bar with its error.
  public var yRange: ClosedRange<Double>? = nil
  /// Multiplies every text size and spacing.
  public var textScale = 1

  public init(categories: [String], series: [Series], title: String = "", xLabel: String = "", yLabel: String = "") {
    precondition(series.allSatisfy { $0.values.count == categories.count },
                 "every bar series needs one value per category (\(categories.count))")
    self.categories = categories
    self.series = series
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
  }

  /// Draws the chart on a white RGB image of width x height; non-finite values draw no bar.
  public func render() -> Image {
    let s = textScale
    var extent = [0.0]
    for line in series {
      for (i, v) in line.values.enumerated() where v.isFinite {
        let e = line.errors.map { abs($0[i]) }.flatMap { $0.isFinite ? $0 : nil } ?? 0
        extent += [v - e, v + e]
      }
    }
    var ys = Scale.fitting(extent, log: false, pad: 0.05, fixed: yRange)
    if yRange == nil && (extent.min() ?? 0) >= 0 { ys.lo = 0 }  // bars stand on zero
    let yt = ys.ticks(maxCount: max(2, min(10, height / (45 * s))))
    var frame = Frame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                      xTickLabels: categories, yTickLabels: yt.labels, scale: s)
    let colours = series.indices.map { series[$0].colour ?? Palette.colour($0) }
    let named = series.count > 1 || series.contains { !$0.name.isEmpty }
    let legend = Legend(entries: named ? series.indices.map { (series[$0].name, colours[$0]) } : [], mark: .box, scale: s)

    var area = frame.area
    if categories.contains(where: { Font.textWidth($0, scale: s) + 6 * s > area.width / max(categories.count, 1) }) {
      frame.verticalXTickLabels = true
      area = frame.area
    }
    var legendRect: Rect? = nil
    if !legend.entries.isEmpty {
      var occupancy = Occupancy(width: width, height: height)
      for bar in bars(area: area, ys: ys) { occupancy.mark(bar.rect.intersection(area)); occupancy.mark(bar.whisker) }
      let placed = legend.place(in: &frame, avoiding: occupancy)
      legendRect = placed.rect
      area = frame.area
    }

    var image = Image(width: width, height: height, channels: 3, colour: .white)
    let py = { (v: Double) in Int(ys.row(v, in: area).rounded()) }
    let slot = Double(area.width) / Double(max(categories.count, 1))
    frame.draw(on: &image, area: area,
               xTicks: categories.indices.map { Tick(position: area.x + Int((Double($0) + 0.5) * slot), label: categories[$0]) },
               yTicks: zip(yt.values, yt.labels).map { Tick(position: py($0), label: $1) }, grid: false)
    for t in yt.values { image.fill(Rect(x: area.x, y: py(t), width: area.width, height: 1), Frame.gridColour) }
    if ys.lo < 0 && ys.hi > 0 { image.fill(Rect(x: area.x, y: py(0), width: area.width, height: 1), Frame.axisColour) }
    let whiskerColour = Colour(gray: 30)
    for bar in bars(area: area, ys: ys) {
      image.fill(bar.rect.intersection(area), colours[bar.series])
      guard bar.whisker.height > 0 else { continue }
      let w = bar.whisker
      image.fill(Rect(x: w.x + w.width / 2, y: w.y, width: max(1, s), height: w.height).intersection(area), whiskerColour)
      image.fill(Rect(x: w.x, y: w.y, width: w.width, height: max(1, s)).intersection(area), whiskerColour)
      image.fill(Rect(x: w.x, y: w.maxY - max(1, s), width: w.width, height: max(1, s)).intersection(area), whiskerColour)
    }
    if let r = legendRect { legend.draw(on: &image, at: (r.x, r.y)) }
    return image
  }

  /// Every bar's rectangle and its error whisker's bounding box (height 0 without an error).
  func bars(area: Rect, ys: Scale) -> [(series: Int, rect: Rect, whisker: Rect)] {
    let py = { (v: Double) in Int(ys.row(v, in: area).rounded()) }
    let slot = Double(area.width) / Double(max(categories.count, 1))
    let barWidth = slot * 0.8 / Double(max(series.count, 1))
    let base = py(min(max(0, ys.lo), ys.hi))
    var out = [(series: Int, rect: Rect, whisker: Rect)]()
    for (k, line) in series.enumerated() {
      for (i, v) in line.values.enumerated() where v.isFinite {
        let x0 = Int((Double(area.x) + Double(i) * slot + slot * 0.1 + Double(k) * barWidth).rounded())
        let x1 = Int((Double(area.x) + Double(i) * slot + slot * 0.1 + Double(k + 1) * barWidth).rounded())
        let top = py(v)
        let rect = Rect(x: x0, y: min(top, base), width: max(x1 - x0 - 1, 1), height: abs(base - top) + 1)
        var whisker = Rect(x: x0, y: top, width: 0, height: 0)
        if let e = line.errors?[i], e.isFinite, e != 0 {
          let half = max(2, min(6, (x1 - x0) / 4))
          let mid = (x0 + x1 - 1) / 2
          let hi = py(v + abs(e)), lo = py(v - abs(e))
          whisker = Rect(x: mid - half, y: hi, width: 2 * half + 1, height: lo - hi + 1)
        }
        out.append((k, rect, whisker))
      }
    }
    return out
  }
}

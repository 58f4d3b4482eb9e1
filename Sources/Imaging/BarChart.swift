/// Grouped bars: for each category one bar per series, with optional error bars, optional single values
/// drawn as dots on each bar (one per seed, say) and optional marks (reference levels such as a chance level,
/// drawn as short horizontal lines over the bars).
public struct BarChart: Sendable {
  /// One bar per category, `values[i]` ± `errors[i]`.
  public struct Series: Sendable {
    public var name: String
    public var values: [Double]
    public var errors: [Double]?
    /// nil: the next Tableau 10 colour.
    public var colour: Colour?
    /// `points[i]`: the single values behind bar i (one per seed, say), drawn as dots spread across the bar;
    /// nil: none. Non-finite values draw nothing.
    public var points: [[Double]]?

    public init(name: String, values: [Double], errors: [Double]? = nil, colour: Colour? = nil, points: [[Double]]? = nil) {
      precondition(errors == nil || errors!.count == values.count, "bar series '\(name)': error count differs from value count")
      precondition(points == nil || points!.count == values.count, "bar series '\(name)': point list count differs from value count")
      self.name = name
      self.values = values
      self.errors = errors
      self.colour = colour
      self.points = points
    }
  }

  /// A reference level drawn as a short horizontal line over bars (a chance level, a ceiling), named in the
  /// legend beside the series.
  public struct Mark: Sendable {
    public var name: String
    public var colour: Colour
    /// `values[category]`: one value, marked across all of that category's bars, or one value per series,
    /// each marked across its own bar. A non-finite value marks nothing there.
    public var values: [[Double]]

    public init(name: String, colour: Colour, values: [[Double]]) {
      self.name = name
      self.colour = colour
      self.values = values
    }
  }

  public var categories: [String]
  public var series: [Series]
  /// Drawn over the bars in order (a later mark over an earlier one), each with a legend entry; none by default.
  public var marks: [Mark] = []
  /// The colour of the series' single-value dots (each has a white rim, so it shows on any bar).
  public var pointColour = Colour(gray: 25)
  /// The legend entry of the dots, shown when any series has points (empty: no entry).
  public var pointName = "single values"
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
      extent += (line.points ?? []).joined().filter(\.isFinite)
    }
    for mark in marks {
      precondition(mark.values.count == categories.count && mark.values.allSatisfy { $0.count == 1 || $0.count == series.count },
                   "bar mark '\(mark.name)': needs one value, or one per series, for each category (\(categories.count))")
      extent += mark.values.joined().filter(\.isFinite)
    }
    var ys = Scale.fitting(extent, log: false, pad: 0.05, fixed: yRange)
    if yRange == nil && (extent.min() ?? 0) >= 0 { ys.lo = 0 }  // bars stand on zero
    let yt = ys.ticks(maxCount: max(2, min(10, height / (45 * s))))
    var frame = Frame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                      xTickLabels: categories, yTickLabels: yt.labels, scale: s)
    let colours = series.indices.map { series[$0].colour ?? Palette.colour($0) }
    let named = series.count > 1 || series.contains { !$0.name.isEmpty }
    let seriesEntries = named ? series.indices.map { (name: series[$0].name, colour: colours[$0]) } : []
    let hasPoints = series.contains { ($0.points ?? []).joined().contains(where: \.isFinite) }
    let pointEntries = hasPoints && !pointName.isEmpty ? [(name: pointName, colour: pointColour)] : []
    let legend = Legend(entries: seriesEntries + marks.map { ($0.name, $0.colour) } + pointEntries, mark: .box, scale: s)

    var area = frame.area
    if categories.contains(where: { Font.textWidth($0, scale: s) + 6 * s > area.width / max(categories.count, 1) }) {
      frame.verticalXTickLabels = true
      area = frame.area
    }
    var legendRect: Rect? = nil
    if !legend.entries.isEmpty {
      var occupancy = Occupancy(width: width, height: height)
      for bar in bars(area: area, ys: ys) { occupancy.mark(bar.rect.intersection(area)); occupancy.mark(bar.whisker) }
      for line in markLines(area: area, ys: ys) { occupancy.mark(line.rect) }
      for dot in dots(area: area, ys: ys) {
        let r = Int(pointRadius.rounded(.up)) + 1
        occupancy.mark(Rect(x: Int(dot.x) - r, y: Int(dot.y) - r, width: 2 * r + 1, height: 2 * r + 1))
      }
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
    for line in markLines(area: area, ys: ys) { image.fill(line.rect, marks[line.mark].colour) }
    for dot in dots(area: area, ys: ys) {
      image.fillDisc(cx: dot.x, cy: dot.y, radius: pointRadius + Double(s), .white, clip: area)
      image.fillDisc(cx: dot.x, cy: dot.y, radius: pointRadius, pointColour, clip: area)
    }
    if let r = legendRect {
      legend.draw(on: &image, at: (r.x, r.y))
      // A mark's legend entry shows a short line in place of the series' box.
      for (m, mark) in marks.enumerated() {
        let top = r.y + legend.inset + (seriesEntries.count + m) * legend.rowHeight
        let box = Rect(x: r.x + legend.inset, y: top - s, width: legend.markWidth, height: legend.markWidth)
        image.fill(box, .white)
        image.fill(Rect(x: box.x, y: box.y + box.height / 2 - s, width: box.width, height: 2 * s), mark.colour)
      }
      // The dots' entry shows a dot.
      if !pointEntries.isEmpty {
        let top = r.y + legend.inset + (seriesEntries.count + marks.count) * legend.rowHeight
        let box = Rect(x: r.x + legend.inset, y: top - s, width: legend.markWidth, height: legend.markWidth)
        image.fill(box, .white)
        image.fillDisc(cx: Double(box.x) + Double(box.width - 1) / 2, cy: Double(box.y) + Double(box.height - 1) / 2,
                       radius: pointRadius, pointColour, clip: box)
      }
    }
    return image
  }

  /// Columns x0..<x1 of category `i`'s bar of series `k` (the bar itself stops a pixel short of x1).
  private func columns(category i: Int, series k: Int, area: Rect) -> (x0: Int, x1: Int) {
    let slot = Double(area.width) / Double(max(categories.count, 1))
    let barWidth = slot * 0.8 / Double(max(series.count, 1))
    let x0 = Int((Double(area.x) + Double(i) * slot + slot * 0.1 + Double(k) * barWidth).rounded())
    let x1 = Int((Double(area.x) + Double(i) * slot + slot * 0.1 + Double(k + 1) * barWidth).rounded())
    return (x0, x1)
  }

  /// Every mark's line: 2 x textScale pixels high, centred on its value and kept inside `area`, across its bar
  /// (or across all of the category's bars).
  func markLines(area: Rect, ys: Scale) -> [(mark: Int, rect: Rect)] {
    let thickness = 2 * textScale
    var out = [(mark: Int, rect: Rect)]()
    for (m, mark) in marks.enumerated() {
      for (i, values) in mark.values.enumerated() {
        for (j, v) in values.enumerated() where v.isFinite {
          let first = columns(category: i, series: values.count == 1 ? 0 : j, area: area)
          let last = columns(category: i, series: values.count == 1 ? max(series.count - 1, 0) : j, area: area)
          let y = Int(ys.row(v, in: area).rounded()) - thickness / 2
          let rect = Rect(x: first.x0, y: min(max(y, area.y), area.maxY - thickness),
                          width: max(last.x1 - first.x0 - 1, 1), height: thickness)
          out.append((m, rect.intersection(area)))
        }
      }
    }
    return out
  }

  /// The dots' radius in pixels.
  var pointRadius: Double { 3 * Double(textScale) }

  /// Every single value's dot centre: spread evenly over the middle half of its bar, in the given order.
  func dots(area: Rect, ys: Scale) -> [(x: Double, y: Double)] {
    var out = [(x: Double, y: Double)]()
    for (k, line) in series.enumerated() {
      for (i, values) in (line.points ?? []).enumerated() {
        let (x0, x1) = columns(category: i, series: k, area: area)
        let width = Double(x1 - x0 - 1), finite = values.filter(\.isFinite)
        for (j, v) in finite.enumerated() {
          let t = finite.count == 1 ? 0.5 : 0.25 + 0.5 * Double(j) / Double(finite.count - 1)
          out.append((Double(x0) + (width - 1) * t, ys.row(v, in: area).rounded()))
        }
      }
    }
    return out
  }

  /// Every bar's rectangle and its error whisker's bounding box (height 0 without an error).
  func bars(area: Rect, ys: Scale) -> [(series: Int, rect: Rect, whisker: Rect)] {
    let py = { (v: Double) in Int(ys.row(v, in: area).rounded()) }
    let base = py(min(max(0, ys.lo), ys.hi))
    var out = [(series: Int, rect: Rect, whisker: Rect)]()
    for (k, line) in series.enumerated() {
      for (i, v) in line.values.enumerated() where v.isFinite {
        let (x0, x1) = columns(category: i, series: k, area: area)
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

/// Points coloured by an integer class, with a legend of class names.
public struct ScatterPlot: Sendable {
  public var x: [Double]
  public var y: [Double]
  /// The class of each point (an index into `classNames` and the Tableau 10 palette); empty: all 0.
  public var classes: [Int]
  /// Legend names; a class without a name is shown as "class <k>". With no names and one class
  /// there is no legend.
  public var classNames: [String]
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var width = 640
  public var height = 400
  public var pointRadius = 3.0
  /// Multiplies every text size and spacing.
  public var textScale = 1

  public init(x: [Double], y: [Double], classes: [Int] = [], classNames: [String] = [],
              title: String = "", xLabel: String = "", yLabel: String = "") {
    precondition(x.count == y.count, "scatter: \(x.count) x values but \(y.count) y values")
    precondition(classes.isEmpty || classes.count == x.count, "scatter: \(classes.count) classes for \(x.count) points")
    self.x = x
    self.y = y
    self.classes = classes
    self.classNames = classNames
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
  }

  /// Draws the plot on a white RGB image of width x height; non-finite points are skipped.
  public func render() -> Image {
    let s = textScale
    let xs = Scale.fitting(x, log: false, pad: 0.05), ys = Scale.fitting(y, log: false, pad: 0.05)
    let xt = xs.ticks(maxCount: max(2, min(10, width / (90 * s))))
    let yt = ys.ticks(maxCount: max(2, min(10, height / (45 * s))))
    var frame = Frame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                      xTickLabels: xt.labels, yTickLabels: yt.labels, scale: s)
    let classOf = { (i: Int) in classes.isEmpty ? 0 : classes[i] }
    let present = Set(x.indices.map(classOf)).sorted()
    let showLegend = !classNames.isEmpty || present.count > 1
    let legend = Legend(
      entries: showLegend ? present.map { k in
        (k >= 0 && k < classNames.count ? classNames[k] : "class \(k)", Palette.colour(k))
      } : [],
      mark: .disc, scale: s)

    var area = frame.area
    func centres(_ area: Rect) -> [(x: Double, y: Double)?] {
      x.indices.map { i in
        guard x[i].isFinite && y[i].isFinite else { return nil }
        return (xs.column(x[i], in: area), ys.row(y[i], in: area))
      }
    }
    var points = centres(area)
    var legendRect: Rect? = nil
    if !legend.entries.isEmpty {
      var occupancy = Occupancy(width: width, height: height)
      let r = Int(pointRadius.rounded(.up))
      for case let p? in points { occupancy.mark(from: p, to: p, radius: r) }
      let placed = legend.place(in: &frame, avoiding: occupancy)
      legendRect = placed.rect
      if placed.moved {
        area = frame.area
        points = centres(area)
      }
    }

    var image = Image(width: width, height: height, channels: 3, colour: .white)
    frame.draw(on: &image, area: area,
               xTicks: zip(xt.values, xt.labels).map { Tick(position: Int(xs.column($0, in: area).rounded()), label: $1) },
               yTicks: zip(yt.values, yt.labels).map { Tick(position: Int(ys.row($0, in: area).rounded()), label: $1) },
               grid: true)
    for (i, p) in points.enumerated() {
      guard let p else { continue }
      var colour = Palette.colour(classOf(i))
      colour.a = 210  // slightly see-through, so overlapping clusters stay visible
      image.fillDisc(cx: p.x, cy: p.y, radius: pointRadius, colour, clip: area)
    }
    if let r = legendRect { legend.draw(on: &image, at: (r.x, r.y)) }
    return image
  }
}

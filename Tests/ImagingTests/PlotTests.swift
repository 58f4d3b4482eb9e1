import Imaging
import Testing

let lineRed = Colour(220, 20, 20)

func isRed(_ c: Colour) -> Bool { c.r > 150 && c.g < 100 && c.b < 100 }

/// For each column holding pixels that pass `test`, the mean row of those pixels.
func columnCentroids(_ image: Image, _ test: (Colour) -> Bool) -> [Int: Double] {
  var out = [Int: Double]()
  for x in 0..<image.width {
    let rows = (0..<image.height).filter { test(image.pixel(x: x, y: $0)) }
    if !rows.isEmpty { out[x] = Double(rows.reduce(0, +)) / Double(rows.count) }
  }
  return out
}

@Test func risingLineIsDrawnHigherOnTheRightThanOnTheLeft() {
  let xs = (0...20).map(Double.init)
  for (slope, name) in [(1.0, "rising"), (-1.0, "falling")] {
    var plot = LinePlot(series: [.init(name: "", x: xs, y: xs.map { slope * $0 }, colour: lineRed)])
    plot.width = 300
    plot.height = 200
    let image = plot.render()
    #expect(image.width == 300 && image.height == 200 && image.channels == 3)
    let centroids = columnCentroids(image, isRed)
    let columns = centroids.keys.sorted()
    #expect(columns.first! < 300 / 4 && columns.last! > 300 * 3 / 4, "\(name): the line spans the plot")
    let left = centroids[columns.first!]!, right = centroids[columns.last!]!
    // Rows grow downwards: a rising line ends at a smaller row.
    if slope > 0 { #expect(right < left - 100, "\(name): \(left) -> \(right)") }
    else { #expect(right > left + 100, "\(name): \(left) -> \(right)") }
    for (a, b) in zip(columns, columns.dropFirst()) {
      let step = centroids[b]! - centroids[a]!
      #expect(slope > 0 ? step <= 1 : step >= -1, "\(name): not monotonic at column \(b)")
    }
  }
}

@Test func logScalePutsEqualRatiosAtEqualHeights() {
  let xs = stride(from: 0.0, through: 3.0, by: 0.25).map { $0 }
  var plot = LinePlot(series: [.init(name: "", x: xs, y: xs.map { pow10($0) }, colour: lineRed)])
  plot.logY = true
  let centroids = columnCentroids(plot.render(), isRed)
  let columns = centroids.keys.sorted()
  let (x0, x1) = (columns.first!, columns.last!)
  let (y0, y1) = (centroids[x0]!, centroids[x1]!)
  // y = 10^x on a log axis is a straight line: every column sits on the chord.
  for x in columns.dropFirst(3).dropLast(3) {
    let chord = y0 + (y1 - y0) * Double(x - x0) / Double(x1 - x0)
    #expect(abs(centroids[x]! - chord) <= 1.5, "column \(x): \(centroids[x]!) vs \(chord)")
  }
}

func pow10(_ x: Double) -> Double {
  var v = 1.0
  for _ in 0..<Int(x * 4) { v *= 1.778279410038923 }  // 10^(1/4)
  return v
}

@Test func legendIsMovedOutsideWhenEveryCornerHoldsData() {
  let xs = (0...10).map(Double.init)
  let plot = LinePlot(series: [
    .init(name: "high", x: xs, y: xs.map { _ in 1 }, colour: lineRed),
    .init(name: "low", x: xs, y: xs.map { _ in 0 }, colour: Colour(20, 20, 220)),
  ])
  let image = plot.render()
  // The high line's row: the row with the most red pixels.
  let counts = (0..<image.height).map { y in (0..<image.width).filter { isRed(image.pixel(x: $0, y: y)) }.count }
  let row = counts.indices.max { counts[$0] < counts[$1] }!
  let reds = (0..<image.width).filter { isRed(image.pixel(x: $0, y: row)) }
  let run = reds.prefix { $0 - reds.first! == reds.firstIndex(of: $0)! }
  #expect(run.count > 400, "the line is unbroken: no legend drawn over it")
  // The legend's red sample lies right of the line's end.
  let rightOfLine = (0..<image.height).contains { y in ((run.last! + 6)..<image.width).contains { isRed(image.pixel(x: $0, y: y)) } }
  #expect(rightOfLine)
}

@Test func scatterPointsOfEachClassLandWhereTheirValuesSay() {
  let n = 40
  let xs = (0..<(2 * n)).map { Double($0 % n) }
  let ys = (0..<(2 * n)).map { $0 < n ? 0.0 : 1.0 }
  let classes = (0..<(2 * n)).map { $0 < n ? 0 : 1 }
  let image = ScatterPlot(x: xs, y: ys, classes: classes, classNames: ["bottom", "top"]).render()
  let blue = { (c: Colour) in Int(c.b) > Int(c.r) + 60 }  // class 0, Tableau blue
  let orange = { (c: Colour) in Int(c.r) > Int(c.b) + 100 && c.g > 60 }  // class 1, Tableau orange
  func meanRow(_ test: (Colour) -> Bool) -> Double {
    var sum = 0, count = 0
    for y in 0..<image.height { for x in 0..<image.width where test(image.pixel(x: x, y: y)) { sum += y; count += 1 } }
    return Double(sum) / Double(max(count, 1))
  }
  #expect(meanRow(orange) < meanRow(blue) - 150)
}

@Test func heatmapCellsHaveTheirColourMapColour() {
  let map = Heatmap(values: [[0, 1], [2, 4]])
  let image = map.render()
  let expected: [[Colour]] = [
    [Colour(hex: 0x440154), ColourMap.viridis.colour(at: 0.25)],
    [Colour(0x21, 0x91, 0x8d), Colour(hex: 0xfde725)],
  ]
  for r in 0..<2 {
    for c in 0..<2 {
      let cell = map.cellRect(row: r, column: c)
      #expect(cell.width > 20 && cell.height > 20)
      for y in cell.y..<cell.maxY {
        for x in cell.x..<cell.maxX where image.pixel(x: x, y: y) != expected[r][c] {
          Issue.record("cell (\(r), \(c)) pixel (\(x), \(y)) is \(image.pixel(x: x, y: y))")
          return
        }
      }
    }
  }
}

@Test func heatmapWritesEachNumberInContrastingInk() {
  var map = Heatmap(values: [[0, 9]])
  map.showValues = true
  let image = map.render()
  for (column, digit, background) in [(0, "0", Colour(hex: 0x440154)), (1, "9", Colour(hex: 0xfde725))] as [(Int, Character, Colour)] {
    let cell = map.cellRect(row: 0, column: column)
    var ink = [Colour: Int]()
    for y in cell.y..<cell.maxY {
      for x in cell.x..<cell.maxX where image.pixel(x: x, y: y) != background { ink[image.pixel(x: x, y: y), default: 0] += 1 }
    }
    let bits = Font.bitmap(for: digit).joined().filter { $0 }.count
    #expect(ink.count == 1, "one ink colour in cell \(column)")
    let (colour, count) = ink.first!
    #expect([bits, 4 * bits].contains(count), "the glyph at scale 1 or 2")
    #expect(column == 0 ? colour.luma > 200 : colour.luma < 60, "light ink on dark, dark ink on light")
  }
}

@Test func barHeightsAreProportionalToValuesFromZero() {
  let blue = Colour(0, 0, 200)
  let chart = BarChart(categories: ["a", "b"], series: [.init(name: "", values: [1, 2], colour: blue)])
  let image = chart.render()
  let columns = columnCentroids(image, { $0 == blue }).keys.sorted()
  let short = (0..<image.height).filter { image.pixel(x: columns.first!, y: $0) == blue }.count
  let tall = (0..<image.height).filter { image.pixel(x: columns.last!, y: $0) == blue }.count
  #expect(columns.count > 100)
  #expect(short > 50)
  #expect(abs((tall - 1) - 2 * (short - 1)) <= 1, "\(short) vs \(tall)")
}

@Test func imageGridPlacesTilesInRowsAndColumnsWithGutters() {
  let colours = [Colour(255, 0, 0), Colour(0, 255, 0), Colour(0, 0, 255)]
  let tiles = colours.map { Image(width: 4, height: 4, channels: 3, colour: $0) }
  var grid = ImageGrid(tiles: tiles, columns: 2)
  grid.tileScale = 2
  let image = grid.render()
  #expect(image.width == 8 + 8 + 8 + 8 + 8 && image.height == 8 + 8 + 8 + 8 + 8)
  let origins = [(8, 8), (24, 8), (8, 24)]
  for (i, colour) in colours.enumerated() {
    #expect(grid.tileOrigin(i) == origins[i])
    let inside = (0..<8).allSatisfy { dy in (0..<8).allSatisfy { dx in image.pixel(x: origins[i].0 + dx, y: origins[i].1 + dy) == colour } }
    #expect(inside, "tile \(i)")
    #expect(image.pixels.indices.filter { $0 % 3 == 0 && image.pixel(x: ($0 / 3) % image.width, y: ($0 / 3) / image.width) == colour }.count == 64)
  }
}

@Test func captionsGoUnderTilesAndPushTheNextRowDown() {
  let tiles = (0..<3).map { _ in Image(width: 10, height: 10, channels: 1, colour: .black) }
  let grid = ImageGrid(tiles: tiles, columns: 2, captions: ["ab", "", ""])
  let image = grid.render()
  // Column 0 is as wide as the caption (12), so its tiles are centred 1 pixel in; row 1 starts
  // after the tile (10), the caption band (4 + 10) and the gutter (8).
  #expect(grid.tileOrigin(2) == (9, 8 + 10 + 14 + 8))
  let band = Rect(x: 8, y: 8 + 10, width: 12, height: 14)
  var inked = 0
  for y in band.y..<band.maxY { for x in band.x..<band.maxX where image.pixel(x: x, y: y) != .white { inked += 1 } }
  let expected = (Font.bitmap(for: "a") + Font.bitmap(for: "b")).joined().filter { $0 }.count
  #expect(inked == expected)
}

@Test func plotsRenderAtTinySizesWithoutDataAndWithExtremeValues() {
  var line = LinePlot(series: [.init(name: "a", x: [0, 1, 2], y: [-1e308, .nan, 1e308])], title: "t", xLabel: "x", yLabel: "y")
  var scatter = ScatterPlot(x: [], y: [], title: "t")
  var heat = Heatmap(values: [], title: "t")
  var bars = BarChart(categories: ["a"], series: [.init(name: "s", values: [.infinity])])
  for (w, h) in [(40, 30), (640, 400)] {
    line.width = w; line.height = h
    scatter.width = w; scatter.height = h
    heat.width = w; heat.height = h
    bars.width = w; bars.height = h
    for image in [line.render(), scatter.render(), heat.render(), bars.render()] {
      #expect(image.width == w && image.height == h && image.channels == 3)
    }
  }
  #expect(ImageGrid(tiles: [], columns: 3).render().channels == 3)
  #expect(Ticks.labels([0, .infinity]).count == 2)
  #expect(Ticks.logLabels([0, -1]) == ["0", "-1"])
}

@Test("a bar chart draws one dot per single value on its bar, in the dot colour, and nothing of it without values")
func barChartDrawsSingleValuesAsDots() {
  let dot = Colour(255, 127, 14)
  func render(_ points: [[Double]]?) -> Image {
    var chart = BarChart(categories: ["a", "b"], series: [.init(name: "", values: [0.5, 0.8], points: points)],
                         title: "t", yLabel: "y")
    chart.pointColour = dot
    chart.pointName = ""  // no legend entry: every dot pixel is a dot on a bar
    return chart.render()
  }
  func dotColumns(_ image: Image) -> Set<Int> {
    var xs = Set<Int>()
    for y in 0..<image.height { for x in 0..<image.width where image.pixel(x: x, y: y) == dot { xs.insert(x) } }
    return xs
  }
  #expect(dotColumns(render(nil)).isEmpty)
  let three = render([[0.4, 0.5, 0.6], [0.8]])
  // A dot of radius 3 covers 7 columns; bar a's three dots are spread apart, bar b's one sits alone.
  let columns = dotColumns(three).sorted()
  var groups = 0
  for (i, x) in columns.enumerated() where i == 0 || x > columns[i - 1] + 1 { groups += 1 }
  #expect(groups == 4, "dot column groups: \(columns)")
  // A single value far above the bars widens the axis to show it.
  #expect(!dotColumns(render([[3], [0.8]])).isEmpty)
}

@Test("smoothing is TensorBoard's debiased moving average and skips values that are not finite")
func smoothedIsADebiasedMovingAverage() {
  let s = LinePlot.smoothed([1, 3, .nan, 5], weight: 0.5)
  // m1 = 0.5, /0.5 = 1; m2 = 0.25 + 1.5 = 1.75, /0.75 = 2.333; NaN kept; m3 = 0.875 + 2.5 = 3.375, /0.875 = 3.857.
  #expect(s[0] == 1)
  #expect(abs(s[1] - 7.0 / 3) < 1e-12)
  #expect(s[2].isNaN)
  #expect(abs(s[3] - 3.375 / 0.875) < 1e-12)
  #expect(LinePlot.smoothed([2, 9], weight: 0) == [2, 9])
  #expect(Colour(0, 100, 255).faded(0.5) == Colour(128, 178, 255))
}

@Test("an image grid writes its footer lines under the tiles and grows to hold them")
func imageGridFooterGoesUnderTheGrid() {
  let tiles = [Image(width: 10, height: 10, channels: 3, colour: .black)]
  var grid = ImageGrid(tiles: tiles, columns: 1)
  let plain = grid.render()
  grid.footer = ["a long note under the grid", "b"]
  let noted = grid.render()
  #expect(noted.height == plain.height + 2 * Font.lineHeight + grid.gutter)
  #expect(noted.width == Font.textWidth("a long note under the grid") + 2 * grid.gutter)
  var inked = 0
  for y in plain.height..<noted.height { for x in 0..<noted.width where noted.pixel(x: x, y: y) != .white { inked += 1 } }
  #expect(inked > 40)
}

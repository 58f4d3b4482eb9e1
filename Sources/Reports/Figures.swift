import Foundation
import GridWorld
import Imaging
import LAM
import Probing
import Training

/// The report's pictures, each built from plain numbers.
enum ReportFigures {
  /// How much frames are enlarged (`FrameScale`: at least 96 pixels on the longer side).
  static func scale(_ frame: FrameShape) -> Int { FrameScale.factor(height: frame.height, width: frame.width) }

  static func tile(_ values: ArraySlice<Float>, _ frame: FrameShape) -> Image {
    Image(planar: Array(values), channels: frame.channels, height: frame.height, width: frame.width)
      .converted(toChannels: 3).upscaled(by: scale(frame))
  }

  /// A grid of blocks (a few tiles that belong together, such as o, o', predicted o', error) laid out `across`
  /// blocks per picture row, a narrow blank column between blocks, the column labels repeated over each block;
  /// a row of fewer blocks is filled with blank tiles. `captions[b]` holds one caption per tile of block b.
  static func blocks(_ blocks: [[Image]], captions: [[String]], across: Int, title: String, rowLabels: [String],
                     columnLabels: [String]) -> ImageGrid {
    let width = blocks.map(\.count).max() ?? 1
    let blank = Image(width: 1, height: 1, channels: 3, colour: .white)
    let spacer = Image(width: 12, height: 1, channels: 3, colour: .white)
    var tiles: [Image] = [], texts: [String] = []
    for start in stride(from: 0, to: blocks.count, by: across) {
      for b in start..<(start + across) {
        if b > start {
          tiles.append(spacer)
          texts.append("")
        }
        let block = b < blocks.count ? blocks[b] : []
        tiles += block + Array(repeating: blank, count: width - block.count)
        texts += (b < blocks.count ? captions[b] : []) + Array(repeating: "", count: width - (b < blocks.count ? captions[b].count : 0))
      }
    }
    let labels = columnLabels.isEmpty ? [] : (0..<across).flatMap { $0 == 0 ? columnLabels : [""] + columnLabels }
    var grid = ImageGrid(tiles: tiles, columns: across * width + across - 1, captions: texts, title: title,
                         rowLabels: rowLabels, columnLabels: labels)
    grid.gutter = 10
    grid.tileOutline = Colour(gray: 170)
    return grid
  }

  /// A signed error map (channel mean), blue below zero, red above, white at zero, on ±`limit`.
  static func errorTile(_ error: [Float], _ frame: FrameShape, limit: Double) -> Image {
    var image = Image(width: frame.width, height: frame.height, channels: 3)
    let plane = frame.height * frame.width
    for y in 0..<frame.height {
      for x in 0..<frame.width {
        var mean = 0.0
        for c in 0..<frame.channels { mean += Double(error[c * plane + y * frame.width + x]) }
        mean /= Double(frame.channels)
        image.setPixel(x: x, y: y, ColourMap.blueWhiteRed.colour(of: mean, in: -limit...limit))
      }
    }
    return image.upscaled(by: scale(frame))
  }

  /// The weight of the exponential moving average that smooths the loss curves (TensorBoard's default).
  static let smoothingWeight = 0.6

  /// One curve as the loss figures draw it, from its positive finite (step, value) points: the logged values
  /// faint and their moving average bold over them, or (not `smoothed`) the values alone; nil without points.
  static func curve(_ name: String, _ pairs: [(Int, Float?)], colour: Colour, smoothed: Bool)
    -> (faint: LinePlot.Series?, bold: LinePlot.Series)? {
    let kept = pairs.compactMap { step, v in v.flatMap { $0 > 0 && $0.isFinite ? (Double(step), Double($0)) : nil } }
    guard !kept.isEmpty else { return nil }
    let x = kept.map(\.0), y = kept.map(\.1)
    return (smoothed ? LinePlot.Series(name: "", x: x, y: y, colour: colour.faded(0.7)) : nil,
            LinePlot.Series(name: name, x: x, y: smoothed ? LinePlot.smoothed(y, weight: smoothingWeight) : y, colour: colour))
  }

  /// Every loss term of metrics.jsonl per update on a log axis, each named with what it measures: the raw
  /// values faint, their moving average (`LinePlot.smoothed`, weight `smoothingWeight`) drawn over them.
  static func losses(_ records: [MetricsRecord], config: RunConfig) -> Image {
    var faint: [LinePlot.Series] = [], bold: [LinePlot.Series] = []
    // A validation value is measured on a fixed held-out set, not a random batch: it is drawn as it is.
    func add(_ name: String, _ pairs: [(Int, Float?)], smoothed: Bool = true) {
      guard let drawn = curve(name, pairs, colour: Palette.colour(bold.count), smoothed: smoothed) else { return }
      if let line = drawn.faint { faint.append(line) }
      bold.append(drawn.bold)
    }
    let b = config.model.bottleneck, r = config.remedies
    let weight = String(format: "%g", r.labelWeight)
    // The total only differs from the reconstruction when another term is on.
    if records.contains(where: { $0.bottleneck > 0 || $0.label > 0 }) {
      add("train total (sum of the train terms)", records.map { ($0.step, $0.loss) })
    }
    add("train reconstruction (MSE per pixel value)", records.map { ($0.step, $0.recon) })
    add("validation reconstruction (MSE per pixel value; not smoothed)", records.map { ($0.step, $0.valRecon) },
        smoothed: false)
    switch b.kind {
    case .vq: add(String(format: "VQ commitment (%g x MSE of z_e to its code)", b.commitment), records.map { ($0.step, $0.bottleneck) })
    case .continuous: add(String(format: "L2 penalty on z_e (%g x mean squared norm)", b.l2), records.map { ($0.step, $0.bottleneck) })
    case .kl: add(String(format: "KL to N(0, 1) (%g x nats per transition)", b.beta), records.map { ($0.step, $0.bottleneck) })
    case .nsvq, .fsq: break  // no loss term of their own
    }
    add(r.labelMode == .head ? "action label (\(weight) x cross-entropy, nats)"
          : "action label (\(weight) x squared distance to the action's code / code spread)",
        records.map { ($0.step, $0.label) })
    var plot = LinePlot(series: faint + bold,
                        title: String(format: "Training losses: faint logged, bold smoothed (EMA %g)", smoothingWeight),
                        xLabel: "update", yLabel: "loss (unit per curve in the legend; log scale)")
    plot.logY = true
    plot.width = 880
    plot.height = 520
    return plot.render()
  }

  /// Row-normalized percentages of a [true][predicted] count matrix.
  static func confusion(_ counts: [[Double]], names: [String], title: String) -> Image {
    let percent = counts.map { row -> [Double] in
      let total = row.reduce(0, +)
      return row.map { total == 0 ? 0 : 100 * $0 / total }
    }
    let labels = zip(names, counts).map { "\($0) (\(Int($1.reduce(0, +).rounded())))" }
    var map = Heatmap(values: percent, rowLabels: labels, columnLabels: names, title: title,
                      xLabel: "predicted", yLabel: "true (count)")
    map.showValues = true
    map.decimals = 0
    map.range = 0...100
    map.width = 760
    map.height = 460
    return map.render()
  }

  static func scatter(_ points: [[Double]], classes: [Int], names: [String], title: String, variance: [Double]) -> Image {
    var plot = ScatterPlot(x: points.map { $0[0] }, y: points.map { $0.count > 1 ? $0[1] : 0 }, classes: classes,
                           classNames: names, title: title,
                           xLabel: Report.principalAxisLabel(0, variances: variance),
                           yLabel: Report.principalAxisLabel(1, variances: variance))
    plot.width = 720
    plot.height = 520
    plot.pointRadius = 2.5
    return plot.render()
  }
}

extension Report {
  /// "PC 2 (0.3% of variance)": principal axis `j`'s share of the total variance, with as many digits as it takes
  /// never to print a share that is not zero as 0% (or one that is not all as 100%).
  public static func principalAxisLabel(_ j: Int, variances: [Double]) -> String {
    let total = variances.reduce(0, +)
    guard j < variances.count, total > 0 else { return "PC \(j + 1) (- of variance)" }
    let percent = 100 * variances[j] / total
    let text: String
    switch percent {
    case ...0: text = "0%"
    case ..<0.1: text = "<0.1%"
    case ..<10: text = String(format: "%.1f%%", percent)
    case ..<99.5: text = String(format: "%.0f%%", percent)
    case ..<99.95: text = String(format: "%.1f%%", percent)
    case ..<100: text = ">99.9%"
    default: text = "100%"
    }
    return "PC \(j + 1) (\(text) of variance)"
  }
}

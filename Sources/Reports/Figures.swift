import Foundation
import GridWorld
import Imaging
import LAM
import Probing
import Training

/// The report's pictures, each built from plain numbers.
enum ReportFigures {
  /// The tile size frames are enlarged to (about 48 pixels on the longer side).
  static func scale(_ frame: FrameShape) -> Int { max(1, 48 / max(frame.height, frame.width)) }

  static func tile(_ values: ArraySlice<Float>, _ frame: FrameShape) -> Image {
    Image(planar: Array(values), channels: frame.channels, height: frame.height, width: frame.width)
      .converted(toChannels: 3).upscaled(by: scale(frame))
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

  static func losses(_ records: [MetricsRecord]) -> Image {
    func series(_ name: String, _ pairs: [(Int, Float?)]) -> LinePlot.Series? {
      let kept = pairs.compactMap { step, v in v.flatMap { $0 > 0 && $0.isFinite ? (Double(step), Double($0)) : nil } }
      return kept.isEmpty ? nil : LinePlot.Series(name: name, x: kept.map(\.0), y: kept.map(\.1))
    }
    let all = [
      series("train total", records.map { ($0.step, $0.loss) }),
      series("train reconstruction", records.map { ($0.step, $0.recon) }),
      series("validation reconstruction", records.map { ($0.step, $0.valRecon) }),
      series("bottleneck", records.map { ($0.step, $0.bottleneck) }),
      series("action label", records.map { ($0.step, $0.label) }),
    ].compactMap { $0 }
    var plot = LinePlot(series: all, title: "Training losses (log scale)", xLabel: "update", yLabel: "loss (MSE per value)")
    plot.logY = true
    plot.width = 800
    plot.height = 480
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
    let total = max(variance.reduce(0, +), 1e-300)
    let share = variance.prefix(2).map { String(format: "%.0f%%", 100 * $0 / total) }
    var plot = ScatterPlot(x: points.map { $0[0] }, y: points.map { $0.count > 1 ? $0[1] : 0 }, classes: classes,
                           classNames: names, title: title,
                           xLabel: "PC 1 (\(share.first ?? "-") of variance)",
                           yLabel: "PC 2 (\(share.count > 1 ? share[1] : "-") of variance)")
    plot.width = 720
    plot.height = 520
    plot.pointRadius = 2.5
    return plot.render()
  }
}

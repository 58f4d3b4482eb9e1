import Foundation
import Core
import Imaging
import Testing
import TestSupport

// The sample pictures a person looks at to judge readability. They are written to
// $LAM_IMAGING_SAMPLES when set (e.g. /tmp/imaging-samples), else to a temporary folder.

func samplesFolder() -> String {
  if let dir = ProcessInfo.processInfo.environment["LAM_IMAGING_SAMPLES"], !dir.isEmpty {
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }
  return makeTemporaryFolder("imaging-samples")
}

func sampleLinePlot() -> LinePlot {
  let steps = (0...40).map { Double($0) * 250 }
  let train = steps.map { 0.9 * exp(-$0 / 2500) + 0.05 }
  let valid = steps.map { 0.85 * exp(-$0 / 3000) + 0.08 }
  var plot = LinePlot(
    series: [
      .init(name: "train loss", x: steps, y: train, error: train.map { $0 * 0.15 }),
      .init(name: "validation loss", x: steps, y: valid, error: valid.map { $0 * 0.1 }, errorStyle: .bars),
      .init(name: "probe MSE", x: steps, y: steps.map { 0.5 - 0.3 * $0 / 10000 }),
    ],
    title: "Training curves (5 seeds, mean ± std)", xLabel: "update", yLabel: "loss")
  plot.logY = false
  return plot
}

func sampleScatter() -> ScatterPlot {
  var rng = Core.RNG(seed: 3)
  var xs = [Double](), ys = [Double](), classes = [Int]()
  let centres = [(0.0, 0.0), (3.0, 1.0), (1.0, 3.5), (-2.5, 2.0), (-1.0, -3.0)]
  for i in 0..<500 {
    let k = i % 5
    xs.append(centres[k].0 + rng.normalDouble() * 0.7)
    ys.append(centres[k].1 + rng.normalDouble() * 0.7)
    classes.append(k)
  }
  return ScatterPlot(x: xs, y: ys, classes: classes, classNames: ["stay", "up", "down", "left", "right"],
                     title: "Latent z (first two dimensions) by true action", xLabel: "z[0]", yLabel: "z[1]")
}

func sampleConfusion() -> Heatmap {
  var map = Heatmap(
    values: [[812, 10, 3, 40, 1], [7, 640, 150, 2, 4], [0, 160, 700, 9, 12], [55, 3, 8, 721, 30], [2, 1, 19, 33, 790]],
    rowLabels: ["stay", "up", "down", "left", "right"], columnLabels: ["stay", "up", "down", "left", "right"],
    title: "Probe z -> action: confusion matrix", xLabel: "predicted action", yLabel: "true action")
  map.showValues = true
  return map
}

func sampleBars() -> BarChart {
  BarChart(
    categories: ["no noise", "low noise", "high noise", "correlated", "augmented", "1% labels"],
    series: [
      .init(name: "controllable loss", values: [0.12, 0.25, 0.48, 0.71, 0.2, 0.08], errors: [0.02, 0.04, 0.06, 0.05, 0.03, 0.01]),
      .init(name: "stochastic loss", values: [1.0, 0.82, 0.55, 0.9, 0.93, 0.97], errors: [0.01, 0.05, 0.07, 0.03, 0.02, 0.02]),
    ],
    title: "Grid world, 5 seeds", yLabel: "normalized loss")
}

func sampleGrid() -> ImageGrid {
  // 4 x 4 frames as a grid world renders them (planar floats), shown 12 times larger.
  var tiles = [Image]()
  var captions = [String]()
  for t in 0..<8 {
    var frame = [Float](repeating: 0, count: 3 * 4 * 4)  // [3, 4, 4]
    let agent = t % 12
    for c in 0..<3 { frame[c * 16 + agent] = c == 0 ? 1 : 0.2 }
    for x in 0..<4 where (t + x) % 3 == 0 { for c in 0..<3 { frame[c * 16 + 12 + x] = 0.5 } }
    tiles.append(Image(planar: frame, channels: 3, height: 4, width: 4))
    captions.append("t=\(t) a=\(["up", "down", "left", "right"][t % 4])")
  }
  var grid = ImageGrid(tiles: tiles, columns: 4, captions: captions, title: "Episode 0: frames",
                       rowLabels: ["real", "recon"], columnLabels: ["step 0", "step 1", "step 2", "step 3"])
  grid.tileScale = 12
  return grid
}

func sampleLogPlot() -> LinePlot {
  let steps = (0..<200).map { Double($0) * 80 }
  var plot = LinePlot(
    series: [
      .init(name: "d_z = 2", x: steps, y: steps.map { 2 * exp(-$0 / 2000) + 0.3 }),
      .init(name: "d_z = 8", x: steps, y: steps.map { 2 * exp(-$0 / 1500) + 0.01 }),
      .init(name: "d_z = 16", x: steps, y: steps.map { 2 * exp(-$0 / 1000) + 0.0005 }),
    ],
    title: "Reconstruction MSE (log scale)", xLabel: "step", yLabel: "MSE")
  plot.logY = true
  return plot
}

func sampleErrorMap() -> Heatmap {
  let values = (0..<12).map { r in (0..<16).map { c in sin(Double(r) / 2) * cos(Double(c) / 3) * 0.37 } }
  var map = Heatmap(values: values, title: "Prediction error o_hat' - o' (signed)", xLabel: "x", yLabel: "y")
  map.colourMap = .blueWhiteRed
  map.symmetric = true
  map.showValues = true
  return map
}

@Test func samplePicturesRenderAndSurviveAPNGRoundTrip() throws {
  let dir = samplesFolder()
  let pictures: [(String, Image)] = [
    ("line.png", sampleLinePlot().render()),
    ("scatter.png", sampleScatter().render()),
    ("confusion.png", sampleConfusion().render()),
    ("bars.png", sampleBars().render()),
    ("grid.png", sampleGrid().render()),
    ("line-log.png", sampleLogPlot().render()),
    ("error-map.png", sampleErrorMap().render()),
  ]
  for (name, image) in pictures {
    let path = dir + "/" + name
    try PNG.write(image, to: path)
    #expect(try PNG.read(path) == image, "\(name)")
  }
}

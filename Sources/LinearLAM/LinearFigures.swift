import Foundation
import Imaging

/// The pictures `lam linear` writes next to its CSV files.
public enum LinearFigures {
  /// One line plot per panel metric of `plan`, side by side in a grid: `plan.x` along the axis,
  /// one line per series label, the mean over seeds with a band of plus or minus one standard
  /// deviation. With the sweep's panels (LLO, action, obs, noise) this is the paper's Figure 3.
  public static func panels(plan: LinearPlan, results: [LinearResult], title: String) -> Image {
    let labels = orderedUnique(results.map { plan.seriesLabel($0.config) })
    let tiles = plan.panels.map { metric -> Image in
      var series: [LinePlot.Series] = []
      for (i, label) in labels.enumerated() {
        let members = results.filter { plan.seriesLabel($0.config) == label }
        let xs = orderedUnique(members.map { plan.x.value(in: $0.config) }).sorted()
        var mean: [Double] = [], spread: [Double] = []
        for x in xs {
          let values = members.filter { plan.x.value(in: $0.config) == x }.map(metric.value(in:))
          let m = values.reduce(0, +) / Double(values.count)
          let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1) : 0
          mean.append(m)
          spread.append(variance.squareRoot())
        }
        series.append(LinePlot.Series(
          name: label, x: xs, y: mean, error: spread.contains { $0 > 0 } ? spread : nil, colour: Palette.colour(i)))
      }
      var plot = LinePlot(series: series, title: metric.title, xLabel: axisLabel(plan.x), yLabel: "")
      if let range = metric.naturalRange {
        let all = series.flatMap { s in zip(s.y, s.error ?? s.y.map { _ in 0 }).flatMap { [$0 - $1, $0 + $1] } }
        if all.allSatisfy(range.contains) { plot.yRange = range }
      }
      plot.width = 520
      plot.height = 360
      return plot.render()
    }
    return ImageGrid(tiles: tiles, columns: min(2, tiles.count), title: title).render()
  }

  /// How far each run's training loss (mean per logging window) is above the reconstruction MSE
  /// of the ideal PCA model, against the step, on a log axis (windows that dip below it by batch
  /// noise are left out); each line is named by `label`.
  public static func lossCurves(_ results: [LinearResult], label: (LinearResult) -> String, title: String) -> Image {
    let series = results.enumerated().map { i, r in
      LinePlot.Series(
        name: label(r), x: r.loss.map { Double($0.step) }, y: r.loss.map { $0.loss - r.pca.reconstructionMSE },
        colour: Palette.colour(i))
    }
    var plot = LinePlot(series: series, title: title, xLabel: "step", yLabel: "training loss - PCA optimum")
    plot.logY = true
    plot.width = 720
    plot.height = 440
    return plot.render()
  }

  static func axisLabel(_ key: SweepKey) -> String {
    switch key {
    case .dz: return "latent dimension d_z"
    case .da: return "action dimension d_a"
    case .sigma: return "noise scale sigma"
    case .chi: return "policy chi"
    case .kappa: return "augmentation kappa"
    case .labelFraction: return "labelled fraction"
    case .clean: return "fraction dropped by cleaning"
    case .steps: return "training steps"
    case .lr: return "learning rate"
    case .batch: return "batch size"
    }
  }
}

private func orderedUnique<T: Hashable>(_ values: [T]) -> [T] {
  var seen = Set<T>()
  return values.filter { seen.insert($0).inserted }
}

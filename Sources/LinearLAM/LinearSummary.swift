import Foundation

/// Mean and spread over seeds of every metric, one group per configuration.
public struct LinearGroup: Sendable {
  /// The group's configuration with the seed of its first run.
  public var config: LinearConfig
  public var results: [LinearResult]

  /// (mean, sample standard deviation, min, max) of `metric` over the group's seeds.
  public func statistics(_ metric: LinearMetric) -> (mean: Double, std: Double, min: Double, max: Double) {
    let values = results.map(metric.value(in:))
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
    return (mean, variance.squareRoot(), values.min()!, values.max()!)
  }
}

public enum LinearSummary {
  /// Results grouped by configuration apart from the seed, in first-appearance order.
  public static func groups(_ results: [LinearResult]) -> [LinearGroup] {
    var order: [LinearConfig] = []
    var members: [LinearConfig: [LinearResult]] = [:]
    for r in results {
      var key = r.config
      key.seed = 0
      if members[key] == nil { order.append(key) }
      members[key, default: []].append(r)
    }
    return order.map { LinearGroup(config: members[$0]![0].config, results: members[$0]!) }
  }

  /// summary.csv: the parameter columns of results.csv without the seed, `seeds`, then
  /// `<metric>_mean`, `_std`, `_min`, `_max` for every metric.
  public static func csv(_ results: [LinearResult]) -> String {
    let parameterCount = LinearTable.columns.firstIndex(of: "seed")!
    let header = Array(LinearTable.columns[..<parameterCount]) + ["seeds"]
      + LinearMetric.allCases.flatMap { m in ["mean", "std", "min", "max"].map { "\(m.rawValue)_\($0)" } }
    var lines = [header.joined(separator: ",")]
    for g in groups(results) {
      var cells = LinearTable.cells(g.results[0])[..<parameterCount].map(\.csv) + [String(g.results.count)]
      for m in LinearMetric.allCases {
        let s = g.statistics(m)
        cells += [s.mean, s.std, s.min, s.max].map(formatNumber)
      }
      lines.append(cells.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// loss.csv: `run,step,loss`, where run is the 0-based row of results.csv and loss the mean
  /// training loss over the window ending at step.
  public static func lossCSV(_ results: [LinearResult]) -> String {
    var lines = ["run,step,loss"]
    for (i, r) in results.enumerated() {
      for p in r.loss { lines.append("\(i),\(p.step),\(formatNumber(p.loss))") }
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

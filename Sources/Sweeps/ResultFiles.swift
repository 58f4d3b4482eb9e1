import Core
import Foundation
import Imaging
import LAM
import Probing
import Training

/// The files `lam sweep collect` writes: results.csv, summary.csv, plots/<metric>.png, summary.md and index.html.
extension SweepResults {
  /// One row per run: name, condition, env, seed, status, then every metric (empty when absent).
  public var resultsCSV: String {
    var lines = [(["name", "condition", "env", "seed", "status"] + metrics.map(\.rawValue)).joined(separator: ",")]
    for row in rows {
      let cells = [row.name, row.condition, SweepResults.csvField(row.env), String(row.seed), row.status.rawValue]
        + row.values.map(SweepResults.number)
      lines.append(cells.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// One row per condition: n finished, then each metric's mean and standard error.
  public var summaryCSV: String {
    var lines = [(["condition", "n"] + metrics.flatMap { [$0.rawValue + "_mean", $0.rawValue + "_se"] }).joined(separator: ",")]
    for s in summary {
      let cells = [s.condition, String(s.n)] + metrics.indices.flatMap { [SweepResults.number(s.mean[$0]), SweepResults.number(s.standardError[$0])] }
      lines.append(cells.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// summary.md: the description, the mean ± SE table, the plots, the findings and the runs not finished.
  public var markdown: String {
    let finished = rows.filter { $0.status == .finished }.count
    var md = "# Sweep results\n\n"
    if !spec.description.isEmpty { md += spec.description + "\n\n" }
    md += "\(finished) of \(rows.count) runs finished (\(spec.conditions.count) conditions x \(spec.seeds.count) seeds"
    md += quick ? ", quick sizes).\n\n" : ").\n\n"
    md += "## Metrics (mean ± standard error over seeds)\n\n"
    md += "| condition | env | n | " + metrics.map(\.rawValue).joined(separator: " | ") + " |\n"
    md += "|---|---|---|" + String(repeating: "---|", count: metrics.count) + "\n"
    for row in summaryRows { md += "| " + row.joined(separator: " | ") + " |\n" }
    md += "\n"
    for metric in metrics {
      md += "![\(metric.rawValue)](plots/\(metric.rawValue).png)\n\n"
    }
    if !findings.isEmpty {
      md += "## Findings\n\n| claim | metric | expected | means | reproduced |\n|---|---|---|---|---|\n"
      for row in findingRows { md += "| " + row.joined(separator: " | ") + " |\n" }
      md += "\n"
    }
    let unfinished = rows.filter { $0.status != .finished }
    if !unfinished.isEmpty {
      md += "## Runs not finished\n\n"
      for row in unfinished {
        md += "- \(row.name): \(row.status.rawValue)" + (row.error.map { " (\($0); see runs/\(row.name).log)" } ?? "") + "\n"
      }
      md += "\n"
    }
    return md
  }

  /// The table of means: condition, env, n, then each metric's mean ± standard error (summary.md and index.html).
  var summaryRows: [[String]] {
    zip(summary, spec.conditions).map { s, condition in
      [s.condition, condition.env, String(s.n)] + metrics.indices.map { SweepResults.meanText(s.mean[$0], s.standardError[$0]) }
    }
  }

  /// One row per finding: claim, metric, expected, the means (or the ranking, best first) and the verdict.
  var findingRows: [[String]] {
    findings.map { f in
      let expected: String
      switch f.finding.expect {
      case .higher, .lower: expected = "\(f.finding.to!) \(f.finding.expect.rawValue) than \(f.finding.from!)"
      case .lowest, .highest: expected = "\(f.finding.condition!) \(f.finding.expect.rawValue)"
      }
      var shown = f.means
      if f.finding.expect == .lowest || f.finding.expect == .highest {
        // The ranking: best first.
        shown.sort { a, b in
          let (x, y) = (a.mean ?? .nan, b.mean ?? .nan)
          if x.isNaN || y.isNaN { return !x.isNaN }
          return f.finding.expect == .lowest ? x < y : x > y
        }
      }
      let means = shown.map { "\($0.condition) \($0.mean.map { String(format: "%.4g", $0) } ?? "-")" }
        .joined(separator: f.finding.expect == .lowest ? " < " : f.finding.expect == .highest ? " > " : " -> ")
      return [f.finding.claim, f.finding.metric, expected, means, f.verdict?.rawValue ?? "n/a (missing runs)"]
    }
  }

  /// A bar chart of one metric: one bar per condition, whiskers = standard error.
  public func chart(_ metric: SweepMetric) -> BarChart {
    let m = metrics.firstIndex(of: metric)!
    let values = summary.map { $0.mean[m] ?? .nan }
    let errors = summary.map { $0.standardError[m] ?? .nan }
    var chart = BarChart(categories: summary.map(\.condition), series: [.init(name: "", values: values, errors: errors)],
                         title: metric.label, xLabel: "condition (bar: mean over seeds, whisker: standard error)",
                         yLabel: metric.rawValue)
    if values.allSatisfy({ $0.isNaN }) { chart.title = "\(metric.label): no run has this value" }
    chart.width = max(640, 110 * summary.count + 120)
    chart.height = 440
    return chart
  }

  /// Writes results.csv, summary.csv, plots/<metric>.png, summary.md and index.html into `outDir`; returns their paths.
  public func write(to outDir: String) throws -> [String] {
    var written: [String] = []
    func put(_ text: String, _ name: String) throws {
      try Files.writeAtomically(Data(text.utf8), to: outDir + "/" + name)
      written.append(outDir + "/" + name)
    }
    try put(resultsCSV, "results.csv")
    try put(summaryCSV, "summary.csv")
    do {
      try FileManager.default.createDirectory(atPath: outDir + "/plots", withIntermediateDirectories: true)
    } catch {
      throw LamError("\(outDir)/plots: cannot create the folder")
    }
    for metric in metrics {
      let path = outDir + "/plots/\(metric.rawValue).png"
      try PNG.write(chart(metric).render(), to: path)
      written.append(path)
    }
    try put(markdown, "summary.md")
    try put(try page(in: outDir), SweepResults.pageFile)
    return written
  }

  static func number(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }

  static func meanText(_ mean: Double?, _ se: Double?) -> String {
    guard let mean else { return "-" }
    return String(format: "%.4g", mean) + (se.map { " ± " + String(format: "%.2g", $0) } ?? "")
  }

  static func csvField(_ text: String) -> String {
    text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
  }
}

import Core
import Foundation
import Imaging
import LAM
import Probing
import Training

/// The files `lam sweep collect` writes: results.csv, summary.csv, plots/<metric>.png (for each metric some
/// run has), summary.md and index.html.
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
    let plotted = plottedMetrics
    if !plotted.isEmpty {
      md += SweepResults.plotsNote + "\n\n"
    }
    for metric in plotted {
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


  /// What the marks of the metric plots mean (summary.md and index.html).
  static let plotsNote = "Plots: a bar is a condition's mean over seeds, its whisker the standard error, each dot one run (seed); "
    + "where a metric has them, a grey line marks its chance level (a latent holding nothing: always the most frequent "
    + "class for an accuracy, another transition's latent for a loss) and a black line its ceiling (the best score "
    + "any predictor reaches from the frames), each the mean over the condition's runs."

  /// The metrics at least one finished run has: the ones that get a plot.
  public var plottedMetrics: [SweepMetric] {
    metrics.indices.filter { m in summary.contains { $0.mean[m] != nil } }.map { metrics[$0] }
  }

  /// The grey line marking a metric's chance level and the black line marking its ceiling in the plots.
  public static let chanceColour = Colour(gray: 150)
  public static let ceilingColour = Colour.black
  /// The colour of the dots, one per run, on each bar.
  public static let runColour = Palette.colour(1)

  /// A bar chart of one metric: one bar per condition (the mean), whiskers = standard error, a dot per run,
  /// and the condition's mean chance and ceiling levels marked where the metric has them.
  public func chart(_ metric: SweepMetric) -> BarChart {
    let m = metrics.firstIndex(of: metric)!
    let values = summary.map { $0.mean[m] ?? .nan }
    let errors = summary.map { $0.standardError[m] ?? .nan }
    let points = summary.map { $0.values[m].map { $0 ?? .nan } }
    var chart = BarChart(categories: summary.map(\.condition),
                         series: [.init(name: "", values: values, errors: errors, points: points)],
                         title: metric.label, xLabel: "condition (bar: mean over seeds, whisker: standard error)",
                         yLabel: metric.axisLabel)
    chart.pointColour = SweepResults.runColour
    chart.pointName = "one run (seed)"
    let chance = summary.map { [$0.chance[m] ?? .nan] }, ceiling = summary.map { [$0.ceiling[m] ?? .nan] }
    if chance.joined().contains(where: \.isFinite) {
      chart.marks.append(BarChart.Mark(name: metric.chanceName, colour: SweepResults.chanceColour, values: chance))
    }
    if ceiling.joined().contains(where: \.isFinite) {
      chart.marks.append(BarChart.Mark(name: "ceiling (best reachable from the frames)", colour: SweepResults.ceilingColour,
                                       values: ceiling))
    }
    // The bars usually fill every corner, so the legend goes right of the data: room for it beside 110 pixels
    // per condition.
    let legend = ([chart.pointName] + chart.marks.map(\.name)).map { Font.textWidth($0) }.max() ?? 0
    chart.width = max(640, 110 * summary.count + 120) + legend + 40
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
    let plotted = plottedMetrics
    for metric in metrics {
      let path = outDir + "/plots/\(metric.rawValue).png"
      guard plotted.contains(metric) else {
        // No run has the metric: no chart, and none left over from an earlier collect.
        try? FileManager.default.removeItem(atPath: path)
        continue
      }
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

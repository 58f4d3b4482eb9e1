import Core
import Foundation
import Imaging
import Probing
import Training

/// What `lam compare` should do.
public struct CompareOptions: Sendable {
  /// Two or more run folders (from `lam train`).
  public var runs: [String]
  /// The folder to write compare.md, the curves and index.html to.
  public var out: String
  /// Replace `out` if it exists (and lam made it).
  public var force: Bool

  public init(runs: [String], out: String, force: Bool = false) {
    self.runs = runs
    self.out = out
    self.force = force
  }
}

/// What a comparison wrote and found.
public struct CompareResult: Sendable {
  /// Names of the files written into the output folder, in order.
  public var files: [String]
  /// Each run's short label, in the order the runs were given.
  public var labels: [String]
  /// The dotted config keys whose values differ between the runs.
  public var differingKeys: [String]
}

/// `lam compare`: runs side by side: their training curves overlaid, their key metrics, and the config
/// fields they differ in. Optional files (probe.json, the report's report.json, summary.json) leave blanks.
public enum Compare {
  public static let markdownFile = "compare.md"

  /// One run as the comparison reads it; the optional files are nil when the run does not have them.
  struct Run {
    var path: String
    var label: String
    var info: RunInfo
    var config: [(key: String, value: String)]
    var records: [MetricsRecord]
    var summary: TrainSummary?
    var probe: ProbeResults?
    var report: ReportNumbers?
  }

  /// The overlaid curves: file, title, axis label and the value of a metrics.jsonl record.
  static let curves: [(file: String, title: String, yLabel: String, smoothed: Bool, value: @Sendable (MetricsRecord) -> Float?)] = [
    ("curves-loss.png", "Training loss (total, log scale; faint logged, bold smoothed)", "loss", true, { $0.loss }),
    ("curves-recon.png", "Train reconstruction (log scale; faint logged, bold smoothed)", "reconstruction MSE per pixel value",
     true, { $0.recon }),
    ("curves-val-recon.png", "Validation reconstruction (log scale; not smoothed)", "reconstruction MSE per pixel value", false,
     { $0.valRecon }),
  ]
  static let probesFile = "probes.png"
  static let probesCaption = "Held-out accuracy of the MLP probe of each target, one bar per run (the curves' colours), with each "
    + "target's chance (grey: always the most frequent class) and ceiling (black: the best any predictor reaches from the "
    + "frames). A latent that holds the agent's action reaches the ceiling on 'agent action'; one that tracks a distractor "
    + "stands high on its 'cell'."

  /// The probes of every run side by side: the agent's action, then each distractor's action and cell.
  static func probesChart(_ runs: [Run]) -> BarChart? {
    let probed = runs.filter { $0.probe != nil }
    guard !probed.isEmpty else { return nil }
    var names: [String] = []
    for run in probed { for name in run.probe!.distractorNames where !names.contains(name) { names.append(name) } }
    // (category, the target of a probe.json, or nil where the run has no such distractor)
    let targets: [(String, (ProbeResults) -> ProbeTarget?)] = [("agent action", { $0.action })]
      + names.flatMap { name -> [(String, (ProbeResults) -> ProbeTarget?)] in
        func index(_ p: ProbeResults) -> Int? { p.distractorNames.firstIndex(of: name) }
        return [("'\(name)' action", { p in index(p).map { p.distractors[$0] } }),
                ("'\(name)' cell", { p in index(p).map { p.distractorPositions[$0] } })]
      }
    func values(_ f: (ProbeTarget) -> Double?) -> [[Double]] {
      targets.map { _, target in runs.map { run in run.probe.flatMap(target).flatMap(f) ?? .nan } }
    }
    let accuracy = values { $0.mlp.testAccuracy }
    let series = runs.indices.map { i in
      BarChart.Series(name: runs[i].label, values: accuracy.map { $0[i] }, colour: Palette.colour(i))
    }
    var chart = BarChart(categories: targets.map(\.0), series: series, title: "What each latent holds: MLP probes",
                         xLabel: "probe target", yLabel: "held-out accuracy")
    chart.marks = [BarChart.Mark(name: "chance", colour: ReportFigures.chanceColour, values: values { $0.chance }),
                   BarChart.Mark(name: "ceiling", colour: ReportFigures.ceilingColour, values: values { $0.ceiling })]
    chart.yRange = 0...1
    chart.width = max(640, 90 * targets.count * runs.count + 260)
    chart.height = 420
    return chart
  }

  /// Reads and checks every run, then writes the comparison folder (`Files.writeFolder`: built aside, never
  /// inside or over a run folder, an existing one replaced only with `force`).
  public static func write(_ options: CompareOptions) throws -> CompareResult {
    let paths = options.runs
    guard paths.count >= 2 else {
      throw LamError("expected 2 or more run folders to compare, got \(paths.count)")
    }
    for (i, path) in paths.enumerated() {
      if let first = paths[..<i].first(where: { Files.canonicalPath($0) == Files.canonicalPath(path) }) {
        throw LamError("\(path): the same run folder as \(first); give each run once")
      }
    }
    let labels = self.labels(paths)
    let runs = try zip(paths, labels).map { try read($0, label: $1) }
    let differences = self.differences(runs.map(\.config))
    let inputs = paths.map { Files.Input($0, flag: "run") }
    return try Files.writeFolder(options.out, force: options.force, inputs: inputs) { staging in
      var figures: [String] = []
      for curve in curves {
        // Training curves as the report draws them: logged values faint, the moving average bold over them.
        var faint: [LinePlot.Series] = [], bold: [LinePlot.Series] = []
        for (i, run) in runs.enumerated() {
          guard let drawn = ReportFigures.curve(run.label, run.records.map { ($0.step, curve.value($0)) },
                                                colour: Palette.colour(i), smoothed: curve.smoothed) else { continue }
          if let line = drawn.faint { faint.append(line) }
          bold.append(drawn.bold)
        }
        guard !bold.isEmpty else { continue }
        var plot = LinePlot(series: faint + bold, title: curve.title, xLabel: "update", yLabel: curve.yLabel)
        plot.logY = true
        plot.width = 800
        plot.height = 480
        try PNG.write(plot.render(), to: staging + "/" + curve.file)
        figures.append(curve.file)
      }
      if let chart = probesChart(runs) {
        try PNG.write(chart.render(), to: staging + "/" + probesFile)
        figures.append(probesFile)
      }
      let tables = Tables(runs: runs, differences: differences)
      try Files.writeAtomically(Data(markdown(tables, figures: figures).utf8), to: staging + "/" + markdownFile)
      let html = try page(tables, figures: figures, folder: staging)
      try Files.writeAtomically(Data(html.utf8), to: staging + "/" + Report.pageFile)
      return CompareResult(files: figures + [markdownFile, Report.pageFile], labels: labels,
                           differingKeys: differences.map(\.key))
    }
  }

  /// A run folder's files, each validated; a missing optional file is nil, a corrupt one an error naming it.
  static func read(_ path: String, label: String) throws -> Run {
    let (config, _, info) = try TrainingRun.load(path)
    let metricsPath = path + "/" + TrainingRun.metricsFile
    let records = try Report.readMetrics(metricsPath)
    guard !records.isEmpty else {
      throw LamError("\(metricsPath): no metrics logged (train the run with `lam train` first)")
    }
    let summaryPath = path + "/" + TrainingRun.summaryFile
    let summary = FileManager.default.fileExists(atPath: summaryPath) ? try StrictJSON.load(TrainSummary.self, from: summaryPath) : nil
    let flat = flatten(try JSON.parse([UInt8](StrictJSON.encode(config))))
    return Run(path: path, label: label, info: info, config: flat, records: records, summary: summary,
               probe: try ProbeResults.load(run: path), report: try ReportNumbers.load(report: path + "/report"))
  }

  /// Short unique labels from the run folders' names: the last path component, with as many parent folders as
  /// it takes to tell runs of the same name apart (`a/run`, `b/run`).
  public static func labels(_ paths: [String]) -> [String] {
    let parts = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path.split(separator: "/").map(String.init) }
    var depth = paths.map { _ in 1 }
    func label(_ i: Int) -> String { parts[i].suffix(depth[i]).joined(separator: "/") }
    while true {
      let current = paths.indices.map(label)
      let clashing = paths.indices.filter { i in current.indices.contains { $0 != i && current[$0] == current[i] } }
      let deeper = clashing.filter { depth[$0] < parts[$0].count }
      if deeper.isEmpty { return current.map { $0.isEmpty ? "/" : $0 } }
      for i in deeper { depth[i] += 1 }
    }
  }

  /// A JSON object as dotted keys (`train.seed`) and compact JSON values; arrays are values, not expanded.
  public static func flatten(_ json: JSON, prefix: String = "") -> [(key: String, value: String)] {
    guard case .object(let members) = json else { return [(prefix, json.text)] }
    return members.flatMap { member in flatten(member.value, prefix: prefix.isEmpty ? member.key : prefix + "." + member.key) }
  }

  /// The keys whose values differ between the flattened configs (a key a run lacks counts as differing), in the
  /// order of first appearance, with each run's value (nil where a run lacks the key).
  public static func differences(_ configs: [[(key: String, value: String)]]) -> [(key: String, values: [String?])] {
    let lookups = configs.map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }) }
    var seen = Set<String>(), keys: [String] = []
    for config in configs { for (key, _) in config where seen.insert(key).inserted { keys.append(key) } }
    return keys.compactMap { key in
      let values = lookups.map { $0[key] }
      return Set(values.map { $0 ?? "\u{0}missing" }).count > 1 ? (key, values) : nil
    }
  }

  /// The three tables both pages show, as text cells (backticks mark paths).
  struct Tables {
    var labels: [String]
    var runs: [[String]]
    /// label, probe.json's verdict (what the latent holds, in words)
    var verdicts: [[String]]
    var metrics: [[String]]
    var differences: [[String]]

    init(runs: [Run], differences: [(key: String, values: [String?])]) {
      labels = runs.map(\.label)
      self.runs = runs.map { run in
        [run.label, "`\(run.path)`", "`\(run.info.data)`", run.summary.map { String($0.steps) } ?? ""]
      }
      verdicts = runs.map { [$0.label, $0.probe?.verdict ?? ""] }
      metrics = Compare.metricRows(runs)
      self.differences = differences.map { [$0.key] + $0.values.map { $0 ?? "" } }
    }
  }

  /// The key metrics, one row per measure and one column per run; blank where a run lacks the file.
  static func metricRows(_ runs: [Run]) -> [[String]] {
    func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", 100 * $0) } ?? "" }
    func number(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "" }
    func row(_ measure: String, _ value: (Run) -> String) -> [String] { [measure] + runs.map(value) }
    var rows = [
      row("final validation reconstruction MSE (summary.json)") { number($0.summary.map { Double($0.valRecon) }) },
      row("action probe, MLP (test accuracy)") { percent($0.probe?.action.mlp.testAccuracy) },
      row("action probe, linear (test accuracy)") { percent($0.probe?.action.linear.testAccuracy) },
      row("action chance / ceiling") { run in
        run.probe.map { "\(percent($0.action.chance)) / \(percent($0.action.ceiling))" } ?? ""
      },
      row("action probe, MLP, as a share of the ceiling") { run in
        guard let probe = run.probe, let ceiling = probe.action.ceiling, ceiling > 0 else { return "" }
        return String(format: "%.2f", probe.action.mlp.testAccuracy / ceiling)
      },
    ]
    var names: [String] = []
    for run in runs { for name in run.probe?.distractorNames ?? [] where !names.contains(name) { names.append(name) } }
    for name in names {
      rows.append(row("distractor '\(name)': action probe, MLP / chance") { run in
        guard let probe = run.probe, let j = probe.distractorNames.firstIndex(of: name) else { return "" }
        return "\(percent(probe.distractors[j].mlp.testAccuracy)) / \(percent(probe.distractors[j].chance))"
      })
      rows.append(row("distractor '\(name)': cell probe, MLP / chance") { run in
        guard let probe = run.probe, let j = probe.distractorNames.firstIndex(of: name) else { return "" }
        return "\(percent(probe.distractorPositions[j].mlp.testAccuracy)) / \(percent(probe.distractorPositions[j].chance))"
      })
    }
    rows += [
      row("controllable loss (lower: z holds the agent's move)") { number($0.probe?.paper.controllableLoss) },
      row("stochastic loss (higher: z ignores distractors, noise and shake)") { number($0.probe?.paper.stochasticLoss) },
      row("latent swap: agent moves as the source's action would (report.json)") { percent($0.report?.swapAccuracy) },
    ]
    return rows
  }

  static let blanks = "A blank cell: the run has no probe.json (`lam probe`), no report/report.json (`lam report`) or no summary.json."

  /// compare.md: the runs, the curves, the key metrics and the config differences.
  static func markdown(_ tables: Tables, figures: [String]) -> String {
    func table(_ header: [String], _ rows: [[String]]) -> [String] {
      // A `|` inside a cell would end it.
      let line = { (cells: [String]) in "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
      return [line(header), "|" + String(repeating: "---|", count: header.count)] + rows.map(line)
    }
    var lines = ["# Comparison of \(tables.labels.count) runs", ""]
    lines += table(["label", "run folder", "data", "steps"], tables.runs)
    lines += ["", "## What each latent holds (probe.json)", ""] + table(["label", "verdict"], tables.verdicts)
    lines += ["", "## Training curves", ""]
    for file in figures where file != probesFile { lines += ["![\(file)](\(file))", ""] }
    if figures.contains(probesFile) { lines += ["## Probes", "", probesCaption, "", "![\(probesFile)](\(probesFile))", ""] }
    lines += ["## Key metrics", ""] + table(["measure"] + tables.labels, tables.metrics) + ["", blanks, "", "## Config differences", ""]
    lines += tables.differences.isEmpty ? ["The runs' configs are the same."]
      : table(["config key"] + tables.labels, tables.differences)
    return (lines + [""]).joined(separator: "\n")
  }

  /// index.html: what compare.md shows, with the curves embedded.
  static func page(_ tables: Tables, figures: [String], folder: String) throws -> String {
    var page = HTMLPage(title: "Comparison of " + tables.labels.joined(separator: ", "))
    page.heading("Comparison of \(tables.labels.count) runs", level: 1)
    page.table(header: ["label", "run folder", "data", "steps"], rows: tables.runs)
    page.heading("What each latent holds")
    page.table(header: ["label", "verdict (probe.json)"], rows: tables.verdicts)
    page.heading("Training curves")
    for (file, curve) in figures.compactMap({ file in curves.first { $0.file == file }.map { (file, $0) } }) {
      page.figure(png: try Report.readFile(folder + "/" + file), name: file, caption: curve.title + ": one colour per run.")
    }
    if figures.contains(probesFile) {
      page.heading("Probes")
      page.figure(png: try Report.readFile(folder + "/" + probesFile), name: probesFile, caption: probesCaption)
    }
    page.heading("Key metrics")
    page.table(header: ["measure"] + tables.labels, rows: tables.metrics)
    page.paragraph(blanks)
    page.heading("Config differences")
    if tables.differences.isEmpty {
      page.paragraph("The runs' configs are the same.")
    } else {
      page.table(header: ["config key"] + tables.labels, rows: tables.differences)
    }
    return page.html
  }
}

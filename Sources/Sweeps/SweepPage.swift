import Core
import Foundation
import Reports

/// The sweep folder's index.html: one self-contained page to open and share (`HTMLPage`), with a link to each
/// run's report page where one exists. Links are relative, so the sweep folder can be moved or copied.
extension SweepResults {
  public static let pageFile = "index.html"

  /// A run's report page, relative to the sweep folder.
  static func reportPage(_ name: String) -> [String] { ["runs", name, "report", Report.pageFile] }

  /// The page for the sweep folder `outDir`: the findings, the table of means, the charts lam sweep collect wrote
  /// under plots/ (embedded) and every run with its status and a link to its report page, if it has one.
  public func page(in outDir: String) throws -> String {
    var page = HTMLPage(title: "Sweep results: " + URL(fileURLWithPath: outDir).standardizedFileURL.lastPathComponent)
    page.heading("Sweep results", level: 1)
    if !spec.description.isEmpty { page.paragraph(spec.description) }
    let finished = rows.filter { $0.status == .finished }.count
    page.paragraph("\(finished) of \(rows.count) runs finished (\(spec.conditions.count) conditions x \(spec.seeds.count) seeds"
                   + (quick ? ", quick sizes)." : ")."))
    if !findings.isEmpty {
      page.heading("Findings")
      page.table(header: ["claim", "metric", "expected", "means", "reproduced"], rows: findingRows)
    }
    page.heading("Metrics (mean ± standard error over seeds)")
    page.table(header: ["condition", "env", "n"] + metrics.map(\.rawValue), rows: summaryRows)
    let plotted = plottedMetrics
    if !plotted.isEmpty { page.paragraph(SweepResults.plotsNote) }
    for metric in plotted {
      let path = outDir + "/plots/\(metric.rawValue).png"
      guard let png = FileManager.default.contents(atPath: path) else { continue }
      page.figure(png: png, name: "plots/\(metric.rawValue).png", caption: metric.axisLabel)
    }
    page.heading("Runs")
    let hasReport = rows.map { FileManager.default.fileExists(atPath: outDir + "/" + SweepResults.reportPage($0.name).joined(separator: "/")) }
    let runRows = zip(rows, hasReport).map { row, hasReport -> [HTMLPage.Cell] in
      let status = row.status.rawValue + (row.error.map { ": " + $0 } ?? "")
      return [HTMLPage.Cell(row.name), HTMLPage.Cell(row.condition), HTMLPage.Cell(String(row.seed)), HTMLPage.Cell(status),
              hasReport ? HTMLPage.Cell("report", link: HTMLPage.relativeURL(SweepResults.reportPage(row.name)))
                : HTMLPage.Cell("no report")]
    }
    page.table(header: ["run", "condition", "seed", "status", "report"], rows: runRows)
    if zip(rows, hasReport).contains(where: { $0.status == .finished && !$1 }) {
      page.paragraph("`lam sweep collect DIR --reports` writes each finished run's report and links it here.")
    }
    return page.html
  }

  /// What writing one run's report gave: the run, and the error if it failed.
  public struct ReportOutcome: Sendable {
    public var name: String
    public var folder: String
    public var error: String?
  }

  /// Writes every finished run's report into RUN/report, as `lam report --run RUN` does (default seed and
  /// pairs), replacing a report lam made there. A run whose report fails is noted and the others go on.
  public func writeReports(in outDir: String, onReport: (ReportOutcome) -> Void = { _ in }) -> [ReportOutcome] {
    rows.filter { $0.status == .finished }.map { row in
      let folder = outDir + "/runs/" + row.name
      var outcome = ReportOutcome(name: row.name, folder: folder + "/report")
      do {
        _ = try Report.write(ReportOptions(runDir: folder, force: true))
      } catch {
        outcome.error = (error as? LamError)?.message ?? String(describing: error)
      }
      onReport(outcome)
      return outcome
    }
  }
}

import Core
import Foundation
import LAM
import Probing
import Reports
import Training

/// What a sweep folder holds: each run's status and metrics, the per-condition means and standard
/// errors, and whether each finding is reproduced.
public struct SweepResults: Sendable {
  public enum Status: String, Sendable {
    /// probe.json is there.
    case finished
    /// The last attempt left a .failed file.
    case failed
    /// Not run yet, or still running.
    case missing
  }

  public struct Row: Sendable {
    public var name: String
    public var condition: String
    public var env: String
    public var seed: UInt64
    public var status: Status
    /// One value per metric, nil when the run's files do not hold it.
    public var values: [Double?]
    /// One per metric: its chance and ceiling levels in this run (`SweepMetric.chance`, `.ceiling`).
    public var chance: [Double?]
    public var ceiling: [Double?]
    /// The .failed file's line, for failed runs.
    public var error: String?
  }

  public struct ConditionSummary: Sendable {
    public var condition: String
    /// Finished runs.
    public var n: Int
    /// Per metric: the mean over the finished runs that have the value.
    public var mean: [Double?]
    /// Per metric: sample standard deviation (n - 1) / sqrt(n); nil below two values.
    public var standardError: [Double?]
    /// Per metric: each finished run's value (nil where it has none), in seed order.
    public var values: [[Double?]]
    /// Per metric: the mean chance and ceiling levels over the finished runs that have them.
    public var chance: [Double?]
    public var ceiling: [Double?]
  }

  /// Whether a finding is reproduced: a difference counts only beyond two standard errors of the difference
  /// (sqrt(se1² + se2²); a condition with one seed has no standard error and counts as exact).
  public enum Verdict: String, Sendable {
    case yes
    case withinNoise = "within noise"
    case no
  }

  public struct FindingResult: Sendable {
    public var finding: SweepSpec.Finding
    /// The compared conditions' means and standard errors, in the finding's order.
    public var means: [(condition: String, mean: Double?, standardError: Double?)]
    /// nil when a mean is missing.
    public var verdict: Verdict?
  }

  public var spec: SweepSpec
  public var quick: Bool
  public var metrics: [SweepMetric]
  public var rows: [Row]
  public var summary: [ConditionSummary]
  public var findings: [FindingResult]

  /// Reads DIR/sweep.json and every run folder; runs not there yet are `missing`, not an error.
  public static func read(_ outDir: String) throws -> SweepResults {
    let manifest = try SweepManifest.load(from: outDir)
    let spec = manifest.spec
    let metrics = spec.metrics.compactMap(SweepMetric.init(rawValue:))
    let fm = FileManager.default
    var rows: [Row] = []
    for run in spec.runs {
      let folder = outDir + "/runs/" + run.name
      var status = Status.missing, error: String? = nil
      var values = [Double?](repeating: nil, count: metrics.count)
      var chance = values, ceiling = values
      if let probe = try ProbeResults.load(run: folder) {
        status = .finished
        let summaryPath = folder + "/" + TrainingRun.summaryFile
        let summary = fm.fileExists(atPath: summaryPath) ? try StrictJSON.load(TrainSummary.self, from: summaryPath) : nil
        let report = try ReportNumbers.load(report: folder + "/report")
        values = metrics.map { $0.value(probe: probe, summary: summary, report: report) }
        chance = metrics.map { $0.chance(probe: probe) }
        ceiling = metrics.map { $0.ceiling(probe: probe) }
      } else if let data = fm.contents(atPath: folder + ".failed") {
        status = .failed
        error = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      }
      rows.append(Row(name: run.name, condition: run.condition, env: run.env, seed: run.seed, status: status,
                      values: values, chance: chance, ceiling: ceiling, error: error))
    }
    let summary = spec.conditions.map { condition in
      let finished = rows.filter { $0.condition == condition.name && $0.status == .finished }
      let stats = metrics.indices.map { m in meanAndStandardError(finished.compactMap { $0.values[m] }) }
      let mean = { (levels: [[Double?]]) in metrics.indices.map { m in meanAndStandardError(levels.compactMap { $0[m] }).mean } }
      return ConditionSummary(condition: condition.name, n: finished.count, mean: stats.map(\.mean),
                              standardError: stats.map(\.standardError),
                              values: metrics.indices.map { m in finished.map { $0.values[m] } },
                              chance: mean(finished.map(\.chance)), ceiling: mean(finished.map(\.ceiling)))
    }
    let findings = spec.findings.map { finding -> FindingResult in
      let m = metrics.firstIndex { $0.rawValue == finding.metric }!
      let names = finding.expect == .higher || finding.expect == .lower ? finding.conditions
        : finding.among ?? spec.conditions.map(\.name)
      let means = names.map { name in
        let s = summary.first { $0.condition == name }!
        return (condition: name, mean: s.mean[m], standardError: s.standardError[m])
      }
      return FindingResult(finding: finding, means: means, verdict: verdict(finding, means: means))
    }
    return SweepResults(spec: spec, quick: manifest.quick, metrics: metrics, rows: rows, summary: summary, findings: findings)
  }

  /// The mean and the standard error of the mean (sample standard deviation over sqrt(n)).
  public static func meanAndStandardError(_ values: [Double]) -> (mean: Double?, standardError: Double?) {
    guard !values.isEmpty else { return (nil, nil) }
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    guard values.count >= 2 else { return (mean, nil) }
    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
    return (mean, variance.squareRoot() / n.squareRoot())
  }

  static func verdict(_ finding: SweepSpec.Finding, means: [(condition: String, mean: Double?, standardError: Double?)])
    -> Verdict?
  {
    guard means.allSatisfy({ $0.mean != nil }), !means.isEmpty else { return nil }
    // +1: `better` beats `worse` beyond noise; -1: `worse` beats `better` beyond noise; 0: within noise.
    func compare(_ better: Int, _ worse: Int, higher: Bool) -> Int {
      let a = means[better], b = means[worse]
      let difference = (a.mean! - b.mean!) * (higher ? 1 : -1)
      let noise = 2 * ((a.standardError ?? 0) * (a.standardError ?? 0) + (b.standardError ?? 0) * (b.standardError ?? 0)).squareRoot()
      return difference > noise ? 1 : difference < -noise ? -1 : 0
    }
    let outcomes: [Int]
    switch finding.expect {
    case .higher, .lower: outcomes = [compare(1, 0, higher: finding.expect == .higher)]
    case .lowest, .highest:
      let mine = means.firstIndex { $0.condition == finding.condition }!
      outcomes = means.indices.filter { $0 != mine }.map { compare(mine, $0, higher: finding.expect == .highest) }
    }
    return outcomes.contains(-1) ? .no : outcomes.allSatisfy { $0 == 1 } ? .yes : .withinNoise
  }
}

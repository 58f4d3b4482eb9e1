import Core
import Foundation

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
  }

  public struct FindingResult: Sendable {
    public var finding: SweepSpec.Finding
    /// The compared conditions' means, in the finding's order.
    public var means: [(condition: String, mean: Double?)]
    /// nil when a mean is missing.
    public var reproduced: Bool?
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
      if fm.fileExists(atPath: folder + "/" + ProbeAnalysis.file) {
        status = .finished
        var files: [String: Any] = [:]
        for file in Set(metrics.map(\.file)) {
          guard let data = fm.contents(atPath: folder + "/" + file) else { continue }
          guard let json = try? JSONSerialization.jsonObject(with: data) else {
            throw LamError("\(folder)/\(file): not valid JSON")
          }
          files[file] = json
        }
        values = metrics.map { metric in files[metric.file].flatMap(metric.value(in:)) }
      } else if let data = fm.contents(atPath: folder + ".failed") {
        status = .failed
        error = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      }
      rows.append(Row(name: run.name, condition: run.condition, env: run.env, seed: run.seed, status: status,
                      values: values, error: error))
    }
    let summary = spec.conditions.map { condition in
      let finished = rows.filter { $0.condition == condition.name && $0.status == .finished }
      let stats = metrics.indices.map { m in meanAndStandardError(finished.compactMap { $0.values[m] }) }
      return ConditionSummary(condition: condition.name, n: finished.count, mean: stats.map(\.mean),
                              standardError: stats.map(\.standardError))
    }
    let findings = spec.findings.map { finding -> FindingResult in
      let m = metrics.firstIndex { $0.rawValue == finding.metric }!
      let names = finding.expect == .higher || finding.expect == .lower ? finding.conditions
        : finding.among ?? spec.conditions.map(\.name)
      let means = names.map { name in (condition: name, mean: summary.first { $0.condition == name }!.mean[m]) }
      return FindingResult(finding: finding, means: means, reproduced: reproduced(finding, means: means))
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

  static func reproduced(_ finding: SweepSpec.Finding, means: [(condition: String, mean: Double?)]) -> Bool? {
    let values = means.compactMap(\.mean)
    guard values.count == means.count, !values.isEmpty else { return nil }
    switch finding.expect {
    case .higher: return values[1] > values[0]
    case .lower: return values[1] < values[0]
    case .lowest, .highest:
      let mine = means.first { $0.condition == finding.condition }!.mean!
      let others = means.filter { $0.condition != finding.condition }.compactMap(\.mean)
      return finding.expect == .lowest ? others.allSatisfy { mine < $0 } : others.allSatisfy { mine > $0 }
    }
  }
}

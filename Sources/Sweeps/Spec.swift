import Core
import Foundation
import LAM
import Probing
import Training

/// A sweep: environments x settings x seeds, each run trained and probed the same way (docs/sweeps.md).
public struct SweepSpec: Codable, Equatable, Sendable {
  /// The dataset size and seed every condition's data is generated with.
  public struct DataSize: Codable, Equatable, Sendable {
    public var episodes = 0
    /// Transitions per episode (frames = steps + 1).
    public var steps = 0
    public var seed: UInt64 = 0

    init() {}

    public init(from decoder: Decoder) throws {
      self = try decoder.decode(DataSize(), [
        .required("episodes", \.episodes), .required("steps", \.steps), .field("seed", \.seed),
      ])
    }
  }

  /// The sizes `--quick` uses instead of `data` and `train.steps`.
  public struct Quick: Codable, Equatable, Sendable {
    public var episodes = 60
    public var steps = 32
    public var trainSteps = 150

    public init() {}

    public init(from decoder: Decoder) throws {
      self = try decoder.decode(Quick(), [
        .field("episodes", \.episodes), .field("steps", \.steps), .field("trainSteps", \.trainSteps),
      ])
    }
  }

  /// One setting: an environment and config changes on top of `base`.
  public struct Condition: Codable, Equatable, Sendable {
    public var name = ""
    /// A preset name or an environment JSON file (relative to the spec's folder).
    public var env = ""
    /// Dotted config paths and their JSON values, applied like `lam train --set`.
    public var set: [String: JSON] = [:]
    /// Probe on data of this environment (a preset or file, like `env`) instead of the held-out episodes:
    /// e.g. uniform actions for a run trained on a correlated policy.
    public var evalEnv: String?

    init() {}

    public init(from decoder: Decoder) throws {
      self = try decoder.decode(Condition(), [
        .required("name", \.name), .required("env", \.env), .field("set", \.set), .field("evalEnv", \.evalEnv),
      ])
    }
  }

  /// How every run is probed (the `lam probe` flags).
  public struct ProbeSettings: Codable, Equatable, Sendable {
    public var quantized = false
    public var epochs = 60
    public var maxTrain = 50_000

    public init() {}

    public init(from decoder: Decoder) throws {
      self = try decoder.decode(ProbeSettings(), [
        .field("quantized", \.quantized), .field("epochs", \.epochs), .field("maxTrain", \.maxTrain),
      ])
    }
  }

  /// A claim checked on the condition means: `from` -> `to` is higher/lower, or `condition` is the
  /// lowest/highest `among` some conditions.
  public struct Finding: Codable, Equatable, Sendable {
    public enum Expect: String, Codable, Sendable, CaseIterable { case higher, lower, lowest, highest }
    public var claim = ""
    public var metric = ""
    public var expect = Expect.higher
    public var from: String?
    public var to: String?
    public var condition: String?
    /// The conditions ranked for lowest/highest; nil means every condition.
    public var among: [String]?

    init() {}

    public init(from decoder: Decoder) throws {
      self = try decoder.decode(Finding(), [
        .required("claim", \.claim), .required("metric", \.metric), .required("expect", \.expect),
        .field("from", \.from), .field("to", \.to), .field("condition", \.condition), .field("among", \.among),
      ])
    }

    /// The conditions the finding compares, in order.
    public var conditions: [String] {
      switch expect {
      case .higher, .lower: return [from, to].compactMap { $0 }
      case .lowest, .highest: return among ?? []
      }
    }
  }

  public var description = ""
  /// A run config object, as `lam train --config` reads it.
  public var base: JSON = .object([])
  public var data = DataSize()
  public var quick = Quick()
  public var conditions: [Condition] = []
  public var seeds: [UInt64] = []
  public var probe = ProbeSettings()
  public var metrics = SweepMetric.allCases.map(\.rawValue)
  public var findings: [Finding] = []

  init() {}

  public init(from decoder: Decoder) throws {
    self = try decoder.decode(SweepSpec(), [
      .field("description", \.description), .field("base", \.base), .required("data", \.data), .field("quick", \.quick),
      .required("conditions", \.conditions), .required("seeds", \.seeds), .field("probe", \.probe),
      .field("metrics", \.metrics), .field("findings", \.findings),
    ])
    // Decoding the base as a run config names a bad field by its path (base.model.bottleneck...).
    _ = try decoder.container(keyedBy: AnyCodingKey.self).decode(AnyCodingKey("base"), default: RunConfig())
  }

  /// Reads and validates the spec file; every problem is one line naming the file and field.
  public static func load(_ path: String) throws -> SweepSpec {
    let spec = try StrictJSON.load(SweepSpec.self, from: path)
    try spec.validate(file: path)
    return spec
  }

  /// Checks everything that decoding alone does not: sizes, names, seeds, metrics, findings and each
  /// condition's run config.
  public func validate(file: String) throws {
    func check(_ ok: Bool, _ field: String, _ expected: String) throws { try Check.that(ok, field, expected, file: file) }
    try check(data.episodes >= 1, "data.episodes", "at least 1, got \(data.episodes)")
    try check(data.steps >= 1, "data.steps", "at least 1, got \(data.steps)")
    try check(quick.episodes >= 1, "quick.episodes", "at least 1, got \(quick.episodes)")
    try check(quick.steps >= 1, "quick.steps", "at least 1, got \(quick.steps)")
    try check(quick.trainSteps >= 1, "quick.trainSteps", "at least 1, got \(quick.trainSteps)")
    try check(probe.epochs >= 1, "probe.epochs", "at least 1, got \(probe.epochs)")
    try check(probe.maxTrain >= 1, "probe.maxTrain", "at least 1, got \(probe.maxTrain)")
    try check(!conditions.isEmpty, "conditions", "at least one condition")
    try check(!seeds.isEmpty, "seeds", "at least one seed")
    try check(Set(seeds).count == seeds.count, "seeds", "distinct seeds, got \(seeds.map(String.init).joined(separator: ", "))")
    var names = Set<String>()
    for (i, condition) in conditions.enumerated() {
      try check(SweepSpec.isSafeName(condition.name), "conditions[\(i)].name",
                "a file-name-safe name (letters, digits, '-', '_', '.'; not starting with '.'), got '\(condition.name)'")
      try check(names.insert(condition.name).inserted, "conditions[\(i)].name", "a name used once, got '\(condition.name)' again")
      try check(!condition.set.keys.contains("train.seed"), "conditions[\(i)].set",
                "no 'train.seed' (each run's seed comes from 'seeds')")
      _ = try runConfig(condition: i, seed: seeds[0], quick: false, file: file)
    }
    for (i, metric) in metrics.enumerated() {
      try check(SweepMetric(rawValue: metric) != nil, "metrics[\(i)]",
                "one of \(SweepMetric.allCases.map(\.rawValue).joined(separator: ", ")), got '\(metric)'")
    }
    for (i, finding) in findings.enumerated() {
      let field = "findings[\(i)]"
      try check(metrics.contains(finding.metric), "\(field).metric", "a metric listed in 'metrics', got '\(finding.metric)'")
      switch finding.expect {
      case .higher, .lower:
        try check(finding.from != nil && finding.to != nil && finding.condition == nil && finding.among == nil, field,
                  "'from' and 'to' (and no 'condition' or 'among') with expect '\(finding.expect.rawValue)'")
      case .lowest, .highest:
        try check(finding.condition != nil && finding.from == nil && finding.to == nil, field,
                  "'condition' (and no 'from' or 'to') with expect '\(finding.expect.rawValue)'")
      }
      for (key, name) in [("from", finding.from), ("to", finding.to), ("condition", finding.condition)] {
        guard let name else { continue }
        try check(names.contains(name), "\(field).\(key)", "a condition name, got '\(name)'")
      }
      for (j, name) in (finding.among ?? []).enumerated() {
        try check(names.contains(name), "\(field).among[\(j)]", "a condition name, got '\(name)'")
      }
      if let among = finding.among, let condition = finding.condition {
        try check(among.contains(condition), "\(field).among", "a list that contains '\(condition)'")
      }
    }
  }

  /// The run config of condition `condition` with `seed`: base, then the condition's `set`, then
  /// `train.seed`, then (quick) `train.steps` and a VQ warm-up scaled with it. Given the frame, an architecture neither names is picked
  /// for it as `lam train` does.
  public func runConfig(condition index: Int, seed: UInt64, quick: Bool, file: String, frame: FrameShape? = nil) throws -> RunConfig {
    let condition = conditions[index]
    let field = "conditions[\(index)] '\(condition.name)'"
    var overrides = condition.set.sorted { $0.key < $1.key }.map { (path: $0.key, value: $0.value) }
    overrides.append((path: "train.seed", value: .number(String(seed))))
    do {
      var config = try RunConfig.load(object: base, source: "\(file): \(field) (base + set)", overrides: overrides)
      if quick {
        // Shorter training, and a VQ warm-up shortened in proportion, so that a quick run still ends quantized.
        let full = config.train.steps
        config.train.steps = self.quick.trainSteps
        config.model.bottleneck.warmup = config.model.bottleneck.warmup * config.train.steps / max(full, 1)
      }
      if let frame, !RunConfig.names("model.architecture", in: base, overridden: overrides.map(\.path)) {
        config.model.architecture = RunConfig.defaultArchitecture(for: frame)
      }
      try config.validate()  // the frame-dependent checks come when the run starts (a failed run, not a refused sweep)
      return config
    } catch let error as LamError where !error.message.hasPrefix(file) {
      throw LamError("\(file): \(field) (base + set): \(error.message)")
    }
  }

  /// The condition x seed cross product, condition-major, in spec order.
  public var runs: [SweepRunName] {
    conditions.flatMap { condition in
      seeds.map { SweepRunName(name: "\(condition.name)-seed\($0)", condition: condition.name, env: condition.env, seed: $0) }
    }
  }

  static func isSafeName(_ name: String) -> Bool {
    !name.isEmpty && !name.hasPrefix(".")
      && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
  }
}

/// One run of a sweep, by name: `<condition>-seed<seed>`.
public struct SweepRunName: Equatable, Sendable {
  public var name: String
  public var condition: String
  public var env: String
  public var seed: UInt64
}

import Core
import Foundation
import LAM

/// How long and how fast to train, and how to log and checkpoint.
public struct TrainConfig: Codable, Equatable, Sendable {
  /// The most steps a run may take.
  public static let maxSteps = 100_000_000

  public var steps: Int = 3000
  public var batch: Int = 64
  public var lr: Float = 1e-3
  /// AdamW's decoupled weight decay (0 = plain Adam).
  public var weightDecay: Float = 0
  /// Clip the global gradient norm to this value (0 = no clipping).
  public var gradClip: Float = 0
  public var seed: UInt64 = 0
  /// BLAS threads for the run.
  public var threads: Int = 1
  /// Fraction of episodes held out for validation (and for probe testing), chosen by the seed.
  public var valFraction: Double = 0.05
  /// Write a metrics line every this many steps.
  public var logEvery: Int = 50
  /// Compute the validation loss every this many steps.
  public var evalEvery: Int = 500
  /// Save a checkpoint every this many steps (0 = only at the end).
  public var checkpointEvery: Int = 1000

  public init() {}

  public init(from decoder: Decoder) throws {
    self = try decoder.decode(TrainConfig(), [
      .field("steps", \.steps), .field("batch", \.batch), .field("lr", \.lr), .field("weightDecay", \.weightDecay),
      .field("gradClip", \.gradClip), .field("seed", \.seed), .field("threads", \.threads),
      .field("valFraction", \.valFraction), .field("logEvery", \.logEvery), .field("evalEvery", \.evalEvery),
      .field("checkpointEvery", \.checkpointEvery),
    ])
  }

  public func validate() throws {
    try Check.range(steps, "train.steps", 1...TrainConfig.maxSteps)
    try Check.range(batch, "train.batch", 1...65536)
    try Check.that(lr > 0 && lr <= 10, "train.lr", "a value in (0, 10], got \(lr)")
    try Check.range(weightDecay, "train.weightDecay", 0...10)
    try Check.range(gradClip, "train.gradClip", 0...1e6)
    try Check.range(threads, "train.threads", 1...256)
    try Check.that(valFraction > 0 && valFraction < 1, "train.valFraction", "a value in (0, 1), got \(valFraction)")
    try Check.range(logEvery, "train.logEvery", 1...100_000_000)
    try Check.range(evalEvery, "train.evalEvery", 1...100_000_000)
    try Check.range(checkpointEvery, "train.checkpointEvery", 0...100_000_000)
  }
}

/// The remedies of the paper, each off by default.
public struct Remedies: Codable, Equatable, Sendable {
  public enum Augment: String, Codable, Sendable, CaseIterable {
    case none
    /// The same random shift of o and o' by whole cells, periodic wrap (the paper's augmentation).
    case shift
    /// Add k1 ~ N(0, kappa^2) to o and o' before encoding; decode from o + k2 and subtract k2 (result 3).
    case kappa
    /// Encode o and o' under one random shift, decode from o and predict o' under another, independent one:
    /// the grid world's kappa (a latent that names where things end up no longer fits the decoder's frame).
    case shiftIndependent
    /// Encode o and o' with the content of the agent's region rolled by a random offset (uniform over the
    /// region's cells, wrapping inside it); decode from the true o and predict the true o'. The encoder's view
    /// no longer says where the agent is, only how it moved, while the decoder still sees the walls.
    case regionRoll
  }
  public enum ShiftAxis: String, Codable, Sendable, CaseIterable {
    case horizontal, vertical, both
  }
  public enum LabelMode: String, Codable, Sendable, CaseIterable {
    /// An auxiliary linear head z -> action, trained with cross-entropy.
    case head
    /// VQ only: code i is action i; the latent is pulled (L2) to its true action's code.
    case codes
  }
  public enum CleanBy: String, Codable, Sendable, CaseIterable {
    /// The dataset's ground-truth `exogenous_change`.
    case exogenous
    /// Mean absolute frame difference, for data without ground truth.
    case frameDiff
  }

  public var augment: Augment = .none
  public var shiftAxis: ShiftAxis = .horizontal
  public var kappa: Float = 0.1
  /// Fraction of training episodes whose action labels are used (0 = none).
  public var labelFraction: Double = 0
  public var labelWeight: Float = 0.1
  public var labelMode: LabelMode = .head
  /// Fraction of training transitions dropped, largest exogenous change first (0 = none).
  public var cleanFraction: Double = 0
  public var cleanBy: CleanBy = .exogenous

  /// Whether the run trains a linear head z_e -> action (labels in `head` mode), stored as `action_head.*`.
  public var trainsActionHead: Bool { labelFraction > 0 && labelMode == .head }

  public init() {}

  public init(from decoder: Decoder) throws {
    self = try decoder.decode(Remedies(), [
      .field("augment", \.augment), .field("shiftAxis", \.shiftAxis), .field("kappa", \.kappa),
      .field("labelFraction", \.labelFraction), .field("labelWeight", \.labelWeight), .field("labelMode", \.labelMode),
      .field("cleanFraction", \.cleanFraction), .field("cleanBy", \.cleanBy),
    ])
  }

  public func validate(bottleneck: BottleneckConfig) throws {
    try Check.range(kappa, "remedies.kappa", 0...10)
    try Check.range(labelFraction, "remedies.labelFraction", 0...1)
    try Check.range(labelWeight, "remedies.labelWeight", 0...1000)
    try Check.range(cleanFraction, "remedies.cleanFraction", 0...0.99)
    if labelMode == .codes && labelFraction > 0 {
      try Check.that(bottleneck.kind == .vq && bottleneck.codes >= 5, "remedies.labelMode",
                     "'head' unless the bottleneck is vq with at least 5 codes (one per action)")
    }
  }
}

/// Everything that defines a training run; saved in the run folder and in every checkpoint.
public struct RunConfig: Codable, Equatable, Sendable {
  public var model = ModelConfig()
  public var train = TrainConfig()
  public var remedies = Remedies()

  public init() {}

  public init(from decoder: Decoder) throws {
    self = try decoder.decode(RunConfig(), [.field("model", \.model), .field("train", \.train), .field("remedies", \.remedies)])
  }

  /// Frames this many pixels high or wide, or more, get the conv LAM when the config does not name an
  /// architecture: the MLP's first layer grows with the pixel count and it learned nothing on 32 x 32 frames.
  public static let convFromPixels = 16

  /// The architecture `lam train` picks for `frame` when none is named.
  public static func defaultArchitecture(for frame: FrameShape) -> Architecture {
    max(frame.height, frame.width) >= convFromPixels ? .conv : .mlp
  }

  public func validate(frame: FrameShape? = nil) throws {
    try model.validate(frame: frame)
    try train.validate()
    try remedies.validate(bottleneck: model.bottleneck)
    try Check.that(model.bottleneck.warmup < max(train.steps, 1), "model.bottleneck.warmup",
                   "fewer steps than train.steps (\(train.steps)), so that the run ends quantized, got \(model.bottleneck.warmup)")
  }
}

extension RunConfig {
  /// The run config from an optional JSON file with `overrides` applied on top, each a dotted
  /// field path and a value ("model.bottleneck.codes", "5"). Values are read as JSON when they
  /// parse (numbers, true/false, arrays), else as strings. The result is decoded strictly, so an
  /// unknown field or a bad value is an error naming it.
  public static func load(file: String?, overrides: [(path: String, value: String)]) throws -> RunConfig {
    try loadNaming([], file: file, overrides: overrides).config
  }

  /// `load(file:overrides:)`, and which of `paths` the file or `overrides` set (`lam train` picks the
  /// architecture by frame size and the threads by the machine where they are not set), from one read of the file.
  public static func loadNaming(_ paths: [String], file: String?, overrides: [(path: String, value: String)]) throws
    -> (config: RunConfig, named: Set<String>) {
    let source = file ?? "config", root = try object(file: file)
    let config = try load(object: root, source: overrides.isEmpty ? source : "\(source) (with flags)",
                          overrides: overrides.map { ($0.path, JSON.lenient($0.value)) })
    return (config, Set(paths.filter { names($0, in: root, overridden: overrides.map(\.path)) }))
  }

  /// Whether the config object or the `overridden` paths set the dotted `path` (e.g. model.architecture).
  public static func names(_ path: String, in object: JSON, overridden paths: [String]) -> Bool {
    guard !paths.contains(path) else { return true }
    var node = object
    for key in path.split(separator: ".") {
      guard case .object(let fields) = node, let value = fields.first(where: { $0.key == key })?.value else { return false }
      node = value
    }
    return true
  }

  /// The JSON object of a config file (empty without one), checked for syntax and duplicate keys.
  static func object(file: String?) throws -> JSON {
    guard let file else { return .object([]) }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
      throw LamError("\(file): cannot read the config file")
    }
    try StrictJSON.checkSyntax(data, source: file)
    let root = try JSON.parse([UInt8](data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data))
    guard case .object = root else { throw LamError("\(file): top level: expected an object") }
    return root
  }

  /// The run config from a JSON object with `overrides` set on top, in order; `source` names it in messages.
  public static func load(object: JSON, source: String, overrides: [(path: String, value: JSON)]) throws -> RunConfig {
    var root = object
    for (path, value) in overrides {
      do { root = try root.setting(value, at: path) } catch let error as LamError { throw LamError("--set \(error.message)") }
    }
    return try StrictJSON.decode(RunConfig.self, from: Data(root.text.utf8), source: source)
  }
}

import Core
import Foundation
import LAM
import NN

/// The run folder's checkpoint files: the model (loadable on its own, e.g. into PyTorch) and the
/// training state (optimizer moments, generator, step) that makes resuming bit-exact.
///
/// The two are committed as a pair. A save writes the state to `pendingStateFile`, then the model file
/// (the commit point: an atomic rename), then renames the pending state over the old one. Killed at any
/// instant, a run holds either the old pair, or the new model and the new state under the pending name,
/// which `recover` puts in place; a pending state without its model is discarded. Both files' metadata
/// carry the config, frame and step, and are cross-checked on every load.
public enum Checkpoint {
  public static let modelFile = "checkpoint.safetensors"
  public static let stateFile = "training-state.safetensors"
  public static let pendingStateFile = "training-state.next.safetensors"
  public static let format = "lam-checkpoint-1"

  /// Commits the trainer's model and training state as a pair (see the type's comment).
  public static func save(_ trainer: Trainer, in runDir: String) throws {
    let metadata = try self.metadata(config: trainer.config, frame: trainer.data.frame, step: trainer.step)
    var state: [StoredTensor] = []
    for i in trainer.optimizer.parameters.indices {
      state.append(StoredTensor(name: "adam.m.\(i)", tensor: trainer.optimizer.m[i]))
      state.append(StoredTensor(name: "adam.v.\(i)", tensor: trainer.optimizer.v[i]))
    }
    state.append(StoredTensor(name: "rng", shape: [1], int64s: [Int64(bitPattern: trainer.rng.state)]))
    var stateMetadata = metadata
    stateMetadata["adam_step"] = String(trainer.optimizer.step)
    let pending = runDir + "/" + pendingStateFile
    try Safetensors.write(state, metadata: stateMetadata, to: pending)
    try Safetensors.save(parameters: trainer.modelTensors, metadata: metadata, to: runDir + "/" + modelFile)
    try commitPendingState(in: runDir)
  }

  static func metadata(config: RunConfig, frame: FrameShape, step: Int) throws -> [String: String] {
    [
      "format": format,
      "config": String(decoding: try StrictJSON.encode(config), as: UTF8.self),
      "frame": String(decoding: try StrictJSON.encode(frame), as: UTF8.self),
      "step": String(step),
    ]
  }

  private static func commitPendingState(in runDir: String) throws {
    guard rename(runDir + "/" + pendingStateFile, runDir + "/" + stateFile) == 0 else {
      throw LamError("\(runDir)/\(stateFile): cannot move the new training state into place (\(String(cString: strerror(errno))))")
    }
  }

  /// Completes or discards a save that was interrupted (see the type's comment). Call it holding the
  /// run folder's lock, before reading the pair.
  public static func recover(_ runDir: String) throws {
    let pending = runDir + "/" + pendingStateFile
    guard FileManager.default.fileExists(atPath: pending) else { return }
    let modelStep = (try? Safetensors.read(from: runDir + "/" + modelFile))?.metadata["step"]
    let pendingStep = (try? Safetensors.read(from: pending))?.metadata["step"]
    if let modelStep, modelStep == pendingStep {
      try commitPendingState(in: runDir)
    } else {
      try? FileManager.default.removeItem(atPath: pending)
    }
  }

  /// A checkpoint file's metadata, validated like the flags and files it came from: the format, the run
  /// config (every field in range, the model fitting the frame and the memory this process may use), the
  /// frame and the step.
  struct Header {
    var config: RunConfig
    var frame: FrameShape
    var step: Int
    var metadata: [String: String]

    init(_ metadata: [String: String], file path: String) throws {
      guard metadata["format"] == format, let configJSON = metadata["config"], let frameJSON = metadata["frame"],
            let stepText = metadata["step"]
      else {
        throw LamError("\(path): not a lam checkpoint (metadata 'format' \(format), 'config', 'frame' and 'step' expected)")
      }
      let source = "\(path) metadata"
      config = try StrictJSON.decode(RunConfig.self, from: Data(configJSON.utf8), source: "\(source) 'config'")
      frame = try StrictJSON.decode(FrameShape.self, from: Data(frameJSON.utf8), source: "\(source) 'frame'")
      try frame.validate("frame", file: source)
      do { try config.validate(frame: frame) } catch let error as LamError {
        throw LamError("\(source) 'config': \(error.message)")
      }
      try config.model.checkMemory(frame: frame, batch: 1, training: false, file: source)
      guard let step = Int(stepText), (0...TrainConfig.maxSteps).contains(step) else {
        throw LamError("\(source) 'step': expected a whole number in 0...\(TrainConfig.maxSteps), got '\(stepText)'")
      }
      self.step = step
      self.metadata = metadata
    }
  }

  /// Restores model, optimizer, generator and step from a run folder written by `save`. The checkpoint's
  /// config must be the trainer's (apart from what a resume may change), and the training state must
  /// belong to the same step and config.
  public static func restore(_ trainer: Trainer, from runDir: String) throws {
    let modelPath = runDir + "/" + modelFile, statePath = runDir + "/" + stateFile
    let model = try Safetensors.read(from: modelPath)
    let header = try Header(model.metadata, file: modelPath)
    try Check.that(header.config.resumeKey == trainer.config.resumeKey, "metadata 'config'",
                   "the run's config.json (apart from train.steps and train.threads)", file: modelPath)
    try Check.that(header.frame == trainer.data.frame, "metadata 'frame'",
                   "the dataset's frames \(trainer.data.frame.dims), got \(header.frame.dims)", file: modelPath)
    try Safetensors.load(into: trainer.modelTensors, from: model, path: modelPath)
    let stateNames = trainer.optimizer.parameters.indices.flatMap { ["adam.m.\($0)", "adam.v.\($0)"] }
    let moments = trainer.optimizer.parameters.indices.flatMap { [trainer.optimizer.m[$0], trainer.optimizer.v[$0]] }
    let loaded = try Safetensors.load(into: Array(zip(stateNames, moments)).map { (name: $0.0, tensor: $0.1) },
                                      extra: ["rng"], from: statePath)
    for key in ["format", "config", "frame", "step"] where loaded.metadata[key] != header.metadata[key] {
      throw LamError("\(runDir): \(modelFile) and \(stateFile) do not belong to the same checkpoint (their metadata '\(key)' differ)")
    }
    try Check.that(loaded.metadata["adam_step"] == String(header.step), "metadata 'adam_step'",
                   "the checkpoint's step \(header.step)", file: statePath)
    guard let rng = loaded.extra["rng"], rng.shape == [1], let rngValue = try? rng.int64s().first else {
      throw LamError("\(statePath): tensor 'rng': expected one int64 (the generator's state)")
    }
    trainer.step = header.step
    trainer.optimizer.step = header.step
    trainer.rng = RNG(seed: UInt64(bitPattern: rngValue))
  }

  /// Copies the model weights of another run's checkpoint into `trainer` (a warm start: the step,
  /// optimizer and generator stay fresh). The architectures must match tensor for tensor.
  public static func warmStart(_ trainer: Trainer, from path: String) throws {
    try Safetensors.load(into: trainer.modelTensors, from: path)
  }

  /// A checkpoint read for inference: the model, the config and step it was saved with, and the action
  /// head of a run trained with labels in `head` mode.
  public struct Loaded {
    public var model: LatentActionModel
    public var config: RunConfig
    public var step: Int
    /// z_e [B, dz] -> action logits [B, 5]; nil unless the run trained one.
    public var actionHead: Linear?
  }

  /// A model ready for inference from a checkpoint file, with the config and step it was saved with.
  public static func loadModel(from path: String) throws -> Loaded {
    let file = try Safetensors.read(from: path)
    let header = try Header(file.metadata, file: path)
    // The file must hold the model its config describes, counted before the model is built (an edited config
    // could ask for gigabytes that the file's tensors could never fill).
    let stored = file.tensors.values.filter { !$0.name.hasPrefix("action_head.") }.reduce(0) { $0 + $1.shape.reduce(1, *) }
    let described = header.config.model.parameterCount(frame: header.frame)
    guard described == stored else {
      throw LamError("\(path): metadata 'config' describes a model of \(described.map(String.init) ?? "too many") values, the tensors hold \(stored)")
    }
    var rng = RNG(seed: 0)
    let model = LatentActionModel(header.config.model, frame: header.frame, rng: &rng)
    let head = header.config.remedies.trainsActionHead ? Linear(header.config.model.bottleneck.dz, 5, rng: &rng) : nil
    let tensors = model.namedParameters.map { ($0.name, $0.parameter.value) } + model.buffers
      + (head.map { h in h.parameters.map { ("action_head." + $0.name, $0.value) } } ?? [])
    try Safetensors.load(into: tensors.map { (name: $0.0, tensor: $0.1) }, from: file, path: path)
    return Loaded(model: model, config: header.config, step: header.step, actionHead: head)
  }
}

extension FrameShape {
  /// Checks a frame shape read from a file against what environments render: 1 or 3 channels, 1...512
  /// pixels a side.
  public func validate(_ field: String, file: String? = nil) throws {
    try Check.that(channels == 1 || channels == 3, "\(field).channels", "1 or 3, got \(channels)", file: file)
    try Check.range(height, "\(field).height", 1...512, file: file)
    try Check.range(width, "\(field).width", 1...512, file: file)
  }
}

import Core
import Foundation
import NN

/// The run folder's checkpoint files: the model (loadable on its own, e.g. into PyTorch) and the
/// training state (optimizer moments, generator, step) that makes resuming bit-exact.
public enum Checkpoint {
  public static let modelFile = "checkpoint.safetensors"
  public static let stateFile = "training-state.safetensors"
  public static let format = "lam-checkpoint-1"

  /// Writes both files atomically; the state goes first, so a model file is never newer than its state.
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
    try Safetensors.write(state, metadata: stateMetadata, to: runDir + "/" + stateFile)
    try Safetensors.save(parameters: trainer.modelTensors, metadata: metadata, to: runDir + "/" + modelFile)
  }

  static func metadata(config: RunConfig, frame: FrameShape, step: Int) throws -> [String: String] {
    [
      "format": format,
      "config": String(decoding: try StrictJSON.encode(config), as: UTF8.self),
      "frame": String(decoding: try StrictJSON.encode(frame), as: UTF8.self),
      "step": String(step),
    ]
  }

  /// Restores model, optimizer, generator and step from a run folder written by `save`.
  public static func restore(_ trainer: Trainer, from runDir: String) throws {
    let modelPath = runDir + "/" + modelFile, statePath = runDir + "/" + stateFile
    let metadata = try Safetensors.load(into: trainer.modelTensors, from: modelPath).metadata
    let stateNames = trainer.optimizer.parameters.indices.flatMap { ["adam.m.\($0)", "adam.v.\($0)"] }
    let moments = trainer.optimizer.parameters.indices.flatMap { [trainer.optimizer.m[$0], trainer.optimizer.v[$0]] }
    let loaded = try Safetensors.load(into: Array(zip(stateNames, moments)).map { (name: $0.0, tensor: $0.1) },
                                      extra: ["rng"], from: statePath)
    guard let step = metadata["step"].flatMap(Int.init), loaded.metadata["step"] == metadata["step"],
          let adamStep = loaded.metadata["adam_step"].flatMap(Int.init),
          let rngValue = try loaded.extra["rng"]?.int64s().first
    else {
      throw LamError("\(runDir): \(modelFile) and \(stateFile) do not belong to the same step (an interrupted save?)")
    }
    trainer.step = step
    trainer.optimizer.step = adamStep
    trainer.rng = RNG(seed: UInt64(bitPattern: rngValue))
  }

  /// Copies the model weights of another run's checkpoint into `trainer` (a warm start: the step,
  /// optimizer and generator stay fresh). The architectures must match tensor for tensor.
  public static func warmStart(_ trainer: Trainer, from path: String) throws {
    try Safetensors.load(into: trainer.modelTensors, from: path)
  }

  /// A model ready for inference from a checkpoint file, with the config and step it was saved with.
  public static func loadModel(from path: String) throws -> (model: LatentActionModel, config: RunConfig, step: Int) {
    let file = try Safetensors.read(from: path)
    guard file.metadata["format"] == format, let configJSON = file.metadata["config"],
          let frameJSON = file.metadata["frame"], let step = file.metadata["step"].flatMap(Int.init)
    else {
      throw LamError("\(path): not a lam checkpoint (metadata 'format', 'config', 'frame' or 'step' missing)")
    }
    let config = try StrictJSON.decode(RunConfig.self, from: Data(configJSON.utf8), source: "\(path) metadata 'config'")
    let frame = try StrictJSON.decode(FrameShape.self, from: Data(frameJSON.utf8), source: "\(path) metadata 'frame'")
    var rng = RNG(seed: 0)
    let model = LatentActionModel(config.model, frame: frame, rng: &rng)
    let tensors = model.namedParameters.map { ($0.name, $0.parameter.value) } + model.buffers
    let headNames = Set(file.tensors.keys.filter { $0.hasPrefix("action_head.") })
    try Safetensors.load(into: tensors.map { (name: $0.0, tensor: $0.1) }, extra: headNames, from: path)
    return (model, config, step)
  }
}

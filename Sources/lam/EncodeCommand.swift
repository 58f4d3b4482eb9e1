import ArgumentParser
import Core
import Foundation
import GridWorld
import LAM
import NN
import Probing
import Training

/// `lam encode`: a trained LAM's latents (and optionally its predictions) for every transition, as .npy.
struct EncodeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "encode",
    abstract: "Write z_e [E, T, dz] float32 for every transition (plus VQ codes and predicted frames on request).")

  @Option(name: .customLong("run"), help: "The run folder (from `lam train`).") var runDir: String
  @Option(help: "The dataset folder (the data the run was trained on).") var data: String
  @Option(help: "The .npy file for z_e [E, T, dz] float32; VQ code indices go to FILE-codes.npy [E, T] int64.")
  var out: String
  @Option(help: "Also write the predicted next frames [E, T, C, H, W] float32 to this .npy file.")
  var predict: String?
  @Flag(help: "Replace output files that exist (only .npy files, never an input).")
  var force = false

  /// The files this command may write: z_e, the VQ codes beside it, the predictions.
  private var outputs: [String] {
    [out, (out.hasSuffix(".npy") ? String(out.dropLast(4)) : out) + "-codes.npy"] + (predict.map { [$0] } ?? [])
  }

  func validate() throws {
    let canonical = outputs.map(Files.canonicalPath)
    guard Set(canonical).count == canonical.count else {
      throw ValidationError("--out, --predict: expected different files, got \(outputs.joined(separator: ", "))")
    }
  }

  func run() throws {
    let inputs = TrainingRun.inputs(runDir) + [Files.Input(data, flag: "--data")]
    for path in outputs {
      try Files.checkOutputFile(path, force: force, inputs: inputs, kind: ".npy", isReplaceable: NPY.hasMagic)
    }
    let opened = try RunData.open(runDir, data: data)
    let dataset = opened.dataset
    let frameSize = dataset.frameSize
    if predict != nil {
      try Check.memory(Sizes.product([dataset.transitionCount, frameSize, 4]), "--predict", what: "predicted frames")
    }
    var predictions = [Float](repeating: 0, count: predict == nil ? 0 : dataset.transitionCount * frameSize)
    let encoding = Encoding.encode(opened.model, dataset: dataset, transitions: Array(0..<dataset.transitionCount),
                                   quantized: false) { first, _, prediction in
      guard predict != nil else { return }
      for i in 0..<prediction.count { predictions[first * frameSize + i] = prediction.data[i] }
    }
    let et = [dataset.episodes, dataset.steps]
    try NPY.write(encoding.latents, shape: et + [encoding.dz], to: out)
    print("wrote \(out): z_e \(et + [encoding.dz])")
    if let codes = encoding.codes {
      try NPY.write(codes, shape: et, to: outputs[1])
      print("wrote \(outputs[1]): codes \(et)")
    }
    if let predict {
      try NPY.write(predictions, shape: et + dataset.frameShape, to: predict)
      print("wrote \(predict): predicted o' \(et + dataset.frameShape)")
    }
  }
}

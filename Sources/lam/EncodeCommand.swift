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
    abstract: "Write z_e [E, T, dz] float32 for every transition (plus the codes of a discrete latent, and predicted frames on request).",
    discussion: "Any dataset with the run's frame shape can be encoded; FILE.json beside --out records the run, checkpoint and dataset.")

  @Option(name: .customLong("run"), help: "The run folder (from `lam train`).") var runDir: String
  @Option(help: "The dataset folder: the run's own data or any other of the same frame shape.") var data: String
  @Option(help: "The .npy file for z_e [E, T, dz] float32; the code indices of a vq, nsvq or fsq latent go to FILE-codes.npy [E, T] int64.")
  var out: String
  @Option(help: "Also write the predicted next frames [E, T, C, H, W] float32 to this .npy file.")
  var predict: String?
  @Flag(help: "Replace output files that exist (only files lam writes here, never an input).")
  var force = false

  private var codesPath: String { (out.hasSuffix(".npy") ? String(out.dropLast(4)) : out) + "-codes.npy" }

  /// The .npy files this command may write: z_e, the codes beside it, the predictions.
  private var outputs: [String] { [out, codesPath] + (predict.map { [$0] } ?? []) }

  func validate() throws {
    let canonical = (outputs + [InferenceRecord.path(for: out)]).map(Files.canonicalPath)
    guard Set(canonical).count == canonical.count else {
      throw ValidationError("--out, --predict: expected different files, got \(outputs.joined(separator: ", "))")
    }
  }

  func run() throws {
    let inputs = TrainingRun.inputs(runDir) + [Files.Input(data, flag: "--data")]
    for path in outputs {
      try Files.checkOutputFile(path, force: force, inputs: inputs, kind: ".npy", isReplaceable: NPY.hasMagic)
    }
    let recordPath = InferenceRecord.path(for: out)
    try Files.checkOutputFile(recordPath, force: force, inputs: inputs, kind: "JSON record",
                              isReplaceable: InferenceRecord.looksLikeRecord)
    let opened = try RunData.open(runDir, data: data, anyData: true)
    if !opened.isTrainingData {
      print("note: \(data) is not the dataset \(runDir) was trained on; encoding it with the checkpoint of step \(opened.step)")
    }
    let dataset = opened.dataset
    let frameSize = dataset.frameSize
    if predict != nil {
      try Check.memory(Sizes.product([dataset.transitionCount, frameSize, 4]), "--predict", what: "predicted frames")
    }
    var predictions = [Float](repeating: 0, count: predict == nil ? 0 : dataset.transitionCount * frameSize)
    let encoding = Encoding.encode(opened.model, dataset: dataset, transitions: Array(0..<dataset.transitionCount),
                                   quantized: false) { first, _, _, prediction in
      guard predict != nil else { return }
      for i in 0..<prediction.count { predictions[first * frameSize + i] = prediction.data[i] }
    }
    try dataset.frames.checkReads()
    let et = [dataset.episodes, dataset.steps]
    var files = ["z_e": out]
    try NPY.write(encoding.latents, shape: et + [encoding.dz], to: out)
    print("wrote \(out): z_e \(et + [encoding.dz])")
    if let codes = encoding.codes {
      try NPY.write(codes, shape: et, to: codesPath)
      files["codes"] = codesPath
      print("wrote \(codesPath): codes \(et)")
    }
    if let predict {
      try NPY.write(predictions, shape: et + dataset.frameShape, to: predict)
      files["predicted"] = predict
      print("wrote \(predict): predicted o' \(et + dataset.frameShape)")
    }
    try writeRecord(InferenceRecord(format: "lam-encoding", run: opened, runDir: runDir, data: data,
                                    latent: "pre-quantization", files: files), to: recordPath)
  }
}

/// Writes `record` as JSON to `path` (atomically) and says so.
func writeRecord(_ record: InferenceRecord, to path: String) throws {
  try Files.writeAtomically(StrictJSON.encode(record), to: path)
  print("wrote \(path): where the numbers came from")
}

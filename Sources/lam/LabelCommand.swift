import ArgumentParser
import Core
import Foundation
import GridWorld
import NN
import Probing
import Training

extension Labelling.Source: ExpressibleByArgument {}

/// `lam label`: predicted actions for every transition of a dataset, from a trained LAM.
struct LabelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "label",
    abstract: "Write predicted actions [E, T] int64 for every transition of a dataset (of the run's frame shape).",
    discussion: """
      --from head: the action head of a run trained with labels (remedies.labelMode head); codes: a VQ run \
      trained with labelMode codes (code i is action i, -1 for codes from 5 on); probe: the MLP action probe \
      `lam probe` saved in the run folder. The default is the head or codes the run trained, else its probe. \
      Prints the accuracy against the dataset's true actions and the ceiling; FILE.json beside --out records it.
      """)

  @Option(name: .customLong("run"), help: "The run folder (from `lam train`).") var runDir: String
  @Option(help: "The dataset folder: the run's own data or any other of the same frame shape.") var data: String
  @Option(help: "The .npy file for the labels [E, T] int64 (action codes 0...4, -1: no label).") var out: String
  @Option(name: .customLong("from"), help: "Where the labels come from: head, codes or probe.")
  var source: Labelling.Source?
  @Flag(help: "Replace output files that exist (only files lam writes here, never an input).")
  var force = false
  @OptionGroup var compute: ComputeThreads

  func run() throws {
    let inputs = TrainingRun.inputs(runDir) + [Files.Input(data, flag: "--data"),
                                               Files.Input(runDir + "/" + Labelling.probeFile, flag: "run file")]
    let recordPath = InferenceRecord.path(for: out)
    guard Files.canonicalPath(recordPath) != Files.canonicalPath(out) else {
      throw ValidationError("--out: expected a .npy path (its record goes to FILE.json), got \(out)")
    }
    try Files.checkOutputFile(out, force: force, inputs: inputs, kind: ".npy", isReplaceable: NPY.hasMagic)
    try Files.checkOutputFile(recordPath, force: force, inputs: inputs, kind: "JSON record",
                              isReplaceable: InferenceRecord.looksLikeRecord)
    BLASThreads.set(compute.threads ?? 1)
    let opened = try RunData.open(runDir, data: data, anyData: true)
    if !opened.isTrainingData {
      print("note: \(data) is not the dataset \(runDir) was trained on; labelling it with the checkpoint of step \(opened.step)")
    }
    let result = try Labelling.label(opened, runDir: runDir, source: source)
    let dataset = opened.dataset
    try NPY.write(result.labels, shape: [dataset.episodes, dataset.steps], to: out)
    let f = { (x: Double) in String(format: "%.3f", x) }
    let share = result.ceiling > 0 ? " (\(f(result.accuracy / result.ceiling)) of the ceiling)" : ""
    print("labelled \(dataset.transitionCount) transitions of \(data) from the \(result.source.rawValue) (\(result.latent) latent): "
          + "accuracy \(f(result.accuracy)), ceiling \(f(result.ceiling))\(share)")
    print("wrote \(out): actions [\(dataset.episodes), \(dataset.steps)]")
    var record = InferenceRecord(format: "lam-labels", run: opened, runDir: runDir, data: data, latent: result.latent,
                                 files: ["labels": out])
    record.source = result.source.rawValue
    record.accuracy = result.accuracy
    record.ceiling = result.ceiling
    try writeRecord(record, to: recordPath)
  }
}

import Core
import Foundation
import LAM
import NN
import Probing
import Training

/// One run of a sweep, from whatever state its folder is in to a probed run folder.
public enum SweepRunner {
  /// What `run` did.
  public enum Outcome: Equatable, Sendable {
    /// probe.json was already there: nothing was done.
    case alreadyFinished
    /// Trained (from scratch or resumed) and probed.
    case finished(resumedAt: Int?)
  }

  /// DIR/runs/<name>: the run folder.
  public static func folder(_ run: SweepPlan.Run, in outDir: String) -> String { outDir + "/runs/" + run.name }
  /// DIR/runs/<name>.log: everything the run's attempts printed.
  public static func logFile(_ run: SweepPlan.Run, in outDir: String) -> String { folder(run, in: outDir) + ".log" }
  /// DIR/runs/<name>.failed: the last failed attempt's error, one line.
  public static func failedFile(_ run: SweepPlan.Run, in outDir: String) -> String { folder(run, in: outDir) + ".failed" }

  /// True when the run folder holds its probe.json.
  public static func isFinished(_ run: SweepPlan.Run, in outDir: String) -> Bool {
    FileManager.default.fileExists(atPath: folder(run, in: outDir) + "/" + ProbeResults.file)
  }

  /// Trains run `index` of the plan with `threads` BLAS threads and probes it with one. A finished run is skipped; a run
  /// folder with a checkpoint is resumed from it; one without is started over. On failure the error is
  /// written to the .failed file and thrown; success removes the .failed file.
  public static func run(_ plan: SweepPlan, index: Int, in outDir: String, threads: Int,
                         log: (String) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> Outcome {
    try Check.that(plan.runs.indices.contains(index), "--index", "a run index in 0...\(plan.runs.count - 1), got \(index)")
    let run = plan.runs[index]
    if isFinished(run, in: outDir) { return .alreadyFinished }
    do {
      let outcome = try trainAndProbe(run, plan: plan, in: outDir, threads: threads, log: log, shouldStop: shouldStop)
      try? FileManager.default.removeItem(atPath: failedFile(run, in: outDir))
      return outcome
    } catch {
      let message = (error as? LamError)?.message ?? String(describing: error)
      try? Files.writeAtomically(Data((message.replacingOccurrences(of: "\n", with: " ") + "\n").utf8),
                                 to: failedFile(run, in: outDir))
      throw error
    }
  }

  private static func trainAndProbe(_ run: SweepPlan.Run, plan: SweepPlan, in outDir: String, threads: Int,
                                    log: (String) -> Void, shouldStop: () -> Bool) throws -> Outcome {
    let fm = FileManager.default
    let runDir = folder(run, in: outDir), dataDir = outDir + "/" + run.data
    let needed = [dataDir] + (run.evalData.map { [outDir + "/" + $0] } ?? [])
    for dataDir in needed where !fm.fileExists(atPath: dataDir + "/dataset.json") {
      throw LamError("\(dataDir): the dataset is missing (generate it first with `lam sweep data \(plan.specFile) --out \(outDir)\(plan.quick ? " --quick" : "")`)")
    }
    let trainer: Trainer
    var resumedAt: Int? = nil
    if fm.fileExists(atPath: runDir + "/" + Checkpoint.modelFile) {
      trainer = try TrainingRun.resume(runDir, dataPath: dataDir) { $0.train.threads = threads }
      resumedAt = trainer.step
      log("resuming \(run.name) from its checkpoint at step \(trainer.step) of \(trainer.config.train.steps)")
    } else {
      if fm.fileExists(atPath: runDir) {
        log("\(runDir): no checkpoint, starting over")
      }
      var config = run.config
      config.train.threads = threads
      trainer = try TrainingRun.start(runDir, config: config, dataPath: dataDir, force: true)
      log("training \(run.name) on \(run.data): \(trainer.trainTransitions.count) training transitions, "
          + "\(config.train.steps) steps of \(config.train.batch), \(threads) thread\(threads == 1 ? "" : "s")")
    }
    BLASThreads.set(threads)
    let summary = try TrainingRun.run(trainer, in: runDir, onEvent: { event in
      var line = "step \(event.step)/\(event.steps) loss \(String(format: "%.4g", event.losses.total))"
      if let val = event.valRecon { line += " val \(String(format: "%.4g", val))" }
      log(line)
    }, shouldStop: shouldStop)
    guard !summary.stoppedEarly else {
      throw LamError("stopped at step \(summary.steps) of \(trainer.config.train.steps) (the next attempt resumes from the checkpoint)")
    }
    log("trained \(summary.steps) steps in \(String(format: "%.1f", summary.seconds)) s: val recon MSE \(String(format: "%.4g", summary.valRecon))")
    let probe = plan.spec.probe
    // The probe is single-threaded (as `lam probe` by default): its numbers then do not depend on --jobs.
    BLASThreads.set(1)
    // A sweep's evaluation data is what its runs are measured on: the results are the run's probe.json.
    let results = try ProbeAnalysis.probeRun(runDir, dataPath: dataDir, evalPath: run.evalData.map { outDir + "/" + $0 },
                                             out: runDir + "/" + ProbeResults.file, quantized: probe.quantized, maxTrain: probe.maxTrain,
                                             settings: Probe.Settings(epochs: probe.epochs))
    let g = { (x: Double?) in x.map { String(format: "%.4g", $0) } ?? "-" }
    log("probed: action MLP \(g(results.action.mlp.testAccuracy)), controllable loss \(g(results.paper.controllableLoss)), "
        + "stochastic loss \(g(results.paper.stochasticLoss)); wrote \(runDir)/\(ProbeResults.file)")
    return .finished(resumedAt: resumedAt)
  }
}

import ArgumentParser
import Core
import Foundation
import GridWorld
import LAM
import NN
import Training

/// `lam train`: learn latent actions from a dataset's unlabeled transitions.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a latent action model (IDM -> bottleneck -> FDM) on a dataset.",
    discussion: """
      The run config is the JSON file given by --config (or the defaults), then the named flags, then \
      every --set PATH=VALUE in order. The resolved config is saved in the run folder and in each checkpoint. \
      Ctrl-C finishes the current step, saves a checkpoint and exits; --resume continues from it. \
      --threads sets train.threads (default: the cores this process may run on, unless \
      the --config file sets train.threads).
      """)

  @Option(help: "The dataset folder (from `lam generate`). With --resume: defaults to the run's dataset.")
  var data: String?

  @Option(help: "A run config JSON file (docs/training.md); defaults apply where it is silent.")
  var config: String?

  @Option(help: "Continue the run in this folder from its last checkpoint (bit-exact).")
  var resume: String?

  @Option(name: .customLong("init"), help: "Start from the weights of this checkpoint file (a warm start; same architecture).")
  var initFrom: String?

  @OptionGroup var output: OutputFolder

  @Option(help: "model.architecture: mlp, conv or unet.") var arch: String?
  @Option(help: "model.bottleneck.kind: continuous, vq, kl, nsvq or fsq.") var bottleneck: String?
  @Option(help: "model.bottleneck.dz: the latent dimension.") var dz: Int?
  @Option(help: "model.bottleneck.codes: the codebook size of vq and nsvq.") var codes: Int?
  @Option(help: "model.bottleneck.beta: the KL weight of kl.") var beta: Float?
  @Option(help: "model.bottleneck.levels: fsq's levels per dimension, e.g. 8,5,5,5 (also sets dz to their count unless --dz is given).")
  var levels: String?
  @Option(help: "train.steps.") var steps: Int?
  @Option(help: "train.batch.") var batch: Int?
  @Option(help: "train.lr.") var lr: Float?
  @Option(help: "train.seed.") var seed: UInt64?
  @OptionGroup var compute: ComputeThreads
  @Option(help: "remedies.augment: none, shift, kappa, shiftIndependent or regionRoll.") var augment: String?
  @Option(help: "remedies.labelFraction: fraction of episodes with action labels.") var labelFraction: Double?
  @Option(help: "remedies.labelMode: head or codes.") var labelMode: String?
  @Option(help: "remedies.cleanFraction: fraction of transitions dropped, largest exogenous change first.")
  var cleanFraction: Double?

  @Option(name: .customLong("set"), help: "Set any config field: --set model.hidden=256 (repeatable).")
  var settings: [String] = []

  func validate() throws {
    if let levels, levels.split(separator: ",", omittingEmptySubsequences: false).contains(where: { Int($0) == nil }) {
      throw ValidationError("--levels \(levels): expected level counts separated by commas, e.g. 8,5,5,5")
    }
    if resume == nil {
      guard data != nil else { throw ValidationError("--data: required (the dataset folder to train on)") }
      _ = try output.required("the run folder to create")
    } else {
      guard output.out == nil && config == nil && initFrom == nil && !output.force else {
        throw ValidationError("--resume continues a run as it was configured: drop --out, --config, --init and --force")
      }
    }
    for setting in settings where setting.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      .first?.isEmpty ?? true || !setting.contains("=") {
      throw ValidationError("--set \(setting): expected PATH=VALUE, e.g. --set train.steps=5000")
    }
  }

  /// Named flags and --set, as dotted config paths and values.
  private var overrides: [(path: String, value: String)] {
    var list: [(String, String?)] = [
      ("model.architecture", arch), ("model.bottleneck.kind", bottleneck), ("model.bottleneck.dz", dz.map(String.init)),
      ("model.bottleneck.codes", codes.map(String.init)), ("model.bottleneck.beta", beta.map { String($0) }),
      ("model.bottleneck.levels", levels.map { "[\($0)]" }),
      ("model.bottleneck.dz", dz == nil ? levels.map { String($0.split(separator: ",").count) } : nil),
      ("train.steps", steps.map(String.init)),
      ("train.batch", batch.map(String.init)), ("train.lr", lr.map { String($0) }), ("train.seed", seed.map(String.init)),
      ("train.threads", compute.threads.map(String.init)), ("remedies.augment", augment),
      ("remedies.labelFraction", labelFraction.map { String($0) }), ("remedies.labelMode", labelMode),
      ("remedies.cleanFraction", cleanFraction.map { String($0) }),
    ]
    for setting in settings {
      let parts = setting.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
      list.append((parts[0], parts[1]))
    }
    return list.compactMap { path, value in value.map { (path, $0) } }
  }

  func run() throws {
    let trainer: Trainer
    let runDir: String
    if let resume {
      runDir = resume
      try Check.that(overrides.allSatisfy { $0.path == "train.steps" }, "--resume",
                     "no config flags other than --steps (the run keeps its saved config)")
      trainer = try TrainingRun.resume(resume, dataPath: data) { config in
        if let steps { config.train.steps = steps }
      }
      print("resuming \(resume) at step \(trainer.step) of \(trainer.config.train.steps)")
    } else {
      runDir = try output.required("the run folder to create")
      var (config, named) = try RunConfig.loadNaming(["model.architecture", "train.threads"], file: self.config,
                                                     overrides: overrides)
      let pick = !named.contains("model.architecture")
      if !named.contains("train.threads") { config.train.threads = min(ComputeThreads.available, Limits.threads.upperBound) }
      let inputs = [(self.config, "--config"), (initFrom, "--init")].compactMap { path, flag in
        path.map { Files.Input($0, flag: flag) }
      }
      trainer = try TrainingRun.start(runDir, config: config, dataPath: data!, initFrom: initFrom, force: output.force,
                                      inputs: inputs, pickArchitecture: pick)
      let m = trainer.config.model, frame = trainer.data.frame
      let picked = pick ? " (picked for \(frame.height)x\(frame.width) frames: conv from \(RunConfig.convFromPixels) px; --arch to choose)" : ""
      print("training \(m.architecture.rawValue) LAM\(picked) (\(m.bottleneck.kind.rawValue) latent, dz \(m.bottleneck.dz)) on \(data!): "
            + "\(trainer.trainTransitions.count) training transitions, \(config.train.steps) steps of \(config.train.batch)"
            + " on \(config.train.threads) thread\(config.train.threads == 1 ? "" : "s")"
            + (named.contains("train.threads") ? "" : " (this machine's cores; --threads to choose)"))
    }
    BLASThreads.set(trainer.config.train.threads)
    StopSignal.install()
    let progress = TrainProgressDisplay()
    let summary = try TrainingRun.run(trainer, in: runDir, onEvent: progress.show, shouldStop: StopSignal.requested)
    progress.finish()
    let val = String(format: "%.3g", summary.valRecon), seconds = String(format: "%.1f", summary.seconds)
    print("\(summary.stoppedEarly ? "stopped" : "finished") at step \(summary.steps) in \(seconds) s: "
          + "val recon MSE \(val), \(Int(summary.samplesPerS)) samples/s; run folder \(runDir)")
  }
}

/// SIGINT/SIGTERM ask the training loop to stop after the current step (and save).
enum StopSignal {
  nonisolated(unsafe) static var flag: sig_atomic_t = 0

  static func install() {
    signal(SIGINT) { _ in StopSignal.flag = 1 }
    signal(SIGTERM) { _ in StopSignal.flag = 1 }
    // A parent may have started us with these signals blocked (the mask is inherited): unblock them.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
  }

  static func requested() -> Bool { flag != 0 }
}

/// A progress bar rewritten in place on a terminal; plain lines when output is not a terminal.
final class TrainProgressDisplay {
  private let terminal = isatty(fileno(stdout)) != 0

  func show(_ event: TrainEvent) {
    let fraction = Double(event.step) / Double(event.steps)
    let eta = fraction > 0 ? event.elapsedSeconds * (1 - fraction) / fraction : 0
    var text = "step \(event.step)/\(event.steps)  loss \(String(format: "%.4g", event.losses.total))"
    if let val = event.valRecon { text += "  val \(String(format: "%.4g", val))" }
    text += "  \(Int(event.samplesPerSecond)) samples/s  ETA \(String(format: "%.0f", eta)) s"
    if terminal {
      let width = 24
      let filled = Int(fraction * Double(width))
      let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      print("\r[\(bar)] \(text)\u{1B}[K", terminator: "")
      fflush(stdout)
    } else {
      print(text)
    }
  }

  func finish() {
    if terminal { print("") }
  }
}

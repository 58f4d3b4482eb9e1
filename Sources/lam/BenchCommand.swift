import ArgumentParser
import Bench
import Core
import Foundation
import GridWorld
import LAM
import NN
import Training

/// `lam bench`: training throughput of the reference workloads (or a real run config) against the sgemm peak.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Time training steps: samples/s, FLOPs per sample, GFLOP/s and the fraction of this machine's sgemm peak.",
    discussion: "Workloads and method: docs/performance.md.")

  @Option(help: "conv, mlp or all.") var workload = "all"
  @Option(help: "Comma-separated thread counts, each 1...256 (default: 1 up to this machine's cores).") var threads: String?
  @Option(help: "Timed seconds per workload and thread count (0.001...86400).") var seconds = 10.0
  @Option(help: "Timed windows (the median, min and max are over these; 1...10000).") var windows = 5
  @Option(help: "Untimed warm-up steps (0...1000000).") var warmup = 20
  @Option(help: "Run exactly this many steps after warm-up and print nothing but the final loss (for allocation counts; 1...100000000).")
  var steps: Int?
  @Option(help: "A dataset folder: time `lam train`'s step on it (with --config).") var data: String?
  @Option(help: "A run config JSON file, used with --data.") var config: String?
  @Flag(help: "Print a per-layer breakdown of one step (mean over at least 20 steps and 1 s).") var profile = false
  @Flag(help: "One JSON object per line per result.") var json = false

  /// The --threads list; by default every count from 1 to the cores this process may run on.
  private var counts: [Int] {
    get throws {
      guard let threads else { return Array(1...min(ComputeThreads.available, Limits.threads.upperBound)) }
      return try threads.split(separator: ",", omittingEmptySubsequences: false).map { s -> Int in
        guard let n = Int(s.trimmingCharacters(in: .whitespaces)), Limits.threads.contains(n) else {
          throw ValidationError("--threads: expected comma-separated counts in 1...256, got '\(threads)'")
        }
        return n
      }
    }
  }

  func validate() throws {
    _ = try counts
    try Limits.check(seconds, "--seconds", Limits.seconds)
    try Limits.check(windows, "--windows", Limits.windows)
    try Limits.check(warmup, "--warmup", Limits.warmup)
    try Limits.check(steps, "--steps", Limits.trainSteps)
  }

  func run() throws {
    let counts = try self.counts
    if !json && steps == nil {
      let set = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" } ?? ""
      print("OpenBLAS kernels: \(BLASCore.name)\(set)")
    }
    if let data {
      try benchRealRun(data: data, counts: counts)
      return
    }
    guard config == nil else { throw LamError("--config needs --data") }
    let workloads: [BenchWorkload]
    if workload == "all" {
      workloads = BenchWorkload.allCases
    } else if let w = BenchWorkload(rawValue: workload) {
      workloads = [w]
    } else {
      throw LamError("--workload: expected conv, mlp or all, got '\(workload)'")
    }
    for w in workloads {
      var results: [BenchResult] = []
      defer { if !json && results.count > 1 { printScaling(results) } }
      for n in counts {
        BLASThreads.set(n)
        if let steps {
          var (session, loss) = warmedUp(w)
          for _ in 0..<steps { loss = session.trainStep() }
          print("\(w.rawValue) threads \(n): loss after \(warmup)+\(steps) steps \(loss)")
          continue
        }
        if profile {
          let session = warmedUp(w).session
          printProfile(title: "\(w.rawValue), \(n) thread(s), batch \(w.batch)") { session.trainStep() }
          continue
        }
        // The peak just before and just after the timing, the higher one counting: the other core may be
        // busy for part of a run, and that must not make the fraction look better than it is. Neither
        // measurement overlaps the model's lifetime, so the sgemm matrices add nothing to the peak memory.
        let before = measureSGEMMPeak()
        let (rates, total, loss) = timeSession(w)
        let peak = max(before, measureSGEMMPeak())
        results.append(report(workload: w.rawValue, threads: n, batch: w.batch, rates: rates, steps: total,
                              flops: trainingFLOPsPerSample(w.model, frame: w.frame), peak: peak, loss: loss))
      }
    }
  }

  /// A fresh session of `workload` after the warm-up steps, and the last warm-up loss.
  private func warmedUp(_ workload: BenchWorkload) -> (session: BenchmarkSession, loss: Float) {
    let session = BenchmarkSession(model: workload.model, frame: workload.frame, batch: workload.batch)
    var loss: Float = 0
    for _ in 0..<warmup { loss = session.trainStep() }
    return (session, loss)
  }

  /// The timed windows of a warmed-up session of `workload`, which is freed on return.
  private func timeSession(_ workload: BenchWorkload) -> (rates: [Double], steps: Int, loss: Float) {
    let (session, loss) = warmedUp(workload)
    let (rates, total) = timeWindows(batch: workload.batch, seconds: seconds, windows: windows) { session.trainStep() }
    return (rates, total, loss)
  }

  private func benchRealRun(data: String, counts: [Int]) throws {
    let run = try RunConfig.load(file: config, overrides: [])
    let dataset = try Dataset.load(from: data)
    let split = try EpisodeSplit.make(episodes: dataset.episodes, valFraction: run.train.valFraction,
                                      labelFraction: run.remedies.labelFraction, seed: run.train.seed)
    var peaks: [Int: Double] = [:]
    for n in counts {
      BLASThreads.set(n)
      let trainer = try Trainer(config: run, data: dataset, split: split)
      var loss: Float = 0
      for _ in 0..<warmup { loss = trainer.trainStep().total }
      if profile {
        printProfile(title: "run, \(n) thread(s), batch \(run.train.batch)") { trainer.trainStep() }
        continue
      }
      let (rates, total) = timeWindows(batch: run.train.batch, seconds: seconds, windows: windows) { trainer.trainStep() }
      if peaks[n] == nil { peaks[n] = measureSGEMMPeak() }
      _ = report(workload: "run", threads: n, batch: run.train.batch, rates: rates, steps: total,
                 flops: trainingFLOPsPerSample(run.model, frame: dataset.frame), peak: peaks[n]!, loss: loss)
      try dataset.frames.checkReads()
    }
  }

  private func report(workload: String, threads: Int, batch: Int, rates: [Double], steps: Int, flops: Int,
                      peak: Double, loss: Float) -> BenchResult {
    let mid = median(rates)
    let gflops = mid * Double(flops) / 1e9
    let result = BenchResult(
      workload: workload, threads: threads, batch: batch, samplesPerS: mid, samplesPerSMin: rates.min()!,
      samplesPerSMax: rates.max()!, windows: rates.count, steps: steps, flopsPerSample: flops, gflops: gflops,
      peakGflops: peak, peakFraction: gflops / peak, warmupLoss: loss)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      print(String(decoding: try! encoder.encode(result), as: UTF8.self))
    } else {
      print(String(format: "%@  threads %d  batch %d: %.0f samples/s (min %.0f, max %.0f; %d windows, %d steps)",
                   workload, threads, batch, mid, rates.min()!, rates.max()!, rates.count, steps))
      print(String(format: "  %.3f MFLOP/sample  %.2f GFLOP/s  sgemm peak %.2f GFLOP/s  %.1f%% of peak  warm-up loss %.7g",
                   Double(flops) / 1e6, gflops, peak, 100 * gflops / peak, Double(loss)))
    }
    return result
  }

  /// How a workload scaled over the thread counts just timed: samples/s, the speed-up over the first count,
  /// the efficiency per thread against perfect scaling from it, and the share of the same-count sgemm peak.
  private func printScaling(_ results: [BenchResult]) {
    let base = results[0]
    print("\(base.workload) scaling on this machine (\(ComputeThreads.available) cores available):")
    print("  threads  samples/s  speed-up  efficiency  of sgemm peak")
    for r in results {
      let speedup = r.samplesPerS / base.samplesPerS
      let efficiency = speedup * Double(base.threads) / Double(r.threads)
      print(String(format: "  %7d  %9.0f  %7.2fx  %9.0f%%  %12.0f%%", r.threads, r.samplesPerS, speedup,
                   100 * efficiency, 100 * r.peakFraction))
    }
  }

  private func printProfile(title: String, step: () -> Void) {
    let profile = StepTimer()
    // At least 20 steps and one second, so that a 0.3 ms step is averaged over thousands.
    let start = DispatchTime.now().uptimeNanoseconds
    while profile.steps < 20 || DispatchTime.now().uptimeNanoseconds - start < 1_000_000_000 {
      StepTimer.$active.withValue(profile) { step() }
      profile.steps += 1
    }
    let total = profile.entries.reduce(0) { $0 + $1.milliseconds }
    let steps = Double(profile.steps)
    print("\(title): \(String(format: "%.3f", total / steps)) ms per step")
    for phase in StepTimer.Phase.allCases {
      let part = profile.entries.filter { $0.phase == phase }
      let sum = part.reduce(0) { $0 + $1.milliseconds }
      print("  " + phase.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0)
            + String(format: "%9.3f ms  %5.1f%%", sum / steps, 100 * sum / total))
      for e in part {
        print("    " + e.name.padding(toLength: 24, withPad: " ", startingAt: 0)
              + String(format: "%9.3f ms  %5.1f%%", e.milliseconds / steps, 100 * e.milliseconds / total))
      }
    }
  }
}

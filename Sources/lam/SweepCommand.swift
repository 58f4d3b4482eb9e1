import ArgumentParser
import Core
import Foundation
import LAM
import Sweeps
import Training

/// `lam sweep`: grids of environments x settings x seeds, run locally or on a cluster, then collected.
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run a grid of conditions x seeds from a sweep spec (locally, on Slurm or with GNU parallel) and collect the results.",
    discussion: "The spec format, the metrics and the output folder are described in docs/sweeps.md.",
    subcommands: [SweepRun.self, SweepOne.self, SweepDataCommand.self, SweepCollect.self, SweepEmitCommand.self, SweepList.self])
}

/// The spec, output folder and size flags every sweep subcommand that runs something shares.
struct SweepTarget: ParsableArguments {
  @Argument(help: "The sweep spec (JSON, docs/sweeps.md).") var spec: String
  @Option(help: "The sweep's output folder.") var out: String
  @Flag(help: "Use the spec's quick sizes (a smoke test of the whole pipeline).") var quick = false

  /// The output folder as an absolute path (child processes and scripts may run elsewhere).
  var outDir: String { URL(fileURLWithPath: out).standardizedFileURL.path }

  func plan() throws -> SweepPlan { try SweepPlan.load(spec, quick: quick, presetFolders: presetFolders()) }
}

/// The number of cores of this machine.
private var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

/// The absolute path of the running `lam` executable.
private var lamPath: String {
  if let path = Bundle.main.executablePath { return URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
  return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}

struct SweepRun: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Generate the datasets, then train and probe every run through a local pool of processes.",
    discussion: "Finished runs are skipped and interrupted runs resume from their checkpoints, so rerunning continues a sweep. --threads: training threads per run, the number of cores / --jobs by default.")

  @OptionGroup var target: SweepTarget
  @Option(help: "Runs at a time (1...256; default: the number of cores, at most the number of runs).") var jobs: Int?
  @OptionGroup var compute: ComputeThreads
  @Flag(help: "Use the folder even if its sweep.json holds another spec or quick setting (rewrites sweep.json; keeps every run).")
  var force = false

  func validate() throws {
    try Limits.check(jobs, "--jobs", Limits.jobs)
  }

  func run() throws {
    let plan = try target.plan()
    let outDir = target.outDir
    try SweepManifest.prepare(outDir, plan: plan, force: force)
    try FolderLock.lock(outDir)
    try SweepData.generate(plan, in: outDir, threads: cores) { print($0) }
    let todo = plan.runs.filter { !SweepRunner.isFinished($0, in: outDir) }
    let skipped = plan.runs.count - todo.count
    print("\(plan.runs.count) runs: \(skipped) already finished, \(todo.count) to run")
    guard !todo.isEmpty else { return }
    let jobs = max(1, min(self.jobs ?? cores, todo.count))
    let threads = compute.threads ?? max(1, cores / jobs)
    print("running \(todo.count) runs, \(jobs) at a time with \(threads) thread\(threads == 1 ? "" : "s") each; logs in \(outDir)/runs/")
    let arguments = { (run: SweepPlan.Run) in
      ["sweep", "one", plan.specFile, "--out", outDir, "--index", String(run.index), "--threads", String(threads)]
        + (plan.quick ? ["--quick"] : [])
    }
    StopSignal.install()
    let status = try SweepPool().run(
      todo.map { SweepPool.Job(index: $0.index, arguments: arguments($0), log: SweepRunner.logFile($0, in: outDir)) },
      executable: lamPath, jobs: jobs, shouldStop: StopSignal.requested
    ) { progress in
      var progress = progress
      progress.total += skipped
      progress.done += skipped
      print(progress.line)
      fflush(stdout)
    }
    let failed = todo.filter { status[$0.index].map { $0 != 0 } ?? true }
    guard failed.isEmpty else {
      print("\(failed.count) run\(failed.count == 1 ? "" : "s") failed or did not run:")
      for run in failed {
        let reason = (try? String(contentsOfFile: SweepRunner.failedFile(run, in: outDir), encoding: .utf8))?
          .trimmingCharacters(in: .whitespacesAndNewlines) ?? "not run"
        print("  \(run.name): \(reason) (log: \(SweepRunner.logFile(run, in: outDir)))")
      }
      throw ExitCode.failure
    }
    print("all \(plan.runs.count) runs finished; next: lam sweep collect \(outDir)")
  }
}

struct SweepOne: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "one",
    abstract: "Train and probe one run of a sweep (what `lam sweep run`, Slurm and parallel call).",
    discussion: "Everything it prints is also appended to DIR/runs/<name>.log; a failure writes DIR/runs/<name>.failed. --threads: 1 by default.")

  @OptionGroup var target: SweepTarget
  @Option(help: "The run's index in the run list (`lam sweep list`).") var index: Int
  @OptionGroup var compute: ComputeThreads

  func run() throws {
    let threads = compute.threads ?? 1
    let plan = try target.plan()
    let outDir = target.outDir
    try SweepManifest.check(outDir, plan: plan)
    guard plan.runs.indices.contains(index) else {
      throw ValidationError("--index: expected a run index in 0...\(plan.runs.count - 1), got \(index)")
    }
    let run = plan.runs[index]
    if SweepRunner.isFinished(run, in: outDir) {
      print("\(run.name): already finished")
      return
    }
    try SweepManifest.prepare(outDir, plan: plan, force: false)
    let fd = open(SweepRunner.logFile(run, in: outDir), O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else { throw LamError("\(SweepRunner.logFile(run, in: outDir)): cannot open the log for appending") }
    let logFile = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    let log = { (line: String) in
      print(line)
      fflush(stdout)
      logFile.write(Data((line + "\n").utf8))
    }
    let stamp = ISO8601DateFormatter().string(from: Date())
    log("=== \(stamp) attempt: \(run.name) (run \(index) of \(plan.runs.count), \(threads) thread\(threads == 1 ? "" : "s"), host \(ProcessInfo.processInfo.hostName))")
    StopSignal.install()
    do {
      let outcome = try SweepRunner.run(plan, index: index, in: outDir, threads: threads, log: log) {
        StopSignal.requested() || SweepPool.parentIsGone
      }
      log(outcome == .alreadyFinished ? "\(run.name): already finished" : "\(run.name): finished")
    } catch {
      log("\(run.name): failed: \((error as? LamError)?.message ?? String(describing: error))")
      throw ExitCode.failure
    }
  }
}

struct SweepDataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Only generate the sweep's datasets (DIR/data/), each once; complete ones are skipped.",
    discussion: "--threads: the number of cores by default; the data does not depend on it.")

  @OptionGroup var target: SweepTarget
  @OptionGroup var compute: ComputeThreads
  @Flag(help: "Use the folder even if its sweep.json holds another spec or quick setting.") var force = false

  func run() throws {
    let plan = try target.plan()
    try SweepManifest.prepare(target.outDir, plan: plan, force: force)
    try FolderLock.lock(target.outDir)
    try SweepData.generate(plan, in: target.outDir, threads: compute.threads ?? cores) { print($0) }
    print("\(plan.datasets.count) dataset\(plan.datasets.count == 1 ? "" : "s") ready in \(target.outDir)/data")
  }
}

struct SweepCollect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "collect",
    abstract: "Gather a sweep folder's runs into results.csv, summary.csv, plots/, summary.md and index.html (partial sweeps too).",
    discussion: "index.html links each run's report page where RUN/report/index.html exists; --reports writes them first.")

  @Argument(help: "The sweep's output folder.") var dir: String
  @Flag(help: "First write each finished run's report into runs/<name>/report (as `lam report --run RUN`; replaces a report lam made).")
  var reports = false

  func run() throws {
    var results = try SweepResults.read(dir)
    let failedReports = !reports ? [] : results.writeReports(in: dir) { outcome in
      print(outcome.error.map { "report of \(outcome.name) failed: \($0)" } ?? "wrote \(outcome.folder)")
    }.filter { $0.error != nil }
    if reports { results = try SweepResults.read(dir) }  // the reports hold the swap accuracy
    let written = try results.write(to: dir)
    let count = { (s: SweepResults.Status) in results.rows.filter { $0.status == s }.count }
    print("\(results.rows.count) runs: \(count(.finished)) finished, \(count(.failed)) failed, \(count(.missing)) missing")
    for row in results.rows where row.status == .failed {
      print("  failed: \(row.name): \(row.error ?? "") (log: \(dir)/runs/\(row.name).log)")
    }
    for f in results.findings {
      let verdict = f.verdict?.rawValue ?? "n/a"
      print("finding: \(f.finding.claim): \(verdict)")
    }
    print("wrote " + written.joined(separator: ", "))
    if !failedReports.isEmpty {
      throw LamError("\(dir): \(failedReports.count) report\(failedReports.count == 1 ? "" : "s") failed (each named above): "
                     + failedReports.map(\.name).joined(separator: ", "))
    }
  }
}

struct SweepEmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "emit",
    abstract: "Write Slurm scripts (--slurm) or a GNU parallel command list (--parallel) that run the sweep.")

  @OptionGroup var target: SweepTarget
  @Flag(help: "Write DIR/slurm/{data.sbatch,runs.sbatch,submit.sh}.") var slurm = false
  @Flag(help: "Write DIR/parallel/commands.txt.") var parallel = false
  @Option(help: "Slurm partition (default: the cluster's).") var partition: String?
  @Option(help: "Slurm account to charge (default: the user's).") var account: String?
  @Option(help: "Slurm quality of service (default: the cluster's).") var qos: String?
  @Option(help: "Slurm time limit per job, HH:MM:SS or D-HH:MM:SS.") var time = "04:00:00"
  @Option(help: "CPUs (training threads) per run (1...256): --cpus-per-task on Slurm.") var cpus = 2
  @Option(name: .customLong("sbatch"), parsing: .unconditionalSingleValue, help: ArgumentHelp("An extra #SBATCH line for both jobs, e.g. --constraint=avx2 (repeatable; a --mem= or --mem-per-cpu= one replaces lam's estimate).", valueName: "option"))
  var sbatch: [String] = []
  @Flag(help: "Use the folder even if its sweep.json holds another spec or quick setting.") var force = false

  func validate() throws {
    guard slurm != parallel else { throw ValidationError("expected exactly one of --slurm and --parallel") }
    try Limits.check(cpus, "--cpus", Limits.threads)
  }

  func run() throws {
    let plan = try target.plan()
    let outDir = target.outDir
    let scripts = slurm
      ? try SweepEmit.slurm(plan, outDir: outDir, lam: lamPath, settings: .init(
          partition: partition, account: account, qos: qos, time: time, cpus: cpus, extra: sbatch))
      : try SweepEmit.parallel(plan, outDir: outDir, lam: lamPath, threads: cpus)
    try SweepManifest.prepare(outDir, plan: plan, force: force)
    let written = try SweepEmit.write(scripts, to: outDir)
    print("wrote \(outDir)/\(SweepManifest.file) and " + written.joined(separator: ", ")
          + " (\(plan.runs.count) runs, \(plan.datasets.count) datasets)")
    if slurm {
      print("submit with: bash \(outDir)/slurm/submit.sh")
    } else {
      print("run with: \(lamPath) sweep data \(plan.specFile) --out \(outDir)\(plan.quick ? " --quick" : "") && "
            + "parallel --jobs \(max(1, cores / cpus)) < \(outDir)/parallel/commands.txt")
    }
    print("then: \(lamPath) sweep collect \(outDir)")
  }
}

struct SweepList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "Print the sweep's run list (index, name, condition, seed, dataset) after validating the spec.")

  @Argument(help: "The sweep spec (JSON, docs/sweeps.md).") var spec: String
  @Flag(help: "Use the spec's quick sizes.") var quick = false
  @Option(help: ArgumentHelp("Only the runs not finished (no probe.json) in this sweep folder.", valueName: "dir"))
  var unfinished: String?
  @Flag(help: "Print only the indices, as one Slurm --array value (0-3,7; an empty line for none).") var array = false

  func run() throws {
    let plan = try SweepPlan.load(spec, quick: quick, presetFolders: presetFolders())
    var runs = plan.runs
    if let unfinished {
      try SweepManifest.check(unfinished, plan: plan)
      runs = runs.filter { !SweepRunner.isFinished($0, in: unfinished) }
    }
    if array {
      print(SweepEmit.arrayRanges(runs.map(\.index)))
      return
    }
    for run in runs {
      print("\(run.index) \(run.name) \(run.condition) \(run.seed) \(run.data)")
    }
  }
}

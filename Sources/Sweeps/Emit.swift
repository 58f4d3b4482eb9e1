import Core
import Foundation
import LAM
import Probing
import Training

/// Scripts that run a sweep elsewhere: a Slurm data job plus job array, or a GNU parallel command list.
public enum SweepEmit {
  /// Slurm job settings.
  public struct Slurm: Sendable {
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// The time limit of each job: HH:MM:SS or D-HH:MM:SS.
    public var time: String
    /// CPUs per job: each run's training threads.
    public var cpus: Int
    /// Extra `#SBATCH` lines, each one sbatch option (`--constraint=avx2`), after lam's own so that they
    /// win; a `--mem=` or `--mem-per-...` one replaces the derived memory.
    public var extra: [String]

    public init(partition: String? = nil, account: String? = nil, qos: String? = nil, time: String = "04:00:00",
                cpus: Int = 2, extra: [String] = []) {
      self.partition = partition
      self.account = account
      self.qos = qos
      self.time = time
      self.cpus = cpus
      self.extra = extra
    }

    /// Throws a one-line error naming the flag of the first bad value.
    public func validate() throws {
      try Check.that(time.range(of: #"^([0-9]+-)?[0-9]{1,3}:[0-5][0-9]:[0-5][0-9]$"#, options: .regularExpression) != nil,
                     "--time", "HH:MM:SS (or D-HH:MM:SS), got '\(time)'")
      try Check.range(cpus, "--cpus", 1...1024)
      for (flag, value) in [("--partition", partition), ("--account", account), ("--qos", qos)] {
        guard let value else { continue }
        try Check.that(value.range(of: #"^[A-Za-z0-9_.,-]+$"#, options: .regularExpression) != nil, flag,
                       "a name of letters, digits, '_', '-', '.' (',' between several), got '\(value)'")
      }
      for line in extra {
        try Check.that(!line.contains(where: \.isNewline), "--sbatch", "one line, got one with a line break")
        try Check.that(line.range(of: #"^--?[A-Za-z]"#, options: .regularExpression) != nil, "--sbatch",
                       "an sbatch option such as --constraint=avx2 (without '#SBATCH'), got '\(line)'")
      }
    }
  }

  /// A file to write: its path under the sweep folder and its text.
  public struct Script: Sendable {
    public var path: String
    public var text: String
  }

  /// `text` quoted for a POSIX shell.
  public static func quote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// The `lam sweep` arguments shared by every script: `SPEC --out DIR [--quick]`, quoted.
  static func common(_ plan: SweepPlan, outDir: String) -> String {
    "\(quote(plan.specFile)) --out \(quote(outDir))\(plan.quick ? " --quick" : "")"
  }

  /// slurm/data.sbatch, slurm/runs.sbatch (array 0...R-1, index i = run i) and slurm/submit.sh, which submits
  /// the data job and, once it has succeeded, the runs not finished yet. `lam` and `outDir` must be absolute.
  public static func slurm(_ plan: SweepPlan, outDir: String, lam: String, settings: Slurm) throws -> [Script] {
    try settings.validate()
    let name = URL(fileURLWithPath: plan.specFile).deletingPathExtension().lastPathComponent
    let slurmDir = outDir + "/slurm"
    let ownMemory = !settings.extra.contains { $0.hasPrefix("--mem=") || $0.hasPrefix("--mem-per-") }
    func header(_ job: String, output: String, memory: Int?, array: String? = nil) throws -> String {
      var lines = ["--job-name=\(job)", "--output=\(slurmDir)/\(output)", "--ntasks=1", "--cpus-per-task=\(settings.cpus)"]
      if ownMemory {
        guard let memory else { throw LamError("\(plan.specFile): the \(job) job's memory is too large to count") }
        lines.append("--mem=\(memory)M")
      }
      lines.append("--time=\(settings.time)")
      for (flag, value) in [("partition", settings.partition), ("account", settings.account), ("qos", settings.qos)] {
        if let value { lines.append("--\(flag)=\(value)") }
      }
      if let array { lines.append("--array=\(array)") }
      return "#!/bin/bash\n" + (lines + settings.extra).map { "#SBATCH \($0)\n" }.joined() + "set -euo pipefail\n"
    }
    let threads = "--threads \"${SLURM_CPUS_PER_TASK:-\(settings.cpus)}\""
    let data = try header("\(name)-data", output: "data-%j.out", memory: SweepJobMemory.data(plan))
      + "exec \(quote(lam)) sweep data \(common(plan, outDir: outDir)) \(threads)\n"
    let runs = try header("\(name)-runs", output: "run-%A_%a.out", memory: SweepJobMemory.runs(plan),
                          array: "0-\(plan.runs.count - 1)")
      + "# Array index i is run i of `lam sweep list`; its log is \(outDir)/runs/<name>.log.\n"
      + "exec \(quote(lam)) sweep one \(common(plan, outDir: outDir)) --index \"$SLURM_ARRAY_TASK_ID\" \(threads)\n"
    let submit = """
      #!/bin/bash
      # Submits the dataset job, then, once it has succeeded, an array of the runs not finished yet: all
      # \(plan.runs.count) at first; run it again after the array has ended to resubmit only what failed or did not run.
      set -euo pipefail
      todo=$(\(quote(lam)) sweep list \(quote(plan.specFile))\(plan.quick ? " --quick" : "") --unfinished \(quote(outDir)) --array)
      if [ -z "$todo" ]; then
        echo "all \(plan.runs.count) runs are finished; next: \(lam) sweep collect \(outDir)"
        exit 0
      fi
      data_job=$(sbatch --parsable \(quote(slurmDir + "/data.sbatch")))
      data_job=${data_job%%;*}
      runs_job=$(sbatch --parsable --dependency=afterok:"$data_job" --array="$todo" \(quote(slurmDir + "/runs.sbatch")))
      runs_job=${runs_job%%;*}
      echo "submitted dataset job $data_job and run array $runs_job (runs $todo of 0-\(plan.runs.count - 1))"
      echo "when they are done: \(lam) sweep collect \(outDir)"

      """
    return [Script(path: "slurm/data.sbatch", text: data), Script(path: "slurm/runs.sbatch", text: runs),
            Script(path: "slurm/submit.sh", text: submit)]
  }

  /// Indices as a Slurm `--array` value: sorted, runs of consecutive ones as ranges ([0, 1, 2, 5, 7, 8] ->
  /// "0-2,5,7-8"); "" for none.
  public static func arrayRanges(_ indices: [Int]) -> String {
    var parts: [String] = []
    var sorted = Array(Set(indices)).sorted()[...]
    while let first = sorted.first {
      var last = first
      sorted.removeFirst()
      while sorted.first == last + 1 { last = sorted.removeFirst() }
      parts.append(first == last ? "\(first)" : "\(first)-\(last)")
    }
    return parts.joined(separator: ",")
  }

  /// parallel/commands.txt: a header comment (the data step and the `parallel` invocation), then one
  /// `lam sweep one` line per run, line i = run i. `lam` and `outDir` must be absolute paths.
  public static func parallel(_ plan: SweepPlan, outDir: String, lam: String, threads: Int) throws -> [Script] {
    try Check.range(threads, "--cpus", 1...1024)
    let commands = outDir + "/parallel/commands.txt"
    var text = "# \(plan.runs.count) runs of \(plan.specFile) into \(outDir); line i is run i of `lam sweep list`.\n"
    text += "# First generate the datasets:\n#   \(quote(lam)) sweep data \(common(plan, outDir: outDir))\n"
    text += "# Then run every line (each run uses \(threads) thread\(threads == 1 ? "" : "s"); pick --jobs = cores / \(threads)):\n"
    text += "#   parallel --jobs \(threads == 1 ? "$(nproc)" : "$(( $(nproc) / \(threads) ))") --joblog \(quote(outDir + "/parallel/joblog.txt")) < \(quote(commands))\n"
    text += "# Then: \(quote(lam)) sweep collect \(quote(outDir))\n"
    for run in plan.runs {
      text += "\(quote(lam)) sweep one \(common(plan, outDir: outDir)) --index \(run.index) --threads \(threads)\n"
    }
    return [Script(path: "parallel/commands.txt", text: text)]
  }

  /// Writes the scripts under `outDir` (shell scripts executable); returns their paths.
  public static func write(_ scripts: [Script], to outDir: String) throws -> [String] {
    try scripts.map { script in
      let path = outDir + "/" + script.path
      let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
      do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
        throw LamError("\(folder): cannot create the folder")
      }
      try Files.writeAtomically(Data(script.text.utf8), to: path)
      if script.path.hasSuffix(".sh") { chmod(path, 0o755) }
      return path
    }
  }
}

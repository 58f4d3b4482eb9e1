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
    /// HH:MM:SS per job.
    public var time: String
    public var cpus: Int

    public init(partition: String? = nil, time: String = "04:00:00", cpus: Int = 2) {
      self.partition = partition
      self.time = time
      self.cpus = cpus
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

  /// slurm/data.sbatch, slurm/runs.sbatch (array 0...R-1, index i = run i) and slurm/submit.sh.
  /// `lam` and `outDir` must be absolute paths.
  public static func slurm(_ plan: SweepPlan, outDir: String, lam: String, settings: Slurm) throws -> [Script] {
    try Check.that(settings.time.range(of: #"^([0-9]+-)?[0-9]{1,3}:[0-5][0-9]:[0-5][0-9]$"#, options: .regularExpression) != nil,
                   "--time", "HH:MM:SS (or D-HH:MM:SS), got '\(settings.time)'")
    try Check.range(settings.cpus, "--cpus", 1...1024)
    let name = URL(fileURLWithPath: plan.specFile).deletingPathExtension().lastPathComponent
    let slurmDir = outDir + "/slurm"
    func header(_ job: String, output: String) -> String {
      var text = "#!/bin/bash\n#SBATCH --job-name=\(job)\n#SBATCH --output=\(slurmDir)/\(output)\n"
      text += "#SBATCH --cpus-per-task=\(settings.cpus)\n#SBATCH --time=\(settings.time)\n#SBATCH --ntasks=1\n"
      if let partition = settings.partition { text += "#SBATCH --partition=\(partition)\n" }
      return text + "set -euo pipefail\n"
    }
    let lastIndex = plan.runs.count - 1
    let data = header("\(name)-data", output: "data-%j.out")
      + "exec \(quote(lam)) sweep data \(common(plan, outDir: outDir)) --threads \"${SLURM_CPUS_PER_TASK:-\(settings.cpus)}\"\n"
    let runs = header("\(name)-runs", output: "run-%A_%a.out").replacingOccurrences(
      of: "#SBATCH --ntasks=1\n", with: "#SBATCH --ntasks=1\n#SBATCH --array=0-\(lastIndex)\n")
      + "# Array index i is run i of `lam sweep list`; its log is \(outDir)/runs/<name>.log.\n"
      + "exec \(quote(lam)) sweep one \(common(plan, outDir: outDir)) --index \"$SLURM_ARRAY_TASK_ID\" "
      + "--threads \"${SLURM_CPUS_PER_TASK:-\(settings.cpus)}\"\n"
    let submit = """
      #!/bin/bash
      # Submits the dataset job, then the array of \(plan.runs.count) runs once it has succeeded.
      set -euo pipefail
      data_job=$(sbatch --parsable \(quote(slurmDir + "/data.sbatch")))
      data_job=${data_job%%;*}
      runs_job=$(sbatch --parsable --dependency=afterok:"$data_job" \(quote(slurmDir + "/runs.sbatch")))
      runs_job=${runs_job%%;*}
      echo "submitted dataset job $data_job and run array $runs_job (\(plan.runs.count) runs)"
      echo "when they are done: \(lam) sweep collect \(outDir)"

      """
    return [Script(path: "slurm/data.sbatch", text: data), Script(path: "slurm/runs.sbatch", text: runs),
            Script(path: "slurm/submit.sh", text: submit)]
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

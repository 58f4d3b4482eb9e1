import Core
import Foundation
import GridWorld
import LAM
import Sweeps
import Testing
import TestSupport

/// The package's environments/ folder (the presets).
private let presetFolder = [URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("environments").path]

/// A plan of 2 conditions x 3 seeds on 40 episodes of 8 steps of the 4x4 grid (1x4x4 frames), batch 32.
private func makePlan(episodes: Int = 40, steps: Int = 8) throws -> SweepPlan {
  let spec: [String: Any] = [
    "description": "emit test",
    "base": ["model": ["bottleneck": ["kind": "vq", "codes": 5]], "train": ["steps": 30, "batch": 32]],
    "data": ["episodes": episodes, "steps": steps],
    "conditions": [["name": "low", "env": "paper-4x4-noise-low"], ["name": "high", "env": "paper-4x4-noise-high"]],
    "seeds": [0, 1, 2],
    "metrics": ["controllable_loss"],
  ]
  let path = makeTemporaryFolder() + "/grid.json"
  try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: path))
  return try SweepPlan.load(path, quick: false, presetFolders: presetFolder)
}

/// The texts of data.sbatch, runs.sbatch and submit.sh for `settings`.
private func emit(_ settings: SweepEmit.Slurm, plan: SweepPlan? = nil) throws -> (data: String, runs: String, submit: String) {
  let scripts = try SweepEmit.slurm(plan ?? makePlan(), outDir: "/scratch/grid", lam: "/opt/lam", settings: settings)
  #expect(scripts.map(\.path) == ["slurm/data.sbatch", "slurm/runs.sbatch", "slurm/submit.sh"])
  return (scripts[0].text, scripts[1].text, scripts[2].text)
}

/// The `#SBATCH` options of a job script, in order.
private func options(_ script: String) -> [String] {
  script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst(8)) }
}

@Test("every emit setting lands as its #SBATCH line in both jobs, the extra lines last, the array only in the runs job")
func slurmSettingsBecomeSbatchLines() throws {
  let plan = try makePlan()
  let (data, runs, _) = try emit(.init(partition: "cpu,long", account: "lab-1", qos: "high", time: "1-02:00:00", cpus: 3,
                                       extra: ["--constraint=avx2", "--mail-type=END"]), plan: plan)
  let memory = try #require(SweepJobMemory.runs(plan))
  #expect(options(runs) == [
    "--job-name=grid-runs", "--output=/scratch/grid/slurm/run-%A_%a.out", "--ntasks=1", "--cpus-per-task=3",
    "--mem=\(memory)M", "--time=1-02:00:00", "--partition=cpu,long", "--account=lab-1", "--qos=high", "--array=0-5",
    "--constraint=avx2", "--mail-type=END",
  ])
  #expect(runs.hasSuffix("exec '/opt/lam' sweep one '\(plan.specFile)' --out '/scratch/grid' --index \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-3}\"\n"))
  let dataOptions = options(data)
  #expect(dataOptions.first == "--job-name=grid-data" && dataOptions[1] == "--output=/scratch/grid/slurm/data-%j.out")
  #expect(!dataOptions.contains { $0.hasPrefix("--array") })
  #expect(dataOptions.suffix(6) == ["--time=1-02:00:00", "--partition=cpu,long", "--account=lab-1", "--qos=high",
                                    "--constraint=avx2", "--mail-type=END"])
  // Without the optional settings there are no lines for them.
  let plain = options(try emit(.init()).runs)
  #expect(!plain.contains { $0.hasPrefix("--partition") || $0.hasPrefix("--account") || $0.hasPrefix("--qos") })
  #expect(plain.contains("--cpus-per-task=2") && plain.contains("--time=04:00:00"))
}

@Test("frames too large to be read whole stay on disk: a run counts its records twice, the data job one piece of frames")
func slurmMemoryLeavesLargeFramesOnDisk() throws {
  // 100000 episodes x 200 frames of 1x4x4: 320 MB of frames, over FrameStore.inMemoryBytes (64 MiB).
  let plan = try makePlan(episodes: 100_000, steps: 199)
  let records = try #require(Dataset.arrayBytes(Dataset.recordArrayNames, episodes: 100_000, steps: 199, frameShape: [1, 4, 4],
                                                distractors: 0))
  let frames = 100_000 * 200 * 16
  #expect(try #require(Dataset.arrayBytes(["frames"], episodes: 100_000, steps: 199, frameShape: [1, 4, 4], distractors: 0)) == frames)
  let model = try #require(plan.runs[0].config.model.estimatedBytes(frame: FrameShape(channels: 1, height: 4, width: 4),
                                                                     batch: 32, training: true))
  #expect(SweepJobMemory.runBytes(plan.runs[0], in: plan) == 2 * records + model)
  let piece = Dataset.framePieceBytes + frames / 100_000
  #expect(SweepJobMemory.data(plan) == SweepJobMemory.megabytes(2 * (records + piece)))
}

@Test("the memory line is the largest run's datasets read twice plus the model in training, times 1.5, plus 512 MiB")
func slurmMemoryFollowsTheEstimate() throws {
  let plan = try makePlan()
  // 40 episodes x 8 steps of 1x4x4 frames: frames 40*9*16 = 5760 bytes, plus the records; the mlp model with
  // batch 32 is about 1 MB. Both are small next to the 512 MiB for the process.
  let arrays = try #require(Dataset.arrayBytes(episodes: 40, steps: 8, frameShape: [1, 4, 4], distractors: 0))
  let model = try #require(plan.runs[0].config.model.estimatedBytes(frame: FrameShape(channels: 1, height: 4, width: 4),
                                                                     batch: 32, training: true))
  let bytes = 2 * arrays + model
  #expect(SweepJobMemory.runBytes(plan.runs[0], in: plan) == bytes)
  let mib = 1 << 20
  #expect(SweepJobMemory.megabytes(bytes) == (bytes + bytes / 2 + 512 * mib + mib - 1) / mib)
  #expect(SweepJobMemory.runs(plan) == 514)
  #expect(SweepJobMemory.data(plan) == 513)
  #expect(SweepJobMemory.megabytes(0) == 512 && SweepJobMemory.megabytes(2 * mib) == 515)
  #expect(SweepJobMemory.megabytes(nil) == nil)
  let (data, runs, _) = try emit(.init(), plan: plan)
  #expect(options(runs).contains("--mem=514M") && options(data).contains("--mem=513M"))
  // A --mem line of the user's replaces the estimate (Slurm refuses --mem with --mem-per-cpu).
  let own = try emit(.init(extra: ["--mem-per-cpu=2G"]))
  #expect(!options(own.runs).contains { $0.hasPrefix("--mem=") } && options(own.runs).last == "--mem-per-cpu=2G")
  #expect(options(try emit(.init(extra: ["--mem-bind=local"]), plan: plan).runs).contains("--mem=514M"))
}

@Test("bad Slurm settings are one-line errors naming the flag")
func slurmSettingsAreValidated() throws {
  let cases: [(SweepEmit.Slurm, String)] = [
    (.init(time: "2:00"), "--time: expected HH:MM:SS (or D-HH:MM:SS), got '2:00'"),
    (.init(time: "01:60:00"), "--time: expected HH:MM:SS"),
    (.init(cpus: 0), "--cpus: expected a value in 1...1024, got 0"),
    (.init(partition: "cpu long"), "--partition: expected a name of letters, digits"),
    (.init(account: "lab;rm"), "--account: expected a name"),
    (.init(qos: ""), "--qos: expected a name"),
    (.init(extra: ["--constraint=avx2\n#SBATCH --exclusive"]), "--sbatch: expected one line, got one with a line break"),
    (.init(extra: ["#SBATCH --exclusive"]), "--sbatch: expected an sbatch option such as --constraint=avx2 (without '#SBATCH'), got '#SBATCH --exclusive'"),
    (.init(extra: ["exclusive"]), "--sbatch: expected an sbatch option"),
  ]
  for (settings, message) in cases {
    do {
      _ = try emit(settings)
      Issue.record("accepted: \(message)")
    } catch let error as LamError {
      #expect(error.message.hasPrefix(message), "\(error.message)")
      #expect(!error.message.contains("\n"))
    }
  }
}

@Test("submit.sh submits only the unfinished runs as the array, after the data job has succeeded, and nothing when all are done")
func slurmSubmitResubmitsOnlyUnfinishedRuns() throws {
  let plan = try makePlan()
  let submit = try emit(.init(), plan: plan).submit
  let spec = plan.specFile
  #expect(submit.contains("todo=$('/opt/lam' sweep list '\(spec)' --unfinished '/scratch/grid' --array)\n"))
  #expect(submit.contains("if [ -z \"$todo\" ]; then\n  echo \"all 6 runs are finished; next: /opt/lam sweep collect /scratch/grid\"\n  exit 0\n"))
  #expect(submit.contains("sbatch --parsable --dependency=afterok:\"$data_job\" --array=\"$todo\" '/scratch/grid/slurm/runs.sbatch'"))
}

@Test("array indices become Slurm ranges")
func arrayRangesJoinConsecutiveIndices() {
  #expect(SweepEmit.arrayRanges([]) == "")
  #expect(SweepEmit.arrayRanges([4]) == "4")
  #expect(SweepEmit.arrayRanges([8, 0, 1, 2, 5, 7, 2]) == "0-2,5,7-8")
}

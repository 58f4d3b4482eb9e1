import Foundation
import Testing
import TestSupport

/// A tiny sweep spec in a new folder: 2 conditions x 2 seeds, quick sizes 40 x 8, 30 train steps.
/// `extra` conditions and `metrics` are appended.
private func tinySpec(extra: [[String: Any]] = [], metrics: [String] = []) throws -> (folder: String, spec: String) {
  let folder = makeTemporaryFolder()
  let spec: [String: Any] = [
    "description": "a tiny sweep",
    "base": ["model": ["hidden": 32, "bottleneck": ["kind": "vq", "codes": 5]], "train": ["batch": 16]],
    "data": ["episodes": 400, "steps": 199],
    "quick": ["episodes": 40, "steps": 8, "trainSteps": 30],
    "conditions": [
      ["name": "low", "env": "paper-4x4-noise-low"],
      ["name": "shifted", "env": "paper-4x4-noise-low", "set": ["remedies.augment": "shift"]],
    ] + extra,
    "seeds": [0, 1],
    "probe": ["epochs": 2],
    "metrics": ["controllable_loss", "action_probe", "val_recon"] + metrics,
  ]
  try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: folder + "/spec.json"))
  return (folder, folder + "/spec.json")
}

private func modified(_ path: String) throws -> Date {
  try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
}

private let names = ["low-seed0", "low-seed1", "shifted-seed0", "shifted-seed1"]

@Test func sweepRunFinishesEveryRunThenSkipsThemAndRedoesOnlyAnUnfinishedOne() throws {
  let (folder, spec) = try tinySpec()
  let first = try runLam(["sweep", "run", spec, "--out", "out", "--quick", "--jobs", "2"], currentDirectory: folder)
  #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
  #expect(first.stdout.contains("4 runs: 0 already finished, 4 to run"))
  #expect(first.stdout.contains("runs: 4/4 done, 0 running, 0 failed"))
  let out = folder + "/out"
  #expect(FileManager.default.fileExists(atPath: out + "/data/paper-4x4-noise-low-40x8/dataset.json"))
  let probes = names.map { out + "/runs/\($0)/probe.json" }
  let before = try probes.map(modified)
  let contents = try probes.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

  let again = try runLam(["sweep", "run", spec, "--out", "out", "--quick"], currentDirectory: folder)
  #expect(again.status == 0, "\(again.stderr)")
  #expect(again.stdout.contains("data/paper-4x4-noise-low-40x8: complete, skipped"))
  #expect(again.stdout.contains("4 runs: 4 already finished, 0 to run"))
  #expect(try probes.map(modified) == before)

  // An interrupted run: no probe.json and a failure marker. Only it is redone, and it is identical.
  try FileManager.default.removeItem(atPath: probes[2])
  try Data("killed\n".utf8).write(to: URL(fileURLWithPath: out + "/runs/shifted-seed0.failed"))
  let redo = try runLam(["sweep", "run", spec, "--out", "out", "--quick"], currentDirectory: folder)
  #expect(redo.status == 0, "\(redo.stderr)")
  #expect(redo.stdout.contains("4 runs: 3 already finished, 1 to run"))
  #expect(try [0, 1, 3].map { try modified(probes[$0]) } == [0, 1, 3].map { before[$0] })
  #expect(try Data(contentsOf: URL(fileURLWithPath: probes[2])) == contents[2])
  #expect(!FileManager.default.fileExists(atPath: out + "/runs/shifted-seed0.failed"))
  let log = try String(contentsOfFile: out + "/runs/shifted-seed0.log", encoding: .utf8)
  #expect(log.components(separatedBy: "attempt: shifted-seed0").count == 3)  // two attempts
  #expect(log.contains("resuming shifted-seed0 from its checkpoint at step 30 of 30"))

  // A run folder without a checkpoint is started over.
  for file in ["probe.json", "checkpoint.safetensors", "training-state.safetensors"] {
    try FileManager.default.removeItem(atPath: out + "/runs/shifted-seed1/" + file)
  }
  let restart = try runLam(["sweep", "run", spec, "--out", "out", "--quick", "--threads", "1"], currentDirectory: folder)
  #expect(restart.status == 0, "\(restart.stderr)")
  #expect(try String(contentsOfFile: out + "/runs/shifted-seed1.log", encoding: .utf8).contains("no checkpoint, starting over"))
  #expect(try Data(contentsOf: URL(fileURLWithPath: probes[3])) == contents[3])

  let collect = try runLam(["sweep", "collect", "out"], currentDirectory: folder)
  #expect(collect.status == 0, "\(collect.stderr)")
  #expect(collect.stdout.contains("4 runs: 4 finished, 0 failed, 0 missing"))
  // The folder belongs to the quick sweep: the full-size one is refused, in one line.
  let full = try runLam(["sweep", "run", spec, "--out", "out"], currentDirectory: folder)
  #expect(full.status != 0)
  #expect(full.stderr.contains("out/sweep.json: this folder holds the same spec with quick true; use another --out, or --force"))
  #expect(full.stderr.split(separator: "\n").count == 1)

  let results = try String(contentsOfFile: out + "/results.csv", encoding: .utf8).split(separator: "\n")
  #expect(results.count == 5 && results[1].hasPrefix("low-seed0,low,paper-4x4-noise-low,0,finished,"))
  #expect(!results[1].contains(",,"))  // every metric present
}

@Test func sweepRunReportsAFailedRunAndFinishesTheOthers() throws {
  // Eight stride-2 convolutions cannot fit the 4x4 grid's frames: only the trainer, which sees the frame, says so.
  let bad: [String: Any] = ["name": "deep", "env": "paper-4x4-noise-low",
                            "set": ["model.architecture": "conv", "model.channels": [4, 4, 4, 4, 4, 4, 4, 4]]]
  let (folder, spec) = try tinySpec(extra: [bad])
  let result = try runLam(["sweep", "run", spec, "--out", "out", "--quick", "--jobs", "2"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stdout.contains("runs: 4/6 done, 0 running, 2 failed"))
  #expect(result.stdout.contains("deep-seed0: ") && result.stdout.contains("model.channels"))
  #expect(result.stdout.contains("(log: \(folder)/out/runs/deep-seed1.log)") || result.stdout.contains("out/runs/deep-seed1.log"))
  let out = folder + "/out/runs/"
  for name in names { #expect(FileManager.default.fileExists(atPath: out + name + "/probe.json")) }
  let failed = try String(contentsOfFile: out + "deep-seed0.failed", encoding: .utf8)
  #expect(failed.contains("model.channels") && failed.split(separator: "\n").count == 1)
  #expect(try String(contentsOfFile: out + "deep-seed0.log", encoding: .utf8).contains("deep-seed0: failed: "))
  let collect = try runLam(["sweep", "collect", "out"], currentDirectory: folder)
  #expect(collect.status == 0)
  #expect(collect.stdout.contains("6 runs: 4 finished, 2 failed, 0 missing"))
}

@Test func sweepEmitWritesSlurmAndParallelScriptsWhoseIndexIsTheRunIndex() throws {
  let (folder, spec) = try tinySpec()
  let list = try runLam(["sweep", "list", spec, "--quick"], currentDirectory: folder)
  #expect(list.stdout.split(separator: "\n").map { $0.split(separator: " ")[1] } == names.map { Substring($0) })

  let bad = try runLam(["sweep", "emit", spec, "--out", "out", "--slurm", "--quick", "--sbatch", "--a=1\n#SBATCH --b=2"],
                       currentDirectory: folder)
  #expect(bad.status != 0 && bad.stderr == "Error: --sbatch: expected one line, got one with a line break\n")
  #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
  let slurm = try runLam(["sweep", "emit", spec, "--out", "out", "--slurm", "--quick", "--partition", "cpu", "--time", "01:00:00",
                          "--sbatch", "--constraint=avx2"], currentDirectory: folder)
  #expect(slurm.status == 0, "\(slurm.stderr)")
  #expect(slurm.stdout.contains("submit with: bash \(folder)/out/slurm/submit.sh"))
  for script in ["data.sbatch", "runs.sbatch", "submit.sh"] {
    let path = folder + "/out/slurm/" + script
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-n", path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "bash -n \(script)")
  }
  let runs = try String(contentsOfFile: folder + "/out/slurm/runs.sbatch", encoding: .utf8)
  #expect(runs.contains("#SBATCH --array=0-3\n") && runs.contains("#SBATCH --partition=cpu\n"))
  #expect(runs.contains("#SBATCH --array=0-3\n#SBATCH --constraint=avx2\nset -euo pipefail\n"))
  #expect(runs.contains("--index \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-2}\""))
  let submit = try String(contentsOfFile: folder + "/out/slurm/submit.sh", encoding: .utf8)
  #expect(submit.contains("--dependency=afterok:\"$data_job\""))

  let parallel = try runLam(["sweep", "emit", spec, "--out", "out", "--parallel", "--quick", "--cpus", "1"], currentDirectory: folder)
  #expect(parallel.status == 0, "\(parallel.stderr)")
  let lines = try String(contentsOfFile: folder + "/out/parallel/commands.txt", encoding: .utf8).split(separator: "\n")
  let commands = lines.filter { !$0.hasPrefix("#") }
  #expect(commands.count == 4)
  for (i, command) in commands.enumerated() { #expect(command.hasSuffix("--quick --index \(i) --threads 1")) }

  // Generate the data and run index 1 exactly as the parallel line says: it is run 1 of the list.
  #expect(try runLam(["sweep", "data", spec, "--out", "out", "--quick"], currentDirectory: folder).status == 0)
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/bash")
  process.arguments = ["-c", String(commands[1])]
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  #expect(process.terminationStatus == 0)
  let done = try FileManager.default.contentsOfDirectory(atPath: folder + "/out/runs").filter { !$0.hasSuffix(".log") }
  #expect(done == ["low-seed1"])
  let again = try runLam(["sweep", "one", spec, "--out", "out", "--quick", "--index", "1"], currentDirectory: folder)
  #expect(again.stdout == "low-seed1: already finished\n")
  // What submit.sh submits: the runs not finished yet, as one --array value.
  let todo = try runLam(["sweep", "list", spec, "--quick", "--unfinished", "out", "--array"], currentDirectory: folder)
  #expect(todo.stdout == "0,2-3\n")
  let unfinished = try runLam(["sweep", "list", spec, "--quick", "--unfinished", "out"], currentDirectory: folder)
  #expect(unfinished.stdout.split(separator: "\n").map { $0.split(separator: " ")[0] } == ["0", "2", "3"])
}

@Test func sweepOneRefusesToRunWithoutItsDataset() throws {
  let (folder, spec) = try tinySpec()
  let result = try runLam(["sweep", "one", spec, "--out", "out", "--quick", "--index", "0"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stdout.contains("the dataset is missing (generate it first with `lam sweep data"))
  #expect(FileManager.default.fileExists(atPath: folder + "/out/runs/low-seed0.failed"))
}

@Test func aSecondSweepRunOnTheSameFolderIsRefusedNamingTheFirst() throws {
  // A long sweep (10^6 steps a run) that the test stops: the first holds the sweep folder's lock.
  let (folder, spec) = try tinySpec()
  var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: spec))) as! [String: Any]
  object["quick"] = ["episodes": 40, "steps": 8, "trainSteps": 1_000_000]
  try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: spec))
  let first = try startLamHoldingLock(["sweep", "run", spec, "--out", "out", "--quick", "--jobs", "1"], in: folder, locked: "out")
  let second = try runLam(["sweep", "run", spec, "--out", "out", "--quick"], currentDirectory: folder)
  #expect(second.status != 0)
  #expect(second.stderr.contains("out: another lam process (pid \(first.processIdentifier)) is writing this folder"), "\(second.stderr)")
  first.interrupt()  // its runs save a checkpoint and stop; the sweep exits listing them as not finished
  first.waitUntilExit()
  // The first's files are whole: the sweep collects, and its lock is free again.
  let collect = try runLam(["sweep", "collect", "out"], currentDirectory: folder)
  #expect(collect.status == 0, "\(collect.stderr)")
  let fd = open(folder + "/out/.lam-lock", O_RDWR)
  defer { close(fd) }
  #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
}

@Test("sweep collect writes index.html with its tables and charts; --reports writes each run's report and links it relatively")
func sweepCollectWritesAPageThatLinksRunReports() throws {
  let (folder, spec) = try tinySpec(metrics: ["swap_accuracy"])
  #expect(try runLam(["sweep", "run", spec, "--out", "out", "--quick", "--jobs", "2"], currentDirectory: folder).status == 0)
  let plain = try runLam(["sweep", "collect", "out"], currentDirectory: folder)
  #expect(plain.status == 0, "\(plain.stderr)")
  var html = try String(contentsOfFile: folder + "/out/index.html", encoding: .utf8)
  // Three metrics with values, three embedded charts (the swap accuracy needs the reports); no report yet, so no link.
  #expect(embeddedImages(in: html).count == 3 && embeddedImages(in: html).allSatisfy(isPNG))
  #expect(html.contains("<h1>Sweep results</h1>") && html.contains("<p>a tiny sweep</p>"))
  #expect(html.contains("<tr><td>low</td><td>paper-4x4-noise-low</td><td>2</td>"))
  #expect(html.contains("<tr><td>low-seed0</td><td>low</td><td>0</td><td>finished</td><td>no report</td></tr>"))
  #expect(references(in: html).isEmpty)

  let collect = try runLam(["sweep", "collect", "out", "--reports"], currentDirectory: folder)
  #expect(collect.status == 0, "\(collect.stderr)")
  for name in names {
    #expect(collect.stdout.contains("wrote out/runs/\(name)/report\n"))
    #expect(FileManager.default.fileExists(atPath: folder + "/out/runs/\(name)/report/index.html"))
  }
  // The reports just written give every run its swap accuracy, a fraction.
  let rows = try String(contentsOfFile: folder + "/out/results.csv", encoding: .utf8).split(separator: "\n").map {
    $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
  }
  let column = try #require(rows[0].firstIndex(of: "swap_accuracy"))
  #expect(rows.count == 5 && rows.dropFirst().allSatisfy { Double($0[column]).map { (0...1).contains($0) } ?? false })
  // --reports again replaces the reports lam made.
  let again = try runLam(["sweep", "collect", "out", "--reports"], currentDirectory: folder)
  #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
  // Moved elsewhere, the sweep's links still resolve: they are relative.
  try FileManager.default.moveItem(atPath: folder + "/out", toPath: folder + "/moved")
  html = try String(contentsOfFile: folder + "/moved/index.html", encoding: .utf8)
  let links = references(in: html)
  #expect(links == names.map { "runs/\($0)/report/index.html" })
  for link in links { #expect(FileManager.default.fileExists(atPath: folder + "/moved/" + link), "\(link)") }

  // A report that cannot be written is named, the others are written, and the command fails.
  try FileManager.default.moveItem(atPath: folder + "/moved", toPath: folder + "/out")
  try FileManager.default.removeItem(atPath: folder + "/out/runs/low-seed1/report")
  try FileManager.default.createDirectory(atPath: folder + "/out/runs/low-seed1/report/mine", withIntermediateDirectories: true)
  let blocked = try runLam(["sweep", "collect", "out", "--reports"], currentDirectory: folder)
  #expect(blocked.status != 0)
  #expect(blocked.stdout.contains("report of low-seed1 failed: out/runs/low-seed1/report: --force replaces only folders lam made"))
  #expect(blocked.stdout.contains("wrote out/runs/shifted-seed1/report\n"))
  #expect(blocked.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") } == ["Error: out: 1 report failed (each named above): low-seed1"])
  html = try String(contentsOfFile: folder + "/out/index.html", encoding: .utf8)
  #expect(html.contains("<td>low-seed1</td><td>low</td><td>1</td><td>finished</td><td>no report</td>"))
}

import Foundation
import Testing
import TestSupport

/// A folder with a small dataset `ds` and a run `run` trained on it.
private func folderWithRun(name: String = #function) throws -> String {
  try folderWithDataset(episodes: 8, steps: 4, train: ["--steps", "20", "--batch", "8"], name: name)
}

// docs/reliability.md, command by command: `--force` replaces only what lam made and never an input, file
// outputs never overwrite an input, one writer per run folder, leftovers of killed processes are cleaned,
// numeric flags have one bound everywhere, and progress reaches a pipe as it happens.

/// Every file under `folder` with its bytes (but lock files, which name whoever took the lock last).
private func snapshot(_ folder: String) throws -> [String: Data] {
  var files: [String: Data] = [:]
  let enumerator = FileManager.default.enumerator(atPath: folder)
  while let path = enumerator?.nextObject() as? String {
    if path.hasSuffix(".lam-lock") { continue }
    var isFolder: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder)
    if !isFolder.boolValue { files[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path)) }
  }
  return files
}

/// Runs `arguments` in `folder` and expects a one-line error containing `message` with every file unchanged.
private func expectRefusal(_ arguments: [String], in folder: String, _ message: String,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
  let before = try snapshot(folder)
  let result = try runLam(arguments, currentDirectory: folder)
  #expect(result.status != 0, sourceLocation: sourceLocation)
  // The argument parser adds usage and help lines under a flag's error.
  let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.hasPrefix("Help") && !$0.contains("--help") }
  #expect(lines.count == 1 && result.stderr.contains(message), "\(result.stderr)", sourceLocation: sourceLocation)
  #expect(try snapshot(folder) == before, "files changed", sourceLocation: sourceLocation)
}

@Test func trainForceNeverDeletesItsDatasetOrItsParent() throws {
  let folder = try folderWithRun()
  try expectRefusal(["train", "--data", "ds", "--out", "ds", "--force"], in: folder, "ds: the output is the input --data ds")
  try expectRefusal(["train", "--data", "./ds", "--out", ".", "--force"], in: folder, ".: the output contains the input --data ./ds")
  try expectRefusal(["train", "--data", "ds", "--out", "ds/run", "--force"], in: folder, "ds/run: the output lies inside the input --data ds")
  try expectRefusal(["train", "--data", "ds", "--config", "run/config.json", "--out", "run", "--force"], in: folder,
                    "run: the output contains the input --config run/config.json")
  try expectRefusal(["train", "--data", "ds", "--init", "run/checkpoint.safetensors", "--out", "run", "--force"], in: folder,
                    "run: the output contains the input --init run/checkpoint.safetensors")
}

@Test func forceRefusesAFolderLamDidNotMake() throws {
  let folder = try folderWithRun()
  try FileManager.default.createDirectory(atPath: folder + "/mine", withIntermediateDirectories: false)
  try Data("thesis draft".utf8).write(to: URL(fileURLWithPath: folder + "/mine/notes.txt"))
  let refusal = "mine: --force replaces only folders lam made"
  try expectRefusal(["generate", "--env", "paper-4x4-clean", "--episodes", "2", "--out", "mine", "--force"], in: folder, refusal)
  try expectRefusal(["train", "--data", "ds", "--out", "mine", "--force"], in: folder, refusal)
  try expectRefusal(["report", "--run", "run", "--out", "mine", "--force"], in: folder, refusal)
  try expectRefusal(["frames", "--data", "ds", "--out", "mine", "--force"], in: folder, refusal)
  try expectRefusal(["linear", "--steps", "10", "--out", "mine", "--force"], in: folder, refusal)
  let spec = #"{"description": "s", "data": {"episodes": 4, "steps": 4}, "conditions": [{"name": "a", "env": "paper-4x4-clean"}], "seeds": [0]}"#
  try Data(spec.utf8).write(to: URL(fileURLWithPath: folder + "/spec.json"))
  try expectRefusal(["sweep", "data", "spec.json", "--out", "mine", "--force"], in: folder,
                    "mine: not a sweep folder (no sweep.json) and not empty")
  // A folder lam made is replaced with --force (and an empty folder without it).
  #expect(try runLam(["generate", "--env", "paper-4x4-clean", "--episodes", "2", "--out", "ds", "--force"],
                     currentDirectory: folder).status == 0)
  try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: false)
  #expect(try runLam(["frames", "--data", "ds", "--out", "empty"], currentDirectory: folder).status == 0)
}

@Test func reportNeverReplacesItsRunFolder() throws {
  let folder = try folderWithRun()
  try expectRefusal(["report", "--run", "run", "--out", "run", "--force"], in: folder,
                    "run: the output contains the input run file run/config.json")
  try expectRefusal(["report", "--run", "run", "--out", "ds", "--force"], in: folder, "ds: the output is the input dataset")
}

@Test func encodeNeverOverwritesAnInputOrAFileItDidNotWrite() throws {
  let folder = try folderWithRun()
  let encode = ["encode", "--run", "run", "--data", "ds"]
  try expectRefusal(encode + ["--out", "ds/frames.npy", "--force"], in: folder, "ds/frames.npy: the output lies inside the input --data ds")
  try expectRefusal(encode + ["--out", "run/checkpoint.safetensors", "--force"], in: folder,
                    "run/checkpoint.safetensors: the output is the input run file")
  try expectRefusal(encode + ["--out", "z.npy", "--predict", "z.npy"], in: folder, "--out, --predict: expected different files")
  try Data("my notes".utf8).write(to: URL(fileURLWithPath: folder + "/notes.npy"))
  try expectRefusal(encode + ["--out", "notes.npy", "--force"], in: folder, "notes.npy: --force replaces only .npy files")
  #expect(try runLam(encode + ["--out", "z.npy"], currentDirectory: folder).status == 0)
  try expectRefusal(encode + ["--out", "z.npy"], in: folder, "z.npy: already exists (pass --force to replace it)")
  #expect(try runLam(encode + ["--out", "z.npy", "--force"], currentDirectory: folder).status == 0)
}

@Test func aSecondWriterOfARunFolderGetsTheHoldersPidAndTheFirstFinishesIntact() throws {
  let folder = try folderWithRun()
  let first = try startLamHoldingLock(["train", "--resume", "run", "--steps", "200000"], in: folder, locked: "run")
  for second in [["train", "--resume", "run", "--steps", "300000"], ["train", "--data", "ds", "--out", "run", "--force"]] {
    let result = try runLam(second, currentDirectory: folder)
    #expect(result.status != 0)
    #expect(result.stderr.contains("run: another lam process (pid \(first.processIdentifier)) is writing this folder"), "\(result.stderr)")
  }
  first.interrupt()  // Ctrl-C: the first saves a checkpoint and stops
  first.waitUntilExit()
  #expect(first.terminationStatus == 0)
  // Its run is whole: it resumes from where it stopped.
  let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run/summary.json")))
  let stopped = try #require((summary as? [String: Any])?["steps"] as? Int)
  let resumed = try runLam(["train", "--resume", "run", "--steps", "\(stopped + 5)"], currentDirectory: folder)
  #expect(resumed.status == 0, "\(resumed.stderr)")
  #expect(resumed.stdout.contains("resuming run at step \(stopped) of \(stopped + 5)"))
}

@Test func theNextWriterRemovesWhatKilledProcessesLeftBehind() throws {
  let folder = try folderWithRun()
  let dead: pid_t = 999_999_999  // above pid_max: no such process
  let leftovers = ["run/.metrics.jsonl.tmp-\(dead)", ".ds2.partial-\(dead)/frames.npy", ".pics.old-\(dead)/a.png"]
  for path in leftovers {
    try FileManager.default.createDirectory(atPath: folder + "/" + (path as NSString).deletingLastPathComponent,
                                            withIntermediateDirectories: true)
    try Data("partial".utf8).write(to: URL(fileURLWithPath: folder + "/" + path))
  }
  let alive = ".live.tmp-\(getpid())"  // this test's own process: still writing, so kept
  try Data().write(to: URL(fileURLWithPath: folder + "/" + alive))
  #expect(try runLam(["train", "--resume", "run", "--steps", "30"], currentDirectory: folder).status == 0)
  #expect(try runLam(["generate", "--env", "paper-4x4-clean", "--episodes", "2", "--out", "ds2"], currentDirectory: folder).status == 0)
  for path in leftovers { #expect(!FileManager.default.fileExists(atPath: folder + "/" + path), "\(path)") }
  #expect(!FileManager.default.fileExists(atPath: folder + "/.ds2.partial-\(dead)"))
  #expect(FileManager.default.fileExists(atPath: folder + "/" + alive))
}

@Test func numericFlagsHaveOneBoundAndNegativeValuesReachIt() throws {
  let folder = try folderWithRun()
  let cases: [([String], String)] = [
    (["probe", "--run", "run", "--threads", "1000"], "--threads: expected a value in 1...256, got 1000"),
    (["probe", "--run", "run", "--threads", "0"], "--threads: expected a value in 1...256, got 0"),
    (["probe", "--run", "run", "--epochs", "100000000"], "--epochs: expected a value in 1...10000, got 100000000"),
    (["generate", "--env", "paper-4x4-clean", "--episodes", "2", "--threads", "-2", "--out", "x"],
     "--threads: expected a value in 1...256, got -2"),
    (["bench", "--threads", ""], "--threads: expected comma-separated counts in 1...256, got ''"),
    (["bench", "--seconds", "1e300"], "--seconds: expected a value in 0.001...86400.0, got 1e+300"),
    (["report", "--run", "run", "--seed", "-1"], "The value '-1' is invalid for '--seed <seed>'"),
    (["train", "--resume", "run", "--steps", "5"], "train.steps: expected a value in 20...100000000, got 5"),
  ]
  for (arguments, message) in cases { try expectRefusal(arguments, in: folder, message) }
}

@Test func trainingProgressReachesAPipeWhileTheRunGoesOn() throws {
  let folder = try folderWithRun()
  let process = Process()
  process.executableURL = lamExecutable()
  process.arguments = ["train", "--resume", "run", "--steps", "400000", "--data", "ds"]
  process.currentDirectoryURL = URL(fileURLWithPath: folder)
  let pipe = Pipe()
  process.standardOutput = pipe
  try process.run()
  // The first line arrives while the process still runs (block buffering would hold it until exit).
  let first = pipe.fileHandleForReading.availableData
  #expect(process.isRunning)
  #expect(String(decoding: first, as: UTF8.self).hasPrefix("resuming run at step 20 of 400000"))
  process.interrupt()
  process.waitUntilExit()
}

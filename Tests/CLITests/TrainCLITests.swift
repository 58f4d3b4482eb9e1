import Foundation
import Testing
import TestSupport

private let quick = ["--steps", "30", "--batch", "16", "--set", "train.logEvery=10", "--set", "train.evalEvery=10"]

@Test func trainWritesARunFolderAndReportsValidationLoss() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  let result = try runLam(["train", "--data", "ds", "--out", "run"] + quick, currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("training mlp LAM (picked for 4x4 frames: conv from 16 px; --arch to choose) (continuous latent, dz 4) on ds"))
  #expect(result.stdout.contains("finished at step 30 in "))
  let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/run").sorted()
  #expect(files == [".lam-lock", ".lam-output", "checkpoint.safetensors", "config.json", "metrics.jsonl", "run.json",
                    "split.json", "summary.json", "tb", "training-state.safetensors"])
  let metrics = try String(contentsOfFile: folder + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n")
  #expect(metrics.count == 3)
  #expect(metrics.last!.contains("\"step\":30") && metrics.last!.contains("\"val_recon\":"))
  let config = try String(contentsOfFile: folder + "/run/config.json", encoding: .utf8)
  #expect(config.contains("\"logEvery\" : 10") && config.contains("\"steps\" : 30"))
}

@Test func resumeContinuesToTheNewStepCount() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  #expect(try runLam(["train", "--data", "ds", "--out", "run"] + quick, currentDirectory: folder).status == 0)
  let result = try runLam(["train", "--resume", "run", "--steps", "50"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("resuming run at step 30 of 50"))
  #expect(result.stdout.contains("finished at step 50"))
}

@Test func interruptSavesACheckpointAndExitsCleanly() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  let process = Process()
  process.executableURL = lamExecutable()
  process.arguments = ["train", "--data", "ds", "--out", "run", "--steps", "10000000", "--set", "train.logEvery=100"]
  process.currentDirectoryURL = URL(fileURLWithPath: folder)
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  // Wait until training is under way (the metrics log has a line), then interrupt.
  let metrics = folder + "/run/metrics.jsonl"
  let deadline = Date().addingTimeInterval(30)
  while Date() < deadline && ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").isEmpty {
    Thread.sleep(forTimeInterval: 0.05)
  }
  process.interrupt()
  let exitDeadline = Date().addingTimeInterval(30)
  while process.isRunning && Date() < exitDeadline { Thread.sleep(forTimeInterval: 0.05) }
  let exited = !process.isRunning
  if !exited { kill(process.processIdentifier, SIGKILL) }
  process.waitUntilExit()
  #expect(exited, "lam train ignored SIGINT")
  #expect(process.terminationStatus == 0)
  let summary = try String(contentsOfFile: folder + "/run/summary.json", encoding: .utf8)
  #expect(summary.contains("\"stopped_early\" : true"))
  #expect(FileManager.default.fileExists(atPath: folder + "/run/checkpoint.safetensors"))
}

@Test func aTypoInAConfigKeyIsNamed() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  try Data(#"{"train": {"stpes": 10}}"#.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
  let result = try runLam(["train", "--data", "ds", "--config", "config.json", "--out", "run"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("config.json: field 'train.stpes': unknown key 'stpes'"))
  #expect(!FileManager.default.fileExists(atPath: folder + "/run"))
}

@Test func anOutOfRangeValueIsNamed() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  let result = try runLam(["train", "--data", "ds", "--out", "run", "--set", "model.bottleneck.dz=0"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("model.bottleneck.dz: expected a value in 1...1024, got 0"))
}

@Test func aMissingDatasetIsNamed() throws {
  let result = try runLam(["train", "--data", "nowhere", "--out", "run"], currentDirectory: makeTemporaryFolder())
  #expect(result.status != 0)
  #expect(result.stderr.contains("nowhere"))
}

@Test func aCorruptDatasetIsNamedAndNothingIsWritten() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  let frames = folder + "/ds/frames.npy"
  let bytes = try Data(contentsOf: URL(fileURLWithPath: frames))
  try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: frames))
  let result = try runLam(["train", "--data", "ds", "--out", "run"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("frames.npy"))
  #expect(!FileManager.default.fileExists(atPath: folder + "/run"))
}

@Test func anExistingRunFolderIsRefusedAndKept() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  try FileManager.default.createDirectory(atPath: folder + "/run", withIntermediateDirectories: true)
  try Data("notes".utf8).write(to: URL(fileURLWithPath: folder + "/run/notes.txt"))
  let result = try runLam(["train", "--data", "ds", "--out", "run"] + quick, currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("run: already exists (pass --force to replace it, or --resume to continue it)"))
  let forced = try runLam(["train", "--data", "ds", "--out", "run", "--force"] + quick, currentDirectory: folder)
  #expect(forced.status != 0)
  #expect(forced.stderr.contains("run: --force replaces only folders lam made"))
  #expect(try String(contentsOfFile: folder + "/run/notes.txt", encoding: .utf8) == "notes")
}

@Test func anUnwritableOutputFolderIsNamed() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  // A regular file where the run folder's parent should be: nothing can be created under it.
  try Data().write(to: URL(fileURLWithPath: folder + "/blocked"))
  let result = try runLam(["train", "--data", "ds", "--out", "blocked/run"] + quick, currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("blocked/run: cannot create the run folder"))
}

@Test func warmStartFromAnotherArchitectureIsRefused() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  #expect(try runLam(["train", "--data", "ds", "--out", "vq", "--bottleneck", "vq"] + quick, currentDirectory: folder).status == 0)
  let result = try runLam(["train", "--data", "ds", "--out", "run", "--init", "vq/checkpoint.safetensors"] + quick,
                          currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("vq/checkpoint.safetensors: unexpected tensors vq.cluster_size, vq.codebook, vq.embed_sum"))
  #expect(!FileManager.default.fileExists(atPath: folder + "/run"))
}

@Test func resumeRefusesADifferentDataset() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  #expect(try runLam(["train", "--data", "ds", "--out", "run"] + quick, currentDirectory: folder).status == 0)
  #expect(try runLam(["generate", "--env", "paper-4x4-agent", "--episodes", "20", "--steps", "8", "--out", "other"],
                     currentDirectory: folder).status == 0)
  let result = try runLam(["train", "--resume", "run", "--data", "other", "--steps", "40"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("other: not the dataset this run was trained on"))
}

@Test func badSetPathsAndFractionsAreOneLineErrorsBeforeAnyWork() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  for (arguments, message) in [
    (["--set", "=5"], "--set =5: expected PATH=VALUE"),
    (["--set", "train..steps=5"], "--set train..steps: expected a dotted field path"),
    (["--label-fraction", "1e300"], "remedies.labelFraction: expected a value in 0.0...1.0, got 1e+300"),
    (["--set", "train.valFraction=-1e300"], "train.valFraction: expected a value in (0, 1), got -1e+300"),
  ] {
    let result = try runLam(["train", "--data", "ds", "--out", "run"] + quick + arguments, currentDirectory: folder)
    #expect(result.status != 0)
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: folder + "/run"))
  }
}

@Test func aModelLargerThanTheProcessMayUseIsRefusedUnderAMemoryLimit() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  // 1 GB of address space: a 4096-wide, 8-deep MLP (about 1.6 GB with Adam) does not fit, though the machine has more.
  let shell = "ulimit -v 1000000; exec \"\(lamExecutable().path)\" train --data ds --out run --set model.hidden=4096 --set model.depth=8"
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/sh")
  process.arguments = ["-c", shell]
  process.currentDirectoryURL = URL(fileURLWithPath: folder)
  let err = Pipe()
  process.standardError = err
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  #expect(process.terminationStatus == 1, "\(stderr)")
  #expect(stderr.contains("more than the 1.0 GB this process may use"), "\(stderr)")
}

@Test func trainPicksTheConvLAMForFramesOfSixteenPixelsAndMoreUnlessAnArchitectureIsNamed() throws {
  let folder = try folderWithDataset("distractors-8x8", episodes: 4, steps: 4)
  let picked = try runLam(["train", "--data", "ds", "--out", "conv", "--steps", "1", "--batch", "4"], currentDirectory: folder)
  #expect(picked.status == 0, "\(picked.stderr)")
  #expect(picked.stdout.contains("training conv LAM (picked for 32x32 frames: conv from 16 px; --arch to choose)"))
  #expect(try String(contentsOfFile: folder + "/conv/config.json", encoding: .utf8).contains("\"architecture\" : \"conv\""))
  let named = try runLam(["train", "--data", "ds", "--out", "mlp", "--steps", "1", "--batch", "4", "--arch", "mlp"],
                         currentDirectory: folder)
  #expect(named.status == 0, "\(named.stderr)")
  #expect(named.stdout.contains("training mlp LAM (continuous latent"))
  let config = folder + "/mlp.json"
  try Data(#"{"model": {"architecture": "mlp"}}"#.utf8).write(to: URL(fileURLWithPath: config))
  let fromFile = try runLam(["train", "--data", "ds", "--out", "file", "--steps", "1", "--batch", "4", "--config", config],
                            currentDirectory: folder)
  #expect(fromFile.status == 0 && fromFile.stdout.contains("training mlp LAM (continuous latent"), "\(fromFile.stderr)")
}

@Test func trainUsesTheMachinesCoresUnlessToldAndSaysHowMany() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  let byDefault = try runLam(["train", "--data", "ds", "--out", "run"] + quick, currentDirectory: folder)
  #expect(byDefault.status == 0, "\(byDefault.stderr)")
  let config = try String(contentsOfFile: folder + "/run/config.json", encoding: .utf8)
  let line = config.split(separator: "\n").first { $0.contains("\"threads\"") }
  let count = try #require(line.flatMap { Int(String($0.filter(\.isNumber))) })
  #expect(count >= 1)
  #expect(byDefault.stdout.contains(" on \(count) thread\(count == 1 ? "" : "s") (this machine's cores; --threads to choose)\n"))

  let told = try runLam(["train", "--data", "ds", "--out", "run3", "--threads", "3"] + quick, currentDirectory: folder)
  #expect(told.status == 0, "\(told.stderr)")
  #expect(told.stdout.contains(" steps of 16 on 3 threads\n"))
  #expect(try String(contentsOfFile: folder + "/run3/config.json", encoding: .utf8).contains("\"threads\" : 3"))
}

@Test("lam train --arch unet trains on 4x4 frames, lam probe reads its checkpoint, and widths too deep for the frame are named")
func trainTheUNetOnTheFourByFourGrid() throws {
  let folder = try folderWithDataset("paper-4x4-clean")
  let result = try runLam(["train", "--data", "ds", "--out", "run", "--arch", "unet", "--bottleneck", "vq", "--codes", "5"] + quick,
                          currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("training unet LAM (vq latent, dz 4) on ds"))
  let config = try String(contentsOfFile: folder + "/run/config.json", encoding: .utf8)
  #expect(config.contains("\"architecture\" : \"unet\"") && config.contains("\"idmHidden\" : 64"))
  let probe = try runLam(["probe", "--run", "run", "--epochs", "2"], currentDirectory: folder)
  #expect(probe.status == 0, "\(probe.stderr)")
  #expect(FileManager.default.fileExists(atPath: folder + "/run/probe.json"))

  let deep = try runLam(["train", "--data", "ds", "--out", "deep", "--arch", "unet", "--set", "model.unet.widths=[4,4,4,4]"] + quick,
                        currentDirectory: folder)
  #expect(deep.status != 0)
  #expect(deep.stderr.contains("model.unet.widths: expected at most as many levels as the frame (4x4) can be halved evenly"))
  #expect(!FileManager.default.fileExists(atPath: folder + "/deep"))
}

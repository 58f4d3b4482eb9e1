import Foundation
import Testing
import TestSupport

/// A tiny dataset ("ds") of the paper's 4 x 4 grid and a run trained on it for 30 steps ("run").
private func folderWithRun(_ bottleneck: String, name: String = #function) throws -> String {
  try folderWithDataset(train: ["--steps", "30", "--batch", "16", "--bottleneck", bottleneck, "--codes", "5",
                                "--set", "train.logEvery=10", "--set", "train.evalEvery=10"], name: name)
}

@Test func reportWritesTheDocumentedFilesAndIsDeterministic() throws {
  let folder = try folderWithRun("vq")
  let result = try runLam(["report", "--run", "run", "--pairs", "50"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("latent swap: the agent moved as the source's action would in "))
  #expect(result.stdout.contains("wrote 9 files to run/report"))
  let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/run/report").sorted()
  #expect(files == [".lam-output", "confusion-action.png", "confusion-distractor.png", "latent-effects.png", "latents-action.png",
                    "latents-distractor.png", "losses.png", "reconstructions.png", "summary.md", "swap-examples.png"])
  let summary = try String(contentsOfFile: folder + "/run/report/summary.md", encoding: .utf8)
  #expect(summary.contains("run `lam probe` first"))
  #expect(summary.contains("![latent-effects.png](latent-effects.png)"))
  #expect(summary.contains("of 50 pairs"))

  // Same seed, same files; an existing report folder is refused without --force.
  #expect(try runLam(["report", "--run", "run", "--pairs", "50", "--out", "again"], currentDirectory: folder).status == 0)
  for file in files {
    let a = try Data(contentsOf: URL(fileURLWithPath: folder + "/run/report/" + file))
    let b = try Data(contentsOf: URL(fileURLWithPath: folder + "/again/" + file))
    #expect(a == b, "\(file) differs between two runs")
  }
  let refused = try runLam(["report", "--run", "run"], currentDirectory: folder)
  #expect(refused.status != 0 && refused.stderr.contains("run/report: already exists (pass --force to replace it)"))
}

@Test func reportUsesProbeNumbersWhenProbeJSONExists() throws {
  let folder = try folderWithRun("continuous")
  let probe = """
    {"latent": "pre-quantization", "train_transitions": 100, "test_transitions": 25,
     "action": {"linear": {"test_accuracy": 0.875}, "chance": 0.2, "ceiling": 0.95,
                "mlp": {"test_accuracy": 0.9, "confusion": [[5,0,0,0,0],[0,5,0,0,0],[0,0,5,0,0],[0,0,0,5,0],[1,0,0,0,4]]}},
     "distractors": [], "distractor_positions": [],
     "position": {"linear": {"test_accuracy": 0.5}, "mlp": {"test_accuracy": 0.5}, "chance": 0.1},
     "paper": {"controllable_loss": 0.125, "stochastic_loss": 0.75}}
    """
  try Data(probe.utf8).write(to: URL(fileURLWithPath: folder + "/run/probe.json"))
  let result = try runLam(["report", "--run", "run", "--pairs", "20"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  let summary = try String(contentsOfFile: folder + "/run/report/summary.md", encoding: .utf8)
  #expect(summary.contains("| action probe, linear (test accuracy) | 87.5% |"))
  #expect(summary.contains("| action chance / ceiling | 20.0% / 95.0% |"))
  #expect(summary.contains("| paper's controllable loss (lower: z holds the action) | 0.125 |"))
  #expect(FileManager.default.fileExists(atPath: folder + "/run/report/confusion-probe.png"))
}

@Test func reportOfARunWithoutACheckpointIsAOneLineError() throws {
  let folder = try folderWithRun("continuous")
  try FileManager.default.removeItem(atPath: folder + "/run/checkpoint.safetensors")
  let result = try runLam(["report", "--run", "run"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr == "Error: run/checkpoint.safetensors: no checkpoint in the run folder (train it first with `lam train`)\n")
  #expect(!FileManager.default.fileExists(atPath: folder + "/run/report"))
}

@Test func reportOfAFolderThatIsNotARunIsAOneLineError() throws {
  let folder = makeTemporaryFolder()
  let result = try runLam(["report", "--run", "nothing"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr == "Error: nothing: not a run folder (no config.json)\n")
}

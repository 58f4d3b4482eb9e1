import Foundation
import Testing
import TestSupport

/// A folder with a small clean dataset `ds` and a briefly trained run `run`.
private func folderWithRun(name: String = #function) throws -> String {
  try folderWithDataset("paper-4x4-clean", train: ["--steps", "20", "--batch", "16"], name: name)
}

@Test func probeWritesProbeJSONAndPrintsATable() throws {
  let folder = try folderWithRun()
  let result = try runLam(["probe", "--run", "run", "--epochs", "2"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.hasPrefix("the latent holds "))
  #expect(result.stdout.contains("target               linear     mlp  chance ceiling  mlp-bal  chance  mlp-NMI"))
  #expect(result.stdout.contains("action ") && result.stdout.contains("agent cell "))
  // Progress goes to stderr: the encoding, then each probe.
  #expect(result.stderr.contains("encoding ") && result.stderr.contains("probe 1 of 2: action") && result.stderr.contains("probe 2 of 2: agent cell"))
  let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run/probe.json")))
  let root = try #require(json as? [String: Any])
  let action = try #require(root["action"] as? [String: Any])
  #expect((action["linear"] as? [String: Any])?["test_accuracy"] is Double)
  #expect((action["mlp"] as? [String: Any])?["test_accuracy"] is Double)
  #expect(action["chance"] is Double && action["ceiling"] is Double)
  #expect(root["distractors"] is [Any] && root["paper"] is [String: Any])
}

@Test func encodeWritesLatentsAndPredictions() throws {
  let folder = try folderWithRun()
  let result = try runLam(["encode", "--run", "run", "--data", "ds", "--out", "z.npy", "--predict", "p.npy"],
                          currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  // Header 128 bytes, then 20 x 8 x dz 4 float32 latents.
  let z = try Data(contentsOf: URL(fileURLWithPath: folder + "/z.npy"))
  #expect(z.count == 128 + 20 * 8 * 4 * 4)
  #expect(result.stdout.contains("wrote z.npy: z_e [20, 8, 4]"))
  #expect(result.stdout.contains("wrote p.npy: predicted o' [20, 8, "))
}

@Test func probeRefusesARunFolderWithoutACheckpoint() throws {
  let folder = try folderWithRun()
  try FileManager.default.removeItem(atPath: folder + "/run/checkpoint.safetensors")
  let result = try runLam(["probe", "--run", "run"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("run/checkpoint.safetensors") && result.stderr.contains("no checkpoint in the run folder"))
}

@Test func probeRefusesADatasetFromAnotherEnvironment() throws {
  let folder = try folderWithRun()
  #expect(try runLam(["generate", "--env", "paper-4x4-noise-low", "--episodes", "20", "--steps", "8", "--out", "other"],
                     currentDirectory: folder).status == 0)
  let result = try runLam(["probe", "--run", "run", "--data", "other"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("other: not the dataset this run was trained on"))
}

@Test func probeWithEvaluationDataTestsOnEveryTransitionOfThatDataset() throws {
  let folder = try folderWithRun()
  #expect(try runLam(["generate", "--env", "paper-4x4-noise-low", "--episodes", "6", "--steps", "8", "--seed", "3",
                      "--out", "eval"], currentDirectory: folder).status == 0)
  let result = try runLam(["probe", "--run", "run", "--epochs", "2", "--eval-data", "eval", "--out", "eval.json"],
                          currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("probe on 48 transitions of eval"))
  // The run's own probe.json is never the evaluation's.
  #expect(!FileManager.default.fileExists(atPath: folder + "/run/probe.json"))
  let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/eval.json")))
  let root = try #require(json as? [String: Any])
  #expect(root["test_transitions"] as? Int == 48)
  // The noisy evaluation data has an exogenous row that varies: its stochastic loss is measured.
  #expect((root["paper"] as? [String: Any])?["stochastic_loss"] is Double)
}

@Test func probeRefusesEvaluationDataOfAnotherShapeAndKeepsProbeJSON() throws {
  let folder = try folderWithRun()
  #expect(try runLam(["probe", "--run", "run", "--epochs", "1"], currentDirectory: folder).status == 0)
  let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/run/probe.json"))
  #expect(try runLam(["generate", "--env", "paper-4x4-clean", "--episodes", "6", "--steps", "5", "--out", "short"],
                     currentDirectory: folder).status == 0)
  let result = try runLam(["probe", "--run", "run", "--eval-data", "short", "--out", "short.json"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("evaluation dataset") && result.stderr.contains("8 steps"))
  #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/run/probe.json")) == before)
}

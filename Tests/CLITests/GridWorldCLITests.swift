import Foundation
import Testing
import TestSupport

// Each test runs `lam` from a fresh temporary folder, so presets are found next to the executable.

@Test func envsListsEveryPresetWithItsDescription() throws {
  let result = try runLam(["envs"], currentDirectory: makeTemporaryFolder())
  #expect(result.status == 0)
  for name in [
    "paper-4x4-clean", "paper-4x4-noise-low", "paper-4x4-noise-high", "paper-4x4-correlated", "paper-4x4-agent",
    "paper-4x4-agent-strong", "distractors-8x8", "camera-shake-8x8",
  ] {
    #expect(result.stdout.contains("  \(name) "), "\(name)")
  }
  #expect(result.stdout.contains("each bottom-row cell Bernoulli(0.5) x 0.5"))
}

@Test func generateWritesADatasetAndReportsFramesPerSecond() throws {
  let folder = makeTemporaryFolder()
  let result = try runLam(
    ["generate", "--env", "paper-4x4-agent", "--episodes", "10", "--steps", "8", "--seed", "3", "--out", "ds"],
    currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.hasPrefix("generating 10 episodes x 8 steps of paper-4x4-agent (frames 1x4x4, seed 3)\n"))
  #expect(result.stdout.contains("wrote ds: 90 frames in "))
  #expect(result.stdout.contains(" frames/s"))
  let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/ds").sorted()
  #expect(
    files == [
      ".lam-output", "actions.npy", "agent_pos.npy", "dataset.json", "distractor_actions.npy", "distractor_pos.npy",
      "exogenous_change.npy", "frames.npy", "moved.npy", "shake.npy",
    ])
  let manifest = try String(contentsOfFile: folder + "/ds/dataset.json", encoding: .utf8)
  #expect(manifest.contains("\"source\" : \"paper-4x4-agent\""))
}

@Test func generateIsByteIdenticalForTheSameSeed() throws {
  let folder = makeTemporaryFolder()
  for out in ["a", "b"] {
    let result = try runLam(
      ["generate", "--env", "camera-shake-8x8", "--episodes", "4", "--seed", "5", "--out", out, "--threads", out == "a" ? "1" : "2"],
      currentDirectory: folder)
    #expect(result.status == 0, "\(result.stderr)")
  }
  for file in ["frames.npy", "shake.npy", "dataset.json"] {
    let a = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/a/\(file)"))
    let b = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/b/\(file)"))
    #expect(a == b, "\(file)")
  }
}

@Test func generateStepsDefaultToTheConfigsEpisodeLength() throws {
  let result = try runLam(
    ["generate", "--env", "paper-4x4-clean", "--episodes", "2", "--out", "ds"], currentDirectory: makeTemporaryFolder())
  #expect(result.status == 0)
  #expect(result.stdout.contains("2 episodes x 199 steps"))
}

@Test func generateRefusesAnExistingFolderWithoutForce() throws {
  let folder = makeTemporaryFolder()
  let args = ["generate", "--env", "paper-4x4-clean", "--episodes", "2", "--steps", "3", "--out", "ds"]
  #expect(try runLam(args + ["--seed", "1"], currentDirectory: folder).status == 0)
  let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/ds/frames.npy"))
  let refused = try runLam(args + ["--seed", "2"], currentDirectory: folder)
  #expect(refused.status != 0)
  #expect(refused.stderr.contains("ds: already exists (pass --force to replace it)"))
  #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/ds/frames.npy")) == before)
  let forced = try runLam(args + ["--seed", "2", "--force"], currentDirectory: folder)
  #expect(forced.status == 0)
  #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/ds/frames.npy")) != before)
}

@Test func generateAcceptsAConfigFileAndNamesABadField() throws {
  let folder = makeTemporaryFolder()
  try #"{"grid": {"width": 5}, "episodeLength": 4}"#.write(toFile: folder + "/good.json", atomically: true, encoding: .utf8)
  try #"{"grid": {"width": 5}, "noise": [{"kind": "bernoulli", "p": 2}]}"#
    .write(toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
  let good = try runLam(["generate", "--env", "good.json", "--episodes", "1", "--out", "ds"], currentDirectory: folder)
  #expect(good.status == 0, "\(good.stderr)")
  #expect(good.stdout.contains("1 episodes x 4 steps of good.json (frames 1x4x5"))
  let bad = try runLam(["generate", "--env", "bad.json", "--episodes", "1", "--out", "ds2"], currentDirectory: folder)
  #expect(bad.status != 0)
  #expect(bad.stderr.contains("bad.json: noise[0].p: expected a value in 0.0...1.0, got 2.0"))
  #expect(!FileManager.default.fileExists(atPath: folder + "/ds2"))
}

@Test func generateRejectsAnUnknownEnvironmentListingThePresets() throws {
  let result = try runLam(
    ["generate", "--env", "paper-4x4-nosie-low", "--episodes", "1", "--out", "ds"], currentDirectory: makeTemporaryFolder())
  #expect(result.status != 0)
  #expect(result.stderr.contains("--env paper-4x4-nosie-low: no such file or preset"))
  #expect(result.stderr.contains("paper-4x4-noise-low"))
}

@Test func generateRejectsANonPositiveEpisodeCount() throws {
  let result = try runLam(["generate", "--env", "paper-4x4-clean", "--episodes", "0", "--out", "ds"])
  #expect(result.status != 0)
  #expect(result.stderr.contains("--episodes: expected a value in 1...10000000, got 0"))
  let negative = try runLam(["generate", "--env", "paper-4x4-clean", "--episodes", "-5", "--out", "ds"])
  #expect(negative.status != 0)
  #expect(negative.stderr.contains("--episodes: expected a value in 1...10000000, got -5"))
}

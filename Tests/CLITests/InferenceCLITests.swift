import Foundation
import Testing
import TestSupport

/// The int64 values of a little-endian .npy file written by lam (header length from bytes 8...9).
private func int64s(_ path: String) throws -> [Int] {
  let data = try Data(contentsOf: URL(fileURLWithPath: path))
  let start = 10 + Int(data[8]) + Int(data[9]) << 8
  return stride(from: start, to: data.count, by: 8).map { offset in
    (0..<8).reduce(0) { $0 | Int(data[offset + $1]) << (8 * $1) }
  }
}

private func json(_ path: String) throws -> [String: Any] {
  try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
}

/// A run trained briefly on `ds` (paper-4x4-agent, 20 episodes of 8 steps) and a second dataset `new` of the
/// same environment from another seed (6 episodes).
private func runAndNewData(train: [String] = [], name: String = #function) throws -> String {
  let folder = try folderWithDataset(train: ["--steps", "30", "--batch", "16"] + train, name: name)
  let result = try runLam(["generate", "--env", "paper-4x4-agent", "--episodes", "6", "--steps", "8", "--seed", "9",
                           "--out", "new"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  return folder
}

@Test func encodeTakesNewDataOfTheRunsFrameShapeWithANoteAndRecordsWhereItCameFrom() throws {
  let folder = try runAndNewData()
  let result = try runLam(["encode", "--run", "run", "--data", "new", "--out", "z.npy"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("note: new is not the dataset run was trained on; encoding it with the checkpoint of step 30"))
  #expect(result.stdout.contains("wrote z.npy: z_e [6, 8, 4]"))
  let record = try json(folder + "/z.json")
  #expect(record["format"] as? String == "lam-encoding")
  #expect(record["training_data"] as? Bool == false && record["checkpoint_step"] as? Int == 30)
  #expect((record["data"] as? String)?.hasSuffix("/new") == true)
  let manifest = try json(folder + "/new/dataset.json")
  #expect(record["data_content_hash"] as? String == manifest["contentHash"] as? String)
  #expect((record["files"] as? [String: String])?["z_e"]?.hasSuffix("/z.npy") == true)
  // The run's own data: no note, and the record says so.
  let own = try runLam(["encode", "--run", "run", "--data", "ds", "--out", "own.npy"], currentDirectory: folder)
  #expect(own.status == 0 && !own.stdout.contains("note:"))
  #expect(try json(folder + "/own.json")["training_data"] as? Bool == true)
}

@Test func encodeAndLabelRefuseADatasetOfAnotherFrameShapeNamingBoth() throws {
  let folder = try runAndNewData()
  #expect(try runLam(["generate", "--env", "distractors-8x8", "--episodes", "2", "--steps", "4", "--out", "rgb"],
                     currentDirectory: folder).status == 0)
  for command in [["encode", "--out", "z.npy"], ["label", "--out", "l.npy"]] {
    let result = try runLam(command + ["--run", "run", "--data", "rgb"], currentDirectory: folder)
    #expect(result.status != 0)
    #expect(result.stderr.contains("rgb/dataset.json: frames: expected the frame shape [1, 4, 4] the run run was trained on, got [3, 32, 32]"),
            "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: folder + "/" + command[2]))
  }
}

@Test func labelFromTheProbeNeedsLamProbeFirstThenWritesLabelsAndTheirAccuracy() throws {
  let folder = try runAndNewData()
  let missing = try runLam(["label", "--run", "run", "--data", "new", "--out", "l.npy"], currentDirectory: folder)
  #expect(missing.status != 0)
  #expect(missing.stderr.contains("run/action-probe.safetensors: no fitted action probe; run `lam probe --run run` first"))
  #expect(try runLam(["probe", "--run", "run", "--epochs", "2"], currentDirectory: folder).status == 0)
  let result = try runLam(["label", "--run", "run", "--data", "new", "--out", "l.npy"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("labelled 48 transitions of new from the probe (pre-quantization latent): accuracy "))
  let labels = try int64s(folder + "/l.npy"), actions = try int64s(folder + "/new/actions.npy")
  #expect(labels.count == 48 && labels.allSatisfy { (0...4).contains($0) })
  let record = try json(folder + "/l.json")
  let accuracy = Double(zip(labels, actions).filter { $0 == $1 }.count) / 48
  #expect(record["accuracy"] as? Double == accuracy)
  #expect(record["source"] as? String == "probe" && record["format"] as? String == "lam-labels")
  #expect((record["ceiling"] as? Double).map { $0 > 0 && $0 <= 1 } == true)
  // The same labels again without --force: refused, and the file is kept.
  let again = try runLam(["label", "--run", "run", "--data", "new", "--out", "l.npy"], currentDirectory: folder)
  #expect(again.status != 0 && again.stderr.contains("l.npy: already exists (pass --force to replace it)"))
}

@Test func labelFromTheHeadNeedsARunTrainedWithLabelsInHeadMode() throws {
  let folder = try runAndNewData()
  let refused = try runLam(["label", "--run", "run", "--data", "new", "--out", "l.npy", "--from", "head"],
                           currentDirectory: folder)
  #expect(refused.status != 0 && refused.stderr.contains("run: the run has no action head"))
  #expect(try runLam(["train", "--data", "ds", "--out", "labelled", "--steps", "30", "--batch", "16",
                      "--label-fraction", "0.5"], currentDirectory: folder).status == 0)
  // The head is the default for a run that trained one.
  let result = try runLam(["label", "--run", "labelled", "--data", "new", "--out", "l.npy"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("from the head (pre-quantization latent)"))
  #expect(try json(folder + "/l.json")["source"] as? String == "head")
}

@Test func aProbeFittedBeforeTheRunTrainedOnIsRefusedForLabels() throws {
  let folder = try runAndNewData()
  #expect(try runLam(["probe", "--run", "run", "--epochs", "1"], currentDirectory: folder).status == 0)
  #expect(try runLam(["train", "--resume", "run", "--steps", "40"], currentDirectory: folder).status == 0)
  let result = try runLam(["label", "--run", "run", "--data", "new", "--out", "l.npy"], currentDirectory: folder)
  #expect(result.status != 0)
  #expect(result.stderr.contains("metadata 'checkpoint_step': expected the run's checkpoint step 40 (the run trained on after it was probed"))
}

@Test func probeOnEvaluationDataNeedsOutAndLeavesTheRunsProbeJSONAlone() throws {
  let folder = try runAndNewData()
  #expect(try runLam(["probe", "--run", "run", "--epochs", "1"], currentDirectory: folder).status == 0)
  let own = try Data(contentsOf: URL(fileURLWithPath: folder + "/run/probe.json"))
  let refused = try runLam(["probe", "--run", "run", "--eval-data", "new"], currentDirectory: folder)
  #expect(refused.status != 0 && refused.stderr.contains("--out: required with --eval-data"))
  let result = try runLam(["probe", "--run", "run", "--epochs", "1", "--eval-data", "new", "--out", "new-probe.json"],
                          currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("wrote new-probe.json"))
  #expect(try json(folder + "/new-probe.json")["test_transitions"] as? Int == 48)
  #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/run/probe.json")) == own)
  // --out never lands on an input.
  let input = try runLam(["probe", "--run", "run", "--eval-data", "new", "--out", "run/config.json", "--force"],
                         currentDirectory: folder)
  #expect(input.status != 0 && input.stderr.contains("lam never writes over its inputs"))
}

@Test func aRunTrainedWithFivePercentLabelsLabelsNewEpisodesNearTheCeiling() throws {
  // paper-4x4-agent-strong: the distractor varies more than the agent; the head remedy keeps the action.
  let folder = try folderWithDataset("paper-4x4-agent-strong", episodes: 1000, steps: 32,
                                     train: ["--label-fraction", "0.05", "--seed", "0"])
  #expect(try runLam(["generate", "--env", "paper-4x4-agent-strong", "--episodes", "100", "--seed", "2", "--out", "new"],
                     currentDirectory: folder).status == 0)
  let result = try runLam(["label", "--run", "run", "--data", "new", "--out", "l.npy"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  let record = try json(folder + "/l.json")
  let accuracy = try #require(record["accuracy"] as? Double), ceiling = try #require(record["ceiling"] as? Double)
  #expect(record["source"] as? String == "head")
  #expect(accuracy >= 0.9 * ceiling, "accuracy \(accuracy), ceiling \(ceiling)")
}

@Test func probeOfWeightsThatOverflowIsAOneLineErrorNamingTheCheckpoint() throws {
  let folder = try runAndNewData()
  // Every value of the FDM's hidden weight 1e38: finite, but the predictions overflow to infinity and NaN. (Not
  // the first layer's: on a mostly black frame its inputs may sum to under 3.4, and its outputs stay finite.)
  let path = folder + "/run/checkpoint.safetensors"
  var data = try Data(contentsOf: URL(fileURLWithPath: path))
  let headerLength = Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16 | Int(data[3]) << 24
  let header = try #require(try JSONSerialization.jsonObject(with: data[8..<(8 + headerLength)]) as? [String: Any])
  let key = "fdm.fc2.weight"
  let offsets = try #require((header[key] as? [String: Any])?["data_offsets"] as? [Int])
  var big = Float(1e38).bitPattern.littleEndian
  let bytes = withUnsafeBytes(of: &big) { Data($0) }
  for offset in stride(from: 8 + headerLength + offsets[0], to: 8 + headerLength + offsets[1], by: 4) {
    data.replaceSubrange(offset..<(offset + 4), with: bytes)
  }
  try data.write(to: URL(fileURLWithPath: path))
  let result = try runLam(["probe", "--run", "run", "--epochs", "1"], currentDirectory: folder)
  #expect(result.status != 0)
  let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
  #expect(errors == ["Error: run/checkpoint.safetensors: the model's latents or predictions are not finite on this data (its weights overflow float32)"],
          "\(result.stderr)")
  #expect(!FileManager.default.fileExists(atPath: folder + "/run/probe.json"))
}

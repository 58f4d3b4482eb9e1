import Foundation
import Testing
import TestSupport

/// A tiny dataset ("ds") and two runs of 2 steps on it, "run" and "other".
private func folderWithTwoRuns(name: String = #function) throws -> String {
  let folder = try folderWithDataset(train: ["--steps", "2", "--batch", "8"], name: name)
  let other = try runLam(["train", "--data", "ds", "--out", "other", "--steps", "2", "--batch", "8", "--lr", "0.01"],
                         currentDirectory: folder)
  try #require(other.status == 0, "\(other.stderr)")
  return folder
}

@Test("lam compare writes the documented files and names the differing config key")
func compareWritesItsFilesAndNamesTheDifference() throws {
  let folder = try folderWithTwoRuns()
  let result = try runLam(["compare", "run", "other", "--out", "cmp"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout == "runs: run (run), other (other)\nconfig differences: train.lr\nwrote 5 files to cmp\n")
  let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/cmp").sorted()
  #expect(files == [".lam-output", "compare.md", "curves-loss.png", "curves-recon.png", "curves-val-recon.png", "index.html"])
  let html = try String(contentsOfFile: folder + "/cmp/index.html", encoding: .utf8)
  #expect(embeddedImages(in: html).count == 3 && embeddedImages(in: html).allSatisfy(isPNG))
  // No probe.json and no report: those rows are blank, not an error.
  let markdown = try String(contentsOfFile: folder + "/cmp/compare.md", encoding: .utf8)
  #expect(markdown.contains("| action probe, MLP (test accuracy) |  |  |"))
  #expect(markdown.contains("| train.lr | 0.001 | 0.01 |"))
}

@Test("lam compare refuses one run, a run given twice, a missing run, a run without metrics and an output inside a run")
func compareRefusesBadInputInOneLine() throws {
  let folder = try folderWithTwoRuns()
  func refused(_ arguments: [String]) throws -> String {
    let result = try runLam(["compare"] + arguments, currentDirectory: folder)
    #expect(result.status != 0, "\(arguments)")
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    return result.stderr
  }
  #expect(try refused(["run", "--out", "cmp"]) == "Error: expected 2 or more run folders to compare, got 1\n")
  #expect(try refused(["run", "./run/", "--out", "cmp"]) == "Error: ./run/: the same run folder as run; give each run once\n")
  #expect(try refused(["run", "nothing", "--out", "cmp"]) == "Error: nothing: not a run folder (no config.json)\n")
  #expect(try refused(["run", "other", "--out", "run/cmp"]).contains("run/cmp: the output lies inside the input run run;"))
  let noOut = try runLam(["compare", "run", "other"], currentDirectory: folder)
  #expect(noOut.status != 0 && noOut.stderr.hasPrefix("Error: --out: required"))

  // A corrupt optional file is an error naming it; an empty metrics log is refused.
  try Data("{not json".utf8).write(to: URL(fileURLWithPath: folder + "/other/probe.json"))
  #expect(try refused(["run", "other", "--out", "cmp"]).hasPrefix("Error: other/probe.json: "))
  try FileManager.default.removeItem(atPath: folder + "/other/probe.json")
  try Data().write(to: URL(fileURLWithPath: folder + "/other/metrics.jsonl"))
  #expect(try refused(["run", "other", "--out", "cmp"])
          == "Error: other/metrics.jsonl: no metrics logged (train the run with `lam train` first)\n")
  #expect(!FileManager.default.fileExists(atPath: folder + "/cmp") && !FileManager.default.fileExists(atPath: folder + "/run/cmp"))
}

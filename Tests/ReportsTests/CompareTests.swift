import Core
import Foundation
import Imaging
import Probing
import Reports
import Testing
import TestSupport

@Test("run labels are folder names, with parent folders added only where two runs share a name")
func compareLabelsAreShortAndUnique() {
  #expect(Compare.labels(["/x/a/run", "/x/b/run", "/x/c"]) == ["a/run", "b/run", "c"])
  #expect(Compare.labels(["/x/seed0", "/y/seed1/"]) == ["seed0", "seed1"])
  #expect(Compare.labels(["/p/a/run", "/q/a/run"]) == ["p/a/run", "q/a/run"])
}

@Test("config differences list only the dotted keys whose values differ, a missing key as differing")
func compareConfigDifferencesKeepOnlyDifferingKeys() throws {
  let a = try JSON.parse(Array(#"{"model": {"dz": 4, "channels": [8, 16]}, "train": {"lr": 0.001, "seed": 0}}"#.utf8))
  let b = try JSON.parse(Array(#"{"model": {"dz": 4, "channels": [8, 32]}, "train": {"lr": 1e-3, "seed": 0, "extra": "x"}}"#.utf8))
  #expect(Compare.flatten(a).map(\.key) == ["model.dz", "model.channels", "train.lr", "train.seed"])
  let differences = Compare.differences([Compare.flatten(a), Compare.flatten(b)])
  #expect(differences.map(\.key) == ["model.channels", "train.lr", "train.extra"])
  #expect(differences[0].values == ["[8,16]", "[8,32]"])
  #expect(differences[2].values == [nil, "\"x\""])
}

/// Two runs of 20 steps on one tiny dataset that differ only in train.seed: "run" (seed 0, probed and
/// reported) and "run2" (seed 1, neither).
private func twoRuns(name: String = #function) throws -> String {
  let flags = ["--steps", "20", "--batch", "16", "--set", "train.logEvery=2", "--set", "train.evalEvery=5"]
  let folder = try folderWithDataset(train: flags, name: name)
  for arguments in [["train", "--data", "ds", "--out", "run2", "--seed", "1"] + flags,
                    ["probe", "--run", "run", "--epochs", "1"], ["report", "--run", "run", "--pairs", "20"]] {
    let result = try runLam(arguments, currentDirectory: folder)
    guard result.status == 0 else { throw LamError("lam \(arguments.joined(separator: " ")): \(result.stderr)") }
  }
  return folder
}

@Test("comparing two runs that differ in train.seed shows that key alone, both runs' curves and blanks for missing files")
func compareOfTwoRunsShowsTheirOneDifferenceAndCurves() throws {
  let folder = try twoRuns()
  let result = try Compare.write(CompareOptions(runs: [folder + "/run", folder + "/run2"], out: folder + "/cmp"))
  #expect(result.labels == ["run", "run2"])
  #expect(result.differingKeys == ["train.seed"])
  #expect(result.files == ["curves-loss.png", "curves-recon.png", "curves-val-recon.png", "probes.png", "compare.md", "index.html"])

  let markdown = try String(contentsOfFile: folder + "/cmp/compare.md", encoding: .utf8)
  let diff = markdown.components(separatedBy: "## Config differences\n\n")[1]
  #expect(diff == "| config key | run | run2 |\n|---|---|---|\n| train.seed | 0 | 1 |\n")
  // run has probe.json and a report, run2 neither: its cells are blank.
  let lines = markdown.split(separator: "\n")
  let swap = try #require(lines.first { $0.hasPrefix("| latent swap: agent moves as the source's action would (report.json) |") })
  let report = try #require(try ReportNumbers.load(report: folder + "/run/report"))
  #expect(swap.hasSuffix(String(format: " | %.1f%% |  |", 100 * report.swapAccuracy)))
  let probe = try #require(lines.first { $0.hasPrefix("| action probe, MLP (test accuracy) |") })
  #expect(probe.hasSuffix("% |  |") && !probe.contains("| % |"))
  let valRecon = try #require(lines.first { $0.hasPrefix("| final validation reconstruction MSE (summary.json) |") })
  #expect(valRecon.split(separator: "|").count == 3 && !valRecon.contains("|  |"))

  // Each curve is drawn in its run's colour, well beyond the legend's sample line.
  for file in ["curves-loss.png", "curves-recon.png", "curves-val-recon.png"] {
    let image = try PNG.read(folder + "/cmp/" + file)
    let first = count(Palette.colour(0), in: image), second = count(Palette.colour(1), in: image)
    #expect(first > 150 && second > 150, "\(file): \(first) and \(second) pixels")
  }

  // The page embeds every curve (byte for byte) and shows the difference.
  let html = try String(contentsOfFile: folder + "/cmp/index.html", encoding: .utf8)
  let images = embeddedImages(in: html)
  #expect(images.count == 4 && images.allSatisfy(isPNG))
  for (i, file) in result.files.prefix(4).enumerated() {
    #expect(images[i] == (try Data(contentsOf: URL(fileURLWithPath: folder + "/cmp/" + file))))
  }
  #expect(html.contains("<tr><td>train.seed</td><td>0</td><td>1</td></tr>"))
  // What each latent holds: run's verdict from its probe.json, blank for run2.
  let verdict = try #require(try ProbeResults.load(run: folder + "/run")).verdict
  #expect(!verdict.isEmpty && markdown.contains("| run | \(verdict) |\n| run2 |  |"))
  // The probes chart: run's bars in its colour, none for run2 (not probed).
  let probes = try PNG.read(folder + "/cmp/probes.png")
  #expect(count(Palette.colour(0), in: probes) > 1000 && count(Palette.colour(1), in: probes) < 200)
  #expect(references(in: html).isEmpty)

  // The same runs give byte-identical files; the folder is replaced only with force.
  #expect(throws: LamError.self) { try Compare.write(CompareOptions(runs: [folder + "/run", folder + "/run2"], out: folder + "/cmp")) }
  _ = try Compare.write(CompareOptions(runs: [folder + "/run", folder + "/run2"], out: folder + "/cmp2"))
  for file in result.files {
    let a = try Data(contentsOf: URL(fileURLWithPath: folder + "/cmp/" + file))
    #expect(a == (try Data(contentsOf: URL(fileURLWithPath: folder + "/cmp2/" + file))), "\(file) differs")
  }
}

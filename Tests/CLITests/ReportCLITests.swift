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
  #expect(result.stdout.contains("wrote 12 files to run/report"))
  let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/run/report").sorted()
  // The environment's one distractor is grey: its pictures carry its number and name.
  #expect(files == [".lam-output", "codebook-use.png", "confusion-action.png", "confusion-distractor-1-grey.png",
                    "index.html", "latent-effects.png", "latents-action.png", "latents-distractor-1-grey.png", "losses.png",
                    "reconstructions.png", "report.json", "summary.md", "swap-examples.png"])
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
    {"format_version": 2, "verdict": "the latent holds the agent's action: 0.95 of the ceiling",
     "latent": "pre-quantization", "train_transitions": 100, "test_transitions": 25,
     "action": {"linear": {"test_accuracy": 0.875, "balanced_accuracy": 0.875, "nmi": 0.7}, "chance": 0.2,
                "balanced_chance": 0.2, "ceiling": 0.95,
                "mlp": {"test_accuracy": 0.9, "balanced_accuracy": 0.9, "nmi": 0.8,
                        "confusion": [[5,0,0,0,0],[0,5,0,0,0],[0,0,5,0,0],[0,0,0,5,0],[1,0,0,0,4]]}},
     "distractor_names": ["grey"],
     "distractors": [{"linear": {"test_accuracy": 0.25, "balanced_accuracy": 0.25, "nmi": 0.01}, "chance": 0.2,
                      "balanced_chance": 0.2, "mlp": {"test_accuracy": 0.25, "balanced_accuracy": 0.25, "nmi": 0.01}}],
     "distractor_positions": [{"linear": {"test_accuracy": 0.5, "balanced_accuracy": 0.5, "nmi": 0.3}, "chance": 0.25,
                               "balanced_chance": 0.25, "mlp": {"test_accuracy": 0.5, "balanced_accuracy": 0.5, "nmi": 0.3}}],
     "position": {"linear": {"test_accuracy": 0.5, "balanced_accuracy": 0.5, "nmi": 0.4}, "chance": 0.1,
                  "balanced_chance": 0.1, "mlp": {"test_accuracy": 0.5, "balanced_accuracy": 0.5, "nmi": 0.4}},
     "paper": {"controllable_loss": 0.125, "stochastic_loss": 0.75, "controllable_loss_shuffled": 1.5,
               "stochastic_loss_shuffled": 1.25, "distractor_losses": [0.75], "distractor_losses_shuffled": [1.25]}}
    """
  try Data(probe.utf8).write(to: URL(fileURLWithPath: folder + "/run/probe.json"))
  let result = try runLam(["report", "--run", "run", "--pairs", "20"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  let summary = try String(contentsOfFile: folder + "/run/report/summary.md", encoding: .utf8)
  #expect(summary.contains("| action probe, linear (test accuracy) | 87.5% |"))
  #expect(summary.contains("| action chance / ceiling | 20.0% / 95.0% |"))
  #expect(summary.hasPrefix("**Verdict:** the latent holds the agent's action: 0.95 of the ceiling."))
  #expect(summary.contains("| controllable loss (lower: z holds the agent's move; another transition's latent) | 0.125 (1.5) |"))
  #expect(summary.contains("| distractor 'grey': loss (another transition's latent) | 0.75 (1.25) |"))
  #expect(summary.contains("| distractor 'grey': cell after the step, MLP probe / chance | 50.0% / 25.0% |"))
  #expect(FileManager.default.fileExists(atPath: folder + "/run/report/confusion-probe.png"))
  #expect(FileManager.default.fileExists(atPath: folder + "/run/report/probes.png"))
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

@Test func theReportOfARichWorldShowsEveryDistractorByNameAndTheShake() throws {
  let folder = try folderWithDataset("distractors-8x8", episodes: 12, steps: 4, train: ["--steps", "2", "--batch", "8"])
  #expect(try runLam(["probe", "--run", "run", "--epochs", "1"], currentDirectory: folder).status == 0)
  let result = try runLam(["report", "--run", "run", "--pairs", "5"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  let files = Set(try FileManager.default.contentsOfDirectory(atPath: folder + "/run/report"))
  for tag in ["1-red", "2-green", "3-blue"] {
    for kind in ["confusion-distractor", "confusion-probe-distractor", "latents-distractor"] {
      #expect(files.contains("\(kind)-\(tag).png"), "\(kind)-\(tag).png")
    }
  }
  let summary = try String(contentsOfFile: folder + "/run/report/summary.md", encoding: .utf8)
  #expect(summary.hasPrefix("**Verdict:** the latent "))
  for name in ["red", "green", "blue"] { #expect(summary.contains("| distractor '\(name)': loss (another transition's latent) |")) }

  let shaken = try folderWithDataset("camera-shake-8x8", episodes: 12, steps: 4, train: ["--steps", "2", "--batch", "8"])
  #expect(try runLam(["probe", "--run", "run", "--epochs", "1"], currentDirectory: shaken).status == 0)
  #expect(try runLam(["report", "--run", "run", "--pairs", "5"], currentDirectory: shaken).status == 0)
  let shakeFiles = Set(try FileManager.default.contentsOfDirectory(atPath: shaken + "/run/report"))
  #expect(shakeFiles.isSuperset(of: ["latents-shake-dx.png", "latents-shake-dy.png", "probes.png"]))
  let shakeSummary = try String(contentsOfFile: shaken + "/run/report/summary.md", encoding: .utf8)
  #expect(shakeSummary.contains("| camera shake dx probe, MLP accuracy / balanced / NMI"))
}

@Test("the report page embeds every picture as a PNG data URI, shows the key numbers and the escaped config, links nothing")
func reportPageIsSelfContained() throws {
  let folder = try folderWithRun("vq")
  let result = try runLam(["report", "--run", "run", "--pairs", "30"], currentDirectory: folder)
  #expect(result.status == 0, "\(result.stderr)")
  let report = folder + "/run/report/"
  let html = try String(contentsOfFile: report + "index.html", encoding: .utf8)
  let pictures = try FileManager.default.contentsOfDirectory(atPath: report).filter { $0.hasSuffix(".png") }.sorted()
  let images = embeddedImages(in: html)
  #expect(images.count == pictures.count && pictures.count == 9)
  #expect(images.allSatisfy(isPNG))
  for picture in pictures {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: report + picture))
    #expect(html.contains("src=\"data:image/png;base64,\(bytes.base64EncodedString())\" alt=\"\(picture)\""), "\(picture)")
  }
  #expect(references(in: html).isEmpty)
  #expect(html.contains("<p><strong>Verdict:</strong> none yet: run <code>lam probe --run RUN</code> for what the latent holds.</p>"))
  #expect(html.contains("<figcaption><strong>latents-action.png</strong>: z_e on its first two principal axes"))
  // The key numbers are summary.md's, cell for cell.
  let summary = try String(contentsOfFile: report + "summary.md", encoding: .utf8)
  let swapRow = try #require(summary.split(separator: "\n").first { $0.hasPrefix("| latent swap: agent moves as the source's") })
  let cells = swapRow.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
  #expect(html.contains("<tr><td>\(cells[0].replacingOccurrences(of: "'", with: "&#39;"))</td><td>\(cells[1])</td></tr>"))
  // The config, pretty-printed with its quotes escaped.
  #expect(html.contains("&quot;bottleneck&quot; : {") && html.contains("&quot;kind&quot; : &quot;vq&quot;"))
  #expect(!html.contains("\"kind\""))

  // report.json holds the same numbers as the summary.
  let numbers = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report + "report.json"))) as! [String: Any]
  #expect(numbers["format_version"] as? Int == 1 && numbers["step"] as? Int == 30 && numbers["swap_pairs"] as? Int == 30)
  let swap = try #require(numbers["swap_accuracy"] as? Double)
  #expect(cells[1] == String(format: "%.1f%% of 30 pairs", 100 * swap))
  #expect((numbers["distractor_names"] as? [String]) == ["grey"])
}

@Test(arguments: [("kl", "KL to N(0, 1) per latent dimension"), ("nsvq", "codes used of the codebook"),
                  ("fsq", "codes used of the codebook")])
func probeAndReportDescribeEveryBottleneckKind(kind: String, row: String) throws {
  let folder = try folderWithDataset(train: ["--steps", "30", "--batch", "16", "--bottleneck", kind, "--codes", "5",
                                             "--levels", "3,2", "--set", "train.logEvery=10"], name: "probeAndReport-\(kind)")
  let probe = try runLam(["probe", "--run", "run", "--epochs", "1", "--quantized"], currentDirectory: folder)
  #expect(probe.status == 0, "\(probe.stderr)")
  let json = try String(contentsOfFile: folder + "/run/probe.json", encoding: .utf8)
  #expect(json.contains("\"kl_per_dimension\"") == (kind == "kl"))
  #expect(json.contains("\"perplexity\"") == (kind != "kl"))
  #expect(json.contains(kind == "fsq" ? "\"codebook_size\" : 6" : "\"codebook_size\" : 5") || kind == "kl")
  let report = try runLam(["report", "--run", "run", "--pairs", "20"], currentDirectory: folder)
  #expect(report.status == 0, "\(report.stderr)")
  let summary = try String(contentsOfFile: folder + "/run/report/summary.md", encoding: .utf8)
  #expect(summary.contains(row))
  #expect(FileManager.default.fileExists(atPath: folder + "/run/report/codebook-use.png") == (kind != "kl"))
}

import Core
import Foundation
import Imaging
import LAM
import Probing
import Reports
import Sweeps
import Testing
import TestSupport
import Training

/// The package's environments/ folder (the presets).
private let presets = [URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("environments").path]

/// A valid spec as a JSON object: 2 conditions x 3 seeds, two metrics, two findings.
private func specObject() -> [String: Any] {
  [
    "description": "test sweep",
    "base": ["model": ["bottleneck": ["kind": "vq", "codes": 5]], "train": ["steps": 30]],
    "data": ["episodes": 40, "steps": 8],
    "conditions": [
      ["name": "low", "env": "paper-4x4-noise-low"],
      ["name": "high", "env": "paper-4x4-noise-high", "set": ["remedies.augment": "shift"]],
    ],
    "seeds": [0, 1, 2],
    "metrics": ["controllable_loss", "code_nmi"],
    "findings": [
      ["claim": "noise raises it", "metric": "controllable_loss", "from": "low", "to": "high", "expect": "higher"],
      ["claim": "low is lowest", "metric": "controllable_loss", "condition": "low", "expect": "lowest"],
    ],
  ]
}

/// Writes `object` as spec.json in a new folder and returns its path.
private func writeSpec(_ object: [String: Any]) throws -> String {
  let path = makeTemporaryFolder() + "/spec.json"
  try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
  return path
}

/// The error message `SweepPlan.load` throws for the spec with `edit` applied.
private func specError(_ edit: (inout [String: Any]) -> Void) throws -> (message: String, path: String) {
  var object = specObject()
  edit(&object)
  let path = try writeSpec(object)
  do {
    _ = try SweepPlan.load(path, quick: false, presetFolders: presets)
  } catch let error as LamError {
    #expect(!error.message.contains("\n"))
    #expect(error.message.hasPrefix(path))
    return (error.message, path)
  }
  Issue.record("the spec was accepted")
  return ("", path)
}

@Test func sweepSpecRejectsAnUnknownKeyByItsPath() throws {
  let top = try specError { $0["seed"] = 1 }
  #expect(top.message.contains("unknown key 'seed'"))
  let nested = try specError { $0["conditions"] = [["name": "a", "env": "paper-4x4-clean", "sett": [:]]] }
  #expect(nested.message.contains("field 'conditions[0].sett'"))
  let base = try specError { $0["base"] = ["model": ["bottleneck": ["kind": "vq", "codez": 5]]] }
  #expect(base.message.contains("field 'base.model.bottleneck.codez'"))
}

@Test func sweepSpecRejectsAnUnknownPresetNamingTheCondition() throws {
  let error = try specError {
    $0["conditions"] = [["name": "x", "env": "no-such-env"]]
    $0["findings"] = nil
  }
  #expect(error.message.contains("conditions[0] 'x'.env 'no-such-env': no such file or preset"))
  #expect(error.message.contains("paper-4x4-clean"))
}

@Test func sweepSpecRejectsAnEmptySeedList() throws {
  let error = try specError { $0["seeds"] = [Int]() }
  #expect(error.message.hasSuffix("seeds: expected at least one seed"))
  let duplicate = try specError { $0["seeds"] = [1, 2, 1] }
  #expect(duplicate.message.contains("seeds: expected distinct seeds"))
}

@Test func sweepSpecRejectsADuplicateOrUnsafeConditionName() throws {
  let error = try specError {
    $0["conditions"] = [["name": "a", "env": "paper-4x4-clean"], ["name": "a", "env": "paper-4x4-noise-low"]]
  }
  #expect(error.message.contains("conditions[1].name: expected a name used once, got 'a' again"))
  let unsafe = try specError { $0["conditions"] = [["name": "a/b", "env": "paper-4x4-clean"]] }
  #expect(unsafe.message.contains("conditions[0].name: expected a file-name-safe name"))
}

@Test func sweepSpecRejectsAnUnknownMetric() throws {
  let error = try specError { $0["metrics"] = ["controllable_loss", "accuracy"] }
  #expect(error.message.contains("metrics[1]: expected one of controllable_loss,"))
  #expect(error.message.contains("got 'accuracy'"))
}

@Test func sweepSpecRejectsAFindingNamingAnUnknownCondition() throws {
  let error = try specError {
    $0["findings"] = [["claim": "c", "metric": "controllable_loss", "from": "low", "to": "medium", "expect": "higher"]]
  }
  #expect(error.message.contains("findings[0].to: expected a condition name, got 'medium'"))
  let expect = try specError {
    $0["findings"] = [["claim": "c", "metric": "controllable_loss", "from": "low", "to": "high", "expect": "bigger"]]
  }
  #expect(expect.message.contains("field 'findings[0].expect'"))
}

@Test func sweepSpecRejectsASetValueTheRunConfigRefuses() throws {
  let error = try specError { $0["conditions"] = [["name": "a", "env": "paper-4x4-clean", "set": ["train.lr": -1]]] }
  #expect(error.message.contains("conditions[0] 'a'"))
  #expect(error.message.contains("train.lr"))
  let size = try specError { $0["data"] = ["episodes": 0, "steps": 8] }
  #expect(size.message.contains("data.episodes: expected at least 1, got 0"))
}

@Test func sweepRunListIsTheConditionMajorCrossProductWithStableNames() throws {
  let plan = try SweepPlan.load(try writeSpec(specObject()), quick: false, presetFolders: presets)
  #expect(plan.runs.map(\.name) == ["low-seed0", "low-seed1", "low-seed2", "high-seed0", "high-seed1", "high-seed2"])
  #expect(plan.runs.map(\.index) == Array(0..<6))
  #expect(plan.runs.map(\.seed) == [0, 1, 2, 0, 1, 2])
  #expect(plan.runs.map(\.config.train.seed) == [0, 1, 2, 0, 1, 2])
  #expect(plan.runs.allSatisfy { $0.config.model.bottleneck.codes == 5 && $0.config.train.steps == 30 })
  #expect(plan.runs.map(\.config.remedies.augment) == [.none, .none, .none, .shift, .shift, .shift])
  #expect(plan.datasets.map(\.folder) == ["data/paper-4x4-noise-low-40x8", "data/paper-4x4-noise-high-40x8"])
  let quick = try SweepPlan.load(try writeSpec(specObject()), quick: true, presetFolders: presets)
  #expect(quick.runs.allSatisfy { $0.config.train.steps == 150 })
  #expect(quick.datasets.map(\.folder) == ["data/paper-4x4-noise-low-60x32", "data/paper-4x4-noise-high-60x32"])
}

@Test func theActionShareOfTheCeilingIsTheMLPProbeOverTheCeiling() throws {
  let dir = makeTemporaryFolder() + "/run"
  try writeRun(dir, controllable: 0.5, nmi: nil)
  let probe = try ProbeResults.load(run: dir)
  #expect(SweepMetric.actionOfCeiling.value(probe: probe, summary: nil) == 0.9 / 0.96)
  #expect(SweepMetric.actionOfCeiling.value(probe: nil, summary: nil) == nil)
}

@Test func theSwapAccuracyComesFromTheRunsReportAndIsMissingWithoutOne() throws {
  let dir = makeTemporaryFolder() + "/run"
  try writeRun(dir, controllable: 0.5, nmi: nil)
  let probe = try ProbeResults.load(run: dir)
  #expect(SweepMetric.swapAccuracy.value(probe: probe, summary: nil) == nil)
  try FileManager.default.createDirectory(atPath: dir + "/report", withIntermediateDirectories: true)
  let numbers = #"{"format_version": 1, "step": 10, "centroid_action_accuracy": 0.5, "distractor_names": [], "# + "\n"
    + #""centroid_distractor_accuracies": [], "swap_pairs": 200, "swap_accuracy": 0.83, "swap_follows_target": 0.1, "#
    + #""swap_follows_source_cell": 0.05, "swap_accuracy_by_action": {"up": 0.9}}"#
  try numbers.write(toFile: dir + "/report/report.json", atomically: true, encoding: .utf8)
  let report = try ReportNumbers.load(report: dir + "/report")
  #expect(SweepMetric.swapAccuracy.value(probe: probe, summary: nil, report: report) == 0.83)
  #expect(SweepMetric.swapAccuracy.ceiling(probe: probe) == 1)
}

@Test func sweepRunsPickTheArchitectureForTheirFramesUnlessTheConfigNamesIt() throws {
  var object = specObject()
  object["conditions"] = [["name": "small", "env": "paper-4x4-clean"], ["name": "rgb", "env": "distractors-8x8"],
                          ["name": "rgb-mlp", "env": "distractors-8x8", "set": ["model.architecture": "mlp"]]]
  object["findings"] = nil
  let plan = try SweepPlan.load(try writeSpec(object), quick: false, presetFolders: presets)
  #expect(plan.runs.filter { $0.seed == 0 }.map(\.config.model.architecture) == [.mlp, .conv, .mlp])
}

@Test func sweepConditionsSharingAnEnvironmentShareItsDataset() throws {
  var object = specObject()
  object["conditions"] = [["name": "a", "env": "paper-4x4-clean"], ["name": "b", "env": "paper-4x4-clean", "set": ["train.lr": 0.01]]]
  object["findings"] = nil
  let plan = try SweepPlan.load(try writeSpec(object), quick: false, presetFolders: presets)
  #expect(plan.datasets.count == 1)
  #expect(Set(plan.runs.map(\.data)) == ["data/paper-4x4-clean-40x8"])
}

@Test func sweepEnvironmentFilesAreRelativeToTheSpecFolder() throws {
  var object = specObject()
  object["conditions"] = [["name": "mine", "env": "envs/small.json"]]
  object["findings"] = nil
  let spec = try writeSpec(object)
  let folder = URL(fileURLWithPath: spec).deletingLastPathComponent().path
  try FileManager.default.createDirectory(atPath: folder + "/envs", withIntermediateDirectories: true)
  try Data(#"{"description": "small", "episodeLength": 7}"#.utf8).write(to: URL(fileURLWithPath: folder + "/envs/small.json"))
  let plan = try SweepPlan.load(spec, quick: false, presetFolders: presets)
  #expect(plan.datasets.map(\.folder) == ["data/small-40x8"])
  #expect(plan.datasets[0].environment.episodeLength == 7)
  try FileManager.default.removeItem(atPath: folder + "/envs/small.json")
  #expect(throws: LamError("\(spec): conditions[0] 'mine'.env 'envs/small.json': no such file (\(folder)/envs/small.json)")) {
    try SweepPlan.load(spec, quick: false, presetFolders: presets)
  }
}

/// Writes a run folder's probe.json with these values (nil: absent) and summary.json.
private func writeRun(_ dir: String, controllable: Double?, nmi: Double?) throws {
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  let score = #"{"linear": {"test_accuracy": 0.8, "balanced_accuracy": 0.8, "nmi": 0.5}, "#
    + #""mlp": {"test_accuracy": 0.9, "balanced_accuracy": 0.9, "nmi": 0.6}, "chance": 0.2, "balanced_chance": 0.2, "ceiling": 0.96}"#
  let codes = nmi.map { #", "codes": {"contingency": [], "purity": 0.5, "nmi": \#($0), "codes_used": 0, "codebook_size": 5}"# } ?? ""
  let probe = #"{"format_version": 2, "verdict": "", "latent": "pre-quantization", "train_transitions": 10, "#
    + #""test_transitions": 10, "action": \#(score), "distractor_names": [], "#
    + #""distractors": [], "distractor_positions": [], "position": \#(score), "#
    + #""paper": {"distractor_losses": [], "distractor_losses_shuffled": [], "stochastic_loss": 0.5\#(controllable.map { ", \"controllable_loss\": \($0)" } ?? "")}\#(codes)}"#
  try Data(probe.utf8).write(to: URL(fileURLWithPath: dir + "/probe.json"))
  let summary = #"{"steps": 10, "loss": 1, "recon": 1, "val_recon": 0.25, "samples_per_s": 100, "seconds": 1, "stopped_early": false}"#
  try Data(summary.utf8).write(to: URL(fileURLWithPath: dir + "/summary.json"))
}

@Test func sweepCollectComputesMeansStandardErrorsAndFindings() throws {
  let plan = try SweepPlan.load(try writeSpec(specObject()), quick: false, presetFolders: presets)
  let out = makeTemporaryFolder()
  try SweepManifest.prepare(out, plan: plan, force: false)
  // low: controllable 1, 2, 4; nmi only on seed 0. high: 3 and 5 finished, seed 2 failed.
  try writeRun(out + "/runs/low-seed0", controllable: 1, nmi: 0.5)
  try writeRun(out + "/runs/low-seed1", controllable: 2, nmi: nil)
  try writeRun(out + "/runs/low-seed2", controllable: 4, nmi: nil)
  try writeRun(out + "/runs/high-seed0", controllable: 3, nmi: nil)
  try writeRun(out + "/runs/high-seed1", controllable: 5, nmi: nil)
  try Data("step 3: the loss is not finite\n".utf8).write(to: URL(fileURLWithPath: out + "/runs/high-seed2.failed"))

  let results = try SweepResults.read(out)
  _ = try results.write(to: out)
  let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8).split(separator: "\n").map {
    $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
  }
  #expect(summary[0] == ["condition", "n", "controllable_loss_mean", "controllable_loss_se", "code_nmi_mean", "code_nmi_se"])
  let mean = 7.0 / 3
  let se = ((pow(1 - mean, 2) + pow(2 - mean, 2) + pow(4 - mean, 2)) / 2).squareRoot() / 3.0.squareRoot()
  #expect(summary[1][0] == "low" && summary[1][1] == "3")
  #expect(isClose(Double(summary[1][2])!, mean, relative: 1e-12))
  #expect(isClose(Double(summary[1][3])!, se, relative: 1e-12))
  #expect(Double(summary[1][4]) == 0.5 && summary[1][5] == "")  // one value: no standard error
  #expect(summary[2][0] == "high" && summary[2][1] == "2")
  #expect(Double(summary[2][2]) == 4 && isClose(Double(summary[2][3])!, 1, relative: 1e-12))  // sd sqrt(2), / sqrt(2)
  #expect(summary[2][4] == "" && summary[2][5] == "")

  let rows = try String(contentsOfFile: out + "/results.csv", encoding: .utf8).split(separator: "\n").map(String.init)
  #expect(rows[0] == "name,condition,env,seed,status,controllable_loss,code_nmi")
  #expect(rows[2] == "low-seed1,low,paper-4x4-noise-low,1,finished,2.0,")
  #expect(rows[6] == "high-seed2,high,paper-4x4-noise-high,2,failed,,")

  // high (4 ± 1) > low (7/3 ± 0.88), but by 1.67 < 2 sqrt(0.88² + 1²) = 2.67: within noise, for both findings.
  #expect(results.findings.map(\.verdict) == [.withinNoise, .withinNoise])
  let markdown = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
  #expect(markdown.contains("| noise raises it | controllable_loss | high higher than low | low 2.333 -> high 4 | within noise |"))
  #expect(markdown.contains("- high-seed2: failed (step 3: the loss is not finite; see runs/high-seed2.log)"))
  #expect(markdown.contains("![controllable_loss](plots/controllable_loss.png)"))
  #expect(FileManager.default.fileExists(atPath: out + "/plots/code_nmi.png"))
}

@Test func sweepFindingsCountADifferenceOnlyBeyondTwoStandardErrorsAndAreUnknownWhenAMeanIsMissing() throws {
  let plan = try SweepPlan.load(try writeSpec(specObject()), quick: false, presetFolders: presets)
  let out = makeTemporaryFolder()
  try SweepManifest.prepare(out, plan: plan, force: false)
  try writeRun(out + "/runs/low-seed0", controllable: 3, nmi: nil)
  try writeRun(out + "/runs/high-seed0", controllable: 2, nmi: nil)
  // One seed each: no standard error, so the comparison is exact.
  #expect(try SweepResults.read(out).findings.map(\.verdict) == [.no, .no])
  try writeRun(out + "/runs/low-seed1", controllable: 3.2, nmi: nil)
  try writeRun(out + "/runs/high-seed1", controllable: 5, nmi: nil)
  try writeRun(out + "/runs/high-seed2", controllable: 5.2, nmi: nil)
  // low 3.1 ± 0.1, high 4.07 ± 1.03: higher by 0.97 < 2 sqrt(0.1² + 1.03²) = 2.08: within noise.
  #expect(try SweepResults.read(out).findings.map(\.verdict) == [.withinNoise, .withinNoise])
  try writeRun(out + "/runs/high-seed0", controllable: 5.1, nmi: nil)
  // high 5.1 ± 0.058: higher by 2 > 2 sqrt(0.1² + 0.058²) = 0.23: yes, and low is the lowest beyond noise.
  #expect(try SweepResults.read(out).findings.map(\.verdict) == [.yes, .yes])
  try FileManager.default.removeItem(atPath: out + "/runs/high-seed0")
  try FileManager.default.removeItem(atPath: out + "/runs/high-seed1")
  try FileManager.default.removeItem(atPath: out + "/runs/high-seed2")
  let partial = try SweepResults.read(out)
  #expect(partial.findings.map(\.verdict) == [nil, nil])
  #expect(partial.rows.filter { $0.status == .missing }.count == 4)
}

@Test func sweepFolderRefusesAnotherSpecWithoutForce() throws {
  let out = makeTemporaryFolder()
  let plan = try SweepPlan.load(try writeSpec(specObject()), quick: false, presetFolders: presets)
  try SweepManifest.prepare(out, plan: plan, force: false)
  let quick = try SweepPlan.load(try writeSpec(specObject()), quick: true, presetFolders: presets)
  #expect(throws: LamError.self) { try SweepManifest.prepare(out, plan: quick, force: false) }
  try SweepManifest.prepare(out, plan: quick, force: true)
  #expect(try SweepManifest.load(from: out).quick)
}

@Test func anEvaluationEnvironmentGetsItsOwnSmallerDatasetFromTheNextSeed() throws {
  var object = specObject()
  object["conditions"] = [
    ["name": "uniform", "env": "paper-4x4-noise-low"],
    ["name": "correlated", "env": "paper-4x4-correlated", "evalEnv": "paper-4x4-noise-low"],
  ]
  object["findings"] = nil
  let plan = try SweepPlan.load(try writeSpec(object), quick: false, presetFolders: presets)
  #expect(plan.datasets.map(\.folder) == ["data/paper-4x4-noise-low-40x8", "data/paper-4x4-correlated-40x8",
                                          "data/paper-4x4-noise-low-2x8-eval"])
  // 5% of 40 episodes is 2; the seed after the data seed (0), so no episode is shared with training data.
  #expect(plan.datasets[2].episodes == 2 && plan.datasets[2].seed == 1)
  #expect(plan.runs.map(\.evalData) == [nil, nil, nil, "data/paper-4x4-noise-low-2x8-eval",
                                        "data/paper-4x4-noise-low-2x8-eval", "data/paper-4x4-noise-low-2x8-eval"])
  let unknown = try specError {
    $0["conditions"] = [["name": "a", "env": "paper-4x4-clean", "evalEnv": "nowhere"]]
    $0["findings"] = nil
  }
  #expect(unknown.message.contains("conditions[0] 'a'.evalEnv 'nowhere': no such file or preset"))
}

@Test func collectRefusesASweepJSONWhoseSpecDoesNotValidate() throws {
  let plan = try SweepPlan.load(try writeSpec(specObject()), quick: false, presetFolders: presets)
  let out = makeTemporaryFolder()
  try SweepManifest.prepare(out, plan: plan, force: false)
  let path = out + "/sweep.json"
  let text = try String(contentsOfFile: path, encoding: .utf8)
  try text.replacingOccurrences(of: "\"code_nmi\"", with: "\"accuracy\"").write(toFile: path, atomically: true, encoding: .utf8)
  #expect { _ = try SweepResults.read(out) } throws: { "\($0)".contains("sweep.json (spec): metrics[1]: expected one of") }
}

@Test("sweep plots draw a dot per run and the chance and ceiling levels, with human axis labels; a metric no run has gets no plot")
func sweepPlotsShowRunsAndReferenceLevelsAndSkipEmptyMetrics() throws {
  var object = specObject()
  object["metrics"] = ["controllable_loss", "action_probe", "distractor_probe"]
  let plan = try SweepPlan.load(try writeSpec(object), quick: false, presetFolders: presets)
  let out = makeTemporaryFolder()
  try SweepManifest.prepare(out, plan: plan, force: false)
  for (run, value) in [("low-seed0", 1.0), ("low-seed1", 2.0), ("low-seed2", 4.0), ("high-seed0", 3.0)] {
    try writeRun(out + "/runs/" + run, controllable: value, nmi: nil)  // no distractors: no distractor_probe
  }
  // An empty chart left by an earlier collect goes too.
  try FileManager.default.createDirectory(atPath: out + "/plots", withIntermediateDirectories: true)
  try Data([1]).write(to: URL(fileURLWithPath: out + "/plots/distractor_probe.png"))

  let results = try SweepResults.read(out)
  #expect(results.plottedMetrics == [.controllableLoss, .actionProbe])
  _ = try results.write(to: out)
  #expect(FileManager.default.fileExists(atPath: out + "/plots/action_probe.png"))
  #expect(!FileManager.default.fileExists(atPath: out + "/plots/distractor_probe.png"))
  let markdown = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
  #expect(markdown.contains("![action_probe](plots/action_probe.png)"))
  #expect(!markdown.contains("plots/distractor_probe.png"))
  #expect(markdown.contains("each dot one run (seed)"))

  // Each run's value is kept per condition in seed order; probe.json's chance 0.2 and ceiling 0.96 are averaged.
  let low = results.summary[0]
  #expect(low.values[0] == [1, 2, 4])
  #expect(isClose(low.chance[1]!, 0.2, relative: 1e-12) && isClose(low.ceiling[1]!, 0.96, relative: 1e-12))
  #expect(low.chance[0] == nil && low.ceiling[0] == nil)  // no controllable_loss_shuffled in these files

  let chart = results.chart(.actionProbe)
  #expect(chart.yLabel == "action probe (MLP): held-out accuracy")
  #expect(results.chart(.controllableLoss).yLabel == "controllable loss (MSE / pixel variance of o')")
  #expect(chart.marks.map(\.colour) == [SweepResults.chanceColour, SweepResults.ceilingColour])
  #expect(chart.marks[0].values.joined().allSatisfy { isClose($0, 0.2, relative: 1e-12) })
  #expect(chart.marks[1].values.joined().allSatisfy { isClose($0, 0.96, relative: 1e-12) })
  #expect(chart.marks[0].values.count == 2)
  let image = chart.render()
  func count(_ colour: Colour) -> Int {
    var n = 0
    for y in 0..<image.height { for x in 0..<image.width where image.pixel(x: x, y: y) == colour { n += 1 } }
    return n
  }
  // Four runs: four dots of radius 3 (about 28 pixels each) plus the legend's; two bars of chance and ceiling.
  #expect(count(SweepResults.runColour) > 4 * 20, "run dots")
  #expect(count(SweepResults.chanceColour) > 2 * 2 * 100, "chance marks")
  #expect(count(SweepResults.ceilingColour) > 2 * 2 * 100, "ceiling marks")
}

import Foundation
import Testing
import TestSupport

private let tiny = ["--do", "16", "--da", "2", "--db", "2", "--dz", "2", "--steps", "50", "--probe-train", "512", "--probe-eval", "512"]

private func expectOneLineError(_ arguments: [String], mentioning flag: String) throws {
  let result = try runLam(["linear"] + arguments)
  #expect(result.status != 0, "\(arguments) should fail")
  let lines = result.stderr.split(separator: "\n")
  #expect(lines.count == 1, "\(arguments): \(result.stderr)")
  #expect(result.stderr.contains(flag), "\(arguments): \(result.stderr)")
  #expect(result.stdout.isEmpty)
}

@Test func linearRejectsALatentDimensionBelowOne() throws {
  try expectOneLineError(["--dz", "0"], mentioning: "--dz")
}

@Test func linearRejectsANegativeSigma() throws {
  try expectOneLineError(["--sigma=-1"], mentioning: "--sigma")
}

@Test func linearRejectsChiOutsideTheUnitInterval() throws {
  try expectOneLineError(["--chi", "1.2"], mentioning: "--chi")
}

@Test func linearRejectsALabelFractionOutsideTheUnitInterval() throws {
  try expectOneLineError(["--label-fraction", "1.5"], mentioning: "--label-fraction")
}

@Test func linearRejectsAnUnknownSetting() throws {
  try expectOneLineError(["--setting", "storm"], mentioning: "--setting")
}

@Test func linearRejectsAnUnknownExperimentAndABadSweep() throws {
  try expectOneLineError(["--experiment", "magic"], mentioning: "--experiment")
  try expectOneLineError(["--sweep", "dz=9..2"], mentioning: "--sweep")
}

@Test func linearRunWritesResultsWithTheDocumentedHeaderAndRefusesToOverwrite() throws {
  let folder = makeTemporaryFolder() + "/run"
  let result = try runLam(["linear"] + tiny + ["--out", folder])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("LLO as we define it"))
  let csv = try String(contentsOfFile: folder + "/results.csv", encoding: .utf8)
  let lines = csv.split(separator: "\n")
  #expect(lines.count == 2)
  #expect(lines[0] == "setting,d_o,d_a,d_b,d_z,sigma,chi,learn_a,tie_d,kappa,label_fraction,label_weight,clean,batch,steps,lr,probe,probe_train,probe_eval,eval_noise_free,eval_random_actions,seed,action_mse,obs_mse,noise_mse,recon_mse,llo,angle_deg,pca_action_mse,pca_obs_mse,pca_noise_mse,pca_recon_mse,pca_llo")
  // A second run into the same folder is refused and leaves the results alone; --force replaces them.
  let again = try runLam(["linear"] + tiny + ["--out", folder, "--seed", "3"])
  #expect(again.status != 0 && again.stderr.contains("already exists"))
  #expect(try String(contentsOfFile: folder + "/results.csv", encoding: .utf8) == csv)
  let forced = try runLam(["linear"] + tiny + ["--out", folder, "--seed", "3", "--force"])
  #expect(forced.status == 0)
  #expect(try String(contentsOfFile: folder + "/results.csv", encoding: .utf8) != csv)
}

@Test func linearJSONPrintsOneRowPerRunAndIsRepeatable() throws {
  let first = try runLam(["linear"] + tiny + ["--setting", "all", "--json"])
  #expect(first.status == 0, "\(first.stderr)")
  let rows = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as! [[String: Any]]
  #expect(rows.map { $0["setting"] as? String } == ["none", "iid", "uniform", "agents"])
  let second = try runLam(["linear"] + tiny + ["--setting", "all", "--json", "--threads", "1"])
  #expect(second.stdout == first.stdout)
}

@Test func linearSweepWritesResultsAndSummary() throws {
  let folder = makeTemporaryFolder() + "/sweep"
  let result = try runLam(["linear"] + tiny + ["--sweep", "dz=1..2", "--seeds", "2", "--out", folder])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stderr.contains("[4/4]"))
  let results = try String(contentsOfFile: folder + "/results.csv", encoding: .utf8).split(separator: "\n")
  #expect(results.count == 5)
  let summary = try String(contentsOfFile: folder + "/summary.csv", encoding: .utf8).split(separator: "\n")
  #expect(summary.count == 3)
  #expect(summary[0].contains("llo_mean,llo_std,llo_min,llo_max"))
  // The Figure-3 style picture and the loss curves are PNG files.
  for picture in ["sweep.png", "loss.png"] {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + picture))
    #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(picture)")
  }
}

/// The rows of a results.csv as dictionaries keyed by its header.
private func csvRows(_ path: String) throws -> [[String: String]] {
  let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
  return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
}

@Test("lam linear --setting uniform trains on uniform noise and says so in results.csv")
func linearUniformSettingRuns() throws {
  let folder = makeTemporaryFolder() + "/uniform"
  let result = try runLam(["linear"] + tiny + ["--setting", "uniform", "--out", folder])
  #expect(result.status == 0, "\(result.stderr)")
  let rows = try csvRows(folder + "/results.csv")
  #expect(rows.count == 1 && rows[0]["setting"] == "uniform")
  #expect(Double(rows[0]["noise_mse"]!)! < 1.01)
}

@Test("lam linear --eval-noise-free --eval-random-actions records both evaluations, with noise MSE 1")
func linearEvaluationFlagsReachTheResults() throws {
  let folder = makeTemporaryFolder() + "/eval"
  let result = try runLam(["linear"] + tiny + ["--chi", "0.3", "--eval-noise-free", "--eval-random-actions", "--out", folder])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("noise-free transitions") && result.stdout.contains("actions drawn independently"))
  let rows = try csvRows(folder + "/results.csv")
  #expect(rows[0]["eval_noise_free"] == "true" && rows[0]["eval_random_actions"] == "true")
  #expect(rows[0]["noise_mse"] == "1" && rows[0]["pca_noise_mse"] == "1")
}

@Test("lam linear --sweep da=2,3 writes one row per action dimension")
func linearSweepsTheActionDimension() throws {
  let folder = makeTemporaryFolder() + "/da"
  let result = try runLam(["linear"] + tiny + ["--sweep", "da=2,3", "--out", folder])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(try csvRows(folder + "/results.csv").map { $0["d_a"] } == ["2", "3"])
  try expectOneLineError(["--sweep", "da=1.5"], mentioning: "--sweep")
}

@Test("An experiment prints its runtime and the step budget it trained for; help lists each experiment's budget")
func linearExperimentPrintsItsRuntime() throws {
  let folder = makeTemporaryFolder() + "/labels"
  let result = try runLam(["linear"] + tiny + ["--experiment", "labels", "--out", folder])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stderr.contains("experiment labels: 12 runs of 50 steps in "), "\(result.stderr)")
  let help = try runLam(["linear", "--help"])
  #expect(help.stdout.contains("labels 40000") && help.stdout.contains("augmentation 40000"), "\(help.stdout)")
}

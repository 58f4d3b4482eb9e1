import Core
import Foundation
import LinearLAM
import Testing

private func message(_ edit: (inout LinearConfig) -> Void) -> String? {
  var c = LinearConfig()
  edit(&c)
  do {
    try c.validate()
    return nil
  } catch let error as LamError {
    return error.message
  } catch {
    return "unexpected \(error)"
  }
}

@Test func defaultConfigIsValid() throws {
  try LinearConfig().validate()
}

@Test func latentDimensionBelowOneIsRejected() {
  #expect(message { $0.latentDim = 0 } == "--dz: expected an integer >= 1, got 0")
}

@Test func negativeSigmaIsRejected() {
  #expect(message { $0.sigma = -0.5 } == "--sigma: expected a finite number >= 0, got -0.5")
}

@Test func chiOutsideTheUnitIntervalIsRejected() {
  #expect(message { $0.chi = 1.5 } == "--chi: expected a number in [0, 1], got 1.5")
  #expect(message { $0.chi = -0.1 } != nil)
}

@Test func labelFractionOutsideTheUnitIntervalIsRejected() {
  #expect(message { $0.labelFraction = 2 } == "--label-fraction: expected a number in [0, 1], got 2.0")
}

@Test func cleaningEverythingIsRejected() {
  #expect(message { $0.cleanFraction = 1 } == "--clean: expected a number in [0, 1), got 1.0")
}

@Test func dimensionsThatDoNotFitAreRejected() {
  #expect(message { $0.actionDim = 100; $0.agentDim = 100 } == "--da + --db: expected at most --do (128), got 200")
}

@Test func unknownSettingIsRejected() {
  #expect(throws: LamError("--setting: expected one of none, iid, uniform, agents, all; got 'noisy'")) {
    try NoiseSetting(parsing: "noisy")
  }
}

@Test func sweepSpecsParseRangesStepsAndLists() throws {
  #expect(try SweepAxis(parsing: "dz=2..5") == SweepAxis(key: .dz, values: [2, 3, 4, 5]))
  #expect(try SweepAxis(parsing: "dz=2..16:7") == SweepAxis(key: .dz, values: [2, 9, 16]))
  #expect(try SweepAxis(parsing: "sigma=0.5,1,2") == SweepAxis(key: .sigma, values: [0.5, 1, 2]))
  #expect(try SweepAxis(parsing: "label-fraction=0,0.05") == SweepAxis(key: .labelFraction, values: [0, 0.05]))
}

@Test func badSweepSpecsAreRejected() {
  #expect(throws: LamError.self) { try SweepAxis(parsing: "width=1..3") }
  #expect(throws: LamError.self) { try SweepAxis(parsing: "dz=5..2") }
  #expect(throws: LamError.self) { try SweepAxis(parsing: "sigma=1,x") }
  #expect(throws: LamError("--sweep dz=1.5,2: dz takes integers, got 1.5")) { try SweepAxis(parsing: "dz=1.5,2") }
}

@Test func gridExpandsSettingsAxesAndSeedsAndValidatesEachRun() throws {
  let axes = [SweepAxis(key: .dz, values: [2, 3]), SweepAxis(key: .sigma, values: [0.5, 1])]
  let grid = try expandGrid(base: LinearConfig(), settings: [.none, .agents], axes: axes, seeds: [7, 8])
  #expect(grid.count == 2 * 2 * 2 * 2)
  #expect(grid[0].setting == .none && grid[0].latentDim == 2 && grid[0].sigma == 0.5 && grid[0].seed == 7)
  #expect(grid[1].seed == 8)
  #expect(grid[2].sigma == 1)
  #expect(grid.last!.setting == .agents && grid.last!.latentDim == 3 && grid.last!.sigma == 1 && grid.last!.seed == 8)
  #expect(throws: LamError("--sigma: expected a finite number >= 0, got -1.0")) {
    try expandGrid(base: LinearConfig(), settings: [.iid], axes: [SweepAxis(key: .sigma, values: [1, -1])], seeds: [0])
  }
}

@Test func everyExperimentPlansValidRuns() throws {
  for e in LinearExperiment.allCases {
    let plan = try e.plan(base: LinearConfig(), seeds: [0])
    #expect(!plan.configs.isEmpty)
    for c in plan.configs { try c.validate() }
  }
}

@Test func tableHasTheDocumentedHeaderAndOneRowPerRun() throws {
  var c = LinearConfig()
  c.observationDim = 16
  c.actionDim = 2
  c.agentDim = 2
  c.latentDim = 2
  c.steps = 20
  c.probeTrainSize = 256
  c.probeEvalSize = 256
  let r = try runLinearLAM(c)
  let lines = LinearTable.csv([r, r]).split(separator: "\n")
  #expect(lines.count == 3)
  #expect(lines[0].hasPrefix("setting,d_o,d_a,d_b,d_z,sigma,chi,learn_a,tie_d,kappa,label_fraction,label_weight,clean,batch,steps,lr,probe,probe_train,probe_eval,eval_noise_free,eval_random_actions,seed,action_mse,obs_mse,noise_mse,recon_mse,llo,angle_deg"))
  #expect(lines[1].hasPrefix("agents,16,2,2,2,1,0,true,false,0,0,1,0,128,20,0.01,pseudo,256,256,false,false,0,"))
  let json = try JSONSerialization.jsonObject(with: LinearTable.json([r])) as! [[String: Any]]
  #expect(json.count == 1 && json[0]["setting"] as? String == "agents" && json[0]["d_z"] as? Int == 2)
  #expect(abs((json[0]["llo"] as! Double) - r.trained.llo) < 1e-5)
}

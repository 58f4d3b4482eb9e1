import Core
import LinearLAM
import Testing

@Test("A d_a sweep gives one row per value, each run in a world of that action dimension")
func actionDimensionSweepGivesOneRowPerValue() throws {
  let axis = try SweepAxis(parsing: "da=2,3,6")
  #expect(axis == SweepAxis(key: .da, values: [2, 3, 6]))
  var base = LinearConfig()
  base.observationDim = 16
  base.latentDim = 2
  base.steps = 400
  base.probeTrainSize = 4096
  base.probeEvalSize = 8192
  let plan = try LinearPlan.sweep(base: base, settings: [.none], axes: [axis], seeds: [0])
  let results = try runLinearBatch(plan.configs, threads: 2)
  let rows = LinearTable.csv(results).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
  let column = LinearTable.columns.firstIndex(of: "d_a")!
  #expect(rows.count == 4)
  #expect(rows.dropFirst().map { String($0[column]) } == ["2", "3", "6"])
  for r in results {
    let dA = r.config.actionDim
    // Without noise the change W_a a has rank d_a: d_a unit eigenvalues, then zeros.
    #expect(abs(r.eigenvalues[dA - 1] - 1) < 1e-9 && abs(r.eigenvalues[dA]) < 1e-9)
    // d_z = 2 holds min(2, d_a) of the d_a equally varying action directions.
    #expect(abs(r.pca.actionMSE - max(0, 1 - 2 / Double(dA))) < 0.01, "d_a \(dA): \(r.pca.actionMSE)")
  }
}

@Test("A d_a sweep refuses fractional values and worlds where d_a + d_b exceeds d_o")
func actionDimensionSweepRefusesBadValues() {
  #expect(throws: LamError("--sweep da=2.5: da takes integers, got 2.5")) { try SweepAxis(parsing: "da=2.5") }
  #expect(throws: LamError("--da + --db: expected at most --do (128), got 129")) {
    try expandGrid(base: LinearConfig(), settings: [.agents], axes: [SweepAxis(key: .da, values: [8, 121])], seeds: [0])
  }
}

@Test("Label and augmentation experiments default to 40000 steps, the budget at which they converge")
func experimentBudgetsConverge() {
  #expect(LinearExperiment.labels.defaultSteps == 40000)
  #expect(LinearExperiment.augmentation.defaultSteps == 40000)
  #expect(LinearExperiment.cleaning.defaultSteps == 12000 && LinearExperiment.policy.defaultSteps == 12000)
  // The convergence study sweeps the step count itself.
  #expect(LinearExperiment.convergence.defaultSteps == nil)
}

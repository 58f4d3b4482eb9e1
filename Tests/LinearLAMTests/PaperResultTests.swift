import Core
import LinearLAM
import Testing

// The paper's six linear-LAM results on a scaled-down world (d_o = 32, d_a = d_b = 4) so each
// run takes a fraction of a second; docs/linear-lab.md has the full-size numbers.
private func fast(
  _ setting: NoiseSetting = .agents, dz: Int = 4, sigma: Double = 1, steps: Int = 1500,
  _ edit: (inout LinearConfig) -> Void = { _ in }
) -> LinearConfig {
  var c = LinearConfig()
  c.setting = setting
  c.observationDim = 32
  c.actionDim = 4
  c.agentDim = 4
  c.latentDim = dz
  c.sigma = sigma
  c.steps = steps
  c.probeTrainSize = 4096
  c.probeEvalSize = 8192
  edit(&c)
  return c
}

private func run(_ configs: [LinearConfig]) throws -> [LinearResult] {
  try runLinearBatch(configs, threads: 2)
}

@Test func result1TrainedSpanOfBIsThePrincipalSubspace() throws {
  let configs = [
    fast(.agents, dz: 4, sigma: 0.5),  // action on top
    fast(.agents, dz: 4, sigma: 2),  // noise on top
    fast(.agents, dz: 6, sigma: 2),  // all noise plus part of a tied action block
    fast(.iid, dz: 4),
    fast(.none, dz: 6),  // more latent dimensions than the change has
  ]
  for r in try run(configs) {
    #expect(r.largestAngleDegrees < 5, "\(r.config.setting) d_z \(r.config.latentDim) sigma \(r.config.sigma): \(r.largestAngleDegrees) deg")
    // Converged to the optimum: the reconstruction error of the ideal PCA model.
    #expect(r.trained.reconstructionMSE < r.pca.reconstructionMSE * 1.02 + 1e-4)
  }
}

@Test func result2TheLatentTakesWhateverVariesMost() throws {
  let r = try run([fast(sigma: 2), fast(sigma: 0.5), fast(dz: 8, sigma: 2)])
  #expect(r[0].trained.actionMSE > 0.8)  // noise variance 4 > 1: z holds the other agents
  #expect(r[0].trained.noiseMSE < 0.2)
  #expect(r[1].trained.actionMSE < 0.2)  // noise variance 0.25 < 1: z holds the action
  #expect(r[2].trained.actionMSE < 0.1 && r[2].trained.noiseMSE < 0.1)  // d_z = d_a + d_b: both
}

@Test func result3SpareDimensionsLeakTheObservationAndAugmentationRemovesIt() throws {
  // No noise, rank 4, d_z = 5: one spare dimension; probes read z itself.
  let plain = fast(.none, dz: 5, steps: 3000) { $0.probe = .z }
  var augmented = plain
  augmented.kappa = 0.1
  let r = try run([plain, augmented])
  #expect(r[0].trained.observationMSE < 0.9)
  #expect(r[1].trained.observationMSE > 0.95)
  // The pseudo latent hides the leak (A cancels it), which is why the paper switches to z here.
  let pseudo = try run([fast(.none, dz: 5, steps: 3000)])
  #expect(pseudo[0].trained.observationMSE > 0.98)
}

@Test func result4AFewActionLabelsPullTheLatentToTheAction() throws {
  let r = try run([fast(sigma: 2), fast(sigma: 2) { $0.labelFraction = 0.05 }])
  #expect(r[0].trained.actionMSE > 0.8)
  #expect(r[1].trained.actionMSE < 0.2)
}

@Test func result5CleaningHelpsWhereActionAndNoiseTie() throws {
  // sigma = 1: action and noise variances tie, so d_z = d_a holds about half of each.
  let r = try run([fast(sigma: 1), fast(sigma: 1) { $0.cleanFraction = 0.3 }])
  #expect(r[1].trained.actionMSE < r[0].trained.actionMSE * 2 / 3)
  // Uncleaned, the 4th and 5th eigenvalues tie (action and noise blocks of equal variance), so PCA has no
  // unique answer: which tied eigenvectors LAPACK returns differs between CPUs, and so does the PCA probe.
  // Cleaning breaks the tie in the action's favour and makes the PCA latent the action.
  let (plain, cleaned) = (r[0].eigenvalues, r[1].eigenvalues)
  #expect(abs(plain[3] - plain[4]) < 1e-9 * plain[0])
  #expect(cleaned[3] > cleaned[4] * 1.2)
  #expect(r[1].pca.actionMSE < 0.25)
}

@Test func result5CleaningBarelyHelpsWhenTheNoiseDominates() throws {
  // sigma = 2: after dropping 30% the kept noise variance is still about 3 > 1.
  let r = try run([fast(sigma: 2), fast(sigma: 2) { $0.cleanFraction = 0.3 }])
  #expect(r[1].trained.actionMSE > 0.8)
  #expect(r[1].pca.actionMSE > 0.8)
}

@Test func result6ObservationDependentActionsLeaveTheLatent() throws {
  let r = try run([fast(sigma: 0.5), fast(sigma: 0.5) { $0.chi = 0.8 }])
  #expect(r[0].trained.actionMSE < 0.1)
  #expect(r[1].trained.actionMSE > r[0].trained.actionMSE + 0.5)
}

@Test func sameSeedGivesIdenticalResultsForAnyThreadCount() throws {
  let configs = [fast(steps: 200), fast(.iid, steps: 200) { $0.kappa = 0.1; $0.labelFraction = 0.1 }, fast(steps: 200) { $0.cleanFraction = 0.2 }]
  let one = try runLinearBatch(configs, threads: 1)
  let two = try runLinearBatch(configs, threads: 2)
  #expect(one == two)
  // A different seed changes the numbers.
  var other = configs[0]
  other.seed = 1
  #expect(try runLinearLAM(other).trained != one[0].trained)
}

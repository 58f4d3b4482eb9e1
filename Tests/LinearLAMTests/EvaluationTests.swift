import Core
import LinearLAM
import NN
import Testing

// The paper's two alternative evaluations: probes on noise-free transitions (its i.i.d.-noise
// figure) and on actions drawn at random after training under an observation-dependent policy
// (its policy result). A small world (d_o = 32, d_a = d_b = 4) keeps each run under a second.
private func small(_ setting: NoiseSetting, sigma: Double, chi: Double = 0, steps: Int = 1500, _ edit: (inout LinearConfig) -> Void = { _ in }) -> LinearConfig {
  var c = LinearConfig()
  c.setting = setting
  c.observationDim = 32
  c.actionDim = 4
  c.agentDim = 4
  c.latentDim = 4
  c.sigma = sigma
  c.chi = chi
  c.steps = steps
  c.probeTrainSize = 8192
  c.probeEvalSize = 16384
  edit(&c)
  return c
}

@Test("Removing the noise leaves o' = o + W_a a and keeps o and a")
func removingTheNoiseLeavesOnlyTheAction() {
  for setting in NoiseSetting.allCases {
    var rng = RNG(seed: 3)
    let c = small(setting, sigma: 2)
    let world = LinearWorld(c, rng: &rng)
    let t = world.sample(64, rng: &rng)
    let (o, a) = (t.observation.array, t.action.array)
    world.removeNoise(from: t)
    #expect(t.observation.array == o && t.action.array == a)
    let (dO, dA) = (c.observationDim, c.actionDim)
    var worst = 0.0
    for r in 0..<t.count {
      for i in 0..<dO {
        var q = 0.0
        for k in 0..<dA { q += world.actionBasis[i * dA + k] * Double(a[r * dA + k]) }
        worst = max(worst, abs(Double(t.next[r * dO + i] - o[r * dO + i]) - q))
      }
    }
    #expect(worst < 1e-5, "\(setting): o' - o - q up to \(worst)")
    #expect(t.noise.array.allSatisfy { $0 == 0 } && t.noiseEnergy.array.allSatisfy { $0 == 0 })
  }
}

@Test("Noise-free evaluation of a latent that holds exactly the action subspace reads the action with about 0 error")
func noiseFreeEvaluationReadsTheActionExactly() throws {
  // i.i.d. noise with sigma = 0.5 and d_z = d_a: the action directions have variance 1 + 0.25, the
  // others 0.25, so both the PCA latent and the trained one are the action subspace.
  let noisy = small(.iid, sigma: 0.5)
  let clean = small(.iid, sigma: 0.5) { $0.evalNoiseFree = true }
  let r = try runLinearBatch([noisy, clean], threads: 2)
  // On noisy transitions those coordinates are a + (the noise along W_a): the best probe leaves
  // 0.25 / 1.25 = 0.2 of the action's variance.
  #expect(abs(r[0].pca.actionMSE - 0.2) < 0.01, "\(r[0].pca.actionMSE)")
  #expect(abs(r[0].trained.actionMSE - 0.2) < 0.02, "\(r[0].trained.actionMSE)")
  // They also hold 0.25 / 1.25 of the noise along those 4 of 32 directions: noise MSE 1 - 0.2 * 4 / 32.
  #expect(abs(r[0].pca.noiseMSE - 0.975) < 0.005, "\(r[0].pca.noiseMSE)")
  #expect(abs(r[0].trained.noiseMSE - 0.975) < 0.01, "\(r[0].trained.noiseMSE)")
  // Without the noise the same latents give the action back.
  #expect(r[1].pca.actionMSE < 1e-4, "\(r[1].pca.actionMSE)")
  #expect(r[1].trained.actionMSE < 0.01, "\(r[1].trained.actionMSE)")
  #expect(r[1].trained.noiseMSE == 1 && r[1].pca.noiseMSE == 1)
  // Training and the learned subspace are the same run's.
  #expect(r[0].anglesDegrees == r[1].anglesDegrees)
}

@Test("Random-action evaluation at chi = 0 gives exactly the ordinary evaluation's numbers")
func randomActionEvaluationAtChiZeroIsTheOrdinaryOne() throws {
  let plain = small(.agents, sigma: 1, steps: 300)
  let random = small(.agents, sigma: 1, steps: 300) { $0.evalRandomActions = true }
  let r = try runLinearBatch([plain, random], threads: 2)
  #expect(r[0].trained == r[1].trained)
  #expect(r[0].pca == r[1].pca)
}

@Test("Random actions after a chi = 0.3 policy: the PCA latent's action MSE is chi^2, against chi^2 / ((1 - chi)^2 + chi^2) on the policy's actions")
func randomActionEvaluationMeasuresWhatThePolicyHid() throws {
  // With learnable A the latent keeps only the unpredictable part (1 - chi) n of the action (its
  // variance 0.49 beats the other agents' 0.25). The probe, fitted on the policy's data, reads
  // a_hat = the latent; on random actions a = n' it misses chi P o, variance chi^2 = 0.09. On the
  // policy's own actions it misses chi P o out of (1 - chi)^2 + chi^2 = 0.58: 0.09 / 0.58 = 0.155.
  let policy = small(.agents, sigma: 0.5, chi: 0.3, steps: 300)
  let random = small(.agents, sigma: 0.5, chi: 0.3, steps: 300) { $0.evalRandomActions = true }
  // A = I: the latent must carry all of q = W_a a, so random actions are read as well as the policy's.
  let fixed = small(.agents, sigma: 0.5, chi: 0.3, steps: 1500) { $0.learnA = false; $0.evalRandomActions = true }
  let r = try runLinearBatch([policy, random, fixed], threads: 2)
  #expect(abs(r[0].pca.actionMSE - 0.09 / 0.58) < 0.01, "\(r[0].pca.actionMSE)")
  #expect(abs(r[1].pca.actionMSE - 0.09) < 0.01, "\(r[1].pca.actionMSE)")
  #expect(r[2].pca.actionMSE < 1e-3, "\(r[2].pca.actionMSE)")
  #expect(r[2].trained.actionMSE < 0.02, "\(r[2].trained.actionMSE)")
}

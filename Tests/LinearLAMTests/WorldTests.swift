import Core
import Foundation
import LinearLAM
import NN
import Testing
import TestSupport

private func smallConfig(_ setting: NoiseSetting, sigma: Double = 1.5, chi: Double = 0) -> LinearConfig {
  var c = LinearConfig()
  c.setting = setting
  c.observationDim = 12
  c.actionDim = 3
  c.agentDim = 2
  c.sigma = sigma
  c.chi = chi
  return c
}

@Test func normalDrawsHaveStandardMomentsAndTails() {
  var rng = RNG(seed: 1)
  let n = 1 << 20
  let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
  defer { p.deallocate() }
  fillNormal(p, count: n, rng: &rng)
  var sum = 0.0, sum2 = 0.0, sum4 = 0.0, beyond2 = 0, beyond35 = 0
  for i in 0..<n {
    let x = Double(p[i])
    sum += x
    sum2 += x * x
    sum4 += x * x * x * x
    if abs(x) > 2 { beyond2 += 1 }
    if abs(x) > 3.5 { beyond35 += 1 }  // beyond the ziggurat's base layer: the tail method
  }
  let mean = sum / Double(n), variance = sum2 / Double(n) - mean * mean
  #expect(abs(mean) < 0.004)
  #expect(abs(variance - 1) < 0.005)
  #expect(abs(sum4 / Double(n) - 3) < 0.05)  // kurtosis of a normal
  // P(|x| > 2) = 0.04550, P(|x| > 3.5) = 4.653e-4 (counts within ~4 standard errors).
  #expect(abs(Double(beyond2) / Double(n) - 0.04550) < 0.0009)
  #expect(abs(Double(beyond35) / Double(n) - 4.653e-4) < 0.00009)
}

@Test func actionAndAgentBasesAreOrthonormalAndOrthogonal() {
  var rng = RNG(seed: 2)
  let c = smallConfig(.agents)
  let world = LinearWorld(c, rng: &rng)
  let (dO, dA, dB) = (c.observationDim, c.actionDim, c.agentDim)
  func dot(_ u: (Int) -> Double, _ v: (Int) -> Double, _ n: Int) -> Double { (0..<n).reduce(0) { $0 + u($1) * v($1) } }
  for i in 0..<dA {
    for j in 0..<dA {
      let g = dot({ world.actionBasis[$0 * dA + i] }, { world.actionBasis[$0 * dA + j] }, dO)
      #expect(abs(g - (i == j ? 1 : 0)) < 1e-12)
      let pp = dot({ world.policy[i * dO + $0] }, { world.policy[j * dO + $0] }, dO)
      #expect(abs(pp - (i == j ? 1 : 0)) < 1e-12)
    }
    for j in 0..<dB {
      #expect(abs(dot({ world.actionBasis[$0 * dA + i] }, { world.agentBasis[$0 * dB + j] }, dO)) < 1e-12)
    }
  }
}

@Test func sampledChangesHaveTheStatedCovariance() {
  // Cov(o' - o) from 200k draws against the closed form, for each setting (chi = 0, so the
  // change is q + eps).
  for setting in NoiseSetting.allCases {
    var rng = RNG(seed: 4)
    let c = smallConfig(setting)
    let world = LinearWorld(c, rng: &rng)
    let t = world.sample(200_000, rng: &rng)
    let dO = c.observationDim
    var cov = [Double](repeating: 0, count: dO * dO)
    for s in 0..<t.count {
      for i in 0..<dO {
        let di = Double(t.next[s * dO + i] - t.observation[s * dO + i])
        for j in 0..<dO { cov[i * dO + j] += di * Double(t.next[s * dO + j] - t.observation[s * dO + j]) }
      }
    }
    let expected = world.changeCovariance(noiseVariance: c.sigma * c.sigma)
    var worst = 0.0
    for i in 0..<(dO * dO) { worst = max(worst, abs(cov[i] / Double(t.count) - expected[i])) }
    #expect(worst < 0.03, "\(setting): largest covariance error \(worst)")
  }
}

@Test func policyMakesTheActionDependOnTheObservation() {
  // a = (1 - chi) n + chi P o, so E[a o^T] = chi P and Var(a) = (1 - chi)^2 + chi^2 per dimension.
  var rng = RNG(seed: 6)
  let c = smallConfig(.none, chi: 0.6)
  let world = LinearWorld(c, rng: &rng)
  let t = world.sample(100_000, rng: &rng)
  let (dO, dA) = (c.observationDim, c.actionDim)
  var worst = 0.0, variance = 0.0
  for i in 0..<dA {
    for j in 0..<dO {
      var s = 0.0
      for r in 0..<t.count { s += Double(t.action[r * dA + i]) * Double(t.observation[r * dO + j]) }
      worst = max(worst, abs(s / Double(t.count) - 0.6 * world.policy[i * dO + j]))
    }
    for r in 0..<t.count { variance += Double(t.action[r * dA + i] * t.action[r * dA + i]) }
  }
  #expect(worst < 0.02)
  #expect(abs(variance / Double(t.count * dA) - (0.16 + 0.36)) < 0.01)
}

@Test func cleaningKeepsOnlyTransitionsBelowTheCut() {
  var rng = RNG(seed: 8)
  let c = smallConfig(.agents, sigma: 2)
  let world = LinearWorld(c, rng: &rng)
  let cut = world.cleaningCut(dropping: 0.3, rng: &rng)
  // The cut is the 70% quantile of sigma^2 chi^2_2 = 4 * (-2 log 0.3) for d_b = 2.
  #expect(abs(Double(cut.threshold) - 4 * -2 * log(0.3)) < 0.1)
  // E[chi^2_2 | below its 70% quantile] / 2 per direction, times sigma^2.
  let q = -2 * log(0.3)
  let keptMean = (2 - (q + 2) * exp(-q / 2)) / 0.7
  #expect(abs(cut.keptVariance - 4 * keptMean / 2) < 0.05)
  let batch = Transitions(count: 1000, c)
  let scratch = Transitions(count: 1000, c)
  world.fillCleaned(batch, threshold: cut.threshold, scratch: scratch, rng: &rng)
  #expect(batch.noiseEnergy.array.allSatisfy { $0 <= cut.threshold })
  // The kept noise really is the noise in o' - o - q.
  let (dO, dA) = (c.observationDim, c.actionDim)
  for r in [0, 500, 999] {
    var energy = 0.0
    for i in 0..<dO {
      var q = 0.0
      for k in 0..<dA { q += world.actionBasis[i * dA + k] * Double(batch.action[r * dA + k]) }
      let eps = Double(batch.next[r * dO + i] - batch.observation[r * dO + i]) - q
      energy += eps * eps
    }
    #expect(isClose(energy, Double(batch.noiseEnergy[r]), relative: 1e-3))
  }
}

import Core
import Foundation
import LinearLAM
import Testing

@Test("Uniform noise has the requested variance sigma^2 per dimension, measured on samples, and a uniform's shape")
func uniformNoiseHasTheRequestedVariance() {
  var c = LinearConfig()
  c.setting = .uniform
  c.observationDim = 12
  c.actionDim = 3
  c.agentDim = 2
  c.sigma = 1.5
  var rng = RNG(seed: 5)
  let world = LinearWorld(c, rng: &rng)
  let t = world.sample(100_000, rng: &rng)
  let eps = t.noise.array.map(Double.init)  // [N, d_o]
  #expect(eps.count == 100_000 * 12)
  let n = Double(eps.count)
  let mean = eps.reduce(0, +) / n
  let variance = eps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
  let kurtosis = eps.reduce(0) { $0 + pow($1 - mean, 4) } / n / (variance * variance)
  #expect(abs(mean) < 0.01)
  #expect(abs(variance - 2.25) < 0.02, "variance \(variance)")
  // Bounded by sqrt(3) sigma, kurtosis 1.8 (a normal's is 3).
  #expect(eps.allSatisfy { abs($0) <= 3.0.squareRoot() * 1.5 + 1e-6 })
  #expect(abs(kurtosis - 1.8) < 0.02, "kurtosis \(kurtosis)")
  // ||eps||^2 is what cleaning ranks by.
  #expect(abs(Double(t.noiseEnergy[0]) - eps[0..<12].reduce(0) { $0 + $1 * $1 }) < 1e-3)
}

import Core
import Foundation
import LAM
import NN
import Testing
import TestSupport

// The kl, nsvq and fsq bottlenecks on small literal data: values, gradients, code bookkeeping, bad configs.

@Test func klIsZeroForTheStandardNormalAndHalfTheSquaredMeanOtherwise() {
  let g = GaussianBottleneck(dim: 2, beta: 2)
  var rng = RNG(seed: 0)
  // Rows [mu1, mu2 | logvar1, logvar2].
  let raw = Tensor(shape: [2, 4], values: [0, 1, 0, 0, 0, -2, 0, 0])
  let z = g.forward(raw, training: false, rng: &rng)
  #expect(z.array == [0, 1, 0, -2])  // evaluation: the mean
  let kl = g.klPerDimension
  #expect(isClose(kl[0], 0) && isClose(kl[1], (0.5 + 2) / 2))  // 0.5 mu^2 averaged over the rows
  #expect(isClose(g.loss, 2 * 1.25))
  // A variance of e^1 at mean 0: 0.5 (e - 1 - 1).
  _ = g.forward(Tensor(shape: [1, 4], values: [0, 0, 1, 1]), training: false, rng: &rng)
  #expect(isClose(g.klPerDimension[0], 0.5 * (exp(1.0) - 2), relative: 1e-6))
}

@Test func klTrainingSamplesAroundTheMeanWithTheEncodedSpread() {
  let g = GaussianBottleneck(dim: 1, beta: 0)
  var rng = RNG(seed: 3)
  let n = 20000
  var values = [Float]()
  for _ in 0..<n { values += [0.5, Float(log(4.0))] }  // mean 0.5, variance 4
  let z = g.forward(Tensor(shape: [n, 2], values: values), training: true, rng: &rng).array
  let mean = z.reduce(0, +) / Float(n)
  let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(n)
  #expect(abs(mean - 0.5) < 0.05)
  #expect(abs(variance - 4) < 0.15)
}

/// Central differences of L(x) = sum(w * f(x)) + extra(x) over every entry of `x`, against `analytic`.
private func finiteDifferenceError(_ x: Tensor, analytic: [Float], _ value: () -> Double) -> Double {
  var numeric: [Double] = []
  let h: Float = 1e-3
  for i in 0..<x.count {
    let saved = x[i]
    x[i] = saved + h
    let up = value()
    x[i] = saved - h
    let down = value()
    x[i] = saved
    numeric.append((up - down) / Double(2 * h))
  }
  return maxRelativeError(analytic.map(Double.init), numeric, floor: 1e-2)
}

@Test func klGradientMatchesFiniteDifferencesThroughTheSampleAndTheKL() {
  let g = GaussianBottleneck(dim: 3, beta: 0.7)
  var rng = RNG(seed: 1)
  let raw = Tensor(shape: [4, 6], values: (0..<24).map { _ in rng.uniform(-1, 1) })
  let w = (0..<12).map { _ in rng.uniform(-1, 1) }
  func value() -> Double {
    var fixed = RNG(seed: 5)
    let z = g.forward(raw, training: true, rng: &fixed).array
    return zip(z, w).reduce(0.0) { $0 + Double($1.0 * $1.1) } + Double(g.loss)
  }
  _ = value()
  let analytic = g.backward(Tensor(shape: [4, 3], values: w)).array
  #expect(finiteDifferenceError(raw, analytic: analytic, value) < 1e-2)
}

@Test func klClampedLogVariancePassesNoGradient() {
  let g = GaussianBottleneck(dim: 1, beta: 1)
  var rng = RNG(seed: 0)
  _ = g.forward(Tensor(shape: [1, 2], values: [0, 50]), training: true, rng: &rng)
  let d = g.backward(Tensor(shape: [1, 1], values: [1])).array
  #expect(d[1] == 0)
  #expect(g.loss.isFinite)
}

@Test func nsvqEvaluatesToTheNearestCodeAndTrainsWithNoiseOfTheErrorsNorm() {
  var rng = RNG(seed: 0)
  let q = NoiseSubstitutionVQ(codes: 3, dim: 2, threshold: 0, replaceEvery: 1000, rng: &rng)
  let codes: [Float] = [0, 0, 1, 0, 0, 1]
  for i in 0..<6 { q.codebook.value[i] = codes[i] }
  let z = Tensor(shape: [3, 2], values: [0.9, 0.2, 0.1, 0.1, 0.2, 0.7])
  #expect(q.forward(z, training: false, rng: &rng).array == [1, 0, 0, 0, 0, 1])
  #expect(q.indices == [1, 0, 2])
  let trained = q.forward(z, training: true, rng: &rng).array
  let errors: [Float] = [0.1 * 0.1 + 0.2 * 0.2, 0.1 * 0.1 + 0.1 * 0.1, 0.2 * 0.2 + 0.3 * 0.3]
  for row in 0..<3 {
    let dx = trained[2 * row] - z[2 * row], dy = trained[2 * row + 1] - z[2 * row + 1]
    #expect(isClose(dx * dx + dy * dy, errors[row], relative: 1e-5))
  }
  #expect(q.usage.array == [1, 1, 1] && q.batches[0] == 1)  // only the training forward counts
}

@Test func nsvqGradientMatchesFiniteDifferencesForTheEncoderAndTheCodebook() {
  var rng = RNG(seed: 2)
  let q = NoiseSubstitutionVQ(codes: 4, dim: 3, threshold: 0, replaceEvery: 1_000_000, rng: &rng)
  for i in 0..<q.codebook.value.count { q.codebook.value[i] = rng.uniform(-1, 1) }
  let z = Tensor(shape: [5, 3], values: (0..<15).map { _ in rng.uniform(-1, 1) })
  let w = (0..<15).map { _ in rng.uniform(-1, 1) }
  func value() -> Double {
    var fixed = RNG(seed: 9)
    let out = q.forward(z, training: true, rng: &fixed).array
    return zip(out, w).reduce(0.0) { $0 + Double($1.0 * $1.1) }
  }
  _ = value()
  q.codebook.grad.zero()
  let dz = q.backward(Tensor(shape: [5, 3], values: w)).array
  let dCodebook = q.codebook.grad.array
  #expect(finiteDifferenceError(z, analytic: dz, value) < 1e-2)
  #expect(finiteDifferenceError(q.codebook.value, analytic: dCodebook, value) < 1e-2)
  #expect(dCodebook.contains { $0 != 0 })
}

@Test func nsvqReplacesAnUnusedCodeWithAUsedOneAfterReplaceEveryBatches() {
  var rng = RNG(seed: 0)
  let q = NoiseSubstitutionVQ(codes: 3, dim: 1, threshold: 0.5, replaceEvery: 2, rng: &rng)
  q.codebook.value[0] = 0
  q.codebook.value[1] = 1
  q.codebook.value[2] = 50  // never nearest
  let z = Tensor(shape: [2, 1], values: [0.1, 0.9])
  _ = q.forward(z, training: true, rng: &rng)
  #expect(q.codebook.value[2] == 50 && q.replaced == 0)
  _ = q.forward(z, training: true, rng: &rng)
  #expect(q.replaced == 1)
  #expect(abs(q.codebook.value[2] - 0) < 0.01)  // a copy of code 0 plus a little noise
  #expect(q.usage.array == [0, 0, 0] && q.batches[0] == 0)
}

@Test func fsqRoundsEachDimensionToItsLevelsWithinMinusOneToOne() {
  let q = ScalarQuantizer(levels: [5, 4])
  #expect(q.codes == 20)
  // 5 levels: -1, -0.5, 0, 0.5, 1; 4 levels: -1, -0.5, 0, 0.5. z = 0 is the middle level.
  let z = Tensor(shape: [3, 2], values: [0, 0, 20, 20, -20, -20])
  #expect(q.forward(z).array == [0, 0, 1, 0.5, -1, -1])
  // Codes: digits (round + L div 2), first dimension most significant: (2, 2), (4, 3), (0, 0).
  #expect(q.indices == [2 * 4 + 2, 4 * 4 + 3, 0])
  #expect(q.latent(ofCode: 2 * 4 + 2) == [0, 0])
  #expect(q.latent(ofCode: 19) == [1, 0.5])
  #expect(q.codesUsed == 3)
  // Every code's latent quantizes back to the code.
  let all = Tensor(shape: [20, 2], values: (0..<20).flatMap { code in q.latent(ofCode: code).map { atanh($0 * 0.99) } })
  _ = q.forward(all)
  #expect(q.indices == Array(0..<20))
}

@Test func fsqGradientIsTheBoundsSlopeStraightThroughTheRounding() {
  let q = ScalarQuantizer(levels: [7, 4, 2])
  var rng = RNG(seed: 4)
  let z = Tensor(shape: [4, 3], values: (0..<12).map { _ in rng.uniform(-2, 2) })
  let w = (0..<12).map { _ in rng.uniform(-1, 1) }
  _ = q.forward(z)
  let analytic = q.backward(Tensor(shape: [4, 3], values: w)).array
  // Without the rounding, the latent is bound(z) / (L div 2).
  func value() -> Double {
    var sum = 0.0
    for i in 0..<12 { sum += Double(w[i] * q.bound(z[i], dimension: i % 3) / Float([7, 4, 2][i % 3] / 2)) }
    return sum
  }
  #expect(finiteDifferenceError(z, analytic: analytic, value) < 1e-2)
}

@Test func badBottleneckConfigsAreRefusedNamingTheField() {
  func error(_ edit: (inout BottleneckConfig) -> Void) -> String {
    var b = BottleneckConfig()
    edit(&b)
    do {
      try b.validate()
      return "accepted"
    } catch {
      return "\(error)"
    }
  }
  #expect(error { $0.beta = -1 }.contains("model.bottleneck.beta"))
  #expect(error { $0.levels = [5, 1, 5, 5] }.contains("model.bottleneck.levels"))
  #expect(error { $0.kind = .fsq; $0.levels = [5] }.contains("one level count per latent dimension (dz 4)"))
  #expect(error { $0.kind = .nsvq; $0.replaceEvery = 0 }.contains("model.bottleneck.replaceEvery"))
  #expect(error { $0.kind = .fsq; $0.dz = 1; $0.levels = [5] } == "accepted")
  #expect(error { $0.kind = .nsvq; $0.codes = 1 }.contains("model.bottleneck.codes"))
  #expect(error { $0.kind = .vq; $0.warmup = -1 }.contains("model.bottleneck.warmup"))
  #expect(error { $0.warmup = 100 }.contains("model.bottleneck.warmup: expected 0 unless kind is vq"))
  #expect(error { $0.kind = .vq; $0.warmup = 100 } == "accepted")
}

@Test func eachKindReportsItsCodesAndCheckpointTensors() {
  let frame = FrameShape(channels: 1, height: 4, width: 4)
  var config = ModelConfig()
  config.hidden = 8
  config.bottleneck.dz = 2
  config.bottleneck.codes = 5
  config.bottleneck.levels = [3, 2]
  var expected: [BottleneckKind: (codes: Int?, buffers: [String], extra: [String])] = [
    .continuous: (nil, [], []), .kl: (nil, [], []), .fsq: (6, [], []),
    .vq: (5, ["vq.codebook", "vq.cluster_size", "vq.embed_sum"], []),
    .nsvq: (5, ["nsvq.usage", "nsvq.batches"], ["nsvq.codebook"]),
  ]
  for kind in BottleneckKind.allCases {
    config.bottleneck.kind = kind
    var rng = RNG(seed: 0)
    let model = LatentActionModel(config, frame: frame, rng: &rng)
    let want = expected.removeValue(forKey: kind)!
    #expect(config.bottleneck.codebookSize == want.codes, "\(kind)")
    #expect(model.codeLatents?.count == want.codes, "\(kind)")
    #expect(model.buffers.map(\.name) == want.buffers, "\(kind)")
    #expect(model.namedParameters.map(\.name).filter { !$0.hasPrefix("idm.") && !$0.hasPrefix("fdm.") } == want.extra)
    // The checkpoint holds exactly what parameterCount says.
    let stored = model.namedParameters.reduce(0) { $0 + $1.parameter.value.count } + model.buffers.reduce(0) { $0 + $1.tensor.count }
    #expect(config.parameterCount(frame: frame) == stored, "\(kind)")
  }
  #expect(expected.isEmpty)
}

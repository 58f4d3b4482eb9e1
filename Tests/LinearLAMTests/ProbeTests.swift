import Core
import LinearLAM
import NN
import Testing
import TestSupport

// Naive least squares with bias: solve the normal equations by Gaussian elimination in Double.
private func naiveFit(x: [[Double]], y: [[Double]]) -> [[Double]] {
  let k1 = x[0].count + 1, m = y[0].count
  var g = [[Double]](repeating: [Double](repeating: 0, count: k1), count: k1)
  var c = [[Double]](repeating: [Double](repeating: 0, count: m), count: k1)
  for (xs, ys) in zip(x, y) {
    let row = xs + [1]
    for i in 0..<k1 {
      for l in 0..<k1 { g[i][l] += row[i] * row[l] }
      for j in 0..<m { c[i][j] += row[i] * ys[j] }
    }
  }
  for col in 0..<k1 {
    for r in (col + 1)..<k1 {
      let f = g[r][col] / g[col][col]
      for l in 0..<k1 { g[r][l] -= f * g[col][l] }
      for j in 0..<m { c[r][j] -= f * c[col][j] }
    }
  }
  var w = [[Double]](repeating: [Double](repeating: 0, count: m), count: k1)
  for r in stride(from: k1 - 1, through: 0, by: -1) {
    for j in 0..<m {
      var s = c[r][j]
      for l in (r + 1)..<k1 { s -= g[r][l] * w[l][j] }
      w[r][j] = s / g[r][r]
    }
  }
  return w
}

@Test func probeMatchesNaiveLeastSquaresAndItsNormalizedError() {
  var rng = RNG(seed: 5)
  let (n, k, m) = (200, 3, 2)
  func sample() -> (x: [[Double]], y: [[Double]]) {
    let x = (0..<n).map { _ in (0..<k).map { _ in Double(Float(rng.normalDouble())) } }
    // y0 = 2 x0 - x2 + 0.5 + noise, y1 = pure noise around 3.
    let y = x.map { xs in [Double(Float(2 * xs[0] - xs[2] + 0.5 + 0.3 * rng.normalDouble())), Double(Float(3 + rng.normalDouble()))] }
    return (x, y)
  }
  let train = sample(), eval = sample()
  func tensor(_ rows: [[Double]]) -> Tensor { Tensor(shape: [rows.count, rows[0].count], values: rows.flatMap { $0.map(Float.init) }) }
  let probe = LinearProbe(fitting: ProbeMoments(x: tensor(train.x), y: tensor(train.y)))
  let w = naiveFit(x: train.x, y: train.y)
  for i in 0...k {
    for j in 0..<m { #expect(isClose(probe.weights[i * m + j], w[i][j], relative: 1e-6, absolute: 1e-9)) }
  }
  // The normalized error by direct evaluation: sum of squared errors over sum of squared deviations.
  var sse = 0.0, sst = 0.0
  for j in 0..<m {
    let mean = eval.y.map { $0[j] }.reduce(0, +) / Double(n)
    for (xs, ys) in zip(eval.x, eval.y) {
      var p = w[k][j]
      for i in 0..<k { p += w[i][j] * xs[i] }
      sse += (p - ys[j]) * (p - ys[j])
      sst += (ys[j] - mean) * (ys[j] - mean)
    }
  }
  let mse = probe.normalizedMSE(on: ProbeMoments(x: tensor(eval.x), y: tensor(eval.y)))
  #expect(isClose(mse, sse / sst, relative: 1e-9))
  // y0 is mostly explained (noise 0.09 of variance 5.09) and y1 not at all: about (0.09 + 1) / (5.09 + 1).
  #expect(abs(mse - 1.09 / 6.09) < 0.05)
}

@Test func probeOfAConstantInputReportsNothingHeld() {
  // A dead latent (all zeros) must give MSE 1, not a crash or a NaN.
  var rng = RNG(seed: 9)
  let x = Tensor([500, 2])
  let y = Tensor(shape: [500, 1], values: (0..<500).map { _ in rng.normal() })
  let probe = LinearProbe(fitting: ProbeMoments(x: x, y: y))
  let mse = probe.normalizedMSE(on: ProbeMoments(x: x, y: y))
  #expect(mse.isFinite && abs(mse - 1) < 1e-9)
}

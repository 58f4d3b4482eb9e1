import NN

/// The sums a linear least-squares probe with bias needs, accumulated in Double: with x~ = [x, 1],
/// the Gram matrix sum x~ x~^T, the cross sums x~ y^T, and per target dimension sum y and sum y^2.
///
/// Fitting needs these on the training sample and the evaluation error needs only these on the
/// evaluation sample (SSE = sum y^2 - 2 tr(W^T X~^T Y) + tr(W^T X~^T X~ W)), so neither sample is
/// ever held in Double.
public struct ProbeMoments {
  public let inputs: Int  // k
  public let targets: Int  // m
  public private(set) var count = 0
  public private(set) var gram: [Double]  // [k + 1, k + 1]
  public private(set) var cross: [Double]  // [k + 1, m]
  public private(set) var sumY: [Double]  // [m]
  public private(set) var sumY2: [Double]  // [m]

  /// Moments of inputs `x` [N, k] and targets `y` [N, m].
  public init(x: Tensor, y: Tensor) {
    precondition(x.batch == y.batch, "ProbeMoments: \(x.shape) vs \(y.shape)")
    let (n, k, m) = (x.batch, x.rowSize, y.rowSize)
    inputs = k
    targets = m
    count = n
    let k1 = k + 1
    var gram = [Double](repeating: 0, count: k1 * k1)
    var cross = [Double](repeating: 0, count: k1 * m)
    var sumY = [Double](repeating: 0, count: m)
    var sumY2 = [Double](repeating: 0, count: m)
    var row = [Double](repeating: 0, count: k1)  // [k + 1] = [x, 1]
    var target = [Double](repeating: 0, count: m)  // [m]
    for r in 0..<n {
      for i in 0..<k { row[i] = Double(x.data[r * k + i]) }
      row[k] = 1
      for j in 0..<m { target[j] = Double(y.data[r * m + j]) }
      for i in 0..<k1 {
        for l in i..<k1 { gram[i * k1 + l] += row[i] * row[l] }
        let xi = row[i]
        cross.withUnsafeMutableBufferPointer { c in
          for j in 0..<m { c[i * m + j] += xi * target[j] }
        }
      }
      for j in 0..<m {
        sumY[j] += target[j]
        sumY2[j] += target[j] * target[j]
      }
    }
    for i in 0..<k1 { for l in 0..<i { gram[i * k1 + l] = gram[l * k1 + i] } }
    self.gram = gram
    self.cross = cross
    self.sumY = sumY
    self.sumY2 = sumY2
  }
}

/// A fitted linear probe y ~ W^T [x, 1]: weights [k + 1, m], the last row the bias.
public struct LinearProbe {
  public let inputs: Int
  public let targets: Int
  public let weights: [Double]

  /// Least squares on `train`'s moments, solving (G + ridge) W = X~^T Y by Cholesky. The ridge is
  /// `relativeRidge` times each input's own diagonal entry (never the bias's), so it is scale-free
  /// and only matters for a dead or duplicated latent dimension.
  public init(fitting train: ProbeMoments, relativeRidge: Double = 1e-9) {
    let (k, m) = (train.inputs, train.targets)
    let k1 = k + 1
    inputs = k
    targets = m
    var g = train.gram
    let meanDiagonal = (0..<k).reduce(0.0) { $0 + g[$1 * k1 + $1] } / Double(max(k, 1))
    for i in 0..<k { g[i * k1 + i] += relativeRidge * g[i * k1 + i] + 1e-12 * meanDiagonal }
    weights = choleskySolve(g, n: k1, rightHandSides: train.cross, columns: m)
  }

  /// The probe's MSE on `eval` per target dimension, divided by the targets' per-dimension variance
  /// there: 1 means the input holds nothing about the target, 0 means it holds all of it.
  public func normalizedMSE(on eval: ProbeMoments) -> Double {
    precondition(eval.inputs == inputs && eval.targets == targets, "probe shape mismatch")
    let (k1, m, n) = (inputs + 1, targets, Double(eval.count))
    var sse = 0.0
    var variance = 0.0
    for j in 0..<m {
      // SSE_j = sum y^2 - 2 w^T (X~^T y) + w^T G w
      var linear = 0.0, quadratic = 0.0
      for i in 0..<k1 {
        let wi = weights[i * m + j]
        linear += wi * eval.cross[i * m + j]
        var gw = 0.0
        for l in 0..<k1 { gw += eval.gram[i * k1 + l] * weights[l * m + j] }
        quadratic += wi * gw
      }
      sse += eval.sumY2[j] - 2 * linear + quadratic
      let mean = eval.sumY[j] / n
      variance += eval.sumY2[j] - n * mean * mean
    }
    return variance > 0 ? max(0, sse) / variance : 1
  }
}

/// Solves S X = R for symmetric positive definite S [n, n] and R [n, columns], row-major, by Cholesky.
func choleskySolve(_ s: [Double], n: Int, rightHandSides r: [Double], columns: Int) -> [Double] {
  var l = [Double](repeating: 0, count: n * n)  // [n, n] lower triangle, S = L L^T
  for i in 0..<n {
    for j in 0...i {
      var sum = s[i * n + j]
      for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
      if i == j {
        l[i * n + i] = max(sum, 1e-300).squareRoot()
      } else {
        l[i * n + j] = sum / l[j * n + j]
      }
    }
  }
  var x = r  // [n, columns]
  for c in 0..<columns {
    // Forward: L y = r, then back: L^T x = y.
    for i in 0..<n {
      var sum = x[i * columns + c]
      for k in 0..<i { sum -= l[i * n + k] * x[k * columns + c] }
      x[i * columns + c] = sum / l[i * n + i]
    }
    for i in stride(from: n - 1, through: 0, by: -1) {
      var sum = x[i * columns + c]
      for k in (i + 1)..<n { sum -= l[k * n + i] * x[k * columns + c] }
      x[i * columns + c] = sum / l[i * n + i]
    }
  }
  return x
}

import Core
import NN

/// What a latent holds, as probe MSEs normalized so that 1 = nothing held and 0 = fully held,
/// plus the model's reconstruction error.
public struct LinearMetrics: Codable, Equatable, Sendable {
  /// Probe z -> a.
  public var actionMSE: Double
  /// Probe z -> o.
  public var observationMSE: Double
  /// Probe z -> b (agents) or z -> eps (iid, uniform); 1 by definition without noise (the `none`
  /// setting, or a noise-free evaluation).
  public var noiseMSE: Double
  /// Mean squared error of o_hat' per element (not normalized).
  public var reconstructionMSE: Double

  /// The linear LAM objective as we compute it: obs MSE + noise MSE - action MSE (best 2).
  public var llo: Double { observationMSE + noiseMSE - actionMSE }
}

/// Probe MSEs of a latent given on the probe-training and probe-evaluation transitions; without
/// `measuresNoise` (no noise in the evaluation data) noise MSE is 1.
func probeMetrics(
  latentTrain: Tensor, latentEval: Tensor, train: Transitions, eval: Transitions,
  measuresNoise: Bool, reconstructionMSE: Double
) -> LinearMetrics {
  func mse(_ target: KeyPath<Transitions, Tensor>) -> Double {
    let probe = LinearProbe(fitting: ProbeMoments(x: latentTrain, y: train[keyPath: target]))
    return probe.normalizedMSE(on: ProbeMoments(x: latentEval, y: eval[keyPath: target]))
  }
  return LinearMetrics(
    actionMSE: mse(\.action), observationMSE: mse(\.observation),
    noiseMSE: measuresNoise ? mse(\.noise) : 1, reconstructionMSE: reconstructionMSE)
}

/// Principal angles (radians, ascending, d_z of them) between span(B) and the top-d_z principal
/// subspace of a covariance with eigendecomposition `eigen`.
///
/// When eigenvalues tie at the cut (within `tolerance` times the largest), the top-d_z subspace
/// is not unique: every subspace that contains the eigenvectors above the tie and lies inside the
/// span of the tied ones is a PCA solution. We compare with the one closest to span(B): the
/// eigenvectors above the tie plus the leading left singular vectors of span(B) projected on the
/// tied block. Without a tie this is just the top-d_z eigenvectors.
public func anglesToPrincipalSubspace(
  _ b: [Double], latentDim k: Int, eigen: SymmetricEigen, tolerance: Double = 1e-6
) -> [Double] {
  let n = eigen.n
  if k >= n { return [Double](repeating: 0, count: k) }
  let values = eigen.values
  let slack = tolerance * max(abs(values[0]), Double.leastNormalMagnitude)
  let cut = values[k - 1]
  let above = values.filter { $0 > cut + slack }.count  // eigenvectors every solution contains
  let throughTie = values.filter { $0 >= cut - slack }.count  // above + the tied block
  var reference: [Double]  // [n, k]
  if throughTie == k {
    reference = eigen.top(k)
  } else {
    let blockSize = throughTie - above
    let block = eigen.columns(above..<throughTie)  // [n, blockSize]
    var projected = [Double](repeating: 0, count: blockSize * k)  // [blockSize, k] = block^T B
    for r in 0..<n {
      for i in 0..<blockSize {
        let x = block[r * blockSize + i]
        for j in 0..<k { projected[i * k + j] += x * b[r * k + j] }
      }
    }
    let u = singularValueDecomposition(projected, rows: blockSize, columns: k, wantU: true).u  // [blockSize, min]
    let uColumns = min(blockSize, k)
    let need = k - above
    let topAbove = eigen.top(above)  // [n, above]
    reference = [Double](repeating: 0, count: n * k)
    for r in 0..<n {
      for j in 0..<above { reference[r * k + j] = topAbove[r * above + j] }
      for j in 0..<need {
        var s = 0.0
        for i in 0..<blockSize { s += block[r * blockSize + i] * u[i * uColumns + j] }
        reference[r * k + above + j] = s
      }
    }
  }
  var angles = principalAngles(reference, columns: k, b, columns: k, rows: n)
  // A rank-deficient B misses whole directions: count them as right angles.
  while angles.count < k { angles.append(Double.pi / 2) }
  return angles
}

import Core
import LAM
import NN
import Probing
import Training

/// Principal components of a point cloud, for drawing latents in two dimensions.
public struct PCA: Sendable {
  /// D
  public let dim: Int
  /// [D] the mean point.
  public let mean: [Double]
  /// [D, D] row-major; column j is the j-th principal axis (largest variance first).
  public let axes: [Double]
  /// [D] the variance along each axis, descending.
  public let variances: [Double]

  /// Fits the principal axes of `count` points of dimension `dim` stored row-major in `points` ([N, D]).
  public init(points: [Float], count: Int, dim: Int) throws {
    precondition(points.count == count * dim, "PCA: \(points.count) values for [\(count), \(dim)]")
    try Check.that(count >= 2, "PCA points", "at least 2 points, got \(count)")
    self.dim = dim
    var mean = [Double](repeating: 0, count: dim)
    for i in 0..<count { for j in 0..<dim { mean[j] += Double(points[i * dim + j]) } }
    for j in 0..<dim { mean[j] /= Double(count) }
    var covariance = [Double](repeating: 0, count: dim * dim)  // [D, D]
    for i in 0..<count {
      for a in 0..<dim {
        let da = Double(points[i * dim + a]) - mean[a]
        for b in a..<dim { covariance[a * dim + b] += da * (Double(points[i * dim + b]) - mean[b]) }
      }
    }
    for a in 0..<dim {
      for b in a..<dim {
        covariance[a * dim + b] /= Double(count - 1)
        covariance[b * dim + a] = covariance[a * dim + b]
      }
    }
    let eigen = try SymmetricEigen(symmetric: covariance, n: dim)
    self.mean = mean
    axes = eigen.vectors
    variances = eigen.values.map { max($0, 0) }
  }

  /// The coordinates of `point` ([D]) along the first `k` axes.
  public func project(_ point: ArraySlice<Float>, components k: Int) -> [Double] {
    let start = point.startIndex
    return (0..<k).map { j in
      var s = 0.0
      for a in 0..<dim { s += (Double(point[start + a]) - mean[a]) * axes[a * dim + j] }
      return s
    }
  }

  /// The point mean + `steps` standard deviations along axis `j`, as Float [D].
  public func point(alongAxis j: Int, steps: Double) -> [Float] {
    let s = steps * variances[j].squareRoot()
    return (0..<dim).map { Float(mean[$0] + s * axes[$0 * dim + j]) }
  }
}

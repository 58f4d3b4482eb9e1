import Foundation
import LinearLAM
import NN
import Testing
import TestSupport

// A diagonal covariance in R^4: its eigenvectors are the coordinate axes.
private func eigenOfDiagonal(_ d: [Double]) throws -> SymmetricEigen {
  let n = d.count
  var m = [Double](repeating: 0, count: n * n)
  for i in 0..<n { m[i * n + i] = d[i] }
  return try SymmetricEigen(symmetric: m, n: n)
}

@Test func angleToADistinctTopSubspaceIsTheTilt() throws {
  // Eigenvalues 3 > 2 > 1 > 0: the top-1 subspace is e1; B = cos t e1 + sin t e3 is t away.
  let eigen = try eigenOfDiagonal([3, 2, 1, 0])
  let t = 0.2
  let angles = anglesToPrincipalSubspace([cos(t), 0, sin(t), 0], latentDim: 1, eigen: eigen)
  #expect(angles.count == 1 && isClose(angles[0], t, relative: 1e-9))
}

@Test func anySubspaceInsideATiedBlockIsAPCASolution() throws {
  // Eigenvalues 3, 1, 1, 0: for d_z = 2 every plane containing e1 and inside span(e1, e2, e3) is optimal.
  let eigen = try eigenOfDiagonal([3, 1, 1, 0])
  let s = 1 / 2.0.squareRoot()
  let inside: [Double] = [1, 0, 0, s, 0, s, 0, 0]  // [4, 2]: e1 and (e2 + e3)/sqrt2
  #expect(anglesToPrincipalSubspace(inside, latentDim: 2, eigen: eigen).allSatisfy { $0 < 1e-7 })
  // Leaving the block by t shows as t; missing e1 shows as a right angle.
  let t = 0.1
  let tilted: [Double] = [1, 0, 0, cos(t), 0, 0, 0, sin(t)]
  let tiltedAngles = anglesToPrincipalSubspace(tilted, latentDim: 2, eigen: eigen)
  #expect(isClose(tiltedAngles.last!, t, relative: 1e-9))
  let withoutTop: [Double] = [0, 0, 1, 0, 0, 1, 0, 0]
  #expect(isClose(anglesToPrincipalSubspace(withoutTop, latentDim: 2, eigen: eigen).last!, Double.pi / 2, relative: 1e-9))
}

@Test func extraLatentDimensionsBeyondTheRankAreFree() throws {
  // Rank 1 (eigenvalues 2, 0, 0, 0), d_z = 2: any plane containing e1 is a solution.
  let eigen = try eigenOfDiagonal([2, 0, 0, 0])
  let plane: [Double] = [1, 0, 0, 0.6, 0, 0.8, 0, 0]
  #expect(anglesToPrincipalSubspace(plane, latentDim: 2, eigen: eigen).allSatisfy { $0 < 1e-7 })
}

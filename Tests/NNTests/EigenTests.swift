import Core
import Foundation
import NN
import Testing
import TestSupport

@Test func eigenOfATwoByTwoMatchesTheHandComputedPair() throws {
  // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with vectors (1, 1)/sqrt2 and (1, -1)/sqrt2.
  let e = try SymmetricEigen(symmetric: [2, 1, 1, 2], n: 2)
  #expect(isClose(e.values[0], 3, relative: 1e-12))
  #expect(isClose(e.values[1], 1, relative: 1e-12))
  let r = 1 / 2.0.squareRoot()
  // Column 0 is (1, 1)/sqrt2 and column 1 is (1, -1)/sqrt2, each up to sign.
  #expect(isClose(abs(e.vectors[0]), r, relative: 1e-12) && isClose(e.vectors[0], e.vectors[2], relative: 1e-12))
  #expect(isClose(abs(e.vectors[1]), r, relative: 1e-12) && isClose(e.vectors[1], -e.vectors[3], relative: 1e-12))
}

@Test func eigenvectorsRebuildARandomSymmetricMatrixAndAreOrthonormal() throws {
  let n = 6
  var rng = RNG(seed: 7)
  var m = [Double](repeating: 0, count: n * n)
  for i in 0..<n {
    for j in i..<n {
      let x = rng.normalDouble()
      m[i * n + j] = x
      m[j * n + i] = x
    }
  }
  let e = try SymmetricEigen(symmetric: m, n: n)
  #expect(zip(e.values, e.values.dropFirst()).allSatisfy { $0 >= $1 })
  for i in 0..<n {
    for j in 0..<n {
      // (V diag V^T)[i, j] and (V^T V)[i, j], naive loops.
      var rebuilt = 0.0, gram = 0.0
      for k in 0..<n {
        rebuilt += e.vectors[i * n + k] * e.values[k] * e.vectors[j * n + k]
        gram += e.vectors[k * n + i] * e.vectors[k * n + j]
      }
      #expect(abs(rebuilt - m[i * n + j]) < 1e-12)
      #expect(abs(gram - (i == j ? 1 : 0)) < 1e-12)
    }
  }
  // top(k) returns the leading columns.
  let top2 = e.top(2)
  for i in 0..<n {
    #expect(top2[i * 2] == e.vectors[i * n] && top2[i * 2 + 1] == e.vectors[i * n + 1])
  }
}

@Test func eigenRejectsANonFiniteMatrix() {
  #expect(throws: LamError.self) { try SymmetricEigen(symmetric: [1, .nan, .nan, 1], n: 2) }
}

@Test func singularValuesOfAScaledPermutationAreTheScales() {
  // [3, 2] rows x columns: rows (0, -2), (3, 0), (0, 0) -> singular values 3 and 2.
  let s = singularValueDecomposition([0, -2, 3, 0, 0, 0], rows: 3, columns: 2, wantU: true)
  #expect(isClose(s.values[0], 3, relative: 1e-12) && isClose(s.values[1], 2, relative: 1e-12))
  // The first left singular vector is e2 (up to sign): u is [3, 2] row-major.
  #expect(isClose(abs(s.u[2]), 1, relative: 1e-12) && abs(s.u[0]) < 1e-12 && abs(s.u[4]) < 1e-12)
}

@Test func orthonormalBasisFindsTheRankOfDependentColumns() {
  // Columns (1, 0, 0), (2, 0, 0), (0, 1, 1): rank 2.
  let (basis, rank) = orthonormalBasis([1, 2, 0, 0, 0, 1, 0, 0, 1], rows: 3, columns: 3)
  #expect(rank == 2)
  #expect(basis.count == 6)
}

@Test func principalAnglesBetweenTiltedPlanesAreZeroAndTheTilt() {
  // span{e1, e2} and span{e1, cos t e2 + sin t e3} in R^4 meet at angles 0 and t.
  let t = 0.3
  let a: [Double] = [1, 0, 0, 1, 0, 0, 0, 0]  // [4, 2]
  let b: [Double] = [2, 0, 0, cos(t), 0, sin(t), 0, 0]  // [4, 2], first column scaled on purpose
  let angles = principalAngles(a, columns: 2, b, columns: 2, rows: 4)
  #expect(angles.count == 2)
  #expect(abs(angles[0]) < 1e-7)
  #expect(isClose(angles[1], t, relative: 1e-10))
  // A line inside the plane: one angle, zero.
  let line = principalAngles(a, columns: 2, [1, 1, 0, 0], columns: 1, rows: 4)
  #expect(line.count == 1 && line[0] < 1e-7)
  // Orthogonal lines: pi/2.
  let right = principalAngles([1, 0], columns: 1, [0, 1], columns: 1, rows: 2)
  #expect(isClose(right[0], Double.pi / 2, relative: 1e-12))
}

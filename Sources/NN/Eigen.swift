import CBLAS
import Core
import Foundation

// Double-precision linear algebra helpers over LAPACK (dsyev_, dgesvd_ as OpenBLAS exports them).
// Our matrices are row-major; LAPACK's are column-major (Fortran), so every call below converts
// explicitly on the way in and out rather than relying on transpose identities.

/// Eigenvalues (largest first) and unit eigenvectors of a symmetric matrix, from LAPACK `dsyev`.
public struct SymmetricEigen: Sendable {
  public let n: Int
  /// [n], descending.
  public let values: [Double]
  /// [n, n] row-major; column j is the unit eigenvector of `values[j]`, so M = V diag(values) V^T.
  public let vectors: [Double]

  /// Decomposes the symmetric [n, n] row-major `matrix` (only its upper triangle is read).
  public init(symmetric matrix: [Double], n: Int) throws {
    precondition(matrix.count == n * n, "SymmetricEigen: \(matrix.count) values for [\(n), \(n)]")
    guard matrix.allSatisfy(\.isFinite) else { throw LamError("eigendecomposition: the matrix has a non-finite entry") }
    self.n = n
    if n == 0 {
      values = []
      vectors = []
      return
    }
    // Row-major upper triangle = column-major lower triangle of the same array.
    var a = matrix  // [n, n], overwritten by the eigenvectors (column-major: column j = vector j)
    var w = [Double](repeating: 0, count: n)  // [n], ascending
    var size = Int32(n), lda = Int32(n), info: Int32 = 0
    var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "L"))
    // Workspace query first (lwork = -1), then the real call.
    var query = 0.0
    var lwork: Int32 = -1
    BLASThreads.pinOpenBLAS()
    dsyev_(&jobz, &uplo, &size, &a, &lda, &w, &query, &lwork, &info)
    lwork = Int32(max(query, Double(3 * n)))
    var work = [Double](repeating: 0, count: Int(lwork))
    dsyev_(&jobz, &uplo, &size, &a, &lda, &w, &work, &lwork, &info)
    guard info == 0 else { throw LamError("eigendecomposition: LAPACK dsyev failed (info \(info))") }
    // Reverse to descending order and store row-major with eigenvectors as columns.
    var sortedValues = [Double](repeating: 0, count: n)
    var v = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
      let source = n - 1 - j
      sortedValues[j] = w[source]
      for i in 0..<n { v[i * n + j] = a[source * n + i] }
    }
    values = sortedValues
    vectors = v
  }

  /// The eigenvectors of the `k` largest eigenvalues as columns: [n, k] row-major.
  public func top(_ k: Int) -> [Double] { columns(0..<k) }

  /// The eigenvectors with indices in `range` (0 = largest eigenvalue) as columns: [n, range.count].
  public func columns(_ range: Range<Int>) -> [Double] {
    precondition(range.lowerBound >= 0 && range.upperBound <= n, "SymmetricEigen.columns: \(range) outside 0..<\(n)")
    let k = range.count
    var out = [Double](repeating: 0, count: n * k)
    for i in 0..<n {
      for (c, j) in range.enumerated() { out[i * k + c] = vectors[i * n + j] }
    }
    return out
  }
}

/// Singular values (descending) and, if asked, the left singular vectors of a [rows, columns]
/// row-major matrix, from LAPACK `dgesvd`. `u` is [rows, min(rows, columns)] row-major.
public func singularValueDecomposition(
  _ matrix: [Double], rows: Int, columns: Int, wantU: Bool
) -> (values: [Double], u: [Double]) {
  precondition(matrix.count == rows * columns, "SVD: \(matrix.count) values for [\(rows), \(columns)]")
  let k = min(rows, columns)
  if k == 0 { return ([], []) }
  var a = [Double](repeating: 0, count: rows * columns)  // column-major [rows, columns]
  for i in 0..<rows {
    for j in 0..<columns { a[j * rows + i] = matrix[i * columns + j] }
  }
  var m = Int32(rows), n = Int32(columns), lda = Int32(rows), info: Int32 = 0
  var s = [Double](repeating: 0, count: k)
  var uColumnMajor = [Double](repeating: 0, count: wantU ? rows * k : 1)  // [rows, k] column-major
  var ldu = Int32(wantU ? rows : 1)
  var vt = [Double](repeating: 0, count: 1)
  var ldvt: Int32 = 1
  var jobu = Int8(UInt8(ascii: wantU ? "S" : "N")), jobvt = Int8(UInt8(ascii: "N"))
  var query = 0.0
  var lwork: Int32 = -1
  BLASThreads.pinOpenBLAS()
  dgesvd_(&jobu, &jobvt, &m, &n, &a, &lda, &s, &uColumnMajor, &ldu, &vt, &ldvt, &query, &lwork, &info)
  lwork = Int32(max(query, Double(5 * max(rows, columns))))
  var work = [Double](repeating: 0, count: Int(lwork))
  dgesvd_(&jobu, &jobvt, &m, &n, &a, &lda, &s, &uColumnMajor, &ldu, &vt, &ldvt, &work, &lwork, &info)
  // info < 0 is a bad argument (a bug here); info > 0 (no convergence, only for pathological
  // input) still leaves LAPACK's best singular values and vectors, which we return.
  precondition(info >= 0, "dgesvd: illegal argument \(-info)")
  guard wantU else { return (s, []) }
  var u = [Double](repeating: 0, count: rows * k)
  for i in 0..<rows {
    for j in 0..<k { u[i * k + j] = uColumnMajor[j * rows + i] }
  }
  return (s, u)
}

/// An orthonormal basis of the column span of a [rows, columns] row-major matrix: [rows, r]
/// row-major, r = the numerical rank (singular values above `relativeTolerance` times the largest).
public func orthonormalBasis(
  _ matrix: [Double], rows: Int, columns: Int, relativeTolerance: Double = 1e-10
) -> (basis: [Double], rank: Int) {
  let (s, u) = singularValueDecomposition(matrix, rows: rows, columns: columns, wantU: true)
  guard let largest = s.first, largest > 0 else { return ([], 0) }
  let rank = s.filter { $0 > relativeTolerance * largest }.count
  let k = s.count
  var basis = [Double](repeating: 0, count: rows * rank)
  for i in 0..<rows {
    for j in 0..<rank { basis[i * rank + j] = u[i * k + j] }
  }
  return (basis, rank)
}

/// Principal angles in radians (ascending) between the column spans of `a` [rows, columnsA] and
/// `b` [rows, columnsB], both row-major: the arccosines of the singular values of Qa^T Qb for
/// orthonormal bases Qa, Qb. There are min(rank a, rank b) of them; the last is the largest.
public func principalAngles(_ a: [Double], columns columnsA: Int, _ b: [Double], columns columnsB: Int, rows: Int) -> [Double] {
  let (qa, ra) = orthonormalBasis(a, rows: rows, columns: columnsA)
  let (qb, rb) = orthonormalBasis(b, rows: rows, columns: columnsB)
  if ra == 0 || rb == 0 { return [] }
  var m = [Double](repeating: 0, count: ra * rb)  // [ra, rb] = Qa^T Qb
  for r in 0..<rows {
    for i in 0..<ra {
      let x = qa[r * ra + i]
      for j in 0..<rb { m[i * rb + j] += x * qb[r * rb + j] }
    }
  }
  let cosines = singularValueDecomposition(m, rows: ra, columns: rb, wantU: false).values
  // Descending cosines give ascending angles; clamp rounding just above 1.
  return cosines.map { acos(min(1, max(-1, $0))) }
}

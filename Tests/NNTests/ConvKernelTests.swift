import ConvKernels
import Core
import TestSupport
import Testing

// The column kernels against plain loops in Double, on sizes that reach every edge: rows not a multiple of
// the 6-row tile, positions not a multiple of the 16-column strip, depths over one 256-deep pass, more
// columns than one 256-column block, and sources laid out in runs of 16, 8 and 4 or in no runs at all.
// Each test runs on every tile this CPU has (the build's own, AVX2 or plain C, and AVX-512), chosen for the
// test's thread alone (`lam_use_kernels`); the sizes also reach the AVX-512 tiles' edges (rows past 12 and
// 24, odd strip counts, a strip of runs next to one without).

/// The tiles to test: every one `lam_use_kernels` accepts on this CPU is run, the others return early.
private let kernelPaths = [LAM_KERNELS_BUILD, LAM_KERNELS_AVX512]

/// Runs `body` with the calling thread on tile `kernels`, or not at all when this CPU lacks it.
private func onKernels(_ kernels: Int32, _ body: () -> Void) {
  guard lam_use_kernels(kernels) == 1 else { return }
  defer { lam_use_kernels(0) }
  #expect(lam_kernels() == kernels)
  body()
}

@Test("a thread chooses its own tile, and a tile that does not exist is refused without a change")
func kernelChoiceBelongsToTheThread() {
  let automatic = lam_kernels()
  #expect(automatic == LAM_KERNELS_BUILD || automatic == LAM_KERNELS_AVX512)
  #expect(lam_use_kernels(LAM_KERNELS_BUILD) == 1)
  #expect(lam_kernels() == LAM_KERNELS_BUILD)
  #expect(lam_use_kernels(7) == 0)
  #expect(lam_kernels() == LAM_KERNELS_BUILD)
  #expect(lam_use_kernels(0) == 1)
  #expect(lam_kernels() == automatic)
}

/// Where each layout puts the n positions of one image row: `run` floats side by side, then a gap of one
/// (a phase plane's extra column); 0 for no runs (every position two floats apart).
private func positionOffsets(_ n: Int, run: Int) -> [Int32] {
  (0..<n).map { p in Int32(run == 0 ? 2 * p : p / run * (run + 1) + p % run) }
}

private func randomFloats(_ count: Int, _ rng: inout RNG) -> [Float] {
  (0..<count).map { _ in rng.uniform(-1, 1) }
}

private struct ColumnSource {
  let taps: [Int32]  // [rows]
  let positions: [Int32]  // [n]
  let imageStride: Int
  let values: [Float]  // [images * imageStride]

  init(rows: Int, n: Int, images: Int, run: Int, rng: inout RNG) {
    positions = positionOffsets(n, run: run)
    let span = Int(positions.last ?? 0) + 1
    taps = (0..<rows).map { Int32(($0 * 7) % rows * span + $0 % 3) }  // rows out of order, overlapping starts
    imageStride = (rows + 1) * span + 3
    values = randomFloats(images * imageStride, &rng)
  }

  /// Entry (r, p) of image i's column matrix.
  func entry(_ i: Int, _ r: Int, _ p: Int) -> Double {
    Double(values[i * imageStride + Int(taps[r]) + Int(positions[p])])
  }

  /// Entry (row, p) of A [m, rows] x image i's column matrix, in Double.
  func product(_ a: [Float], row: Int, _ i: Int, _ p: Int) -> Double {
    (0..<taps.count).reduce(0.0) { $0 + Double(a[row * taps.count + $1]) * entry(i, $1, p) }
  }
}

@Test(arguments: [
  (m: 7, k: 3, n: 5, images: 3, run: 0),
  (m: 13, k: 300, n: 40, images: 2, run: 8),
  (m: 6, k: 257, n: 16, images: 20, run: 4),
  (m: 32, k: 96, n: 256, images: 2, run: 16),
  (m: 1, k: 1, n: 1, images: 1, run: 0),
  (m: 50, k: 40, n: 16, images: 3, run: 16),
  // up to 32 rows from a small image: the AVX-512 tile reads strips of runs of 16 in place
  (m: 32, k: 48, n: 64, images: 2, run: 16),
  (m: 20, k: 24, n: 48, images: 3, run: 16),
  (m: 12, k: 40, n: 40, images: 3, run: 16),
], kernelPaths)
func columnProductEqualsThePlainProductOnEveryImage(
  _ size: (m: Int, k: Int, n: Int, images: Int, run: Int), kernels: Int32
) {
  onKernels(kernels) { checkColumnProduct(m: size.m, k: size.k, n: size.n, images: size.images, run: size.run) }
}

private func checkColumnProduct(m: Int, k: Int, n: Int, images: Int, run: Int) {
  var rng = RNG(seed: 3)
  let a = randomFloats(m * k, &rng)
  let source = ColumnSource(rows: k, n: n, images: images, run: run, rng: &rng)
  let mp = Int(lam_padded_rows(Int32(m))), np = Int(lam_padded_cols(Int32(n))), ldc = images * np
  for transposed in [false, true] {
    // A stored as is, or as its transpose [k, m] for the transposed packing.
    let stored = transposed ? (0..<k * m).map { a[$0 % m * k + $0 / m] } : a
    var packed = [Float](repeating: .nan, count: mp * k)
    lam_pack_a(stored, Int32(m), Int32(k), Int32(transposed ? m : k), transposed ? 1 : 0, &packed)
    var c = [Float](repeating: .nan, count: mp * ldc)
    var block = [Float](repeating: 0, count: Int(LAM_KC * LAM_NC))
    lam_gemm_columns(Int32(m), Int32(k), Int32(n), Int32(images), packed, source.values, source.imageStride,
                     source.taps, source.positions, &c, &block)
    var got: [Double] = [], want: [Double] = []
    for i in 0..<images {
      for r in 0..<m {
        for p in 0..<n {
          got.append(Double(c[r * ldc + i * np + p]))
          want.append(source.product(a, row: r, i, p))
        }
      }
    }
    #expect(maxRelativeError(got, want, floor: 1) < 1e-5, "m \(m) k \(k) n \(n) images \(images) transposed \(transposed)")
    let padding = (0..<m * ldc).filter { $0 % ldc % np >= n }.map { c[$0] }
    #expect(padding.allSatisfy { $0 == 0 }, "the padding columns of C are zero")
    #expect(c[(m * ldc)...].allSatisfy { $0.isNaN }, "the rows of C past m are left alone")
  }
}

@Test(arguments: [
  (m: 7, columns: 21, n: 20, images: 30, run: 4),
  (m: 13, columns: 40, n: 24, images: 12, run: 8),
  (m: 6, columns: 16, n: 32, images: 9, run: 16),
  (m: 5, columns: 9, n: 7, images: 50, run: 0),
  (m: 30, columns: 72, n: 16, images: 20, run: 16),
  // 32 and 64 rows: the AVX-512 tile's column-wise weight gradient, passes ending inside an image
  (m: 32, columns: 96, n: 128, images: 3, run: 16),
  (m: 64, columns: 40, n: 20, images: 30, run: 4),
  (m: 32, columns: 13, n: 64, images: 9, run: 8),
  (m: 64, columns: 100, n: 16, images: 20, run: 16),
  (m: 32, columns: 25, n: 7, images: 50, run: 0),
], kernelPaths)
func columnTransposedProductAddsEveryImagesWeightGradient(
  _ size: (m: Int, columns: Int, n: Int, images: Int, run: Int), kernels: Int32
) {
  onKernels(kernels) {
    checkTransposedProduct(m: size.m, columns: size.columns, n: size.n, images: size.images, run: size.run)
  }
}

private func checkTransposedProduct(m: Int, columns: Int, n: Int, images: Int, run: Int) {
  var rng = RNG(seed: 4)
  let a = randomFloats(images * m * n, &rng)  // image i: [m, n]
  let source = ColumnSource(rows: columns, n: n, images: images, run: run, rng: &rng)
  let mp = Int(lam_padded_rows(Int32(m))), cp = Int(lam_padded_cols(Int32(columns)))
  let start = (0..<mp * cp).map { $0 / cp < m && $0 % cp < columns ? Float($0 % 5) : 0 }
  var c = start
  var aBlock = [Float](repeating: .nan, count: mp * Int(LAM_KC))
  var bPanel = [Float](repeating: .nan, count: Int(LAM_KC * LAM_NC))
  lam_gemm_columns_t(Int32(m), Int32(columns), Int32(n), Int32(images), a, m * n, source.values,
                     source.imageStride, source.taps, source.positions, &c, Int32(cp), &aBlock, &bPanel)
  var got: [Double] = [], want: [Double] = []
  for r in 0..<m {
    for j in 0..<columns {
      got.append(Double(c[r * cp + j]))
      var sum = Double(start[r * cp + j])
      for i in 0..<images {
        for p in 0..<n { sum += Double(a[(i * m + r) * n + p]) * source.entry(i, j, p) }
      }
      want.append(sum)
    }
  }
  #expect(maxRelativeError(got, want, floor: 1) < 1e-5)
  #expect((0..<mp * cp).filter { $0 / cp >= m || $0 % cp >= columns }.allSatisfy { c[$0] == 0 })
}

@Test(
  "a column product of up to 32 rows has the bits of the same rows computed among 33",
  arguments: [(m: 32, k: 48, n: 64, images: 2), (m: 20, k: 24, n: 48, images: 3), (m: 12, k: 40, n: 40, images: 3)],
  kernelPaths)
func columnProductRowsDoNotDependOnTheRowCount(_ size: (m: Int, k: Int, n: Int, images: Int), kernels: Int32) {
  // Each entry is its own chain of multiply-adds, so strips read in place (up to 32 rows on the AVX-512
  // tile) must give what packed strips give for 33 rows.
  onKernels(kernels) {
    let (m, k, n, images) = (size.m, size.k, size.n, size.images)
    var rng = RNG(seed: 10)
    let wide = randomFloats(33 * k, &rng)  // [33, k]; its first m rows are A
    let source = ColumnSource(rows: k, n: n, images: images, run: 16, rng: &rng)
    let np = Int(lam_padded_cols(Int32(n))), ldc = images * np
    func product(rows: Int) -> [Float] {
      let mp = Int(lam_padded_rows(Int32(rows)))
      var packed = [Float](repeating: .nan, count: mp * k)
      lam_pack_a(wide, Int32(rows), Int32(k), Int32(k), 0, &packed)
      var c = [Float](repeating: .nan, count: mp * ldc)
      var block = [Float](repeating: 0, count: Int(LAM_KC * LAM_NC))
      lam_gemm_columns(Int32(rows), Int32(k), Int32(n), Int32(images), packed, source.values, source.imageStride,
                       source.taps, source.positions, &c, &block)
      return Array(c[0..<m * ldc])
    }
    let got = product(rows: m), want = product(rows: 33)
    #expect(got.map(\.bitPattern) == want.map(\.bitPattern))
    #expect(got.contains { $0 != 0 && $0.rounded() != $0 })
  }
}

@Test(
  "a weight gradient of 32 or 64 rows has the bits of the same rows computed among 33 or 65",
  arguments: [(m: 32, columns: 96, n: 256, images: 3, run: 16), (m: 64, columns: 40, n: 20, images: 30, run: 4),
              (m: 64, columns: 100, n: 16, images: 20, run: 16)],
  kernelPaths)
func weightGradientRowsDoNotDependOnTheRowCount(
  _ size: (m: Int, columns: Int, n: Int, images: Int, run: Int), kernels: Int32
) {
  // Each entry is its own chain of multiply-adds, so the AVX-512 tile's column-wise path (m = 32 or 64)
  // must give what its row tile gives for one more row.
  onKernels(kernels) {
    let (m, columns, n, images) = (size.m, size.columns, size.n, size.images)
    var rng = RNG(seed: 9)
    let wide = randomFloats(images * (m + 1) * n, &rng)  // image i: [m + 1, n]
    var a: [Float] = []  // image i: the first m rows of wide's
    for i in 0..<images { a += wide[(i * (m + 1) * n)..<((i * (m + 1) + m) * n)] }
    let source = ColumnSource(rows: columns, n: n, images: images, run: size.run, rng: &rng)
    let cp = Int(lam_padded_cols(Int32(columns)))
    func gradient(_ a: [Float], rows: Int) -> [Float] {
      let mp = Int(lam_padded_rows(Int32(rows)))
      var c = [Float](repeating: 0, count: mp * cp)
      for r in 0..<rows { for j in 0..<columns { c[r * cp + j] = Float((r * cp + j) % 5) } }
      var aBlock = [Float](repeating: .nan, count: mp * Int(LAM_KC))
      var bPanel = [Float](repeating: .nan, count: Int(LAM_KC * LAM_NC))
      lam_gemm_columns_t(Int32(rows), Int32(columns), Int32(n), Int32(images), a, rows * n, source.values,
                         source.imageStride, source.taps, source.positions, &c, Int32(cp), &aBlock, &bPanel)
      return Array(c[0..<m * cp])
    }
    let got = gradient(a, rows: m), want = gradient(wide, rows: m + 1)
    #expect(got.map(\.bitPattern) == want.map(\.bitPattern))
    #expect(got.contains { $0 != 0 && $0.rounded() != $0 })
  }
}

@Test(arguments: [
  (m: 7, k: 3, n: 5, images: 2, run: 0),
  (m: 13, k: 300, n: 40, images: 2, run: 8),
  (m: 20, k: 64, n: 32, images: 3, run: 4),
  (m: 6, k: 16, n: 48, images: 1, run: 16),
  (m: 30, k: 270, n: 20, images: 2, run: 16),
  (m: 50, k: 24, n: 64, images: 2, run: 0),
], kernelPaths)
func columnProductAddedInPlaceEqualsTheProductScatteredByHand(
  _ size: (m: Int, k: Int, n: Int, images: Int, run: Int), kernels: Int32
) {
  onKernels(kernels) { checkProductAddedInPlace(m: size.m, k: size.k, n: size.n, images: size.images, run: size.run) }
}

private func checkProductAddedInPlace(m: Int, k: Int, n: Int, images: Int, run: Int) {
  var rng = RNG(seed: 6)
  let a = randomFloats(m * k, &rng)
  let source = ColumnSource(rows: k, n: n, images: images, run: run, rng: &rng)
  let mp = Int(lam_padded_rows(Int32(m)))
  var packed = [Float](repeating: .nan, count: mp * k)
  lam_pack_a(a, Int32(m), Int32(k), Int32(k), 0, &packed)
  // Each row of the product lands on its own stretch of the destination, its positions in the same layout.
  let outPositions = positionOffsets(n, run: run)
  let span = Int(outPositions.last!) + 1, destStride = m * span + 5
  let outTaps = (0..<m).map { Int32(($0 * 5) % m * span + 2) }
  let before = randomFloats(images * destStride, &rng)
  var dest = before
  var strip = [Float](repeating: .nan, count: mp * Int(LAM_PANEL_COLS))
  var block = [Float](repeating: .nan, count: Int(LAM_KC * LAM_NC))
  lam_gemm_columns_add(Int32(m), Int32(k), Int32(n), Int32(images), packed, source.values, source.imageStride,
                       source.taps, source.positions, &dest, destStride, outTaps, outPositions, &strip, &block)
  var want = before.map(Double.init)
  for i in 0..<images {
    for r in 0..<m {
      for p in 0..<n {
        want[i * destStride + Int(outTaps[r] + outPositions[p])] += source.product(a, row: r, i, p)
      }
    }
  }
  #expect(maxRelativeError(dest.map(Double.init), want, floor: 1) < 1e-5)
}

import ConvKernels

// The phase planes of a strided convolution's image, and the offsets its column kernels read them at.

// A window row reads every S-th pixel of an image row. Splitting the zero-padded image once into its
// S x S phase planes (padded pixel (u*S + a, v*S + b) goes to plane (a, b) at (u, v)) turns every window
// row into a contiguous run of OW floats, so the column kernels copy and add whole runs instead of gathering
// or scattering single floats; the split itself touches each pixel once.
extension ConvGeometry {
  /// Phase planes per channel along each axis: min(S, K) (phases no kernel tap reaches are skipped).
  var phasesH: Int { min(strideH, kernelH) }
  var phasesW: Int { min(strideW, kernelW) }
  /// Rows and columns of one phase plane: enough for the farthest tap, OH + (KH - 1) / SH.
  var phaseHeight: Int { outHeight + (kernelH - 1) / strideH }
  var phaseWidth: Int { outWidth + (kernelW - 1) / strideW }

  /// Floats of one image's phase planes (the scratch of `im2col` and `col2im`): C * phases * phase plane size.
  public var scratchSize: Int { channels * phasesH * phasesW * phaseHeight * phaseWidth }

  /// Where phase plane (c, a, b), [phaseHeight, phaseWidth], starts among one image's planes.
  func phasePlaneOffset(c: Int, a: Int, b: Int) -> Int {
    ((c * phasesH + a) * phasesW + b) * phaseHeight * phaseWidth
  }
}

// MARK: - Phase planes and windows

/// The rows of one image's phase planes (`ConvGeometry.scratchSize` floats, PW per row) and where each
/// reads the image: built once per geometry, so that splitting and merging allocate nothing.
///
/// With a stride of 2 across (and a kernel at least 2 wide, so both column phases exist) the plan goes by
/// image row instead: each row's even and odd pixels are dealt out to two plane rows at once
/// (`lam_split_pairs`), a few long rows instead of many short ones.
final class PhaseRows {
  let geometry: ConvGeometry
  private let byImageRow: Bool
  private let count: Int  // C * phases * PH plane rows, or the image rows the planes hold
  // Plane rows: the image index of column 0 of each, the first column inside the image, one past the last.
  // Image rows: the image index of the row, where its even pixels start in the planes, where its odd ones do.
  private let first: UnsafeMutablePointer<Int32>  // [count]: bases, or src
  private let second: UnsafeMutablePointer<Int32>  // [count]: lo, or even
  private let third: UnsafeMutablePointer<Int32>  // [count]: hi, or odd
  private let evens: Int32  // image rows: pixels 2t the planes hold (t < evens)
  private let odds: Int32  // image rows: pixels 2t + 1 the planes hold
  /// Every pixel of the image lies in the planes (once: a padded pixel belongs to one phase). Then `merge`
  /// can write the image instead of adding onto a zeroed one.
  let holdsEveryPixel: Bool

  init(_ g: ConvGeometry) {
    geometry = g
    let ph = g.phaseHeight, pw = g.phaseWidth
    byImageRow = g.strideW == 2 && g.phasesW == 2
    var rows: [(Int, Int, Int)] = []
    if byImageRow {
      // Pixel x goes to column phase (x + P) % 2 at (x + P) / 2: the evens to phase P % 2 from P / 2 on,
      // the odds to the other from (P + 1) / 2 on, as far as the plane is wide.
      evens = Int32(max(0, min((g.width + 1) / 2, pw - g.padW / 2)))
      odds = Int32(max(0, min(g.width / 2, pw - (g.padW + 1) / 2)))
      for c in 0..<g.channels {
        for y in 0..<g.height {
          let (a, u) = ((y + g.padH) % g.strideH, (y + g.padH) / g.strideH)
          guard a < g.phasesH && u < ph else { continue }  // a row no kernel tap reads
          let plane = { (b: Int) in g.phasePlaneOffset(c: c, a: a, b: b) + u * pw }
          rows.append(((c * g.height + y) * g.width, plane(g.padW % 2) + g.padW / 2,
                       plane((g.padW + 1) % 2) + (g.padW + 1) / 2))
        }
      }
    } else {
      (evens, odds) = (0, 0)
      for c in 0..<g.channels {
        for a in 0..<g.phasesH {
          let inRows = ConvGeometry.validRange(offset: a, pad: g.padH, stride: g.strideH, size: g.height, outCount: ph)
          for b in 0..<g.phasesW {
            let cols = ConvGeometry.validRange(offset: b, pad: g.padW, stride: g.strideW, size: g.width, outCount: pw)
            for u in 0..<ph {
              // Padded pixel (u*S + a, v*S + b) is image pixel (u*S + a - P, v*S + b - P) of channel c.
              rows.append((c * g.height * g.width + (u * g.strideH + a - g.padH) * g.width + b - g.padW,
                           inRows.contains(u) ? cols.lowerBound : 0, inRows.contains(u) ? cols.upperBound : 0))
            }
          }
        }
      }
    }
    count = rows.count
    let held = byImageRow ? rows.count * Int(evens + odds) : rows.reduce(0) { $0 + $1.2 - $1.1 }
    holdsEveryPixel = held == g.imageSize
    first = .allocate(capacity: max(count, 1))
    second = .allocate(capacity: max(count, 1))
    third = .allocate(capacity: max(count, 1))
    for (r, row) in rows.enumerated() {
      (first[r], second[r], third[r]) = (Int32(row.0), Int32(row.1), Int32(row.2))
    }
  }

  deinit {
    first.deallocate()
    second.deallocate()
    third.deallocate()
  }

  /// Splits one image [C, H, W] into its zero-padded phase planes.
  func split(_ image: UnsafePointer<Float>, into planes: UnsafeMutablePointer<Float>) {
    let g = geometry
    if byImageRow {
      lam_split_pairs(image, planes, Int32(g.scratchSize), Int32(count), first, second, third, evens, odds)
    } else {
      lam_split_phases(image, planes, Int32(count), Int32(g.phaseWidth), Int32(g.strideW), first, second, third)
    }
  }

  /// The adjoint of `split`: ADDS the phase planes back into the image [C, H, W], dropping the padding.
  func merge(_ planes: UnsafePointer<Float>, addingInto image: UnsafeMutablePointer<Float>) {
    merge(planes, image, add: true)
  }

  /// The adjoint of `split` written over the image [C, H, W]: pixels no plane holds become zero.
  func merge(_ planes: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
    if !holdsEveryPixel { image.update(repeating: 0, count: geometry.imageSize) }
    merge(planes, image, add: !holdsEveryPixel)
  }

  private func merge(_ planes: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, add: Bool) {
    let g = geometry, a: Int32 = add ? 1 : 0
    if byImageRow {
      lam_merge_pairs(planes, image, Int32(count), first, second, third, evens, odds, a)
    } else {
      lam_merge_phases(planes, image, Int32(count), Int32(g.phaseWidth), Int32(g.strideW), first, second, third, a)
    }
  }
}

/// Where the entries of a column matrix lie in the source its kernel reads (`lam_gemm_columns`): entry
/// (r, p) is source[taps[r] + positions[p]]. Allocated once per geometry, so a step makes no arrays.
final class ColumnOffsets {
  let taps: UnsafeMutablePointer<Int32>  // [rows]
  let positions: UnsafeMutablePointer<Int32>  // [P]
  let rows: Int
  let count: Int  // P

  private init(rows: Int, positions p: Int, tap: (Int) -> Int, position: (Int) -> Int) {
    self.rows = rows
    count = p
    taps = .allocate(capacity: max(rows, 1))
    positions = .allocate(capacity: max(p, 1))
    for r in 0..<rows { taps[r] = Int32(tap(r)) }
    for q in 0..<p { positions[q] = Int32(position(q)) }
  }

  deinit {
    taps.deallocate()
    positions.deallocate()
  }

  /// The column matrix [C*KH*KW, OH*OW] of `g` in an image's phase planes (`PhaseRows.split`): row (c, ki, kj)
  /// is phase plane (c, ki % S, kj % S) from (ki / S, kj / S) on; position (y, x) is y*PW + x from there.
  convenience init(columnsOf g: ConvGeometry) {
    let pw = g.phaseWidth, kk = g.kernelH * g.kernelW
    self.init(rows: g.patchSize, positions: g.positions, tap: { r in
      let (c, ki, kj) = (r / kk, r % kk / g.kernelW, r % g.kernelW)
      return g.phasePlaneOffset(c: c, a: ki % g.strideH, b: kj % g.strideW) + (ki / g.strideH) * pw + kj / g.strideW
    }, position: { q in q / g.outWidth * pw + q % g.outWidth })
  }

  /// A plain matrix [rows, P] (an NCHW image's channels): entry (r, p) at r*P + p.
  convenience init(rows: Int, positions p: Int) {
    self.init(rows: rows, positions: p, tap: { $0 * p }, position: { $0 })
  }
}

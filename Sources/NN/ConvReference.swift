import ConvKernels

// The column matrix the convolutions multiply by, built and scattered by plain loops: the reference their
// kernels are tested against (the layers never build it).

/// Unfolds one image [C, H, W] into its column matrix [C*KH*KW, OH*OW]: entry ((c, ki, kj), (oh, ow)) is
/// pixel (c, oh*S - P + ki, ow*S - P + kj), or 0 in the padding.
///
/// Rows are `rowStride` (>= OH*OW) apart. `scratch` holds `g.scratchSize` floats (overwritten). The layers
/// never build this matrix; it defines what their kernels read, and the tests check them against it.
public func im2col(
  _ image: UnsafePointer<Float>, _ g: ConvGeometry,
  into columns: UnsafeMutablePointer<Float>, rowStride: Int, scratch: UnsafeMutablePointer<Float>
) {
  precondition(rowStride >= g.positions, "rowStride \(rowStride) < \(g.positions) positions")
  PhaseRows(g).split(image, into: scratch)
  let offsets = ColumnOffsets(columnsOf: g)
  for r in 0..<g.patchSize {
    for p in 0..<g.positions { columns[r * rowStride + p] = scratch[Int(offsets.taps[r] + offsets.positions[p])] }
  }
}

/// The adjoint of `im2col`: ADDS every entry of a column matrix [C*KH*KW, OH*OW] (rows `rowStride`
/// apart) into the pixel of `image` [C, H, W] it was read from; entries that fell in the padding are
/// dropped. `scratch` holds `g.scratchSize` floats (overwritten).
public func col2im(
  _ columns: UnsafePointer<Float>, rowStride: Int, _ g: ConvGeometry,
  addingInto image: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
) {
  fold(columns, rowStride: rowStride, g, scratch: scratch).merge(scratch, addingInto: image)
}

/// `col2im` written over `image` instead of added onto it (pixels no window reads become zero), as a
/// convolution's input gradient is.
public func col2im(
  _ columns: UnsafePointer<Float>, rowStride: Int, _ g: ConvGeometry,
  into image: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
) {
  fold(columns, rowStride: rowStride, g, scratch: scratch).merge(scratch, into: image)
}

/// Sums every entry of the column matrix onto the phase planes in `scratch`; returns their plan.
private func fold(
  _ columns: UnsafePointer<Float>, rowStride: Int, _ g: ConvGeometry, scratch: UnsafeMutablePointer<Float>
) -> PhaseRows {
  precondition(rowStride >= g.positions, "rowStride \(rowStride) < \(g.positions) positions")
  scratch.update(repeating: 0, count: g.scratchSize)
  let offsets = ColumnOffsets(columnsOf: g)
  for r in 0..<g.patchSize {
    for p in 0..<g.positions { scratch[Int(offsets.taps[r] + offsets.positions[p])] += columns[r * rowStride + p] }
  }
  return PhaseRows(g)
}

import Core
import LAM
import NN

/// A whole-cell roll of a frame, in pixels (positive: content moves down or right), periodic at the edges.
public struct CellShift: Equatable, Sendable {
  public var dy: Int
  public var dx: Int
}

/// What one training step feeds the model after the run's augmentation: the pair the IDM encodes, the frame
/// the FDM decodes from and the frame it must predict. The tensors are the trainer's buffers, valid until
/// its next batch.
public struct TrainingBatch {
  public let encodeO: Tensor  // [N, C, H, W]
  public let encodeNext: Tensor  // [N, C, H, W]
  /// The FDM's input when it is not `encodeO` (kappa, shiftIndependent).
  public let decodeFrom: Tensor?  // [N, C, H, W]
  public let target: Tensor  // [N, C, H, W]
  /// Per sample, the roll of the encoder's pair and of the decoder's o and o' (empty without a shift).
  public let encoderShifts: [CellShift]
  public let decoderShifts: [CellShift]
}

/// Rolls each sample of the batch by a random whole number of cells (-1, 0 or +1 along each axis that
/// `axis` names), the same roll for o and o' of a sample, wrapping around the frame edges: the paper's shift
/// augmentation. Moving content by whole cells keeps the grid aligned, so the agent's action is unchanged.
/// The rolls drawn go into `shifts`, one per sample.
func shiftByCells(_ o: Tensor, _ next: Tensor, cellSize: Int, axis: Remedies.ShiftAxis, rng: inout RNG,
                  scratch: Tensor, shifts: inout [CellShift]) {
  let (n, c, h, w) = (o.shape[0], o.shape[1], o.shape[2], o.shape[3])
  scratch.resize(h * w)
  if shifts.count != n { shifts = [CellShift](repeating: CellShift(dy: 0, dx: 0), count: n) }
  for sample in 0..<n {
    var dy = 0, dx = 0
    switch axis {
    case .horizontal: dx = (rng.int(below: 3) - 1) * cellSize
    case .vertical: dy = (rng.int(below: 3) - 1) * cellSize
    case .both:
      dy = (rng.int(below: 3) - 1) * cellSize
      dx = (rng.int(below: 3) - 1) * cellSize
    }
    shifts[sample] = CellShift(dy: dy, dx: dx)
    if dy == 0 && dx == 0 { continue }
    for channel in 0..<c {
      let offset = (sample * c + channel) * h * w
      roll(o.data + offset, h: h, w: w, dy: dy, dx: dx, scratch: scratch.data)
      roll(next.data + offset, h: h, w: w, dy: dy, dx: dx, scratch: scratch.data)
    }
  }
}

/// plane[y][x] <- plane[y - dy][x - dx], indices modulo the plane's size.
private func roll(_ plane: UnsafeMutablePointer<Float>, h: Int, w: Int, dy: Int, dx: Int,
                  scratch: UnsafeMutablePointer<Float>) {
  scratch.update(from: plane, count: h * w)
  for y in 0..<h {
    let sy = ((y - dy) % h + h) % h
    for x in 0..<w {
      plane[y * w + x] = scratch[sy * w + ((x - dx) % w + w) % w]
    }
  }
}

/// Adds the same N(0, std^2) draw to every element of `a` and `b` (element by element), e.g. k1 to o and o'.
func addSharedNoise(_ a: Tensor, _ b: Tensor?, std: Float, rng: inout RNG) {
  for i in 0..<a.count {
    let k = std * rng.normal()
    a.data[i] += k
    if let b { b.data[i] += k }
  }
}

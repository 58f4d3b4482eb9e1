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
  /// The FDM's input when it is not `encodeO` (kappa, shiftIndependent, regionRoll).
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
  let (n, h, w) = (o.shape[0], o.shape[2], o.shape[3])
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
    rollPair(o, next, sample: sample, window: PixelWindow(y: 0, x: 0, height: h, width: w), by: shifts[sample],
             scratch: scratch)
  }
}

/// Rolls the content of the agent's region (in cells) of each sample's o and o' by a random whole number of
/// cells, uniform over every offset the region allows along the axes `axis` names (the same roll for o and o'
/// of a sample), wrapping inside the region and leaving the rest of the frame as it is. What lies outside the
/// region (a distractor's row) keeps its place, so the agent stays the square inside it; where the agent is
/// in the region says nothing about where it really is. The rolls drawn, in pixels, go into `shifts`.
func rollRegion(_ o: Tensor, _ next: Tensor, region: PixelWindow, cellSize: Int, axis: Remedies.ShiftAxis,
                rng: inout RNG, scratch: Tensor, shifts: inout [CellShift]) {
  let n = o.shape[0]
  scratch.resize(region.height * region.width)
  if shifts.count != n { shifts = [CellShift](repeating: CellShift(dy: 0, dx: 0), count: n) }
  let (rows, cols) = (region.height / cellSize, region.width / cellSize)
  for sample in 0..<n {
    let dy = axis == .horizontal ? 0 : rng.int(below: rows) * cellSize
    let dx = axis == .vertical ? 0 : rng.int(below: cols) * cellSize
    shifts[sample] = CellShift(dy: dy, dx: dx)
    rollPair(o, next, sample: sample, window: region, by: shifts[sample], scratch: scratch)
  }
}

/// A rectangle of a frame's pixels.
struct PixelWindow {
  var y: Int, x: Int, height: Int, width: Int
}

/// Rolls `window` of every channel of one sample of o and of o' by `shift`.
private func rollPair(_ o: Tensor, _ next: Tensor, sample: Int, window: PixelWindow, by shift: CellShift,
                      scratch: Tensor) {
  if shift.dy == 0 && shift.dx == 0 { return }
  let (c, h, w) = (o.shape[1], o.shape[2], o.shape[3])
  for channel in 0..<c {
    let offset = (sample * c + channel) * h * w
    roll(o.data + offset, rowLength: w, window: window, dy: shift.dy, dx: shift.dx, scratch: scratch.data)
    roll(next.data + offset, rowLength: w, window: window, dy: shift.dy, dx: shift.dx, scratch: scratch.data)
  }
}

/// Inside `window` of a plane whose rows are `rowLength` long: p[y][x] <- p[y - dy][x - dx], with y and x
/// counted from the window's corner, modulo its size.
private func roll(_ plane: UnsafeMutablePointer<Float>, rowLength: Int, window: PixelWindow, dy: Int, dx: Int,
                  scratch: UnsafeMutablePointer<Float>) {
  let (h, w) = (window.height, window.width)
  let corner = plane + window.y * rowLength + window.x
  for y in 0..<h { (scratch + y * w).update(from: corner + y * rowLength, count: w) }
  for y in 0..<h {
    let sy = ((y - dy) % h + h) % h
    for x in 0..<w {
      corner[y * rowLength + x] = scratch[sy * w + ((x - dx) % w + w) % w]
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

import ConvKernels
import Foundation
import Synchronization

/// A convolution's buffers for one compute thread, and its kernel calls: the packing and product buffers are
/// the thread's (`BatchShards.thread`), used by whatever piece it runs; the weight and bias gradients (and
/// `maskedImage`) belong to shard s of the batch, the s-th of these.
final class ConvShard {
  let planes = Tensor([0])  // [images, g.scratchSize]: a call's phase planes, where the column windows are summed
  let product = Tensor([0])  // [padded rows, chunk * padded positions]: the C of one `multiply`
  let aBlock = Tensor([0])  // [padded rows * LAM_KC]: the weight gradient's packed A
  let bBlock = Tensor([0])  // [LAM_KC * LAM_NC]: the packed B of `multiply` and `multiplyAndFold` (a panel of it
                            // for the weight gradient)
  let dWeight = Tensor([0])  // [padded rows, padded columns]: this shard's weight gradient
  let dBias = Tensor([0])  // [out]: this shard's bias gradient
  let maskedImage = Tensor([0])  // [out, OH*OW]: one image's dY masked by the ReLU (ConvTranspose2d)

  /// product = A x the column matrices of `images` images, side by side (`lam_gemm_columns`): A [m, k] is
  /// `packedA` (`PackedWeight`); image i's matrix [k, P] is source[i*imageStride + offsets]. Returns the
  /// product's row stride; image i's columns start at i * lam_padded_cols(P).
  func multiply(
    _ packedA: Tensor, rows m: Int, source: UnsafePointer<Float>, imageStride: Int, _ offsets: ColumnOffsets,
    images: Int
  ) -> Int {
    let ldc = images * Int(lam_padded_cols(Int32(offsets.count)))
    product.reserve(Int(lam_padded_rows(Int32(m))) * ldc)
    multiply(packedA, rows: m, source: source, imageStride: imageStride, offsets, images: images, into: product.data)
    return ldc
  }

  /// `multiply` into `c` [m, images * lam_padded_cols(P)] instead of `product`: straight into one image
  /// [m, P] of a batch when P fills whole strips of 16 (`writesInPlace`).
  func multiply(
    _ packedA: Tensor, rows m: Int, source: UnsafePointer<Float>, imageStride: Int, _ offsets: ColumnOffsets,
    images: Int, into c: UnsafeMutablePointer<Float>
  ) {
    bBlock.reserve(Int(LAM_KC * LAM_NC))
    lam_gemm_columns(Int32(m), Int32(offsets.rows), Int32(offsets.count), Int32(images), packedA.data, source,
                     imageStride, offsets.taps, offsets.positions, c, bBlock.data)
  }

  /// True when the product of `images` images of `positions` positions each has the layout of those
  /// images in a batch [N, rows, P]: one image, with P a multiple of 16 (no padding columns).
  static func writesInPlace(images: Int, positions p: Int) -> Bool {
    images == 1 && Int(lam_padded_cols(Int32(p))) == p
  }

  /// Folds A x the column matrices of `images` images (as `multiply`) back onto the images, as `col2im`
  /// does: each image's product is added onto its zeroed phase planes through `columns` as it is computed
  /// (`lam_gemm_columns_add`, all images in one call, so that the weight streams once per call and not once
  /// per image), and the planes are merged into target + i * imageSize, written over what it held.
  func multiplyAndFold(
    _ packedA: Tensor, rows m: Int, source: UnsafePointer<Float>, imageStride: Int, _ offsets: ColumnOffsets,
    images: Int, onto columns: ColumnOffsets, _ phases: PhaseRows, into target: UnsafeMutablePointer<Float>
  ) {
    let g = phases.geometry
    planes.resize(g.scratchSize * images)
    planes.zero()
    product.reserve(Int(lam_padded_rows(Int32(m)) * LAM_PANEL_COLS))
    bBlock.reserve(Int(LAM_KC * LAM_NC))
    lam_gemm_columns_add(Int32(m), Int32(offsets.rows), Int32(offsets.count), Int32(images), packedA.data, source,
                         imageStride, offsets.taps, offsets.positions, planes.data, g.scratchSize, columns.taps,
                         columns.positions, product.data, bBlock.data)
    for i in 0..<images { phases.merge(planes.data + i * g.scratchSize, into: target + i * g.imageSize) }
  }

  /// dWeight = the sum over `images` images of A_i x C_i^T (`lam_gemm_columns_t`): A_i [m, P] is the plain
  /// matrix at a + i*aImageStride, C_i [columns, P] the column matrix at source[i*imageStride + offsets].
  /// `dWeight` belongs to the shard whose images these are; the packing buffers are this object's, the
  /// calling thread's own.
  func weightGradient(
    rows m: Int, a: UnsafePointer<Float>, aImageStride: Int, source: UnsafePointer<Float>, imageStride: Int,
    _ offsets: ColumnOffsets, images: Int, into dWeight: Tensor
  ) {
    let mp = Int(lam_padded_rows(Int32(m))), cp = Int(lam_padded_cols(Int32(offsets.rows)))
    dWeight.resize(mp, cp)
    dWeight.zero()
    aBlock.reserve(mp * Int(LAM_KC))
    bBlock.reserve(Int(LAM_KC * LAM_NC))
    lam_gemm_columns_t(Int32(m), Int32(offsets.rows), Int32(offsets.count), Int32(images), a, aImageStride, source,
                       imageStride, offsets.taps, offsets.positions, dWeight.data, Int32(cp), aBlock.data,
                       bBlock.data)
  }

  /// Adds the shards' weight and bias gradients into the parameters' own, in shard order, so that every
  /// thread count gives the same sums: the weight's rows of piece `piece` of `pieces` (the weight is
  /// [rows, columns] as a matrix), and the bias in piece 0. Run on every compute thread, each adds its rows.
  static func addGradients(
    of shards: ArraySlice<ConvShard>, into weight: Parameter, _ bias: Parameter?, piece: Int, of pieces: Int
  ) {
    let rows = weight.value.shape[0], columns = weight.value.count / rows
    let mine = BatchShards.images(piece, of: rows, chunk: 1, shards: pieces)
    for shard in shards {
      for r in mine {
        addInto(weight.grad.data + r * columns, shard.dWeight.data + r * shard.dWeight.shape[1], columns)
      }
      if let bias, piece == 0 { addInto(bias.grad.data, shard.dBias.data, bias.grad.count) }
    }
  }
}

/// The second half of a convolution's backward, once each shard's dY is ready, as the pieces of one
/// `BatchShards.run(pieces:)`, in the order they are taken: each shard's weight gradient (one per thread at
/// first), then the input gradient chunk by chunk, so that the thread done first with its shard takes more
/// of them, then the shards' weight and bias gradients added into the parameters', a share of the rows per
/// piece, each waiting until every shard's weight gradient is done.
final class BackwardPieces {
  enum Piece {
    case weightGradient(shard: Int)
    case inputGradient(chunk: Int)
    case sum(share: Int)
  }

  private(set) var shards = 0  // the batch's shards (`BatchShards.count` of the calling thread)
  private var chunks = 0  // the chunks whose input gradient is wanted (0 for a first layer)
  private let pending = Atomic<Int>(0)  // shards whose weight gradient is not done

  /// Sets up a run over `shards` shards and `chunks` chunks; returns its piece count.
  func start(shards: Int, chunks: Int) -> Int {
    (self.shards, self.chunks) = (shards, chunks)
    pending.store(shards, ordering: .relaxed)
    return 2 * shards + chunks
  }

  func piece(_ i: Int) -> Piece {
    i < shards ? .weightGradient(shard: i) : i < shards + chunks ? .inputGradient(chunk: i - shards)
      : .sum(share: i - shards - chunks)
  }

  /// After a shard's weight gradient is written.
  func shardDone() { pending.subtract(1, ordering: .releasing) }

  /// Piece `.sum(share)`: once every shard's weight gradient is written, the rows of share `share` of the
  /// shards' gradients added into the parameters' (`ConvShard.addGradients`), the bias with share 0.
  func addGradients(share: Int, of all: [ConvShard], into weight: Parameter, _ bias: Parameter?) {
    waitForShards()
    ConvShard.addGradients(of: all.prefix(shards), into: weight, bias, piece: share, of: shards)
  }

  /// Returns once every shard's weight gradient is written. It cannot wait for ever: the sums are the last
  /// pieces, so every weight-gradient piece has been taken by a thread that is running it.
  private func waitForShards() {
    var polls = 0
    while pending.load(ordering: .acquiring) > 0 {
      polls += 1
      if polls % 1024 == 0 { sched_yield() }  // with more threads than cores, the one waited for may need this core
    }
  }
}

/// A convolution's weight packed for the column kernels (`lam_pack_a`), once per layer call. The shards
/// pack whole 6-row panels each, on the threads that then use them: packed by the caller alone, the other
/// core would wait for it before every call.
final class PackedWeight {
  let packed = Tensor([0])  // [lam_padded_rows(m) * k]: A in panels of 6 rows
  private var source: UnsafePointer<Float>?  // W while `pack` runs
  private var rows = 0  // m
  private var depth = 0  // k
  private var transposed = false
  private lazy var packShard: (Int, Int) -> Void = { [unowned self] in self.pack(shard: $0, of: $1) }

  /// Packs A [m, k] = W, or A = W^T for W [k, m] when `transposed`.
  func pack(_ w: Parameter, rows m: Int, depth k: Int, transposed: Bool) {
    packed.reserve(Int(lam_padded_rows(Int32(m))) * k)
    (source, rows, depth, self.transposed) = (UnsafePointer(w.value.data), m, k, transposed)
    BatchShards.run(packShard)
    source = nil
  }

  /// The panels of shard `s` of `shards`: rows first..<end of A, whole panels (the last one padded with zeros).
  private func pack(shard s: Int, of shards: Int) {
    guard let source else { return }
    let rows = BatchShards.images(s, of: self.rows, chunk: Int(LAM_MR), shards: shards)
    guard !rows.isEmpty else { return }
    // Row i of A is row i of W, or column i of W [k, m] when transposed.
    let a = source + (transposed ? rows.lowerBound : rows.lowerBound * depth)
    lam_pack_a(a, Int32(rows.count), Int32(depth), Int32(transposed ? self.rows : depth), transposed ? 1 : 0,
               packed.data + rows.lowerBound * depth)
  }
}

// MARK: - Batches as one matrix

/// Writes a kernel's product [rows, count*Q] (image i in columns i*Q..<i*Q+P, Q = lam_padded_cols(P),
/// rows `rowStride` apart) into images n0..<n0+count of a batch [N, rows, P], adding `bias[r]` to every
/// element of row r when given, then max(0, x) when `relu`.
func unpackImages(
  _ matrix: UnsafePointer<Float>, rowStride: Int, bias: UnsafePointer<Float>?, rows: Int, positions p: Int,
  into batch: UnsafeMutablePointer<Float>, first n0: Int, count: Int, relu: Bool = false
) {
  let q = Int(lam_padded_cols(Int32(p)))
  for i in 0..<count {
    let image = batch + (n0 + i) * rows * p  // [rows, P]
    for r in 0..<rows {
      addBias(bias?[r], relu: relu, matrix + r * rowStride + i * q, image + r * p, p)
    }
  }
}

/// Adds `bias[c]` to every element of channel c of `images` images [C, P] in place, then max(0, x) when
/// `relu`: a transposed convolution's output once its products are written.
func addBias(
  _ bias: UnsafePointer<Float>?, relu: Bool, _ batch: UnsafeMutablePointer<Float>, images: Int, channels: Int,
  positions p: Int
) {
  guard bias != nil || relu else { return }
  for plane in 0..<images * channels {
    addBias(bias?[plane % channels], relu: relu, batch + plane * p, batch + plane * p, p)
  }
}

/// dst = src + b (when b is given), then max(0, dst) when `relu` (as `reluForward`), in one pass of eight
/// lanes.
@inline(__always)
private func addBias(
  _ b: Float?, relu: Bool, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int
) {
  let whole = n / 8 * 8
  for j in Swift.stride(from: 0, to: whole, by: 8) {
    var v = UnsafeRawPointer(src + j).loadUnaligned(as: SIMD8<Float>.self)
    if let b { v += SIMD8(repeating: b) }
    if relu { v.replace(with: 0, where: v .<= 0) }
    UnsafeMutableRawPointer(dst + j).storeBytes(of: v, as: SIMD8<Float>.self)
  }
  for j in whole..<n {
    let v = b.map { src[j] + $0 } ?? src[j]
    dst[j] = relu ? max(v, 0) : v
  }
}

/// The gradient a convolution's backward works from, for `images` images [C, P] of a batch: dY itself, or,
/// when the layer applied a ReLU to its output y, dY where y > 0 and 0 elsewhere (as `reluBackward`),
/// written to `masked`. Adds each channel's sum of it into db[c] when given (the bias gradient), in the same
/// pass over dY.
///
/// Each plane is summed in eight lanes (position j in lane j % 8), then across them: one running Float sum
/// would wait on every add's latency.
func outputGradient(
  _ dy: UnsafePointer<Float>, output y: UnsafePointer<Float>?, masked: UnsafeMutablePointer<Float>,
  images: Int, channels: Int, positions p: Int, summingInto db: UnsafeMutablePointer<Float>?
) -> UnsafePointer<Float> {
  guard y != nil || db != nil else { return dy }
  let whole = p / 8 * 8
  for plane in 0..<images * channels {
    let o = plane * p
    var lanes = SIMD8<Float>()
    var sum: Float
    if let y {
      for j in Swift.stride(from: o, to: o + whole, by: 8) {
        let g = UnsafeRawPointer(dy + j).loadUnaligned(as: SIMD8<Float>.self)
        let positive = UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Float>.self) .> 0
        let v = SIMD8<Float>().replacing(with: g, where: positive)
        UnsafeMutableRawPointer(masked + j).storeBytes(of: v, as: SIMD8<Float>.self)
        lanes += v
      }
      sum = lanes.sum()
      for j in o + whole..<o + p {
        masked[j] = y[j] > 0 ? dy[j] : 0
        sum += masked[j]
      }
    } else {
      for j in Swift.stride(from: o, to: o + whole, by: 8) {
        lanes += UnsafeRawPointer(dy + j).loadUnaligned(as: SIMD8<Float>.self)
      }
      sum = lanes.sum()
      for j in o + whole..<o + p { sum += dy[j] }
    }
    db?[plane % channels] += sum
  }
  return y == nil ? dy : UnsafePointer(masked)
}

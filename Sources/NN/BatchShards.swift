import ConvKernels

/// How a layer splits its work between threads: into `count` pieces, each run by one thread with one-thread
/// products. The convolutions cut the batch into shards of whole kernel chunks with their own buffers and sum
/// the shards' parameter gradients at the end in shard order; Linear, the activations and Adam cut their work
/// so that no sum crosses pieces.
///
/// The products of a 32x32 network are small and skinny; splitting each of them between two threads gains
/// little, while two threads each running part of the images scale almost perfectly. The
/// piece count is fixed, not the thread count, so every thread count adds the same partial sums in the
/// same order. Threads take the next free piece.
public enum BatchShards {
  /// Pieces per call: one per core of the machines this is tuned for. Four shards balance better when one
  /// core is busy with other work, but their buffers take 35 MB more at batch 128 (measured 287 -> 323 MB
  /// peak for the conv benchmark), which is over its 300 MB budget.
  public static let count = 2

  /// Images first..<end of shard `s` when `n` images are processed `chunk` at a time: whole chunks,
  /// as evenly as the chunk count allows (a shard may be empty for a batch of one chunk).
  @inline(__always)
  public static func images(_ s: Int, of n: Int, chunk: Int) -> Range<Int> {
    let chunks = (n + chunk - 1) / chunk
    let first = min(n, s * chunks / count * chunk), end = min(n, (s + 1) * chunks / count * chunk)
    return first..<end
  }

  /// Runs `body(s)` for every shard s in 0..<count: on the available threads, each taking the next shard
  /// (one-thread GEMMs inside), or one after the other when `BLASThreads.count` is 1. `body` is escaping
  /// only so that callers pass a closure they made once (`ShardWorkers` explains why); it is not kept.
  public static func run(_ body: @escaping (Int) -> Void) {
    let threads = BLASThreads.count
    guard threads > 1 else {
      for s in 0..<count { body(s) }
      return
    }
    // A piece's GEMMs run on its own thread: a large one must not hand OpenBLAS more threads meanwhile.
    BLASThreads.sharded = true
    ShardWorkers.shared.run(count, threads: threads, body)
    BLASThreads.sharded = false
  }
}

/// The working buffers of one shard of a convolution's batch (`BatchShards`) and its two kernel calls: one
/// thread uses them at a time.
final class ConvShard {
  let planes = Tensor([0])  // [g.scratchSize]: one image's phase planes, where its column windows are summed
  let product = Tensor([0])  // [padded rows, chunk * padded positions]: the C of one `multiply`
  let aBlock = Tensor([0])  // [padded rows * LAM_KC]: the weight gradient's packed A
  let bBlock = Tensor([0])  // [LAM_KC * LAM_NC]: the packed B of `multiply` (a [LAM_KC, LAM_NR] panel of it
                            // for the weight gradient)
  let dWeight = Tensor([0])  // [padded rows, padded columns]: this shard's weight gradient
  let dBias = Tensor([0])  // [out]: this shard's bias gradient

  /// product = A x the column matrices of `images` images, side by side (`lam_gemm_columns`): A [m, k] is
  /// `packedA` (`PackedWeight`); image i's matrix [k, P] is source[i*imageStride + offsets]. Returns the
  /// product's row stride; image i's columns start at i * lam_padded_cols(P).
  func multiply(
    _ packedA: Tensor, rows m: Int, source: UnsafePointer<Float>, imageStride: Int, _ offsets: ColumnOffsets,
    images: Int
  ) -> Int {
    let ldc = images * Int(lam_padded_cols(Int32(offsets.count)))
    product.reserve(Int(lam_padded_rows(Int32(m))) * ldc)
    bBlock.reserve(Int(LAM_KC * LAM_NC))
    lam_gemm_columns(Int32(m), Int32(offsets.rows), Int32(offsets.count), Int32(images), packedA.data, source,
                     imageStride, offsets.taps, offsets.positions, product.data, bBlock.data)
    return ldc
  }

  /// Adds A x the column matrices of `images` images (as `multiply`) back onto the images, as `col2im`
  /// does: image i's product is added onto its zeroed phase planes through `columns` as it is computed
  /// (`lam_gemm_columns_add`), and the planes are merged into target + i * imageSize.
  func multiplyAndFold(
    _ packedA: Tensor, rows m: Int, source: UnsafePointer<Float>, imageStride: Int, _ offsets: ColumnOffsets,
    images: Int, onto columns: ColumnOffsets, _ phases: PhaseRows, addingInto target: UnsafeMutablePointer<Float>
  ) {
    let g = phases.geometry
    planes.resize(g.scratchSize)
    product.reserve(Int(lam_padded_rows(Int32(m)) * LAM_NR))
    bBlock.reserve(Int(LAM_KC * LAM_NR))
    for i in 0..<images {
      planes.zero()
      lam_gemm_columns_add(Int32(m), Int32(offsets.rows), Int32(offsets.count), 1, packedA.data,
                           source + i * imageStride, imageStride, offsets.taps, offsets.positions, planes.data,
                           g.scratchSize, columns.taps, columns.positions, product.data, bBlock.data)
      phases.merge(planes.data, addingInto: target + i * g.imageSize)
    }
  }

  /// dWeight = the sum over `images` images of A_i x C_i^T (`lam_gemm_columns_t`): A_i [m, P] is the plain
  /// matrix at a + i*aImageStride, C_i [columns, P] the column matrix at source[i*imageStride + offsets].
  func weightGradient(
    rows m: Int, a: UnsafePointer<Float>, aImageStride: Int, source: UnsafePointer<Float>, imageStride: Int,
    _ offsets: ColumnOffsets, images: Int
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
  /// thread count gives the same sums. The weight is [rows, columns] as a matrix.
  static func addGradients(of shards: [ConvShard], into weight: Parameter, _ bias: Parameter?) {
    let rows = weight.value.shape[0], columns = weight.value.count / rows
    for shard in shards {
      for r in 0..<rows {
        addInto(weight.grad.data + r * columns, shard.dWeight.data + r * shard.dWeight.shape[1], columns)
      }
      if let bias { addInto(bias.grad.data, shard.dBias.data, bias.grad.count) }
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
  private lazy var packShard: (Int) -> Void = { [unowned self] in self.pack(shard: $0) }

  /// Packs A [m, k] = W, or A = W^T for W [k, m] when `transposed`.
  func pack(_ w: Parameter, rows m: Int, depth k: Int, transposed: Bool) {
    packed.reserve(Int(lam_padded_rows(Int32(m))) * k)
    (source, rows, depth, self.transposed) = (UnsafePointer(w.value.data), m, k, transposed)
    BatchShards.run(packShard)
    source = nil
  }

  /// The panels of shard `s`: rows first..<end of A, whole panels (the last one padded with zeros).
  private func pack(shard s: Int) {
    guard let source else { return }
    let rows = BatchShards.images(s, of: self.rows, chunk: Int(LAM_MR))
    guard !rows.isEmpty else { return }
    // Row i of A is row i of W, or column i of W [k, m] when transposed.
    let a = source + (transposed ? rows.lowerBound : rows.lowerBound * depth)
    lam_pack_a(a, Int32(rows.count), Int32(depth), Int32(transposed ? self.rows : depth), transposed ? 1 : 0,
               packed.data + rows.lowerBound * depth)
  }
}

/// Adds `source[0..<count]` into `target`, eight lanes at a time, then four (a shard's gradient partial into
/// the total, a row of dY into a Linear bias gradient).
@inline(__always)
func addInto(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
  var i = 0
  while i + 8 <= count {
    let sum = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self)
      + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD8<Float>.self)
    i += 8
  }
  if i + 4 <= count {
    let sum = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD4<Float>.self)
      + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD4<Float>.self)
    UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD4<Float>.self)
    i += 4
  }
  while i < count { target[i] += source[i]; i += 1 }
}

import ConvKernels

/// How `Conv2d` and `ConvTranspose2d` compute their products.
public enum ConvAlgorithm: Sendable {
  /// Winograd's F(2x2, 2x2) for the kernel-4, stride-2, padding-1 layers of at least 16 channels each
  /// side over images of at least 8 x 8 whose sides are multiples of 4 (`WinogradConv.fits`), the direct
  /// kernels for the rest.
  case automatic
  /// The direct kernels (`lam_gemm_columns` and its kin) always.
  case direct
  /// Winograd wherever the geometry allows it, whatever the channels (the tests use it on small layers).
  case winograd
}

/// Winograd's F(2x2, 2x2) for a convolution of kernel 4, stride 2 and padding 1: the same function with
/// 9 multiply-adds where the direct convolution does 16 (Sources/ConvKernels/Winograd.c derives it).
/// Split into its four input phases, such a convolution is a 2 x 2 convolution over 4C channels; every
/// 2 x 2 output tile is then, for each of 9 transformed positions e, a product U[e] [K, 4C] x V[e] [4C, tiles],
/// run by OpenBLAS as nine GEMMs per chunk of images. The transforms only add and subtract, so the result
/// differs from the direct convolution's in rounding only.
///
/// The operator is the convolution from C channels over [h, w] to K channels over [h/2, w/2] ("conv view"):
/// `Conv2d` runs it forward and its adjoint for the input gradient; `ConvTranspose2d` (weight [in, out, 4, 4]
/// = [K, C, 4, 4]) runs the adjoint forward and the operator for its input gradient. The images go a chunk
/// of `chunkColumns` tiles at a time, every step of a chunk while its transformed operands are in L2:
/// forward hands the chunks to the next free thread; backward gives each thread a shard of whole images
/// and transforms the layer's input again rather than keeping it transformed. The weight gradient of each
/// shard goes to its `ConvShard.dWeight`, summed by the caller in shard order, so a thread count repeats
/// its bits.
final class WinogradConv {
  private let inChannels: Int  // C, the conv view's input channels
  private let outChannels: Int  // K
  private var height = 0  // h of the conv view's input images (w the width), multiples of 4
  private var width = 0
  private var batch = 0  // N
  private var tiles: Int { (height / 4) * (width / 4) }  // per image
  private var inputSize: Int { inChannels * height * width }  // floats of one [C, h, w] image
  private var outputSize: Int { outChannels * height * width / 4 }  // floats of one [K, h/2, w/2] image
  private var depth: Int { 4 * inChannels }  // 4C, the rows of V
  /// Tiles per chunk, at least (whole images): the columns of each GEMM. A chunk's operands then stay in
  /// L2 with U beside them (0.55 MB for conv2). bench-conv ran 5-7% faster with 64 than with 128 or 256,
  /// where OpenBLAS alone is faster, and slower with 32; 128 for the 8 x 8 layers alone made no difference
  /// that `lam bench` could see.
  static let chunkColumns = 64
  private let u = Tensor([0])  // [9, K, 4C]: the transformed weight
  private var scratch: [Scratch] = []  // one per shard of backward, and per thread in forward
  private var weight: UnsafePointer<Float>?  // while `prepare` runs
  private lazy var transformShard: (Int, Int) -> Void = { [unowned self] in self.transformWeight(shard: $0, of: $1) }

  /// The working buffers of a shard in backward, of a thread in forward.
  private final class Scratch {
    let outputSide = Tensor([0])  // [9, K, chunk tiles] (`Planes`): M or dM
    let inputSide = Tensor([0])  // [9, 4C, chunk tiles] (`Planes`): V or dV
    let dU = Tensor([0])  // [9, K, 4C]
  }

  /// Nine matrices [rows, columns] in one buffer: matrix e at data + e * plane, rows ld apart. Both
  /// strides are padded off powers of two (ld by 16 floats, the plane by 64 more): the transforms write and
  /// read the same column of 36 rows at a time (9 planes x 4 phases), and with strides of 2 KB and more
  /// those rows fell into the same few sets of L1 and thrashed it.
  private struct Planes {
    let data: UnsafeMutablePointer<Float>
    let plane: Int
    let ld: Int

    init(_ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
      self.data = data
      ld = columns + 16
      plane = rows * ld + 64
    }

    static func size(rows: Int, columns: Int) -> Int { 9 * (rows * (columns + 16) + 64) }

    subscript(e: Int) -> UnsafeMutablePointer<Float> { data + e * plane }
  }

  /// A shard's planes of `rows` rows and `columns` columns in `buffer`, reserved for them.
  private func planes(_ buffer: Tensor, rows: Int, columns: Int) -> Planes {
    buffer.reserve(Planes.size(rows: rows, columns: columns))
    return Planes(buffer.data, rows: rows, columns: columns)
  }

  /// True when `algorithm` runs this convolution with Winograd: the geometry must be kernel 4, stride 2,
  /// padding 1 over images whose sides are multiples of 4; `.automatic` also wants at least 16 channels on
  /// both sides (below that the products are too shallow for OpenBLAS, and the direct kernels serve the 3-
  /// and 6-channel layers better) and images of at least 8 x 8 (the sizes measured faster: the 32 x 32
  /// network's 16 x 16 and 8 x 8 inputs).
  static func fits(_ algorithm: ConvAlgorithm, kernel: Int, stride: Int, padding: Int, inChannels: Int,
                   outChannels: Int, height: Int, width: Int) -> Bool {
    let geometry = kernel == 4 && stride == 2 && padding == 1 && height % 4 == 0 && width % 4 == 0 && height > 0
      && width > 0
    switch algorithm {
    case .direct: return false
    case .winograd: return geometry
    case .automatic: return geometry && inChannels >= 16 && outChannels >= 16 && height >= 8 && width >= 8
    }
  }

  init(inChannels: Int, outChannels: Int) {
    (self.inChannels, self.outChannels) = (inChannels, outChannels)
  }

  /// Sets the conv view's input size and the batch, and transforms the weight [K, C, 4, 4] into U (the
  /// threads taking rows of it). Call before each forward; backward uses the same U.
  func prepare(weight w: Tensor, height h: Int, width wd: Int, batch n: Int) {
    (height, width, batch) = (h, wd, n)
    u.reserve(9 * outChannels * depth)
    reserveShards()
    weight = UnsafePointer(w.data)
    BatchShards.run(transformShard)
    weight = nil
  }

  /// Makes the buffers of every shard of a run on this thread (before backward too: its thread count may
  /// differ from forward's).
  func reserveShards() {
    while scratch.count < BatchShards.count { scratch.append(Scratch()) }
  }

  private func transformWeight(shard s: Int, of count: Int) {
    guard let weight else { return }
    let rows = BatchShards.images(s, of: outChannels, chunk: 1, shards: count)
    lam_wino_weight(weight, Int32(outChannels), Int32(inChannels), Int32(rows.lowerBound), Int32(rows.upperBound),
                    u.data)
  }

  /// The images of shard `s` of `count`: as evenly as whole images allow.
  private func images(shard s: Int, of count: Int) -> Range<Int> {
    BatchShards.images(s, of: batch, chunk: 1, shards: count)
  }

  private var chunkImages: Int { max(1, Self.chunkColumns / tiles) }

  /// The chunks of the whole batch, for a forward that hands them to the next free thread.
  var chunkCount: Int { (batch + chunkImages - 1) / chunkImages }

  /// The images of shard `s` of `count` a chunk at a time: `body(first image, images)` for each.
  private func chunks(shard s: Int, of count: Int, _ body: (Int, Int) -> Void) {
    let images = images(shard: s, of: count), step = chunkImages
    for n0 in stride(from: images.lowerBound, to: images.upperBound, by: step) {
      body(n0, min(step, images.upperBound - n0))
    }
  }

  // MARK: - The products, nine at a time

  /// C[e] = U[e] [K, 4C] x B[e] [4C, n] for every e.
  private func productU(_ b: Planes, n: Int, into c: Planes) {
    for e in 0..<9 {
      gemm(m: outChannels, n: n, k: depth, a: u.data + e * outChannels * depth, b: b[e], ldb: b.ld, c: c[e], ldc: c.ld)
    }
  }

  /// C[e] = U[e]^T [4C, K] x B[e] [K, n] for every e.
  private func productUT(_ b: Planes, n: Int, into c: Planes) {
    for e in 0..<9 {
      gemm(transA: true, m: depth, n: n, k: outChannels, a: u.data + e * outChannels * depth, b: b[e], ldb: b.ld,
           c: c[e], ldc: c.ld)
    }
  }

  /// dU[e] += A[e] [K, n] x B[e]^T [n, 4C] for every e.
  private func addWeightGradient(_ a: Planes, _ b: Planes, n: Int, into dU: Tensor) {
    for e in 0..<9 {
      gemm(transB: true, m: outChannels, n: depth, k: n, a: a[e], lda: a.ld, b: b[e], ldb: b.ld, beta: 1,
           c: dU.data + e * outChannels * depth)
    }
  }

  /// Zeroes a shard's dU before its chunks add into it.
  private func startWeightGradient(_ scratch: Scratch) {
    scratch.dU.reserve(9 * outChannels * depth)
    scratch.dU.zero()
  }

  /// dW [K, C, 4, 4] = the adjoint transform of a shard's dU.
  private func finishWeightGradient(_ scratch: Scratch, into dWeight: Tensor) {
    dWeight.resize(outChannels, inChannels * 16)
    lam_wino_weight_adjoint(scratch.dU.data, Int32(outChannels), Int32(inChannels), dWeight.data)
  }

  // MARK: - The transforms of b images

  private func input(_ z: UnsafePointer<Float>, images b: Int, into v: Planes) {
    lam_wino_input(z, inputSize, Int32(b), Int32(inChannels), Int32(height), Int32(width), v.data, v.plane, v.ld)
  }

  private func inputAdjoint(_ dv: Planes, images b: Int, into dz: UnsafeMutablePointer<Float>) {
    lam_wino_input_adjoint(dv.data, dv.plane, dv.ld, Int32(b), Int32(inChannels), Int32(height), Int32(width), dz,
                           inputSize)
  }

  private func output(_ m: Planes, images b: Int, bias: UnsafePointer<Float>?, relu: Bool,
                      into y: UnsafeMutablePointer<Float>) {
    lam_wino_output(m.data, m.plane, m.ld, Int32(b), Int32(outChannels), Int32(height / 2), Int32(width / 2), bias,
                    relu ? 1 : 0, y, outputSize)
  }

  private func outputAdjoint(_ dy: UnsafePointer<Float>, images b: Int, into dm: Planes) {
    lam_wino_output_adjoint(dy, outputSize, Int32(b), Int32(outChannels), Int32(height / 2), Int32(width / 2), dm.data,
                            dm.plane, dm.ld)
  }

  // MARK: - Conv2d

  /// y = conv(x) (+ bias, then max(0, y) when `relu`) for the images of chunk `c` (of `chunkCount`) of
  /// x [N, C, h, w] into y [N, K, h/2, w/2], on the calling thread's buffers.
  func convForward(_ x: UnsafePointer<Float>, chunk c: Int, bias: UnsafePointer<Float>?, relu: Bool,
                   into y: UnsafeMutablePointer<Float>) {
    let scratch = scratch[BatchShards.thread], n0 = c * chunkImages, b = min(chunkImages, batch - n0)
    let v = planes(scratch.inputSide, rows: depth, columns: b * tiles)
    let m = planes(scratch.outputSide, rows: outChannels, columns: b * tiles)
    input(x + n0 * inputSize, images: b, into: v)
    productU(v, n: b * tiles, into: m)
    output(m, images: b, bias: bias, relu: relu, into: y + n0 * outputSize)
  }

  /// For shard `s`'s images of the forward's x [N, C, h, w] and of dY [N, K, h/2, w/2] (already masked by the
  /// ReLU): the shard's weight gradient into `dWeight`, and dX [N, C, h, w] when `dInput` is given.
  func convBackward(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, shard s: Int, of count: Int,
                    dWeight: Tensor, dInput: UnsafeMutablePointer<Float>?) {
    let scratch = scratch[s]
    startWeightGradient(scratch)
    chunks(shard: s, of: count) { n0, b in
      let dm = planes(scratch.outputSide, rows: outChannels, columns: b * tiles)
      let v = planes(scratch.inputSide, rows: depth, columns: b * tiles)
      outputAdjoint(dy + n0 * outputSize, images: b, into: dm)
      input(x + n0 * inputSize, images: b, into: v)
      addWeightGradient(dm, v, n: b * tiles, into: scratch.dU)
      guard let dInput else { return }
      productUT(dm, n: b * tiles, into: v)  // dV, over V
      inputAdjoint(v, images: b, into: dInput + n0 * inputSize)
    }
    finishWeightGradient(scratch, into: dWeight)
  }

  // MARK: - ConvTranspose2d

  /// y = conv^T(x) for the images of chunk `c` (of `chunkCount`) of x [N, K, h/2, w/2] into y [N, C, h, w],
  /// on the calling thread's buffers; returns the chunk's first image and image count (for its bias and
  /// ReLU, while it is in cache).
  func transposedForward(_ x: UnsafePointer<Float>, chunk c: Int, into y: UnsafeMutablePointer<Float>) -> (Int, Int) {
    let scratch = scratch[BatchShards.thread], n0 = c * chunkImages, b = min(chunkImages, batch - n0)
    let mx = planes(scratch.outputSide, rows: outChannels, columns: b * tiles)
    let v = planes(scratch.inputSide, rows: depth, columns: b * tiles)
    outputAdjoint(x + n0 * outputSize, images: b, into: mx)
    productUT(mx, n: b * tiles, into: v)
    inputAdjoint(v, images: b, into: y + n0 * inputSize)
    return (n0, b)
  }

  /// For shard `s`'s images of the forward's x [N, K, h/2, w/2] and of dY [N, C, h, w]: the shard's weight
  /// gradient into `dWeight` and dX [N, K, h/2, w/2]. `prepare(first image, images)` runs first on each
  /// chunk and returns its dY (masked by the ReLU, the bias gradient summed).
  func transposedBackward(input x: UnsafePointer<Float>, shard s: Int, of count: Int, dWeight: Tensor,
                          dInput: UnsafeMutablePointer<Float>, prepare: (Int, Int) -> UnsafePointer<Float>) {
    let scratch = scratch[s]
    startWeightGradient(scratch)
    chunks(shard: s, of: count) { n0, b in
      let dy = prepare(n0, b)
      let v = planes(scratch.inputSide, rows: depth, columns: b * tiles)
      let m = planes(scratch.outputSide, rows: outChannels, columns: b * tiles)
      input(dy, images: b, into: v)
      outputAdjoint(x + n0 * outputSize, images: b, into: m)
      addWeightGradient(m, v, n: b * tiles, into: scratch.dU)
      productU(v, n: b * tiles, into: m)  // M, over the transformed x
      output(m, images: b, bias: nil, relu: false, into: dInput + n0 * outputSize)
    }
    finishWeightGradient(scratch, into: dWeight)
  }
}

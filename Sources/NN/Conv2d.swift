import ConvKernels
import Core

/// 2-D convolution (cross-correlation, as in PyTorch) over NCHW images: weight [out, in, K, K], bias [out].
///
/// y[n, o, oh, ow] = b[o] + sum over c, ki, kj of w[o, c, ki, kj] * x[n, c, oh*S - P + ki, ow*S - P + kj],
/// with zeros outside the image. Every product reads the column matrix of `im2col` straight from the
/// images' phase planes (`lam_gemm_columns`) instead of building it: forward multiplies the weight by it,
/// the weight gradient multiplies dY by its transpose, and the input gradient's W^T x dY is summed back
/// onto the phase planes window by window (the scatter of `col2im`).
///
/// The pieces: ConvGeometry.swift (the window and output size), ConvPhasePlanes.swift (the planes and the
/// offsets the kernels read), ConvShard.swift (a thread's share of the batch and its kernel calls),
/// ConvReference.swift (im2col and col2im as plain loops, what the tests compare against), and the C
/// kernels in Sources/ConvKernels (README.md there). ConvTranspose2d.swift uses the same pieces. Kernel-4,
/// stride-2 layers of 16 channels and more run Winograd's F(2x2, 2x2) instead (ConvWinograd.swift,
/// `algorithm`).
public final class Conv2d: Layer {
  public let inChannels: Int
  public let outChannels: Int
  public let kernel: Int
  public let stride: Int
  public let padding: Int
  public let weight: Parameter  // [out, in, K, K]
  public let bias: Parameter?  // [out]
  /// Images per kernel call, at most (fewer when their columns would pass LAM_NC = 256): the call's
  /// packed columns then stay in L2 while every row panel of the weight passes over them. 8 and not 16: a
  /// batch of 128 is then at least 16 calls, which the threads take one by one (`BatchShards.run(pieces:)`),
  /// and one core does not wait long for the other; one thread ran 4x4-output layers no slower.
  public var imagesPerGEMM = 8
  /// When false, backward only accumulates the parameter gradients and returns zeros: for a first layer,
  /// whose input is data, this saves a third of the work.
  public var inputNeedsGradient = true
  /// When true, forward returns max(0, y) (written with y, while it is in cache), and backward takes the
  /// gradient of that max(0, y) and masks it itself, in the pass that sums the bias gradient: for a ReLU
  /// after this layer that passes both through (`Activation.fusedIntoPreviousLayer`).
  public var appliesReLU = false
  /// How the products are computed (`ConvAlgorithm`); read at each forward.
  public var algorithm = ConvAlgorithm.automatic
  /// True when the last forward ran Winograd's F(2x2, 2x2) (`ConvAlgorithm`).
  public var usesWinograd: Bool { winograd != nil }

  private var geometry: ConvGeometry?  // of the last forward's images
  private var winograd: WinogradConv?  // when `geometry` is one it computes (`WinogradConv.fits`)
  private var phases: PhaseRows?  // the phase planes of `geometry`'s images
  private var columns: ColumnOffsets?  // the column matrix of `geometry` in an image's phase planes
  private var dOutputRows: ColumnOffsets?  // dY of one image as a plain matrix [out, OH*OW]
  private var batchSize = 0  // N of the last forward
  private var chunk = 1  // images per kernel call
  private var input: Tensor?  // [N, in, H, W], forward's argument while its shards run (Winograd: until backward)
  private let planes = Tensor([0])  // [N, g.scratchSize]: every input image's phase planes; kept for backward
  private let weightPanels = PackedWeight()  // W [out, in*K*K] packed for forward, W^T for backward
  private let output = Tensor([0])  // [N, out, OH, OW]
  private let dInput = Tensor([0])  // [N, in, H, W]
  private var dInputIsZero = false  // dInput holds the zeros of a layer without an input gradient already
  private var dOutput: Tensor?  // [N, out, OH, OW], backward's argument while its shards run
  private let maskedDOutput = Tensor([0])  // [N, out, OH, OW]: dOutput where the output is positive (appliesReLU)
  private var shards: [ConvShard] = []  // one per compute thread, made on the first call with that many
  // The shard bodies, made once: a closure that captured each call's values would be allocated per call.
  private lazy var forwardChunk: (Int, Int) -> Void = { [unowned self] c, _ in self.forward(chunk: c) }
  private lazy var biasGradientShard: (Int, Int) -> Void = { [unowned self] in self.biasGradient(shard: $0, of: $1) }
  private lazy var backwardPiece: (Int, Int) -> Void = { [unowned self] piece, _ in self.backward(piece: piece) }
  private lazy var winogradForward: (Int, Int) -> Void = { [unowned self] c, _ in
    guard let x = self.input else { return }
    self.winograd?.convForward(x.data, chunk: c, bias: self.bias?.value.data, relu: self.appliesReLU,
                               into: self.output.data)
  }
  private lazy var winogradBackward: (Int, Int) -> Void = { [unowned self] s, count in
    self.biasGradient(shard: s, of: count)
    guard let dOutput = self.dOutput, let x = self.input else { return }
    self.winograd?.convBackward(self.appliesReLU ? self.maskedDOutput.data : dOutput.data, input: x.data, shard: s,
                                of: count, dWeight: self.shards[s].dWeight,
                                dInput: self.inputNeedsGradient ? self.dInput.data : nil)
  }
  private lazy var addShardGradients: (Int, Int) -> Void = { [unowned self] piece, pieces in
    ConvShard.addGradients(of: self.shards.prefix(pieces), into: self.weight, self.bias, piece: piece, of: pieces)
  }
  private let backwardPieces = BackwardPieces()

  public init(
    _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
    bias: Bool = true, rng: inout RNG
  ) {
    precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0,
                 "Conv2d(\(inChannels)->\(outChannels), kernel \(kernel), stride \(stride), padding \(padding))")
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    weight = Parameter("weight", [outChannels, inChannels, kernel, kernel])
    self.bias = bias ? Parameter("bias", [outChannels]) : nil
    initPyTorchDefault(weight: weight.value, bias: self.bias?.value, fanIn: inChannels * kernel * kernel, rng: &rng)
  }

  public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

  /// The output size for an input of height `h` and width `w`: (h + 2P - K) / S + 1 per axis.
  public func outputSize(h: Int, w: Int) -> (height: Int, width: Int) {
    ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
  }

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.shape.count == 4 && x.shape[1] == inChannels,
                 "Conv2d(\(inChannels)->\(outChannels)) got input \(x.shape)")
    let n = x.shape[0]
    let g = ConvGeometry(channels: inChannels, height: x.shape[2], width: x.shape[3],
                         kernel: kernel, stride: stride, padding: padding)
    if g != geometry {
      geometry = g
      phases = PhaseRows(g)
      columns = ColumnOffsets(columnsOf: g)
      dOutputRows = ColumnOffsets(rows: outChannels, positions: g.positions)
    }
    let fits = WinogradConv.fits(algorithm, kernel: kernel, stride: stride, padding: padding, inChannels: inChannels,
                                 outChannels: outChannels, height: g.height, width: g.width)
    winograd = fits ? winograd ?? WinogradConv(inChannels: inChannels, outChannels: outChannels) : nil
    batchSize = n
    input = x
    output.resize(n, outChannels, g.outHeight, g.outWidth)
    while shards.count < BatchShards.count { shards.append(ConvShard()) }
    if let winograd {
      chunk = 1  // the shards' images, for `biasGradient`
      winograd.prepare(weight: weight.value, height: g.height, width: g.width, batch: n)
      BatchShards.run(pieces: winograd.chunkCount, winogradForward)
      return output  // `input` kept: backward transforms it again
    }
    chunk = max(1, min(imagesPerGEMM, n, Int(LAM_NC / lam_padded_cols(Int32(g.positions)))))
    planes.resize(n, g.scratchSize)
    weightPanels.pack(weight, rows: outChannels, depth: g.patchSize, transposed: false)
    BatchShards.run(pieces: (n + chunk - 1) / chunk, forwardChunk)
    input = nil
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    guard let g = geometry else { preconditionFailure("Conv2d.backward before forward") }
    precondition(dOutput.shape == output.shape, "Conv2d.backward got \(dOutput.shape), expected \(output.shape)")
    // [N, in, H, W], compared element by element: an array of the shape would be allocated every step
    let (n, h, w) = (batchSize, g.height, g.width), shape = dInput.shape
    let sameShape = shape.count == 4 && shape[0] == n && shape[1] == inChannels && shape[2] == h && shape[3] == w
    if inputNeedsGradient {
      dInput.resize(n, inChannels, h, w)
      dInputIsZero = false
      if winograd == nil { weightPanels.pack(weight, rows: g.patchSize, depth: outChannels, transposed: true) }
    } else if !dInputIsZero || !sameShape {  // zeros, written once and then only returned
      dInput.resize(n, inChannels, h, w)
      dInput.zero()
      dInputIsZero = true
    }
    if appliesReLU { maskedDOutput.resize(output.shape) }
    self.dOutput = dOutput
    while shards.count < BatchShards.count { shards.append(ConvShard()) }
    if let winograd {
      winograd.reserveShards()
      BatchShards.run(winogradBackward)
      BatchShards.run(addShardGradients)
      self.dOutput = nil
      return dInput
    }
    BatchShards.run(biasGradientShard)
    let chunks = inputNeedsGradient ? (batchSize + chunk - 1) / chunk : 0
    BatchShards.run(pieces: backwardPieces.start(shards: BatchShards.count, chunks: chunks), backwardPiece)
    self.dOutput = nil
    return dInput
  }

  /// Forward for the images of chunk `c`, from the state `forward` set.
  private func forward(chunk c: Int) {
    guard let g = geometry, let phases, let columns, let x = input else { return }
    let scratch = g.scratchSize, shard = shards[BatchShards.thread]
    let n0 = c * chunk, b = min(chunk, batchSize - n0)
    for i in n0..<n0 + b { phases.split(x.data + i * g.imageSize, into: planes.data + i * scratch) }
    if ConvShard.writesInPlace(images: b, positions: g.positions) {
      // Y[out, P] of one image, written where it belongs; then its bias and ReLU while it is in cache
      let image = output.data + n0 * outChannels * g.positions
      shard.multiply(weightPanels.packed, rows: outChannels, source: planes.data + n0 * scratch, imageStride: scratch,
                     columns, images: 1, into: image)
      addBias(bias?.value.data, relu: appliesReLU, image, images: 1, channels: outChannels, positions: g.positions)
      return
    }
    // Y[out, b*P] = W[out, in*K*K] x columns[in*K*K, b*P]
    let ldc = shard.multiply(weightPanels.packed, rows: outChannels, source: planes.data + n0 * scratch,
                             imageStride: scratch, columns, images: b)
    unpackImages(shard.product.data, rowStride: ldc, bias: bias?.value.data, rows: outChannels,
                 positions: g.positions, into: output.data, first: n0, count: b, relu: appliesReLU)
  }

  /// The bias gradient of shard `s`'s images, and their dY masked by the ReLU when this layer applied it.
  private func biasGradient(shard s: Int, of count: Int) {
    guard let g = geometry, let dOutput else { return }
    let shard = shards[s], images = BatchShards.images(s, of: batchSize, chunk: chunk, shards: count)
    let first = images.lowerBound * outChannels * g.positions
    if bias != nil {
      shard.dBias.resize(outChannels)
      shard.dBias.zero()
    }
    _ = outputGradient(dOutput.data + first, output: appliesReLU ? output.data + first : nil,
                       masked: maskedDOutput.data + first, images: images.count, channels: outChannels,
                       positions: g.positions, summingInto: bias != nil ? shard.dBias.data : nil)
  }

  /// Piece `piece` of the rest of backward (`BackwardPieces`), on the calling thread's buffers.
  private func backward(piece: Int) {
    guard let g = geometry, let phases, let columns, let dOutputRows, let dOutput else { return }
    let p = g.positions, scratch = g.scratchSize, mine = shards[BatchShards.thread]
    // dY as `outputGradient` left it
    let dy = appliesReLU ? UnsafePointer(maskedDOutput.data) : UnsafePointer(dOutput.data)
    switch backwardPieces.piece(piece) {
    case .weightGradient(let s):
      // dW[out, in*K*K] = sum over the shard's images of dY[out, P] x columns^T[P, in*K*K]
      let images = BatchShards.images(s, of: batchSize, chunk: chunk, shards: backwardPieces.shards)
      mine.weightGradient(rows: outChannels, a: dy + images.lowerBound * outChannels * p,
                          aImageStride: outChannels * p, source: planes.data + images.lowerBound * scratch,
                          imageStride: scratch, columns, images: images.count, into: shards[s].dWeight)
      backwardPieces.shardDone()
    case .inputGradient(let c):
      // dColumns[in*K*K, b*P] = W^T[in*K*K, out] x dY[out, b*P], then folded back onto the images
      let n0 = c * chunk, b = min(chunk, batchSize - n0)
      mine.multiplyAndFold(weightPanels.packed, rows: g.patchSize, source: dy + n0 * outChannels * p,
                           imageStride: outChannels * p, dOutputRows, images: b, onto: columns, phases,
                           into: dInput.data + n0 * g.imageSize)
    case .sum(let share):
      backwardPieces.addGradients(share: share, of: shards, into: weight, bias)
    }
  }
}

import ConvKernels
import Core

/// 2-D transposed convolution with PyTorch's semantics: weight [in, out, K, K], bias [out].
///
/// y[n, o, i*S - P + ki, j*S - P + kj] += w[c, o, ki, kj] * x[n, c, i, j] (positions outside the output
/// dropped), plus b[o]; OH = (H - 1)*S - 2P + K + outputPadding. It is the input-gradient path of the
/// Conv2d(out -> in) that maps the output back to the input, so its products are those of Conv2d with the
/// roles swapped, over the output's `ConvGeometry`: forward sums W^T x X back onto the output's phase planes
/// window by window, and backward reads the column matrix of dY from dY's phase planes.
public final class ConvTranspose2d: Layer {
  public let inChannels: Int
  public let outChannels: Int
  public let kernel: Int
  public let stride: Int
  public let padding: Int
  public let outputPadding: Int
  public let weight: Parameter  // [in, out, K, K]
  public let bias: Parameter?  // [out]
  /// Images per kernel call, at most (fewer when their columns would pass LAM_NC = 256; `Conv2d`'s says why 8).
  public var imagesPerGEMM = 8
  /// When true, forward returns max(0, y) (each chunk's images while they are in cache), and backward takes
  /// the gradient of that max(0, y) and masks it itself, image by image as it splits dY into phase planes:
  /// for a ReLU after this layer that passes both through (`Activation.fusedIntoPreviousLayer`).
  public var appliesReLU = false
  /// How the products are computed (`ConvAlgorithm`); read at each forward.
  public var algorithm = ConvAlgorithm.automatic
  /// True when the last forward ran Winograd's F(2x2, 2x2) (`ConvAlgorithm`).
  public var usesWinograd: Bool { winograd != nil }

  private var geometry: ConvGeometry?  // of the last forward's *output* images
  /// When `geometry` is one it computes (`WinogradConv.fits`): the conv view maps the output's `out` channels
  /// to the input's `in`, with the weight [in, out, 4, 4] as it is
  private var winograd: WinogradConv?
  private var phases: PhaseRows?  // the phase planes of `geometry`'s images
  private var columns: ColumnOffsets?  // the column matrix of `geometry` in an output image's phase planes
  private var inputRows: ColumnOffsets?  // one input image as a plain matrix [in, H*W]
  private var inputShape: [Int] = []  // [N, in, H, W] of the last forward
  private var chunk = 1  // images per kernel call
  private var input: Tensor?  // [N, in, H, W], the caller's tensor, kept for backward
  private let dOutputPlanes = Tensor([0])  // [N, g.scratchSize]: the phase planes of every dY image
  private let weightPanels = PackedWeight()  // W^T [out*K*K, in] packed for forward, W for backward
  private let output = Tensor([0])  // [N, out, OH, OW]
  private let dInput = Tensor([0])  // [N, in, H, W]
  private let maskedDOutput = Tensor([0])  // [N, out, OH, OW]: dOutput where the output is positive (Winograd)
  private var dOutput: Tensor?  // [N, out, OH, OW], backward's argument while its shards run
  private var shards: [ConvShard] = []  // one per compute thread, made on the first call with that many
  // The shard bodies, made once: a closure that captured each call's values would be allocated per call.
  private lazy var forwardChunk: (Int, Int) -> Void = { [unowned self] c, _ in self.forward(chunk: c) }
  private lazy var biasGradientShard: (Int, Int) -> Void = { [unowned self] in self.biasGradient(shard: $0, of: $1) }
  private lazy var backwardPiece: (Int, Int) -> Void = { [unowned self] piece, _ in self.backward(piece: piece) }
  private lazy var winogradForward: (Int, Int) -> Void = { [unowned self] c, _ in
    guard let x = self.input, let winograd = self.winograd, let g = self.geometry else { return }
    let (n0, b) = winograd.transposedForward(x.data, chunk: c, into: self.output.data)
    addBias(self.bias?.value.data, relu: self.appliesReLU, self.output.data + n0 * g.imageSize, images: b,
            channels: self.outChannels, positions: g.height * g.width)
  }
  private lazy var winogradBackward: (Int, Int) -> Void = { [unowned self] s, count in
    guard let winograd = self.winograd, let g = self.geometry, let dOutput = self.dOutput, let x = self.input
    else { return }
    let shard = self.shards[s]
    if self.bias != nil {
      shard.dBias.resize(self.outChannels)
      shard.dBias.zero()
    }
    winograd.transposedBackward(input: x.data, shard: s, of: count, dWeight: shard.dWeight,
                                dInput: self.dInput.data) { n0, b in
      let first = n0 * g.imageSize
      return outputGradient(dOutput.data + first, output: self.appliesReLU ? self.output.data + first : nil,
                            masked: self.maskedDOutput.data + first, images: b, channels: self.outChannels,
                            positions: g.height * g.width, summingInto: self.bias != nil ? shard.dBias.data : nil)
    }
  }
  private lazy var addShardGradients: (Int, Int) -> Void = { [unowned self] piece, pieces in
    ConvShard.addGradients(of: self.shards.prefix(pieces), into: self.weight, self.bias, piece: piece, of: pieces)
  }
  private let backwardPieces = BackwardPieces()

  public init(
    _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
    outputPadding: Int = 0, bias: Bool = true, rng: inout RNG
  ) {
    precondition(
      inChannels > 0 && outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0,
      "ConvTranspose2d(\(inChannels)->\(outChannels), kernel \(kernel), stride \(stride), padding \(padding))")
    precondition(outputPadding >= 0 && outputPadding < stride,
                 "ConvTranspose2d outputPadding \(outputPadding) must be in 0..<stride (\(stride))")
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    weight = Parameter("weight", [inChannels, outChannels, kernel, kernel])
    self.bias = bias ? Parameter("bias", [outChannels]) : nil
    // PyTorch takes fan_in from weight.size(1) * K * K, which is `out` for this layout.
    initPyTorchDefault(weight: weight.value, bias: self.bias?.value, fanIn: outChannels * kernel * kernel, rng: &rng)
  }

  public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

  /// The output size for an input of height `h` and width `w`: (h - 1)*S - 2P + K + outputPadding per axis.
  public func outputSize(h: Int, w: Int) -> (height: Int, width: Int) {
    ((h - 1) * stride - 2 * padding + kernel + outputPadding, (w - 1) * stride - 2 * padding + kernel + outputPadding)
  }

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.shape.count == 4 && x.shape[1] == inChannels,
                 "ConvTranspose2d(\(inChannels)->\(outChannels)) got input \(x.shape)")
    let n = x.shape[0], h = x.shape[2], w = x.shape[3]
    let (oh, ow) = outputSize(h: h, w: w)
    precondition(oh > 0 && ow > 0, "ConvTranspose2d input \(x.shape) gives an empty output \(oh)x\(ow)")
    let g = ConvGeometry(channels: outChannels, height: oh, width: ow, kernel: kernel, stride: stride, padding: padding)
    if g != geometry {
      geometry = g
      phases = PhaseRows(g)
      columns = ColumnOffsets(columnsOf: g)
      inputRows = ColumnOffsets(rows: inChannels, positions: g.positions)
    }
    let fits = outputPadding == 0
      && WinogradConv.fits(algorithm, kernel: kernel, stride: stride, padding: padding, inChannels: outChannels,
                           outChannels: inChannels, height: oh, width: ow)
    winograd = fits ? winograd ?? WinogradConv(inChannels: outChannels, outChannels: inChannels) : nil
    inputShape = x.shape
    input = x
    chunk = max(1, min(imagesPerGEMM, n, Int(LAM_NC / lam_padded_cols(Int32(g.positions)))))
    output.resize(n, outChannels, oh, ow)
    while shards.count < BatchShards.count { shards.append(ConvShard()) }
    if let winograd {
      winograd.prepare(weight: weight.value, height: oh, width: ow, batch: n)
      BatchShards.run(pieces: winograd.chunkCount, winogradForward)
      return output
    }
    weightPanels.pack(weight, rows: g.patchSize, depth: inChannels, transposed: true)
    BatchShards.run(pieces: (n + chunk - 1) / chunk, forwardChunk)
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    guard let g = geometry, input != nil else { preconditionFailure("ConvTranspose2d.backward before forward") }
    precondition(dOutput.shape == output.shape,
                 "ConvTranspose2d.backward got \(dOutput.shape), expected \(output.shape)")
    dInput.resize(inputShape)
    self.dOutput = dOutput
    while shards.count < BatchShards.count { shards.append(ConvShard()) }
    if let winograd {
      winograd.reserveShards()
      if appliesReLU { maskedDOutput.resize(output.shape) }
      BatchShards.run(winogradBackward)
      BatchShards.run(addShardGradients)
      self.dOutput = nil
      return dInput
    }
    dOutputPlanes.resize(inputShape[0], g.scratchSize)
    weightPanels.pack(weight, rows: inChannels, depth: g.patchSize, transposed: false)
    BatchShards.run(biasGradientShard)
    let chunks = (inputShape[0] + chunk - 1) / chunk
    BatchShards.run(pieces: backwardPieces.start(shards: BatchShards.count, chunks: chunks), backwardPiece)
    self.dOutput = nil
    return dInput
  }

  /// Forward for the images of chunk `c`, from the state `forward` set.
  private func forward(chunk c: Int) {
    guard let g = geometry, let phases, let columns, let inputRows, let x = input else { return }
    let p = g.positions, n0 = c * chunk, b = min(chunk, inputShape[0] - n0)
    // columns[out*K*K, b*H*W] = W^T[out*K*K, in] x X[in, b*H*W], folded into the output images, then the
    // bias and the ReLU while they are in cache
    shards[BatchShards.thread].multiplyAndFold(
      weightPanels.packed, rows: g.patchSize, source: x.data + n0 * inChannels * p, imageStride: inChannels * p,
      inputRows, images: b, onto: columns, phases, into: output.data + n0 * g.imageSize)
    addBias(bias?.value.data, relu: appliesReLU, output.data + n0 * g.imageSize, images: b, channels: outChannels,
            positions: g.height * g.width)
  }

  /// The bias gradient of shard `s`'s images, and their dY (masked by the ReLU when this layer applied it)
  /// split into phase planes.
  private func biasGradient(shard s: Int, of count: Int) {
    guard let g = geometry, let phases, let dOutput else { return }
    let shard = shards[s], images = BatchShards.images(s, of: inputShape[0], chunk: chunk, shards: count)
    if bias != nil {
      shard.dBias.resize(outChannels)
      shard.dBias.zero()
    }
    if appliesReLU { shard.maskedImage.resize(g.imageSize) }
    for i in images {
      let first = i * g.imageSize
      let dy = outputGradient(dOutput.data + first, output: appliesReLU ? output.data + first : nil,
                              masked: shard.maskedImage.data, images: 1, channels: outChannels,
                              positions: g.height * g.width, summingInto: bias != nil ? shard.dBias.data : nil)
      phases.split(dy, into: dOutputPlanes.data + i * g.scratchSize)
    }
  }

  /// Piece `piece` of the rest of backward (`BackwardPieces`), on the calling thread's buffers.
  private func backward(piece: Int) {
    guard let g = geometry, let columns, let x = input else { return }
    let n = inputShape[0], p = g.positions, scratch = g.scratchSize, mine = shards[BatchShards.thread]
    switch backwardPieces.piece(piece) {
    case .weightGradient(let s):
      // dW[in, out*K*K] = sum over the shard's images of X[in, H*W] x dColumns^T[H*W, out*K*K]
      let images = BatchShards.images(s, of: n, chunk: chunk, shards: backwardPieces.shards)
      mine.weightGradient(rows: inChannels, a: x.data + images.lowerBound * inChannels * p,
                          aImageStride: inChannels * p, source: dOutputPlanes.data + images.lowerBound * scratch,
                          imageStride: scratch, columns, images: images.count, into: shards[s].dWeight)
      backwardPieces.shardDone()
    case .inputGradient(let c):
      let n0 = c * chunk, b = min(chunk, n - n0)
      if ConvShard.writesInPlace(images: b, positions: p) {  // dX of one image, written where it belongs
        mine.multiply(weightPanels.packed, rows: inChannels, source: dOutputPlanes.data + n0 * scratch,
                      imageStride: scratch, columns, images: 1, into: dInput.data + n0 * inChannels * p)
        return
      }
      // dX[in, b*H*W] = W[in, out*K*K] x dColumns[out*K*K, b*H*W]
      let ldc = mine.multiply(weightPanels.packed, rows: inChannels, source: dOutputPlanes.data + n0 * scratch,
                              imageStride: scratch, columns, images: b)
      unpackImages(mine.product.data, rowStride: ldc, bias: nil, rows: inChannels, positions: p, into: dInput.data,
                   first: n0, count: b)
    case .sum(let share):
      backwardPieces.addGradients(share: share, of: shards, into: weight, bias)
    }
  }
}

import Core

/// 2-D transposed convolution with PyTorch's semantics: weight [in, out, K, K], bias [out].
///
/// y[n, o, i*S - P + ki, j*S - P + kj] += w[c, o, ki, kj] * x[n, c, i, j] (positions outside the output
/// dropped), plus b[o]; OH = (H - 1)*S - 2P + K + outputPadding. It is the input-gradient path of the
/// Conv2d(out -> in) that maps the output back to the input, so forward is GEMM + `col2im` and backward is
/// `im2col` + GEMM, over the output's `ConvGeometry`.
public final class ConvTranspose2d: Layer {
  public let inChannels: Int
  public let outChannels: Int
  public let kernel: Int
  public let stride: Int
  public let padding: Int
  public let outputPadding: Int
  public let weight: Parameter  // [in, out, K, K]
  public let bias: Parameter?  // [out]
  /// Images whose columns go through one GEMM: one GEMM per image is slow for small images, one for the
  /// whole batch spills the caches; 8 to 32 measured best for 4x4 to 16x16 inputs and batch 128.
  public var imagesPerGEMM = 16

  private var geometry: ConvGeometry?  // of the last forward's *output* images
  private var inputShape: [Int] = []  // [N, in, H, W] of the last forward
  private var chunk = 1  // images per GEMM in the last forward, which fixes packedInput's layout
  private let packedInput = Tensor([0])  // [N*in*H*W]: chunk after chunk, each [in, B*H*W]; kept for backward
  private let output = Tensor([0])  // [N, out, OH, OW]
  private let dInput = Tensor([0])  // [N, in, H, W]
  private var input: Tensor?  // [N, in, H, W], forward's argument while its shards run
  private var dOutput: Tensor?  // [N, out, OH, OW], backward's argument while its shards run
  private let shards = (0..<BatchShards.count).map { _ in ConvShard() }
  // The shard bodies, made once: a closure that captured each call's values would be allocated per call.
  private lazy var forwardShard: (Int) -> Void = { [unowned self] in self.forward(shard: $0) }
  private lazy var backwardShard: (Int) -> Void = { [unowned self] in self.backward(shard: $0) }


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
    geometry = g
    inputShape = x.shape
    input = x
    chunk = max(1, min(imagesPerGEMM, n))
    packedInput.resize(n * inChannels * g.positions)
    output.resize(n, outChannels, oh, ow)
    BatchShards.run(forwardShard)
    self.input = nil
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    guard geometry != nil else { preconditionFailure("ConvTranspose2d.backward before forward") }
    precondition(dOutput.shape == output.shape,
                 "ConvTranspose2d.backward got \(dOutput.shape), expected \(output.shape)")
    dInput.resize(inputShape)
    self.dOutput = dOutput
    BatchShards.run(backwardShard)
    self.dOutput = nil
    ConvShard.addGradients(of: shards, into: weight, bias)
    return dInput
  }

  /// Forward for the images of shard `s` (`BatchShards`), from the state `forward` set.
  private func forward(shard s: Int) {
    guard let g = geometry, let x = input else { return }
    let n = inputShape[0], rows = g.patchSize, p = g.positions, (oh, ow) = (g.height, g.width)
    let shard = shards[s], images = BatchShards.images(s, of: n, chunk: chunk)
    shard.scratch.resize(g.scratchSize)
    shard.columns.resize(rows, chunk * p)
    fillChannels(output.data + images.lowerBound * g.imageSize, bias: bias?.value.data, images: images.count,
                 channels: outChannels, positions: oh * ow)
    for n0 in Swift.stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
      let b = min(chunk, n - n0)
      let xs = packedInput.data + n0 * inChannels * p  // [in, b*H*W]
      packImages(x.data, first: n0, count: b, rows: inChannels, positions: p, into: xs)
      // columns[out*K*K, b*H*W] = W^T[out*K*K, in] x X[in, b*H*W], then folded onto the output images
      gemm(transA: true, m: rows, n: b * p, k: inChannels, a: weight.value.data, b: xs, c: shard.columns.data)
      for i in 0..<b {
        col2im(shard.columns.data + i * p, rowStride: b * p, g,
               addingInto: output.data + (n0 + i) * g.imageSize, scratch: shard.scratch.data)
      }
    }
  }

  /// Backward for the images of shard `s`: its share of dInput and its own parameter gradients.
  private func backward(shard s: Int) {
    guard let g = geometry, let dOutput else { return }
    let n = inputShape[0], rows = g.patchSize, p = g.positions
    let shard = shards[s], images = BatchShards.images(s, of: n, chunk: chunk)
    shard.scratch.resize(g.scratchSize)
    shard.columns.resize(rows, chunk * p)
    shard.product.resize(inChannels, chunk * p)
    shard.dWeight.resize(inChannels, rows)
    shard.dWeight.zero()
    if bias != nil {
      shard.dBias.resize(outChannels)
      shard.dBias.zero()
      addChannelSums(dOutput.data + images.lowerBound * g.imageSize, images: images.count, channels: outChannels,
                     positions: g.height * g.width, into: shard.dBias.data)
    }
    for n0 in Swift.stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
      let b = min(chunk, n - n0)
      let xs = packedInput.data + n0 * inChannels * p  // [in, b*H*W]
      for i in 0..<b {
        im2col(dOutput.data + (n0 + i) * g.imageSize, g,
               into: shard.columns.data + i * p, rowStride: b * p, scratch: shard.scratch.data)
      }
      // dW[in, out*K*K] += X[in, b*H*W] x dColumns^T[b*H*W, out*K*K]
      gemm(transB: true, m: inChannels, n: rows, k: b * p, a: xs, b: shard.columns.data, beta: 1,
           c: shard.dWeight.data)
      // dX[in, b*H*W] = W[in, out*K*K] x dColumns[out*K*K, b*H*W]
      gemm(m: inChannels, n: b * p, k: rows, a: weight.value.data, b: shard.columns.data, c: shard.product.data)
      unpackImages(shard.product.data, bias: nil, rows: inChannels, positions: p, into: dInput.data,
                   first: n0, count: b)
    }
  }
}

import Core

/// 2-D convolution (cross-correlation, as in PyTorch) over NCHW images: weight [out, in, K, K], bias [out].
///
/// y[n, o, oh, ow] = b[o] + sum over c, ki, kj of w[o, c, ki, kj] * x[n, c, oh*S - P + ki, ow*S - P + kj],
/// with zeros outside the image. Forward unfolds the images with `im2col` and multiplies by the weight;
/// backward multiplies by the transposed weight and folds back with `col2im`.
public final class Conv2d: Layer {
  public let inChannels: Int
  public let outChannels: Int
  public let kernel: Int
  public let stride: Int
  public let padding: Int
  public let weight: Parameter  // [out, in, K, K]
  public let bias: Parameter?  // [out]
  /// Images whose columns go through one GEMM: one GEMM per image is slow for small images, one for the
  /// whole batch spills the caches; 8 to 32 measured best for 32x32 frames and batch 128.
  public var imagesPerGEMM = 16
  /// When false, backward only accumulates the parameter gradients and returns zeros: for a first layer,
  /// whose input is data, this saves a third of the work.
  public var inputNeedsGradient = true

  private var geometry: ConvGeometry?  // of the last forward's images
  private var batchSize = 0  // N of the last forward
  private var chunk = 1  // images per GEMM in the last forward, which fixes the cached layout
  private var input: Tensor?  // [N, in, H, W], forward's argument while its shards run
  private let columns = Tensor([0])  // [N*in*K*K*OH*OW]: chunk after chunk, each [in*K*K, B*OH*OW]; kept for backward
  private let output = Tensor([0])  // [N, out, OH, OW]
  private let dInput = Tensor([0])  // [N, in, H, W]
  private var dOutput: Tensor?  // [N, out, OH, OW], backward's argument while its shards run
  private let shards = (0..<BatchShards.count).map { _ in ConvShard() }
  // The shard bodies, made once: a closure that captured each call's values would be allocated per call.
  private lazy var forwardShard: (Int) -> Void = { [unowned self] in self.forward(shard: $0) }
  private lazy var backwardShard: (Int) -> Void = { [unowned self] in self.backward(shard: $0) }


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
    geometry = g
    batchSize = n
    input = x
    chunk = max(1, min(imagesPerGEMM, n))
    columns.resize(n * g.patchSize * g.positions)
    output.resize(n, outChannels, g.outHeight, g.outWidth)
    BatchShards.run(forwardShard)
    input = nil
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    guard let g = geometry else { preconditionFailure("Conv2d.backward before forward") }
    precondition(dOutput.shape == output.shape, "Conv2d.backward got \(dOutput.shape), expected \(output.shape)")
    dInput.resize(batchSize, inChannels, g.height, g.width)
    self.dOutput = dOutput
    BatchShards.run(backwardShard)
    self.dOutput = nil
    ConvShard.addGradients(of: shards, into: weight, bias)
    return dInput
  }

  /// Forward for the images of shard `s` (`BatchShards`), from the state `forward` set.
  private func forward(shard s: Int) {
    guard let g = geometry, let x = input else { return }
    let n = batchSize, rows = g.patchSize, p = g.positions
    let shard = shards[s], images = BatchShards.images(s, of: n, chunk: chunk)
    shard.scratch.resize(g.scratchSize)
    shard.product.resize(outChannels, chunk * p)
    for n0 in Swift.stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
      let b = min(chunk, n - n0)
      let cols = columns.data + n0 * rows * p  // [in*K*K, b*P]
      for i in 0..<b {
        im2col(x.data + (n0 + i) * g.imageSize, g, into: cols + i * p, rowStride: b * p, scratch: shard.scratch.data)
      }
      // Y[out, b*P] = W[out, in*K*K] x columns[in*K*K, b*P]
      gemm(m: outChannels, n: b * p, k: rows, a: weight.value.data, b: cols, c: shard.product.data)
      unpackImages(shard.product.data, bias: bias?.value.data, rows: outChannels, positions: p,
                   into: output.data, first: n0, count: b)
    }
  }

  /// Backward for the images of shard `s`: its share of dInput and its own parameter gradients.
  private func backward(shard s: Int) {
    guard let g = geometry, let dOutput else { return }
    let n = batchSize, rows = g.patchSize, p = g.positions
    let shard = shards[s], images = BatchShards.images(s, of: n, chunk: chunk)
    shard.scratch.resize(g.scratchSize)
    shard.product.resize(outChannels, chunk * p)
    shard.columns.resize(rows, chunk * p)
    shard.dWeight.resize(outChannels, rows)
    shard.dWeight.zero()
    if bias != nil {
      shard.dBias.resize(outChannels)
      shard.dBias.zero()
      addChannelSums(dOutput.data + images.lowerBound * outChannels * p, images: images.count,
                     channels: outChannels, positions: p, into: shard.dBias.data)
    }
    (dInput.data + images.lowerBound * g.imageSize).update(repeating: 0, count: images.count * g.imageSize)
    for n0 in Swift.stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
      let b = min(chunk, n - n0)
      let cols = columns.data + n0 * rows * p  // [in*K*K, b*P]
      packImages(dOutput.data, first: n0, count: b, rows: outChannels, positions: p, into: shard.product.data)
      // dW[out, in*K*K] += dY[out, b*P] x columns^T[b*P, in*K*K]
      gemm(transB: true, m: outChannels, n: rows, k: b * p, a: shard.product.data, b: cols, beta: 1,
           c: shard.dWeight.data)
      guard inputNeedsGradient else { continue }
      // dColumns[in*K*K, b*P] = W^T[in*K*K, out] x dY[out, b*P], then folded back onto the images
      gemm(transA: true, m: rows, n: b * p, k: outChannels, a: weight.value.data, b: shard.product.data,
           c: shard.columns.data)
      for i in 0..<b {
        col2im(shard.columns.data + i * p, rowStride: b * p, g,
               addingInto: dInput.data + (n0 + i) * g.imageSize, scratch: shard.scratch.data)
      }
    }
  }
}

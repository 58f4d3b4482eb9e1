import Core
import Foundation
import LAM
import NN
import Training

/// One of the two reference workloads of docs/performance.md.
public enum BenchWorkload: String, CaseIterable, Sendable {
  /// Frames 3x32x32, batch 128, conv IDM and FDM, d_z = 8.
  case conv
  /// The paper's 4x4 grid: frames 1x4x4, batch 64, MLP IDM and FDM, d_z = 4.
  case mlp

  /// The model the workload trains.
  public var model: ModelConfig {
    var m = ModelConfig()
    m.architecture = self == .conv ? .conv : .mlp
    m.predict = .next
    m.bottleneck.kind = .continuous
    m.bottleneck.dz = self == .conv ? 8 : 4
    m.hidden = 128
    m.depth = 2
    m.channels = [32, 64, 128]
    m.encoderHidden = 256
    m.latentEmbed = 128
    return m
  }

  public var frame: FrameShape {
    self == .conv ? FrameShape(channels: 3, height: 32, width: 32) : FrameShape(channels: 1, height: 4, width: 4)
  }

  public var batch: Int { self == .conv ? 128 : 64 }
}

/// Multiply-adds of one sample through every GEMM layer (Linear, Conv2d, ConvTranspose2d) of the model's
/// forward pass, from the layer shapes. Element-wise work (ReLU, biases, im2col, the loss, Adam) is not counted.
public func forwardMACsPerSample(_ config: ModelConfig, frame: FrameShape) -> Int {
  let dz = config.bottleneck.dz
  switch config.architecture {
  case .mlp:
    func stack(_ inputs: Int, _ out: Int) -> Int {
      inputs * config.hidden + (config.depth - 1) * config.hidden * config.hidden + config.hidden * out
    }
    return stack(2 * frame.size, dz) + stack(frame.size + dz, frame.size)
  case .conv:
    // A k4 s2 p1 conv computes out * in * 16 MACs per output position; its transpose the same per input position.
    func encoder(_ inChannels: Int) -> Int {
      var (c, h, w, macs) = (inChannels, frame.height, frame.width, 0)
      for out in config.channels {
        h /= 2
        w /= 2
        macs += out * c * 16 * h * w
        c = out
      }
      return macs
    }
    let down = 1 << config.channels.count
    let (bottomH, bottomW) = (frame.height / down, frame.width / down)
    let flat = config.channels.last! * bottomH * bottomW
    let idm = encoder(2 * frame.channels) + flat * config.encoderHidden + config.encoderHidden * dz
    var decoder = 0
    var (c, h, w) = (config.channels.last! + config.latentEmbed, bottomH, bottomW)
    for out in Array(config.channels.reversed().dropFirst()) + [frame.channels] {
      decoder += c * out * 16 * h * w
      (c, h, w) = (out, h * 2, w * 2)
    }
    let fdm = encoder(frame.channels) + dz * config.latentEmbed + decoder
    return idm + fdm
  case .unet:
    // A KxK convolution computes out * in * K * K MACs per output position: 3x3 at level 0, k4 s2 below.
    let u = config.unet, widths = u.widths, bottom = widths.last!
    let sizes = widths.indices.map { (frame.height >> $0) * (frame.width >> $0) }  // positions per level
    func encoder(_ inChannels: Int) -> Int {
      var (c, macs) = (inChannels, 0)
      for (level, out) in widths.enumerated() {
        macs += out * c * (level == 0 ? 9 : 16) * sizes[level]
        c = out
      }
      return macs
    }
    let idm = encoder(2 * frame.channels) + bottom * sizes.last! * u.idmHidden + u.idmHidden * dz
    var decoder = 0, c = bottom
    for level in widths.indices.dropLast().reversed() {
      decoder += widths[level] * (c + widths[level]) * 9 * sizes[level]
      c = widths[level]
    }
    let fdm = encoder(frame.channels) + dz * u.latentEmbed + bottom * (bottom + u.latentEmbed) * 9 * sizes.last!
      + decoder + frame.channels * widths[0] * sizes[0]
    return idm + fdm
  }
}

/// Multiply-adds of one sample through the layers that read frames: the IDM's first layer and the first
/// convolution of the FDM's encoder. Their inputs are data, so backward skips their input gradient. (The
/// MLP FDM's first layer also reads z, so it keeps its input gradient.)
public func dataInputMACsPerSample(_ config: ModelConfig, frame: FrameShape) -> Int {
  switch config.architecture {
  case .mlp:
    return 2 * frame.size * config.hidden
  case .conv:
    guard let out = config.channels.first else { return 0 }
    let positions = (frame.height / 2) * (frame.width / 2)
    return out * (2 * frame.channels) * 16 * positions + out * frame.channels * 16 * positions
  case .unet:
    // Both first convolutions are 3x3 at the frame's size.
    let out = config.unet.widths[0], positions = frame.height * frame.width
    return out * (2 * frame.channels) * 9 * positions + out * frame.channels * 9 * positions
  }
}

/// FLOPs of one training sample (forward + backward), 2 FLOPs per multiply-add, counting what is computed:
/// backward repeats each GEMM layer's forward work twice (weight gradient and input gradient), so the total
/// is 3x forward, minus the input gradients of the layers that read frames, which are skipped.
public func trainingFLOPsPerSample(_ config: ModelConfig, frame: FrameShape) -> Int {
  2 * (3 * forwardMACsPerSample(config, frame: frame) - dataInputMACsPerSample(config, frame: frame))
}

/// The best GFLOP/s of a square sgemm (C = A x B, all size x size) over `repeats` timed calls after one
/// untimed call, with the current BLAS thread count.
public func measureSGEMMPeak(size: Int = 2048, repeats: Int = 3) -> Double {
  let a = Tensor([size, size]), b = Tensor([size, size]), c = Tensor([size, size])  // [size, size] each
  var rng = RNG(seed: 1)
  for i in 0..<a.count { a.data[i] = rng.uniform() }
  for i in 0..<b.count { b.data[i] = rng.uniform() }
  var best = 0.0
  for r in 0...repeats {
    let start = DispatchTime.now().uptimeNanoseconds
    gemm(m: size, n: size, k: size, a: a.data, b: b.data, c: c.data)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    if r > 0 { best = max(best, 2 * Double(size) * Double(size) * Double(size) / seconds / 1e9) }
  }
  return best
}

/// A training loop on a fixed in-memory set of random transitions (pixels uniform on the 256 levels
/// k / 255 of [0, 1], seeded), taking batches in order with wrap-around: the code path `Trainer.trainStep`
/// runs, minus data loading. The frames are stored as bytes and converted when a batch is formed, as
/// `Dataset.gather` does for real data: a quarter of the memory of Float frames.
public final class BenchmarkSession {
  public let model: LatentActionModel
  public let optimizer: Adam
  public let batch: Int
  public let transitions: Int
  private let frames: [UInt8]  // [transitions, C, H, W]: o, pixel k meaning k / 255
  private let nextFrames: [UInt8]  // [transitions, C, H, W]: o'
  private let o: Tensor  // [N, C, H, W]
  private let next: Tensor  // [N, C, H, W]
  private let byteToFloat: [Float] = (0..<256).map { Float($0) / 255 }  // [256]: pixel k -> k / 255
  private let mse = MSELoss()
  private var rng: RNG
  private var cursor = 0
  // The shard body, made once (`ShardWorkers` explains why).
  private lazy var loadShard: (Int, Int) -> Void = { [unowned self] in self.load(shard: $0, of: $1) }
  /// Steps taken so far.
  public private(set) var step = 0

  /// A fresh model and data set from `seed`; Adam with lr 1e-3 and PyTorch's defaults.
  public init(model config: ModelConfig, frame: FrameShape, batch: Int, transitions: Int = 4096, seed: UInt64 = 0) {
    var root = RNG(seed: seed)
    var initRNG = root.split()
    var dataRNG = root.split()
    rng = root.split()
    model = LatentActionModel(config, frame: frame, rng: &initRNG)
    optimizer = Adam(model.namedParameters.map(\.parameter), learningRate: 1e-3)
    self.batch = batch
    self.transitions = transitions
    let count = transitions * frame.size
    frames = (0..<count).map { _ in UInt8(dataRNG.int(below: 256)) }
    nextFrames = (0..<count).map { _ in UInt8(dataRNG.int(below: 256)) }
    o = Tensor([batch] + frame.dims)
    next = Tensor([batch] + frame.dims)
  }

  /// Copies the next batch (in order, wrapping around) into `o` and `next`, shared between the compute threads.
  private func loadBatch() {
    BatchShards.run(over: 2 * o.count, loadShard)
    cursor = (cursor + batch) % transitions
  }

  /// The images of shard `s` of the next batch.
  private func load(shard s: Int, of shards: Int) {
    // The pointers are read once: each read of a class's `var` is an exclusivity check.
    let size = o.rowSize, od = o.data, nd = next.data, cursor = cursor
    byteToFloat.withUnsafeBufferPointer { table in
      frames.withUnsafeBufferPointer { frames in
        nextFrames.withUnsafeBufferPointer { nextFrames in
          for i in BatchShards.images(s, of: batch, chunk: 1, shards: shards) {
            let row = (cursor + i) % transitions
            for j in 0..<size {
              od[i * size + j] = table[Int(frames[row * size + j])]
              nd[i * size + j] = table[Int(nextFrames[row * size + j])]
            }
          }
        }
      }
    }
  }

  /// One training step (forward, MSE loss, backward, Adam update); returns the loss. With a `StepTimer`
  /// active, each layer's time is charged to it.
  @discardableResult
  public func trainStep() -> Float {
    timed("load batch", .forward) { loadBatch() }
    timed("zero gradients", .optimizer) { optimizer.zeroGrad() }
    let prediction = model.forward(o, next, training: true, rng: &rng)
    let loss = timed("loss", .forward) { mse.forward(prediction, next) } + model.bottleneckLoss
    model.backward(timed("loss", .backward) { mse.backward() })
    timed("adam", .optimizer) { optimizer.update() }
    step += 1
    return loss
  }
}

/// The outcome of timing one workload at one thread count.
public struct BenchResult: Codable, Sendable {
  public var workload: String
  public var threads: Int
  public var batch: Int
  /// Median, min and max over the timed windows.
  public var samplesPerS: Double
  public var samplesPerSMin: Double
  public var samplesPerSMax: Double
  public var windows: Int
  public var steps: Int
  public var flopsPerSample: Int
  /// Achieved GFLOP/s at the median rate.
  public var gflops: Double
  /// The same run's 2048^3 sgemm GFLOP/s at the same thread count.
  public var peakGflops: Double
  public var peakFraction: Double
  /// The loss of the last warm-up step (checks that thread counts agree).
  public var warmupLoss: Float

  public init(
    workload: String, threads: Int, batch: Int, samplesPerS: Double, samplesPerSMin: Double, samplesPerSMax: Double,
    windows: Int, steps: Int, flopsPerSample: Int, gflops: Double, peakGflops: Double, peakFraction: Double,
    warmupLoss: Float
  ) {
    self.workload = workload
    self.threads = threads
    self.batch = batch
    self.samplesPerS = samplesPerS
    self.samplesPerSMin = samplesPerSMin
    self.samplesPerSMax = samplesPerSMax
    self.windows = windows
    self.steps = steps
    self.flopsPerSample = flopsPerSample
    self.gflops = gflops
    self.peakGflops = peakGflops
    self.peakFraction = peakFraction
    self.warmupLoss = warmupLoss
  }

  enum CodingKeys: String, CodingKey {
    case workload, threads, batch, windows, steps
    case samplesPerS = "samples_per_s", samplesPerSMin = "samples_per_s_min", samplesPerSMax = "samples_per_s_max"
    case flopsPerSample = "flops_per_sample", gflops, peakGflops = "peak_gflops", peakFraction = "peak_fraction"
    case warmupLoss = "warmup_loss"
  }
}

/// Times `step` (which trains one batch of `batch` samples): `warmup` untimed steps, then `windows`
/// windows of `seconds / windows` each (at least 2 steps per window). Returns the samples/s of every window.
public func timeWindows(batch: Int, seconds: Double, windows: Int, step: () -> Void) -> (rates: [Double], steps: Int) {
  let window = seconds / Double(max(windows, 1))
  var rates: [Double] = []
  var total = 0
  for _ in 0..<max(windows, 1) {
    let start = DispatchTime.now().uptimeNanoseconds
    var count = 0
    var elapsed = 0.0
    while count < 2 || elapsed < window {
      step()
      count += 1
      elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    rates.append(Double(count * batch) / elapsed)
    total += count
  }
  return (rates, total)
}

/// The middle value (the mean of the two middle values for an even count).
public func median(_ values: [Double]) -> Double {
  let s = values.sorted()
  guard !s.isEmpty else { return .nan }
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

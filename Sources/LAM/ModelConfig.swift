import Core
import NN

/// The shape of one frame: channels, height and width in pixels.
public struct FrameShape: Codable, Equatable, Sendable {
  public var channels: Int
  public var height: Int
  public var width: Int
  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }
  public var size: Int { channels * height * width }
  public var dims: [Int] { [channels, height, width] }
}

/// Which network family the IDM and FDM use.
public enum Architecture: String, Codable, Sendable, CaseIterable {
  /// Flattened frames through fully connected layers (the paper's 4 x 4 grid).
  case mlp
  /// Strided convolutions down, transposed convolutions up (frames of 16 px and more).
  case conv
  /// The paper's Section-5 model: a small CNN IDM and a small UNet FDM with skip connections (`UNetConfig`);
  /// runs on 4 x 4 frames and larger.
  case unet
}

/// What the forward model's output means.
public enum PredictionTarget: String, Codable, Sendable, CaseIterable {
  /// The network outputs o' directly.
  case next
  /// The network outputs o' - o, and o is added back.
  case delta
}

/// The non-linearity between the networks' layers (PyTorch's module of the same name).
public enum ActivationKind: String, Codable, Sendable, CaseIterable {
  case relu, leakyRelu, tanh, sigmoid

  /// A new layer of this kind; leakyRelu has PyTorch's default slope, 0.01.
  public func layer() -> Activation {
    switch self {
    case .relu: return Activation(.relu)
    case .leakyRelu: return Activation(.leakyReLU(slope: 0.01))
    case .tanh: return Activation(.tanh)
    case .sigmoid: return Activation(.sigmoid)
    }
  }
}

/// The kind of latent bottleneck (docs/architecture.md describes each, with its source).
public enum BottleneckKind: String, Codable, Sendable, CaseIterable {
  /// z = z_e, with optional training noise and an L2 penalty (LAPO).
  case continuous
  /// The nearest code of an EMA-updated codebook, straight-through (VQ-VAE; Genie, Moto, Go-1).
  case vq
  /// A Gaussian posterior with a KL term of weight beta (a beta-VAE latent; AdaWorld).
  case kl
  /// Noise-substitution VQ: z_e plus noise of the quantization error's norm in training (LAPA).
  case nsvq
  /// Finite scalar quantization: each dimension bounded and rounded to a few levels (Mentzer et al. 2023).
  case fsq

  /// True for the kinds whose latent is one of finitely many codes.
  public var isDiscrete: Bool { self == .vq || self == .nsvq || self == .fsq }
}

/// The bottleneck between the IDM and the FDM.
public struct BottleneckConfig: Codable, Equatable, Sendable {
  public var kind: BottleneckKind = .continuous
  /// Latent dimension (for VQ: the code dimension).
  public var dz: Int = 4
  /// Std of Gaussian noise added to a continuous latent during training (0 = none).
  public var noiseStd: Float = 0
  /// Weight of the L2 penalty mean ||z||^2 on a continuous latent (0 = none).
  public var l2: Float = 0
  /// VQ: number of codes.
  public var codes: Int = 8
  /// VQ: weight of the commitment loss ||z_e - sg(e)||^2.
  public var commitment: Float = 0.25
  /// VQ: decay of the exponential moving averages that update the codebook.
  public var emaDecay: Float = 0.99
  /// VQ and NSVQ: a code whose average usage per batch falls below this many assignments is restarted (VQ: at a
  /// random encoder output from the current batch; NSVQ: at a used code).
  public var restartThreshold: Float = 0.01
  /// kl: weight of the KL term mean over the batch of KL(N(mu, sigma^2) || N(0, 1)), summed over dimensions.
  public var beta: Float = 0.001
  /// nsvq: training steps between two replacements of unused codes.
  public var replaceEvery: Int = 100
  /// fsq: the number of levels of each latent dimension (one entry per dimension, so dz = levels.count);
  /// the number of codes is their product. [8, 5, 5, 5] is the FSQ paper's choice for about 1000 codes.
  public var levels: [Int] = [8, 5, 5, 5]
  /// vq: training steps at the start during which the FDM gets z_e unquantized; at this step the codebook is
  /// seeded from the batch's z_e (k-means++) and quantization starts (0 = from the first step).
  public var warmup: Int = 0

  public init() {}

  /// How many codes the latent can take: codes for vq and nsvq, the product of the levels for fsq; nil for the
  /// continuous kinds.
  public var codebookSize: Int? {
    switch kind {
    case .vq, .nsvq: return codes
    case .fsq: return levels.reduce(1, *)
    case .continuous, .kl: return nil
    }
  }

  /// The width of the IDM's output: dz, or a mean and a log-variance per dimension for kl.
  public var encoderOutputs: Int { kind == .kl ? 2 * dz : dz }

  public init(from decoder: Decoder) throws {
    self = try decoder.decode(BottleneckConfig(), [
      .field("kind", \.kind), .field("dz", \.dz), .field("noiseStd", \.noiseStd), .field("l2", \.l2),
      .field("codes", \.codes), .field("commitment", \.commitment), .field("emaDecay", \.emaDecay),
      .field("restartThreshold", \.restartThreshold), .field("beta", \.beta), .field("replaceEvery", \.replaceEvery),
      .field("levels", \.levels), .field("warmup", \.warmup),
    ])
  }

  public func validate(prefix: String = "model.bottleneck") throws {
    try Check.range(dz, "\(prefix).dz", 1...1024)
    try Check.range(noiseStd, "\(prefix).noiseStd", 0...100)
    try Check.range(l2, "\(prefix).l2", 0...1000)
    try Check.range(codes, "\(prefix).codes", 2...4096)
    try Check.range(commitment, "\(prefix).commitment", 0...100)
    try Check.range(emaDecay, "\(prefix).emaDecay", 0...0.99999)
    try Check.range(restartThreshold, "\(prefix).restartThreshold", 0...1_000_000)
    try Check.range(beta, "\(prefix).beta", 0...1000)
    try Check.range(replaceEvery, "\(prefix).replaceEvery", 1...1_000_000)
    try Check.range(warmup, "\(prefix).warmup", 0...100_000_000)
    if warmup > 0 {
      try Check.that(kind == .vq, "\(prefix).warmup", "0 unless kind is vq (the warm-up seeds a vq codebook), got \(warmup)")
    }
    try Check.that(!levels.isEmpty && levels.count <= 16 && levels.allSatisfy { (2...256).contains($0) },
                   "\(prefix).levels", "1 to 16 level counts, each in 2...256, got \(levels)")
    if kind == .fsq {
      try Check.that(levels.count == dz, "\(prefix).levels",
                     "one level count per latent dimension (dz \(dz)), got \(levels.count); set dz to \(levels.count)")
      try Check.that(levels.reduce(1, *) <= 65536, "\(prefix).levels", "at most 65536 codes in all, got \(levels.reduce(1, *))")
    }
  }
}

/// The IDM, bottleneck and FDM: everything that fixes the model's tensors.
public struct ModelConfig: Codable, Equatable, Sendable {
  public var architecture: Architecture = .mlp
  /// mlp: width of every hidden layer.
  public var hidden: Int = 128
  /// mlp: number of hidden layers in the IDM and in the FDM.
  public var depth: Int = 2
  /// conv: output channels of each stride-2 convolution (the decoder mirrors them).
  public var channels: [Int] = [32, 64, 128]
  /// conv: width of the IDM's fully connected layer after the convolutions.
  public var encoderHidden: Int = 256
  /// conv: channels of the latent's embedding, broadcast over the FDM's bottom feature map.
  public var latentEmbed: Int = 128
  /// unet: the levels' widths and the sizes of the IDM's head and the latent's embedding.
  public var unet = UNetConfig()
  /// The non-linearity after every hidden layer.
  public var activation: ActivationKind = .relu
  public var predict: PredictionTarget = .delta
  public var bottleneck = BottleneckConfig()

  public init() {}

  public init(from decoder: Decoder) throws {
    self = try decoder.decode(ModelConfig(), [
      .field("architecture", \.architecture), .field("hidden", \.hidden), .field("depth", \.depth),
      .field("channels", \.channels), .field("encoderHidden", \.encoderHidden), .field("latentEmbed", \.latentEmbed),
      .field("unet", \.unet), .field("activation", \.activation), .field("predict", \.predict), .field("bottleneck", \.bottleneck),
    ])
  }

  /// Checks every field, and that the conv stack fits the frame (each stride-2 layer halves H and W).
  public func validate(frame: FrameShape? = nil) throws {
    try Check.range(hidden, "model.hidden", 1...65536)
    try Check.range(depth, "model.depth", 1...16)
    try Check.that(!channels.isEmpty && channels.allSatisfy { (1...4096).contains($0) },
                   "model.channels", "a non-empty list of channel counts in 1...4096")
    try Check.range(encoderHidden, "model.encoderHidden", 1...65536)
    try Check.range(latentEmbed, "model.latentEmbed", 1...4096)
    try unet.validate(frame: architecture == .unet ? frame : nil)
    try bottleneck.validate()
    if let frame, architecture == .conv {
      let factor = 1 << channels.count
      try Check.that(frame.height % factor == 0 && frame.width % factor == 0 && frame.height >= factor && frame.width >= factor,
                     "model.channels",
                     "at most as many stride-2 layers as the frame (\(frame.height)x\(frame.width)) can be halved evenly; use mlp for small frames")
    }
  }
}

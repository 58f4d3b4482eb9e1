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

/// The kind of latent bottleneck.
public enum BottleneckKind: String, Codable, Sendable, CaseIterable {
  case continuous
  case vq
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
  /// VQ: a code whose average usage per batch falls below this many assignments is restarted at a
  /// random encoder output from the current batch.
  public var restartThreshold: Float = 0.01

  public init() {}

  public init(from decoder: Decoder) throws {
    self = try decoder.decode(BottleneckConfig(), [
      .field("kind", \.kind), .field("dz", \.dz), .field("noiseStd", \.noiseStd), .field("l2", \.l2),
      .field("codes", \.codes), .field("commitment", \.commitment), .field("emaDecay", \.emaDecay),
      .field("restartThreshold", \.restartThreshold),
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

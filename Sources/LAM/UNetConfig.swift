import Core

/// The widths of the `unet` architecture: the paper's small CNN IDM and small UNet FDM.
///
/// Level 0 works at the frame's own size (3x3 convolutions, padding 1, so one pixel per cell of a 4 x 4 grid
/// is enough); each further level halves height and width with a k4 s2 p1 convolution. The defaults are
/// small so that a 4 x 4 step stays within a few times the MLP's (docs/training.md).
public struct UNetConfig: Codable, Equatable, Sendable {
  /// Channels of each level, from the frame's size down; the IDM and the FDM's encoder share them.
  public var widths: [Int] = [8, 16]
  /// Width of the IDM's fully connected layer between the flattened bottom map and z_e.
  public var idmHidden: Int = 64
  /// Channels of the latent's embedding, broadcast over the FDM's bottom feature map.
  public var latentEmbed: Int = 16

  public init() {}

  public init(from decoder: Decoder) throws {
    self = try decoder.decode(UNetConfig(), [
      .field("widths", \.widths), .field("idmHidden", \.idmHidden), .field("latentEmbed", \.latentEmbed),
    ])
  }

  /// How many times the levels halve the frame.
  public var downsamplings: Int { max(widths.count - 1, 0) }

  /// Checks every field, and with a frame, that each level below the first can halve it evenly.
  public func validate(frame: FrameShape?, prefix: String = "model.unet") throws {
    try Check.that(!widths.isEmpty && widths.count <= 8 && widths.allSatisfy { (1...4096).contains($0) },
                   "\(prefix).widths", "a list of 1 to 8 channel counts, each in 1...4096")
    try Check.range(idmHidden, "\(prefix).idmHidden", 1...65536)
    try Check.range(latentEmbed, "\(prefix).latentEmbed", 1...4096)
    if let frame {
      let factor = 1 << downsamplings
      try Check.that(frame.height % factor == 0 && frame.width % factor == 0, "\(prefix).widths",
                     "at most as many levels as the frame (\(frame.height)x\(frame.width)) can be halved evenly, plus one"
                       + " (\(widths.count) levels halve it \(downsamplings) times)")
    }
  }
}

import Core
import NN

/// The inverse-dynamics encoder: (o, o') -> z_e, the latent action before the bottleneck.
///
/// mlp: concat(o, o') flattened -> fc layers. conv: concat along channels -> stride-2 convs ->
/// flatten -> fc(encoder_hidden) -> ReLU -> fc(dz). unet (the paper's small CNN IDM): concat along channels ->
/// a 3x3 convolution, then one k4 s2 p1 convolution per further level -> flatten -> fc(idmHidden) -> fc(dz).
public final class IDM {
  private let pair = Concat()
  public let net: Sequential

  public init(_ config: ModelConfig, frame: FrameShape, rng: inout RNG) {
    let dz = config.bottleneck.encoderOutputs  // dz, or a mean and a log-variance per dimension for kl
    switch config.architecture {
    case .mlp:
      net = mlp(2 * frame.size, hidden: config.hidden, depth: config.depth, out: dz, activation: config.activation, dataInput: true, rng: &rng)
    case .conv:
      let encoder = convEncoder(2 * frame.channels, channels: config.channels, activation: config.activation, rng: &rng)
      let down = 1 << config.channels.count
      let flat = config.channels.last! * (frame.height / down) * (frame.width / down)
      net = Sequential(encoder.children.map { ($0.name, $0.layer) } + [
        ("flatten", Flatten([flat])),
        ("fc1", Linear(flat, config.encoderHidden, rng: &rng)),
        ("\(config.activation.rawValue)_fc1", config.activation.layer()),
        ("fc2", Linear(config.encoderHidden, dz, rng: &rng)),
      ])
    case .unet:
      let u = config.unet, down = 1 << u.downsamplings
      let flat = u.widths.last! * (frame.height / down) * (frame.width / down)
      net = Sequential(unetEncoder(2 * frame.channels, widths: u.widths, activation: config.activation, rng: &rng) + [
        ("flatten", Flatten([flat])),
        ("fc1", Linear(flat, u.idmHidden, rng: &rng)),
        ("\(config.activation.rawValue)_fc1", config.activation.layer()),
        ("fc2", Linear(u.idmHidden, dz, rng: &rng)),
      ])
    }
  }

  /// z_e for a batch of transitions: o and o' are [N, C, H, W]; the result is [N, dz].
  public func forward(_ o: Tensor, _ next: Tensor) -> Tensor {
    timingScope("idm") { net.forward(timed("concat", .forward) { pair.forward(o, next) }) }
  }

  /// Accumulates the parameter gradients for dLoss/dz_e (the frames need no gradient).
  public func backward(_ dz: Tensor) {
    _ = timingScope("idm") { net.backward(dz) }
  }

  public var namedParameters: [(name: String, parameter: Parameter)] { net.namedParameters() }
}

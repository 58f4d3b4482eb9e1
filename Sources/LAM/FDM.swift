import Core
import NN

/// The forward-dynamics decoder: (o, z) -> predicted o'.
///
/// mlp: concat(flatten(o), z) -> fc layers -> reshape to the frame. conv: o -> stride-2 convs;
/// z -> fc(latent_embed) -> ReLU, broadcast over the bottom feature map; concat along channels ->
/// transposed convs back to the frame. unet: the paper's small UNet with skip connections (UNet.swift).
/// With `predict = delta` the network's output is added to o.
public final class FDM {
  public let predict: PredictionTarget
  public let frame: FrameShape
  private let body: Body
  private let output = Tensor([0])  // [N, C, H, W]: the prediction when predicting the delta

  private enum Body {
    case mlp(flatten: Reshape, join: Concat, net: Sequential, unflatten: Reshape)
    case conv(encoder: Sequential, embed: Sequential, broadcast: Broadcast, join: Concat, decoder: Sequential)
    case unet(UNet)
  }

  public init(_ config: ModelConfig, frame: FrameShape, rng: inout RNG) {
    predict = config.predict
    self.frame = frame
    let dz = config.bottleneck.dz
    switch config.architecture {
    case .mlp:
      body = .mlp(
        flatten: Flatten(frame.dims), join: Concat(),
        net: mlp(frame.size + dz, hidden: config.hidden, depth: config.depth, out: frame.size, activation: config.activation, rng: &rng),
        unflatten: Reshape(to: frame.dims))
    case .conv:
      let encoder = convEncoder(frame.channels, channels: config.channels, activation: config.activation, rng: &rng)
      let embed = Sequential([("fc", Linear(dz, config.latentEmbed, rng: &rng)), (config.activation.rawValue, config.activation.layer())])
      let down = 1 << config.channels.count
      let decoder = convDecoder(config.channels.last! + config.latentEmbed, channels: config.channels,
                                outChannels: frame.channels, activation: config.activation, rng: &rng)
      body = .conv(encoder: encoder, embed: embed,
                   broadcast: Broadcast(height: frame.height / down, width: frame.width / down),
                   join: Concat(), decoder: decoder)
    case .unet:
      body = .unet(UNet(config, frame: frame, rng: &rng))
    }
  }

  /// Predicted o' [N, C, H, W] from o [N, C, H, W] and z [N, dz].
  public func forward(_ o: Tensor, _ z: Tensor) -> Tensor {
    timingScope("fdm") {
      let raw: Tensor
      switch body {
      case .mlp(let flatten, let join, let net, let unflatten):
        let joined = timed("concat", .forward) { join.forward(flatten.forward(o), z) }
        raw = unflatten.forward(net.forward(joined))
      case .conv(let encoder, let embed, let broadcast, let join, let decoder):
        let features = timingScope("encoder") { encoder.forward(o) }
        let embedded = timed("embed", .forward) { broadcast.forward(embed.forward(z)) }
        let joined = timed("concat", .forward) { join.forward(features, embedded) }
        raw = timingScope("decoder") { decoder.forward(joined) }
      case .unet(let unet):
        raw = unet.forward(o, z)
      }
      guard predict == .delta else { return raw }
      return timed("add o", .forward) {
        output.resize(raw.shape)
        for i in 0..<raw.count { output.data[i] = raw.data[i] + o.data[i] }
        return output
      }
    }
  }

  /// Accumulates the parameter gradients and returns dLoss/dz [N, dz]. Adding o back has
  /// gradient 1, so dPrediction passes through unchanged; o itself needs no gradient.
  public func backward(_ dPrediction: Tensor) -> Tensor {
    timingScope("fdm") {
      switch body {
      case .mlp(_, let join, let net, let unflatten):
        let dJoined = net.backward(unflatten.backward(dPrediction))
        return timed("concat", .backward) { join.backward(dJoined).1 }
      case .conv(let encoder, let embed, let broadcast, let join, let decoder):
        let dJoined = timingScope("decoder") { decoder.backward(dPrediction) }
        let (dFeatures, dBroadcast) = timed("concat", .backward) { join.backward(dJoined) }
        _ = timingScope("encoder") { encoder.backward(dFeatures) }
        return timed("embed", .backward) { embed.backward(broadcast.backward(dBroadcast)) }
      case .unet(let unet):
        return unet.backward(dPrediction)
      }
    }
  }

  public var namedParameters: [(name: String, parameter: Parameter)] {
    switch body {
    case .mlp(_, _, let net, _):
      return net.namedParameters()
    case .conv(let encoder, let embed, _, _, let decoder):
      return encoder.namedParameters(prefix: "encoder.") + embed.namedParameters(prefix: "embed.")
        + decoder.namedParameters(prefix: "decoder.")
    case .unet(let unet):
      return unet.namedParameters
    }
  }
}

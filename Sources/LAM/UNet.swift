import Core
import NN

/// The unet architecture's forward model before `predict` is applied: (o, z) -> an image of o's shape.
///
/// The paper's FDM is a small UNet taking o and the latent. Widths w_0..w_{L-1} (`UNetConfig`):
///
///     o -> encoder.conv1 (3x3) -> s_0 -> encoder.conv2 (k4 s2) -> s_1 ... -> s_{L-1}      (bottom, H/2^(L-1))
///     z -> embed.fc -> act -> broadcast over the bottom map; concat with s_{L-1} -> mid (3x3) -> act -> h
///     for l = L-1 ... 1:  h -> upsample x2 -> concat with s_{l-1} -> decoder.conv{L-l} (3x3) -> act -> h
///     h -> out (1x1) -> the prediction
///
/// Skip connections carry every encoder level's map to the decoder level of its size, so the decoder can
/// copy o where nothing moves and the latent only has to say what changes. Each s_l is an activation's own
/// output, valid until that layer's next forward; backward adds the skip's gradient to the level above's.
final class UNet {
  let encoder: Sequential  // conv1, act1, conv2, act2, ...: run level by level to keep each s_l
  let embed: Sequential  // fc, act
  let mid: Sequential  // conv (3x3), act: the bottom's convolution over the map and the latent
  let decoder: Sequential  // conv1, act1, ...: one 3x3 convolution per level climbed
  let out: Conv2d  // 1x1, no activation
  private let broadcast: Broadcast
  private let bottomJoin = Concat()
  private let upsamples: [Upsample]  // one per level climbed
  private let skipJoins: [Concat]  // one per level climbed
  private let stepNames: [(upsample: String, skip: String)]  // the timer's names per level climbed, made once
  private var skips: [Tensor] = []  // s_0 ... s_{L-1} of the last forward
  private let dSkipSums: [Tensor]  // [N, w_l, H_l, W_l] per level below the bottom: the two gradients of s_l added
  private let levels: Int

  init(_ config: ModelConfig, frame: FrameShape, rng: inout RNG) {
    let u = config.unet, act = config.activation, widths = u.widths
    levels = widths.count
    encoder = Sequential(unetEncoder(frame.channels, widths: widths, activation: act, rng: &rng))
    embed = Sequential([("fc", Linear(config.bottleneck.dz, u.latentEmbed, rng: &rng)), (act.rawValue, act.layer())])
    let bottom = widths[levels - 1]
    let midConv = Conv2d(bottom + u.latentEmbed, bottom, kernel: 3, stride: 1, padding: 1, rng: &rng)
    mid = Sequential([("conv", midConv), (act.rawValue, act.layer())])
    var decoderChildren: [(String, any Layer)] = []
    var c = bottom
    for (i, level) in (0..<(levels - 1)).reversed().enumerated() {
      let conv = Conv2d(c + widths[level], widths[level], kernel: 3, stride: 1, padding: 1, rng: &rng)
      decoderChildren.append(("conv\(i + 1)", conv))
      decoderChildren.append(("\(act.rawValue)\(i + 1)", act.layer()))
      c = widths[level]
    }
    decoder = Sequential(decoderChildren)
    out = Conv2d(widths[0], frame.channels, kernel: 1, rng: &rng)
    let down = 1 << u.downsamplings
    broadcast = Broadcast(height: frame.height / down, width: frame.width / down)
    upsamples = (1..<levels).map { _ in Upsample(factor: 2) }
    skipJoins = (1..<levels).map { _ in Concat() }
    dSkipSums = (1..<levels).map { _ in Tensor([0]) }
    stepNames = (1..<levels).map { ("upsample\($0)", "skip\($0)") }
  }

  /// The network's output [N, C, H, W] for o [N, C, H, W] and z [N, dz].
  func forward(_ o: Tensor, _ z: Tensor) -> Tensor {
    skips.removeAll(keepingCapacity: true)
    var h = o
    timingScope("encoder") {
      for level in 0..<levels { h = pair(encoder, level, forward: h); skips.append(h) }
    }
    let embedded = timed("embed", .forward) { broadcast.forward(embed.forward(z)) }
    let joined = timed("concat", .forward) { bottomJoin.forward(h, embedded) }
    h = timingScope("mid") { mid.forward(joined) }
    timingScope("decoder") {
      for step in 0..<(levels - 1) {
        let up = timed(stepNames[step].upsample, .forward) { upsamples[step].forward(h) }
        let cat = timed(stepNames[step].skip, .forward) { skipJoins[step].forward(up, skips[levels - 2 - step]) }
        h = pair(decoder, step, forward: cat)
      }
    }
    return timed("out", .forward) { out.forward(h) }
  }

  /// Accumulates every parameter gradient for dLoss/dOutput and returns dLoss/dz [N, dz].
  func backward(_ dOutput: Tensor) -> Tensor {
    var d = timed("out", .backward) { out.backward(dOutput) }
    timingScope("decoder") {
      for step in (0..<(levels - 1)).reversed() {
        let dCat = pair(decoder, step, backward: d)
        let (dUp, dSkip) = timed(stepNames[step].skip, .backward) { skipJoins[step].backward(dCat) }
        dSkipSums[levels - 2 - step].copy(from: dSkip)
        d = timed(stepNames[step].upsample, .backward) { upsamples[step].backward(dUp) }
      }
    }
    let dJoined = timingScope("mid") { mid.backward(d) }
    let (dBottom, dEmbedded) = timed("concat", .backward) { bottomJoin.backward(dJoined) }
    let dz = timed("embed", .backward) { embed.backward(broadcast.backward(dEmbedded)) }
    timingScope("encoder") {
      var dh = dBottom
      for level in (0..<levels).reversed() {
        if level < levels - 1 {
          let sum = dSkipSums[level]
          for i in 0..<sum.count { sum.data[i] += dh.data[i] }
          dh = sum
        }
        dh = pair(encoder, level, backward: dh)
      }
    }
    return dz
  }

  var namedParameters: [(name: String, parameter: Parameter)] {
    encoder.namedParameters(prefix: "encoder.") + embed.namedParameters(prefix: "embed.")
      + mid.namedParameters(prefix: "mid.")
      + decoder.namedParameters(prefix: "decoder.") + out.parameters.map { ("out." + $0.name, $0) }
  }
}

/// Runs children 2i (a convolution) and 2i + 1 (its activation) of `net`, timed under their names.
private func pair(_ net: Sequential, _ i: Int, forward x: Tensor) -> Tensor {
  let (conv, act) = (net.children[2 * i], net.children[2 * i + 1])
  let y = timed(conv.name, .forward) { conv.layer.forward(x) }
  return timed(act.name, .forward) { act.layer.forward(y) }
}

/// The backward of `pair(net, i, forward:)`.
private func pair(_ net: Sequential, _ i: Int, backward dy: Tensor) -> Tensor {
  let (conv, act) = (net.children[2 * i], net.children[2 * i + 1])
  let d = timed(act.name, .backward) { act.layer.backward(dy) }
  return timed(conv.name, .backward) { conv.layer.backward(d) }
}

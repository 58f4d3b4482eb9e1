import Core

// What a model asks of memory, estimated from its config before anything is allocated, so that a config
// within every documented range but too large for the machine (mlp hidden 65536, depth 16: 550 GB of
// weights) is refused with an error instead of aborting in the allocator.

extension ModelConfig {
  /// Weights and biases of the IDM and FDM for frames of `frame`, plus VQ's codebook and its moving
  /// averages: the floats a checkpoint holds. Nil if the count does not fit in an Int.
  public func parameterCount(frame: FrameShape) -> Int? {
    let dz = bottleneck.dz, encoderOutputs = bottleneck.encoderOutputs
    var layers: [[Int]]  // [fan-in + 1, fan-out], and the bottleneck's own tensors
    switch bottleneck.kind {
    case .vq: layers = [[bottleneck.codes, 2 * dz + 1]]  // codebook, cluster sizes, embedding sums
    case .nsvq: layers = [[bottleneck.codes, dz + 1], [1]]  // codebook, usage counts, batch count
    case .continuous, .kl, .fsq: layers = []
    }
    switch architecture {
    case .mlp:
      for (inputs, out) in [(2 * frame.size, encoderOutputs), (frame.size + dz, frame.size)] {  // the IDM, the FDM
        layers += [[inputs + 1, hidden], [depth - 1, hidden + 1, hidden], [hidden + 1, out]]
      }
    case .conv:
      for inputs in [2 * frame.channels, frame.channels] {  // the IDM's and the FDM's encoders
        var c = inputs
        for out in channels {
          layers.append([c * 16 + 1, out])
          c = out
        }
      }
      let down = 1 << min(channels.count, 30)
      let last = channels.last ?? 0
      layers += [[last, frame.height / down, frame.width / down, encoderHidden], [encoderHidden], [encoderHidden + 1, encoderOutputs],
                 [dz + 1, latentEmbed]]
      var c = last + latentEmbed
      for out in Array(channels.reversed().dropFirst()) + [frame.channels] {
        layers.append([c * 16 + 1, out])
        c = out
      }
    case .unet:
      let u = unet, widths = u.widths, bottom = widths.last ?? 0
      for inputs in [2 * frame.channels, frame.channels] {  // the IDM's convolutions and the FDM's encoder
        var c = inputs
        for (level, out) in widths.enumerated() {
          layers.append([c * (level == 0 ? 9 : 16) + 1, out])
          c = out
        }
      }
      let down = 1 << min(u.downsamplings, 30)
      layers += [[bottom, frame.height / down, frame.width / down, u.idmHidden], [u.idmHidden], [u.idmHidden + 1, encoderOutputs],
                 [dz + 1, u.latentEmbed], [(bottom + u.latentEmbed) * 9 + 1, bottom]]
      var c = bottom
      for out in widths.dropLast().reversed() {  // the decoder: the level below's map and the skip, 3x3
        layers.append([(c + out) * 9 + 1, out])
        c = out
      }
      layers.append([c + 1, frame.channels])  // the 1x1 output convolution
    }
    return Sizes.sum(layers.map(Sizes.product))
  }

  /// Floats one sample keeps in a step: every layer's output, its gradient, and the inputs layers cache for
  /// backward (four per output, generously). Nil on overflow.
  func activationsPerSample(frame: FrameShape) -> Int? {
    var widths: [Int?]
    switch architecture {
    case .mlp:
      widths = [2 * frame.size, frame.size + 2 * bottleneck.dz, frame.size, Sizes.product([2 * depth, hidden])]
    case .conv:
      widths = [3 * frame.size, frame.size, encoderHidden, latentEmbed]
      var (h, w) = (frame.height, frame.width)
      for out in channels {
        (h, w) = (h / 2, w / 2)
        widths.append(Sizes.product([2, out, h, w]))  // the IDM's and the FDM's encoders
      }
      widths.append(Sizes.product([latentEmbed, h, w]))
    case .unet:
      let u = unet
      widths = [3 * frame.size, 2 * frame.size, u.idmHidden, u.latentEmbed]
      var (h, w) = (frame.height, frame.width)
      for (level, out) in u.widths.enumerated() {
        if level > 0 { (h, w) = (h / 2, w / 2) }
        // The IDM's and the encoder's maps; above the bottom also the decoder's: the level below upsampled,
        // its concatenation with the skip and the convolution's output.
        let above = level + 1 < u.widths.count ? 2 * u.widths[level + 1] + 2 * out : 0
        widths.append(Sizes.product([2 * out + above, h, w]))
      }
      widths.append(Sizes.product([2 * (u.widths.last ?? 0) + 2 * u.latentEmbed, h, w]))  // the bottom's join and mid
    }
    return Sizes.sum(widths).flatMap { Sizes.product([$0, 4]) }
  }

  /// Bytes of the model with `batch` samples in flight: Float32 weights with their gradients (every
  /// parameter carries one), Adam's two moments when training, a packed copy of each convolution's weight,
  /// and the step's activations. Nil when it does not fit in an Int.
  public func estimatedBytes(frame: FrameShape, batch: Int, training: Bool) -> Int? {
    guard let parameters = parameterCount(frame: frame), let activations = activationsPerSample(frame: frame) else {
      return nil
    }
    let copies = (training ? 4 : 2) + (architecture == .mlp ? 0 : 1)  // the convolutions' packed weights
    return Sizes.sum([Sizes.product([parameters, 4, copies]), Sizes.product([activations, 4, batch])])
  }

  /// Throws when the model with `batch` samples in flight needs more memory than this machine has.
  public func checkMemory(frame: FrameShape, batch: Int, training: Bool, file: String? = nil) throws {
    let what = "\(architecture.rawValue) model for \(frame.channels)x\(frame.height)x\(frame.width) frames"
      + (training ? " (batch \(batch), gradients and Adam's moments)" : "")
    try Check.memory(estimatedBytes(frame: frame, batch: batch, training: training), "model", what: what, file: file)
  }
}

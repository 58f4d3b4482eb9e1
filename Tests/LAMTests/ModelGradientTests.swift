import Core
import LAM
import NN
import Testing
import TestSupport

private func randomFrames(_ n: Int, _ frame: FrameShape, _ rng: inout RNG) -> Tensor {
  let t = Tensor([n] + frame.dims)
  for i in 0..<t.count { t[i] = rng.uniform() }
  return t
}

/// Loss = MSE(prediction, o') + the bottleneck's own loss. `training` draws the bottleneck's noise from the same
/// seed on every call, so finite differences see one fixed sample.
private func loss(_ model: LatentActionModel, _ o: Tensor, _ next: Tensor, _ mse: MSELoss, training: Bool) -> Double {
  var rng = RNG(seed: 0)
  let prediction = model.forward(o, next, training: training, rng: &rng)
  return Double(mse.forward(prediction, next)) + Double(model.bottleneckLoss)
}

/// Central finite differences of the loss for every parameter entry, against the analytic gradient.
private func worstGradientError(_ model: LatentActionModel, _ o: Tensor, _ next: Tensor, onlyFDM: Bool = false,
                                training: Bool = false) -> Double {
  let mse = MSELoss()
  for (_, p) in model.namedParameters { p.grad.zero() }
  var rng = RNG(seed: 0)
  let prediction = model.forward(o, next, training: training, rng: &rng)
  _ = mse.forward(prediction, next)
  model.backward(mse.backward())
  var analytic: [Double] = [], numeric: [Double] = []
  let h: Float = 1e-3
  for (name, p) in model.namedParameters where !onlyFDM || name.hasPrefix("fdm.") {
    for i in 0..<p.value.count {
      let saved = p.value[i]
      p.value[i] = saved + h
      let up = loss(model, o, next, mse, training: training)
      p.value[i] = saved - h
      let down = loss(model, o, next, mse, training: training)
      p.value[i] = saved
      numeric.append((up - down) / Double(2 * h))
      analytic.append(Double(p.grad[i]))
    }
  }
  return maxRelativeError(analytic, numeric, floor: 1e-2)
}

private func smallConfig(_ kind: BottleneckKind, predict: PredictionTarget) -> ModelConfig {
  var config = ModelConfig()
  config.architecture = .mlp
  config.hidden = 8
  config.depth = 2
  config.predict = predict
  config.bottleneck.kind = kind
  config.bottleneck.dz = 3
  config.bottleneck.l2 = 0.1
  config.bottleneck.codes = 4
  config.bottleneck.beta = 0.3
  config.bottleneck.levels = [5, 4, 3]
  config.bottleneck.replaceEvery = 1_000_000  // no code replacement between finite-difference evaluations
  return config
}

@Test func mlpModelWithContinuousLatentHasExactGradients() {
  let frame = FrameShape(channels: 1, height: 4, width: 4)
  var rng = RNG(seed: 5)
  for predict in PredictionTarget.allCases {
    let model = LatentActionModel(smallConfig(.continuous, predict: predict), frame: frame, rng: &rng)
    let o = randomFrames(6, frame, &rng), next = randomFrames(6, frame, &rng)
    #expect(worstGradientError(model, o, next) < 1e-2, "predict \(predict)")
  }
}

// The smooth activations: finite differences across a kink of ReLU or LeakyReLU need inputs kept away from
// it, which NNTests' layer tests do for every activation.
@Test(arguments: [ActivationKind.tanh, .sigmoid])
func smoothActivationsGiveExactModelGradients(activation: ActivationKind) {
  let frame = FrameShape(channels: 1, height: 4, width: 4)
  var rng = RNG(seed: 7)
  var config = smallConfig(.continuous, predict: .next)
  config.activation = activation
  let model = LatentActionModel(config, frame: frame, rng: &rng)
  #expect(model.idm.net.children.map(\.name) == ["fc1", "\(activation.rawValue)1", "fc2", "\(activation.rawValue)2", "fc3"])
  let o = randomFrames(6, frame, &rng), next = randomFrames(6, frame, &rng)
  #expect(worstGradientError(model, o, next) < 1e-2)
}

@Test func vqModelHasExactDecoderGradients() {
  // The quantizer is piecewise constant, so finite differences see the IDM only through the
  // commitment term; the FDM's gradients must match exactly.
  let frame = FrameShape(channels: 1, height: 4, width: 4)
  var rng = RNG(seed: 6)
  let model = LatentActionModel(smallConfig(.vq, predict: .delta), frame: frame, rng: &rng)
  let o = randomFrames(6, frame, &rng), next = randomFrames(6, frame, &rng)
  #expect(worstGradientError(model, o, next, onlyFDM: true) < 1e-2)
}

// The training path of the noisy kinds: kl's reparameterized sample and nsvq's substituted noise, drawn from one
// seed for every evaluation. Every parameter, including the IDM's (through the sample) and nsvq's codebook.
@Test(arguments: [BottleneckKind.kl, .nsvq])
func noisyBottlenecksHaveExactTrainingGradients(kind: BottleneckKind) {
  let frame = FrameShape(channels: 1, height: 4, width: 4)
  var rng = RNG(seed: 8)
  var config = smallConfig(kind, predict: .delta)
  config.activation = .tanh
  let model = LatentActionModel(config, frame: frame, rng: &rng)
  let o = randomFrames(6, frame, &rng), next = randomFrames(6, frame, &rng)
  #expect(worstGradientError(model, o, next, training: true) < 1e-2)
  #expect(model.bottleneckLoss > 0 || kind == .nsvq)
}

@Test func klModelHasExactEvaluationGradients() {
  // At evaluation z is the mean; the KL term still reaches the log-variance half of the IDM's output.
  let frame = FrameShape(channels: 1, height: 4, width: 4)
  var rng = RNG(seed: 9)
  var config = smallConfig(.kl, predict: .next)
  config.activation = .tanh
  let model = LatentActionModel(config, frame: frame, rng: &rng)
  #expect(model.namedParameters.first { $0.name == "idm.fc3.weight" }?.parameter.value.shape == [6, 8])
  let o = randomFrames(6, frame, &rng), next = randomFrames(6, frame, &rng)
  #expect(worstGradientError(model, o, next) < 1e-2)
}

@Test func fsqModelHasExactDecoderGradients() {
  // Rounding is piecewise constant, as VQ's snapping: the FDM's gradients must match exactly.
  let frame = FrameShape(channels: 1, height: 4, width: 4)
  var rng = RNG(seed: 10)
  let model = LatentActionModel(smallConfig(.fsq, predict: .delta), frame: frame, rng: &rng)
  let o = randomFrames(6, frame, &rng), next = randomFrames(6, frame, &rng)
  #expect(worstGradientError(model, o, next, onlyFDM: true, training: true) < 1e-2)
}

@Test func parametersAreNamedLikeThePyTorchModules() {
  let frame = FrameShape(channels: 1, height: 4, width: 4)
  var rng = RNG(seed: 0)
  let model = LatentActionModel(smallConfig(.continuous, predict: .delta), frame: frame, rng: &rng)
  let names = model.namedParameters.map(\.name)
  #expect(names == [
    "idm.fc1.weight", "idm.fc1.bias", "idm.fc2.weight", "idm.fc2.bias", "idm.fc3.weight", "idm.fc3.bias",
    "fdm.fc1.weight", "fdm.fc1.bias", "fdm.fc2.weight", "fdm.fc2.bias", "fdm.fc3.weight", "fdm.fc3.bias",
  ])
  #expect(model.namedParameters[0].parameter.value.shape == [8, 32])
  #expect(model.namedParameters[6].parameter.value.shape == [8, 19])
}

private func unetConfig(_ widths: [Int], predict: PredictionTarget) -> ModelConfig {
  var config = smallConfig(.continuous, predict: predict)
  config.architecture = .unet
  config.activation = .tanh  // smooth, so that finite differences are the derivative everywhere
  config.unet.widths = widths
  config.unet.idmHidden = 5
  config.unet.latentEmbed = 2
  return config
}

@Test("The unet model's gradients equal finite differences, with one skip (4x4) and with two (8x8, 3 levels)",
      arguments: [(FrameShape(channels: 1, height: 4, width: 4), [3, 4]), (FrameShape(channels: 2, height: 8, width: 8), [2, 3, 4])])
func unetModelHasExactGradients(frame: FrameShape, widths: [Int]) {
  var rng = RNG(seed: 8)
  for predict in PredictionTarget.allCases {
    let model = LatentActionModel(unetConfig(widths, predict: predict), frame: frame, rng: &rng)
    let o = randomFrames(3, frame, &rng), next = randomFrames(3, frame, &rng)
    #expect(worstGradientError(model, o, next) < 1e-2, "\(frame.dims) \(widths), predict \(predict)")
  }
}

@Test("The unet model's tensors are named and shaped like the PyTorch module of docs/checkpoint-format.md")
func unetParametersAreNamedLikeThePyTorchModules() {
  let frame = FrameShape(channels: 3, height: 8, width: 8)
  var rng = RNG(seed: 0)
  let model = LatentActionModel(unetConfig([4, 6, 8], predict: .delta), frame: frame, rng: &rng)
  let shapes = model.namedParameters.filter { $0.name.hasSuffix(".weight") }.map { "\($0.name) \($0.parameter.value.shape)" }
  #expect(shapes == [
    "idm.conv1.weight [4, 6, 3, 3]", "idm.conv2.weight [6, 4, 4, 4]", "idm.conv3.weight [8, 6, 4, 4]",
    "idm.fc1.weight [5, 32]", "idm.fc2.weight [3, 5]",
    "fdm.encoder.conv1.weight [4, 3, 3, 3]", "fdm.encoder.conv2.weight [6, 4, 4, 4]", "fdm.encoder.conv3.weight [8, 6, 4, 4]",
    "fdm.embed.fc.weight [2, 3]", "fdm.mid.conv.weight [8, 10, 3, 3]",
    "fdm.decoder.conv1.weight [6, 14, 3, 3]", "fdm.decoder.conv2.weight [4, 10, 3, 3]", "fdm.out.weight [3, 4, 1, 1]",
  ])
  #expect(model.namedParameters.count == 26)  // every layer has a bias
}

@Test("The default unet runs on 4x4, 16x16 and 32x32 frames and predicts a frame of the input's shape")
func unetRunsOnSmallAndLargeFrames() throws {
  for (channels, size) in [(1, 4), (3, 16), (3, 32)] {
    let frame = FrameShape(channels: channels, height: size, width: size)
    var config = ModelConfig()
    config.architecture = .unet
    try config.validate(frame: frame)
    var rng = RNG(seed: 1)
    let model = LatentActionModel(config, frame: frame, rng: &rng)
    let o = randomFrames(2, frame, &rng), next = randomFrames(2, frame, &rng)
    let prediction = model.forward(o, next, training: true, rng: &rng)
    #expect(prediction.shape == [2, channels, size, size])
    #expect(prediction.array.allSatisfy { $0.isFinite })
  }
}

@Test("unet widths that a frame cannot be halved for, or out of range, are one-line errors naming the field")
func unetWidthsAreValidated() {
  var config = ModelConfig()
  config.architecture = .unet
  config.unet.widths = [8, 8, 8, 8]  // 4x4 -> 2x2 -> 1x1 -> 0.5
  #expect {
    try config.validate(frame: FrameShape(channels: 1, height: 4, width: 4))
  } throws: { "\($0)" == "model.unet.widths: expected at most as many levels as the frame (4x4) can be halved evenly, plus one (4 levels halve it 3 times)" }
  config.unet.widths = [8, 0]
  #expect { try config.validate() } throws: { "\($0)".hasPrefix("model.unet.widths: expected a list of 1 to 8 channel counts") }
  config.unet.widths = [8]
  config.unet.latentEmbed = 0
  #expect { try config.validate() } throws: { "\($0)" == "model.unet.latentEmbed: expected a value in 1...4096, got 0" }
}

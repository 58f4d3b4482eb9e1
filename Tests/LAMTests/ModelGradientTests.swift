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

import Core
import LAM
import NN
import Testing

/// A small model of every shape the profiler walks: conv or mlp, predicting o' or its change, a continuous
/// latent with training noise (which draws from the session's generator) or a VQ one (whose codebook moves).
private func smallModel(_ architecture: Architecture, _ predict: PredictionTarget, _ kind: BottleneckKind) -> ModelConfig {
  var config = ModelConfig()
  config.architecture = architecture
  config.hidden = 8
  config.channels = [4, 8]
  config.encoderHidden = 16
  config.latentEmbed = 4
  config.predict = predict
  config.bottleneck.kind = kind
  config.bottleneck.dz = 3
  config.bottleneck.noiseStd = 0.1
  config.bottleneck.codes = 4
  return config
}

// `profiledStep` calls every layer itself, in the order `LatentActionModel` does, to time each one: it must
// take exactly the step `trainStep` takes, or the profile times something users never run.
@Test(arguments: [
  (Architecture.conv, PredictionTarget.delta, BottleneckKind.continuous), (.conv, .next, .vq),
  (.mlp, .delta, .vq), (.mlp, .next, .continuous),
])
func profiledStepTakesTheSameStepAsTrainStep(architecture: Architecture, predict: PredictionTarget, kind: BottleneckKind) {
  let config = smallModel(architecture, predict, kind)
  let frame = architecture == .conv ? FrameShape(channels: 3, height: 8, width: 8) : FrameShape(channels: 1, height: 4, width: 4)
  let plain = BenchmarkSession(model: config, frame: frame, batch: 4, transitions: 6, seed: 3)
  let profiled = BenchmarkSession(model: config, frame: frame, batch: 4, transitions: 6, seed: 3)
  var profile = StepProfile()
  for _ in 0..<3 {
    plain.trainStep()
    profiled.profiledStep(into: &profile)
  }
  let pairs = zip(plain.model.namedParameters, profiled.model.namedParameters)
  let differing = pairs.filter { $0.0.parameter.value.array != $0.1.parameter.value.array }.map(\.0.name)
  #expect(differing.isEmpty, "parameters that differ after 3 steps: \(differing)")
  #expect(profiled.step == 3 && profile.steps == 3)
  let layers = Set(profile.entries.map(\.name))
  let expected = architecture == .conv
    ? ["idm.conv1", "idm.fc2", "fdm.encoder.conv2", "fdm.embed", "fdm.decoder.deconv2", "loss", "adam"]
    : ["idm.fc1", "idm.fc3", "fdm.concat", "fdm.fc3", "bottleneck", "loss", "adam"]
  #expect(expected.filter { !layers.contains($0) }.isEmpty, "layers the profile lacks, of \(layers.sorted())")
}

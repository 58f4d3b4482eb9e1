import Bench
import Core
import Dispatch
import LAM
import NN
import Testing

/// A small model of every shape the profiler times: conv or mlp, predicting o' or its change, a continuous
/// latent with training noise (which draws from the session's generator) or a VQ one (whose codebook moves).
private func smallModel(_ architecture: Architecture, _ predict: PredictionTarget, _ kind: BottleneckKind) -> ModelConfig {
  var config = ModelConfig()
  config.architecture = architecture
  config.hidden = 64
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

// The profile times the real step: with a timer active the step is the same step (same parameters after),
// every layer of the model is charged in both directions, and the charged time is the step's time.
@Test(arguments: [
  (Architecture.conv, PredictionTarget.delta, BottleneckKind.continuous), (.conv, .next, .vq),
  (.mlp, .delta, .vq), (.mlp, .next, .continuous),
])
func theProfileTimesEveryLayerOfTheRealStep(architecture: Architecture, predict: PredictionTarget, kind: BottleneckKind) {
  let config = smallModel(architecture, predict, kind)
  let frame = architecture == .conv ? FrameShape(channels: 3, height: 8, width: 8) : FrameShape(channels: 1, height: 4, width: 4)
  // A batch large enough that the layers, not the timer's bookkeeping, take the time.
  let plain = BenchmarkSession(model: config, frame: frame, batch: 64, transitions: 100, seed: 3)
  let profiled = BenchmarkSession(model: config, frame: frame, batch: 64, transitions: 100, seed: 3)
  let timer = StepTimer()
  let charged = { timer.entries.reduce(0) { $0 + $1.milliseconds } }
  // Per step, the share of its wall time that is charged to entries; the best of several steps, since
  // another process may take the core between two timed calls. The first step makes the entries.
  var best = 0.0
  for step in 0..<8 {
    plain.trainStep()
    let before = charged(), start = DispatchTime.now().uptimeNanoseconds
    StepTimer.$active.withValue(timer) { profiled.trainStep() }
    let stepMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    if step > 0 { best = max(best, (charged() - before) / stepMs) }
  }
  let pairs = zip(plain.model.namedParameters, profiled.model.namedParameters)
  let differing = pairs.filter { $0.0.parameter.value.array != $0.1.parameter.value.array }.map(\.0.name)
  #expect(differing.isEmpty, "parameters that differ after 8 steps: \(differing)")
  let names = Set(timer.entries.map { "\($0.phase.rawValue) \($0.name)" })
  let layers = architecture == .conv
    ? ["idm.conv1", "idm.relu1", "idm.fc2", "fdm.encoder.conv2", "fdm.embed", "fdm.concat", "fdm.decoder.deconv2", "bottleneck", "loss"]
    : ["idm.fc1", "idm.fc3", "fdm.concat", "fdm.fc3", "bottleneck", "loss"]
  let expected = layers.flatMap { ["forward \($0)", "backward \($0)"] } + ["optimizer adam", "forward load batch"]
    + (predict == .delta ? ["forward fdm.add o"] : [])
  #expect(expected.filter { !names.contains($0) }.isEmpty, "entries the profile lacks, of \(names.sorted())")
  // What is charged is the step, less the few statements between the timed calls.
  #expect(best <= 1 && best > 0.8, "at best \(best) of a step's time charged")
  // No timer: nothing charged.
  let total = charged()
  profiled.trainStep()
  #expect(charged() == total)
}

import Core
import GridWorld
import LAM
import NN
import Probing
import Testing
import TestSupport
import Training

/// One episode of 6 steps on a 4 x 4 grid (frames are irrelevant to the ceiling).
private func handMadeDataset() -> Dataset {
  // Step: 0 stay at (0,0); 1 up into the wall at (0,0); 2 up into the wall at (0,0); 3 right, moves to (0,1);
  // 4 stay at (0,1); 5 up into the wall at (0,1).
  let actions = [0, 1, 1, 4, 0, 1]
  let moved = [false, false, false, true, false, false]
  let cells = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1]  // [T+1, 2]
  return Dataset(config: EnvironmentConfig(), source: "test", seed: 0, episodes: 1, steps: 6,
                 frames: [UInt8](repeating: 0, count: 7 * 16), actions: actions, moved: moved, agentPositions: cells,
                 distractorActions: [], distractorPositions: [], shake: [Int](repeating: 0, count: 14),
                 exogenousChange: [Float](repeating: 0, count: 6))
}

@Test func ceilingCountsEveryMoveAndTheMostFrequentUnmovingActionPerCell() {
  // Moves: 1 (step 3). Unmoving at (0,0): stay 1, up 2 -> best 2. At (0,1): stay 1, up 1 -> best 1. (1 + 2 + 1) / 6.
  #expect(ProbeAnalysis.actionCeiling(handMadeDataset(), transitions: Array(0..<6)) == 4.0 / 6.0)
  // Only steps 0 and 3: one unmoving (stay) and one move -> 1.
  #expect(ProbeAnalysis.actionCeiling(handMadeDataset(), transitions: [0, 3]) == 1)
}

@Test func theDistractorCeilingTreatsAnUnchangedCellAsUnmoving() {
  // One distractor on row 3 of a 4 x 4 grid, 4 steps: left from (3,1) to (3,0); up into the wall at (3,0);
  // stay at (3,0); up into the wall at (3,0). Moved: 1. Unmoving at (3,0): up 2, stay 1 -> best 2. (1 + 2) / 4.
  var config = EnvironmentConfig()
  config.distractors = [DistractorGroup()]
  let cells = [3, 1, 3, 0, 3, 0, 3, 0, 3, 0]  // [T+1, K=1, 2]
  let data = Dataset(config: config, source: "test", seed: 0, episodes: 1, steps: 4,
                     frames: [UInt8](repeating: 0, count: 5 * 16), actions: [0, 0, 0, 0], moved: [false, false, false, false],
                     agentPositions: [Int](repeating: 1, count: 10), distractorActions: [3, 1, 0, 1],
                     distractorPositions: cells, shake: [Int](repeating: 0, count: 10),
                     exogenousChange: [Float](repeating: 0, count: 4))
  #expect(ProbeAnalysis.distractorActionCeiling(data, distractor: 0, transitions: Array(0..<4)) == 0.75)
  #expect(ProbeAnalysis.distractorActionCeiling(data, distractor: 0, transitions: [1, 2]) == 0.5)
}

/// Labels 0...4 and features [N, 5]: `informative` is the one-hot label plus noise, else pure noise.
private func features(_ n: Int, informative: Bool) -> (x: [Float], y: [Int]) {
  var rng = RNG(seed: 7)
  var x: [Float] = [], y: [Int] = []
  for _ in 0..<n {
    let label = rng.int(below: 5)
    y.append(label)
    for j in 0..<5 { x.append((informative && j == label ? 1 : 0) + (informative ? 0.2 : 1) * rng.normal()) }
  }
  return (x, y)
}

@Test func probesLandFarAboveChanceOnInformativeLatentsAndNearChanceOnNoise() {
  let train = Array(0..<1500), test = Array(1500..<2000)
  let settings = Probe.Settings(epochs: 20)
  let clean = features(2000, informative: true), noise = features(2000, informative: false)
  let chance = Probe.chance(labels: clean.y, train: train, test: test)
  #expect(chance < 0.3)
  for kind in [Probe.Kind.linear, .mlp(hidden: 64)] {
    let good = Probe.accuracy(features: clean.x, dim: 5, labels: clean.y, classes: 5, train: train, test: test,
                              kind: kind, settings: settings)
    let bad = Probe.accuracy(features: noise.x, dim: 5, labels: noise.y, classes: 5, train: train, test: test,
                             kind: kind, settings: settings)
    #expect(good > 0.95)
    #expect(bad < 0.3)
  }
}

@Test func probeAccuracyIsDeterministic() {
  let data = features(600, informative: false)
  let run = {
    Probe.accuracy(features: data.x, dim: 5, labels: data.y, classes: 5, train: Array(0..<400), test: Array(400..<600),
                   kind: .mlp(hidden: 64))
  }
  #expect(run() == run())
}

@Test func chanceIsTheTrainingMajorityClassAccuracyOnTheTestRows() {
  // Training majority is 2; the test rows hold one 2 in four.
  #expect(Probe.chance(labels: [2, 2, 1, 2, 0, 1, 1], train: [0, 1, 2], test: [3, 4, 5, 6]) == 0.25)
}

@Test func codeAnalysisGivesPurityMutualInformationAndUsage() {
  // Codes 0 and 1 each map to one action: purity 1, NMI 1; code 2 of 3 unused.
  let perfect = ProbeAnalysis.codeAnalysis(codes: [0, 0, 1, 1], actions: [3, 3, 4, 4], size: 3)
  #expect(perfect.purity == 1 && abs(perfect.nmi - 1) < 1e-12 && perfect.codesUsed == 2 && perfect.codebookSize == 3)
  #expect(perfect.contingency[0] == [0, 0, 0, 2, 0] && perfect.contingency[1] == [0, 0, 0, 0, 2])
  // One code for two equally frequent actions: purity 1/2, no information.
  let useless = ProbeAnalysis.codeAnalysis(codes: [0, 0, 0, 0], actions: [1, 2, 1, 2], size: 2)
  #expect(useless.purity == 0.5 && useless.nmi == 0 && useless.codesUsed == 1)
}

@Test func theProbeConfusionMatrixCountsEveryTestRowAndItsDiagonalIsTheAccuracy() {
  let data = features(800, informative: true)
  let test = Array(600..<800)
  let result = Probe.evaluate(features: data.x, dim: 5, labels: data.y, classes: 5, train: Array(0..<600), test: test,
                              kind: .linear, settings: Probe.Settings(epochs: 80))
  #expect(result.confusion.map { $0.reduce(0, +) } == (0..<5).map { c in test.filter { data.y[$0] == c }.count })
  let diagonal = (0..<5).reduce(0) { $0 + result.confusion[$1][$1] }
  #expect(Double(diagonal) / 200 == result.accuracy)
  #expect(result.accuracy > 0.9)
}

@Test func aProbeOfATrainedLatentOnACleanGridLandsFarAboveChanceAndNearTheCeiling() throws {
  let data = try Dataset.generate(config: EnvironmentConfig(), episodes: 300, steps: 16, seed: 5)
  var config = RunConfig()
  config.train.steps = 3000
  let split = try EpisodeSplit.make(episodes: data.episodes, valFraction: 0.1, labelFraction: 0, seed: 0)
  let trainer = try Trainer(config: config, data: data, split: split)
  for _ in 0..<config.train.steps { trainer.trainStep() }
  let results = try ProbeAnalysis.run(model: trainer.model, dataset: data, split: split, quantized: false).results
  let action = results.action
  #expect(action.mlp.testAccuracy > action.chance + 0.4)
  #expect(action.mlp.testAccuracy > 0.75 * (action.ceiling ?? 1))
}

@Test func aSavedProbeLabelsNewLatentsExactlyAsTheFittedOne() throws {
  let data = features(600, informative: true)
  let fitted = Probe.fit(features: data.x, dim: 5, labels: data.y, classes: 5, train: Array(0..<400), kind: .mlp(hidden: 64),
                         settings: Probe.Settings(epochs: 20))
  let path = makeTemporaryFolder() + "/probe.safetensors"
  try fitted.save(to: path, metadata: ["latent": "pre-quantization"])
  let (loaded, metadata) = try ProbeModel.load(from: path)
  #expect(metadata["latent"] == "pre-quantization" && metadata["format"] == "lam-probe")
  let predicted = fitted.predict(data.x)
  #expect(loaded.predict(data.x) == predicted)
  #expect(zip(predicted[400...], data.y[400...]).filter { $0 == $1 }.count > 180)
}

@Test func aProbeFileOfAnotherKindOrWithBadStatisticsIsRefused() throws {
  let data = features(100, informative: true)
  let fitted = Probe.fit(features: data.x, dim: 5, labels: data.y, classes: 5, train: Array(0..<100), kind: .linear,
                         settings: Probe.Settings(epochs: 1))
  let folder = makeTemporaryFolder()
  try Safetensors.write([StoredTensor(name: "x", shape: [1], floats: [0])], metadata: [:], to: folder + "/other.safetensors")
  #expect(throws: LamError("\(folder)/other.safetensors: metadata 'format': expected a lam probe file (format lam-probe, version 1)")) {
    _ = try ProbeModel.load(from: folder + "/other.safetensors")
  }
  try fitted.save(to: folder + "/probe.safetensors", metadata: [:])
  var file = try Safetensors.read(from: folder + "/probe.safetensors")
  file.tensors["std"] = StoredTensor(name: "std", shape: [5], doubles: [1, 1, 0, 1, 1])
  try Safetensors.write(Array(file.tensors.values), metadata: file.metadata, to: folder + "/zero.safetensors")
  #expect(throws: LamError("\(folder)/zero.safetensors: tensor 'std': expected values > 0")) {
    _ = try ProbeModel.load(from: folder + "/zero.safetensors")
  }
}

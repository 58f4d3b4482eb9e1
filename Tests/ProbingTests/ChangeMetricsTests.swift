import Core
import Foundation
import GridWorld
import LAM
import NN
import Probing
import Testing
import Training

private let presetFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("environments").path

/// The paper's region losses, computed the way they were defined before ground truth: over every test
/// transition, the FDM's squared error on the agent's region (or every cell outside it) over the region's
/// per-pixel variance of o'. Nil for an empty or constant region.
private func regionLosses(_ model: LatentActionModel, _ data: Dataset, transitions: [Int]) -> (Double?, Double?) {
  let g = data.config.grid, region = data.config.agentRegion
  let n = data.frameSize
  var error = [Double](repeating: 0, count: n), sum = error, squares = error
  _ = Encoding.encode(model, dataset: data, transitions: transitions, quantized: false) { _, _, next, prediction in
    for i in 0..<next.shape[0] {
      for p in 0..<n {
        let v = Double(next.data[i * n + p]), e = Double(prediction.data[i * n + p]) - v
        error[p] += e * e
        sum[p] += v
        squares[p] += v * v
      }
    }
  }
  let t = Double(transitions.count)
  func ratio(_ inRegion: Bool) -> Double? {
    let pixels = (0..<n).filter { p in
      let y = (p / g.pixelWidth) % g.pixelHeight, x = p % g.pixelWidth
      return region.contains(Cell(row: y / g.cellSize, col: x / g.cellSize)) == inRegion
    }
    guard !pixels.isEmpty else { return nil }
    let mse = pixels.reduce(0) { $0 + error[$1] } / (t * Double(pixels.count))
    let variance = pixels.reduce(0) { $0 + max(squares[$1] / t - (sum[$1] / t) * (sum[$1] / t), 0) } / Double(pixels.count)
    return variance > 1e-9 ? mse / variance : nil
  }
  return (ratio(true), ratio(false))
}

@Test(arguments: ["paper-4x4-clean", "paper-4x4-agent", "paper-4x4-agent-strong", "paper-4x4-noise-low",
                  "paper-4x4-noise-high", "paper-4x4-correlated"])
func groundTruthLossesEqualThePapersRegionLossesOnTheFourByFourPresets(_ name: String) throws {
  let config = try Presets.resolve(name, in: [presetFolder]).config
  let data = try Dataset.generate(config: config, episodes: 400, steps: 32, seed: 3)
  var run = RunConfig()
  run.train.valFraction = 0.1
  let split = try EpisodeSplit.make(episodes: data.episodes, valFraction: 0.1, labelFraction: 0, seed: 0)
  let trainer = try Trainer(config: run, data: data, split: split)
  for _ in 0..<50 { trainer.trainStep() }
  // 512 training rows: the test rows start on a batch boundary, so both see the same predictions.
  let results = try ProbeAnalysis.run(model: trainer.model, dataset: data, split: split, quantized: false, maxTrain: 512,
                                      settings: Probe.Settings(epochs: 1)).results
  let (controllable, stochastic) = regionLosses(trainer.model, data, transitions: data.transitions(of: split.validation))
  let paper = results.paper
  #expect(controllable != nil && paper.controllableLoss != nil)
  if let c = controllable, let p = paper.controllableLoss { #expect(abs(p - c) <= 1e-12 * c) }
  #expect((stochastic == nil) == (paper.stochasticLoss == nil))
  if let s = stochastic, let p = paper.stochasticLoss { #expect(abs(p - s) <= 1e-12 * s) }
  #expect(name != "paper-4x4-clean" || paper.stochasticLoss == nil)
  // A latent from another transition predicts the agent's move far worse.
  #expect(paper.controllableLossShuffled.map { $0 > paper.controllableLoss! } == true)
}

@Test func groundTruthLossesAreFiniteInTheRichPresets() throws {
  for name in ["distractors-8x8", "camera-shake-8x8"] {
    let config = try Presets.resolve(name, in: [presetFolder]).config
    let data = try Dataset.generate(config: config, episodes: 40, steps: 8, seed: 1)
    var run = RunConfig()
    run.model.architecture = .conv
    let split = try EpisodeSplit.make(episodes: data.episodes, valFraction: 0.25, labelFraction: 0, seed: 0)
    let trainer = try Trainer(config: run, data: data, split: split)
    let paper = try ProbeAnalysis.run(model: trainer.model, dataset: data, split: split, quantized: false,
                                      settings: Probe.Settings(epochs: 1)).results.paper
    // The camera-shake preset's two landmarks never move: only the shake changes their pixels, so they have no loss.
    let moving = name == "distractors-8x8"
    let values = [paper.controllableLoss, paper.stochasticLoss, paper.controllableLossShuffled, paper.stochasticLossShuffled]
      + (moving ? paper.distractorLosses : [])
    #expect(values.allSatisfy { $0.map { $0.isFinite && $0 > 0 } == true }, "\(name): \(values)")
    #expect(paper.distractorLosses.count == config.distractorCount)
    #expect(moving || paper.distractorLosses.allSatisfy { $0 == nil })
  }
}

/// A small shaking world: 4 x 4 cells of 2 px, one still landmark, shake of up to 1 px on half the frames.
private func shakeDataset() throws -> Dataset {
  var config = EnvironmentConfig()
  config.grid = GridConfig(width: 4, height: 4, cellSize: 2, channels: 1, background: Color(gray: 0))
  config.distractors = [DistractorGroup(name: "post", policy: .constant(direction: .stay, edge: .wrap))]
  config.shake = Shake(maxPixels: 1, probability: 0.5)
  return try Dataset.generate(config: config, episodes: 60, steps: 20, seed: 2)
}

@Test func shakeProbesAndNMITellALatentThatCopiesTheShakeFromNoise() throws {
  let data = try shakeDataset()
  var rng = RNG(seed: 4)
  let all = Array(0..<data.transitionCount)
  let copy = all.flatMap { t -> [Float] in
    let s = data.transition(t).shakeAfter
    return [Float(s.dx) + 0.1 * rng.normal(), Float(s.dy) + 0.1 * rng.normal()]
  }
  let noise = all.flatMap { _ in [rng.normal(), rng.normal()] }
  let train = Array(0..<900), test = Array(900..<all.count)
  let settings = Probe.Settings(epochs: 20)
  let none = PaperMetrics(distractorLosses: [nil], distractorLossesShuffled: [nil])
  let copied = try ProbeAnalysis.analyse(Encoding(dz: 2, latents: copy), dataset: data, transitions: all, train: train,
                                         test: test, quantized: false, paper: none, settings: settings).results
  let random = try ProbeAnalysis.analyse(Encoding(dz: 2, latents: noise), dataset: data, transitions: all, train: train,
                                         test: test, quantized: false, paper: none, settings: settings).results
  for (a, b) in [(copied.shakeDx!, random.shakeDx!), (copied.shakeDy!, random.shakeDy!)] {
    #expect(a.mlp.nmi > 0.8 && a.mlp.balancedAccuracy > 0.95)
    #expect(b.mlp.nmi < 0.05 && b.mlp.balancedAccuracy < b.balancedChance + 0.1)
    // Plain accuracy alone flatters noise: the majority offset (0) is half the frames and more.
    #expect(b.chance > 0.5 && b.mlp.testAccuracy > b.chance - 0.05)
  }
  #expect(copied.verdict.hasPrefix("the latent tracks the camera shake"), "\(copied.verdict)")
  #expect(random.verdict.hasPrefix("the latent holds little of the agent's action"), "\(random.verdict)")
  #expect(copied.distractorNames == ["post"])
}

@Test func balancedAccuracyAveragesRecallOverThePresentClassesAndNMIIsZeroForAConstantAnswer() {
  // Class 0: 8 rows, all right; class 1: 2 rows, 1 right; class 2 absent.
  #expect(ProbeAnalysis.balancedAccuracy([[8, 0, 0], [1, 1, 0], [0, 0, 0]]) == 0.75)
  #expect(ProbeAnalysis.nmi([[8, 0], [2, 0]]) == 0)
  #expect(abs(ProbeAnalysis.nmi([[5, 0], [0, 5]]) - 1) < 1e-12)
}

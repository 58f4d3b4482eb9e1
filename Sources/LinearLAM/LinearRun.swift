import Core
import Foundation
import NN

/// One trained linear LAM and what its latent holds, next to the closed-form PCA latent.
public struct LinearResult: Codable, Equatable, Sendable {
  public var config: LinearConfig
  /// Probes of the trained model's latent (z itself or the pseudo latent, as `config.probe` says).
  public var trained: LinearMetrics
  /// Probes of the ideal latent: the change projected on the top-d_z eigenvectors of its covariance
  /// (no training), and the reconstruction MSE of the ideal model that decodes it, on the same data.
  public var pca: LinearMetrics
  /// Principal angles in degrees (ascending) between span(B) and the nearest top-d_z principal subspace.
  public var anglesDegrees: [Double]
  /// Eigenvalues of the change covariance, largest first.
  public var eigenvalues: [Double]
  /// Mean training loss per logging window.
  public var loss: [LossPoint]

  public var largestAngleDegrees: Double { anglesDegrees.last ?? 0 }
}

/// Trains one linear LAM as `config` says and measures it; `lossEvery` sets the loss curve's window.
/// Same config (seed included) => identical result, whatever else runs in the process.
public func runLinearLAM(_ config: LinearConfig, lossEvery: Int = 100) throws -> LinearResult {
  try config.validate()
  // The lab's results must not depend on how runs are spread over threads, and LAPACK's eigenvectors
  // for tied eigenvalues change with BLAS's thread count: the lab always runs BLAS on one thread
  // (and parallelizes over runs instead). Setting it once and never restoring keeps concurrent runs
  // from switching it under each other.
  BLASThreads.set(1)
  // Independent streams, so e.g. changing d_z keeps the same world and the same training data.
  var root = RNG(seed: config.seed)
  var worldRNG = root.split()
  var dataRNG = root.split()
  var initRNG = root.split()
  var trainRNG = root.split()
  var probeRNG = root.split()

  let world = LinearWorld(config, rng: &worldRNG)
  // Cleaning: the cut and the noise variance that remains below it (estimated from pilot draws).
  let cut = world.cleaningCut(dropping: config.cleanFraction, rng: &dataRNG)
  let model = LinearLAMModel(
    observationDim: config.observationDim, latentDim: config.latentDim,
    learnA: config.learnA, tieD: config.tieD, rng: &initRNG)
  let head = config.labelFraction > 0 ? Linear(config.latentDim, config.actionDim, rng: &initRNG) : nil
  let loss = try trainLinearLAM(
    model: model, head: head, world: world, cleaningThreshold: config.cleanFraction > 0 ? cut.threshold : nil,
    config: config, dataRNG: &dataRNG, rng: &trainRNG, lossEvery: lossEvery)

  // Probes see fresh, uncleaned transitions: the distribution the latent is meant for. They are
  // fitted on the training policy's actions; the evaluation sample may draw them at random instead,
  // and both may leave the noise out (the paper's two evaluations).
  let probeTrain = world.sample(config.probeTrainSize, rng: &probeRNG)
  let evalWorld = config.evalRandomActions ? world.withRandomActions() : world
  let probeEval = evalWorld.sample(config.probeEvalSize, rng: &probeRNG)
  if config.evalNoiseFree {
    world.removeNoise(from: probeTrain)
    world.removeNoise(from: probeEval)
  }
  let measuresNoise = config.setting != .none && !config.evalNoiseFree

  func latent(_ data: Transitions) -> Tensor {
    switch config.probe {
    case .z: return model.encode(data.observation, data.next).clone()
    case .pseudo: return model.pseudoLatent(data.observation, data.next)
    }
  }
  let zTrain = latent(probeTrain)  // [M, d_z]
  let zEval = latent(probeEval)  // [M', d_z]
  let prediction = model.forward(probeEval.observation, probeEval.next)  // [M', d_o]
  var squared = 0.0
  for i in 0..<prediction.count {
    let diff = Double(prediction.data[i] - probeEval.next.data[i])
    squared += diff * diff
  }
  let trained = probeMetrics(
    latentTrain: zTrain, latentEval: zEval, train: probeTrain, eval: probeEval,
    measuresNoise: measuresNoise, reconstructionMSE: squared / Double(prediction.count))

  // The covariance the latent compresses; cleaning shrinks the noise variance the model saw.
  let eigen = try SymmetricEigen(symmetric: world.changeCovariance(noiseVariance: cut.keptVariance), n: config.observationDim)
  let (dO, dZ) = (config.observationDim, config.latentDim)
  let top = Tensor(shape: [dO, dZ], values: eigen.top(dZ).map(Float.init))  // [d_o, d_z]
  // The PCA latent z = U^T y; its ideal model reconstructs y by U z, leaving ||y||^2 - ||z||^2.
  func pcaLatent(_ data: Transitions) -> (z: Tensor, residual: Double) {
    let y = world.pcaTarget(data)  // [M, d_o]
    let z = Tensor([data.count, dZ])  // [M, d_z] = y U
    gemm(m: data.count, n: dZ, k: dO, a: y.data, b: top.data, c: z.data)
    var residual = 0.0
    for i in 0..<y.count { residual += Double(y.data[i]) * Double(y.data[i]) }
    for i in 0..<z.count { residual -= Double(z.data[i]) * Double(z.data[i]) }
    return (z, residual)
  }
  let pcaEval = pcaLatent(probeEval)
  let pca = probeMetrics(
    latentTrain: pcaLatent(probeTrain).z, latentEval: pcaEval.z, train: probeTrain, eval: probeEval,
    measuresNoise: measuresNoise, reconstructionMSE: max(0, pcaEval.residual) / Double(probeEval.count * dO))

  let b = model.b.value.array.map(Double.init)  // [d_o, d_z]
  let angles = anglesToPrincipalSubspace(b, latentDim: dZ, eigen: eigen).map { $0 * 180 / Double.pi }
  return LinearResult(
    config: config, trained: trained, pca: pca, anglesDegrees: angles,
    eigenvalues: eigen.values, loss: loss)
}

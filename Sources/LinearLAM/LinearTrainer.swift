import Core
import Foundation
import NN

/// The mean training loss over a window of steps ending at `step`.
public struct LossPoint: Codable, Equatable, Sendable {
  public var step: Int
  public var loss: Double
}

/// Trains `model` (and the action head, if any) with Adam on fresh transitions from `world` every
/// step (only those with ||eps||^2 <= `cleaningThreshold`, when cleaning):
///
///     loss = MSE(o_hat', o') + labelWeight * MSE(head(z), a) over the batch's labeled rows,
///
/// each transition labeled with probability `config.labelFraction`, and the learning rate following
/// a cosine from `config.learningRate` down to 0 over `config.steps`. `dataRNG` draws the
/// transitions, `rng` the augmentation and the labels. Returns the mean loss of every window of
/// `lossEvery` steps.
func trainLinearLAM(
  model: LinearLAMModel, head: Linear?, world: LinearWorld, cleaningThreshold: Float?,
  config: LinearConfig, dataRNG: inout RNG, rng: inout RNG, lossEvery: Int
) throws -> [LossPoint] {
  let (n, dO, dA, dZ) = (config.batchSize, config.observationDim, config.actionDim, config.latentDim)
  let adam = Adam(model.parameters + (head?.parameters ?? []), learningRate: Float(config.learningRate))
  let reconstruction = MSELoss()
  let headLoss = MSELoss()
  let batch = Transitions(count: n, config)
  let scratch = Transitions(count: cleaningThreshold == nil ? 0 : n, config)  // candidates before cleaning
  let (o, next) = (batch.observation, batch.next)  // [N, d_o] each
  let k1 = Tensor([n, dO])  // [N, d_o] augmentation draws
  let k2 = Tensor([n, dO])  // [N, d_o]
  let dLatent = Tensor([n, dZ])  // [N, d_z] the head's gradient on z
  let labeledZ = Tensor([0])  // [L, d_z]
  let labeledA = Tensor([0])  // [L, d_a]
  var curve: [LossPoint] = []
  var windowSum = 0.0, windowCount = 0
  let kappa = Float(config.kappa)
  let labelWeight = Float(config.labelWeight)

  for step in 1...config.steps {
    if let cleaningThreshold {
      world.fillCleaned(batch, threshold: cleaningThreshold, scratch: scratch, rng: &dataRNG)
    } else {
      world.fill(batch, rng: &dataRNG)
    }
    if kappa > 0 {
      fillNormal(k1.data, count: k1.count, scale: kappa, rng: &rng)
      fillNormal(k2.data, count: k2.count, scale: kappa, rng: &rng)
    }
    let prediction = model.forward(o, next, k1: kappa > 0 ? k1 : nil, k2: kappa > 0 ? k2 : nil)
    var loss = Double(reconstruction.forward(prediction, next))
    let dPrediction = reconstruction.backward()

    var headGradient: Tensor? = nil
    if let head {
      let labeled = (0..<n).filter { _ in rng.bernoulli(config.labelFraction) }  // batch rows with labels
      if !labeled.isEmpty {
        labeledZ.resize([labeled.count, dZ])
        labeledA.resize([labeled.count, dA])
        for (l, r) in labeled.enumerated() {
          (labeledZ.data + l * dZ).update(from: model.z.data + r * dZ, count: dZ)
          (labeledA.data + l * dA).update(from: batch.action.data + r * dA, count: dA)
        }
        loss += Double(labelWeight * headLoss.forward(head.forward(labeledZ), labeledA))
        let dHead = headLoss.backward()
        for i in 0..<dHead.count { dHead.data[i] *= labelWeight }  // d(w * MSE) = w * dMSE
        let dLabeledZ = head.backward(dHead)  // [L, d_z]
        dLatent.zero()
        for (l, r) in labeled.enumerated() {
          (dLatent.data + r * dZ).update(from: dLabeledZ.data + l * dZ, count: dZ)
        }
        headGradient = dLatent
      }
    }
    guard loss.isFinite else {
      throw LamError("training diverged at step \(step) (loss \(loss)); lower --lr (now \(config.learningRate))")
    }
    model.backward(dPrediction, dLatent: headGradient)

    adam.learningRate = Float(config.learningRate * 0.5 * (1 + cos(Double.pi * Double(step - 1) / Double(config.steps))))
    adam.update()
    adam.zeroGrad()

    windowSum += loss
    windowCount += 1
    if lossEvery > 0 && (step % lossEvery == 0 || step == config.steps) {
      curve.append(LossPoint(step: step, loss: windowSum / Double(windowCount)))
      windowSum = 0
      windowCount = 0
    }
  }
  return curve
}

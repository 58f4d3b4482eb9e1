import Core
import NN

/// Compares a layer's backward with central differences of L = sum(output * R), R fixed random normals.
///
/// Every element of the input and of every parameter is moved by +-`step`; L is accumulated in Double
/// and divided by the step actually taken after rounding to Float. Each returned number is the largest
/// |analytic - numeric| / max(|analytic|, |numeric|, floor) over one tensor, where floor is `floorFraction`
/// of that tensor's largest numeric gradient, so elements near zero are judged at the tensor's scale
/// rather than at Float rounding noise. The layer is left with the analytic gradients in its parameters.
/// Keep inputs away from kinks (ReLU at 0, max ties), where central differences are not the derivative.
func checkGradients(
  _ layer: Layer, input: Tensor, step: Double = 1e-2, floorFraction: Double = 0.1, seed: UInt64 = 99
) -> (input: Double, parameters: [String: Double]) {
  var rng = RNG(seed: seed)
  let outputShape = layer.forward(input).shape
  let weights = Tensor(outputShape)  // R, also the dOutput of the analytic backward
  for i in 0..<weights.count { weights[i] = rng.normal() }

  func loss() -> Double {
    let y = layer.forward(input)
    var sum = 0.0
    for i in 0..<y.count { sum += Double(y[i]) * Double(weights[i]) }
    return sum
  }

  func numericGradient(of t: Tensor) -> [Double] {
    (0..<t.count).map { i in
      let saved = t[i]
      let up = Float(Double(saved) + step), down = Float(Double(saved) - step)
      t[i] = up
      let lossUp = loss()
      t[i] = down
      let lossDown = loss()
      t[i] = saved
      return (lossUp - lossDown) / (Double(up) - Double(down))
    }
  }

  func worstError(_ analytic: [Float], _ numeric: [Double]) -> Double {
    let floor = floorFraction * (numeric.map(abs).max() ?? 0)
    var worst = 0.0
    for (a, n) in zip(analytic.map(Double.init), numeric) {
      let scale = max(abs(a), abs(n), floor)
      if scale > 0 { worst = max(worst, abs(a - n) / scale) }
    }
    return worst
  }

  _ = layer.forward(input)
  layer.zeroGrad()
  let dInput = layer.backward(weights).array
  let parameterGrads = layer.parameters.map { ($0.name, $0.grad.array) }

  let inputError = worstError(dInput, numericGradient(of: input))
  var parameterErrors: [String: Double] = [:]
  for (p, (name, grad)) in zip(layer.parameters, parameterGrads) {
    // Containers repeat local names ("weight" in every child): number the repeats.
    var key = name
    var copy = 2
    while parameterErrors[key] != nil {
      key = "\(name)#\(copy)"
      copy += 1
    }
    parameterErrors[key] = worstError(grad, numericGradient(of: p.value))
  }
  _ = layer.forward(input)
  return (inputError, parameterErrors)
}

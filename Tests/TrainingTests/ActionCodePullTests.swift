import LAM
import NN
import Testing
import TestSupport
import Training

// Two codes one unit apart (spread 1) or three codes, and three rows of which the second is unlabelled.
private let codebook2 = Tensor(shape: [2, 2], values: [0, 0, 1, 0])

@Test func theActionCodePullIsTheMeanSquaredDistanceToTheActionsCodeInUnitsOfTheCodesSpread() {
  let zE = Tensor(shape: [3, 2], values: [0.5, 0.5, 9, 9, 1, 2])
  let gradient = Tensor([0])
  let loss = actionCodePull(zE, codebook: codebook2, labels: [0, 0, 1], mask: [true, false, true], weight: 0.5,
                            gradient: gradient)
  // Row 0 to code 0: 0.25 + 0.25; row 2 to code 1: 0 + 4. Mean over 2 labelled rows = 2.25, spread 1, x 0.5.
  #expect(isClose(loss, 1.125, relative: 1e-6))
  // d/dz = weight * 2 (z - e) / (labelled * spread); the unlabelled row gets nothing.
  #expect(gradient.array == [0.25, 0.25, 0, 0, 0, 1])
}

@Test func shrinkingTheLatentsAndTheCodebookTogetherCannotLowerTheActionCodePull() {
  let zE = Tensor(shape: [2, 2], values: [0.3, -0.2, 0.9, 0.4])
  let codebook = Tensor(shape: [3, 2], values: [0, 0, 1, 0, 0, 1])
  let gradient = Tensor([0])
  let full = actionCodePull(zE, codebook: codebook, labels: [2, 1], mask: [true, true], weight: 1, gradient: gradient)
  let small = actionCodePull(Tensor(shape: [2, 2], values: zE.array.map { $0 * 0.01 }),
                             codebook: Tensor(shape: [3, 2], values: codebook.array.map { $0 * 0.01 }),
                             labels: [2, 1], mask: [true, true], weight: 1, gradient: gradient)
  #expect(full > 0.1)
  #expect(isClose(small, full, relative: 1e-4))
}

@Test func theActionCodePullGradientMatchesFiniteDifferences() {
  let values: [Float] = [0.3, -0.2, 0.9, 0.4, -0.7, 0.1]
  let codebook = Tensor(shape: [3, 2], values: [0, 0, 1, 0.5, -0.5, 1])
  let labels = [2, 1, 0], mask = [true, false, true]
  let gradient = Tensor([0])
  _ = actionCodePull(Tensor(shape: [3, 2], values: values), codebook: codebook, labels: labels, mask: mask,
                     weight: 0.7, gradient: gradient)
  let analytic = gradient.array
  let h: Float = 1e-2
  for i in 0..<values.count {
    var plus = values, minus = values
    plus[i] += h
    minus[i] -= h
    let scratch = Tensor([0])
    let lossPlus = actionCodePull(Tensor(shape: [3, 2], values: plus), codebook: codebook, labels: labels,
                                  mask: mask, weight: 0.7, gradient: scratch)
    let lossMinus = actionCodePull(Tensor(shape: [3, 2], values: minus), codebook: codebook, labels: labels,
                                   mask: mask, weight: 0.7, gradient: scratch)
    // The loss is quadratic in z_e, so the central difference is exact up to rounding.
    #expect(isClose((lossPlus - lossMinus) / (2 * h), analytic[i], relative: 1e-3, absolute: 1e-4))
  }
}

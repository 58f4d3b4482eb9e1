import Core
import Foundation
import NN
import Testing
import TestSupport

/// Runs three updates of `optimizer`'s rule on w = [1, -0.5] with fixed gradients and returns w after each.
private func threeSteps(_ make: ([Parameter]) -> (update: () -> Void, zero: () -> Void)) -> [[Float]] {
  let p = Parameter("w", [2])
  p.value.data[0] = 1
  p.value.data[1] = -0.5
  let opt = make([p])
  let grads: [[Float]] = [[0.5, -2.0], [-0.3, 1.0], [0.1, 0.25]]
  var trace: [[Float]] = []
  for g in grads {
    opt.zero()
    p.grad.data[0] = g[0]
    p.grad.data[1] = g[1]
    opt.update()
    trace.append(p.value.array)
  }
  return trace
}

/// Compares a trace against reference values computed independently in double precision.
private func expectTrace(_ trace: [[Float]], _ expected: [[Double]]) {
  for (got, want) in zip(trace, expected) {
    for (g, w) in zip(got, want) {
      #expect(isClose(Double(g), w, relative: 2e-6, absolute: 1e-7), "got \(g), want \(w)")
    }
  }
}

@Test func adamMatchesPyTorchsRuleForThreeSteps() {
  let trace = threeSteps { ps in
    let adam = Adam(ps, learningRate: 0.1)
    return (adam.update, adam.zeroGrad)
  }
  // Step 1 of Adam moves every weight by lr * sign(g) (up to eps): 1 -> 0.9, -0.5 -> -0.4.
  expectTrace(trace, [
    [0.900000002, -0.4000000005],
    [0.8808501989417752, -0.37336629670243154],
    [0.8554536806163684, -0.3600103185260465],
  ])
}

@Test func adamWithWeightDecayAddsL2ToTheGradient() {
  let trace = threeSteps { ps in
    let adam = Adam(ps, learningRate: 0.1, weightDecay: 0.1)
    return (adam.update, adam.zeroGrad)
  }
  expectTrace(trace, [
    [0.9000000016666666, -0.4000000004878049],
    [0.8613529972101512, -0.37089514609880114],
    [0.8147177290693192, -0.3544834973160604],
  ])
}

@Test func adamWDecaysTheWeightsBeforeTheAdamStep() {
  let trace = threeSteps { ps in
    let adam = Adam.adamW(ps, learningRate: 0.1, weightDecay: 0.1)
    return (adam.update, adam.zeroGrad)
  }
  expectTrace(trace, [
    [0.890000002, -0.3950000005],
    [0.8619501989217752, -0.36441629669743153],
    [0.8279341786071506, -0.3474161555540721],
  ])
}

@Test func clipGradNormScalesToTheLimitAndReportsTheOriginalNorm() {
  let a = Parameter("a", [2]), b = Parameter("b", [1])
  a.grad.data[0] = 3
  a.grad.data[1] = 0
  b.grad.data[0] = 4  // global norm 5
  let norm = clipGradNorm([a, b], maxNorm: 1)
  #expect(norm == 5)
  #expect(isClose(a.grad[0], 3 / (5 + 1e-6), relative: 1e-6))
  #expect(isClose(b.grad[0], 4 / (5 + 1e-6), relative: 1e-6))
  #expect(isClose(gradNorm([a, b]), 1, relative: 1e-5))
}

@Test func clipGradNormLeavesSmallGradientsAlone() {
  let a = Parameter("a", [2])
  a.grad.data[0] = 0.3
  a.grad.data[1] = 0.4
  clipGradNorm([a], maxNorm: 1)
  #expect(a.grad.array == [0.3, 0.4])
}

@Test func adamOnATensorLongerThanOneVectorMatchesTheScalarRuleExactly() {
  // 19 values: two 8-lane blocks and a scalar tail; the reference is the documented rule, one value at a time.
  let count = 19
  var rng = RNG(seed: 3)
  for decoupled in [false, true] {
    let p = Parameter("w", [count])
    for j in 0..<count { p.value[j] = rng.uniform(-1, 1) }
    var w = p.value.array, m = [Float](repeating: 0, count: count), v = m
    let adam = Adam([p], learningRate: 0.01, weightDecay: 0.05, decoupled: decoupled)
    for step in 1...3 {
      let g = (0..<count).map { _ in rng.uniform(-2, 2) }
      for j in 0..<count { p.grad[j] = g[j] }
      adam.update()
      // The bias corrections in Double from the Float hyperparameters, as `Adam.update` documents.
      let (lr, b1, b2): (Float, Float, Float) = (0.01, 0.9, 0.999)
      let stepSize = Float(Double(lr) / (1 - pow(Double(b1), Double(step))))
      let correction2Sqrt = Float((1 - pow(Double(b2), Double(step))).squareRoot())
      for j in 0..<count {
        if decoupled { w[j] *= 1 - lr * 0.05 }
        let grad = g[j] + (decoupled ? 0 : 0.05) * w[j]
        m[j] = b1 * m[j] + (1 - b1) * grad
        v[j] = b2 * v[j] + (1 - b2) * grad * grad
        w[j] -= stepSize * m[j] / (v[j].squareRoot() / correction2Sqrt + 1e-8)
      }
      #expect(p.value.array == w, "decoupled \(decoupled), step \(step)")
    }
  }
}

@Test func adamSplitBetweenTwoThreadsGivesTheSameNumbersAsOne() {
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  var results: [[[Float]]] = []
  for threads in [1, 2] {
    BLASThreads.set(threads)
    // Unequal sizes, so the two halves by element count split the list off its middle.
    let parameters = [Parameter("a", [3]), Parameter("b", [40]), Parameter("c", [5]), Parameter("d", [9])]
    var rng = RNG(seed: 4)
    let adam = Adam(parameters, learningRate: 0.01)
    for _ in 0..<3 {
      for p in parameters { for j in 0..<p.grad.count { p.grad[j] = rng.uniform(-1, 1) } }
      adam.update()
    }
    results.append(parameters.map(\.value.array))
  }
  #expect(results[0] == results[1])
  #expect(results[0].allSatisfy { $0.allSatisfy { $0 != 0 } })
}

@Test func adamStoresMomentsThatFallBelowTheSmallestNormalFloatAsZeroAndKeepsTheWeightsBits() {
  // A weight whose gradient is 0 from step 2 on: its moments decay by beta1 and beta2 each step. Started
  // just above the smallest normal float, they fall below it at once and are stored as 0; the weight moves
  // exactly as the unflushed rule moves it (in Double, rounded to Float).
  let p = Parameter("w", [2])
  p.value.data[0] = 0.25
  p.value.data[1] = -3
  let adam = Adam([p], learningRate: 0.01)
  adam.step = 10
  let tiny = Float.leastNormalMagnitude
  for i in 0..<2 {
    adam.m[0].data[i] = 1.05 * tiny
    adam.v[0].data[i] = 1.0005 * tiny
  }
  let before = p.value.array
  adam.update()
  #expect(adam.m[0].array == [0, 0] && adam.v[0].array == [0, 0])
  let t = 11.0, lr = 0.01
  for i in 0..<2 {
    let m = 0.9 * 1.05 * Double(tiny), v = 0.999 * 1.0005 * Double(tiny)
    let unflushed = Double(before[i]) - lr / (1 - pow(0.9, t)) * m / (v.squareRoot() / (1 - pow(0.999, t)).squareRoot() + 1e-8)
    #expect(p.value[i] == Float(unflushed) && p.value[i] == before[i])
  }
}

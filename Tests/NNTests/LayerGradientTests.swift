import Core
import Foundation
import NN
import Testing
import TestSupport

/// Values drawn uniformly from +-[0.2, 1]: away from 0, where ReLU-like kinks would break finite differences.
private func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
  var rng = RNG(seed: seed)
  let t = Tensor(shape)
  for i in 0..<t.count {
    let magnitude = rng.uniform(0.2, 1)
    t[i] = rng.bernoulli(0.5) ? magnitude : -magnitude
  }
  return t
}

private func expectExactGradients(_ layer: Layer, _ input: Tensor, _ label: String) {
  let errors = checkGradients(layer, input: input)
  #expect(errors.input <= 1e-3, "\(label): input gradient error \(errors.input)")
  for (name, error) in errors.parameters {
    #expect(error <= 1e-3, "\(label): \(name) gradient error \(error)")
  }
}

@Test func linearGradientsMatchFiniteDifferences() {
  var rng = RNG(seed: 1)
  expectExactGradients(Linear(5, 3, rng: &rng), awayFromZero([4, 5], seed: 2), "Linear")
  expectExactGradients(Linear(5, 3, bias: false, rng: &rng), awayFromZero([2, 5], seed: 3), "Linear without bias")
  // A [N, C, H, W] input is read as [N, C * H * W].
  expectExactGradients(Linear(12, 2, rng: &rng), awayFromZero([2, 3, 2, 2], seed: 4), "Linear on images")
}

@Test func activationGradientsMatchFiniteDifferences() {
  let input = awayFromZero([3, 7], seed: 5)
  expectExactGradients(ReLU(), input, "ReLU")
  expectExactGradients(LeakyReLU(slope: 0.1), input, "LeakyReLU")
  expectExactGradients(Tanh(), input, "Tanh")
  expectExactGradients(Sigmoid(), input, "Sigmoid")
}

@Test func reshapeAndBroadcastGradientsMatchFiniteDifferences() {
  expectExactGradients(Flatten([2, 3, 2]), awayFromZero([2, 2, 3, 2], seed: 6), "Flatten")
  expectExactGradients(Reshape(to: [2, 2, 3]), awayFromZero([2, 12], seed: 7), "Reshape")
  expectExactGradients(Broadcast(height: 3, width: 2), awayFromZero([2, 4], seed: 8), "Broadcast")
}

@Test func sequentialGradientsMatchFiniteDifferences() {
  var rng = RNG(seed: 9)
  let net = Sequential([
    ("conv", Conv2d(2, 3, kernel: 3, stride: 1, padding: 1, rng: &rng)), ("act", Tanh()),
    ("flatten", Flatten([3, 4, 4])), ("fc", Linear(48, 5, rng: &rng)), ("sig", Sigmoid()),
  ])
  let errors = checkGradients(net, input: awayFromZero([2, 2, 4, 4], seed: 10))
  #expect(errors.input <= 1e-3)
  #expect(errors.parameters.count == 4)
  #expect(errors.parameters.values.allSatisfy { $0 <= 1e-3 })
}

@Test func linearForwardMatchesNaiveLoops() {
  var rng = RNG(seed: 11)
  let layer = Linear(4, 3, rng: &rng)
  let x = awayFromZero([5, 4], seed: 12)
  let y = layer.forward(x).array
  let w = layer.weight.value.array, b = layer.bias!.value.array
  for n in 0..<5 {
    for o in 0..<3 {
      var sum = Double(b[o])
      for i in 0..<4 { sum += Double(w[o * 4 + i]) * Double(x[n * 4 + i]) }
      #expect(isClose(Double(y[n * 3 + o]), sum, relative: 1e-5, absolute: 1e-6))
    }
  }
}

@Test func linearInitIsUniformInPlusMinusOneOverSqrtFanIn() {
  var rng = RNG(seed: 13)
  let layer = Linear(400, 300, rng: &rng)
  let bound: Float = 1 / 20
  let w = layer.weight.value.array
  #expect(w.allSatisfy { abs($0) <= bound })
  let variance = w.reduce(0.0) { $0 + Double($1 * $1) } / Double(w.count)
  #expect(isClose(variance, Double(bound * bound) / 3, relative: 0.02))
  #expect(layer.bias!.value.array.allSatisfy { abs($0) <= bound })
}

@Test func concatJoinsChannelsAndRoutesEachGradientBackToItsInput() {
  let a = Tensor(shape: [2, 1, 1, 2], values: [1, 2, 3, 4])
  let b = Tensor(shape: [2, 2, 1, 2], values: [5, 6, 7, 8, 9, 10, 11, 12])
  let concat = Concat()
  let joined = concat.forward(a, b)
  #expect(joined.shape == [2, 3, 1, 2])
  #expect(joined.array == [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12])
  // The gradient of the join, split back: each input gets its own channels.
  let (da, db) = concat.backward(joined)
  #expect(da.array == a.array && db.array == b.array)
}

@Test("large joins, reshapes, broadcasts and gradient zeroing are shared between threads and move every value",
      arguments: [1, 2, 3])
func copiesSharedBetweenThreadsMoveEveryValue(threads: Int) {
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  BLASThreads.set(threads)
  // 7 rows of 5 x 32 x 32: 35,840 floats, above the split threshold, and rows that do not divide evenly.
  let a = Tensor(shape: [7, 3, 32, 32], values: (0..<7 * 3072).map { Float($0) })
  let b = Tensor(shape: [7, 2, 32, 32], values: (0..<7 * 2048).map { -Float($0) })
  let concat = Concat()
  let joined = concat.forward(a, b)
  let (av, bv) = (a.array, b.array)
  var expected: [Float] = []
  for n in 0..<7 {
    expected += av[n * 3072..<(n + 1) * 3072]
    expected += bv[n * 2048..<(n + 1) * 2048]
  }
  #expect(joined.array == expected)
  let (da, db) = concat.backward(joined)
  #expect(da.array == a.array && db.array == b.array)

  let flatten = Flatten([3, 32, 32])
  let flat = flatten.forward(a)
  #expect(flat.shape == [7, 3072] && flat.array == a.array)
  let back = flatten.backward(flat)
  #expect(back.shape == a.shape && back.array == a.array)

  // A [7, 20] vector over 16 x 16 positions: 35,840 floats; each plane sums back to 256 times its value.
  let vector = Tensor(shape: [7, 20], values: (0..<140).map { Float($0 % 9) - 4 })
  let broadcast = Broadcast(height: 16, width: 16)
  let spread = broadcast.forward(vector)
  #expect(spread.array == vector.array.flatMap { [Float](repeating: $0, count: 256) })
  #expect(broadcast.backward(spread).array == vector.array.map { $0 * 256 })

  let big = Parameter("big", [20001]), small = Parameter("small", [3])
  big.grad.fill(1)
  small.grad.fill(2)
  let adam = Adam([big, small])
  adam.zeroGrad()
  #expect(big.grad.array.allSatisfy { $0 == 0 } && small.grad.array.allSatisfy { $0 == 0 })
}

@Test func mseGradientMatchesFiniteDifferences() {
  let p = awayFromZero([3, 4], seed: 14), t = awayFromZero([3, 4], seed: 15)
  let mse = MSELoss()
  _ = mse.forward(p, t)
  let analytic = mse.backward().array
  var numeric: [Double] = []
  for i in 0..<p.count {
    let saved = p[i]
    p[i] = saved + 1e-2
    let up = Double(mse.forward(p, t))
    p[i] = saved - 1e-2
    let down = Double(mse.forward(p, t))
    p[i] = saved
    numeric.append((up - down) / 2e-2)
  }
  #expect(maxRelativeError(analytic.map(Double.init), numeric, floor: 1e-2) < 1e-3)
}

@Test func crossEntropyGradientMatchesFiniteDifferences() {
  let logits = awayFromZero([4, 5], seed: 16)
  let targets = [0, 3, 4, 1], mask = [true, false, true, true]
  let ce = CrossEntropyLoss()
  _ = ce.forward(logits, targets: targets, mask: mask)
  let analytic = ce.backward().array
  var numeric: [Double] = []
  for i in 0..<logits.count {
    let saved = logits[i]
    logits[i] = saved + 1e-2
    let up = Double(ce.forward(logits, targets: targets, mask: mask))
    logits[i] = saved - 1e-2
    let down = Double(ce.forward(logits, targets: targets, mask: mask))
    logits[i] = saved
    numeric.append((up - down) / 2e-2)
  }
  #expect(maxRelativeError(analytic.map(Double.init), numeric, floor: 1e-2) < 1e-3)
}

@Test func smallConvNetOverfitsOneBatch() {
  var rng = RNG(seed: 17)
  let net = Sequential([
    ("conv1", Conv2d(3, 8, kernel: 4, stride: 2, padding: 1, rng: &rng)), ("relu1", ReLU()),
    ("conv2", Conv2d(8, 16, kernel: 4, stride: 2, padding: 1, rng: &rng)), ("relu2", ReLU()),
    ("deconv1", ConvTranspose2d(16, 8, kernel: 4, stride: 2, padding: 1, rng: &rng)), ("relu3", ReLU()),
    ("deconv2", ConvTranspose2d(8, 3, kernel: 4, stride: 2, padding: 1, rng: &rng)),
  ])
  let x = Tensor([4, 3, 8, 8]), y = Tensor([4, 3, 8, 8])
  for i in 0..<x.count {
    x[i] = rng.uniform()
    y[i] = rng.uniform()
  }
  let adam = Adam(net.parameters, learningRate: 3e-3)
  let mse = MSELoss()
  var first: Float = 0, last: Float = 0
  for step in 0..<1500 {
    adam.zeroGrad()
    last = mse.forward(net.forward(x), y)
    if step == 0 { first = last }
    _ = net.backward(mse.backward())
    adam.update()
  }
  #expect(last < first / 100, "loss \(first) -> \(last)")
}

@Test func reluMatchesMaxOfZeroAndItsMaskOnEveryLaneAndTheTail() {
  // 19 values: two 8-lane blocks and a scalar tail, with exact zeros, negative zero and NaN.
  var values: [Float] = [0, -0.0, .nan, 1.5, -2, 3, -4, 0.25, -0.5, 6, 0, -7, 8, -9, 10, -11, 12, .nan, -13]
  let x = Tensor(shape: [1, 19], values: values)
  let relu = ReLU()
  let y = relu.forward(x).array
  for i in 0..<19 {
    let want = max(values[i], 0)
    #expect(y[i] == want || (y[i].isNaN && want.isNaN), "y[\(i)] = \(y[i]), want \(want)")
  }
  values = (0..<19).map { Float($0) + 1 }
  let dx = relu.backward(Tensor(shape: [1, 19], values: values)).array
  for i in 0..<19 { #expect(dx[i] == (y[i] > 0 ? values[i] : 0), "dx[\(i)]") }
}

@Test func linearWithoutInputGradientAccumulatesTheSameParameterGradients() {
  var rng = RNG(seed: 11)
  let full = Linear(5, 3, rng: &rng)
  rng = RNG(seed: 11)
  let first = Linear(5, 3, rng: &rng)
  first.inputNeedsGradient = false
  let x = awayFromZero([4, 5], seed: 12)
  let dy = Tensor(shape: [4, 3], values: (0..<12).map { Float($0 % 5) - 2 })
  _ = full.forward(x)
  _ = first.forward(x)
  #expect(first.backward(dy).array.allSatisfy { $0 == 0 })
  #expect(full.backward(dy).array.contains { $0 != 0 })
  #expect(first.weight.grad.array == full.weight.grad.array)
  #expect(first.bias!.grad.array == full.bias!.grad.array)
}

@Test func linearSplitBetweenTwoThreadsMatchesOneThreadAndRepeatsExactly() {
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  // 29 x 150 x 121 multiply-adds, just above `Linear.splitFrom`: 121 outputs, 64 for one shard and 57 for
  // the other; 29 rows, 14 and 15. Two backward passes check that the gradients accumulate. OpenBLAS may
  // round a product differently for a different matrix size, so the split agrees with one thread to
  // rounding, and with itself exactly.
  func run(threads: Int, bias: Bool, inputGradient: Bool) -> [[Float]] {
    BLASThreads.set(threads)
    var rng = RNG(seed: 21)
    let layer = Linear(150, 121, bias: bias, rng: &rng)
    layer.inputNeedsGradient = inputGradient
    let x = awayFromZero([29, 150], seed: 22)
    let dy = Tensor(shape: [29, 121], values: (0..<(29 * 121)).map { Float($0 % 9) * 0.25 - 1 })
    let y = layer.forward(x).array
    _ = layer.backward(dy)
    let dx = layer.backward(dy).array
    return [y, dx] + layer.parameters.map(\.grad.array)
  }
  for (bias, inputGradient) in [(true, true), (false, true), (true, false)] {
    let label = "bias \(bias), input gradient \(inputGradient)"
    let one = run(threads: 1, bias: bias, inputGradient: inputGradient)
    let two = run(threads: 2, bias: bias, inputGradient: inputGradient)
    #expect(two == run(threads: 2, bias: bias, inputGradient: inputGradient), "\(label)")
    #expect(one.count == two.count, "\(label)")
    for (a, b) in zip(one, two) {
      #expect(maxRelativeError(a, b, floor: 1) < 1e-5, "\(label)")
    }
    #expect(two[1].allSatisfy { $0 == 0 } == !inputGradient, "\(label)")
    #expect(two[2].contains { $0 != 0 }, "\(label)")
  }
}

@Test func activationsSplitBetweenTwoThreadsGiveTheSameNumbersAsOne() {
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  // Above the split threshold, with a tail that is not a whole run of 64.
  let n = 16_384 + 37
  let x = Tensor(shape: [1, n], values: (0..<n).map { Float($0 % 13) - 6 })
  let dy = Tensor(shape: [1, n], values: (0..<n).map { Float($0 % 7) * 0.5 + 0.5 })
  for make in [ReLU, { Tanh() }] {
    var results: [[[Float]]] = []
    for threads in [1, 2] {
      BLASThreads.set(threads)
      let layer = make()
      results.append([layer.forward(x).array, layer.backward(dy).array])
    }
    #expect(results[0] == results[1], "\(make().kind)")
  }
  BLASThreads.set(2)
  let relu = ReLU()
  let y = relu.forward(x).array
  let dx = relu.backward(dy).array
  for i in [0, 6, 7, 8191, 8192, n - 1] {
    #expect(y[i] == max(x[i], 0), "y[\(i)]")
    #expect(dx[i] == (x[i] > 0 ? dy[i] : 0), "dx[\(i)]")
  }
}

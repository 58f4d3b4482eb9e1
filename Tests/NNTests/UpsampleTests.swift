import Core
import NN
import Testing
import TestSupport

private func randomImages(_ shape: [Int], seed: UInt64) -> Tensor {
  var rng = RNG(seed: seed)
  let t = Tensor(shape)
  for i in 0..<t.count { t[i] = rng.uniform(-1, 1) }
  return t
}

@Test("Upsample forward equals PyTorch's nearest mode as a naive loop: y[i][j] = x[i / F][j / F]", arguments: [1, 2, 3])
func upsampleForwardMatchesNaiveLoops(factor: Int) {
  let (n, c, h, w) = (2, 3, 3, 2)
  let x = randomImages([n, c, h, w], seed: UInt64(factor))
  let y = Upsample(factor: factor).forward(x)
  #expect(y.shape == [n, c, h * factor, w * factor])
  var expected: [Float] = []
  for b in 0..<n {
    for ch in 0..<c {
      for i in 0..<(h * factor) {
        for j in 0..<(w * factor) { expected.append(x[((b * c + ch) * h + i / factor) * w + j / factor]) }
      }
    }
  }
  #expect(y.array == expected)
}

@Test("Upsample backward sums each F x F block of the output gradient onto its pixel, as a naive loop")
func upsampleBackwardMatchesNaiveLoops() {
  let x = randomImages([2, 2, 2, 3], seed: 4)
  let layer = Upsample(factor: 2)
  let y = layer.forward(x)
  let dy = Tensor(shape: y.shape, values: (0..<y.count).map { Float($0 % 5) - 2 })
  let dx = layer.backward(dy)
  #expect(dx.shape == x.shape)
  for p in 0..<4 {
    for i in 0..<2 {
      for j in 0..<3 {
        var sum: Float = 0
        for a in 0..<2 { for b in 0..<2 { sum += dy[p * 24 + (2 * i + a) * 6 + 2 * j + b] } }
        #expect(dx[p * 6 + i * 3 + j] == sum)
      }
    }
  }
}

@Test("Upsample backward equals central differences of its forward")
func upsampleGradientsMatchFiniteDifferences() {
  let errors = checkGradients(Upsample(factor: 2), input: randomImages([2, 3, 2, 3], seed: 5))
  #expect(errors.input <= 1e-3)
  #expect(errors.parameters.isEmpty)
}

@Test("Upsample reuses its buffers: a smaller input after a larger one gives what a fresh layer gives")
func upsampleReusesItsBuffersAcrossSizes() {
  let layer = Upsample(factor: 2)
  for shape in [[3, 2, 4, 4], [1, 2, 2, 3], [3, 2, 4, 4]] {
    let x = randomImages(shape, seed: UInt64(shape[0]))
    let y = layer.forward(x).array
    let fresh = Upsample(factor: 2)
    #expect(fresh.forward(x).array == y)
    let dy = Tensor(shape: [shape[0], shape[1], shape[2] * 2, shape[3] * 2], values: y.map { $0 * 3 })
    #expect(layer.backward(dy).array == fresh.backward(dy).array)
  }
}

import Core
import LAM
import NN
import Testing

@Test func eachRowSnapsToItsNearestCode() {
  var rng = RNG(seed: 0)
  let vq = VectorQuantizer(codes: 3, dim: 2, commitment: 0.25, decay: 0.99, restartThreshold: 0, rng: &rng)
  let codes: [Float] = [0, 0, 1, 0, 0, 1]
  for i in 0..<6 { vq.codebook[i] = codes[i] }
  let z = Tensor(shape: [3, 2], values: [0.9, 0.2, 0.1, 0.1, 0.2, 0.7])
  let q = vq.forward(z, training: false, rng: &rng)
  #expect(vq.indices == [1, 0, 2])
  #expect(q.array == [1, 0, 0, 0, 0, 1])
  #expect(vq.codesUsed == 3)
  #expect(abs(vq.perplexity - 3) < 1e-5)
}

@Test func straightThroughGradientAddsTheCommitmentTerm() {
  var rng = RNG(seed: 0)
  let vq = VectorQuantizer(codes: 2, dim: 1, commitment: 0.5, decay: 0.99, restartThreshold: 0, rng: &rng)
  vq.codebook[0] = 0
  vq.codebook[1] = 1
  let z = Tensor(shape: [2, 1], values: [0.2, 0.6])
  _ = vq.forward(z, training: false, rng: &rng)
  // commitment = 0.5 * mean((0.2 - 0)^2, (0.6 - 1)^2) = 0.5 * 0.1
  #expect(abs(vq.commitmentLoss - 0.05) < 1e-7)
  let d = vq.backward(Tensor(shape: [2, 1], values: [1, -1])).array
  // d = upstream + 2 * 0.5 * (z - e) / 2
  #expect(abs(d[0] - (1 + 0.1)) < 1e-6)
  #expect(abs(d[1] - (-1 - 0.2)) < 1e-6)
}

@Test func emaMovesACodeTowardsTheMeanOfItsMembers() {
  var rng = RNG(seed: 0)
  let vq = VectorQuantizer(codes: 2, dim: 1, commitment: 0.25, decay: 0.5, restartThreshold: 0, rng: &rng)
  vq.codebook[0] = -1
  vq.codebook[1] = 1
  vq.embedSum[0] = -1
  vq.embedSum[1] = 1
  let z = Tensor(shape: [4, 1], values: [2, 2, 4, 4])  // all nearest to code 1, mean 3
  for _ in 0..<30 { _ = vq.forward(z, training: true, rng: &rng) }
  #expect(abs(vq.codebook[1] - 3) < 1e-3)
}

@Test func theFDMGetsTheCodeFromBeforeTheBatchsCodebookUpdate() {
  var rng = RNG(seed: 0)
  let vq = VectorQuantizer(codes: 2, dim: 1, commitment: 0.5, decay: 0.5, restartThreshold: 0, rng: &rng)
  vq.codebook[0] = -1
  vq.codebook[1] = 1
  vq.embedSum[0] = -1
  vq.embedSum[1] = 1
  let z = Tensor(shape: [2, 1], values: [3, 3])  // both nearest to code 1, which the update moves towards 3
  let q = vq.forward(z, training: true, rng: &rng).array
  #expect(q == [1, 1])
  #expect(vq.codebook[1] > 1.5)
  // The commitment term measures z_e against the same pre-update code: 0.5 * (3 - 1)^2.
  #expect(abs(vq.commitmentLoss - 2) < 1e-6)
}

@Test func deadCodeRestartRevivesCollapsedCodes() {
  var rng = RNG(seed: 1)
  let vq = VectorQuantizer(codes: 4, dim: 2, commitment: 0.25, decay: 0.9, restartThreshold: 0.5, rng: &rng)
  // Collapse: every code identical, so the first always wins and the rest are dead.
  for k in 0..<4 {
    vq.codebook[2 * k] = 0
    vq.codebook[2 * k + 1] = 0
  }
  // Four well separated clusters of inputs.
  let centres: [(Float, Float)] = [(-5, -5), (-5, 5), (5, -5), (5, 5)]
  let z = Tensor([64, 2])
  for row in 0..<64 {
    let c = centres[row % 4]
    z[2 * row] = c.0 + 0.1 * rng.normal()
    z[2 * row + 1] = c.1 + 0.1 * rng.normal()
  }
  _ = vq.forward(z, training: false, rng: &rng)
  #expect(vq.codesUsed == 1)
  for _ in 0..<200 { _ = vq.forward(z, training: true, rng: &rng) }
  _ = vq.forward(z, training: false, rng: &rng)
  #expect(vq.restarts > 0)
  #expect(vq.codesUsed == 4)
  #expect(vq.perplexity > 2.5)  // was 1 while collapsed
}

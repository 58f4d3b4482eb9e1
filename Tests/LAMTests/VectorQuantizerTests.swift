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

@Test("warm-up: z_e passes through untouched, with no commitment, an identity gradient and no codebook update")
func theWarmUpPassesTheEncoderOutputThrough() {
  var rng = RNG(seed: 0)
  let vq = VectorQuantizer(codes: 2, dim: 1, commitment: 0.5, decay: 0.5, restartThreshold: 0.5, rng: &rng)
  vq.phase = .passThrough
  let before = vq.codebook.array + vq.clusterSize.array + vq.embedSum.array
  let z = Tensor(shape: [3, 1], values: [0.2, -0.7, 3])
  #expect(vq.forward(z, training: true, rng: &rng).array == [0.2, -0.7, 3])
  #expect(vq.commitmentLoss == 0)
  #expect(vq.backward(Tensor(shape: [3, 1], values: [1, -2, 0.5])).array == [1, -2, 0.5])
  #expect(vq.codebook.array + vq.clusterSize.array + vq.embedSum.array == before)
  // Before the seeding step has run, an evaluation passes through too (the codes do not exist yet).
  vq.phase = .seedThenQuantize
  #expect(vq.forward(z, training: false, rng: &rng).array == [0.2, -0.7, 3])
  #expect(vq.phase == .seedThenQuantize)
}

@Test("the seeding step puts one code on each of the batch's distinct points (k-means++), then quantizes")
func seedingPutsACodeOnEachDistinctPointOfTheBatch() {
  // Three points, repeated: k-means++ never picks a row at distance 0 from a code, so each gets one code.
  let points: [[Float]] = [[0, 0], [5, 1], [-3, 4]]
  let rows = (0..<12).map { points[$0 % 3] }
  for seed in 0..<5 {
    var rng = RNG(seed: UInt64(seed))
    let vq = VectorQuantizer(codes: 3, dim: 2, commitment: 0.25, decay: 0.99, restartThreshold: 0, rng: &rng)
    vq.phase = .seedThenQuantize
    let q = vq.forward(Tensor(shape: [12, 2], values: rows.flatMap { $0 }), training: true, rng: &rng)
    // The FDM gets the seeded codes (from before this batch's EMA update): every row is its own code.
    #expect(q.array == rows.flatMap { $0 }, "seed \(seed)")
    #expect(vq.phase == .quantize)
    // The EMA update then keeps each code on its point (all its members sit there), to rounding.
    let codes = (0..<3).map { Array(vq.codebook.array[(2 * $0)..<(2 * $0 + 2)]) }
    for point in points {
      #expect(codes.filter { abs($0[0] - point[0]) + abs($0[1] - point[1]) < 1e-4 }.count == 1, "\(point)")
    }
    #expect(vq.counts == [4, 4, 4])
  }
}

@Test func seedingFromFewerDistinctPointsThanCodesRepeatsThem() {
  var rng = RNG(seed: 3)
  let vq = VectorQuantizer(codes: 4, dim: 1, commitment: 0.25, decay: 0.99, restartThreshold: 0, rng: &rng)
  vq.seed(from: Tensor(shape: [4, 1], values: [2, 2, -1, -1]), rng: &rng)
  #expect(Set(vq.codebook.array) == [2, -1])
  #expect(vq.embedSum.array == vq.codebook.array && vq.clusterSize.array == [1, 1, 1, 1])
}

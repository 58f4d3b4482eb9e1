import Core
import Testing

@Test func sameSeedGivesSameStream() {
  var a = RNG(seed: 42)
  var b = RNG(seed: 42)
  let xs = (0..<5).map { _ in a.next() }
  let ys = (0..<5).map { _ in b.next() }
  #expect(xs == ys)
}

@Test func splitMix64MatchesPublishedReferenceValues() {
  // Reference outputs of SplitMix64 seeded with 1234567 (from the algorithm's C reference code).
  var rng = RNG(seed: 1_234_567)
  #expect(rng.next() == 6_457_827_717_110_365_317)
  #expect(rng.next() == 3_203_168_211_198_807_973)
}

@Test func uniformStaysInUnitIntervalWithMeanOneHalf() {
  var rng = RNG(seed: 7)
  var sum = 0.0
  for _ in 0..<100_000 {
    let u = rng.uniform()
    #expect(u >= 0 && u < 1)
    sum += Double(u)
  }
  #expect(abs(sum / 100_000 - 0.5) < 0.005)
}

@Test func normalHasUnitVariance() {
  var rng = RNG(seed: 3)
  var s = 0.0, s2 = 0.0
  let n = 200_000
  for _ in 0..<n {
    let x = rng.normalDouble()
    s += x
    s2 += x * x
  }
  #expect(abs(s / Double(n)) < 0.01)
  #expect(abs(s2 / Double(n) - 1) < 0.02)
}

@Test func intBelowCoversRangeUniformly() {
  var rng = RNG(seed: 11)
  var counts = [Int](repeating: 0, count: 5)
  for _ in 0..<50_000 { counts[rng.int(below: 5)] += 1 }
  for c in counts { #expect(abs(c - 10_000) < 400) }
}

import Core
import LinearLAM
import NN
import Testing
import TestSupport

// The loss of the linear LAM recomputed with naive Double loops, independently of the model's GEMMs:
// z = C (o + k1) + D (o' + k1) (tied: C (o - o')), o_hat' = A (o + k2) + B z - k2 (A = I: o + B z),
// L = mean((o_hat' - o')^2) + sum(z * r) where r is a fixed weight on z (to exercise dLatent).
private struct Reference {
  let n: Int, dO: Int, dZ: Int
  let o: [Double], next: [Double], k1: [Double], k2: [Double], r: [Double]
  let learnA: Bool, tieD: Bool

  func loss(a: [Double], b: [Double], c: [Double], d: [Double]) -> Double {
    var total = 0.0
    for s in 0..<n {
      var z = [Double](repeating: 0, count: dZ)
      for i in 0..<dZ {
        for j in 0..<dO {
          let x = o[s * dO + j], y = next[s * dO + j]
          if tieD {
            z[i] += c[i * dO + j] * (x - y)
          } else {
            z[i] += c[i * dO + j] * (x + k1[s * dO + j]) + d[i * dO + j] * (y + k1[s * dO + j])
          }
        }
        total += z[i] * r[s * dZ + i]
      }
      for i in 0..<dO {
        var p = 0.0
        if learnA {
          for j in 0..<dO { p += a[i * dO + j] * (o[s * dO + j] + k2[s * dO + j]) }
          p -= k2[s * dO + i]
        } else {
          p = o[s * dO + i]
        }
        for j in 0..<dZ { p += b[i * dZ + j] * z[j] }
        let e = p - next[s * dO + i]
        total += e * e / Double(n * dO)
      }
    }
    return total
  }
}

private func checkGradients(learnA: Bool, tieD: Bool, augment: Bool) throws {
  let (n, dO, dZ) = (4, 5, 3)
  var rng = RNG(seed: 11)
  let model = LinearLAMModel(observationDim: dO, latentDim: dZ, learnA: learnA, tieD: tieD, rng: &rng)
  func draws(_ count: Int, _ scale: Double = 1) -> [Double] { (0..<count).map { _ in scale * rng.normalDouble() } }
  let o = draws(n * dO), next = draws(n * dO), r = draws(n * dZ, 0.1)
  let k1 = augment ? draws(n * dO, 0.3) : [Double](repeating: 0, count: n * dO)
  let k2 = augment ? draws(n * dO, 0.3) : [Double](repeating: 0, count: n * dO)
  func tensor(_ v: [Double], _ shape: [Int]) -> Tensor { Tensor(shape: shape, values: v.map(Float.init)) }
  // Round the inputs to Float once so the Double reference sees exactly what the model sees.
  let rounded = { (v: [Double]) in v.map { Double(Float($0)) } }
  let ref = Reference(
    n: n, dO: dO, dZ: dZ, o: rounded(o), next: rounded(next), k1: rounded(k1), k2: rounded(k2), r: rounded(r),
    learnA: learnA, tieD: tieD)

  let loss = MSELoss()
  let prediction = model.forward(
    tensor(o, [n, dO]), tensor(next, [n, dO]),
    k1: augment ? tensor(k1, [n, dO]) : nil, k2: augment ? tensor(k2, [n, dO]) : nil)
  _ = loss.forward(prediction, tensor(next, [n, dO]))
  model.zeroGrad()
  model.backward(loss.backward(), dLatent: tensor(r, [n, dZ]))

  var values: [String: [Double]] = [:]
  for p in model.parameters { values[p.name] = p.value.array.map(Double.init) }
  func referenceLoss(_ v: [String: [Double]]) -> Double {
    ref.loss(a: v["A"] ?? [], b: v["B"]!, c: v["C"]!, d: v["D"] ?? [])
  }
  #expect(model.parameters.map(\.name) == [learnA ? "A" : nil, "B", "C", tieD ? nil : "D"].compactMap { $0 })
  for p in model.parameters {
    let analytic = p.grad.array.map(Double.init)
    var numeric = [Double](repeating: 0, count: p.value.count)
    for i in 0..<p.value.count {
      let h = 1e-5
      var plus = values, minus = values
      plus[p.name]![i] += h
      minus[p.name]![i] -= h
      numeric[i] = (referenceLoss(plus) - referenceLoss(minus)) / (2 * h)
    }
    let error = maxRelativeError(analytic, numeric, floor: 1e-2)
    #expect(error < 1e-4, "d\(p.name) learnA=\(learnA) tieD=\(tieD) augment=\(augment): relative error \(error)")
  }
}

@Test func gradientsMatchFiniteDifferencesForTheFullModel() throws {
  try checkGradients(learnA: true, tieD: false, augment: false)
}

@Test func gradientsMatchFiniteDifferencesWithAugmentation() throws {
  try checkGradients(learnA: true, tieD: false, augment: true)
}

@Test func gradientsMatchFiniteDifferencesWithAFixedAndDTied() throws {
  try checkGradients(learnA: false, tieD: true, augment: false)
  try checkGradients(learnA: false, tieD: false, augment: true)
  try checkGradients(learnA: true, tieD: true, augment: true)
}

@Test func pseudoLatentCancelsWhatACancels() {
  // With A = I - B M for some M, z + B^+ (A - I) o = z - M o.
  let (n, dO, dZ) = (3, 4, 2)
  var rng = RNG(seed: 3)
  let model = LinearLAMModel(observationDim: dO, latentDim: dZ, learnA: true, tieD: false, rng: &rng)
  let m = (0..<(dZ * dO)).map { _ in rng.normalDouble() }  // [d_z, d_o]
  let b = model.b.value.array.map(Double.init)  // [d_o, d_z]
  for i in 0..<dO {
    for j in 0..<dO {
      var bm = 0.0
      for k in 0..<dZ { bm += b[i * dZ + k] * m[k * dO + j] }
      model.a!.value.data[i * dO + j] = Float((i == j ? 1 : 0) - bm)
    }
  }
  let o = Tensor(shape: [n, dO], values: (0..<(n * dO)).map { _ in rng.normal() })
  let next = Tensor(shape: [n, dO], values: (0..<(n * dO)).map { _ in rng.normal() })
  let z = model.encode(o, next).array.map(Double.init)
  let pseudo = model.pseudoLatent(o, next).array.map(Double.init)
  for s in 0..<n {
    for k in 0..<dZ {
      var mo = 0.0
      for j in 0..<dO { mo += m[k * dO + j] * Double(o[s * dO + j]) }
      #expect(abs(pseudo[s * dZ + k] - (z[s * dZ + k] - mo)) < 1e-4)
    }
  }
}

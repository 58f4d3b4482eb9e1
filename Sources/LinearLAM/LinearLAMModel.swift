import Core
import NN

/// The paper's linear LAM with a hand-written backward pass:
///
///     z = C o + D o'          (z = C (o - o') when D is tied to -C)
///     o_hat' = A o + B z      (A fixed to I as a variant)
///
/// With augmentation (kappa > 0) the encoder sees o + k1 and o' + k1 and the decoder predicts
/// A (o + k2) + B z - k2, with k1, k2 ~ N(0, kappa^2 I) drawn per transition.
/// Parameters follow `torch.nn.Linear(bias=False)` layouts and its default initialization.
public final class LinearLAMModel {
  public let observationDim: Int
  public let latentDim: Int
  /// A [d_o, d_o]; nil when A is fixed to I.
  public let a: Parameter?
  /// B [d_o, d_z].
  public let b: Parameter
  /// C [d_z, d_o].
  public let c: Parameter
  /// D [d_z, d_o]; nil when D is tied to -C.
  public let d: Parameter?
  public let parameters: [Parameter]

  private var encoderO = Tensor([0])  // [N, d_o] o + k1, or o - o' when D is tied
  private var encoderNext = Tensor([0])  // [N, d_o] o' + k1 (untied only)
  private var decoderO = Tensor([0])  // [N, d_o] o + k2
  private let ownEncoderO = Tensor([0])  // storage for the augmented or differenced copies
  private let ownEncoderNext = Tensor([0])
  private let ownDecoderO = Tensor([0])
  /// The latent of the last forward [N, d_z].
  public let z = Tensor([0])
  private let prediction = Tensor([0])  // [N, d_o]
  private let dZ = Tensor([0])  // [N, d_z]

  public init(observationDim: Int, latentDim: Int, learnA: Bool, tieD: Bool, rng: inout RNG) {
    self.observationDim = observationDim
    self.latentDim = latentDim
    let (dO, dZ) = (observationDim, latentDim)
    a = learnA ? Parameter("A", [dO, dO]) : nil
    b = Parameter("B", [dO, dZ])
    c = Parameter("C", [dZ, dO])
    d = tieD ? nil : Parameter("D", [dZ, dO])
    // fan_in is each weight's input width, as for nn.Linear(in, out).
    if let a { initPyTorchDefault(weight: a.value, bias: nil, fanIn: dO, rng: &rng) }
    initPyTorchDefault(weight: b.value, bias: nil, fanIn: dZ, rng: &rng)
    initPyTorchDefault(weight: c.value, bias: nil, fanIn: dO, rng: &rng)
    if let d { initPyTorchDefault(weight: d.value, bias: nil, fanIn: dO, rng: &rng) }
    parameters = [a, b, c, d].compactMap { $0 }
  }

  /// The latent z for a batch (no augmentation): [N, d_z], owned by the model.
  public func encode(_ o: Tensor, _ next: Tensor) -> Tensor {
    setEncoderInputs(o, next, k1: nil)
    encodeCached()
    return z
  }

  /// o_hat' for a batch [N, d_o]; `k1`, `k2` [N, d_o] are the augmentation draws (nil: none).
  public func forward(_ o: Tensor, _ next: Tensor, k1: Tensor? = nil, k2: Tensor? = nil) -> Tensor {
    let n = o.batch
    setEncoderInputs(o, next, k1: k1)
    encodeCached()
    prediction.resize([n, observationDim])
    if let a {
      if let k2 {
        ownDecoderO.resize(o.shape)
        for i in 0..<o.count { ownDecoderO.data[i] = o.data[i] + k2.data[i] }
        decoderO = ownDecoderO
      } else {
        decoderO = o
      }
      // o_hat' = (o + k2) A^T
      gemm(transB: true, m: n, n: observationDim, k: observationDim, a: decoderO.data, b: a.value.data, c: prediction.data)
      // ... - k2
      if let k2 { for i in 0..<prediction.count { prediction.data[i] -= k2.data[i] } }
    } else {
      // A = I: o_hat' = o + B z, and k2 cancels exactly.
      prediction.copy(from: o)
    }
    // o_hat' += z B^T: [N, d_z] x [d_z, d_o]
    gemm(transB: true, m: n, n: observationDim, k: latentDim, a: z.data, b: b.value.data, beta: 1, c: prediction.data)
    return prediction
  }

  /// Backward of the last `forward`: adds into every parameter's gradient. `dLatent` [N, d_z], if
  /// given, is extra gradient on z from another loss (the action head).
  public func backward(_ dPrediction: Tensor, dLatent: Tensor? = nil) {
    let n = dPrediction.batch
    if let a {
      // dA[d_o, d_o] += dPred^T (o + k2)
      gemm(transA: true, m: observationDim, n: observationDim, k: n, a: dPrediction.data, b: decoderO.data, beta: 1, c: a.grad.data)
    }
    // dB[d_o, d_z] += dPred^T z
    gemm(transA: true, m: observationDim, n: latentDim, k: n, a: dPrediction.data, b: z.data, beta: 1, c: b.grad.data)
    // dZ[N, d_z] = dPred B (+ the head's gradient)
    dZ.resize([n, latentDim])
    if let dLatent { dZ.copy(from: dLatent) }
    gemm(m: n, n: latentDim, k: observationDim, a: dPrediction.data, b: b.value.data, beta: dLatent == nil ? 0 : 1, c: dZ.data)
    // dC[d_z, d_o] += dZ^T (o + k1)   (tied: dZ^T (o - o'))
    gemm(transA: true, m: latentDim, n: observationDim, k: n, a: dZ.data, b: encoderO.data, beta: 1, c: c.grad.data)
    if let d {
      // dD[d_z, d_o] += dZ^T (o' + k1)
      gemm(transA: true, m: latentDim, n: observationDim, k: n, a: dZ.data, b: encoderNext.data, beta: 1, c: d.grad.data)
    }
  }

  /// The pseudo latent o_hat' - o = (A - I) o + B z in the coordinates of B's columns,
  /// B^+ (o_hat' - o) = z + B^+ (A - I) o: [N, d_z], a new tensor. With learnable A, z may carry o
  /// along directions that A cancels at no cost in the loss; this is what remains once it has.
  public func pseudoLatent(_ o: Tensor, _ next: Tensor) -> Tensor {
    let n = o.batch
    let out = encode(o, next).clone()  // [N, d_z]
    guard let a else { return out }
    let (dO, dZ) = (observationDim, latentDim)
    let bv = b.value.data, av = a.value.data
    // B^+ (A - I) = (B^T B)^-1 (B^T A - B^T), in Double.
    var gram = [Double](repeating: 0, count: dZ * dZ)  // [d_z, d_z] = B^T B
    var rhs = [Double](repeating: 0, count: dZ * dO)  // [d_z, d_o] = B^T (A - I)
    for r in 0..<dO {
      for i in 0..<dZ {
        let bri = Double(bv[r * dZ + i])
        for j in 0..<dZ { gram[i * dZ + j] += bri * Double(bv[r * dZ + j]) }
        for c in 0..<dO { rhs[i * dO + c] += bri * Double(av[r * dO + c]) }
        rhs[i * dO + r] -= bri
      }
    }
    let correction = choleskySolve(gram, n: dZ, rightHandSides: rhs, columns: dO)  // [d_z, d_o]
    let e = Tensor(shape: [dZ, dO], values: correction.map(Float.init))
    // out += o E^T: [N, d_o] x [d_o, d_z]
    gemm(transB: true, m: n, n: dZ, k: dO, a: o.data, b: e.data, beta: 1, c: out.data)
    return out
  }

  public func zeroGrad() { for p in parameters { p.grad.zero() } }

  private func setEncoderInputs(_ o: Tensor, _ next: Tensor, k1: Tensor?) {
    if d == nil {
      // Tied: z = C (o - o'); k1 cancels in the difference.
      ownEncoderO.resize(o.shape)
      for i in 0..<o.count { ownEncoderO.data[i] = o.data[i] - next.data[i] }
      encoderO = ownEncoderO
    } else if let k1 {
      ownEncoderO.resize(o.shape)
      ownEncoderNext.resize(next.shape)
      for i in 0..<o.count {
        ownEncoderO.data[i] = o.data[i] + k1.data[i]
        ownEncoderNext.data[i] = next.data[i] + k1.data[i]
      }
      encoderO = ownEncoderO
      encoderNext = ownEncoderNext
    } else {
      encoderO = o
      encoderNext = next
    }
  }

  private func encodeCached() {
    let n = encoderO.batch
    z.resize([n, latentDim])
    // z = (o + k1) C^T [+ (o' + k1) D^T]: [N, d_o] x [d_o, d_z]
    gemm(transB: true, m: n, n: latentDim, k: observationDim, a: encoderO.data, b: c.value.data, c: z.data)
    if let d {
      gemm(transB: true, m: n, n: latentDim, k: observationDim, a: encoderNext.data, b: d.value.data, beta: 1, c: z.data)
    }
  }
}

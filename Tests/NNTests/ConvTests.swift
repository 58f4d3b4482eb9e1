import Core
import NN
import TestSupport
import Testing

// MARK: - Fixtures

/// One layer configuration: batch N, input C x H x W, output channels, kernel K, stride S, padding P,
/// output padding (transposed only) and whether the layer has a bias.
struct ConvCase: Sendable, CustomTestStringConvertible {
  let n, c, h, w, out, k, s, p: Int
  var outputPadding = 0
  var bias = true

  var testDescription: String {
    "N\(n) C\(c) \(h)x\(w) -> \(out) K\(k) S\(s) P\(p)" + (outputPadding > 0 ? " OP\(outputPadding)" : "")
      + (bias ? "" : " no bias")
  }

  func conv2d(seed: UInt64 = 1) -> Conv2d {
    var rng = RNG(seed: seed)
    return Conv2d(c, out, kernel: k, stride: s, padding: p, bias: bias, rng: &rng)
  }

  func convTranspose2d(seed: UInt64 = 1) -> ConvTranspose2d {
    var rng = RNG(seed: seed)
    return ConvTranspose2d(
      c, out, kernel: k, stride: s, padding: p, outputPadding: outputPadding, bias: bias, rng: &rng)
  }

  func input(seed: UInt64 = 2) -> Tensor {
    var rng = RNG(seed: seed)
    let x = Tensor([n, c, h, w])
    for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
    return x
  }
}

/// The cases cover kernel > stride, kernel < stride, kernel == stride, padding 0 and > 0 (also
/// padding > K/2), 1x1 kernels, non-square images, the model's K4 S2 P1, a missing bias, and an output of
/// 16 positions (one image's product then written straight into the output).
let convCases: [ConvCase] = [
  ConvCase(n: 2, c: 3, h: 7, w: 5, out: 4, k: 3, s: 1, p: 0),
  ConvCase(n: 3, c: 3, h: 7, w: 5, out: 4, k: 3, s: 2, p: 1),
  ConvCase(n: 3, c: 2, h: 9, w: 6, out: 3, k: 2, s: 3, p: 0),
  ConvCase(n: 3, c: 2, h: 8, w: 11, out: 5, k: 4, s: 2, p: 1),
  ConvCase(n: 2, c: 4, h: 5, w: 5, out: 2, k: 1, s: 1, p: 0),
  ConvCase(n: 1, c: 1, h: 4, w: 6, out: 2, k: 5, s: 1, p: 2),
  ConvCase(n: 3, c: 2, h: 5, w: 5, out: 3, k: 3, s: 2, p: 2, bias: false),
  ConvCase(n: 2, c: 2, h: 6, w: 4, out: 3, k: 2, s: 2, p: 0),
  ConvCase(n: 3, c: 3, h: 8, w: 8, out: 5, k: 4, s: 2, p: 1),
]

let convTransposeCases: [ConvCase] = [
  ConvCase(n: 2, c: 3, h: 4, w: 3, out: 2, k: 3, s: 1, p: 0),
  ConvCase(n: 3, c: 3, h: 4, w: 5, out: 2, k: 3, s: 2, p: 1, outputPadding: 1),
  ConvCase(n: 3, c: 2, h: 3, w: 4, out: 3, k: 2, s: 3, p: 0, outputPadding: 2),
  ConvCase(n: 3, c: 4, h: 4, w: 3, out: 3, k: 4, s: 2, p: 1),
  ConvCase(n: 2, c: 2, h: 3, w: 3, out: 2, k: 4, s: 2, p: 1, outputPadding: 1),
  ConvCase(n: 1, c: 3, h: 2, w: 5, out: 2, k: 5, s: 1, p: 2),
  ConvCase(n: 2, c: 2, h: 3, w: 2, out: 4, k: 1, s: 2, p: 0, outputPadding: 1, bias: false),
]

/// y[n, o, oh, ow] = b[o] + sum w[o, c, ki, kj] x[n, c, oh*S - P + ki, ow*S - P + kj]: PyTorch's Conv2d, in Double.
func naiveConv2d(
  _ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int, padding p: Int
) -> (shape: [Int], values: [Double]) {
  let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let (out, k) = (weight.shape[0], weight.shape[2])
  let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
  var y = [Double](repeating: 0, count: n * out * oh * ow)
  for b in 0..<n {
    for o in 0..<out {
      for i in 0..<oh {
        for j in 0..<ow {
          var sum = bias.map { Double($0[o]) } ?? 0
          for ch in 0..<c {
            for ki in 0..<k {
              for kj in 0..<k {
                let yy = i * s - p + ki, xx = j * s - p + kj
                if yy < 0 || yy >= h || xx < 0 || xx >= w { continue }
                sum += Double(weight[((o * c + ch) * k + ki) * k + kj]) * Double(x[((b * c + ch) * h + yy) * w + xx])
              }
            }
          }
          y[((b * out + o) * oh + i) * ow + j] = sum
        }
      }
    }
  }
  return ([n, out, oh, ow], y)
}

/// PyTorch's ConvTranspose2d as a scatter, in Double: every input pixel (i, j) adds x * w[c, o, ki, kj]
/// to output pixel (i*S - P + ki, j*S - P + kj) when it lies inside OH x OW.
func naiveConvTranspose2d(
  _ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int, padding p: Int, outputPadding op: Int
) -> (shape: [Int], values: [Double]) {
  let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let (out, k) = (weight.shape[1], weight.shape[2])
  let oh = (h - 1) * s - 2 * p + k + op, ow = (w - 1) * s - 2 * p + k + op
  var y = [Double](repeating: 0, count: n * out * oh * ow)
  for b in 0..<n {
    for o in 0..<out {
      for i in 0..<(oh * ow) { y[(b * out + o) * oh * ow + i] = bias.map { Double($0[o]) } ?? 0 }
    }
    for ch in 0..<c {
      for i in 0..<h {
        for j in 0..<w {
          let v = Double(x[((b * c + ch) * h + i) * w + j])
          for o in 0..<out {
            for ki in 0..<k {
              for kj in 0..<k {
                let yy = i * s - p + ki, xx = j * s - p + kj
                if yy < 0 || yy >= oh || xx < 0 || xx >= ow { continue }
                y[((b * out + o) * oh + yy) * ow + xx] += v * Double(weight[((ch * out + o) * k + ki) * k + kj])
              }
            }
          }
        }
      }
    }
  }
  return ([n, out, oh, ow], y)
}

/// Largest |a - b| relative to max(|a|, |b|, 1): outputs here are O(1), so this is relative for large
/// values and absolute for ones near zero, where Float rounding dominates.
func maxError(_ a: Tensor, _ b: [Double]) -> Double {
  maxRelativeError(a.array.map(Double.init), b, floor: 1)
}

// MARK: - Forward against naive loops

@Test("Conv2d forward equals the naive 7-deep loop, for every images-per-GEMM chunking", arguments: convCases)
func conv2dForwardMatchesNaiveLoops(_ cc: ConvCase) {
  let layer = cc.conv2d()
  let x = cc.input()
  let expected = naiveConv2d(x, weight: layer.weight.value, bias: layer.bias?.value, stride: cc.s, padding: cc.p)
  #expect(layer.outputSize(h: cc.h, w: cc.w) == (expected.shape[2], expected.shape[3]))
  for chunk in [1, 2, 128] {
    layer.imagesPerGEMM = chunk
    let y = layer.forward(x)
    #expect(y.shape == expected.shape)
    #expect(maxError(y, expected.values) < 1e-5, "images per GEMM \(chunk)")
  }
}

@Test("ConvTranspose2d forward equals PyTorch's definition as a naive scatter loop", arguments: convTransposeCases)
func convTranspose2dForwardMatchesNaiveLoops(_ cc: ConvCase) {
  let layer = cc.convTranspose2d()
  let x = cc.input()
  let expected = naiveConvTranspose2d(
    x, weight: layer.weight.value, bias: layer.bias?.value,
    stride: cc.s, padding: cc.p, outputPadding: cc.outputPadding)
  #expect(layer.outputSize(h: cc.h, w: cc.w) == (expected.shape[2], expected.shape[3]))
  for chunk in [1, 2, 128] {
    layer.imagesPerGEMM = chunk
    let y = layer.forward(x)
    #expect(y.shape == expected.shape)
    #expect(maxError(y, expected.values) < 1e-5, "images per GEMM \(chunk)")
  }
}

@Test func outputSizesFollowPyTorchFormulas() {
  var rng = RNG(seed: 3)
  let conv = Conv2d(6, 32, kernel: 4, stride: 2, padding: 1, rng: &rng)
  #expect(conv.outputSize(h: 32, w: 20) == (16, 10))
  #expect(conv.outputSize(h: 5, w: 4) == (2, 2))  // (5 + 2 - 4) / 2 + 1 rounds down
  let deconv = ConvTranspose2d(256, 64, kernel: 4, stride: 2, padding: 1, rng: &rng)
  #expect(deconv.outputSize(h: 4, w: 6) == (8, 12))
  let padded = ConvTranspose2d(2, 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1, rng: &rng)
  #expect(padded.outputSize(h: 4, w: 4) == (8, 8))  // (4 - 1)*2 - 2 + 3 + 1
}

/// With the same weight [A, B, K, K], ConvTranspose2d(A -> B) is the input gradient of Conv2d(B -> A)
/// and its backward is that convolution's forward (PyTorch's own description of the layer).
@Test func convTranspose2dIsTheInputGradientOfConv2d() {
  var rng = RNG(seed: 4)
  let (a, b, k, s, p) = (3, 2, 4, 2, 1)
  let deconv = ConvTranspose2d(a, b, kernel: k, stride: s, padding: p, bias: false, rng: &rng)
  let conv = Conv2d(b, a, kernel: k, stride: s, padding: p, bias: false, rng: &rng)
  conv.weight.value.copy(from: deconv.weight.value)
  let x = ConvCase(n: 2, c: a, h: 3, w: 5, out: b, k: k, s: s, p: p).input()  // [2, A, 3, 5]
  let y = deconv.forward(x)  // [2, B, 6, 10]
  let convInput = Tensor(y.shape)
  _ = conv.forward(convInput)
  #expect(maxError(conv.backward(x), y.array.map(Double.init)) < 1e-6)

  let dy = ConvCase(n: 2, c: b, h: 6, w: 10, out: a, k: k, s: s, p: p).input(seed: 5)
  #expect(maxError(deconv.backward(dy), conv.forward(dy).array.map(Double.init)) < 1e-6)
}

@Test func layersReuseTheirBuffersAcrossBatchAndImageSizes() {
  let big = ConvCase(n: 4, c: 3, h: 8, w: 6, out: 5, k: 3, s: 2, p: 1)
  let small = ConvCase(n: 2, c: 3, h: 5, w: 9, out: 5, k: 3, s: 2, p: 1)
  let layers: [(reused: Layer, fresh: () -> Layer)] = [
    (big.conv2d(), { big.conv2d() }),
    (big.convTranspose2d(), { big.convTranspose2d() }),
  ]
  for (reused, fresh) in layers {
    for cc in [big, small, big] {
      let x = cc.input(seed: UInt64(cc.h))
      let output = reused.forward(x)
      let y = output.array
      let dy = Tensor(shape: output.shape, values: (0..<y.count).map { Float($0 % 7) - 3 })
      let dx = reused.backward(dy).array
      let reference = fresh()
      #expect(reference.forward(x).array == y)
      #expect(reference.backward(dy).array == dx)
    }
  }
}

// MARK: - Gradients

@Test("Conv2d backward equals central differences for the input, weight and bias", arguments: [
  ConvCase(n: 2, c: 3, h: 6, w: 5, out: 4, k: 3, s: 2, p: 1),
  ConvCase(n: 2, c: 2, h: 7, w: 5, out: 3, k: 2, s: 3, p: 0),
  ConvCase(n: 2, c: 2, h: 4, w: 5, out: 3, k: 4, s: 2, p: 1),
  ConvCase(n: 2, c: 2, h: 8, w: 8, out: 3, k: 4, s: 2, p: 1),  // 16 output positions: written in place
])
func conv2dGradientsMatchFiniteDifferences(_ cc: ConvCase) {
  let layer = cc.conv2d()
  layer.imagesPerGEMM = 1
  let errors = checkGradients(layer, input: cc.input())
  #expect(errors.input <= 1e-3)
  #expect(errors.parameters.keys.sorted() == ["bias", "weight"])
  for (name, error) in errors.parameters { #expect(error <= 1e-3, "\(name)") }
}

@Test("ConvTranspose2d backward equals central differences for the input, weight and bias", arguments: [
  ConvCase(n: 2, c: 3, h: 3, w: 4, out: 2, k: 3, s: 2, p: 1, outputPadding: 1),
  ConvCase(n: 2, c: 2, h: 3, w: 2, out: 3, k: 2, s: 3, p: 0, outputPadding: 2),
  ConvCase(n: 2, c: 4, h: 2, w: 3, out: 3, k: 4, s: 2, p: 1),
  ConvCase(n: 2, c: 2, h: 4, w: 4, out: 3, k: 4, s: 2, p: 1),  // 16 input positions: dX written in place
])
func convTranspose2dGradientsMatchFiniteDifferences(_ cc: ConvCase) {
  let layer = cc.convTranspose2d()
  layer.imagesPerGEMM = 1
  let errors = checkGradients(layer, input: cc.input())
  #expect(errors.input <= 1e-3)
  #expect(errors.parameters.keys.sorted() == ["bias", "weight"])
  for (name, error) in errors.parameters { #expect(error <= 1e-3, "\(name)") }
}

/// A Conv2d whose backward is deliberately wrong in one way, to show the checker notices.
final class FaultyConv2d: Layer {
  enum Fault { case flippedInputGradient, droppedBiasGradient, weightGradientOnePercentOff }
  let inner: Conv2d
  let fault: Fault
  let dInput = Tensor([0])

  init(_ inner: Conv2d, _ fault: Fault) {
    self.inner = inner
    self.fault = fault
  }

  var parameters: [Parameter] { inner.parameters }
  func forward(_ input: Tensor) -> Tensor { inner.forward(input) }

  func backward(_ dOutput: Tensor) -> Tensor {
    dInput.copy(from: inner.backward(dOutput))
    switch fault {
    case .flippedInputGradient: for i in 0..<dInput.count { dInput[i] = -dInput[i] }
    case .droppedBiasGradient: inner.bias!.grad.zero()
    case .weightGradientOnePercentOff: for i in 0..<inner.weight.grad.count { inner.weight.grad[i] *= 1.01 }
    }
    return dInput
  }
}

@Test func gradientCheckerCatchesWrongBackwards() {
  let cc = ConvCase(n: 2, c: 2, h: 5, w: 4, out: 3, k: 3, s: 2, p: 1)
  let flipped = checkGradients(FaultyConv2d(cc.conv2d(), .flippedInputGradient), input: cc.input())
  #expect(flipped.input > 1)
  #expect(flipped.parameters["weight"]! <= 1e-3)
  let dropped = checkGradients(FaultyConv2d(cc.conv2d(), .droppedBiasGradient), input: cc.input())
  #expect(dropped.parameters["bias"]! > 0.5)
  #expect(dropped.input <= 1e-3)
  let scaled = checkGradients(FaultyConv2d(cc.conv2d(), .weightGradientOnePercentOff), input: cc.input())
  #expect(scaled.parameters["weight"]! > 5e-3)
  #expect(scaled.parameters["bias"]! <= 1e-3)
}

@Test func backwardAccumulatesParameterGradients() {
  let cc = ConvCase(n: 2, c: 3, h: 5, w: 6, out: 4, k: 3, s: 2, p: 1)
  for layer in [cc.conv2d() as Layer, cc.convTranspose2d()] {
    let x = cc.input()
    let y = layer.forward(x)
    let dy = Tensor(shape: y.shape, values: (0..<y.count).map { Float($0 % 5) - 2 })
    layer.zeroGrad()
    let dx1 = layer.backward(dy).array
    let once = layer.parameters.map(\.grad.array)
    let dx2 = layer.backward(dy).array
    #expect(dx1 == dx2)  // the input gradient is overwritten, not accumulated
    for (p, single) in zip(layer.parameters, once) {
      #expect(single.contains { $0 != 0 })
      // Equal up to rounding: a GEMM with beta = 1 may add its partial sums into the old value block by block.
      #expect(maxRelativeError(p.grad.array, single.map { $0 * 2 }, floor: 1e-3) < 1e-5, "\(p.name)")
    }
  }
}

@Test func conv2dWithoutInputGradientAccumulatesTheSameParameterGradients() {
  let cc = ConvCase(n: 3, c: 2, h: 6, w: 7, out: 4, k: 4, s: 2, p: 1)
  let full = cc.conv2d(), first = cc.conv2d()
  first.inputNeedsGradient = false
  let x = cc.input()
  let y = full.forward(x)
  let dy = Tensor(shape: y.shape, values: (0..<y.count).map { Float($0 % 9) - 4 })
  _ = first.forward(x)
  #expect(first.backward(dy).array.allSatisfy { $0 == 0 })
  #expect(full.backward(dy).array.contains { $0 != 0 })
  #expect(first.weight.grad.array == full.weight.grad.array)
  #expect(first.bias!.grad.array == full.bias!.grad.array)
  // The zeros are written once and kept: again, and for another batch size.
  for n in [3, 2] {
    let x = ConvCase(n: n, c: 2, h: 6, w: 7, out: 4, k: 4, s: 2, p: 1).input(seed: 9)
    let y = first.forward(x)
    let dx = first.backward(Tensor(shape: y.shape, values: (0..<y.count).map { Float($0 % 5) - 2 }))
    #expect(dx.shape == x.shape && dx.array.allSatisfy { $0 == 0 })
  }
}

// MARK: - Initialization

/// Checks U(-bound, bound): every value inside, the extremes near the bound, variance near bound^2 / 3.
func expectUniform(_ t: Tensor, bound: Float, _ what: String) {
  let values = t.array.map(Double.init)
  let b = Double(bound)
  #expect(values.allSatisfy { abs($0) <= b }, "\(what) outside +-\(bound)")
  #expect(values.map(abs).max()! > 0.98 * b, "\(what) never reaches the bound")
  let mean = values.reduce(0, +) / Double(values.count)
  let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
  #expect(abs(mean) < 0.02 * b, "\(what) mean \(mean)")
  #expect(abs(variance / (b * b / 3) - 1) < 0.03, "\(what) variance \(variance) vs \(b * b / 3)")
}

@Test func conv2dInitIsUniformInPlusMinusOneOverSqrtFanIn() {
  var rng = RNG(seed: 5)
  let layer = Conv2d(64, 128, kernel: 4, stride: 2, padding: 1, rng: &rng)
  #expect(layer.weight.name == "weight" && layer.weight.value.shape == [128, 64, 4, 4])
  #expect(layer.bias?.name == "bias" && layer.bias?.value.shape == [128])
  let bound = 1 / Float(64 * 4 * 4).squareRoot()
  expectUniform(layer.weight.value, bound: bound, "weight")
  #expect(layer.bias!.value.array.allSatisfy { abs($0) <= bound })
}

@Test func convTranspose2dInitTakesFanInFromOutChannels() {
  var rng = RNG(seed: 6)
  // in and out differ 16-fold so fan_in = in*K*K would give a bound 4x smaller than PyTorch's.
  let layer = ConvTranspose2d(16, 256, kernel: 4, stride: 2, padding: 1, rng: &rng)
  #expect(layer.weight.name == "weight" && layer.weight.value.shape == [16, 256, 4, 4])
  #expect(layer.bias?.name == "bias" && layer.bias?.value.shape == [256])
  let bound = 1 / Float(256 * 4 * 4).squareRoot()
  expectUniform(layer.weight.value, bound: bound, "weight")
  #expect(layer.bias!.value.array.allSatisfy { abs($0) <= bound })
  #expect(layer.bias!.value.array.map(abs).max()! > 0.9 * bound)
}

@Test func sameSeedGivesTheSameWeights() {
  let cc = ConvCase(n: 1, c: 3, h: 4, w: 4, out: 2, k: 3, s: 1, p: 1)
  #expect(cc.conv2d(seed: 8).weight.value.array == cc.conv2d(seed: 8).weight.value.array)
  #expect(cc.convTranspose2d(seed: 8).weight.value.array == cc.convTranspose2d(seed: 8).weight.value.array)
  #expect(cc.conv2d(seed: 8).weight.value.array != cc.conv2d(seed: 9).weight.value.array)
}

// MARK: - im2col and col2im

// Separate kernel, stride and padding per axis, non-square images. Stride 2 across (with a kernel at least 2
// wide) deals image rows out to plane rows in pairs: odd and even padding and widths, and a last column
// that no window reads (so the planes do not hold every pixel).
@Test(arguments: [
  (2, 7, 5, 3, 2, 2, 3, 1, 2, 4, 3), (2, 7, 9, 3, 4, 3, 2, 1, 1, 3, 4), (3, 6, 8, 4, 4, 2, 2, 2, 2, 4, 5),
  (1, 5, 10, 2, 3, 1, 2, 0, 0, 4, 4), (1, 5, 9, 2, 2, 2, 2, 0, 0, 2, 4), (2, 9, 17, 4, 4, 2, 2, 1, 1, 4, 8),
  (1, 4, 13, 4, 4, 2, 2, 1, 1, 2, 6), (2, 6, 6, 4, 4, 2, 2, 1, 1, 3, 3),
])
func im2colReadsEveryWindowAndCol2imIsItsAccumulatingAdjoint(
  c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, oh: Int, ow: Int
) {
  let g = ConvGeometry(channels: c, height: h, width: w, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw,
                       padH: ph, padW: pw)
  #expect((g.outHeight, g.outWidth) == (oh, ow))
  var rng = RNG(seed: 7)
  let image = Tensor([g.channels, g.height, g.width])
  for i in 0..<image.count { image[i] = rng.uniform(-1, 1) }
  let rowStride = g.positions + 3  // columns of other images may sit beside this one's
  let columns = Tensor([g.patchSize, rowStride])
  columns.fill(.nan)
  let scratch = Tensor([g.scratchSize])
  scratch.fill(.nan)  // stale scratch contents must not leak into the result
  im2col(image.data, g, into: columns.data, rowStride: rowStride, scratch: scratch.data)
  var wrong = 0
  var read = Set<Int>()  // the pixels some window reads
  for ch in 0..<c {
    for ki in 0..<kh {
      for kj in 0..<kw {
        for oy in 0..<oh {
          for ox in 0..<ow {
            let y = oy * sh - ph + ki, x = ox * sw - pw + kj
            let inside = y >= 0 && y < h && x >= 0 && x < w
            if inside { read.insert((ch * h + y) * w + x) }
            let expected = inside ? image[(ch * h + y) * w + x] : 0
            if columns[((ch * kh + ki) * kw + kj) * rowStride + oy * ow + ox] != expected { wrong += 1 }
          }
        }
      }
    }
  }
  #expect(wrong == 0)
  #expect(columns[rowStride - 1].isNaN)  // nothing written past the positions

  // <im2col(x), C> == <x, col2im(C)> for random C, and col2im adds rather than overwrites.
  let probe = Tensor([g.patchSize, rowStride])
  for i in 0..<probe.count { probe[i] = rng.uniform(-1, 1) }
  var lhs = 0.0
  for r in 0..<g.patchSize {
    for j in 0..<g.positions { lhs += Double(columns[r * rowStride + j]) * Double(probe[r * rowStride + j]) }
  }
  let folded = Tensor(image.shape)
  col2im(probe.data, rowStride: rowStride, g, addingInto: folded.data, scratch: scratch.data)
  let rhs = zip(image.array, folded.array).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
  #expect(abs(lhs - rhs) < 1e-5)
  let once = folded.array
  col2im(probe.data, rowStride: rowStride, g, addingInto: folded.data, scratch: scratch.data)
  #expect(maxRelativeError(folded.array, once.map { $0 * 2 }, floor: 1e-3) < 1e-6)

  // col2im written over an image gives the bits of col2im added onto zeros, whatever the image held, also
  // at the pixels no window reads.
  let written = Tensor(image.shape)
  written.fill(.nan)
  col2im(probe.data, rowStride: rowStride, g, into: written.data, scratch: scratch.data)
  #expect(written.array.map(\.bitPattern) == once.map(\.bitPattern))
  #expect((0..<g.imageSize).allSatisfy { read.contains($0) || written[$0] == 0 }, "a pixel no window reads")
}

// MARK: - Batch split between threads

/// Forward and backward of a fresh layer: the output, the input gradient and every parameter gradient.
private func runOnce(_ layer: Layer, _ x: Tensor) -> [[Float]] {
  let y = layer.forward(x)
  let dy = Tensor(shape: y.shape, values: (0..<y.count).map { Float($0 % 7) * 0.25 - 0.75 })
  let dx = layer.backward(dy)
  return [y.array, dx.array] + layer.parameters.map(\.grad.array)
}

@Test func convolutionsSplitBetweenThreadsRepeatExactlyPerThreadCountAndAgreeAcrossCounts() {
  // 13 images, 2 per GEMM: 7 chunks over one shard per thread (3 and 4 chunks for two), the last chunk partial.
  // Winograd: 13 images of 16 tiles, one shard per thread and chunks of 8 images within it.
  let cc = ConvCase(n: 13, c: 3, h: 8, w: 6, out: 5, k: 4, s: 2, p: 1)
  let wide = ConvCase(n: 13, c: 3, h: 16, w: 16, out: 5, k: 4, s: 2, p: 1)
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  let makers: [(String, (Int) -> Layer, Tensor)] = [
    ("Conv2d", { chunk in let l = cc.conv2d(); l.imagesPerGEMM = chunk; return l }, cc.input()),
    ("ConvTranspose2d", { chunk in let l = cc.convTranspose2d(); l.imagesPerGEMM = chunk; return l }, cc.input()),
    ("Conv2d, Winograd", { _ in let l = wide.conv2d(); l.algorithm = .winograd; return l }, wide.input()),
    ("ConvTranspose2d, Winograd", { _ in let l = cc.convTranspose2d(); l.algorithm = .winograd; return l },
     ConvCase(n: 13, c: 3, h: 8, w: 4, out: 5, k: 4, s: 2, p: 1).input()),
  ]
  for (name, make, x) in makers {
    BLASThreads.set(1)
    let whole = runOnce(make(13), x)  // one chunk: one shard does all the work
    for threads in [1, 2, 3, 4] {
      BLASThreads.set(threads)
      let split = runOnce(make(2), x)
      // The same layer again (its shards' buffers now reused) and a new one give the same bits.
      let layer = make(2)
      _ = runOnce(layer, x)
      layer.zeroGrad()
      #expect(runOnce(layer, x) == split, "\(name): \(threads) threads, the layer's second call differs")
      #expect(runOnce(make(2), x) == split, "\(name): \(threads) threads, two runs differ")
      // Winograd sums a shard's weight gradient in the transformed domain, then adds four of those sums into
      // each weight: the other grouping of another count moves it a little further.
      let tolerance = name.hasSuffix("Winograd") ? 3e-5 : 1e-5
      for (a, b) in zip(split, whole) {
        #expect(maxRelativeError(a.map(Double.init), b.map(Double.init), floor: 1) < tolerance,
                "\(name): \(threads) threads")
      }
    }
  }
}

// MARK: - ReLU applied by the convolution

@Test("a convolution that applies the ReLU after it gives the bits of the two layers apart",
      arguments: [1, 2], [true, false])
func convolutionsApplyingTheirReLUGiveTheSameBits(threads: Int, bias: Bool) {
  // 13 images, 2 per GEMM: chunks over the threads' shards, the last one partial; ReLU splits from 16,384.
  // The fused layer masks the gradient in the pass that sums the bias gradient, with or without a bias.
  let cc = ConvCase(n: 13, c: 3, h: 64, w: 48, out: 5, k: 4, s: 2, p: 1, bias: bias)
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  BLASThreads.set(threads)
  let makers: [(String, () -> Layer, (Layer) -> Void)] = [
    ("Conv2d", { let l = cc.conv2d(); l.imagesPerGEMM = 2; return l }, { ($0 as! Conv2d).appliesReLU = true }),
    ("ConvTranspose2d", { let l = cc.convTranspose2d(); l.imagesPerGEMM = 2; return l },
     { ($0 as! ConvTranspose2d).appliesReLU = true }),
    ("Conv2d, Winograd", { let l = cc.conv2d(); l.algorithm = .winograd; return l },
     { ($0 as! Conv2d).appliesReLU = true }),
    ("ConvTranspose2d, Winograd", { let l = cc.convTranspose2d(); l.algorithm = .winograd; return l },
     { ($0 as! ConvTranspose2d).appliesReLU = true }),
  ]
  for (name, make, fuse) in makers {
    let apart = Sequential([("conv", make()), ("relu", ReLU())])
    let conv = make(), relu = ReLU()
    fuse(conv)
    relu.fusedIntoPreviousLayer = true
    let fused = Sequential([("conv", conv), ("relu", relu)])
    for _ in 0..<2 {  // the second call reuses every buffer
      let (a, b) = (runOnce(apart, cc.input()), runOnce(fused, cc.input()))
      #expect(a.map { $0.map(\.bitPattern) } == b.map { $0.map(\.bitPattern) }, "\(name), \(threads) threads")
      #expect(a[0].contains { $0 == 0 } && a[0].contains { $0 > 0 }, "\(name): the ReLU cuts some outputs")
      apart.zeroGrad()
      fused.zeroGrad()
    }
  }
}

// MARK: - Winograd's F(2x2, 2x2)

/// Kernel 4, stride 2, padding 1 over sides that are multiples of 4: Winograd's geometry. 16 x 16 images
/// are 16 tiles each, so 13 of them run as two chunks of 8 and 5 images.
let winogradConvCases: [ConvCase] = [
  ConvCase(n: 3, c: 3, h: 8, w: 8, out: 5, k: 4, s: 2, p: 1),
  ConvCase(n: 2, c: 2, h: 4, w: 12, out: 3, k: 4, s: 2, p: 1, bias: false),
  ConvCase(n: 13, c: 2, h: 16, w: 16, out: 3, k: 4, s: 2, p: 1),
]

/// The transposed cases' inputs: outputs of twice their sides.
let winogradConvTransposeCases: [ConvCase] = [
  ConvCase(n: 3, c: 3, h: 2, w: 4, out: 5, k: 4, s: 2, p: 1),
  ConvCase(n: 2, c: 2, h: 6, w: 2, out: 3, k: 4, s: 2, p: 1, bias: false),
  ConvCase(n: 13, c: 3, h: 8, w: 8, out: 2, k: 4, s: 2, p: 1),
]

@Test("Conv2d with Winograd's F(2x2, 2x2) equals the naive 7-deep loop", arguments: winogradConvCases)
func winogradConv2dForwardMatchesNaiveLoops(_ cc: ConvCase) {
  let layer = cc.conv2d()
  layer.algorithm = .winograd
  let x = cc.input()
  let expected = naiveConv2d(x, weight: layer.weight.value, bias: layer.bias?.value, stride: cc.s, padding: cc.p)
  let y = layer.forward(x)
  #expect(layer.usesWinograd)
  #expect(y.shape == expected.shape)
  #expect(maxError(y, expected.values) < 1e-5)
}

@Test("ConvTranspose2d with Winograd's F(2x2, 2x2) equals the naive scatter loop", arguments: winogradConvTransposeCases)
func winogradConvTranspose2dForwardMatchesNaiveLoops(_ cc: ConvCase) {
  let layer = cc.convTranspose2d()
  layer.algorithm = .winograd
  let x = cc.input()
  let expected = naiveConvTranspose2d(x, weight: layer.weight.value, bias: layer.bias?.value, stride: cc.s,
                                      padding: cc.p, outputPadding: 0)
  let y = layer.forward(x)
  #expect(layer.usesWinograd)
  #expect(y.shape == expected.shape)
  #expect(maxError(y, expected.values) < 1e-5)
}

@Test("Winograd's backward equals central differences for the input, weight and bias")
func winogradGradientsMatchFiniteDifferences() {
  let conv = ConvCase(n: 2, c: 2, h: 4, w: 8, out: 3, k: 4, s: 2, p: 1)
  let deconv = ConvCase(n: 2, c: 3, h: 2, w: 4, out: 2, k: 4, s: 2, p: 1)
  let layers: [(String, Layer, Tensor)] = [
    ("Conv2d", { let l = conv.conv2d(); l.algorithm = .winograd; return l }(), conv.input()),
    ("ConvTranspose2d", { let l = deconv.convTranspose2d(); l.algorithm = .winograd; return l }(), deconv.input()),
  ]
  for (name, layer, x) in layers {
    let errors = checkGradients(layer, input: x)
    #expect(errors.input <= 1e-3, "\(name)")
    #expect(errors.parameters.keys.sorted() == ["bias", "weight"])
    for (parameter, error) in errors.parameters { #expect(error <= 1e-3, "\(name) \(parameter)") }
  }
}

@Test("Winograd and the direct kernels agree to rounding on the workload's conv2 and deconv1")
func winogradAgreesWithTheDirectKernels() {
  let conv = ConvCase(n: 3, c: 32, h: 16, w: 16, out: 64, k: 4, s: 2, p: 1)
  let deconv = ConvCase(n: 3, c: 256, h: 4, w: 4, out: 64, k: 4, s: 2, p: 1)
  let makers: [(String, (ConvAlgorithm) -> Layer, Tensor)] = [
    ("Conv2d", { let l = conv.conv2d(); l.algorithm = $0; return l }, conv.input()),
    ("ConvTranspose2d", { let l = deconv.convTranspose2d(); l.algorithm = $0; return l }, deconv.input()),
  ]
  for (name, make, x) in makers {
    let (automatic, direct) = (make(.automatic), make(.direct))
    let a = runOnce(automatic, x), d = runOnce(direct, x)
    #expect((automatic as? Conv2d)?.usesWinograd ?? (automatic as! ConvTranspose2d).usesWinograd, "\(name)")
    #expect(!((direct as? Conv2d)?.usesWinograd ?? (direct as! ConvTranspose2d).usesWinograd), "\(name)")
    #expect(a[0] != d[0], "\(name): two algorithms, so not the same bits")
    for (i, (u, v)) in zip(a, d).enumerated() {
      #expect(maxRelativeError(u.map(Double.init), v.map(Double.init), floor: 1) < 1e-5, "\(name) tensor \(i)")
    }
  }
}

@Test func automaticChoiceTakesWinogradOnlyForWideStrideTwoLayers() {
  var rng = RNG(seed: 7)
  func uses(_ layer: Conv2d, _ h: Int, _ w: Int) -> Bool {
    _ = layer.forward(Tensor([1, layer.inChannels, h, w]))
    return layer.usesWinograd
  }
  #expect(uses(Conv2d(32, 64, kernel: 4, stride: 2, padding: 1, rng: &rng), 16, 16))
  #expect(uses(Conv2d(16, 16, kernel: 4, stride: 2, padding: 1, rng: &rng), 8, 12))
  #expect(!uses(Conv2d(16, 32, kernel: 4, stride: 2, padding: 1, rng: &rng), 4, 4))  // smaller than 8 x 8
  #expect(!uses(Conv2d(6, 32, kernel: 4, stride: 2, padding: 1, rng: &rng), 32, 32))  // 6 channels
  #expect(!uses(Conv2d(32, 64, kernel: 4, stride: 2, padding: 1, rng: &rng), 16, 10))  // 10 is not a multiple of 4
  #expect(!uses(Conv2d(32, 64, kernel: 3, stride: 2, padding: 1, rng: &rng), 16, 16))
  #expect(!uses(Conv2d(32, 64, kernel: 4, stride: 1, padding: 1, rng: &rng), 16, 16))
  let layer = Conv2d(32, 64, kernel: 4, stride: 2, padding: 1, rng: &rng)
  layer.algorithm = .direct
  #expect(!uses(layer, 16, 16))
  let deconv = ConvTranspose2d(256, 64, kernel: 4, stride: 2, padding: 1, rng: &rng)
  _ = deconv.forward(Tensor([1, 256, 4, 4]))
  #expect(deconv.usesWinograd)
  let padded = ConvTranspose2d(32, 32, kernel: 4, stride: 2, padding: 1, outputPadding: 1, rng: &rng)
  _ = padded.forward(Tensor([1, 32, 4, 4]))
  #expect(!padded.usesWinograd)
}

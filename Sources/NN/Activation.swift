import Foundation

/// An element-wise activation: ReLU, LeakyReLU, Tanh or Sigmoid.
///
/// Each derivative is a function of the output alone, so the layer keeps only its output for backward.
/// It owns its output and input-gradient buffers.
public final class Activation: Layer {
  public enum Kind: Equatable, Sendable {
    /// max(0, x).
    case relu
    /// x for x > 0, slope * x otherwise (slope > 0, so the sign of x is recoverable from y).
    case leakyReLU(slope: Float)
    /// tanh(x).
    case tanh
    /// 1 / (1 + exp(-x)).
    case sigmoid
  }

  public let kind: Kind
  /// The layer before applies this ReLU to its own output already (`Conv2d.appliesReLU`,
  /// `ConvTranspose2d.appliesReLU`, while that output is still in cache) and masks the gradient in its own
  /// backward: forward and backward pass their argument through. A separate pass over every activation cost
  /// 2% of a conv step each way.
  public var fusedIntoPreviousLayer = false {
    willSet { precondition(!newValue || kind == .relu, "only ReLU is fused into the layer before it") }
  }
  private var input: Tensor?  // [*], forward's argument while its shards run
  private var dOutput: Tensor?  // [*], backward's argument while its shards run
  private let output = Tensor([0])  // [*], the input's shape
  private let dInput = Tensor([0])  // [*], the input's shape
  // The shard bodies, made once (`ShardWorkers` explains why).
  private lazy var forwardShard: (Int, Int) -> Void = { [unowned self] in self.forward(self.elements(shard: $0, of: $1)) }
  private lazy var backwardShard: (Int, Int) -> Void = { [unowned self] in self.backward(self.elements(shard: $0, of: $1)) }

  public init(_ kind: Kind) {
    if case .leakyReLU(let slope) = kind { precondition(slope > 0, "LeakyReLU slope must be positive") }
    self.kind = kind
  }

  public func forward(_ x: Tensor) -> Tensor {
    if fusedIntoPreviousLayer { return x }
    output.resize(x.shape)
    input = x
    BatchShards.run(over: x.count, forwardShard)
    input = nil
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    if fusedIntoPreviousLayer { return dOutput }
    let y = output
    precondition(dOutput.count == y.count, "Activation.backward got \(dOutput.shape), expected \(y.shape)")
    dInput.resize(y.shape)
    self.dOutput = dOutput
    BatchShards.run(over: y.count, backwardShard)
    self.dOutput = nil
    return dInput
  }

  /// Elements first..<end of shard `s`: whole runs of 64, so that the split falls on vector boundaries.
  private func elements(shard s: Int, of count: Int) -> Range<Int> {
    BatchShards.images(s, of: output.count, chunk: 64, shards: count)
  }

  private func forward(_ r: Range<Int>) {
    guard let x = input, !r.isEmpty else { return }
    let (src, y, n) = (x.data + r.lowerBound, output.data + r.lowerBound, r.count)
    switch kind {
    case .relu: reluForward(src, y, n)
    case .leakyReLU(let slope): for i in 0..<n { y[i] = src[i] > 0 ? src[i] : slope * src[i] }
    case .tanh: for i in 0..<n { y[i] = tanhf(src[i]) }
    case .sigmoid: for i in 0..<n { y[i] = sigmoid(src[i]) }
    }
  }

  private func backward(_ r: Range<Int>) {
    guard let dOutput, !r.isEmpty else { return }
    let o = r.lowerBound
    let (y, dy, dx, n) = (output.data + o, dOutput.data + o, dInput.data + o, r.count)
    switch kind {
    // d/dx max(0, x) = 1 where x > 0 (equivalently y > 0), else 0; PyTorch also uses 0 at x = 0.
    case .relu: reluBackward(y, dy, dx, n)
    case .leakyReLU(let slope): for i in 0..<n { dx[i] = y[i] > 0 ? dy[i] : slope * dy[i] }
    // d tanh(x)/dx = 1 - tanh(x)^2
    case .tanh: for i in 0..<n { dx[i] = dy[i] * (1 - y[i] * y[i]) }
    // d sigma(x)/dx = sigma(x) (1 - sigma(x))
    case .sigmoid: for i in 0..<n { dx[i] = dy[i] * y[i] * (1 - y[i]) }
    }
  }
}

/// max(0, x), PyTorch's `nn.ReLU()`.
public func ReLU() -> Activation { Activation(.relu) }
/// PyTorch's `nn.LeakyReLU(slope)`, default slope 0.01.
public func LeakyReLU(slope: Float = 0.01) -> Activation { Activation(.leakyReLU(slope: slope)) }
/// PyTorch's `nn.Tanh()`.
public func Tanh() -> Activation { Activation(.tanh) }
/// PyTorch's `nn.Sigmoid()`.
public func Sigmoid() -> Activation { Activation(.sigmoid) }

/// y = max(x, 0), eight lanes at a time (the compiler leaves the plain loop scalar, as x and y might alias).
/// NaN stays NaN, as with `max(x, 0)`.
@inline(__always)
func reluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
  var i = 0
  while i + 8 <= n {
    let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(y + i).storeBytes(of: v.replacing(with: 0, where: v .<= 0), as: SIMD8<Float>.self)
    i += 8
  }
  while i < n { y[i] = max(x[i], 0); i += 1 }
}

/// dx = dy where y > 0, else 0, eight lanes at a time.
@inline(__always)
func reluBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
  var i = 0
  while i + 8 <= n {
    let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
    let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(dx + i).storeBytes(of: SIMD8<Float>().replacing(with: g, where: yv .> 0), as: SIMD8<Float>.self)
    i += 8
  }
  while i < n { dx[i] = y[i] > 0 ? dy[i] : 0; i += 1 }
}

/// The logistic function, written so that neither branch overflows exp.
@inline(__always) func sigmoid(_ x: Float) -> Float {
  if x >= 0 { return 1 / (1 + expf(-x)) }
  let e = expf(x)
  return e / (1 + e)
}

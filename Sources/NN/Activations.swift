import Foundation

// Element-wise activations. Each keeps its output for backward (the derivative of every one of
// them is a function of the output alone) and owns its output and input-gradient buffers.

/// max(0, x).
public final class ReLU: Layer {
  private let output = Tensor([0])
  private let dInput = Tensor([0])
  public init() {}

  public func forward(_ x: Tensor) -> Tensor {
    output.resize(x.shape)
    let (src, dst) = (x.data, output.data)
    for i in 0..<x.count { dst[i] = max(src[i], 0) }
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    dInput.resize(output.shape)
    let (y, dy, dx) = (output.data, dOutput.data, dInput.data)
    // d/dx max(0, x) = 1 where x > 0 (equivalently y > 0), else 0; PyTorch also uses 0 at x = 0.
    for i in 0..<output.count { dx[i] = y[i] > 0 ? dy[i] : 0 }
    return dInput
  }
}

/// x for x > 0, slope * x otherwise (PyTorch's default slope is 0.01).
public final class LeakyReLU: Layer {
  public let slope: Float
  private let output = Tensor([0])
  private let dInput = Tensor([0])
  public init(slope: Float = 0.01) {
    precondition(slope > 0, "LeakyReLU slope must be positive so the sign of x is recoverable from y")
    self.slope = slope
  }

  public func forward(_ x: Tensor) -> Tensor {
    output.resize(x.shape)
    let (src, dst) = (x.data, output.data)
    for i in 0..<x.count { dst[i] = src[i] > 0 ? src[i] : slope * src[i] }
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    dInput.resize(output.shape)
    let (y, dy, dx) = (output.data, dOutput.data, dInput.data)
    // With a positive slope, y > 0 exactly when x > 0.
    for i in 0..<output.count { dx[i] = y[i] > 0 ? dy[i] : slope * dy[i] }
    return dInput
  }
}

/// tanh(x).
public final class Tanh: Layer {
  private let output = Tensor([0])
  private let dInput = Tensor([0])
  public init() {}

  public func forward(_ x: Tensor) -> Tensor {
    output.resize(x.shape)
    let (src, dst) = (x.data, output.data)
    for i in 0..<x.count { dst[i] = tanhf(src[i]) }
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    dInput.resize(output.shape)
    let (y, dy, dx) = (output.data, dOutput.data, dInput.data)
    // d tanh(x)/dx = 1 - tanh(x)^2
    for i in 0..<output.count { dx[i] = dy[i] * (1 - y[i] * y[i]) }
    return dInput
  }
}

/// 1 / (1 + exp(-x)).
public final class Sigmoid: Layer {
  private let output = Tensor([0])
  private let dInput = Tensor([0])
  public init() {}

  public func forward(_ x: Tensor) -> Tensor {
    output.resize(x.shape)
    let (src, dst) = (x.data, output.data)
    for i in 0..<x.count { dst[i] = sigmoid(src[i]) }
    return output
  }

  public func backward(_ dOutput: Tensor) -> Tensor {
    dInput.resize(output.shape)
    let (y, dy, dx) = (output.data, dOutput.data, dInput.data)
    // d sigma(x)/dx = sigma(x) (1 - sigma(x))
    for i in 0..<output.count { dx[i] = dy[i] * y[i] * (1 - y[i]) }
    return dInput
  }
}

/// The logistic function, written so that neither branch overflows exp.
@inline(__always) func sigmoid(_ x: Float) -> Float {
  if x >= 0 { return 1 / (1 + expf(-x)) }
  let e = expf(x)
  return e / (1 + e)
}

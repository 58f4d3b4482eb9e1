/// A learnable tensor and its gradient, stored side by side (llm.c's layout), with a local name
/// in PyTorch's convention ("weight", "bias").
public final class Parameter {
  public let name: String
  public let value: Tensor
  public let grad: Tensor

  public init(_ name: String, _ shape: [Int]) {
    self.name = name
    value = Tensor(shape)
    grad = Tensor(shape)
  }
}

/// A layer with one input and one output.
///
/// `forward` caches what `backward` needs and returns a tensor the layer owns (valid until the next
/// `forward`). `backward` *adds* into the parameter gradients and returns dLoss/dInput, also owned by
/// the layer. Multi-input pieces (Concat, Broadcast) are plain classes with their own signatures.
public protocol Layer: AnyObject {
  func forward(_ input: Tensor) -> Tensor
  func backward(_ dOutput: Tensor) -> Tensor
  /// The layer's own parameters with local names; empty for parameter-free layers.
  var parameters: [Parameter] { get }
}

extension Layer {
  public var parameters: [Parameter] { [] }

  /// Clears every parameter gradient.
  public func zeroGrad() { for p in parameters { p.grad.zero() } }
}
